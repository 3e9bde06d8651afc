// The audit log: sequencing, hash chaining and group commit over a store.
//
// Append() hands an entry to a single writer thread, which assigns the
// next index, chains it to the previous entry
// (entry_hash = SHA-256(prev_hash || entry_bytes)), and writes everything
// that queued up meanwhile in one durable transaction. Only then does it
// call each entry's callback, so a caller that releases data from the
// callback never releases data whose audit entry is not durable.
//
// If the store fails, every entry in the batch fails with UNAVAILABLE and
// the log re-reads its tail before the next batch: it recovers by itself
// when the store comes back. Thread-safe.
#ifndef KETENPOORT_GATEWAY_AUDIT_AUDIT_LOG_H_
#define KETENPOORT_GATEWAY_AUDIT_AUDIT_LOG_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "gateway/audit/audit_store.h"
#include "gateway/common/clock.h"
#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::audit {

// Called on the writer thread with the entry's index, or an error.
using AppendCallback = std::function<void(absl::StatusOr<uint64_t>)>;

struct AuditLogOptions {
  size_t max_batch = 1024;
};

class AuditLog {
 public:
  AuditLog(AuditStorePtr store, AuditLogOptions options = {});
  ~AuditLog();  // drains queued entries, then stops the writer

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues `entry`; its index is assigned by the log.
  void Append(v1::AuditEntry entry, AppendCallback done);
  // Appends and waits until durable.
  absl::StatusOr<uint64_t> AppendAndWait(v1::AuditEntry entry);

  // Entries made durable since start.
  uint64_t committed_count() const;

 private:
  struct Pending {
    v1::AuditEntry entry;
    AppendCallback done;
  };

  void WriterLoop();
  void WriteBatch(std::deque<Pending>& batch);
  absl::Status LoadTail();

  AuditStorePtr store_;
  const AuditLogOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  uint64_t committed_ = 0;     // guarded by mutex_

  // Owned by the writer thread.
  bool tail_known_ = false;
  uint64_t last_index_ = 0;
  crypto::Sha256Digest last_hash_{};

  std::thread writer_;
};

// SHA-256(prev_hash || entry_bytes).
crypto::Sha256Digest ChainHash(const crypto::Sha256Digest& prev_hash, std::string_view entry_bytes);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_AUDIT_LOG_H_
