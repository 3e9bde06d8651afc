// Facts about one subject given up front: for policy tests, `ketenctl
// policy explain` and benchmarks. Consents are matched exactly as the
// registry matches them.
#ifndef KETENPOORT_GATEWAY_POLICY_FIXED_FACTS_H_
#define KETENPOORT_GATEWAY_POLICY_FIXED_FACTS_H_

#include <string>
#include <vector>

#include "gateway/consent/consent_matcher.h"
#include "gateway/policy/facts.h"

namespace ketenpoort::policy {

class FixedFacts final : public Facts {
 public:
  std::optional<KoppelingFact> koppeling;
  std::string gp_practice;
  std::vector<consent::CompiledConsent> consents;

  std::optional<KoppelingFact> KoppelingOf(std::string_view) const override { return koppeling; }
  bool IsRegisteredWithGp(std::string_view, std::string_view practice) const override {
    return !gp_practice.empty() && gp_practice == practice;
  }
  ConsentVerdict EvaluateConsent(const ConsentQuery& query) const override {
    return consent::Evaluate(consents, query);
  }
  bool HasPermitFor(std::string_view, const identity::Partner& recipient,
                    int64_t today) const override {
    return consent::HasPermitFor(consents, recipient, today);
  }
};

}  // namespace ketenpoort::policy

#endif  // KETENPOORT_GATEWAY_POLICY_FIXED_FACTS_H_
