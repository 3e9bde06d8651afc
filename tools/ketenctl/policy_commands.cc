#include "tools/ketenctl/policy_commands.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "gateway/common/civil_date.h"
#include "gateway/policy/policy_test_runner.h"

namespace ketenpoort::ketenctl {
namespace {

std::shared_ptr<const policy::PolicySet> LoadPolicies(const std::string& dir) {
  auto policies = policy::PolicySet::LoadDirectory(dir, records::RecordCatalog::Builtin());
  if (!policies.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(policies.status().message()).c_str());
    return nullptr;
  }
  return *policies;
}

}  // namespace

int RunPolicyTest(const std::string& policies_dir, const std::string& tests_dir) {
  auto policies = LoadPolicies(policies_dir);
  if (!policies) return 2;
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(tests_dir, error)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  if (error || files.empty()) {
    std::fprintf(stderr, "error: no policy tests (*.yaml) in %s\n", tests_dir.c_str());
    return 2;
  }
  std::sort(files.begin(), files.end());
  int passed = 0;
  int failed = 0;
  for (const auto& file : files) {
    auto cases = policy::LoadPolicyCases(file.string(), *policies);
    if (!cases.ok()) {
      std::fprintf(stderr, "error: %s\n", std::string(cases.status().message()).c_str());
      return 2;
    }
    for (const policy::PolicyCase& test : *cases) {
      policy::CaseResult result = policy::RunPolicyCase(test, *policies);
      if (result.passed) {
        ++passed;
        std::printf("PASS %s\n", result.name.c_str());
      } else {
        ++failed;
        std::printf("FAIL %s (%s)\n     %s\n", result.name.c_str(), result.location.c_str(),
                    result.message.c_str());
      }
    }
  }
  std::printf("policy %s: %d passed, %d failed\n", policies->version().c_str(), passed, failed);
  return failed == 0 ? 0 : 1;
}

int RunPolicyExplain(const std::string& policies_dir, const std::string& case_file,
                     const std::string& case_name) {
  auto policies = LoadPolicies(policies_dir);
  if (!policies) return 2;
  auto cases = policy::LoadPolicyCases(case_file, *policies);
  if (!cases.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(cases.status().message()).c_str());
    return 2;
  }
  int explained = 0;
  for (const policy::PolicyCase& test : *cases) {
    if (!case_name.empty() && test.name != case_name) continue;
    ++explained;
    if (test.fact) {
      // A write: who may assert the fact, per assertions.yaml.
      const std::string fact(policy::FactName(*test.fact));
      std::printf("request: %s (%s) as '%s' asserts %s\n", test.partner->id.c_str(),
                  std::string(identity::PartnerTypeName(test.partner->type)).c_str(),
                  test.actor_role.c_str(), fact.c_str());
      if (const policy::FactPolicy* rule = policies->assertions().For(*test.fact)) {
        std::printf("fact %s (%s): %s\n", fact.c_str(), rule->location.c_str(), rule->why.c_str());
      }
      const policy::AssertionDecision decision = policies->assertions().Decide(test.Assertion());
      std::printf("decision: %s\n  %s\n\n", decision.permit ? "PERMIT" : "DENY NOT_ENTITLED",
                  decision.explanation.c_str());
      continue;
    }
    std::vector<policy::RuleTrace> trace;
    const policy::Decision decision = policies->Decide(test.Request(), &trace);
    std::printf("request: %s (%s) as '%s' asks %s for %s on %s%s\n", test.partner->id.c_str(),
                std::string(identity::PartnerTypeName(test.partner->type)).c_str(),
                test.actor_role.c_str(), test.record_type.c_str(),
                v1::Purpose_Name(test.purpose).c_str(), FormatCivilDate(test.today).c_str(),
                test.break_glass ? " (break-glass)" : "");
    std::printf("rules considered (record type and purpose match): %zu\n", trace.size());
    for (const policy::RuleTrace& line : trace) {
      std::printf("  %s %s (%s)\n      %s\n", line.matched ? "MATCH" : "skip ",
                  line.rule->id.c_str(), line.rule->location.c_str(), line.outcome.c_str());
    }
    if (decision.permit) {
      const policy::Rule& rule = *decision.rule;
      std::printf("decision: PERMIT by %s, basis %s%s\nreleased:\n", rule.id.c_str(),
                  std::string(policy::LegalBasisName(rule.legal_basis.kind)).c_str(),
                  rule.legal_basis.law_reference.empty()
                      ? ""
                      : (" (" + rule.legal_basis.law_reference + ")").c_str());
      for (const policy::ReleasedFieldSpec& spec : rule.release) {
        std::printf("  %-40s %s\n", spec.path.c_str(), spec.transform.c_str());
      }
    } else {
      std::printf("decision: DENY %s\n  %s\n", std::string(decision.reason).c_str(),
                  decision.explanation.c_str());
      if (decision.caller_reason != decision.reason) {
        std::printf("the caller is told: %s (it has no relationship with the person)\n",
                    std::string(decision.caller_reason).c_str());
      }
    }
    std::printf("\n");
  }
  if (explained == 0) {
    std::fprintf(stderr, "error: no case named '%s' in %s\n", case_name.c_str(), case_file.c_str());
    return 2;
  }
  return 0;
}

}  // namespace ketenpoort::ketenctl
