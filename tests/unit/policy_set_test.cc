#include "gateway/policy/policy_set.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "gateway/common/civil_date.h"
#include "gateway/common/error.h"
#include "gateway/policy/fixed_facts.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort::policy {
namespace {

using testing::PoliciesDir;
using testing::TempDir;

const records::RecordCatalog& Catalog() { return records::RecordCatalog::Builtin(); }

// A subject linked to Woerden, moving on 2026-05-20; today is 2026-05-01.
const FixedFacts& LinkedToWoerden() {
  static const FixedFacts* facts = [] {
    auto* f = new FixedFacts();
    f->koppeling = KoppelingFact{"0632", ParseCivilDate("2026-05-20")};
    return f;
  }();
  return *facts;
}

DecisionRequest Req(const identity::Partner* partner, std::string_view role, v1::Purpose purpose,
                    std::string_view record_type, const Facts& facts = LinkedToWoerden()) {
  return {.partner = partner,
          .actor_role = role,
          .purpose = purpose,
          .record_type = record_type,
          .subject_id = "2000000001",
          .authenticated_subject = "",
          .today = *ParseCivilDate("2026-05-01"),
          .break_glass = false,
          .facts = &facts};
}

std::shared_ptr<const PolicySet> LoadShipped() {
  auto set = PolicySet::LoadDirectory(PoliciesDir(), Catalog());
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : nullptr;
}

TEST(PolicySetTest, ShippedPoliciesLoad) {
  auto set = LoadShipped();
  ASSERT_NE(set, nullptr);
  EXPECT_FALSE(set->rules().empty());
  EXPECT_EQ(set->version().rfind("sha256:", 0), 0u);
  EXPECT_EQ(set->version().size(), 7u + 64u);
}

TEST(PolicySetTest, WorkConsultantGetsWorkFieldsButNeverMentalHealthScores) {
  auto set = LoadShipped();
  ASSERT_NE(set, nullptr);
  const identity::Partner* woerden = set->partners().FindById("gemeente-woerden");
  ASSERT_NE(woerden, nullptr);
  Decision decision =
      set->Decide(Req(woerden, "werkconsulent", v1::WORK_REINTEGRATION, "noa.Assessment"));
  ASSERT_TRUE(decision.permit) << decision.explanation;
  std::vector<std::string> paths;
  for (const auto& spec : decision.rule->release) paths.push_back(spec.path);
  for (const char* wanted : {"language_levels", "education", "work_experience", "competences"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), wanted), paths.end()) << wanted;
  }
  const auto& categories = decision.rule->released_categories;
  EXPECT_EQ(std::find(categories.begin(), categories.end(), "MENTAL_HEALTH"), categories.end());
}

// A derived value counts under its output field's category: the loan band
// is inburgering data, not "only a signal" (what the report would say).
TEST(PolicySetTest, ADerivedValueIsOfItsOutputFieldsCategory) {
  auto set = LoadShipped();
  ASSERT_NE(set, nullptr);
  for (const auto& rule : set->rules()) {
    if (rule->id != "inburgering-progress-gemeente") continue;
    const auto& categories = rule->released_categories;
    EXPECT_NE(std::find(categories.begin(), categories.end(), "INBURGERING"), categories.end());
    EXPECT_EQ(std::find(categories.begin(), categories.end(), "SIGNAL"), categories.end());
    return;
  }
  ADD_FAILURE() << "no rule inburgering-progress-gemeente";
}

TEST(PolicySetTest, DeniesByDefault) {
  auto set = LoadShipped();
  ASSERT_NE(set, nullptr);
  const identity::Partner* woerden = set->partners().FindById("gemeente-woerden");
  Decision decision =
      set->Decide(Req(woerden, "werkconsulent", v1::CONTINUITY_OF_CARE, "noa.Assessment"));
  EXPECT_FALSE(decision.permit);
  EXPECT_EQ(decision.reason, reason::kNoRule);
  EXPECT_NE(decision.explanation.find("CONTINUITY_OF_CARE"), std::string::npos);

  const identity::Partner* gp = set->partners().FindById("huisartsenpraktijk-woerden");
  decision = set->Decide(Req(gp, "huisarts", v1::WORK_REINTEGRATION, "noa.Assessment"));
  EXPECT_FALSE(decision.permit);
  EXPECT_EQ(decision.reason, reason::kNoRule);
}

TEST(PolicySetTest, WrongActorRoleIsDeniedWithActorRole) {
  auto set = LoadShipped();
  ASSERT_NE(set, nullptr);
  const identity::Partner* woerden = set->partners().FindById("gemeente-woerden");
  Decision decision =
      set->Decide(Req(woerden, "baliemedewerker", v1::WORK_REINTEGRATION, "noa.Assessment"));
  EXPECT_FALSE(decision.permit);
  EXPECT_EQ(decision.reason, reason::kActorRole);
  EXPECT_NE(decision.explanation.find("werkconsulent"), std::string::npos);
}

TEST(PolicySetTest, UnknownPartnerIsDenied) {
  auto set = LoadShipped();
  ASSERT_NE(set, nullptr);
  Decision decision = set->Decide(Req(nullptr, "", v1::HOUSING, "coa.Koppeling"));
  EXPECT_FALSE(decision.permit);
  EXPECT_EQ(decision.reason, reason::kUnknownPartner);
}

// A policy directory with the shipped partners and one rules file.
class BadPolicyTest : public ::testing::Test {
 protected:
  absl::Status LoadWithRules(const std::string& rules_yaml) {
    std::filesystem::copy_file(PoliciesDir() + "/partners.yaml", dir_.File("partners.yaml"));
    dir_.Write("rules.yaml", rules_yaml);
    return PolicySet::LoadDirectory(dir_.path().string(), Catalog()).status();
  }
  // Expects INVALID_ARGUMENT whose message starts with "<file>:<line>:".
  void ExpectErrorAt(const absl::Status& status, int line, const std::string& fragment) {
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    const std::string message(status.message());
    const std::string where = dir_.File("rules.yaml") + ":" + std::to_string(line) + ":";
    EXPECT_EQ(message.rfind(where, 0), 0u) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }

  TempDir dir_;
};

constexpr char kRuleHead[] =
    "rules:\n"
    "  - id: r1\n"
    "    requester: {partner_type: gemeente}\n";

TEST_F(BadPolicyTest, UnknownPurposeNamesFileAndLine) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: SNOOPING\n"
                                                       "    record_type: noa.Assessment\n"
                                                       "    legal_basis: {kind: consent}\n"
                                                       "    release: [{field: education}]\n"),
                4, "unknown purpose 'SNOOPING'");
}

TEST_F(BadPolicyTest, UnknownRecordType) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: HOUSING\n"
                                                       "    record_type: coa.Nothing\n"
                                                       "    legal_basis: {kind: consent}\n"
                                                       "    release: [{field: education}]\n"),
                5, "unknown record type 'coa.Nothing'");
}

TEST_F(BadPolicyTest, UnknownFieldPath) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: WORK_REINTEGRATION\n"
                                                       "    record_type: noa.Assessment\n"
                                                       "    legal_basis: {kind: consent}\n"
                                                       "    release:\n"
                                                       "      - field: language_levels.klingon\n"),
                8, "'klingon'");
}

TEST_F(BadPolicyTest, UnknownCategory) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: WORK_REINTEGRATION\n"
                                                       "    record_type: noa.Assessment\n"
                                                       "    legal_basis: {kind: consent}\n"
                                                       "    release:\n"
                                                       "      - category: GOSSIP\n"),
                8, "unknown data category 'GOSSIP'");
}

TEST_F(BadPolicyTest, UnknownPartnerType) {
  ExpectErrorAt(LoadWithRules("rules:\n"
                              "  - id: r1\n"
                              "    requester: {partner_type: bakery}\n"
                              "    purpose: HOUSING\n"
                              "    record_type: coa.Koppeling\n"
                              "    legal_basis: {kind: consent}\n"
                              "    release: [{field: linked_on}]\n"),
                3, "unknown partner type 'bakery'");
}

TEST_F(BadPolicyTest, UnknownPartnerId) {
  ExpectErrorAt(LoadWithRules("rules:\n"
                              "  - id: r1\n"
                              "    requester:\n"
                              "      partner_ids: [gemeente-atlantis]\n"
                              "    purpose: HOUSING\n"
                              "    record_type: coa.Koppeling\n"
                              "    legal_basis: {kind: consent}\n"
                              "    release: [{field: linked_on}]\n"),
                4, "unknown partner 'gemeente-atlantis'");
}

TEST_F(BadPolicyTest, StatutoryBasisNeedsALawReference) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: HOUSING\n"
                                                       "    record_type: coa.Koppeling\n"
                                                       "    legal_basis:\n"
                                                       "      kind: statutory\n"
                                                       "    release: [{field: linked_on}]\n"),
                7, "needs 'law'");
}

TEST_F(BadPolicyTest, MisspelledKeyIsRefused) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpsoe: HOUSING\n"
                                                       "    record_type: coa.Koppeling\n"
                                                       "    legal_basis: {kind: consent}\n"
                                                       "    release: [{field: linked_on}]\n"),
                4, "unknown key 'purpsoe'");
}

TEST_F(BadPolicyTest, YamlSyntaxErrorNamesFileAndLine) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: [HOUSING\n"), 5, "");
}

TEST_F(BadPolicyTest, UnknownDerivation) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: WORK_REINTEGRATION\n"
                                                       "    record_type: noa.Assessment\n"
                                                       "    legal_basis: {kind: consent}\n"
                                                       "    release:\n"
                                                       "      - derive: horoscope\n"),
                8, "unknown derivation 'horoscope'");
}

TEST_F(BadPolicyTest, SpecialCategoryUnderVitalInterestIsRefused) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: WORK_REINTEGRATION\n"
                                                       "    record_type: noa.Assessment\n"
                                                       "    legal_basis: {kind: vital_interest}\n"
                                                       "    release:\n"
                                                       "      - field: ptsd_score\n"),
                8, "special category MENTAL_HEALTH");
}

TEST_F(BadPolicyTest, TransformOnANonStringFieldIsRefused) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: WORK_REINTEGRATION\n"
                                                       "    record_type: noa.Assessment\n"
                                                       "    legal_basis: {kind: consent}\n"
                                                       "    release:\n"
                                                       "      - field: learnability_score\n"
                                                       "        transform: redact\n"),
                9, "applies to string fields");
}

TEST_F(BadPolicyTest, GpConditionNeedsAGpRequester) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: WORK_REINTEGRATION\n"
                                                       "    record_type: noa.Assessment\n"
                                                       "    legal_basis: {kind: consent}\n"
                                                       "    conditions:\n"
                                                       "      registered_with_requesting_gp: true\n"
                                                       "    release: [{field: education}]\n"),
                8, "needs requester partner_type huisarts");
}

TEST_F(BadPolicyTest, AllFieldsOnlyForTheSubjectsOwnAccess) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: WORK_REINTEGRATION\n"
                                                       "    record_type: noa.Assessment\n"
                                                       "    legal_basis: {kind: consent}\n"
                                                       "    release:\n"
                                                       "      - all_fields: true\n"),
                8, "only for purpose SUBJECT_ACCESS");
}

TEST_F(BadPolicyTest, SubjectConditionNeedsASubjectPortal) {
  ExpectErrorAt(LoadWithRules(std::string(kRuleHead) + "    purpose: SUBJECT_ACCESS\n"
                                                       "    record_type: noa.Assessment\n"
                                                       "    legal_basis: {kind: consent}\n"
                                                       "    conditions:\n"
                                                       "      requester_is_subject: true\n"
                                                       "    release: [{field: education}]\n"),
                8, "needs requester partner_type subject_portal");
}

TEST_F(BadPolicyTest, OnlyAGgdServesARegion) {
  dir_.Write("partners.yaml",
             "partners:\n"
             "  - id: x\n"
             "    name: X\n"
             "    oin: \"00000099000000000999\"\n"
             "    type: coa\n"
             "    region: [\"0632\"]\n");
  absl::Status status = PolicySet::LoadDirectory(dir_.path().string(), Catalog()).status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(std::string(status.message()).rfind(dir_.File("partners.yaml") + ":6:", 0), 0u)
      << status.message();
  dir_.Write("partners.yaml",
             "partners:\n"
             "  - id: x\n"
             "    name: X\n"
             "    oin: \"00000099000000000999\"\n"
             "    type: ggd\n"
             "    region: [\"Woerden\"]\n");
  status = PolicySet::LoadDirectory(dir_.path().string(), Catalog()).status();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find("'Woerden' is not one"), std::string::npos)
      << status.message();
}

TEST(PolicySetTest, RegionalGgdServesEveryMunicipalityOfItsRegionOnly) {
  auto set = LoadShipped();
  ASSERT_NE(set, nullptr);
  const identity::Partner* ggd = set->partners().FindById("ggd-regio-utrecht");
  ASSERT_NE(ggd, nullptr);
  FixedFacts facts;
  const DecisionRequest request =
      Req(ggd, "tbc-arts", v1::PUBLIC_HEALTH, "ggd.TbcScreening", facts);
  for (const char* code : {"0632", "0344", "0310"}) {
    facts.koppeling = KoppelingFact{code, std::nullopt};
    EXPECT_TRUE(set->Decide(request).permit) << code;
  }
  facts.koppeling = KoppelingFact{"0363", std::nullopt};
  const Decision outside = set->Decide(request);
  EXPECT_FALSE(outside.permit);
  EXPECT_EQ(outside.reason, reason::kNotLinked);
  EXPECT_NE(outside.explanation.find("region of ggd-regio-utrecht"), std::string::npos);
}

TEST_F(BadPolicyTest, DuplicateRuleIdsAreRefused) {
  const std::string rule =
      "  - id: same\n"
      "    requester: {partner_type: gemeente}\n"
      "    purpose: HOUSING\n"
      "    record_type: coa.Koppeling\n"
      "    legal_basis: {kind: consent}\n"
      "    release: [{field: linked_on}]\n";
  ExpectErrorAt(LoadWithRules("rules:\n" + rule + rule), 8, "already used");
}

TEST_F(BadPolicyTest, BadPartnersFileNamesItsLine) {
  dir_.Write("partners.yaml",
             "partners:\n"
             "  - id: x\n"
             "    name: X\n"
             "    oin: \"123\"\n"
             "    type: coa\n");
  absl::Status status = PolicySet::LoadDirectory(dir_.path().string(), Catalog()).status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(std::string(status.message()).rfind(dir_.File("partners.yaml") + ":4:", 0), 0u)
      << status.message();
}

TEST(PolicyVersionTest, ChangesWhenAnyFileChanges) {
  TempDir dir;
  for (const auto& entry : std::filesystem::directory_iterator(PoliciesDir())) {
    if (entry.is_regular_file()) {
      std::filesystem::copy_file(entry.path(), dir.path() / entry.path().filename());
    }
  }
  auto before = PolicySet::LoadDirectory(dir.path().string(), Catalog());
  ASSERT_TRUE(before.ok()) << before.status();
  std::ofstream(dir.File("partners.yaml"), std::ios::app) << "# a comment\n";
  auto after = PolicySet::LoadDirectory(dir.path().string(), Catalog());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE((*before)->version(), (*after)->version());
}

}  // namespace
}  // namespace ketenpoort::policy
