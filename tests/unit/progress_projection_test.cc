#include "gateway/inburgering/progress_projection.h"

#include <gtest/gtest.h>

#include <set>

#include "gateway/common/civil_date.h"

namespace ketenpoort::inburgering {
namespace {

using records::v1::duo::InburgeringStatus;

const int64_t kToday = *ParseCivilDate("2026-11-01");

InburgeringStatus Status(const std::string& stage, const std::string& deadline,
                         const std::string& provider) {
  InburgeringStatus status;
  status.set_stage(stage);
  status.set_deadline(deadline);
  status.set_provider(provider);
  return status;
}

std::string Subject(int i) { return std::to_string(2'000'000'000 + i); }

// Every person on every page, following the tokens.
std::vector<std::string> ListAll(const ProgressProjection& projection, const std::string& code,
                                 const ListFilter& filter, size_t page_size) {
  std::vector<std::string> out;
  std::string token;
  do {
    auto page = projection.List(code, filter, token, page_size, kToday);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    EXPECT_LE(page->persons.size(), page_size);
    for (const ListedPerson& person : page->persons) out.push_back(person.subject_id);
    token = page->next_page_token;
  } while (!token.empty());
  return out;
}

TEST(ProgressProjectionTest, AMunicipalityListsOnlyThePersonsLinkedToIt) {
  ProgressProjection projection("secret");
  for (int i = 0; i < 10; ++i) {
    projection.Upsert(Subject(i), i % 2 == 0 ? "0632" : "0344",
                      Status("in traject", "2028-01-01", "Taalschool A"), "Syrië");
  }
  const std::vector<std::string> woerden = ListAll(projection, "0632", {}, 3);
  ASSERT_EQ(woerden.size(), 5u);
  for (const std::string& subject : woerden) {
    EXPECT_EQ((std::stoll(subject) - 2'000'000'000) % 2, 0) << subject << " is linked to 0344";
  }
  EXPECT_TRUE(ListAll(projection, "0307", {}, 3).empty());
  EXPECT_EQ(ListAll(projection, "0344", {}, 100).size(), 5u);
}

TEST(ProgressProjectionTest, MovingAPersonTakesThemOffTheOldMunicipalitysList) {
  ProgressProjection projection("secret");
  projection.Upsert(Subject(1), "0632", Status("intake", "2029-01-01", "A"), "Eritrea");
  projection.Upsert(Subject(1), "0344", Status("intake", "2029-01-01", "A"), "Eritrea");
  EXPECT_TRUE(ListAll(projection, "0632", {}, 10).empty());
  EXPECT_EQ(ListAll(projection, "0344", {}, 10), std::vector<std::string>{Subject(1)});
  projection.Remove(Subject(1));
  EXPECT_TRUE(ListAll(projection, "0344", {}, 100).empty());
}

TEST(ProgressProjectionTest, PagingIsStableWhilePersonsAreAddedAndChanged) {
  ProgressProjection projection("secret");
  for (int i = 0; i < 100; ++i) {
    projection.Upsert(Subject(i), "0632", Status("in traject", "2028-01-01", "A"), "Syrië");
  }
  std::vector<std::string> seen;
  std::string token;
  int added = 100;
  do {
    auto page = projection.List("0632", {}, token, 7, kToday);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const ListedPerson& person : page->persons) seen.push_back(person.subject_id);
    token = page->next_page_token;
    // Between pages: new persons arrive, and persons already listed or
    // still to come change stage.
    projection.Upsert(Subject(added++), "0632", Status("intake", "2029-06-01", "B"), "Iran");
    projection.Upsert(Subject(added % 100), "0632", Status("examens", "2027-01-01", "A"), "Syrië");
  } while (!token.empty());

  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "a person was listed twice";
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(unique.count(Subject(i)), 1u) << "person " << i << " was skipped";
  }
}

TEST(ProgressProjectionTest, TheSameSecretGivesTheSameOrderAndTokens) {
  ProgressProjection one("secret");
  ProgressProjection two("secret");
  ProgressProjection other("another secret");
  for (int i = 0; i < 20; ++i) {
    for (ProgressProjection* p : {&one, &two, &other}) {
      p->Upsert(Subject(i), "0632", Status("intake", "2029-01-01", "A"), "Syrië");
    }
  }
  EXPECT_EQ(ListAll(one, "0632", {}, 5), ListAll(two, "0632", {}, 5));
  EXPECT_NE(ListAll(one, "0632", {}, 5), ListAll(other, "0632", {}, 5));
}

TEST(ProgressProjectionTest, ATokenItDidNotIssueIsInvalid) {
  ProgressProjection projection("secret");
  auto page = projection.List("0632", {}, "not-a-token", 5, kToday);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProgressProjectionTest, FiltersOnStageProviderAndDeadlineBand) {
  ProgressProjection projection("secret");
  projection.Upsert(Subject(1), "0632", Status("in traject", "2027-03-01", "A"), "");
  projection.Upsert(Subject(2), "0632", Status("in traject", "2029-03-01", "B"), "");
  projection.Upsert(Subject(3), "0632", Status("afgerond", "2027-03-01", "A"), "");
  projection.Upsert(Subject(4), "0632", Status("examens", "2026-10-01", "A"), "");

  ListFilter finished;
  finished.stage = "afgerond";
  EXPECT_EQ(ListAll(projection, "0632", finished, 10), std::vector<std::string>{Subject(3)});
  ListFilter within;
  within.deadline_band = DeadlineBand::kWithin6Months;  // the finished one is not
  EXPECT_EQ(ListAll(projection, "0632", within, 10), std::vector<std::string>{Subject(1)});
  within.deadline_band = DeadlineBand::kPassed;
  EXPECT_EQ(ListAll(projection, "0632", within, 10), std::vector<std::string>{Subject(4)});
  ListFilter b;
  b.provider = "B";
  EXPECT_EQ(ListAll(projection, "0632", b, 10), std::vector<std::string>{Subject(2)});
}

TEST(ProgressProjectionTest, AListedPersonCarriesOnlyWhatThePolicyCanFilter) {
  ProgressProjection projection("secret");
  InburgeringStatus status = Status("examens", "2027-05-31", "Taalschool A");
  status.set_loan_used_eur(7000);  // never projected
  status.set_exemption_ground("medisch");
  auto* exam = status.add_exam_components();
  exam->set_component("lezen");
  exam->set_status("behaald");
  exam->set_result("B1");
  projection.Upsert(Subject(1), "0632", status, "Syrië");

  auto page = projection.List("0632", {}, "", 10, kToday);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->persons.size(), 1u);
  const InburgeringStatus& record = page->persons[0].record;
  EXPECT_EQ(record.stage(), "examens");
  EXPECT_EQ(record.deadline(), "2027-05-31");
  EXPECT_EQ(record.provider(), "Taalschool A");
  ASSERT_EQ(record.exam_components_size(), 1);
  EXPECT_EQ(record.exam_components(0).status(), "behaald");
  EXPECT_FALSE(record.exam_components(0).has_result());
  EXPECT_FALSE(record.has_loan_used_eur());
  EXPECT_FALSE(record.has_exemption_ground());
}

TEST(ProgressProjectionTest, CountsPartitionThePopulationInEveryDimension) {
  ProgressProjection projection("secret");
  const char* stages[] = {"intake", "in traject", "examens", "afgerond", "ontheffing", "raar"};
  for (int i = 0; i < 60; ++i) {
    InburgeringStatus status =
        Status(stages[i % 6], i % 3 == 0 ? "2027-02-01" : "2029-02-01", i % 4 == 0 ? "A" : "B");
    auto* exam = status.add_exam_components();
    exam->set_component("KNM");
    exam->set_status(i % 2 == 0 ? "behaald" : "niet behaald");
    projection.Upsert(Subject(i), "0632", status, i % 5 == 0 ? "Eritrea" : "Syrië");
  }
  projection.Upsert(Subject(99), "0344", Status("intake", "2029-02-01", "C"), "Iran");

  for (Dimension dimension : {Dimension::kStage, Dimension::kProvider, Dimension::kExamComponent,
                              Dimension::kDeadlineBand, Dimension::kNationality}) {
    for (const CountTable& table : projection.Count("0632", dimension, kToday)) {
      int64_t sum = 0;
      for (const CountCell& cell : table.cells) sum += cell.count;
      EXPECT_EQ(sum, 60) << "dimension " << static_cast<int>(dimension) << " row " << table.row;
    }
  }
  const auto stage = projection.Count("0632", Dimension::kStage, kToday);
  ASSERT_EQ(stage.size(), 1u);
  EXPECT_EQ(stage[0].cells.back().label, "onbekend");
  EXPECT_EQ(stage[0].cells.back().count, 10);
  const auto providers = projection.Count("0632", Dimension::kProvider, kToday);
  ASSERT_EQ(providers[0].cells.size(), 2u) << "provider C is not in this municipality";
  EXPECT_EQ(projection.Count("0632", Dimension::kExamComponent, kToday).size(),
            kExamComponents.size());

  const auto results = projection.ResultsByProvider("0632");
  ASSERT_EQ(results.count("A"), 1u);
  EXPECT_EQ(results.at("A").passed + results.at("A").failed, 15);
  EXPECT_EQ(results.at("A").passed, 15) << "every fourth person has A, and an even index";
}

}  // namespace
}  // namespace ketenpoort::inburgering
