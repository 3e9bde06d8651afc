// Keyed pseudonyms of subject ids for the audit log, so the log does not
// list who is in it: HMAC-SHA256 under a gateway secret read from a file.
// The same subject id always gives the same pseudonym, so a privacy
// officer holding the id can still find the person's entries through the
// gateway. Thread-safe (immutable).
#ifndef KETENPOORT_GATEWAY_AUDIT_PSEUDONYMIZER_H_
#define KETENPOORT_GATEWAY_AUDIT_PSEUDONYMIZER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ketenpoort::audit {

class Pseudonymizer {
 public:
  static absl::StatusOr<Pseudonymizer> FromKeyFile(const std::string& path);
  explicit Pseudonymizer(std::string key) : key_(std::move(key)) {}

  // Hex HMAC; empty for an empty id.
  std::string Pseudonym(std::string_view subject_id) const;

 private:
  std::string key_;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_PSEUDONYMIZER_H_
