// A hand-over package released under one rule, fetched under another
// (release.h NarrowToRule): nothing leaves that the current rule does not
// release, and nothing is transformed twice.
#include <gtest/gtest.h>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/policy/policy_set.h"
#include "gateway/server/release.h"
#include "records/v1/coa.pb.h"
#include "records/v1/noa.pb.h"
#include "tests/support/test_paths.h"

namespace ketenpoort::server {
namespace {

class NarrowToRuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded =
        policy::PolicySet::LoadDirectory(testing::PoliciesDir(), records::RecordCatalog::Builtin());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    policies_ = *loaded;
  }
  const policy::Rule& Rule(const std::string& id) {
    for (const auto& rule : policies_->rules()) {
      if (rule->id == id) return *rule;
    }
    ADD_FAILURE() << "no rule " << id;
    return *policies_->rules().front();
  }
  google::protobuf::RepeatedPtrField<v1::ReleasedField> Listed(const policy::Rule& rule) {
    google::protobuf::RepeatedPtrField<v1::ReleasedField> fields;
    ListReleasedFields(rule, &fields);
    return fields;
  }

  std::shared_ptr<const policy::PolicySet> policies_;
  const synthetic::SyntheticPerson person_ = synthetic::SyntheticPopulation(7).Person(2);
  const filter::TransformContext context_{"huisartsenpraktijk-woerden", "key", 20'000};
};

TEST_F(NarrowToRuleTest, UnderTheSameRuleTheReleaseIsUnchanged) {
  const policy::Rule& rule = Rule("noa-work-reintegration-werkconsulent");
  const auto released = FilterRecord(rule, person_.assessment, context_);
  const auto narrowed = NarrowToRule(rule, *released, Listed(rule));
  EXPECT_EQ(narrowed->SerializeAsString(), released->SerializeAsString());
}

// Every field of `part` is in `whole` with the same value.
::testing::AssertionResult IsPartOf(const google::protobuf::Message& part,
                                    const google::protobuf::Message& whole) {
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  part.GetReflection()->ListFields(part, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    std::unique_ptr<google::protobuf::Message> mine(part.New());
    std::unique_ptr<google::protobuf::Message> theirs(whole.New());
    std::unique_ptr<google::protobuf::Message> a(part.New());
    std::unique_ptr<google::protobuf::Message> b(whole.New());
    a->CopyFrom(part);
    b->CopyFrom(whole);
    mine->GetReflection()->SwapFields(a.get(), mine.get(), {field});
    theirs->GetReflection()->SwapFields(b.get(), theirs.get(), {field});
    if (mine->SerializeAsString() != theirs->SerializeAsString()) {
      return ::testing::AssertionFailure() << field->name() << " differs or is not released";
    }
  }
  return ::testing::AssertionSuccess();
}

TEST_F(NarrowToRuleTest, ANarrowerRuleDropsWhatItNoLongerReleases) {
  // Released to the work consultant, fetched under the GP's narrower rule.
  const policy::Rule& before = Rule("noa-work-reintegration-werkconsulent");
  const policy::Rule& now = Rule("noa-care-signal-huisarts");
  const auto released = FilterRecord(before, person_.assessment, context_);
  const auto narrowed = NarrowToRule(now, *released, Listed(before));
  const auto direct = FilterRecord(now, person_.assessment, context_);
  // Only what the current rule gives from the source (and only what went
  // out before, so perhaps less).
  EXPECT_TRUE(IsPartOf(*narrowed, *direct)) << narrowed->DebugString();
  EXPECT_TRUE(IsPartOf(*narrowed, *released)) << narrowed->DebugString();
  const auto& assessment = dynamic_cast<const records::v1::noa::Assessment&>(*narrowed);
  EXPECT_TRUE(assessment.has_care_signal());                // derived the same way by both
  EXPECT_FALSE(assessment.has_work_capability_category());  // not the GP's
}

TEST_F(NarrowToRuleTest, AValueReleasedUntransformedIsNotReleasedWhereTheRuleNowTransformsIt) {
  // The date of birth went out whole; the current rule generalizes it, which
  // cannot be redone reliably from a release: it is left out.
  const policy::Rule& now = Rule("koppeling-vital-interest-huisarts");
  records::v1::coa::Koppeling released = person_.koppeling;
  google::protobuf::RepeatedPtrField<v1::ReleasedField> sent;
  v1::ReleasedField* field = sent.Add();
  field->set_path("date_of_birth");
  field->set_transform("keep");
  const auto narrowed = NarrowToRule(now, released, sent);
  const auto& koppeling = dynamic_cast<const records::v1::coa::Koppeling&>(*narrowed);
  EXPECT_FALSE(koppeling.has_date_of_birth());
  EXPECT_EQ(koppeling.azc_location(), person_.koppeling.azc_location());
  EXPECT_FALSE(koppeling.has_family_name());  // never released by the rule
}

TEST_F(NarrowToRuleTest, ADerivedValueGoesOnlyIfItWasDerivedTheSameWay) {
  const policy::Rule& rule = Rule("noa-care-signal-huisarts");
  const auto released = FilterRecord(rule, person_.assessment, context_);
  google::protobuf::RepeatedPtrField<v1::ReleasedField> without_derivation;
  for (const v1::ReleasedField& field : Listed(rule)) {
    if (field.transform().rfind("derive:", 0) != 0) *without_derivation.Add() = field;
  }
  const auto narrowed = NarrowToRule(rule, *released, without_derivation);
  const auto& assessment = dynamic_cast<const records::v1::noa::Assessment&>(*narrowed);
  EXPECT_FALSE(assessment.has_care_signal());
  EXPECT_FALSE(assessment.has_ptsd_score());
}

}  // namespace
}  // namespace ketenpoort::server
