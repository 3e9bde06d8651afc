// The audit log: sequencing, the Merkle tree, signed checkpoints and group
// commit over a store.
//
// Append() queues an entry for a commit. A commit takes everything that
// queued up meanwhile, assigns indexes, extends the tree, signs a
// checkpoint for the new tree head, and writes entries, tree nodes and
// checkpoint in one durable transaction. Only then does it call each
// entry's callback, so a caller that releases data from the callback never
// releases data whose audit entry is not durable and covered by a
// signed checkpoint.
//
// One commit runs at a time. Normally the writer thread runs it. Under
// load, when an entry queued earlier is still waiting because the writer
// is busy answering the previous commit or has not been scheduled yet,
// Append() commits on the caller's thread instead (decision 0014): that
// saves a thread wake-up per commit and lets commits grow. It does so only
// on threads marked with AllowCommitsOnThisThread() (the gateway's call
// workers), never on a gRPC thread, which also polls the network
// (decision 0021). So a callback may run on the writer thread or on the
// thread of any Append() call, including inside the Append() that queued
// it: do not hold a lock that the callback takes while calling Append().
//
// The log only ever extends the tree whose root it last signed: at start,
// and after any store failure, it re-reads the stored tree and refuses
// (FAILED_PRECONDITION) to write if that tree no longer matches the last
// signed checkpoint. So it never signs two inconsistent checkpoints.
//
// With a head file (AuditLogOptions::head_file), the last kept checkpoint
// is also written outside the store, off the commit path; at start the
// store must reach that checkpoint and agree with its root, so restoring
// an older copy of the store is refused (AUDIT_ROLLED_BACK, AUDIT_FORKED)
// instead of forking the log.
//
// If the store fails, every entry in the batch fails with UNAVAILABLE; the
// log recovers by itself when the store comes back. Thread-safe.
#ifndef KETENPOORT_GATEWAY_AUDIT_AUDIT_LOG_H_
#define KETENPOORT_GATEWAY_AUDIT_AUDIT_LOG_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/audit/audit_store.h"
#include "gateway/audit/checkpoint.h"
#include "gateway/audit/merkle_frontier.h"
#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::audit {

// Called once the entry is durable, with its index, or with an error; on
// the thread that ran the commit (see above).
using AppendCallback = std::function<void(absl::StatusOr<uint64_t>)>;

struct AuditLogOptions {
  size_t max_batch = 1024;
  // Entries waiting for a commit at most; beyond it Append fails at once
  // with RESOURCE_EXHAUSTED AUDIT_QUEUE_FULL, so a store that cannot keep
  // up sheds load instead of holding ever more calls and memory.
  size_t max_queue = 65536;
  // Where the last signed checkpoint is kept outside the store; empty:
  // nowhere (tests of the log alone).
  std::string head_file;
};

class AuditLog {
 public:
  // Checks the stored tree against its last signed checkpoint, then starts
  // the writer. FAILED_PRECONDITION if they disagree.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(AuditStorePtr store,
                                                        CheckpointSigner signer,
                                                        AuditLogOptions options = {});
  ~AuditLog();  // drains queued entries, then stops the writer

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Marks the calling thread as one that may wait through a commit, so
  // Append() on it may commit under load. For the gateway's own worker
  // threads; a thread not marked never commits inside Append().
  static void AllowCommitsOnThisThread();

  // Queues `entry`; its index is assigned by the log.
  void Append(v1::AuditEntry entry, AppendCallback done);
  // Queues `entries` one after another (consecutive indexes, normally one
  // commit). `done` is called once, when all are durable, with the index
  // of the first; with an error if any failed.
  void AppendAll(std::vector<v1::AuditEntry> entries, AppendCallback done);
  // Appends and waits until durable.
  absl::StatusOr<uint64_t> AppendAndWait(v1::AuditEntry entry);

  // Entries made durable since start, and the transactions that did it.
  uint64_t committed_count() const;
  uint64_t commit_count() const;
  // Appends refused because the queue was full.
  uint64_t refused_full_count() const;
  // The latest signed checkpoint (size 0 and no note for an empty log).
  StoredCheckpoint LatestCheckpoint() const;
  const CheckpointSigner& signer() const { return signer_; }

  // Retention: removes the content of the entries before `cutoff` (their
  // leaf hashes stay), after appending an ADMIN entry that says so.
  // Returns how many entries were pruned. Once `stop` is requested it ends
  // after the store's step in progress; the next run continues from there.
  absl::StatusOr<uint64_t> PruneBefore(int64_t cutoff_unix_micros, int64_t now_unix_micros,
                                       std::stop_token stop = {});

 private:
  // Retention's guard: the stored leaf hashes of `first`..`through` give
  // the signed head's root (DATA_LOSS AUDIT_TREE_MISMATCH otherwise). OK
  // without a verdict when `stop` ends it.
  absl::Status CheckLeavesAreSigned(uint64_t first, uint64_t through, std::stop_token stop);
  struct Pending {
    // Prepared on the caller's thread, so the commit (the bottleneck)
    // only adds the index and hashes.
    StoredEntry row;  // entry_bytes without the index field
    AppendCallback done;
    uint64_t index = 0;  // assigned by the commit
  };

  AuditLog(AuditStorePtr store, CheckpointSigner signer, AuditLogOptions options);
  // Queues `entries`; commits them on this thread if the writer is behind.
  void Enqueue(Pending* entries, size_t count);
  void WriterLoop();
  // Holding `lock` with writing_ set: takes a batch off the queue, commits
  // it without the lock, clears writing_ and answers the batch.
  void CommitQueued(std::unique_lock<std::mutex>& lock);
  // Writes the batch as one commit and assigns each entry its index.
  absl::Status WriteBatch(std::vector<Pending>& batch);
  // Re-reads the stored tree and checks it against the last checkpoint.
  absl::Status LoadTree();
  // At start: the store must reach the head file's checkpoint and agree
  // with it; then the file is brought up to the store's head.
  absl::Status CheckHeadFile();
  // Writes the kept checkpoints handed to it, one at a time, until stopped.
  void HeadWriterLoop();
  void WriteHeadFile(const StoredCheckpoint& checkpoint);

  AuditStorePtr store_;
  const CheckpointSigner signer_;
  const AuditLogOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;       // guarded by mutex_
  bool stopping_ = false;           // guarded by mutex_
  bool writing_ = false;            // guarded by mutex_; a commit is running
  uint64_t committed_ = 0;          // guarded by mutex_
  uint64_t commits_ = 0;            // guarded by mutex_
  uint64_t refused_full_ = 0;       // guarded by mutex_
  size_t last_commit_entries_ = 0;  // guarded by mutex_
  StoredCheckpoint head_;           // guarded by mutex_

  // Owned by the thread that set writing_ (and by Open, before the writer
  // starts).
  bool tree_known_ = false;
  MerkleFrontier frontier_;
  std::chrono::steady_clock::time_point last_kept_checkpoint_{};

  std::thread writer_;

  // The head file and its writer thread (only with options_.head_file).
  std::mutex head_mutex_;
  std::condition_variable head_wake_;
  std::optional<StoredCheckpoint> head_to_write_;  // guarded by head_mutex_
  bool head_stopping_ = false;                     // guarded by head_mutex_
  uint64_t head_written_size_ = 0;                 // owned by the head writer
  std::thread head_writer_;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_AUDIT_LOG_H_
