#include "gateway/policy/policy_set.h"

#include <algorithm>
#include <set>

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
    // A rule is filed under every partner type it can apply to, so a
    // decision only walks rules for the caller's type: flat in set size.
    auto& by_type = index_[rule->record_type][rule->purpose];
    std::set<identity::PartnerType> types;
    if (rule->partner_type) types.insert(*rule->partner_type);
    for (const std::string& id : rule->partner_ids) {
      if (const identity::Partner* partner = partners_.FindById(id)) types.insert(partner->type);
    }
    for (identity::PartnerType type : types) {
      by_type[static_cast<size_t>(type)].push_back(rule.get());
    }
  }
}

namespace {

// How far a rule got before it failed; the furthest failure is reported.
enum Stage {
  kRequester = 0,
  kBreakGlass,
  kActorRole,
  kPopulation,
  kSubject,
  kLinked,
  kWindow,
  kGp,
  kConsent,
  kPermit
};

// The outcome of checking one rule. No strings: explanations are built
// only for the failure that is reported (Explain), keeping the hot path
// free of allocations.
struct Check {
  Stage stage = kPermit;
  std::string_view reason;
  ConsentVerdict consent = ConsentVerdict::kPermit;
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
  if (!RequesterMatches(rule, partner)) return {kRequester, reason::kNoRule};
  if (rule.break_glass() != request.break_glass) return {kBreakGlass, reason::kNoRule};
  if (!rule.actor_roles.empty() && std::find(rule.actor_roles.begin(), rule.actor_roles.end(),
                                             request.actor_role) == rule.actor_roles.end()) {
    return {kActorRole, reason::kActorRole};
  }
  const Conditions& conditions = rule.conditions;
  if (request.scope != Scope::kPerson) {
    // A population: linked by construction; nothing else can be known.
    if (conditions.window || conditions.registered_with_requesting_gp ||
        conditions.requester_is_subject || conditions.consent) {
      return {kPopulation, reason::kPerPersonCondition};
    }
    return {};
  }
  if (conditions.requester_is_subject &&
      !request.facts->SamePerson(request.authenticated_subject, request.subject_id)) {
    return {kSubject, reason::kNotTheSubject};
  }
  if (conditions.linked_to_requester_municipality || conditions.window) {
    const std::optional<KoppelingFact> koppeling = request.facts->KoppelingOf(request.subject_id);
    if (conditions.linked_to_requester_municipality &&
        (!koppeling || !partner.Serves(koppeling->municipality_code))) {
      return {kLinked, reason::kNotLinked};
    }
    if (conditions.window) {
      if (!koppeling || !koppeling->move_day ||
          request.today < *koppeling->move_day - conditions.window->days_before ||
          request.today > *koppeling->move_day + conditions.window->days_after) {
        return {kWindow, reason::kOutsideWindow};
      }
    }
  }
  if (conditions.registered_with_requesting_gp &&
      !request.facts->IsRegisteredWithGp(request.subject_id, partner.id)) {
    return {kGp, reason::kNotRegisteredWithGp};
  }
  if (conditions.consent) {
    const ConsentVerdict verdict =
        request.facts->EvaluateConsent({request.subject_id, &partner, request.purpose,
                                        request.record_type, rule.category_mask, request.today});
    switch (verdict) {
      case ConsentVerdict::kPermit:
        break;
      case ConsentVerdict::kObjection:
        return {kConsent, reason::kConsentObjection, verdict};
      case ConsentVerdict::kRevoked:
        return {kConsent, reason::kConsentRevoked, verdict};
      case ConsentVerdict::kNone:
        return {kConsent, reason::kConsentRequired, verdict};
    }
  }
  return {};
}

// Human explanation of a failed check; never names the subject.
std::string Explain(const Rule& rule, const DecisionRequest& request, const Check& check) {
  const identity::Partner& partner = *request.partner;
  switch (check.stage) {
    case kRequester:
      return "rule is for another requester";
    case kBreakGlass:
      return rule.break_glass() ? "break-glass rule; the request did not invoke break-glass"
                                : "the request invoked break-glass; this is not a break-glass rule";
    case kActorRole:
      return "rule '" + rule.id + "' requires actor role " + Join(rule.actor_roles) +
             "; the request's actor role is not one of them";
    case kPopulation:
      return "rule '" + rule.id +
             "' has a condition that holds per person (consent, move window, GP registration or "
             "own access); it cannot answer for all persons linked to the requester";
    case kSubject:
      return "rule '" + rule.id +
             "' is for the person's own access; the request is not about the person signed in";
    case kLinked:
      return partner.region.empty()
                 ? "the subject is not linked (gekoppeld) to municipality " +
                       partner.municipality_code
                 : "the subject is not linked (gekoppeld) to a municipality in the region of " +
                       partner.id;
    case kWindow:
      return "rule '" + rule.id + "' applies from " +
             std::to_string(rule.conditions.window->days_before) + " days before to " +
             std::to_string(rule.conditions.window->days_after) +
             " days after the subject's move date; the request is outside that window, or the "
             "move date is unknown";
    case kGp:
      return "the subject is not registered with GP practice " + partner.id;
    case kConsent:
      switch (check.consent) {
        case ConsentVerdict::kObjection:
          return "the subject objected to this release to " + partner.id;
        case ConsentVerdict::kRevoked:
          return "the subject's consent for this release was revoked";
        default:
          return "rule '" + rule.id + "' needs the subject's consent for " +
                 Join(rule.released_categories) + " to " + partner.id + " for purpose " +
                 v1::Purpose_Name(rule.purpose) + "; none is recorded";
      }
    case kPermit:
      return "permits";
  }
  return "";
}

// Whether the caller already knows it stands in a relationship with the
// person: the municipality the person is linked to, the GP they are
// registered with, a recipient of their permission, or the person
// themself. Then a denial may say why. A GP or GGD merely in the same
// municipality does not: it would learn who is linked there.
bool KnowsThePerson(const DecisionRequest& request) {
  const identity::Partner& partner = *request.partner;
  if (request.subject_id.empty()) return true;  // a population: nobody in particular
  if (partner.type == identity::PartnerType::kSubjectPortal &&
      request.facts->SamePerson(request.authenticated_subject, request.subject_id)) {
    return true;  // the person themself, at the portal
  }
  const std::optional<KoppelingFact> koppeling = request.facts->KoppelingOf(request.subject_id);
  if (partner.type == identity::PartnerType::kGemeente && koppeling &&
      partner.Serves(koppeling->municipality_code)) {
    return true;
  }
  return request.facts->IsRegisteredWithGp(request.subject_id, partner.id) ||
         request.facts->HasPermitFor(request.subject_id, partner, request.today);
}

// Fills in what the caller of a denial is told.
void Disclose(const DecisionRequest& request, Decision& decision) {
  if (!reason::IsAboutThePerson(decision.reason) || KnowsThePerson(request)) {
    decision.caller_reason = decision.reason;
    decision.caller_explanation = decision.explanation;
    return;
  }
  decision.caller_reason = reason::kNotPermitted;
  decision.caller_explanation =
      "no rule permits this request for this person; the reason is recorded in the audit log, "
      "and told only to a partner that has a relationship with the person";
}

}  // namespace

bool reason::IsAboutThePerson(std::string_view reason) {
  return reason == kNotLinked || reason == kOutsideWindow || reason == kNotRegisteredWithGp ||
         reason == kConsentRequired || reason == kConsentRevoked || reason == kConsentObjection;
}

RuleCheck PolicySet::CheckRule(const Rule& rule, const DecisionRequest& request) {
  const Check check = Evaluate(rule, request);
  return {.permit = check.stage == kPermit, .reason = check.reason, .consent = check.consent};
}

Decision PolicySet::Decide(const DecisionRequest& request, std::vector<RuleTrace>* trace) const {
  Decision decision;
  if (request.partner == nullptr) {
    decision.reason = decision.caller_reason = reason::kUnknownPartner;
    decision.explanation = decision.caller_explanation =
        "the client certificate's OIN is not a known partner";
    return decision;
  }
  // Statistics are counts, never a person's record; counts are statistics.
  if ((request.purpose == v1::STATISTICS) != (request.scope == Scope::kAggregate)) {
    const bool statistics = request.purpose == v1::STATISTICS;
    decision.reason = statistics ? reason::kAggregateOnly : reason::kStatisticsOnly;
    decision.explanation = statistics ? "purpose STATISTICS releases counts only, never a "
                                        "person's record or a list of persons"
                                      : "aggregates are answered for purpose STATISTICS only";
    decision.caller_reason = decision.reason;
    decision.caller_explanation = decision.explanation;
    return decision;
  }
  const std::vector<const Rule*>* candidates = nullptr;
  if (auto by_type = index_.find(request.record_type); by_type != index_.end()) {
    if (auto by_purpose = by_type->second.find(request.purpose);
        by_purpose != by_type->second.end()) {
      candidates = &by_purpose->second[static_cast<size_t>(request.partner->type)];
    }
  }

  Check furthest{kRequester, reason::kNoRule};
  const Rule* furthest_rule = nullptr;
  if (candidates != nullptr) {
    for (const Rule* rule : *candidates) {
      const Check check = Evaluate(*rule, request);
      if (trace != nullptr) {
        trace->push_back({rule, check.stage == kPermit,
                          check.stage == kPermit
                              ? "permits"
                              : std::string(check.reason) + ": " + Explain(*rule, request, check)});
      }
      if (check.stage == kPermit) {
        decision.permit = true;
        decision.rule = rule;
        return decision;
      }
      if (check.stage > furthest.stage) {
        furthest = check;
        furthest_rule = rule;
      }
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
    decision.explanation = Explain(*furthest_rule, request, furthest);
  }
  Disclose(request, decision);
  return decision;
}

}  // namespace ketenpoort::policy
