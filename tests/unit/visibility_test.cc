// Who may see a person's data now (policy/visibility.h): computed from the
// shipped policy set and fixed facts, and never more or less than Decide
// itself would permit.
#include "gateway/policy/visibility.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "gateway/audit/visibility_text.h"
#include "gateway/common/civil_date.h"
#include "gateway/consent/consent_matcher.h"
#include "gateway/policy/fixed_facts.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort::policy {
namespace {

constexpr char kGp[] = "huisartsenpraktijk-woerden";
constexpr char kDossier[] = "gca.MedicalDossier";
const int64_t kToday = *ParseCivilDate("2026-05-01");

std::shared_ptr<const PolicySet> Shipped() {
  auto set = PolicySet::LoadDirectory(testing::PoliciesDir(), records::RecordCatalog::Builtin());
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : nullptr;
}

// Linked to Woerden, moving in `days`, registered with the Woerden GP.
FixedFacts MovingIn(int64_t days) {
  FixedFacts facts;
  facts.koppeling = KoppelingFact{"0632", kToday + days};
  facts.gp_practice = kGp;
  return facts;
}

// Every category but mental health.
std::vector<DataCategory> AllButMentalHealth() {
  std::vector<DataCategory> categories;
  for (int c = DataCategory_MIN; c <= DataCategory_MAX; ++c) {
    if (DataCategory_IsValid(c) && c != MENTAL_HEALTH && c != 0) {
      categories.push_back(static_cast<DataCategory>(c));
    }
  }
  return categories;
}

consent::CompiledConsent DossierConsent(v1::ConsentEffect effect,
                                        std::vector<DataCategory> categories) {
  v1::Consent consent;
  consent.set_consent_id("cns-test");
  consent.set_subject_id("2000000001");
  consent.mutable_recipient()->set_partner_id(kGp);
  consent.set_purpose(v1::CONTINUITY_OF_CARE);
  consent.add_record_types(kDossier);
  for (DataCategory category : categories) consent.add_categories(category);
  consent.set_valid_from("2026-01-01");
  consent.set_valid_until("2027-01-01");
  consent.set_effect(effect);
  return consent::Compile(consent);
}

const VisibleRecord* Find(const std::vector<VisibleRecord>& lines, Reach reach,
                          std::string_view partner, std::string_view record_type) {
  for (const VisibleRecord& line : lines) {
    if (line.reach == reach && line.partner->id == partner && line.record_type == record_type) {
      return &line;
    }
  }
  return nullptr;
}

bool Has(const VisibleRecord& line, std::string_view category) {
  return std::find(line.categories.begin(), line.categories.end(), category) !=
         line.categories.end();
}

TEST(VisibilityTest, TheGpNeedsPermissionAndThenSeesOnlyWhatThePermissionCovers) {
  auto set = Shipped();
  ASSERT_NE(set, nullptr);
  FixedFacts facts = MovingIn(7);
  auto lines = WhoMaySee(*set, facts, "2000000001", kToday);
  EXPECT_EQ(Find(lines, Reach::kNow, kGp, kDossier), nullptr);
  const VisibleRecord* asks = Find(lines, Reach::kWithPermission, kGp, kDossier);
  ASSERT_NE(asks, nullptr);
  EXPECT_TRUE(Has(*asks, "HEALTH"));
  EXPECT_TRUE(Has(*asks, "MENTAL_HEALTH"));

  // Permission for health, not mental health: the GP sees health now,
  // until twelve weeks after the move; mental health still needs permission.
  facts.consents = {DossierConsent(v1::PERMIT, AllButMentalHealth())};
  lines = WhoMaySee(*set, facts, "2000000001", kToday);
  const VisibleRecord* sees = Find(lines, Reach::kNow, kGp, kDossier);
  ASSERT_NE(sees, nullptr);
  EXPECT_TRUE(Has(*sees, "HEALTH"));
  EXPECT_FALSE(Has(*sees, "MENTAL_HEALTH"));
  EXPECT_EQ(sees->legal_basis.kind, LegalBasisKind::kConsent);
  ASSERT_TRUE(sees->until_day.has_value());
  EXPECT_EQ(*sees->until_day, kToday + 7 + 12 * 7);
  asks = Find(lines, Reach::kWithPermission, kGp, kDossier);
  ASSERT_NE(asks, nullptr);
  EXPECT_FALSE(Has(*asks, "HEALTH")) << "what is seen now is not asked for again";
  EXPECT_TRUE(Has(*asks, "MENTAL_HEALTH"));

  // An objection holds over the permission.
  facts.consents.push_back(DossierConsent(v1::OBJECTION, {}));
  lines = WhoMaySee(*set, facts, "2000000001", kToday);
  EXPECT_EQ(Find(lines, Reach::kNow, kGp, kDossier), nullptr);
  EXPECT_NE(Find(lines, Reach::kObjected, kGp, kDossier), nullptr);
}

TEST(VisibilityTest, AWindowStillToComeSaysFromWhen) {
  auto set = Shipped();
  ASSERT_NE(set, nullptr);
  FixedFacts facts = MovingIn(100);
  facts.consents = {DossierConsent(v1::PERMIT, {})};  // the whole record type
  const auto lines = WhoMaySee(*set, facts, "2000000001", kToday);
  EXPECT_EQ(Find(lines, Reach::kNow, kGp, kDossier), nullptr);
  const VisibleRecord* later = Find(lines, Reach::kLater, kGp, kDossier);
  ASSERT_NE(later, nullptr);
  EXPECT_EQ(later->from_day, kToday + 100 - 4 * 7);
  EXPECT_EQ(later->until_day, kToday + 100 + 12 * 7);
}

TEST(VisibilityTest, OnlyTheLinkedMunicipalityAndNeverThePersonOrTheAuditors) {
  auto set = Shipped();
  ASSERT_NE(set, nullptr);
  const auto lines = WhoMaySee(*set, MovingIn(7), "2000000001", kToday);
  bool woerden = false;
  for (const VisibleRecord& line : lines) {
    EXPECT_NE(line.partner->id, "gemeente-utrecht") << line.record_type;
    EXPECT_NE(line.partner->type, identity::PartnerType::kSubjectPortal);
    EXPECT_NE(line.partner->type, identity::PartnerType::kPrivacyOfficer);
    EXPECT_NE(line.purpose, v1::STATISTICS);
    woerden = woerden || (line.reach == Reach::kNow && line.partner->id == "gemeente-woerden");
  }
  EXPECT_TRUE(woerden);
  // Not linked, not registered: no municipality and no GP sees anything
  // (with the person's permission, or in an emergency, some could).
  const auto unknown = WhoMaySee(*set, FixedFacts(), "2000000001", kToday);
  for (const VisibleRecord& line : unknown) {
    if (line.reach == Reach::kWithPermission || line.reach == Reach::kEmergency) continue;
    EXPECT_NE(line.partner->type, identity::PartnerType::kGemeente) << line.record_type;
    EXPECT_NE(line.partner->type, identity::PartnerType::kHuisarts) << line.record_type;
  }
}

// The list promises exactly what the gateway does: every line "now" is
// a request Decide permits, and every (partner, record, purpose) Decide
// permits for a rule's roles is a line "now" (or "emergency").
TEST(VisibilityTest, SaysNeitherMoreNorLessThanDecide) {
  auto set = Shipped();
  ASSERT_NE(set, nullptr);
  FixedFacts facts = MovingIn(7);
  facts.consents = {DossierConsent(v1::PERMIT, AllButMentalHealth())};
  const auto lines = WhoMaySee(*set, facts, "2000000001", kToday);
  auto decide = [&](const identity::Partner& partner, std::string_view role, v1::Purpose purpose,
                    std::string_view record_type, bool break_glass) {
    return set
        ->Decide({.partner = &partner,
                  .actor_role = role,
                  .purpose = purpose,
                  .record_type = record_type,
                  .subject_id = "2000000001",
                  .authenticated_subject = "",
                  .today = kToday,
                  .break_glass = break_glass,
                  .facts = &facts,
                  .scope = Scope::kPerson})
        .permit;
  };
  for (const VisibleRecord& line : lines) {
    const std::string role = line.actor_roles.empty() ? "" : line.actor_roles.front();
    const bool emergency = line.reach == Reach::kEmergency;
    const bool permitted = decide(*line.partner, role, line.purpose, line.record_type, emergency);
    // A line not seen now is permitted only where part of it is seen now.
    const bool seen_now =
        emergency || Find(lines, Reach::kNow, line.partner->id, line.record_type) != nullptr;
    EXPECT_EQ(permitted, seen_now)
        << line.partner->id << " " << line.record_type << " " << static_cast<int>(line.reach);
    if (line.reach != Reach::kNow && !emergency) continue;
    // For each role it names, exactly what the rule Decide picks releases.
    std::vector<std::string> roles = line.actor_roles;
    if (roles.empty() || line.other_roles) roles.push_back("");
    for (const std::string& named : roles) {
      const Decision decision = set->Decide({.partner = line.partner,
                                             .actor_role = named,
                                             .purpose = line.purpose,
                                             .record_type = line.record_type,
                                             .subject_id = "2000000001",
                                             .authenticated_subject = "",
                                             .today = kToday,
                                             .break_glass = emergency,
                                             .facts = &facts,
                                             .scope = Scope::kPerson});
      ASSERT_TRUE(decision.permit) << line.partner->id << " " << named;
      std::vector<std::string> released = decision.rule->released_categories;
      std::vector<std::string> said = line.categories;
      std::sort(released.begin(), released.end());
      std::sort(said.begin(), said.end());
      EXPECT_EQ(said, released) << line.partner->id << " " << named << " " << line.record_type;
    }
  }
  for (const auto& rule : set->rules()) {
    if (rule->purpose == v1::STATISTICS || rule->conditions.requester_is_subject) continue;
    for (const identity::Partner& partner : set->partners().partners()) {
      const std::string role = rule->actor_roles.empty() ? "" : rule->actor_roles.front();
      const bool emergency = rule->break_glass();
      if (!decide(partner, role, rule->purpose, rule->record_type, emergency)) continue;
      EXPECT_NE(
          Find(lines, emergency ? Reach::kEmergency : Reach::kNow, partner.id, rule->record_type),
          nullptr)
          << partner.id << " may see " << rule->record_type << " by " << rule->id;
    }
  }
}

// Decide releases what the first permitting rule releases, and a later
// rule that would release more is not what the list says; a consent rule
// before it is what the person's permission would open.
// Rules for Woerden's work consultants on the NOA, in `rules`.
std::shared_ptr<const PolicySet> WorkRules(testing::TempDir& dir, const std::string& rules) {
  std::filesystem::copy_file(testing::PoliciesDir() + "/partners.yaml", dir.File("partners.yaml"));
  dir.Write("work.yaml", "rules:\n" + rules);
  auto set = PolicySet::LoadDirectory(dir.path().string(), records::RecordCatalog::Builtin());
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : nullptr;
}

std::string WorkRule(
    const std::string& id, const std::string& roles, const std::string& fields,
    const std::string& window = "",
    const std::string& basis = "{kind: statutory, law: \"Participatiewet art. 7\"}") {
  return "  - id: " + id + "\n    requester: {partner_type: gemeente}\n" + roles +
         "    purpose: WORK_REINTEGRATION\n    record_type: noa.Assessment\n"
         "    legal_basis: " +
         basis + "\n    conditions: {linked_to_requester_municipality: true" + window +
         "}\n    release: [" + fields + "]\n";
}

TEST(VisibilityTest, TheFirstPermittingRuleIsWhatIsSeen) {
  testing::TempDir dir;
  auto set = WorkRules(
      dir,
      WorkRule("with-consent-more", "", "{field: language_levels}, {field: work_experience}", "",
               "{kind: consent}") +
          WorkRule("statutory-less", "", "{field: language_levels}") +
          WorkRule("statutory-never-reached", "", "{field: language_levels}, {field: education}"));
  ASSERT_NE(set, nullptr);
  const auto lines = WhoMaySee(*set, MovingIn(7), "2000000001", kToday);
  const VisibleRecord* sees = Find(lines, Reach::kNow, "gemeente-woerden", "noa.Assessment");
  ASSERT_NE(sees, nullptr);
  EXPECT_EQ(sees->categories, std::vector<std::string>{"LANGUAGE"})
      << "what the second rule releases, not the third's as well";
  EXPECT_EQ(sees->legal_basis.kind, LegalBasisKind::kStatutory);
  const VisibleRecord* asks =
      Find(lines, Reach::kWithPermission, "gemeente-woerden", "noa.Assessment");
  ASSERT_NE(asks, nullptr);
  EXPECT_EQ(asks->categories, std::vector<std::string>{"WORK"});
  EXPECT_EQ(asks->legal_basis.kind, LegalBasisKind::kConsent);
}

// When a window closes, Decide goes on to the next rule: the list says
// until when the first holds, and from when the next one does.
TEST(VisibilityTest, AWindowThatClosesHandsOverToTheNextRule) {
  testing::TempDir dir;
  auto set = WorkRules(
      dir, WorkRule("around-the-move", "", "{field: language_levels}, {field: work_experience}",
                    ", window: {weeks_before_move: 4, weeks_after_move: 2}") +
               WorkRule("always", "", "{field: language_levels}"));
  ASSERT_NE(set, nullptr);
  const auto lines = WhoMaySee(*set, MovingIn(7), "2000000001", kToday);
  const VisibleRecord* now = Find(lines, Reach::kNow, "gemeente-woerden", "noa.Assessment");
  ASSERT_NE(now, nullptr);
  EXPECT_EQ(now->categories, (std::vector<std::string>{"WORK", "LANGUAGE"}));  // DataCategory order
  EXPECT_EQ(now->until_day, kToday + 7 + 14);
  const VisibleRecord* later = Find(lines, Reach::kLater, "gemeente-woerden", "noa.Assessment");
  ASSERT_NE(later, nullptr);
  EXPECT_EQ(later->categories, std::vector<std::string>{"LANGUAGE"});
  EXPECT_EQ(later->from_day, kToday + 7 + 15);
  EXPECT_EQ(later->until_day, std::nullopt);
}

// Staff in a role no rule names see what the any-role rule gives; a named
// role that an earlier rule serves sees only that, and is told apart.
TEST(VisibilityTest, OtherStaffAreToldApartFromANamedRole) {
  testing::TempDir dir;
  auto set = WorkRules(
      dir,
      WorkRule("consultant", "    actor_roles: [werkconsulent]\n", "{field: language_levels}") +
          WorkRule("anyone", "", "{field: language_levels}, {field: work_experience}"));
  ASSERT_NE(set, nullptr);
  const auto lines = WhoMaySee(*set, MovingIn(7), "2000000001", kToday);
  int told = 0;
  for (const VisibleRecord& line : lines) {
    if (line.partner->id != "gemeente-woerden" || line.reach != Reach::kNow) continue;
    ++told;
    if (line.other_roles) {
      EXPECT_TRUE(line.actor_roles.empty());
      EXPECT_EQ(line.categories,
                (std::vector<std::string>{"WORK", "LANGUAGE"}));  // DataCategory order
    } else {
      EXPECT_EQ(line.actor_roles, std::vector<std::string>{"werkconsulent"});
      EXPECT_EQ(line.categories, std::vector<std::string>{"LANGUAGE"});
    }
  }
  EXPECT_EQ(told, 2);
}

TEST(VisibilityTest, EveryKindOfLineReadsInEveryLanguage) {
  auto set = Shipped();
  ASSERT_NE(set, nullptr);
  auto catalogues =
      audit::AccessReportCatalogues::LoadDirectory(testing::PoliciesDir() + "/messages");
  ASSERT_TRUE(catalogues.ok()) << catalogues.status();
  // Every reach, from facts that give each.
  FixedFacts facts = MovingIn(7);
  facts.consents = {DossierConsent(v1::PERMIT, AllButMentalHealth())};
  std::vector<VisibleRecord> lines = WhoMaySee(*set, facts, "2000000001", kToday);
  FixedFacts later = MovingIn(100);
  later.consents = {DossierConsent(v1::OBJECTION, {})};
  for (VisibleRecord& line : WhoMaySee(*set, later, "2000000001", kToday)) {
    lines.push_back(std::move(line));
  }
  for (VisibleRecord& line : WhoMaySee(*set, MovingIn(100), "2000000001", kToday)) {
    lines.push_back(std::move(line));
  }
  // Lines from later on without an end, and for other staff.
  testing::TempDir dir;
  auto work = WorkRules(
      dir, WorkRule("consultant", "    actor_roles: [werkconsulent]\n", "{field: language_levels}",
                    ", window: {weeks_before_move: 4, weeks_after_move: 2}") +
               WorkRule("anyone", "", "{field: language_levels}, {field: work_experience}"));
  ASSERT_NE(work, nullptr);
  bool open_ended = false;
  bool other_staff = false;
  for (VisibleRecord& line : WhoMaySee(*work, MovingIn(7), "2000000001", kToday)) {
    open_ended = open_ended || (line.reach == Reach::kLater && !line.until_day);
    other_staff = other_staff || line.other_roles;
    lines.push_back(std::move(line));
  }
  EXPECT_TRUE(open_ended);
  EXPECT_TRUE(other_staff);
  std::set<Reach> reaches;
  // With permission: from a day to come, until a day, or open-ended.
  std::set<std::pair<bool, bool>> permission_dates;
  for (const VisibleRecord& line : lines) {
    reaches.insert(line.reach);
    if (line.reach == Reach::kWithPermission) {
      permission_dates.insert({line.from_day.has_value(), line.until_day.has_value()});
    }
  }
  EXPECT_EQ(reaches.size(), 5u) << "a reach without a line in this test";
  EXPECT_TRUE(permission_dates.count({true, true})) << "no line with permission from a day";
  EXPECT_TRUE(permission_dates.count({false, true})) << "no line with permission until a day";
  for (const std::string& language : (*catalogues)->Languages()) {
    const audit::AccessReportCatalogue& catalogue = *(*catalogues)->Find(language);
    const v1::WhoMaySeeResponse said = audit::RenderVisibility(catalogue, lines, 0);
    ASSERT_EQ(said.lines_size(), static_cast<int>(lines.size()));
    EXPECT_EQ(said.direction(), catalogue.direction);
    for (const auto& line : said.lines()) {
      EXPECT_EQ(line.text().find('{'), std::string::npos) << language << ": " << line.text();
      EXPECT_EQ(line.text().find(catalogue.Text("unknown")), std::string::npos)
          << language << ": " << line.text();
      EXPECT_NE(line.text().find(line.organisation()), std::string::npos) << language;
      EXPECT_NE(line.text().find(line.record()), std::string::npos) << language;
    }
    EXPECT_FALSE(said.yourself().empty());
    EXPECT_FALSE(said.audit_readers().empty());
  }
}

}  // namespace
}  // namespace ketenpoort::policy
