#include "gateway/identity/peer_certificate.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

#include "gateway/common/crypto.h"
#include "gateway/common/error.h"

namespace ketenpoort::identity {
namespace {

absl::Status Unauthenticated(std::string_view why) {
  return MakeError(absl::StatusCode::kUnauthenticated, "NO_CLIENT_CERTIFICATE", why);
}

struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

// Parsed certificates by their exact PEM bytes. Parsing with OpenSSL 3's
// decoders costs more than the rest of a request (measured: 40% of the
// reference source's CPU), and a partner presents the same certificate on
// every call. Bounded: cleared when full.
class ParsedCertificates {
 public:
  std::optional<PeerCertificate> Find(std::string_view pem) {
    std::shared_lock lock(mutex_);
    auto it = parsed_.find(pem);
    if (it == parsed_.end()) return std::nullopt;
    return it->second;
  }
  void Remember(std::string_view pem, const PeerCertificate& peer) {
    std::unique_lock lock(mutex_);
    if (parsed_.size() >= kMaxEntries) parsed_.clear();
    parsed_.emplace(std::string(pem), peer);
  }

 private:
  static constexpr size_t kMaxEntries = 1024;
  std::shared_mutex mutex_;
  std::map<std::string, PeerCertificate, std::less<>> parsed_;
};

ParsedCertificates& Parsed() {
  static ParsedCertificates* parsed = new ParsedCertificates();  // never destroyed
  return *parsed;
}

}  // namespace

std::string NameKey(const X509_NAME* name) {
  // OpenSSL's hash of the name's canonical form (string types unified,
  // case folded, white space collapsed), as it compares names when it
  // chains a certificate to its CA: a CRL naming its issuer in another
  // encoding still matches. The DER of the canonical form is not public.
  int ok = 0;
  const unsigned long hash = X509_NAME_hash_ex(name, nullptr, nullptr, &ok);
  return ok ? crypto::ToHex(std::string_view(reinterpret_cast<const char*>(&hash), sizeof hash))
            : "";
}

std::string SerialKey(const ASN1_INTEGER* serial) {
  // As a number, so that encodings of one serial compare equal.
  BIGNUM* number = ASN1_INTEGER_to_BN(serial, nullptr);
  if (number == nullptr) return "";
  char* hex = BN_bn2hex(number);
  std::string key = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(number);
  return key;
}

absl::StatusOr<PeerCertificate> ParsePeerCertificate(std::string_view pem,
                                                     std::string_view chain_pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<X509, X509Deleter> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Unauthenticated("client certificate cannot be parsed");

  PeerCertificate peer;
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const int index = X509_NAME_get_index_by_NID(subject, NID_serialNumber, -1);
  if (index >= 0) {
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    peer.oin.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                    static_cast<size_t>(ASN1_STRING_length(value)));
  }

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert.get(), EVP_sha256(), digest, &length);
  peer.sha256_hex = crypto::ToHex(std::string_view(reinterpret_cast<const char*>(digest), length));
  peer.issuer_key = NameKey(X509_get_issuer_name(cert.get()));
  peer.serial_key = SerialKey(X509_get0_serialNumber(cert.get()));
  std::unique_ptr<BIO, BioDeleter> chain(
      BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size())));
  while (X509* next = PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr)) {
    peer.chain_keys.emplace_back(NameKey(X509_get_issuer_name(next)),
                                 SerialKey(X509_get0_serialNumber(next)));
    X509_free(next);
  }
  return peer;
}

absl::StatusOr<PeerCertificate> PeerCertificateFromAuthContext(const grpc::AuthContext& auth) {
  if (!auth.IsPeerAuthenticated()) {
    return Unauthenticated("connection has no verified client certificate");
  }
  std::vector<grpc::string_ref> pems = auth.FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) return Unauthenticated("connection has no client certificate");
  const std::string_view pem(pems.front().data(), pems.front().size());
  std::vector<grpc::string_ref> chains =
      auth.FindPropertyValues(GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME);
  const std::string_view chain =
      chains.empty() ? std::string_view()
                     : std::string_view(chains.front().data(), chains.front().size());
  // Cached by leaf and chain together: the same leaf may come with another chain.
  const std::string cache_key = std::string(pem) + std::string(chain);
  if (std::optional<PeerCertificate> known = Parsed().Find(cache_key)) return *known;
  absl::StatusOr<PeerCertificate> peer = ParsePeerCertificate(pem, chain);
  if (peer.ok()) Parsed().Remember(cache_key, *peer);
  return peer;
}

}  // namespace ketenpoort::identity
