// What the policy engine answers for one request.
#ifndef KETENPOORT_GATEWAY_POLICY_DECISION_H_
#define KETENPOORT_GATEWAY_POLICY_DECISION_H_

#include <string>
#include <string_view>
#include <vector>

#include "gateway/identity/partner.h"
#include "gateway/policy/facts.h"
#include "gateway/policy/rule.h"
#include "ketenpoort/v1/purpose.pb.h"

namespace ketenpoort::policy {

// Machine reasons for a denial; stable strings, part of the API.
namespace reason {
inline constexpr std::string_view kNoRule = "NO_RULE";
inline constexpr std::string_view kActorRole = "ACTOR_ROLE";
inline constexpr std::string_view kUnknownPartner = "UNKNOWN_PARTNER";
inline constexpr std::string_view kNotLinked = "NOT_LINKED";
inline constexpr std::string_view kOutsideWindow = "OUTSIDE_WINDOW";
inline constexpr std::string_view kNotRegisteredWithGp = "NOT_REGISTERED_WITH_GP";
inline constexpr std::string_view kConsentRequired = "CONSENT_REQUIRED";
inline constexpr std::string_view kConsentRevoked = "CONSENT_REVOKED";
inline constexpr std::string_view kConsentObjection = "CONSENT_OBJECTION";
inline constexpr std::string_view kNotTheSubject = "NOT_THE_SUBJECT";
// Purpose STATISTICS asked for a person's record, or a list of persons.
inline constexpr std::string_view kAggregateOnly = "AGGREGATE_ONLY";
// An aggregate asked for another purpose than STATISTICS.
inline constexpr std::string_view kStatisticsOnly = "STATISTICS_ONLY";
// The rule has a condition that holds per person (consent, move window,
// GP registration, own access), so it cannot answer for a population.
inline constexpr std::string_view kPerPersonCondition = "PER_PERSON_CONDITION";
// What a caller with no relationship to the person sees instead of any
// reason that depends on facts about the person (IsAboutThePerson): an
// unknown id, a person linked elsewhere, outside the window, not
// registered, without consent or with an objection all look the same.
inline constexpr std::string_view kNotPermitted = "NOT_PERMITTED";

// Whether `reason` tells something about the person's facts (koppeling,
// move date, GP registration, consents and objections).
bool IsAboutThePerson(std::string_view reason);
}  // namespace reason

// What the answer will be. A list or an aggregate covers the persons linked
// to the requester's municipality: `subject_id` is empty, and the rule's
// linked_to_requester_municipality condition holds by construction. Every
// person on a list is then decided again, one by one, at kPerson scope.
enum class Scope {
  kPerson,     // one person's record
  kList,       // records of the persons linked to the requester
  kAggregate,  // counts over them; purpose STATISTICS, and only it
};

struct DecisionRequest {
  const identity::Partner* partner = nullptr;
  std::string_view actor_role;
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  std::string_view record_type;
  std::string_view subject_id;
  // The person signed in at a subject portal, as the portal asserts it
  // (x-authenticated-subject); empty for every other caller.
  std::string_view authenticated_subject;
  int64_t today = 0;             // days since epoch
  bool break_glass = false;      // only vital_interest rules apply, and only then
  const Facts* facts = nullptr;  // required
  Scope scope = Scope::kPerson;
};

struct Decision {
  bool permit = false;
  const Rule* rule = nullptr;  // the permitting rule, when permitted
  // The detailed reason: always recorded in the audit entry.
  std::string_view reason;  // empty when permitted
  std::string explanation;  // for humans; no personal data
  // What the caller is told: the detailed reason where the caller already
  // knows its relationship with the person (the linked municipality, the
  // registered GP, a recipient of the person's consent) or where the reason
  // says nothing about the person; kNotPermitted otherwise.
  std::string_view caller_reason;
  std::string caller_explanation;
};

// One line of `ketenctl policy explain`: what happened to one rule.
// What one rule says about one request.
struct RuleCheck {
  bool permit = false;
  std::string_view reason;                           // empty when permitted
  ConsentVerdict consent = ConsentVerdict::kPermit;  // when a consent check failed
};

struct RuleTrace {
  const Rule* rule = nullptr;
  bool matched = false;
  std::string outcome;
};

}  // namespace ketenpoort::policy

#endif  // KETENPOORT_GATEWAY_POLICY_DECISION_H_
