// Runs policy test files (policies/tests/*.yaml): each case gives a request
// and the facts about the subject, and expects an effect, a reason and the
// released fields. Used by `ketenctl policy test` (and so by CTest) and by
// `ketenctl policy explain`.
//
//   cases:
//     - name: linked work consultant gets the work fields
//       request: {partner: gemeente-woerden, actor_role: werkconsulent,
//                 purpose: WORK_REINTEGRATION, record_type: noa.Assessment,
//                 break_glass: false, subject_signed_in: false,
//                 scope: person}      # or list, aggregate (policy/decision.h)
//       given:
//         today: "2026-05-01"
//         koppeling: {municipality_code: "0632", expected_move_date: "2026-05-20"}
//         gp_registration: huisartsenpraktijk-woerden
//         consents:
//           - {recipient: huisartsenpraktijk-woerden, purpose: CONTINUITY_OF_CARE,
//              categories: [SIGNAL], record_types: [], valid_from: "2026-01-01",
//              valid_until: "2026-12-31", effect: PERMIT, revoked: false}
//       expect: {effect: permit, rule: ..., released: [field paths]}
//     - ...
//       expect: {effect: deny, reason: NOT_LINKED, caller_reason: NOT_PERMITTED}
//     - name: a write: who may assert a fact (assertions.yaml)
//       request: {partner: gemeente-woerden, actor_role: maatschappelijk-begeleider,
//                 fact: gp_registration, practice: huisartsenpraktijk-woerden,
//                 evidence: true,        # the request carries an evidence reference
//                 holds_scope: false,    # consent: the caller's sources hold its scope
//                 names_self: false,     # consent: it names the caller as recipient
//                 recorded_by: gca,      # revocation: who recorded the consent
//                 may_record_it: true,   # revocation: the caller may still record it
//                 permit_to_caller: false}  # revocation: a permission naming the caller
//       given: {today: "2026-05-01", koppeling: {municipality_code: "0632"}}
//       expect: {effect: permit}
#ifndef KETENPOORT_GATEWAY_POLICY_POLICY_TEST_RUNNER_H_
#define KETENPOORT_GATEWAY_POLICY_POLICY_TEST_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/policy/fixed_facts.h"
#include "gateway/policy/policy_set.h"

namespace ketenpoort::policy {

// The subject every case asks about.
inline constexpr char kCaseSubject[] = "2000000001";

struct PolicyCase {
  std::string name;
  std::string location;  // file:line
  const identity::Partner* partner = nullptr;
  std::string actor_role;
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  std::string record_type;
  bool break_glass = false;
  // The subject portal asserts that the case's subject is the person
  // signed in (requester_is_subject).
  bool subject_signed_in = false;
  Scope scope = Scope::kPerson;
  int64_t today = 0;
  FixedFacts facts;
  // A write case: the fact asserted, and what the service would know.
  std::optional<Fact> fact;
  const identity::Partner* practice = nullptr;
  bool evidence = true;
  bool holds_scope = false;
  bool names_self = false;
  std::string recorded_by;
  bool may_record_it = false;
  bool permit_to_caller = false;

  // Expectations; empty strings are not checked.
  std::string expect_effect;  // "permit" or "deny"
  std::string expect_reason;
  std::string expect_caller_reason;
  std::string expect_rule;
  std::optional<std::vector<std::string>> expect_released;

  DecisionRequest Request() const;
  AssertionRequest Assertion() const;  // for a write case
};

struct CaseResult {
  std::string name;
  std::string location;
  bool passed = false;
  std::string message;  // why it failed
};

// Parses one test file against a policy set; errors name file and line.
absl::StatusOr<std::vector<PolicyCase>> LoadPolicyCases(const std::string& path,
                                                        const PolicySet& policies);
CaseResult RunPolicyCase(const PolicyCase& test, const PolicySet& policies);

}  // namespace ketenpoort::policy

#endif  // KETENPOORT_GATEWAY_POLICY_POLICY_TEST_RUNNER_H_
