#include "gateway/identity/revocation_list.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
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

// Every CRL in `bytes`: PEM blocks, or else one DER CRL. Empty if any PEM
// block is not a CRL that parses: skipping one would drop its revocations.
std::vector<Crl> ParseCrls(const std::string& bytes) {
  std::vector<Crl> crls;
  auto bio = MemoryBio(bytes);
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
    crls.emplace_back(crl);
  }
  size_t blocks = 0;
  for (size_t at = bytes.find("-----BEGIN "); at != std::string::npos;
       at = bytes.find("-----BEGIN ", at + 1)) {
    ++blocks;
  }
  if (blocks != crls.size()) return {};
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

// Why a CRL cannot be applied as a complete list of this CA's revocations,
// or "" if it can.
std::string Unsupported(X509_CRL* crl) {
  if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0) {
    return "is a delta CRL; give the complete CRL";
  }
  for (int i = 0; i < X509_CRL_get_ext_count(crl); ++i) {
    X509_EXTENSION* extension = X509_CRL_get_ext(crl, i);
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(extension));
    if (nid == NID_issuing_distribution_point) {
      auto* point = static_cast<ISSUING_DIST_POINT*>(X509V3_EXT_d2i(extension));
      const bool indirect = point != nullptr && point->indirectCRL > 0;
      const bool partial =
          point != nullptr && (point->onlysomereasons != nullptr || point->distpoint != nullptr);
      ISSUING_DIST_POINT_free(point);
      if (indirect) return "is an indirect CRL, which is not supported";
      if (partial) return "covers only some reasons or one partition, not the CA's whole list";
    } else if (X509_EXTENSION_get_critical(extension) && nid != NID_crl_number &&
               nid != NID_authority_key_identifier) {
      return "carries a critical extension that is not applied";
    }
  }
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    if (X509_REVOKED_get_ext_by_NID(entry, NID_certificate_issuer, -1) >= 0) {
      return "names another issuer in an entry (indirect CRL), which is not supported";
    }
    for (int j = 0; j < X509_REVOKED_get_ext_count(entry); ++j) {
      X509_EXTENSION* extension = X509_REVOKED_get_ext(entry, j);
      const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(extension));
      if (X509_EXTENSION_get_critical(extension) && nid != NID_crl_reason &&
          nid != NID_invalidity_date) {
        return "carries a critical entry extension that is not applied";
      }
    }
  }
  return "";
}

int64_t IssuedAt(X509_CRL* crl) {
  struct tm when {};
  const ASN1_TIME* this_update = X509_CRL_get0_lastUpdate(crl);
  if (this_update == nullptr || ASN1_TIME_to_tm(this_update, &when) != 1) return 0;
  return static_cast<int64_t>(timegm(&when));
}

uint64_t CrlNumber(X509_CRL* crl) {
  auto* number =
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr));
  uint64_t value = 0;
  if (number != nullptr && ASN1_INTEGER_get_uint64(&value, number) != 1) value = 0;
  ASN1_INTEGER_free(number);
  return value;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const RevocationList>> RevocationList::Load(
    const std::vector<std::string>& files, const std::string& ca_bundle_pem,
    const RevocationList* in_force, bool skip_foreign) {
  auto list = std::make_shared<RevocationList>();
  const auto cas = ParseCas(ca_bundle_pem);
  // Each bundle CA by its name, with what names it (for the path up).
  std::set<std::string> bundle_names;
  for (const auto& ca : cas) {
    const std::string subject = NameKey(X509_get_subject_name(ca.get()));
    bundle_names.insert(subject);
    const std::string issuer = NameKey(X509_get_issuer_name(ca.get()));
    if (issuer != subject) {
      list->issued_by_.emplace(subject,
                               std::make_pair(issuer, SerialKey(X509_get0_serialNumber(ca.get()))));
    }
  }
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return BadCrl(file, "cannot be read");
    std::stringstream bytes;
    bytes << in.rdbuf();
    std::vector<Crl> crls = ParseCrls(bytes.str());
    if (crls.empty()) {
      return BadCrl(file, "holds no CRL in PEM or DER form, or a block that is not one");
    }
    for (const Crl& crl : crls) {
      const X509_NAME* issuer = X509_CRL_get_issuer(crl.get());
      bool signed_by_ca = false;
      bool issuer_known = false;
      for (const auto& ca : cas) {
        if (X509_NAME_cmp(X509_get_subject_name(ca.get()), issuer) != 0) continue;
        issuer_known = true;
        EVP_PKEY* key = X509_get0_pubkey(ca.get());
        if (key != nullptr && X509_CRL_verify(crl.get(), key) == 1) signed_by_ca = true;
      }
      if (!issuer_known && skip_foreign) {
        list->skipped_files_.push_back(file);
        continue;
      }
      if (!signed_by_ca) {
        return BadCrl(file, "is not signed by a CA in the client CA bundle");
      }
      if (const std::string why = Unsupported(crl.get()); !why.empty()) return BadCrl(file, why);
      const std::string issuer_key = NameKey(issuer);
      const uint64_t number = CrlNumber(crl.get());
      const int64_t issued = IssuedAt(crl.get());
      if (in_force != nullptr) {
        auto previous = in_force->crl_numbers_.find(issuer_key);
        if (previous != in_force->crl_numbers_.end() && number < previous->second) {
          return BadCrl(file, "is older (CRL number " + std::to_string(number) +
                                  ") than the one in force (" + std::to_string(previous->second) +
                                  ")");
        }
        // Without CRL numbers, by when each was issued.
        auto issued_before = in_force->issued_at_.find(issuer_key);
        if (issued_before != in_force->issued_at_.end() && issued < issued_before->second) {
          return BadCrl(file, "is older (issued earlier) than the one in force");
        }
      }
      uint64_t& kept = list->crl_numbers_[issuer_key];
      kept = std::max(kept, number);
      int64_t& kept_issued = list->issued_at_[issuer_key];
      kept_issued = std::max(kept_issued, issued);
      const ASN1_TIME* next_update = X509_CRL_get0_nextUpdate(crl.get());
      if (next_update != nullptr && X509_cmp_current_time(next_update) < 0) {
        list->stale_files_.push_back(file);
      }
      STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
      for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
        const ASN1_INTEGER* serial =
            X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i));
        list->revoked_.emplace(issuer_key, SerialKey(serial));
      }
    }
  }
  if (in_force != nullptr) {
    // A CA taken out of the bundle may take its CRL with it.
    for (const auto& [issuer, number] : in_force->crl_numbers_) {
      if (bundle_names.contains(issuer) && !list->crl_numbers_.contains(issuer)) {
        return BadCrl(files.empty() ? "(none)" : files.front(),
                      "the new files leave out a CA whose CRL is in force");
      }
    }
  }
  return std::shared_ptr<const RevocationList>(std::move(list));
}

}  // namespace ketenpoort::identity
