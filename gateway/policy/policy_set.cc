#include "gateway/policy/policy_set.h"

#include <algorithm>

namespace ketenpoort::policy {

std::string_view LegalBasisName(LegalBasisKind kind) {
  switch (kind) {
    case LegalBasisKind::kConsent:
      return "consent";
    case LegalBasisKind::kStatutory:
      return "statutory";
    case LegalBasisKind::kVitalInterest:
      return "vital_interest";
  }
  return "unknown";
}

void PolicySet::BuildIndex() {
  index_.clear();
  for (const auto& rule : rules_) {
    index_[rule->record_type][rule->purpose].push_back(rule.get());
  }
}

namespace {

bool RequesterMatches(const Rule& rule, const identity::Partner& partner) {
  if (rule.partner_type && *rule.partner_type != partner.type) return false;
  if (!rule.partner_ids.empty() && std::find(rule.partner_ids.begin(), rule.partner_ids.end(),
                                             partner.id) == rule.partner_ids.end()) {
    return false;
  }
  return true;
}

bool ActorRoleMatches(const Rule& rule, std::string_view role) {
  return rule.actor_roles.empty() || std::find(rule.actor_roles.begin(), rule.actor_roles.end(),
                                               role) != rule.actor_roles.end();
}

}  // namespace

Decision PolicySet::Decide(const DecisionRequest& request) const {
  Decision decision;
  if (request.partner == nullptr) {
    decision.reason = reason::kUnknownPartner;
    decision.explanation = "the client certificate's OIN is not a known partner";
    return decision;
  }
  const std::string purpose_name = v1::Purpose_Name(request.purpose);
  const std::vector<const Rule*>* candidates = nullptr;
  if (auto by_type = index_.find(request.record_type); by_type != index_.end()) {
    if (auto by_purpose = by_type->second.find(request.purpose);
        by_purpose != by_type->second.end()) {
      candidates = &by_purpose->second;
    }
  }

  const Rule* role_mismatch = nullptr;
  if (candidates != nullptr) {
    for (const Rule* rule : *candidates) {
      if (!RequesterMatches(*rule, *request.partner)) continue;
      if (!ActorRoleMatches(*rule, request.actor_role)) {
        if (role_mismatch == nullptr) role_mismatch = rule;
        continue;
      }
      decision.permit = true;
      decision.rule = rule;
      return decision;
    }
  }

  if (role_mismatch != nullptr) {
    decision.reason = reason::kActorRole;
    std::string roles;
    for (const std::string& role : role_mismatch->actor_roles) {
      roles += (roles.empty() ? "" : ", ") + role;
    }
    decision.explanation = "rule '" + role_mismatch->id + "' requires actor role " + roles +
                           "; the request's actor role is not one of them";
    return decision;
  }
  decision.reason = reason::kNoRule;
  decision.explanation = "no rule releases " + std::string(request.record_type) + " to " +
                         request.partner->id + " (" +
                         std::string(identity::PartnerTypeName(request.partner->type)) +
                         ") for purpose " + purpose_name;
  return decision;
}

}  // namespace ketenpoort::policy
