#include "gateway/records/record_catalog.h"

#include <gtest/gtest.h>

#include <set>

namespace ketenpoort::records {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

void ExpectEveryFieldCategorised(const Descriptor* type, const std::string& prefix) {
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const std::string path = prefix + field->name();
    EXPECT_NE(RecordCatalog::CategoryOf(field), DATA_CATEGORY_UNSPECIFIED)
        << path << " has no data category";
    if (field->message_type() != nullptr) {
      ExpectEveryFieldCategorised(field->message_type(), path + ".");
    }
  }
}

// Collects the categories of every field beneath `type`.
void CollectCategories(const Descriptor* type, std::set<DataCategory>& out) {
  for (int i = 0; i < type->field_count(); ++i) {
    out.insert(RecordCatalog::CategoryOf(type->field(i)));
    if (type->field(i)->message_type() != nullptr) {
      CollectCategories(type->field(i)->message_type(), out);
    }
  }
}

TEST(RecordCatalogTest, KnowsEveryRecordTypeOfTheChain) {
  const RecordCatalog& catalog = RecordCatalog::Builtin();
  EXPECT_EQ(catalog.RecordTypes(),
            (std::vector<std::string>{"coa.Koppeling", "coa.RiskSignal", "coa.Voorinburgering",
                                      "duo.InburgeringStatus", "gca.MedicalDossier",
                                      "ggd.JgzDossier", "ggd.TbcScreening", "ggd.Vaccinations",
                                      "noa.Assessment", "vwn.SocialGuidanceDossier"}));
  EXPECT_EQ(catalog.Find("noa.assessment"), nullptr);
  EXPECT_EQ(catalog.Find("ketenpoort.records.v1.noa.Assessment"), nullptr);
}

TEST(RecordCatalogTest, EveryFieldOfEveryRecordTypeHasACategory) {
  const RecordCatalog& catalog = RecordCatalog::Builtin();
  for (const std::string& name : catalog.RecordTypes()) {
    ExpectEveryFieldCategorised(catalog.Find(name), name + ":");
  }
}

TEST(RecordCatalogTest, MentalHealthScoresAreMarkedMentalHealth) {
  const Descriptor* assessment = RecordCatalog::Builtin().Find("noa.Assessment");
  EXPECT_EQ(RecordCatalog::CategoryOf(assessment->FindFieldByName("ptsd_score")), MENTAL_HEALTH);
  EXPECT_EQ(RecordCatalog::CategoryOf(assessment->FindFieldByName("emotional_stability_score")),
            MENTAL_HEALTH);
}

TEST(RecordCatalogTest, RiskSignalsCarryNoMedicalContent) {
  // COA only has a "medical guide" role: it passes a signal, not a diagnosis.
  std::set<DataCategory> categories;
  CollectCategories(RecordCatalog::Builtin().Find("coa.RiskSignal"), categories);
  for (DataCategory special : {HEALTH, MENTAL_HEALTH, YOUTH_HEALTH}) {
    EXPECT_EQ(categories.count(special), 0u) << DataCategory_Name(special);
  }
}

TEST(RecordCatalogTest, ClinicalRecordsAreSpecialCategories) {
  const RecordCatalog& catalog = RecordCatalog::Builtin();
  const Descriptor* dossier = catalog.Find("gca.MedicalDossier");
  EXPECT_EQ(RecordCatalog::CategoryOf(dossier->FindFieldByName("medication")), HEALTH);
  EXPECT_EQ(RecordCatalog::CategoryOf(dossier->FindFieldByName("ggz_treatment")), MENTAL_HEALTH);
  EXPECT_EQ(RecordCatalog::CategoryOf(catalog.Find("ggd.JgzDossier")->FindFieldByName("children")),
            YOUTH_HEALTH);
  // The ground of an inburgering exemption can be medical.
  EXPECT_EQ(RecordCatalog::CategoryOf(
                catalog.Find("duo.InburgeringStatus")->FindFieldByName("exemption_ground")),
            HEALTH);
}

TEST(RecordCatalogTest, ResolvesNestedPaths) {
  const Descriptor* assessment = RecordCatalog::Builtin().Find("noa.Assessment");
  auto path = RecordCatalog::ResolvePath(assessment, "language_levels.dutch");
  ASSERT_TRUE(path.ok()) << path.status();
  ASSERT_EQ(path->fields.size(), 2u);
  EXPECT_EQ(path->fields[1]->name(), "dutch");
}

TEST(RecordCatalogTest, RejectsUnknownPathsNamingThePart) {
  const Descriptor* assessment = RecordCatalog::Builtin().Find("noa.Assessment");
  auto unknown = RecordCatalog::ResolvePath(assessment, "language_levels.french");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(std::string(unknown.status().message()).find("'french'"), std::string::npos);
  EXPECT_FALSE(RecordCatalog::ResolvePath(assessment, "ptsd_score.value").ok());
  EXPECT_FALSE(RecordCatalog::ResolvePath(assessment, "").ok());
}

}  // namespace
}  // namespace ketenpoort::records
