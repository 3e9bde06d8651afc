// Facts for the policy engine, answered from the in-memory relationship and
// consent registries (no I/O on the decision path).
#ifndef KETENPOORT_GATEWAY_SERVER_REGISTRY_FACTS_H_
#define KETENPOORT_GATEWAY_SERVER_REGISTRY_FACTS_H_

#include "gateway/consent/consent_registry.h"
#include "gateway/policy/facts.h"
#include "gateway/relationships/relationship_registry.h"

namespace ketenpoort::server {

class RegistryFacts final : public policy::Facts {
 public:
  RegistryFacts(const relationships::RelationshipRegistry* relationships,
                const consent::ConsentRegistry* consents)
      : relationships_(relationships), consents_(consents) {}

  std::optional<policy::KoppelingFact> KoppelingOf(std::string_view subject_id) const override {
    return relationships_->KoppelingOf(subject_id);
  }
  bool IsRegisteredWithGp(std::string_view subject_id,
                          std::string_view practice_partner_id) const override {
    return relationships_->IsRegisteredWithGp(subject_id, practice_partner_id);
  }
  policy::ConsentVerdict EvaluateConsent(const policy::ConsentQuery& query) const override {
    return consents_->Evaluate(query);
  }
  bool HasPermitFor(std::string_view subject_id, const identity::Partner& recipient,
                    int64_t today) const override {
    return consents_->HasPermitFor(subject_id, recipient, today);
  }
  bool SamePerson(std::string_view a, std::string_view b) const override {
    return relationships_->SamePerson(a, b);
  }

 private:
  const relationships::RelationshipRegistry* relationships_;
  const consent::ConsentRegistry* consents_;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_REGISTRY_FACTS_H_
