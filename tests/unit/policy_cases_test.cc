// Runs every case in policies/tests/ as a GoogleTest, and checks that
// together they exercise every denial reason the engine can give.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "gateway/policy/policy_test_runner.h"
#include "tests/support/test_paths.h"

namespace ketenpoort::policy {
namespace {

TEST(PolicyCasesTest, EveryShippedCasePassesAndEveryReasonIsCovered) {
  auto policies =
      PolicySet::LoadDirectory(testing::PoliciesDir(), records::RecordCatalog::Builtin());
  ASSERT_TRUE(policies.ok()) << policies.status();
  std::set<std::string> reasons;
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(testing::PoliciesDir() + "/tests")) {
    auto loaded = LoadPolicyCases(entry.path().string(), **policies);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    for (const PolicyCase& test : *loaded) {
      ++cases;
      CaseResult result = RunPolicyCase(test, **policies);
      EXPECT_TRUE(result.passed) << result.name << " (" << result.location
                                 << "): " << result.message;
      if (!test.expect_reason.empty()) reasons.insert(test.expect_reason);
    }
  }
  EXPECT_GT(cases, 10);
  for (std::string_view reason :
       {reason::kNoRule, reason::kActorRole, reason::kNotLinked, reason::kOutsideWindow,
        reason::kNotRegisteredWithGp, reason::kConsentRequired, reason::kConsentRevoked,
        reason::kConsentObjection}) {
    EXPECT_TRUE(reasons.count(std::string(reason))) << "no policy test denies with " << reason;
  }
}

TEST(PolicyCasesTest, AFailingExpectationIsReported) {
  auto policies =
      PolicySet::LoadDirectory(testing::PoliciesDir(), records::RecordCatalog::Builtin());
  ASSERT_TRUE(policies.ok());
  auto loaded = LoadPolicyCases(testing::PoliciesDir() + "/tests/noa-assessment.yaml", **policies);
  ASSERT_TRUE(loaded.ok());
  PolicyCase wrong = loaded->front();
  wrong.expect_effect = "deny";
  CaseResult result = RunPolicyCase(wrong, **policies);
  EXPECT_FALSE(result.passed);
  EXPECT_NE(result.message.find("expected deny, got permit"), std::string::npos) << result.message;
}

}  // namespace
}  // namespace ketenpoort::policy
