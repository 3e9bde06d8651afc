// Aggregates published at fixed moments (inburgering/publication.h): the
// period in Dutch time, the same answer within a period, and a publication
// carried forward while fewer than the threshold persons changed, so the
// arrival of one known person never shows.
#include "gateway/inburgering/publication.h"

#include <gtest/gtest.h>

#include "gateway/common/civil_date.h"

namespace ketenpoort::inburgering {
namespace {

constexpr int kThreshold = 5;
constexpr int64_t kHour = 3'600'000'000LL;
constexpr char kWoerden[] = "0632";

int64_t At(const char* date, int hour_utc) {
  return (*ParseCivilDate(date) * 24 + hour_utc) * kHour;
}

records::v1::duo::InburgeringStatus Status(const std::string& stage) {
  records::v1::duo::InburgeringStatus status;
  status.set_stage(stage);
  status.set_provider("Taalschool Utrecht");
  status.set_deadline("2028-01-01");
  return status;
}

class PublicationTest : public ::testing::Test {
 protected:
  PublicationTest() : clock_(At("2026-12-08", 9)), projection_("paging-secret") {
    for (int i = 0; i < 40; ++i) {
      projection_.Upsert("V" + std::to_string(i), kWoerden, Status(i % 3 ? "in traject" : "intake"),
                         i % 2 ? "Syrische" : "Eritrese");
    }
    projection_.MarkBuilt(clock_.NowUnixMicros());
  }

  // The NATIONALITY cells as published: label and display.
  std::map<std::string, std::string> Nationalities(const Publication& publication) {
    std::map<std::string, std::string> shown;
    for (size_t t = 0; t < publication.set.tables.size(); ++t) {
      if (publication.dimension_of[t] != Dimension::kNationality) continue;
      for (size_t c = 0; c < publication.set.tables[t].cells.size(); ++c) {
        const CellState& state = publication.states[t][c];
        shown[publication.set.tables[t].cells[c].label] =
            PublishedCell{"", state.disclosure, state.shown}.Display(kThreshold);
      }
    }
    return shown;
  }

  ManualClock clock_;
  ProgressProjection projection_;
  AggregatePublisher publisher_{&projection_, &clock_, kThreshold, PublicationSchedule{}};
};

TEST(PeriodTest, DailyAtMidnightDutchTimeInWinterAndSummer) {
  const PublicationSchedule daily;
  // 10:00 UTC on 8 December is 11:00 CET: the day began at 23:00 UTC.
  Period period = PeriodOf(daily, At("2026-12-08", 10));
  EXPECT_EQ(period.start_unix_micros, At("2026-12-07", 23));
  EXPECT_EQ(period.next_unix_micros, At("2026-12-08", 23));
  // In summer (CEST) at 22:00 UTC.
  period = PeriodOf(daily, At("2026-07-01", 10));
  EXPECT_EQ(period.start_unix_micros, At("2026-06-30", 22));
  // The day the clocks go forward (28 March 2027, at 01:00 UTC): one
  // period all day, from 23:00 UTC the day before to 22:00 UTC.
  for (int hour : {0, 10, 21}) {
    period = PeriodOf(daily, At("2027-03-28", hour) + kHour / 2);
    EXPECT_EQ(period.start_unix_micros, At("2027-03-27", 23)) << hour;
    EXPECT_EQ(period.next_unix_micros, At("2027-03-28", 22)) << hour;
  }
  // Hourly from 00:30.
  period = PeriodOf({.every = std::chrono::seconds(3600), .at_minutes = 30}, At("2026-12-08", 10));
  EXPECT_EQ(period.start_unix_micros, At("2026-12-08", 9) + kHour / 2);
}

TEST_F(PublicationTest, TheSameRequestInThePeriodGetsTheSameAnswer) {
  auto first = publisher_.Current(kWoerden);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE((*first)->audit.passed);
  EXPECT_EQ((*first)->set.total, 40);
  // A person arrives; later that day the answer is the same.
  projection_.Upsert("V-new", kWoerden, Status("intake"), "Afghaanse");
  clock_.Set(At("2026-12-08", 20));
  auto again = publisher_.Current(kWoerden);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), first->get());
}

TEST_F(PublicationTest, OneKnownArrivalDoesNotShowInTheNextPublication) {
  auto before = publisher_.Current(kWoerden);
  ASSERT_TRUE(before.ok());
  // The only Afghan in the municipality arrives; the next day's
  // publication must not tell their nationality, nor that anyone came.
  projection_.Upsert("V-new", kWoerden, Status("intake"), "Afghaanse");
  clock_.Set(At("2026-12-09", 9));
  auto after = publisher_.Current(kWoerden);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE((*after)->carried_forward);
  EXPECT_EQ((*after)->changed_persons, 1);
  EXPECT_GT((*after)->period.start_unix_micros, (*before)->period.start_unix_micros);
  EXPECT_EQ(Nationalities(**after), Nationalities(**before));
  EXPECT_EQ((*after)->set.total, 40);
  EXPECT_EQ((*after)->as_of_unix_micros, (*before)->as_of_unix_micros);
}

TEST_F(PublicationTest, EnoughChangesRenewThePublication) {
  ASSERT_TRUE(publisher_.Current(kWoerden).ok());
  for (int i = 0; i < kThreshold; ++i) {
    projection_.Upsert("V-new" + std::to_string(i), kWoerden, Status("intake"), "Syrische");
  }
  clock_.Set(At("2026-12-09", 9));
  auto after = publisher_.Current(kWoerden);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE((*after)->carried_forward);
  EXPECT_EQ((*after)->changed_persons, kThreshold);
  EXPECT_EQ((*after)->set.total, 40 + kThreshold);
  EXPECT_TRUE((*after)->audit.passed);
}

// The timer's work: every municipality's publication is made at the
// period's start, and a later request is served that one.
TEST_F(PublicationTest, PublicationsAreMadeAtThePeriodsStartNotWhenAsked) {
  ASSERT_TRUE(publisher_.Current(kWoerden).ok());  // the series begins
  for (int i = 0; i < kThreshold; ++i) {
    projection_.Upsert("V-new" + std::to_string(i), kWoerden, Status("intake"), "Syrische");
  }
  // The timer, just after midnight (23:00 UTC): the next one is made then.
  clock_.Set(At("2026-12-08", 23) + 60'000'000);
  publisher_.PublishDue();
  const int64_t made_at = clock_.NowUnixMicros();
  // Asked in the afternoon, after more arrivals: that same publication.
  projection_.Upsert("V-later", kWoerden, Status("intake"), "Afghaanse");
  clock_.Set(At("2026-12-09", 15));
  auto served = publisher_.Current(kWoerden);
  ASSERT_TRUE(served.ok());
  EXPECT_EQ((*served)->as_of_unix_micros, made_at);
  EXPECT_FALSE((*served)->carried_forward);
  EXPECT_EQ((*served)->set.total, 40 + kThreshold);
}

TEST_F(PublicationTest, TooFewPersonsGetNoPublication) {
  projection_.Upsert("V-alone", "0344", Status("intake"), "Syrische");
  const auto small = publisher_.Current("0344");
  EXPECT_EQ(small.status().code(), absl::StatusCode::kFailedPrecondition);
  // A refusal is not carried forward: with enough persons the next
  // period publishes, although fewer than the threshold changed.
  for (int i = 0; i < kThreshold - 1; ++i) {
    projection_.Upsert("V-more" + std::to_string(i), "0344", Status("intake"), "Syrische");
  }
  clock_.Set(At("2026-12-09", 9));
  const auto enough = publisher_.Current("0344");
  ASSERT_TRUE(enough.ok()) << enough.status();
  EXPECT_EQ((*enough)->set.total, kThreshold);
}

}  // namespace
}  // namespace ketenpoort::inburgering
