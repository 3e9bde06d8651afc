// policies/assertions.yaml: refused at load with file and line when it names
// something unknown; without it nobody may assert anything.
#include <gtest/gtest.h>

#include <filesystem>

#include "gateway/policy/policy_set.h"
#include "tests/support/gateway_env.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort::policy {
namespace {

using testing::PoliciesDir;
using testing::TempDir;

class AssertionPolicyTest : public ::testing::Test {
 protected:
  // The shipped partners and rules, with `assertions` as assertions.yaml
  // (none when empty).
  absl::StatusOr<std::shared_ptr<const PolicySet>> LoadWith(const std::string& assertions) {
    for (const auto& entry : std::filesystem::directory_iterator(PoliciesDir())) {
      if (entry.path().extension() == ".yaml" && entry.path().filename() != "assertions.yaml") {
        std::filesystem::copy_file(entry.path(), dir_.path() / entry.path().filename(),
                                   std::filesystem::copy_options::overwrite_existing);
      }
    }
    std::filesystem::remove(dir_.File("assertions.yaml"));
    if (!assertions.empty()) dir_.Write("assertions.yaml", assertions);
    return PolicySet::LoadDirectory(dir_.path().string(), records::RecordCatalog::Builtin());
  }
  void ExpectErrorAt(const std::string& assertions, int line, const std::string& fragment) {
    const absl::Status status = LoadWith(assertions).status();
    ASSERT_FALSE(status.ok());
    const std::string message(status.message());
    const std::string where = dir_.File("assertions.yaml") + ":" + std::to_string(line) + ":";
    EXPECT_EQ(message.rfind(where, 0), 0u) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }

  TempDir dir_;
};

TEST_F(AssertionPolicyTest, UnknownFactPartnerTypeRoleOrRelationRefusesTheSet) {
  ExpectErrorAt("facts:\n  - fact: alias\n    why: x\n    asserted_by: [{relation: any}]\n", 2,
                "unknown fact 'alias'");
  ExpectErrorAt(
      "facts:\n  - fact: koppeling\n    why: x\n    asserted_by:\n"
      "      - {partner_type: coa_tvs, relation: any}\n",
      5, "unknown partner type 'coa_tvs'");
  ExpectErrorAt(
      "facts:\n  - fact: gp_registration\n    why: x\n    asserted_by:\n"
      "      - partner_type: gemeente\n        actor_roles: [maatschappelijke-begeleiding]\n"
      "        relation: linked_to_own_municipality\n",
      6, "unknown actor role 'maatschappelijke-begeleiding'");
  ExpectErrorAt(
      "facts:\n  - fact: consent\n    why: x\n    asserted_by:\n"
      "      - {partner_type: huisarts, relation: current_practice}\n",
      5, "does not apply to fact 'consent'");
  ExpectErrorAt(
      "facts:\n  - fact: consent\n    why: x\n    asserted_by:\n"
      "      - {partner_type: gemeente, relation: self}\n",
      5, "needs partner_type subject_portal");
  ExpectErrorAt(
      "facts:\n  - fact: koppeling\n    why: x\n    asserted_by: [{relation: any}]\n"
      "  - fact: koppeling\n    why: y\n    asserted_by: [{relation: any}]\n",
      5, "already given");
  ExpectErrorAt("facts:\n  - fact: koppeling\n    asserted_by: [{relation: any}]\n", 2,
                "missing required key 'why'");
}

TEST_F(AssertionPolicyTest, WithoutTheFileNobodyMayAssertAnything) {
  auto set = LoadWith("");
  ASSERT_TRUE(set.ok()) << set.status();
  const identity::Partner* coa = (*set)->partners().FindById("coa");
  NoFacts facts;
  AssertionRequest request;
  request.fact = Fact::kKoppeling;
  request.partner = coa;
  request.subject_id = "2000000001";
  request.facts = &facts;
  const AssertionDecision decision = (*set)->assertions().Decide(request);
  EXPECT_FALSE(decision.permit);
  EXPECT_NE(decision.explanation.find("not in assertions.yaml"), std::string::npos);
}

TEST_F(AssertionPolicyTest, TheFileIsPartOfThePolicyVersion) {
  auto shipped = LoadWith(testing::ReadFile(PoliciesDir() + "/assertions.yaml"));
  auto none = LoadWith("");
  ASSERT_TRUE(shipped.ok() && none.ok());
  EXPECT_NE((*shipped)->version(), (*none)->version());
}

}  // namespace
}  // namespace ketenpoort::policy
