#include "gateway/audit/pseudonymizer.h"

#include "gateway/common/crypto.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {

absl::StatusOr<Pseudonymizer> Pseudonymizer::FromKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string key, crypto::ReadKeyFile(path));
  return Pseudonymizer(std::move(key));
}

std::string Pseudonymizer::Digest(std::string_view bytes) const {
  return crypto::ToHex(crypto::HmacSha256(key_, bytes));
}

std::string Pseudonymizer::Pseudonym(std::string_view subject_id) const {
  if (subject_id.empty()) return "";
  return Digest(persons_ == nullptr ? std::string(subject_id) : persons_->PersonOf(subject_id).key);
}

std::vector<std::string> Pseudonymizer::Pseudonyms(std::string_view subject_id) const {
  if (subject_id.empty()) return {};
  if (persons_ == nullptr) return {Digest(subject_id)};
  std::vector<std::string> pseudonyms;
  for (const std::string& id : persons_->PersonOf(subject_id).ids) {
    pseudonyms.push_back(Digest(id));
  }
  return pseudonyms;
}

}  // namespace ketenpoort::audit
