#include "gateway/identity/revocation_list.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "gateway/common/error.h"

namespace ketenpoort::identity {
namespace {

struct CrlDeleter {
  void operator()(X509_CRL* crl) const { X509_CRL_free(crl); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Crl = std::unique_ptr<X509_CRL, CrlDeleter>;

absl::Status BadCrl(const std::string& file, std::string_view why) {
  return MakeError(absl::StatusCode::kFailedPrecondition, "BAD_CRL",
                   "revocation list " + file + ": " + std::string(why));
}

std::unique_ptr<BIO, BioDeleter> MemoryBio(const std::string& bytes) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

// Every CRL in `bytes`: PEM blocks, or else one DER CRL.
std::vector<Crl> ParseCrls(const std::string& bytes) {
  std::vector<Crl> crls;
  auto bio = MemoryBio(bytes);
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
    crls.emplace_back(crl);
  }
  if (crls.empty()) {
    const auto* der = reinterpret_cast<const unsigned char*>(bytes.data());
    X509_CRL* crl = d2i_X509_CRL(nullptr, &der, static_cast<long>(bytes.size()));
    if (crl != nullptr) crls.emplace_back(crl);
  }
  return crls;
}

std::vector<std::unique_ptr<X509, X509Deleter>> ParseCas(const std::string& pem) {
  std::vector<std::unique_ptr<X509, X509Deleter>> cas;
  auto bio = MemoryBio(pem);
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) cas.emplace_back(ca);
  return cas;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const RevocationList>> RevocationList::Load(
    const std::vector<std::string>& files, const std::string& ca_bundle_pem) {
  auto list = std::make_shared<RevocationList>();
  const auto cas = ParseCas(ca_bundle_pem);
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return BadCrl(file, "cannot be read");
    std::stringstream bytes;
    bytes << in.rdbuf();
    std::vector<Crl> crls = ParseCrls(bytes.str());
    if (crls.empty()) return BadCrl(file, "holds no CRL in PEM or DER form");
    for (const Crl& crl : crls) {
      const X509_NAME* issuer = X509_CRL_get_issuer(crl.get());
      bool signed_by_ca = false;
      for (const auto& ca : cas) {
        if (X509_NAME_cmp(X509_get_subject_name(ca.get()), issuer) != 0) continue;
        EVP_PKEY* key = X509_get0_pubkey(ca.get());
        if (key != nullptr && X509_CRL_verify(crl.get(), key) == 1) signed_by_ca = true;
      }
      if (!signed_by_ca) {
        return BadCrl(file, "is not signed by a CA in the client CA bundle");
      }
      const ASN1_TIME* next_update = X509_CRL_get0_nextUpdate(crl.get());
      if (next_update != nullptr && X509_cmp_current_time(next_update) < 0) {
        list->stale_files_.push_back(file);
      }
      const std::string issuer_key = NameKey(issuer);
      STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
      for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
        const ASN1_INTEGER* serial =
            X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i));
        list->revoked_.emplace(issuer_key, SerialKey(serial));
      }
    }
  }
  return std::shared_ptr<const RevocationList>(std::move(list));
}

}  // namespace ketenpoort::identity
