// A validated, compiled set of policy rules: deny by default.
//
// Loaded from the YAML files in the policy directory (partners.yaml holds
// the partners; assertions.yaml who may assert which fact (assertions.h);
// every other *.yaml file holds rules). Any unknown purpose,
// record type, field path, category, partner or partner type refuses the
// whole set, naming file and line. Immutable after loading: share it as
// std::shared_ptr<const PolicySet> and swap the pointer to reload.
#ifndef KETENPOORT_GATEWAY_POLICY_POLICY_SET_H_
#define KETENPOORT_GATEWAY_POLICY_POLICY_SET_H_

#include <array>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/identity/partner_registry.h"
#include "gateway/policy/assertions.h"
#include "gateway/policy/decision.h"
#include "gateway/policy/rule.h"
#include "gateway/records/record_catalog.h"

namespace ketenpoort::policy {

class PolicySet {
 public:
  // Loads `dir`/partners.yaml and the rule files beside it.
  static absl::StatusOr<std::shared_ptr<const PolicySet>> LoadDirectory(
      const std::string& dir, const records::RecordCatalog& catalog);

  // Deny by default. With `trace`, records what happened to every rule
  // considered (for `ketenctl policy explain`); decisions never need it.
  Decision Decide(const DecisionRequest& request, std::vector<RuleTrace>* trace = nullptr) const;
  // One rule's checks, exactly as Decide runs them (visibility.h asks
  // every rule in turn).
  static RuleCheck CheckRule(const Rule& rule, const DecisionRequest& request);

  const identity::PartnerRegistry& partners() const { return partners_; }
  const std::vector<std::unique_ptr<Rule>>& rules() const { return rules_; }
  const AssertionPolicy& assertions() const { return assertions_; }
  // "sha256:<hex>" over the names and contents of every file loaded.
  const std::string& version() const { return version_; }

 private:
  friend class PolicyLoader;
  PolicySet() = default;
  void BuildIndex();

  identity::PartnerRegistry partners_;
  std::vector<std::unique_ptr<Rule>> rules_;
  AssertionPolicy assertions_;
  std::string version_;
  // record type -> purpose -> partner type -> candidate rules, in file order.
  using ByPartnerType = std::array<std::vector<const Rule*>, identity::kPartnerTypeCount>;
  std::map<std::string, std::map<int, ByPartnerType>, std::less<>> index_;
};

}  // namespace ketenpoort::policy

#endif  // KETENPOORT_GATEWAY_POLICY_POLICY_SET_H_
