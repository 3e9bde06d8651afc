#include "gateway/audit/access_report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
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
            "Op 2026-07-01 om 16:30: Gemeente Woerden (werkconsulent) vroeg om de uitkomsten van "
            "uw NOA-gesprekken. Dit was voor hulp bij het vinden van werk, omdat de wet dat "
            "toestaat (Wi2021 art. 16). Dat mocht. Zij kregen alleen: uw taalniveau, uw "
            "werkervaring.");
  EXPECT_EQ(report.accesses(0).kind(), "RECORD_REQUESTED");
  EXPECT_EQ(report.direction(), "ltr");
  EXPECT_EQ(report.accesses(0).audit_index(), 12u);
  EXPECT_NE(report.introduction().find("2026-11-22"), std::string::npos);
  EXPECT_NE(report.introduction().find("1 regels"), std::string::npos);
}

TEST_F(AccessReportTest, SpeaksEnglishAndUsesWinterTime) {
  v1::AuditEntry denied = PermittedAccess(UtcMicros(2026, 1, 10, 23, 15));
  denied.set_decision(v1::AuditEntry::DENY);
  denied.set_reason("NOT_LINKED");
  denied.clear_released_categories();
  v1::SubjectAccessReport report =
      RenderAccessReport(*catalogues_->Find("en"), {denied}, UtcMicros(2026, 11, 22, 9, 0));
  ASSERT_EQ(report.accesses_size(), 1);
  // 23:15 UTC in January is 00:15 the next day in the Netherlands (CET).
  EXPECT_EQ(report.accesses(0).text(),
            "On 2026-01-11 at 00:15, Gemeente Woerden (work consultant) asked for the results of "
            "your NOA interviews. This was for help with finding work. This was not allowed: you "
            "are not linked to this municipality. They received nothing.");
}

TEST_F(AccessReportTest, SaysSoWhenNobodyAccessedTheData) {
  v1::SubjectAccessReport report =
      RenderAccessReport(*catalogues_->Find("en"), {}, UtcMicros(2026, 11, 22, 9, 0));
  EXPECT_EQ(report.accesses_size(), 0);
  EXPECT_NE(report.closing().find("nobody has used your data"), std::string::npos);
}

// Every kind of line, with every decision, record type and purpose, reads
// in every language with nothing left unfilled or unknown; the officer's
// own reads name their law.
TEST_F(AccessReportTest, EveryKindOfLineReadsInEveryLanguage) {
  const google::protobuf::EnumDescriptor* events = v1::AuditEntry::Event_descriptor();
  const std::vector<std::string> record_types = ReportedRecordTypes();
  for (const std::string& language : catalogues_->Languages()) {
    const AccessReportCatalogue& catalogue = *catalogues_->Find(language);
    std::vector<v1::AuditEntry> entries;
    for (int e = 1; e < events->value_count(); ++e) {
      for (const v1::AuditEntry::Decision decision :
           {v1::AuditEntry::PERMIT, v1::AuditEntry::DENY, v1::AuditEntry::INVALID,
            v1::AuditEntry::FAILED}) {
        v1::AuditEntry entry = PermittedAccess(UtcMicros(2026, 3, 29, 1, e));
        entry.set_event(static_cast<v1::AuditEntry::Event>(events->value(e)->number()));
        entry.set_decision(decision);
        entry.set_reason(decision == v1::AuditEntry::DENY ? "SOMETHING_NEW" : "");
        // A review tells what it found, either way.
        entry.set_review_verdict(e % 2 ? v1::AuditEntry::JUSTIFIED : v1::AuditEntry::NOT_JUSTIFIED);
        entry.set_record_type(record_types[entries.size() % record_types.size()]);
        entry.set_purpose(static_cast<v1::Purpose>(1 + entries.size() % 11));
        entry.clear_legal_basis();
        entry.clear_law_reference();
        entries.push_back(entry);
      }
    }
    const v1::SubjectAccessReport report = RenderAccessReport(catalogue, entries, 0);
    ASSERT_EQ(report.accesses_size(), static_cast<int>(entries.size()));
    for (const auto& line : report.accesses()) {
      EXPECT_EQ(line.text().find('{'), std::string::npos) << language << ": " << line.text();
      EXPECT_EQ(line.text().find(catalogue.Text("unknown")), std::string::npos)
          << language << ": " << line.text();
      EXPECT_FALSE(line.event().empty()) << language << " " << line.kind();
      EXPECT_NE(line.text().find(line.event()), std::string::npos) << language;
    }
  }
  // An audit read names the law that allows it, though no rule decided it.
  v1::AuditEntry read = PermittedAccess(0);
  read.set_kind(v1::AuditEntry::ADMIN);
  read.set_event(v1::AuditEntry::AUDIT_VIEWED);
  read.set_purpose(v1::AUDIT_REVIEW);
  read.set_record_type("ketenpoort.AuditLog");
  read.clear_legal_basis();
  read.clear_law_reference();
  read.clear_released_categories();
  const auto line = RenderAccessReport(*catalogues_->Find("en"), {read}, 0).accesses(0).text();
  EXPECT_NE(line.find("(AVG art. 5 lid 2 en art. 39; NEN 7513)"), std::string::npos) << line;
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

namespace ketenpoort::audit {
namespace {

std::string ShippedCatalogue(const std::string& language) {
  std::ifstream in(testing::PoliciesDir() + "/messages/access-report." + language + ".yaml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A catalogue with a missing event text, one that drops the {law} of the
// Dutch text, and one with a placeholder its text cannot fill: each
// refuses to load, naming the file and the key.
TEST(AccessReportCatalogueTest, AGapOrAWrongPlaceholderRefusesToLoadNamingFileAndKey) {
  struct Broken {
    std::string from, to, key;
  };
  for (const Broken& broken : std::vector<Broken>{
           {"  REPORT_MADE: \"made this overview for you\"\n", "", "REPORT_MADE"},
           {"({law})\"", "()\"", "legal_bases.statutory"},
           {"asked for {record}", "asked for {recipient}", "events.RECORD_REQUESTED"}}) {
    testing::TempDir dir;
    dir.Write("access-report.nl.yaml", ShippedCatalogue("nl"));
    std::string english = ShippedCatalogue("en");
    const size_t at = english.find(broken.from);
    ASSERT_NE(at, std::string::npos) << broken.from;
    english.replace(at, broken.from.size(), broken.to);
    dir.Write("access-report.en.yaml", english);
    auto loaded = AccessReportCatalogues::LoadDirectory(dir.path().string());
    ASSERT_FALSE(loaded.ok()) << broken.key;
    const std::string message(loaded.status().message());
    EXPECT_NE(message.find("access-report.en.yaml:"), std::string::npos) << message;
    EXPECT_NE(message.find(broken.key), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace ketenpoort::audit

namespace ketenpoort::audit {
namespace {

// Dutch and English, and the languages of the people concerned
// (DOMAIN.md: Syria, Iraq, Eritrea, Afghanistan, Iran, Somalia, Turkey).
TEST_F(AccessReportTest, ThePeopleConcernedFindTheirLanguageAndRightToLeftIsMarked) {
  const std::set<std::string> rtl = {"ar", "fa", "prs"};
  for (const char* language : {"nl", "en", "ar", "ti", "fa", "prs", "so", "tr"}) {
    const AccessReportCatalogue* catalogue = catalogues_->Find(language);
    ASSERT_NE(catalogue, nullptr) << language;
    EXPECT_EQ(catalogue->direction, rtl.count(language) ? "rtl" : "ltr") << language;
    EXPECT_FALSE(catalogue->Text("review").empty()) << language;
    if (std::string(language) != "en") {
      // A translation, not a copy of the English text.
      EXPECT_NE(catalogue->Text("title"), catalogues_->Find("en")->Text("title")) << language;
    }
    const v1::SubjectAccessReport report =
        RenderAccessReport(*catalogue, {PermittedAccess(UtcMicros(2026, 7, 1, 10, 0))}, 0);
    EXPECT_EQ(report.direction(), catalogue->direction) << language;
  }
}

TEST(AccessReportCatalogueTest, ARightToLeftLanguageMarkedLeftToRightRefusesToLoad) {
  testing::TempDir dir;
  dir.Write("access-report.nl.yaml", ShippedCatalogue("nl"));
  dir.Write("access-report.en.yaml", ShippedCatalogue("en"));
  std::string arabic = ShippedCatalogue("ar");
  arabic.replace(arabic.find("direction: rtl"), 14, "direction: ltr");
  dir.Write("access-report.ar.yaml", arabic);
  auto loaded = AccessReportCatalogues::LoadDirectory(dir.path().string());
  ASSERT_FALSE(loaded.ok());
  const std::string message(loaded.status().message());
  EXPECT_NE(message.find("access-report.ar.yaml:"), std::string::npos) << message;
  EXPECT_NE(message.find("rtl"), std::string::npos) << message;
}

}  // namespace
}  // namespace ketenpoort::audit
