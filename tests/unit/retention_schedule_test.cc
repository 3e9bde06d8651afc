// RetentionSchedule (decision 0018): runs at once, then every interval, in
// a thread of its own; a stop ends both the wait and a run in progress.
// Waits here are bounded; none of them asserts on timing.
#include "gateway/server/retention_schedule.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"

namespace ketenpoort::server {
namespace {

using std::chrono::milliseconds;

constexpr auto kPatience = std::chrono::seconds(30);

// Counts runs and lets the test wait for the n-th.
class Runs {
 public:
  void Count() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++count_;
    changed_.notify_all();
  }
  bool WaitFor(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

TEST(RetentionScheduleTest, RunsAtOnceAndThenAfterEachInterval) {
  Runs runs;
  RetentionSchedule schedule(
      [&](std::stop_token) {
        runs.Count();
        return absl::OkStatus();
      },
      milliseconds(5));
  EXPECT_TRUE(runs.WaitFor(3)) << "ran " << runs.count() << " times";
}

TEST(RetentionScheduleTest, TheFirstRunDoesNotWaitForTheIntervalAndAStopEndsTheWait) {
  Runs runs;
  {
    RetentionSchedule schedule(
        [&](std::stop_token) {
          runs.Count();
          return absl::OkStatus();
        },
        std::chrono::hours(1));
    ASSERT_TRUE(runs.WaitFor(1));
    // Leaving the scope stops it mid-wait: without that this test would
    // hang for an hour, past the test's timeout.
  }
  EXPECT_EQ(runs.count(), 1);
}

TEST(RetentionScheduleTest, AStopReachesTheRunInProgress) {
  Runs started;
  bool saw_stop = false;
  {
    RetentionSchedule schedule(
        [&](std::stop_token stop) {
          started.Count();
          // Stands for a long prune that checks its token between steps.
          std::mutex mutex;
          std::condition_variable_any never;
          std::unique_lock<std::mutex> lock(mutex);
          saw_stop =
              never.wait_for(lock, stop, kPatience, [] { return false; }) || stop.stop_requested();
          return absl::OkStatus();
        },
        std::chrono::hours(1));
    ASSERT_TRUE(started.WaitFor(1));
  }
  EXPECT_TRUE(saw_stop);
  EXPECT_EQ(started.count(), 1);
}

TEST(RetentionScheduleTest, AFailedRunIsLoggedWithoutItsDataAndTriedAgain) {
  Runs runs;
  ::testing::internal::CaptureStderr();
  {
    RetentionSchedule schedule(
        [&](std::stop_token) {
          runs.Count();
          return runs.count() == 1 ? absl::UnavailableError("the audit store cannot write")
                                   : absl::OkStatus();
        },
        milliseconds(5));
    ASSERT_TRUE(runs.WaitFor(2));
  }
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logged.find("retention_failed"), std::string::npos) << logged;
  EXPECT_NE(logged.find("the audit store cannot write"), std::string::npos) << logged;
}

}  // namespace
}  // namespace ketenpoort::server
