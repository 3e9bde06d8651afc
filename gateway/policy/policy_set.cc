#include "gateway/policy/policy_set.h"

#include <algorithm>

#include "gateway/common/civil_date.h"

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

// How far a rule got before it failed; the furthest failure is reported.
enum Stage { kRequester = 0, kBreakGlass, kActorRole, kLinked, kWindow, kGp, kConsent, kPermit };

struct Check {
  Stage stage = kPermit;
  std::string_view reason;
  std::string explanation;
};

bool RequesterMatches(const Rule& rule, const identity::Partner& partner) {
  if (rule.partner_type && *rule.partner_type != partner.type) return false;
  return rule.partner_ids.empty() || std::find(rule.partner_ids.begin(), rule.partner_ids.end(),
                                               partner.id) != rule.partner_ids.end();
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Runs the rule's checks in order; kPermit when all pass.
Check Evaluate(const Rule& rule, const DecisionRequest& request) {
  const identity::Partner& partner = *request.partner;
  if (!RequesterMatches(rule, partner)) {
    return {kRequester, reason::kNoRule, "rule is for another requester"};
  }
  if (rule.break_glass() != request.break_glass) {
    return {kBreakGlass, reason::kNoRule,
            rule.break_glass() ? "break-glass rule; the request did not invoke break-glass"
                               : "the request invoked break-glass; this is not a break-glass rule"};
  }
  if (!rule.actor_roles.empty() && std::find(rule.actor_roles.begin(), rule.actor_roles.end(),
                                             request.actor_role) == rule.actor_roles.end()) {
    return {kActorRole, reason::kActorRole,
            "rule '" + rule.id + "' requires actor role " + Join(rule.actor_roles) +
                "; the request's actor role is not one of them"};
  }
  const Conditions& conditions = rule.conditions;
  if (conditions.linked_to_requester_municipality || conditions.window) {
    const std::optional<KoppelingFact> koppeling = request.facts->KoppelingOf(request.subject_id);
    if (conditions.linked_to_requester_municipality &&
        (!koppeling || koppeling->municipality_code != partner.municipality_code)) {
      return {kLinked, reason::kNotLinked,
              "the subject is not linked (gekoppeld) to municipality " + partner.municipality_code};
    }
    if (conditions.window) {
      if (!koppeling || !koppeling->move_day) {
        return {kWindow, reason::kOutsideWindow, "the subject has no known move date"};
      }
      const int64_t from = *koppeling->move_day - conditions.window->days_before;
      const int64_t until = *koppeling->move_day + conditions.window->days_after;
      if (request.today < from || request.today > until) {
        return {kWindow, reason::kOutsideWindow,
                "rule '" + rule.id + "' applies from " +
                    std::to_string(conditions.window->days_before) + " days before to " +
                    std::to_string(conditions.window->days_after) +
                    " days after the move date; today is outside that window"};
      }
    }
  }
  if (conditions.registered_with_requesting_gp &&
      !request.facts->IsRegisteredWithGp(request.subject_id, partner.id)) {
    return {kGp, reason::kNotRegisteredWithGp,
            "the subject is not registered with GP practice " + partner.id};
  }
  if (conditions.consent) {
    const ConsentVerdict verdict =
        request.facts->EvaluateConsent({request.subject_id, &partner, request.purpose,
                                        request.record_type, rule.category_mask, request.today});
    switch (verdict) {
      case ConsentVerdict::kPermit:
        break;
      case ConsentVerdict::kObjection:
        return {kConsent, reason::kConsentObjection,
                "the subject objected to this release to " + partner.id};
      case ConsentVerdict::kRevoked:
        return {kConsent, reason::kConsentRevoked,
                "the subject's consent for this release was revoked"};
      case ConsentVerdict::kNone:
        return {kConsent, reason::kConsentRequired,
                "rule '" + rule.id + "' needs the subject's consent for " +
                    Join(rule.released_categories) + " to " + partner.id + " for purpose " +
                    v1::Purpose_Name(rule.purpose) + "; none is recorded"};
    }
  }
  return {};
}

}  // namespace

Decision PolicySet::Decide(const DecisionRequest& request, std::vector<RuleTrace>* trace) const {
  Decision decision;
  if (request.partner == nullptr) {
    decision.reason = reason::kUnknownPartner;
    decision.explanation = "the client certificate's OIN is not a known partner";
    return decision;
  }
  const std::vector<const Rule*>* candidates = nullptr;
  if (auto by_type = index_.find(request.record_type); by_type != index_.end()) {
    if (auto by_purpose = by_type->second.find(request.purpose);
        by_purpose != by_type->second.end()) {
      candidates = &by_purpose->second;
    }
  }

  Check furthest{kRequester, reason::kNoRule, ""};
  if (candidates != nullptr) {
    for (const Rule* rule : *candidates) {
      Check check = Evaluate(*rule, request);
      if (trace != nullptr) {
        trace->push_back({rule, check.stage == kPermit,
                          check.stage == kPermit
                              ? "permits"
                              : std::string(check.reason) + ": " + check.explanation});
      }
      if (check.stage == kPermit) {
        decision.permit = true;
        decision.rule = rule;
        return decision;
      }
      if (check.stage > furthest.stage) furthest = std::move(check);
    }
  }

  decision.reason = furthest.reason;
  if (furthest.stage <= kBreakGlass) {
    decision.explanation = "no " + std::string(request.break_glass ? "break-glass " : "") +
                           "rule releases " + std::string(request.record_type) + " to " +
                           request.partner->id + " (" +
                           std::string(identity::PartnerTypeName(request.partner->type)) +
                           ") for purpose " + v1::Purpose_Name(request.purpose);
  } else {
    decision.explanation = std::move(furthest.explanation);
  }
  return decision;
}

}  // namespace ketenpoort::policy
