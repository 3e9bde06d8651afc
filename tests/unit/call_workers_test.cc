#include "gateway/server/call_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "gateway/common/error.h"

namespace ketenpoort::server {
namespace {

TEST(CallWorkersTest, AFullQueueRefusesAtOnceAndEverythingAcceptedRunsBeforeTheWorkersStop) {
  std::atomic<int> ran{0};
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  {
    CallWorkers workers(1, 2);
    // The only worker takes the first call and waits in it.
    ASSERT_TRUE(workers.Post([&] {
      started.set_value();
      released.wait();
      ++ran;
    }));
    started.get_future().wait();
    // Two wait for it; the third is refused without running.
    EXPECT_TRUE(workers.Post([&] { ++ran; }));
    EXPECT_TRUE(workers.Post([&] { ++ran; }));
    EXPECT_FALSE(workers.Post([&] { ran += 100; }));
    EXPECT_EQ(workers.refused_count(), 1u);
    release.set_value();
    // Leaving the scope stops the workers: what was accepted still runs.
  }
  EXPECT_EQ(ran.load(), 3);
}

TEST(CallWorkersTest, WorkRunsOnTheWorkersNotOnTheThreadThatPostsIt) {
  CallWorkers workers(2, 8);
  std::promise<std::thread::id> ran_on;
  ASSERT_TRUE(workers.Post([&] { ran_on.set_value(std::this_thread::get_id()); }));
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());
}

TEST(CallWorkersTest, TheBusyErrorSaysWhatHappenedWithItsReason) {
  const absl::Status busy = ServerBusy(64);
  EXPECT_EQ(busy.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(busy), "SERVER_BUSY");
  EXPECT_NE(std::string(busy.message()).find("64 calls waiting"), std::string::npos);
}

}  // namespace
}  // namespace ketenpoort::server
