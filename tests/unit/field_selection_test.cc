#include "gateway/filter/field_selection.h"

#include <gtest/gtest.h>

#include "records/v1/coa.pb.h"
#include "records/v1/noa.pb.h"

namespace ketenpoort::filter {
namespace {

using records::RecordCatalog;
using records::v1::coa::Koppeling;
using records::v1::noa::Assessment;

Assessment SampleAssessment() {
  Assessment a;
  a.set_subject_id("2000000001");
  a.set_ptsd_score(61);
  a.set_emotional_stability_score(70);
  a.mutable_language_levels()->set_dutch("A2");
  a.mutable_language_levels()->set_english("B1");
  auto* job = a.add_work_experience();
  job->set_occupation("kok");
  job->set_country("Syrië");
  job->set_years(4);
  a.add_competences()->set_name("plannen");
  return a;
}

void Select(FieldSelection& selection, const std::string& path) {
  auto resolved = RecordCatalog::ResolvePath(Assessment::descriptor(), path);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  selection.Add(*resolved);
}

TEST(FieldSelectionTest, CopiesOnlySelectedFieldsAndLeavesOthersAbsent) {
  FieldSelection selection;
  Select(selection, "language_levels");
  Select(selection, "work_experience");
  Assessment released;
  selection.CopySelected(SampleAssessment(), &released);

  EXPECT_EQ(released.language_levels().dutch(), "A2");
  EXPECT_EQ(released.work_experience(0).occupation(), "kok");
  // Absent, not merely empty: proto3 optional fields track presence.
  EXPECT_FALSE(released.has_ptsd_score());
  EXPECT_FALSE(released.has_emotional_stability_score());
  EXPECT_FALSE(released.has_subject_id());
  EXPECT_EQ(released.competences_size(), 0);
}

TEST(FieldSelectionTest, SelectsNestedFieldsInsideRepeatedMessages) {
  FieldSelection selection;
  Select(selection, "work_experience.occupation");
  Select(selection, "language_levels.dutch");
  Assessment released;
  selection.CopySelected(SampleAssessment(), &released);

  ASSERT_EQ(released.work_experience_size(), 1);
  EXPECT_EQ(released.work_experience(0).occupation(), "kok");
  EXPECT_FALSE(released.work_experience(0).has_years());
  EXPECT_FALSE(released.work_experience(0).has_country());
  EXPECT_EQ(released.language_levels().dutch(), "A2");
  EXPECT_FALSE(released.language_levels().has_english());
}

TEST(FieldSelectionTest, CoversWholeFieldsAndTheFieldsBeneathThem) {
  FieldSelection selection;
  Select(selection, "language_levels");
  Select(selection, "work_experience.occupation");
  const auto* d = Assessment::descriptor();
  const auto* levels = d->FindFieldByName("language_levels");
  const auto* work = d->FindFieldByName("work_experience");
  const auto* occupation = work->message_type()->FindFieldByName("occupation");
  const auto* years = work->message_type()->FindFieldByName("years");

  EXPECT_TRUE(selection.Covers({levels}));
  EXPECT_TRUE(selection.Covers({levels, levels->message_type()->FindFieldByName("dutch")}));
  EXPECT_TRUE(selection.Covers({work, occupation}));
  EXPECT_FALSE(selection.Covers({work}));  // only in part
  EXPECT_FALSE(selection.Covers({work, years}));
  EXPECT_FALSE(selection.Covers({d->FindFieldByName("ptsd_score")}));
}

TEST(FieldSelectionTest, AbsentSourceFieldsStayAbsent) {
  FieldSelection selection;
  Select(selection, "plans_for_future");
  Select(selection, "personality.openness");
  Assessment released;
  selection.CopySelected(SampleAssessment(), &released);
  EXPECT_FALSE(released.has_plans_for_future());
  EXPECT_FALSE(released.has_personality());
}

TEST(FieldSelectionTest, CategorySelectsEveryLeafOfThatCategory) {
  FieldSelection selection;
  EXPECT_EQ(selection.AddCategory(Assessment::descriptor(), MENTAL_HEALTH), 2);
  Assessment released;
  selection.CopySelected(SampleAssessment(), &released);
  EXPECT_EQ(released.ptsd_score(), 61);
  EXPECT_EQ(released.emotional_stability_score(), 70);
  EXPECT_FALSE(released.has_language_levels());
  EXPECT_EQ(selection.Categories(), std::set<DataCategory>{MENTAL_HEALTH});
}

TEST(FieldSelectionTest, CategoriesCoverWholeSelectedSubtrees) {
  FieldSelection selection;
  auto household = RecordCatalog::ResolvePath(Koppeling::descriptor(), "household");
  ASSERT_TRUE(household.ok());
  selection.Add(*household);
  // Household members carry IDENTITY fields (names, birth dates) too.
  EXPECT_EQ(selection.Categories(), (std::set<DataCategory>{IDENTITY, HOUSEHOLD}));
}

}  // namespace
}  // namespace ketenpoort::filter
