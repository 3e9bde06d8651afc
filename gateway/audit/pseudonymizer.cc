#include "gateway/audit/pseudonymizer.h"

#include "gateway/common/crypto.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {

absl::StatusOr<Pseudonymizer> Pseudonymizer::FromKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string key, crypto::ReadKeyFile(path));
  return Pseudonymizer(std::move(key));
}

std::string Pseudonymizer::Pseudonym(std::string_view subject_id) const {
  if (subject_id.empty()) return "";
  return crypto::ToHex(crypto::HmacSha256(key_, subject_id));
}

}  // namespace ketenpoort::audit
