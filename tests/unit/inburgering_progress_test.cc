#include <gtest/gtest.h>

#include "gateway/common/civil_date.h"
#include "gateway/server/inburgering_service.h"

namespace ketenpoort::server {
namespace {

records::v1::duo::InburgeringStatus WithDeadline(const std::string& deadline) {
  records::v1::duo::InburgeringStatus status;
  status.set_stage("examens");
  status.set_deadline(deadline);
  return status;
}

TEST(InburgeringProgressTest, MonthsLeftCountWholeCalendarMonths) {
  const int64_t today = DaysFromCivil(2026, 11, 22);
  EXPECT_EQ(ProgressOf(WithDeadline("2026-11-22"), today).months_left(), 0);
  EXPECT_EQ(ProgressOf(WithDeadline("2027-01-21"), today).months_left(), 1);
  EXPECT_EQ(ProgressOf(WithDeadline("2027-01-22"), today).months_left(), 2);
  EXPECT_EQ(ProgressOf(WithDeadline("2029-11-22"), today).months_left(), 36);
  EXPECT_EQ(ProgressOf(WithDeadline("2026-10-25"), today).months_left(), 0);  // 28 days late
  EXPECT_EQ(ProgressOf(WithDeadline("2026-09-22"), today).months_left(), -2);
}

TEST(InburgeringProgressTest, WhatThePolicyDidNotReleaseStaysEmpty) {
  records::v1::duo::InburgeringStatus released;
  released.set_stage("in traject");
  const v1::Progress progress = ProgressOf(released, DaysFromCivil(2026, 11, 22));
  EXPECT_EQ(progress.stage(), "in traject");
  EXPECT_FALSE(progress.has_months_left());
  EXPECT_TRUE(progress.provider().empty());
  EXPECT_TRUE(progress.loan_use_band().empty());
}

TEST(InburgeringProgressTest, ComponentsArePassedOrPending) {
  records::v1::duo::InburgeringStatus released;
  for (const char* status : {"behaald", "vrijgesteld", "niet behaald", "ingeschreven"}) {
    auto* component = released.add_exam_components();
    component->set_component("KNM");
    component->set_status(status);
  }
  const v1::Progress progress = ProgressOf(released, DaysFromCivil(2026, 11, 22));
  ASSERT_EQ(progress.components_size(), 4);
  EXPECT_TRUE(progress.components(0).passed());
  EXPECT_TRUE(progress.components(1).passed());
  EXPECT_FALSE(progress.components(2).passed());
  EXPECT_FALSE(progress.components(3).passed());
  EXPECT_EQ(progress.components(2).status(), "niet behaald");
}

}  // namespace
}  // namespace ketenpoort::server
