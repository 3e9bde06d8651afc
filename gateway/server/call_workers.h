// Threads of the gateway's own for calls that wait: on the audit log's
// commit (an fsync), on an upstream source, on the state database. gRPC's
// callback threads also poll the network; a call that waits on one of them
// holds up every call behind it. A bounded queue in front of the threads
// turns overload into RESOURCE_EXHAUSTED SERVER_BUSY at once, instead of
// ever more calls waiting in memory.
#ifndef KETENPOORT_GATEWAY_SERVER_CALL_WORKERS_H_
#define KETENPOORT_GATEWAY_SERVER_CALL_WORKERS_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace ketenpoort::server {

class CallWorkers {
 public:
  // `threads` run the work; at most `max_queued` wait for one of them.
  CallWorkers(size_t threads, size_t max_queued);
  // Runs what was accepted, then joins.
  ~CallWorkers();
  CallWorkers(const CallWorkers&) = delete;
  CallWorkers& operator=(const CallWorkers&) = delete;

  // Queues `work`; false (and `work` is dropped) when the queue is full.
  bool Post(std::function<void()> work);

  size_t max_queued() const { return max_queued_; }
  // Work refused because the queue was full, since start.
  size_t refused_count() const;

 private:
  void Run();

  const size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  size_t refused_ = 0;                       // guarded by mutex_
  std::vector<std::thread> threads_;
};

// RESOURCE_EXHAUSTED SERVER_BUSY: every call worker is taken and the queue
// in front of them is full. Not audited: the audit log may be what is behind.
absl::Status ServerBusy(size_t max_queued);

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_CALL_WORKERS_H_
