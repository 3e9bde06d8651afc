// Keyed pseudonyms of persons for the audit log, so the log does not list
// who is in it: HMAC-SHA256 under a gateway secret read from a file.
// The same person always gives the same pseudonym, whichever of their
// identifiers a request used (decision 0028): the pseudonym is of the
// person's key, the V-nummer once linked. A privacy officer holding either
// id can still find the person's entries through the gateway. Thread-safe
// (immutable; the directory is thread-safe).
#ifndef KETENPOORT_GATEWAY_AUDIT_PSEUDONYMIZER_H_
#define KETENPOORT_GATEWAY_AUDIT_PSEUDONYMIZER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/identity/person.h"

namespace ketenpoort::audit {

class Pseudonymizer {
 public:
  // Without a directory every identifier is its own person.
  static absl::StatusOr<Pseudonymizer> FromKeyFile(const std::string& path);
  // `persons` (not owned) must outlive the pseudonymizer.
  explicit Pseudonymizer(std::string key, const identity::PersonDirectory* persons = nullptr)
      : key_(std::move(key)), persons_(persons) {}

  // The person's pseudonym, hex; empty for an empty id.
  std::string Pseudonym(std::string_view subject_id) const;
  // Every pseudonym the person's entries may carry, the current one first:
  // entries made under a BSN before it was linked carry the BSN's.
  std::vector<std::string> Pseudonyms(std::string_view subject_id) const;
  // The keyed digest of any bytes, hex (e.g. to recognise a repeated
  // request without storing it).
  std::string Digest(std::string_view bytes) const;

 private:
  std::string key_;
  const identity::PersonDirectory* persons_;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_PSEUDONYMIZER_H_
