#include "gateway/policy/assertions.h"

#include <algorithm>

#include "gateway/common/status_macros.h"

namespace ketenpoort::policy {
namespace {

constexpr std::array<std::string_view, kFactCount> kFactNames = {
    "koppeling", "gp_registration", "gp_deregistration", "consent",
    "objection", "revocation",      "identifier_link"};

constexpr std::array<std::string_view, 7> kRelationNames = {
    "any",         "self",     "linked_to_own_municipality", "current_practice",
    "data_holder", "recorder", "recipient_of_permit"};

// Which relations make sense for which fact; anything else is a mistake
// in the file (a relation the service cannot evaluate for that fact).
bool RelationFits(Relation relation, Fact fact) {
  switch (relation) {
    case Relation::kAny:
      return true;
    case Relation::kSelf:
    case Relation::kLinkedToOwnMunicipality:
      // A relation to the V-nummer says nothing about the BSN: a person
      // signed in, or a municipality, would claim anyone's BSN for someone
      // it may speak for. Only a party that holds both (COA's TVS) links.
      return fact != Fact::kIdentifierLink;
    case Relation::kCurrentPractice:
      return fact == Fact::kGpDeregistration;
    case Relation::kDataHolder:
      return fact == Fact::kConsent || fact == Fact::kObjection;
    case Relation::kRecorder:
    case Relation::kRecipientOfPermit:
      return fact == Fact::kRevocation;
  }
  return false;
}

bool RelationHolds(Relation relation, const AssertionRequest& request) {
  const identity::Partner& partner = *request.partner;
  switch (relation) {
    case Relation::kAny:
      return true;
    case Relation::kSelf:
      return partner.type == identity::PartnerType::kSubjectPortal &&
             request.facts->SamePerson(request.authenticated_subject, request.subject_id);
    case Relation::kLinkedToOwnMunicipality: {
      const std::optional<KoppelingFact> koppeling = request.facts->KoppelingOf(request.subject_id);
      return koppeling && partner.Serves(koppeling->municipality_code);
    }
    case Relation::kCurrentPractice:
      return request.facts->IsRegisteredWithGp(request.subject_id, partner.id);
    case Relation::kDataHolder:
      return request.caller_holds_scope;
    case Relation::kRecorder:
      // Another role at the recorder (a work consultant where the social
      // guidance recorded it) may not lift what it could not have recorded.
      return request.recorded_by == partner.id && request.may_record_it;
    case Relation::kRecipientOfPermit:
      return request.permit_to_caller;
  }
  return false;
}

std::string Describe(const AssertionGrant& grant) {
  std::string text =
      grant.partner_type ? std::string(identity::PartnerTypeName(*grant.partner_type)) : "any";
  if (!grant.actor_roles.empty()) {
    text += " as ";
    for (size_t i = 0; i < grant.actor_roles.size(); ++i) {
      text += (i == 0 ? "" : "/") + grant.actor_roles[i];
    }
  }
  return text + " (" + std::string(RelationName(grant.relation)) + ")";
}

absl::StatusOr<AssertionGrant> ParseGrant(const YamlFile& file, const YAML::Node& node, Fact fact,
                                          const std::set<std::string>& known_roles) {
  RETURN_IF_ERROR(file.OnlyKeys(node, {"partner_type", "actor_roles", "relation"}));
  AssertionGrant grant;
  grant.location = file.Where(node);
  ASSIGN_OR_RETURN(std::string type, file.OptionalString(node, "partner_type"));
  if (!type.empty()) {
    grant.partner_type = identity::ParsePartnerType(type);
    if (!grant.partner_type) {
      return file.ErrorAt(node["partner_type"], "unknown partner type '" + type + "'");
    }
  }
  ASSIGN_OR_RETURN(grant.actor_roles, file.StringList(node, "actor_roles"));
  for (const std::string& role : grant.actor_roles) {
    if (known_roles.count(role) == 0) {
      return file.ErrorAt(node["actor_roles"],
                          "unknown actor role '" + role + "': no access rule names it");
    }
  }
  ASSIGN_OR_RETURN(std::string relation, file.RequiredString(node, "relation"));
  const std::optional<Relation> parsed = ParseRelation(relation);
  if (!parsed) return file.ErrorAt(node["relation"], "unknown relation '" + relation + "'");
  grant.relation = *parsed;
  if (!RelationFits(grant.relation, fact)) {
    return file.ErrorAt(node["relation"], "relation '" + relation + "' does not apply to fact '" +
                                              std::string(FactName(fact)) + "'");
  }
  if (grant.relation == Relation::kSelf &&
      grant.partner_type != identity::PartnerType::kSubjectPortal) {
    return file.ErrorAt(node, "relation 'self' needs partner_type subject_portal");
  }
  return grant;
}

}  // namespace

std::optional<Fact> ParseFact(std::string_view name) {
  for (size_t i = 0; i < kFactNames.size(); ++i) {
    if (kFactNames[i] == name) return static_cast<Fact>(i);
  }
  return std::nullopt;
}

std::string_view FactName(Fact fact) { return kFactNames[static_cast<size_t>(fact)]; }

std::optional<Relation> ParseRelation(std::string_view name) {
  for (size_t i = 0; i < kRelationNames.size(); ++i) {
    if (kRelationNames[i] == name) return static_cast<Relation>(i);
  }
  return std::nullopt;
}

std::string_view RelationName(Relation relation) {
  return kRelationNames[static_cast<size_t>(relation)];
}

absl::StatusOr<AssertionPolicy> AssertionPolicy::Load(const YamlFile& file,
                                                      const std::set<std::string>& known_roles) {
  const YAML::Node& root = file.root();
  if (!root.IsMap()) return file.ErrorAt(root, "expected a mapping with key 'facts'");
  RETURN_IF_ERROR(file.OnlyKeys(root, {"facts"}));
  const YAML::Node facts = root["facts"];
  if (!facts || !facts.IsSequence()) return file.ErrorAt(root, "'facts' must be a list");
  AssertionPolicy policy;
  for (const YAML::Node& node : facts) {
    RETURN_IF_ERROR(file.OnlyKeys(
        node, {"fact", "why", "evidence", "practice_serves_linked_municipality", "asserted_by"}));
    ASSIGN_OR_RETURN(std::string name, file.RequiredString(node, "fact"));
    const std::optional<Fact> fact = ParseFact(name);
    if (!fact) return file.ErrorAt(node["fact"], "unknown fact '" + name + "'");
    std::optional<FactPolicy>& slot = policy.facts_[static_cast<size_t>(*fact)];
    if (slot) {
      return file.ErrorAt(node["fact"],
                          "fact '" + name + "' is already given at " + slot->location);
    }
    FactPolicy fact_policy;
    fact_policy.location = file.Where(node);
    ASSIGN_OR_RETURN(fact_policy.why, file.RequiredString(node, "why"));
    ASSIGN_OR_RETURN(std::string evidence, file.OptionalString(node, "evidence", "none"));
    if (evidence != "required" && evidence != "none") {
      return file.ErrorAt(node["evidence"], "evidence is 'required' or 'none'");
    }
    fact_policy.evidence_required = evidence == "required";
    if (fact_policy.evidence_required && *fact == Fact::kRevocation) {
      return file.ErrorAt(node["evidence"], "a revocation carries no evidence reference");
    }
    if (const YAML::Node serves = node["practice_serves_linked_municipality"]) {
      if (*fact != Fact::kGpRegistration) {
        return file.ErrorAt(serves, "practice_serves_linked_municipality is for gp_registration");
      }
      try {
        fact_policy.practice_serves_linked_municipality = serves.as<bool>();
      } catch (const YAML::Exception&) {
        return file.ErrorAt(serves, "expected true or false");
      }
    }
    const YAML::Node by = node["asserted_by"];
    if (!by || !by.IsSequence() || by.size() == 0) {
      return file.ErrorAt(node, "'asserted_by' must be a non-empty list");
    }
    for (const YAML::Node& entry : by) {
      ASSIGN_OR_RETURN(AssertionGrant grant, ParseGrant(file, entry, *fact, known_roles));
      fact_policy.grants.push_back(std::move(grant));
    }
    slot = std::move(fact_policy);
  }
  return policy;
}

AssertionDecision AssertionPolicy::Decide(const AssertionRequest& request) const {
  AssertionDecision decision;
  const std::string fact(FactName(request.fact));
  const FactPolicy* policy = For(request.fact);
  if (policy == nullptr) {
    decision.explanation = "no one may assert fact '" + fact + "' (not in assertions.yaml)";
    return decision;
  }
  if ((request.fact == Fact::kConsent || request.fact == Fact::kObjection) &&
      request.names_caller_as_recipient) {
    decision.explanation = "a recipient never records a consent or objection for itself";
    return decision;
  }
  if (policy->evidence_required && !request.has_evidence) {
    decision.explanation = "fact '" + fact + "' needs an evidence reference";
    return decision;
  }
  const identity::Partner& partner = *request.partner;
  // Built in, like the rule above: a person never claims an identifier at
  // the portal, whatever the file grants.
  if (request.fact == Fact::kIdentifierLink &&
      partner.type == identity::PartnerType::kSubjectPortal) {
    decision.explanation = "a subject portal does not link identifiers";
    return decision;
  }
  // A subject portal speaks only for the person signed in there, whatever
  // relation an entry names (it "recorded" every consent given through it).
  if (partner.type == identity::PartnerType::kSubjectPortal &&
      !request.facts->SamePerson(request.authenticated_subject, request.subject_id)) {
    decision.explanation = "a subject portal asserts facts only about the person signed in";
    return decision;
  }
  for (const AssertionGrant& grant : policy->grants) {
    if (grant.partner_type && *grant.partner_type != partner.type) continue;
    if (!grant.actor_roles.empty() && std::find(grant.actor_roles.begin(), grant.actor_roles.end(),
                                                request.actor_role) == grant.actor_roles.end()) {
      continue;
    }
    if (!RelationHolds(grant.relation, request)) continue;
    if (policy->practice_serves_linked_municipality) {
      const std::optional<KoppelingFact> koppeling = request.facts->KoppelingOf(request.subject_id);
      if (request.practice == nullptr || !koppeling ||
          !request.practice->Serves(koppeling->municipality_code)) {
        decision.explanation =
            "the practice does not serve the municipality the person is linked to";
        return decision;
      }
    }
    decision.permit = true;
    decision.grant = &grant;
    decision.explanation = "asserted by " + Describe(grant) + " at " + grant.location;
    return decision;
  }
  std::string allowed;
  for (const AssertionGrant& grant : policy->grants) {
    allowed += (allowed.empty() ? "" : "; ") + Describe(grant);
  }
  decision.explanation = "fact '" + fact + "' may be asserted only by: " + allowed;
  return decision;
}

}  // namespace ketenpoort::policy
