// Runs retention (audit content, hand-over packages) in a thread of its
// own: once as soon as it starts, then every `interval` after the last run
// ended. The gateway serves meanwhile, so a long backlog at start does not
// delay listening (decision 0018).
//
// Stopping ends the wait at once, and a run in progress after the step it
// is in: the run gets the stop token and checks it between steps. So a
// shutdown never waits for a long prune; the next run continues from the
// last whole step.
#ifndef KETENPOORT_GATEWAY_SERVER_RETENTION_SCHEDULE_H_
#define KETENPOORT_GATEWAY_SERVER_RETENTION_SCHEDULE_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

#include "absl/status/status.h"

namespace ketenpoort::server {

class RetentionSchedule {
 public:
  using Run = std::function<absl::Status(std::stop_token)>;

  // Starts the thread; the first run begins at once.
  RetentionSchedule(Run run, std::chrono::milliseconds interval);
  // Stops and joins (see above): thread_ is the first member to go.
  ~RetentionSchedule() = default;

  RetentionSchedule(const RetentionSchedule&) = delete;
  RetentionSchedule& operator=(const RetentionSchedule&) = delete;

 private:
  void Loop(std::stop_token stop);

  const Run run_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: starts once the members above exist
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_RETENTION_SCHEDULE_H_
