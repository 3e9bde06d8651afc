#include "gateway/filter/transforms.h"

#include <gtest/gtest.h>

#include "gateway/common/civil_date.h"
#include "records/v1/coa.pb.h"
#include "records/v1/duo.pb.h"
#include "records/v1/noa.pb.h"

namespace ketenpoort::filter {
namespace {

using records::RecordCatalog;
using records::v1::coa::Koppeling;
using records::v1::noa::Assessment;

FieldTransform On(TransformKind kind, const std::string& path) {
  FieldTransform transform;
  transform.kind = kind;
  transform.path = *RecordCatalog::ResolvePath(Koppeling::descriptor(), path);
  return transform;
}

const TransformContext kContext{"huisartsenpraktijk-woerden", "0123456789abcdef0123456789abcdef",
                                *ParseCivilDate("2026-05-01")};

TEST(TransformsTest, RedactKeepsThePresenceButNotTheValue) {
  Koppeling record;
  record.set_family_name("Haddad");
  ApplyTransforms({On(TransformKind::kRedact, "family_name")}, record, &record, kContext);
  EXPECT_TRUE(record.has_family_name());
  EXPECT_EQ(record.family_name(), "[REDACTED]");
}

TEST(TransformsTest, GeneralizeDateToYearAndBirthDateToAgeBand) {
  Koppeling record;
  record.set_linked_on("2026-03-14");
  record.set_date_of_birth("1990-06-15");
  ApplyTransforms({On(TransformKind::kGeneralizeYear, "linked_on"),
                   On(TransformKind::kGeneralizeAgeBand, "date_of_birth")},
                  record, &record, kContext);
  EXPECT_EQ(record.linked_on(), "2026");
  EXPECT_EQ(record.date_of_birth(), "30-39");  // 35 on 2026-05-01
}

TEST(TransformsTest, AgeBandsRespectTheBirthday) {
  const int64_t today = *ParseCivilDate("2026-05-01");
  EXPECT_EQ(AgeBand(*ParseCivilDate("1996-05-01"), today), "30-39");  // 30 today
  EXPECT_EQ(AgeBand(*ParseCivilDate("1996-05-02"), today), "18-29");  // 30 tomorrow
  EXPECT_EQ(AgeBand(*ParseCivilDate("2010-01-01"), today), "0-17");
  EXPECT_EQ(AgeBand(*ParseCivilDate("1950-01-01"), today), "70+");
}

TEST(TransformsTest, GeneralizeDropsAValueThatIsNotADate) {
  Koppeling record;
  record.set_linked_on("sometime in spring");
  ApplyTransforms({On(TransformKind::kGeneralizeYear, "linked_on")}, record, &record, kContext);
  EXPECT_FALSE(record.has_linked_on());
}

TEST(TransformsTest, PseudonymsAreStablePerRecipientAndDifferAcrossRecipients) {
  Koppeling a, b, c;
  a.set_subject_id("2000000001");
  b.set_subject_id("2000000001");
  c.set_subject_id("2000000001");
  const auto transform = On(TransformKind::kPseudonymize, "subject_id");
  ApplyTransforms({transform}, a, &a, kContext);
  ApplyTransforms({transform}, b, &b, kContext);
  TransformContext other = kContext;
  other.recipient_partner_id = "gemeente-woerden";
  ApplyTransforms({transform}, c, &c, other);
  EXPECT_EQ(a.subject_id(), b.subject_id());
  EXPECT_NE(a.subject_id(), c.subject_id());
  EXPECT_EQ(a.subject_id().find("2000000001"), std::string::npos);
  EXPECT_EQ(a.subject_id().rfind("psn-", 0), 0u);
}

TEST(TransformsTest, TransformsReachIntoRepeatedMessages) {
  Koppeling record;
  record.mutable_household()->add_members()->set_date_of_birth("2015-02-01");
  record.mutable_household()->add_members()->set_date_of_birth("1985-02-01");
  ApplyTransforms({On(TransformKind::kGeneralizeAgeBand, "household.members.date_of_birth")},
                  record, &record, kContext);
  EXPECT_EQ(record.household().members(0).date_of_birth(), "0-17");
  EXPECT_EQ(record.household().members(1).date_of_birth(), "40-49");
}

FieldTransform Derive(const std::string& name, DerivationParams params = {}) {
  FieldTransform transform;
  transform.kind = TransformKind::kDerive;
  transform.derivation = FindDerivation(name);
  for (const auto& [key, value] : transform.derivation->defaults) {
    transform.params.emplace_back(key, value);
  }
  for (auto& [key, value] : params) {
    for (auto& param : transform.params) {
      if (param.first == key) param.second = value;
    }
  }
  return transform;
}

TEST(TransformsTest, CareSignalAtOrAboveEitherThresholdWithoutTheScores) {
  Assessment source;
  source.set_ptsd_score(33);
  source.set_emotional_stability_score(10);
  Assessment released;
  ApplyTransforms({Derive("care_signal")}, source, &released, kContext);
  EXPECT_TRUE(released.care_signal());
  EXPECT_FALSE(released.has_ptsd_score());

  source.set_ptsd_score(32);
  released.Clear();
  ApplyTransforms({Derive("care_signal")}, source, &released, kContext);
  EXPECT_FALSE(released.care_signal());
  EXPECT_TRUE(released.has_care_signal());

  released.Clear();
  ApplyTransforms({Derive("care_signal", {{"emotional_stability_threshold", 10}})}, source,
                  &released, kContext);
  EXPECT_TRUE(released.care_signal());
}

TEST(TransformsTest, WorkCapabilityCategoryFromCapacityWithoutDiagnosis) {
  Assessment source;
  source.mutable_occupational_health()->set_diagnosis_summary("synthetic diagnosis");
  for (auto [hours, category] : {std::pair{36, 1}, {20, 2}, {8, 3}, {0, 4}}) {
    source.mutable_occupational_health()->set_capacity_hours_per_week(hours);
    Assessment released;
    ApplyTransforms({Derive("work_capability_category")}, source, &released, kContext);
    EXPECT_EQ(released.work_capability_category(), category) << hours;
    EXPECT_FALSE(released.has_occupational_health());
  }
  Assessment without_advice, released;
  ApplyTransforms({Derive("work_capability_category")}, without_advice, &released, kContext);
  EXPECT_FALSE(released.has_work_capability_category());
}

TEST(TransformsTest, LoanUseBandInQuartersWithoutTheAmounts) {
  records::v1::duo::InburgeringStatus source;
  source.set_loan_granted_eur(10000);
  for (auto [used, band] : {std::pair<int, const char*>{0, "geen"},
                            {1, "tot 25%"},
                            {2500, "tot 25%"},
                            {2501, "25-50%"},
                            {5000, "25-50%"},
                            {7500, "50-75%"},
                            {7501, "meer dan 75%"},
                            {10000, "meer dan 75%"}}) {
    source.set_loan_used_eur(used);
    records::v1::duo::InburgeringStatus released;
    ApplyTransforms({Derive("loan_use_band")}, source, &released, kContext);
    EXPECT_EQ(released.loan_use_band(), band) << used;
    EXPECT_FALSE(released.has_loan_used_eur());
    EXPECT_FALSE(released.has_loan_granted_eur());
  }
  records::v1::duo::InburgeringStatus no_loan, released;
  ApplyTransforms({Derive("loan_use_band")}, no_loan, &released, kContext);
  EXPECT_FALSE(released.has_loan_use_band());
}

}  // namespace
}  // namespace ketenpoort::filter
