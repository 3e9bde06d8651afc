// Who may see one person's data now, and why (the person's "what can be
// seen now" at the subject portal, issue 24).
//
// For every partner, record type, purpose and role, the rules are walked
// as Decide walks them (the policy set's order, PolicySet::CheckRule), and
// what the first permitting rule releases is what the list says: it cannot
// promise more or less than the gateway does. The rules that fail only on
// consent before it say what the person's permission would open, or what
// their objection closes; a move window that has not begun is walked as on
// its first day, and says from when. Roles that may see the same are told
// together.
//
// Not listed: the person themself (own access), counts without names
// (STATISTICS), and who checks the audit log; the text says those apart.
#ifndef KETENPOORT_GATEWAY_POLICY_VISIBILITY_H_
#define KETENPOORT_GATEWAY_POLICY_VISIBILITY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/policy/facts.h"
#include "gateway/policy/policy_set.h"

namespace ketenpoort::policy {

enum class Reach {
  kNow,             // may see it today
  kLater,           // from the first day of a window around the move
  kEmergency,       // only by break-glass, reviewed afterwards
  kWithPermission,  // only with the person's permission
  kObjected,        // would, but the person objected
};

struct VisibleRecord {
  Reach reach = Reach::kNow;
  const identity::Partner* partner = nullptr;
  // Empty, and other_roles false: any staff member. other_roles: also
  // staff in roles no rule names (told as "other staff").
  std::vector<std::string> actor_roles;
  bool other_roles = false;
  std::string record_type;
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  LegalBasis legal_basis;
  std::vector<std::string> categories;  // DataCategory names, in enum order
  std::optional<int64_t> from_day;      // days since epoch, inclusive
  std::optional<int64_t> until_day;
};

// In order of reach, then partner and record type. Per role, a category
// that may be seen now is not listed again as needing permission or as
// objected to.
std::vector<VisibleRecord> WhoMaySee(const PolicySet& policy, const Facts& facts,
                                     std::string_view subject_id, int64_t today);

}  // namespace ketenpoort::policy

#endif  // KETENPOORT_GATEWAY_POLICY_VISIBILITY_H_
