#include "gateway/server/retention_schedule.h"

#include <string>
#include <utility>

#include "gateway/common/log.h"

namespace ketenpoort::server {

RetentionSchedule::RetentionSchedule(Run run, std::chrono::milliseconds interval)
    : run_(std::move(run)),
      interval_(interval),
      thread_([this](std::stop_token stop) { Loop(std::move(stop)); }) {}

void RetentionSchedule::Loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    // A failed run is logged and tried again at the next interval; the
    // gateway keeps serving (what was not pruned yet stays a little longer).
    if (absl::Status applied = run_(stop); !applied.ok()) {
      log::Error("retention_failed", {{"reason", std::string(applied.message())}});
    }
    std::unique_lock<std::mutex> lock(mutex_);
    // Nothing else wakes it: this waits for the interval or the stop.
    wake_.wait_for(lock, stop, interval_, [] { return false; });
  }
}

}  // namespace ketenpoort::server
