// An AuditStore that forwards to a real one, and fails every write while
// told to: the seam for proving that the gateway fails closed. It can also
// run a step of the test's own after the retention boundary is found.
#ifndef KETENPOORT_TESTS_SUPPORT_FAULTY_AUDIT_STORE_H_
#define KETENPOORT_TESTS_SUPPORT_FAULTY_AUDIT_STORE_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "gateway/audit/audit_store.h"
#include "gateway/common/error.h"

namespace ketenpoort::testing {

class FaultyAuditStore final : public audit::AuditStore {
 public:
  explicit FaultyAuditStore(audit::AuditStorePtr inner) : inner_(std::move(inner)) {}

  void set_failing(bool failing) { failing_.store(failing); }
  // While held, every write waits (a store that cannot keep up).
  void set_holding(bool holding) {
    {
      std::lock_guard<std::mutex> lock(hold_mutex_);
      holding_ = holding;
    }
    hold_released_.notify_all();
  }
  // Blocks until a write is waiting in the hold, or about 5 s have passed.
  bool WaitForHeldWrite() {
    std::unique_lock<std::mutex> lock(hold_mutex_);
    return hold_released_.wait_for(lock, std::chrono::seconds(5), [&] { return held_ > 0; });
  }
  // Runs after every LastIndexBefore (set it before the log runs retention).
  void set_after_boundary_search(std::function<void()> then) {
    after_boundary_search_ = std::move(then);
  }
  // The most AppendBatch calls that were ever running at the same time.
  int most_concurrent_writes() const { return most_concurrent_writes_.load(); }

  absl::StatusOr<uint64_t> Size() override {
    if (failing_) return Failure();
    return inner_->Size();
  }
  absl::StatusOr<std::optional<audit::StoredCheckpoint>> LatestCheckpoint() override {
    if (failing_) return Failure();
    return inner_->LatestCheckpoint();
  }
  absl::StatusOr<audit::merkle::Hash> Node(uint32_t level, uint64_t index) override {
    if (failing_) return Failure();
    return inner_->Node(level, index);
  }
  absl::Status AppendBatch(const std::vector<audit::StoredEntry>& entries,
                           const std::vector<audit::MerkleNode>& nodes,
                           const audit::StoredCheckpoint& checkpoint,
                           bool keep_checkpoint) override {
    if (failing_) return Failure();
    {
      std::unique_lock<std::mutex> lock(hold_mutex_);
      ++held_;
      hold_released_.notify_all();
      hold_released_.wait(lock, [&] { return !holding_; });
      --held_;
    }
    const int writes = ++writes_running_;
    int most = most_concurrent_writes_.load();
    while (writes > most && !most_concurrent_writes_.compare_exchange_weak(most, writes)) {
    }
    absl::Status status = inner_->AppendBatch(entries, nodes, checkpoint, keep_checkpoint);
    --writes_running_;
    return status;
  }
  absl::StatusOr<uint64_t> LastIndexBefore(int64_t cutoff, std::stop_token stop) override {
    if (failing_) return Failure();
    auto boundary = inner_->LastIndexBefore(cutoff, stop);
    if (after_boundary_search_) after_boundary_search_();
    return boundary;
  }
  absl::StatusOr<uint64_t> PrunedThrough() override {
    if (failing_) return Failure();
    return inner_->PrunedThrough();
  }
  absl::StatusOr<uint64_t> PruneThrough(uint64_t through, int64_t cutoff, uint64_t recorded_by,
                                        std::stop_token stop) override {
    if (failing_) return Failure();
    return inner_->PruneThrough(through, cutoff, recorded_by, stop);
  }

 private:
  static absl::Status Failure() {
    return MakeError(absl::StatusCode::kUnavailable, "AUDIT_STORE_UNAVAILABLE",
                     "injected fault: disk full");
  }

  audit::AuditStorePtr inner_;
  std::function<void()> after_boundary_search_;
  std::atomic<bool> failing_{false};
  std::mutex hold_mutex_;
  std::condition_variable hold_released_;
  bool holding_ = false;  // guarded by hold_mutex_
  int held_ = 0;          // guarded by hold_mutex_
  std::atomic<int> writes_running_{0};
  std::atomic<int> most_concurrent_writes_{0};
};

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_FAULTY_AUDIT_STORE_H_
