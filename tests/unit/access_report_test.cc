#include "gateway/audit/access_report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gateway/common/civil_date.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort::audit {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;

int64_t UtcMicros(int year, int month, int day, int hour, int minute) {
  return (DaysFromCivil(year, month, day) * 86'400 + hour * 3'600 + minute * 60) * kMicrosPerSecond;
}

v1::AuditEntry PermittedAccess(int64_t time) {
  v1::AuditEntry entry;
  entry.set_index(12);
  entry.set_kind(v1::AuditEntry::ACCESS);
  entry.set_time_unix_micros(time);
  entry.set_partner_name("Gemeente Woerden");
  entry.set_actor_role("werkconsulent");
  entry.set_purpose(v1::WORK_REINTEGRATION);
  entry.set_record_type("noa.Assessment");
  entry.set_decision(v1::AuditEntry::PERMIT);
  entry.set_legal_basis("statutory");
  entry.set_law_reference("Wi2021 art. 16");
  entry.add_released_categories("LANGUAGE");
  entry.add_released_categories("WORK");
  return entry;
}

class AccessReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = AccessReportCatalogues::LoadDirectory(testing::PoliciesDir() + "/messages");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    catalogues_ = std::move(*loaded);
  }
  std::unique_ptr<AccessReportCatalogues> catalogues_;
};

TEST_F(AccessReportTest, TellsWhoWhenWhatWhyAndTheOutcomeInDutch) {
  // 14:30 UTC in July is 16:30 in the Netherlands (CEST).
  const v1::AuditEntry entry = PermittedAccess(UtcMicros(2026, 7, 1, 14, 30));
  v1::SubjectAccessReport report =
      RenderAccessReport(*catalogues_->Find("nl"), {entry}, UtcMicros(2026, 11, 22, 9, 0));
  ASSERT_EQ(report.accesses_size(), 1);
  EXPECT_EQ(report.accesses(0).text(),
            "Op 2026-07-01 om 16:30 vroeg Gemeente Woerden (werkconsulent) om de uitkomsten van "
            "uw NOA-gesprekken, voor hulp bij het vinden van werk. Dat mocht, omdat de wet dat "
            "toestaat (Wi2021 art. 16). Zij kregen alleen: uw taalniveau, uw werkervaring.");
  EXPECT_EQ(report.accesses(0).audit_index(), 12u);
  EXPECT_NE(report.introduction().find("2026-11-22"), std::string::npos);
  EXPECT_NE(report.introduction().find("1 verzoeken"), std::string::npos);
}

TEST_F(AccessReportTest, SpeaksEnglishAndUsesWinterTime) {
  v1::AuditEntry denied = PermittedAccess(UtcMicros(2026, 1, 10, 23, 15));
  denied.set_decision(v1::AuditEntry::DENY);
  denied.clear_released_categories();
  v1::SubjectAccessReport report =
      RenderAccessReport(*catalogues_->Find("en"), {denied}, UtcMicros(2026, 11, 22, 9, 0));
  ASSERT_EQ(report.accesses_size(), 1);
  // 23:15 UTC in January is 00:15 the next day in the Netherlands (CET).
  EXPECT_EQ(report.accesses(0).text(),
            "On 2026-01-11 at 00:15, Gemeente Woerden (work consultant) asked for the results of "
            "your NOA interviews, for help with finding work. This was not allowed. They received "
            "nothing.");
}

TEST_F(AccessReportTest, SaysSoWhenNobodyAccessedTheData) {
  v1::SubjectAccessReport report =
      RenderAccessReport(*catalogues_->Find("en"), {}, UtcMicros(2026, 11, 22, 9, 0));
  EXPECT_EQ(report.accesses_size(), 0);
  EXPECT_NE(report.closing().find("no organisation has requested"), std::string::npos);
}

TEST(AccessReportCatalogueTest, AGapInACatalogueRefusesToLoadNamingFileAndLine) {
  testing::TempDir dir;
  std::ifstream in(testing::PoliciesDir() + "/messages/access-report.en.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string english = text.str();
  dir.Write("access-report.en.yaml", english);
  // A Dutch catalogue that forgot one purpose.
  std::string dutch = english;
  dutch.replace(dutch.find("language: en"), 12, "language: nl");
  dutch.erase(dutch.find("  HOUSING: \"your housing"),
              dutch.find('\n', dutch.find("  HOUSING: \"your housing")) -
                  dutch.find("  HOUSING: \"your housing") + 1);
  dir.Write("access-report.nl.yaml", dutch);
  auto loaded = AccessReportCatalogues::LoadDirectory(dir.path().string());
  ASSERT_FALSE(loaded.ok());
  const std::string message(loaded.status().message());
  EXPECT_NE(message.find("access-report.nl.yaml:"), std::string::npos) << message;
  EXPECT_NE(message.find("HOUSING"), std::string::npos) << message;
}

}  // namespace
}  // namespace ketenpoort::audit
