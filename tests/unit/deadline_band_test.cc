#include "gateway/inburgering/deadline_band.h"

#include <gtest/gtest.h>

#include "gateway/common/civil_date.h"

namespace ketenpoort::inburgering {
namespace {

int64_t Day(const char* iso) { return *ParseCivilDate(iso); }

TEST(DeadlineBandTest, BandsFollowWholeCalendarMonths) {
  const int64_t today = Day("2026-11-15");
  EXPECT_EQ(BandOf(false, Day("2026-11-14"), today), DeadlineBand::kPassed);
  EXPECT_EQ(BandOf(false, Day("2026-11-15"), today), DeadlineBand::kWithin6Months);
  EXPECT_EQ(BandOf(false, Day("2027-05-14"), today), DeadlineBand::kWithin6Months);
  EXPECT_EQ(BandOf(false, Day("2027-05-15"), today), DeadlineBand::k6To12Months);
  EXPECT_EQ(BandOf(false, Day("2027-11-15"), today), DeadlineBand::k12To24Months);
  EXPECT_EQ(BandOf(false, Day("2028-11-14"), today), DeadlineBand::k12To24Months);
  EXPECT_EQ(BandOf(false, Day("2028-11-15"), today), DeadlineBand::kOver24Months);
}

TEST(DeadlineBandTest, FinishedOrWithoutDeadlineIsNotApplicable) {
  const int64_t today = Day("2026-11-15");
  EXPECT_EQ(BandOf(true, Day("2026-12-01"), today), DeadlineBand::kNotApplicable);
  EXPECT_EQ(BandOf(false, std::nullopt, today), DeadlineBand::kNotApplicable);
}

TEST(DeadlineBandTest, LabelsParseBackToTheirBand) {
  for (size_t i = 0; i < kDeadlineBandLabels.size(); ++i) {
    EXPECT_EQ(ParseDeadlineBand(kDeadlineBandLabels[i]), static_cast<DeadlineBand>(i));
  }
  EXPECT_FALSE(ParseDeadlineBand("binnenkort").has_value());
}

}  // namespace
}  // namespace ketenpoort::inburgering
