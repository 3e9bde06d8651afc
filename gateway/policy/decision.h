// What the policy engine answers for one request.
#ifndef KETENPOORT_GATEWAY_POLICY_DECISION_H_
#define KETENPOORT_GATEWAY_POLICY_DECISION_H_

#include <string>
#include <string_view>

#include "gateway/identity/partner.h"
#include "gateway/policy/rule.h"
#include "ketenpoort/v1/purpose.pb.h"

namespace ketenpoort::policy {

// Machine reasons for a denial; stable strings, part of the API.
namespace reason {
inline constexpr std::string_view kNoRule = "NO_RULE";
inline constexpr std::string_view kActorRole = "ACTOR_ROLE";
inline constexpr std::string_view kUnknownPartner = "UNKNOWN_PARTNER";
}  // namespace reason

struct DecisionRequest {
  const identity::Partner* partner = nullptr;
  std::string_view actor_role;
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  std::string_view record_type;
};

struct Decision {
  bool permit = false;
  const Rule* rule = nullptr;  // the permitting rule, when permitted
  std::string_view reason;     // empty when permitted
  std::string explanation;     // for humans; no personal data
};

}  // namespace ketenpoort::policy

#endif  // KETENPOORT_GATEWAY_POLICY_DECISION_H_
