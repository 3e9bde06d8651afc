#include "gateway/policy/policy_test_runner.h"

#include <algorithm>

#include "gateway/common/civil_date.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/yaml_file.h"

namespace ketenpoort::policy {

DecisionRequest PolicyCase::Request() const {
  return {.partner = partner,
          .actor_role = actor_role,
          .purpose = purpose,
          .record_type = record_type,
          .subject_id = scope == Scope::kPerson ? kCaseSubject : "",
          .authenticated_subject = subject_signed_in ? kCaseSubject : "",
          .today = today,
          .break_glass = break_glass,
          .facts = &facts,
          .scope = scope};
}

AssertionRequest PolicyCase::Assertion() const {
  AssertionRequest request;
  request.fact = *fact;
  request.partner = partner;
  request.actor_role = actor_role;
  request.subject_id = kCaseSubject;
  request.authenticated_subject = subject_signed_in ? kCaseSubject : "";
  request.facts = &facts;
  request.has_evidence = evidence;
  request.practice = practice;
  request.caller_holds_scope = holds_scope;
  request.names_caller_as_recipient = names_self;
  request.recorded_by = recorded_by;
  request.may_record_it = may_record_it;
  request.permit_to_caller = permit_to_caller;
  return request;
}

namespace {

absl::StatusOr<bool> OptionalBool(const YamlFile& file, const YAML::Node& node,
                                  std::string_view key, bool fallback) {
  ASSIGN_OR_RETURN(std::string text, file.OptionalString(node, key, fallback ? "true" : "false"));
  if (text != "true" && text != "false") {
    return file.ErrorAt(node[std::string(key)], "expected true or false");
  }
  return text == "true";
}

// The write part of a request: fact, practice and what the service knows.
absl::Status ParseWrite(const YamlFile& file, const YAML::Node& request, const PolicySet& policies,
                        PolicyCase* test) {
  ASSIGN_OR_RETURN(std::string fact, file.RequiredString(request, "fact"));
  test->fact = ParseFact(fact);
  if (!test->fact) return file.ErrorAt(request["fact"], "unknown fact '" + fact + "'");
  ASSIGN_OR_RETURN(std::string practice, file.OptionalString(request, "practice"));
  if (!practice.empty()) {
    test->practice = policies.partners().FindById(practice);
    if (test->practice == nullptr) {
      return file.ErrorAt(request["practice"], "unknown partner '" + practice + "'");
    }
  }
  ASSIGN_OR_RETURN(test->evidence, OptionalBool(file, request, "evidence", true));
  ASSIGN_OR_RETURN(test->holds_scope, OptionalBool(file, request, "holds_scope", false));
  ASSIGN_OR_RETURN(test->names_self, OptionalBool(file, request, "names_self", false));
  ASSIGN_OR_RETURN(test->recorded_by, file.OptionalString(request, "recorded_by"));
  ASSIGN_OR_RETURN(test->may_record_it, OptionalBool(file, request, "may_record_it", false));
  ASSIGN_OR_RETURN(test->permit_to_caller, OptionalBool(file, request, "permit_to_caller", false));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RequiredDate(const YamlFile& file, const YAML::Node& node,
                                     std::string_view key) {
  ASSIGN_OR_RETURN(std::string text, file.RequiredString(node, key));
  std::optional<int64_t> day = ParseCivilDate(text);
  if (!day) return file.ErrorAt(node[std::string(key)], "expected a date YYYY-MM-DD");
  return *day;
}

absl::Status ParseConsent(const YamlFile& file, const YAML::Node& node, const PolicySet& policies,
                          consent::CompiledConsent* out) {
  RETURN_IF_ERROR(file.OnlyKeys(
      node, {"recipient", "recipient_type", "municipality_code", "purpose", "categories",
             "record_types", "valid_from", "valid_until", "effect", "revoked"}));
  ASSIGN_OR_RETURN(out->recipient_partner_id, file.OptionalString(node, "recipient"));
  ASSIGN_OR_RETURN(std::string type, file.OptionalString(node, "recipient_type"));
  ASSIGN_OR_RETURN(out->recipient_municipality, file.OptionalString(node, "municipality_code"));
  if (!out->recipient_partner_id.empty()) {
    if (policies.partners().FindById(out->recipient_partner_id) == nullptr) {
      return file.ErrorAt(node["recipient"], "unknown partner '" + out->recipient_partner_id + "'");
    }
  } else {
    out->recipient_type = identity::ParsePartnerType(type);
    if (!out->recipient_type)
      return file.ErrorAt(node, "consent needs a recipient or recipient_type");
  }
  ASSIGN_OR_RETURN(std::string purpose, file.RequiredString(node, "purpose"));
  if (!v1::Purpose_Parse(purpose, &out->purpose)) {
    return file.ErrorAt(node["purpose"], "unknown purpose '" + purpose + "'");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> categories, file.StringList(node, "categories"));
  for (const std::string& name : categories) {
    DataCategory category;
    if (!DataCategory_Parse(name, &category)) {
      return file.ErrorAt(node["categories"], "unknown data category '" + name + "'");
    }
    out->category_mask |= 1u << static_cast<int>(category);
  }
  ASSIGN_OR_RETURN(out->record_types, file.StringList(node, "record_types"));
  ASSIGN_OR_RETURN(out->valid_from, RequiredDate(file, node, "valid_from"));
  ASSIGN_OR_RETURN(out->valid_until, RequiredDate(file, node, "valid_until"));
  ASSIGN_OR_RETURN(std::string effect, file.OptionalString(node, "effect", "PERMIT"));
  if (effect != "PERMIT" && effect != "OBJECTION") {
    return file.ErrorAt(node["effect"], "effect must be PERMIT or OBJECTION");
  }
  out->objection = effect == "OBJECTION";
  ASSIGN_OR_RETURN(std::string revoked, file.OptionalString(node, "revoked", "false"));
  out->revoked = revoked == "true";
  return absl::OkStatus();
}

absl::Status ParseGiven(const YamlFile& file, const YAML::Node& given, const PolicySet& policies,
                        PolicyCase* test) {
  RETURN_IF_ERROR(file.OnlyKeys(given, {"today", "koppeling", "gp_registration", "consents"}));
  ASSIGN_OR_RETURN(test->today, RequiredDate(file, given, "today"));
  if (const YAML::Node koppeling = given["koppeling"]) {
    RETURN_IF_ERROR(file.OnlyKeys(koppeling, {"municipality_code", "expected_move_date"}));
    KoppelingFact fact;
    ASSIGN_OR_RETURN(fact.municipality_code, file.RequiredString(koppeling, "municipality_code"));
    ASSIGN_OR_RETURN(std::string move, file.OptionalString(koppeling, "expected_move_date"));
    if (!move.empty()) {
      fact.move_day = ParseCivilDate(move);
      if (!fact.move_day) return file.ErrorAt(koppeling, "expected_move_date must be YYYY-MM-DD");
    }
    test->facts.koppeling = std::move(fact);
  }
  ASSIGN_OR_RETURN(test->facts.gp_practice, file.OptionalString(given, "gp_registration"));
  if (const YAML::Node consents = given["consents"]) {
    if (!consents.IsSequence()) return file.ErrorAt(consents, "'consents' must be a list");
    for (const YAML::Node& node : consents) {
      consent::CompiledConsent compiled;
      compiled.consent_id = "test-" + std::to_string(test->facts.consents.size() + 1);
      RETURN_IF_ERROR(ParseConsent(file, node, policies, &compiled));
      test->facts.consents.push_back(std::move(compiled));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<PolicyCase>> LoadPolicyCases(const std::string& path,
                                                        const PolicySet& policies) {
  ASSIGN_OR_RETURN(YamlFile file, YamlFile::Load(path));
  const YAML::Node& root = file.root();
  RETURN_IF_ERROR(file.OnlyKeys(root, {"cases"}));
  const YAML::Node cases = root["cases"];
  if (!cases || !cases.IsSequence()) return file.ErrorAt(root, "'cases' must be a list");
  std::vector<PolicyCase> out;
  for (const YAML::Node& node : cases) {
    RETURN_IF_ERROR(file.OnlyKeys(node, {"name", "request", "given", "expect"}));
    PolicyCase test;
    test.location = file.Where(node);
    ASSIGN_OR_RETURN(test.name, file.RequiredString(node, "name"));

    const YAML::Node request = node["request"];
    if (!request) return file.ErrorAt(node, "missing required key 'request'");
    RETURN_IF_ERROR(file.OnlyKeys(
        request, {"partner", "actor_role", "purpose", "record_type", "break_glass",
                  "subject_signed_in", "scope", "fact", "practice", "evidence", "holds_scope",
                  "names_self", "recorded_by", "may_record_it", "permit_to_caller"}));
    ASSIGN_OR_RETURN(std::string partner, file.RequiredString(request, "partner"));
    test.partner = policies.partners().FindById(partner);
    if (test.partner == nullptr) {
      return file.ErrorAt(request["partner"], "unknown partner '" + partner + "'");
    }
    ASSIGN_OR_RETURN(test.actor_role, file.OptionalString(request, "actor_role"));
    if (request["fact"]) {
      RETURN_IF_ERROR(ParseWrite(file, request, policies, &test));
    } else {
      ASSIGN_OR_RETURN(std::string purpose, file.RequiredString(request, "purpose"));
      if (!v1::Purpose_Parse(purpose, &test.purpose)) {
        return file.ErrorAt(request["purpose"], "unknown purpose '" + purpose + "'");
      }
      ASSIGN_OR_RETURN(test.record_type, file.RequiredString(request, "record_type"));
    }
    ASSIGN_OR_RETURN(std::string break_glass, file.OptionalString(request, "break_glass", "false"));
    test.break_glass = break_glass == "true";
    ASSIGN_OR_RETURN(std::string signed_in,
                     file.OptionalString(request, "subject_signed_in", "false"));
    test.subject_signed_in = signed_in == "true";
    ASSIGN_OR_RETURN(std::string scope, file.OptionalString(request, "scope", "person"));
    if (scope == "list") {
      test.scope = Scope::kList;
    } else if (scope == "aggregate") {
      test.scope = Scope::kAggregate;
    } else if (scope != "person") {
      return file.ErrorAt(request["scope"], "scope must be person, list or aggregate");
    }

    const YAML::Node given = node["given"];
    if (!given) return file.ErrorAt(node, "missing required key 'given' (at least 'today')");
    RETURN_IF_ERROR(ParseGiven(file, given, policies, &test));

    const YAML::Node expect = node["expect"];
    if (!expect) return file.ErrorAt(node, "missing required key 'expect'");
    RETURN_IF_ERROR(
        file.OnlyKeys(expect, {"effect", "reason", "caller_reason", "rule", "released"}));
    ASSIGN_OR_RETURN(test.expect_effect, file.RequiredString(expect, "effect"));
    if (test.expect_effect != "permit" && test.expect_effect != "deny") {
      return file.ErrorAt(expect["effect"], "effect must be permit or deny");
    }
    ASSIGN_OR_RETURN(test.expect_reason, file.OptionalString(expect, "reason"));
    ASSIGN_OR_RETURN(test.expect_caller_reason, file.OptionalString(expect, "caller_reason"));
    ASSIGN_OR_RETURN(test.expect_rule, file.OptionalString(expect, "rule"));
    if (expect["released"]) {
      ASSIGN_OR_RETURN(std::vector<std::string> released, file.StringList(expect, "released"));
      std::sort(released.begin(), released.end());
      test.expect_released = std::move(released);
    }
    out.push_back(std::move(test));
  }
  return out;
}

CaseResult RunPolicyCase(const PolicyCase& test, const PolicySet& policies) {
  CaseResult result{test.name, test.location, true, ""};
  auto fail = [&result](std::string message) {
    result.passed = false;
    result.message += (result.message.empty() ? "" : "; ") + message;
  };
  if (test.fact) {
    const AssertionDecision asserted = policies.assertions().Decide(test.Assertion());
    const std::string effect = asserted.permit ? "permit" : "deny";
    if (effect != test.expect_effect) {
      fail("expected " + test.expect_effect + ", got " + effect + " (" + asserted.explanation +
           ")");
    }
    return result;
  }
  const Decision decision = policies.Decide(test.Request());
  const std::string effect = decision.permit ? "permit" : "deny";
  if (effect != test.expect_effect) {
    fail("expected " + test.expect_effect + ", got " + effect +
         (decision.permit
              ? " by rule " + decision.rule->id
              : " (" + std::string(decision.reason) + ": " + decision.explanation + ")"));
    return result;
  }
  if (!test.expect_reason.empty() && decision.reason != test.expect_reason) {
    fail("expected reason " + test.expect_reason + ", got " + std::string(decision.reason) + " (" +
         decision.explanation + ")");
  }
  if (!test.expect_caller_reason.empty() && decision.caller_reason != test.expect_caller_reason) {
    fail("expected the caller to be told " + test.expect_caller_reason + ", got " +
         std::string(decision.caller_reason));
  }
  if (!test.expect_rule.empty() &&
      (decision.rule == nullptr || decision.rule->id != test.expect_rule)) {
    fail("expected rule " + test.expect_rule);
  }
  if (test.expect_released && decision.rule != nullptr) {
    std::vector<std::string> released;
    for (const ReleasedFieldSpec& spec : decision.rule->release) released.push_back(spec.path);
    std::sort(released.begin(), released.end());
    if (released != *test.expect_released) {
      std::string got;
      for (const std::string& path : released) got += (got.empty() ? "" : ", ") + path;
      fail("released fields differ; got [" + got + "]");
    }
  }
  return result;
}

}  // namespace ketenpoort::policy
