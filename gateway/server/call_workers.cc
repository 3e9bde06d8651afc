#include "gateway/server/call_workers.h"

#include <string>
#include <utility>

#include "gateway/audit/audit_log.h"
#include "gateway/common/error.h"

namespace ketenpoort::server {

CallWorkers::CallWorkers(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

CallWorkers::~CallWorkers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

bool CallWorkers::Post(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || queue_.size() >= max_queued_) {
      ++refused_;
      return false;
    }
    queue_.push_back(std::move(work));
  }
  wake_.notify_one();
  return true;
}

absl::Status ServerBusy(size_t max_queued) {
  return MakeError(absl::StatusCode::kResourceExhausted, "SERVER_BUSY",
                   "the gateway has " + std::to_string(max_queued) +
                       " calls waiting for a worker, so this one was not started and nothing "
                       "was released or changed; retry later");
}

size_t CallWorkers::refused_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refused_;
}

void CallWorkers::Run() {
  // These threads exist to wait: under load they may commit the audit
  // queue themselves (decision 0014).
  audit::AuditLog::AllowCommitsOnThisThread();
  for (;;) {
    std::function<void()> work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      // Stopping still runs what was accepted: each is a call that must
      // be finished.
      if (queue_.empty()) return;
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace ketenpoort::server
