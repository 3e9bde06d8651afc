// Who may assert which fact about whom: the write side of the policy.
//
// The access rules decide on facts (koppelingen, GP registrations, consents
// and objections). Whoever can write those facts can grant access, so who
// may write them is policy too, in policies/assertions.yaml, validated at
// load like the rules and swapped with them on reload. Deny by default: a
// fact with no entry, or a missing file, can be asserted by no one.
//
//   facts:
//     - fact: gp_registration
//       why: one line, shown by `ketenctl policy explain`
//       evidence: required        # the request must carry an evidence reference
//       practice_serves_linked_municipality: true   # gp_registration only
//       asserted_by:
//         - partner_type: gemeente
//           actor_roles: [maatschappelijk-begeleider]
//           relation: linked_to_own_municipality
//         - partner_type: subject_portal
//           relation: self
//
// One invariant is not policy but built in: a recipient never records a
// consent or objection that names itself (by partner id, or by partner type
// within a municipality it serves). Immutable after loading; thread-safe.
#ifndef KETENPOORT_GATEWAY_POLICY_ASSERTIONS_H_
#define KETENPOORT_GATEWAY_POLICY_ASSERTIONS_H_

#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/common/yaml_file.h"
#include "gateway/identity/partner_registry.h"
#include "gateway/policy/facts.h"

namespace ketenpoort::policy {

enum class Fact {
  kKoppeling,         // subject -> municipality, with the expected move date
  kGpRegistration,    // subject -> GP practice (a new one, or a change of GP)
  kGpDeregistration,  // ending the current registration
  kConsent,           // a permission (ConsentEffect PERMIT)
  kObjection,         // an objection (ConsentEffect OBJECTION)
  kRevocation,        // revoking a consent or objection
  kIdentifierLink,    // a V-nummer and a BSN are one person
};
inline constexpr size_t kFactCount = 7;
std::optional<Fact> ParseFact(std::string_view name);
std::string_view FactName(Fact fact);

// How the asserting caller must stand to the subject or the fact.
enum class Relation {
  kAny,                      // no condition about the subject
  kSelf,                     // the subject is the person signed in at the portal
  kLinkedToOwnMunicipality,  // the subject's koppeling is to a municipality the caller serves
  kCurrentPractice,          // the subject is registered with the caller's practice
  kDataHolder,               // the caller's sources hold what the consent covers
  kRecorder,                 // the caller recorded it, and may still record it
  kRecipientOfPermit,        // the consent being revoked is a permission naming the caller
};
std::optional<Relation> ParseRelation(std::string_view name);
std::string_view RelationName(Relation relation);

struct AssertionGrant {
  std::optional<identity::PartnerType> partner_type;  // empty: any partner type
  std::vector<std::string> actor_roles;               // empty: any role
  Relation relation = Relation::kAny;
  std::string location;  // file:line
};

struct FactPolicy {
  std::string why;
  bool evidence_required = false;
  bool practice_serves_linked_municipality = false;
  std::vector<AssertionGrant> grants;  // any one entitles
  std::string location;
};

// What the caller asks to assert, with what the service knows about it.
struct AssertionRequest {
  Fact fact = Fact::kKoppeling;
  const identity::Partner* partner = nullptr;  // required
  std::string_view actor_role;
  std::string_view subject_id;
  std::string_view authenticated_subject;  // portal only
  const Facts* facts = nullptr;            // required: koppeling and GP registration
  bool has_evidence = false;
  // gp_registration: the practice named.
  const identity::Partner* practice = nullptr;
  // consent and objection: whether the caller's sources hold what the
  // consent covers (every covered record type for a permission, at least
  // one for an objection), and whether the consent names the caller.
  bool caller_holds_scope = false;
  bool names_caller_as_recipient = false;
  // revocation: who recorded it; whether the caller may still record it
  // (partner, role and relation, as the consent or objection itself); and
  // whether it is a permission naming the caller by partner id.
  std::string_view recorded_by;
  bool may_record_it = false;
  bool permit_to_caller = false;
};

struct AssertionDecision {
  bool permit = false;
  const AssertionGrant* grant = nullptr;  // the entitling entry, when permitted
  std::string explanation;                // for the audit and explain; no personal data
};

class AssertionPolicy {
 public:
  // `known_roles`: every actor role the access rules name; an assertion
  // naming another is a typo and refused.
  static absl::StatusOr<AssertionPolicy> Load(const YamlFile& file,
                                              const std::set<std::string>& known_roles);
  // Nothing may be asserted.
  AssertionPolicy() = default;

  AssertionDecision Decide(const AssertionRequest& request) const;
  const FactPolicy* For(Fact fact) const {
    const auto& policy = facts_[static_cast<size_t>(fact)];
    return policy ? &*policy : nullptr;
  }

 private:
  std::array<std::optional<FactPolicy>, kFactCount> facts_;
};

}  // namespace ketenpoort::policy

#endif  // KETENPOORT_GATEWAY_POLICY_ASSERTIONS_H_
