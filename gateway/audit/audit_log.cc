#include "gateway/audit/audit_log.h"

#include <future>

#include "gateway/audit/entry_encoding.h"
#include "gateway/audit/head_file.h"
#include "gateway/audit/tree_proofs.h"
#include "gateway/common/error.h"
#include "gateway/common/log.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {
namespace {

// The head checkpoint moves with every commit; one is kept for good at
// least this often, so verifiers and auditors have fixed points to refer
// to without one signature per batch to check.
constexpr uint64_t kKeepCheckpointEvery = 4096;
constexpr std::chrono::seconds kKeepCheckpointInterval(1);

// Callers commit for a writer that is behind only once commits carry at
// least this many entries (decision 0014; measured at 8 to 256 calls
// outstanding in docs/performance.md).
constexpr size_t kCallersCommitFromEntries = 8;

absl::Status Inconsistent(const std::string& what) {
  return MakeError(absl::StatusCode::kFailedPrecondition, "AUDIT_TREE_INCONSISTENT",
                   "the audit store does not match its last signed checkpoint: " + what +
                       "; run `ketenctl audit verify` and restore the store");
}

// Serializes the entry without its index, which the writer adds later:
// `index` is field 1, and protobuf writes fields in number order, so
// prefixing "index" to the rest gives exactly the full serialization.
// Every entry must read back: one that would not parse is repaired first
// (and that is logged, without the bytes), never stored as it is.
StoredEntry PrepareRow(v1::AuditEntry& entry) {
  StoredEntry row;
  entry.clear_index();
  if (const int repaired = MakeDecodable(entry); repaired > 0) {
    log::Error("audit_entry_repaired", {{"fields", repaired}, {"method", entry.method()}});
  }
  entry.SerializeToString(&row.entry_bytes);
  EntryColumns columns = ColumnsOf(entry);
  row.time_unix_micros = columns.time_unix_micros;
  row.partner_id = std::move(columns.partner_id);
  row.source_partner_id = std::move(columns.source_partner_id);
  row.subject_key = columns.subject_key;
  return row;
}

void PrefixIndex(uint64_t index, std::string& bytes) {
  std::string prefix(1, '\x08');  // field 1, varint
  do {
    const auto low = static_cast<uint8_t>(index & 0x7f);
    index >>= 7;
    prefix.push_back(static_cast<char>(index ? (low | 0x80) : low));
  } while (index);
  bytes.insert(0, prefix);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(AuditStorePtr store,
                                                         CheckpointSigner signer,
                                                         AuditLogOptions options) {
  std::unique_ptr<AuditLog> log(new AuditLog(std::move(store), std::move(signer), options));
  RETURN_IF_ERROR(log->LoadTree());
  if (!log->options_.head_file.empty()) {
    RETURN_IF_ERROR(log->CheckHeadFile());
    log->head_writer_ = std::thread([raw = log.get()] { raw->HeadWriterLoop(); });
  }
  log->writer_ = std::thread([raw = log.get()] { raw->WriterLoop(); });
  return log;
}

AuditLog::AuditLog(AuditStorePtr store, CheckpointSigner signer, AuditLogOptions options)
    : store_(std::move(store)), signer_(std::move(signer)), options_(options) {}

AuditLog::~AuditLog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (head_writer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(head_mutex_);
      head_stopping_ = true;
    }
    head_wake_.notify_all();
    head_writer_.join();
    // A clean stop leaves the file at the exact head.
    WriteHeadFile(LatestCheckpoint());
  }
}

absl::Status AuditLog::CheckHeadFile() {
  const HeadFile file(options_.head_file);
  ASSIGN_OR_RETURN(std::optional<std::string> note, file.Read());
  const StoredCheckpoint head = LatestCheckpoint();
  uint64_t file_size = 0;
  if (note) {
    const std::string recovery =
        ". Restore the newest copy of the audit store. If entries are truly lost, record the "
        "incident, keep " +
        file.path() +
        " as evidence and move it aside to start from the store as it is; `ketenctl audit "
        "verify --db <store> --trusted-checkpoint " +
        file.path() + "` shows the difference";
    ASSIGN_OR_RETURN(const CheckpointVerifier verifier,
                     CheckpointVerifier::FromVerifierKey(signer_.VerifierKey()));
    absl::StatusOr<Checkpoint> kept = verifier.Open(*note);
    if (!kept.ok()) {
      return MakeError(absl::StatusCode::kFailedPrecondition, "AUDIT_HEAD_FILE_INVALID",
                       file.path() + " holds no checkpoint signed by this gateway's key (" +
                           std::string(kept.status().message()) + ")" + recovery);
    }
    if (kept->size > head.size) {
      return MakeError(absl::StatusCode::kFailedPrecondition, "AUDIT_ROLLED_BACK",
                       "the audit store holds " + std::to_string(head.size) +
                           " entries, but this gateway signed a checkpoint for " +
                           std::to_string(kept->size) + " (kept in " + file.path() +
                           "): the store was rolled back or replaced" + recovery);
    }
    ASSIGN_OR_RETURN(const merkle::Hash root,
                     StoredRoot(kept->size, [this](uint32_t level, uint64_t index) {
                       return store_->Node(level, index);
                     }));
    if (root != kept->root) {
      return MakeError(absl::StatusCode::kFailedPrecondition, "AUDIT_FORKED",
                       "the audit store's first " + std::to_string(kept->size) +
                           " entries differ from the checkpoint this gateway signed for them "
                           "(kept in " +
                           file.path() + "): the store was replaced or rewritten" + recovery);
    }
    file_size = kept->size;
  } else if (head.size > 0) {
    log::Info("audit_head_file_created", {{"size", head.size}});
  }
  head_written_size_ = file_size;
  if (head.size > file_size) WriteHeadFile(head);
  return absl::OkStatus();
}

void AuditLog::HeadWriterLoop() {
  std::unique_lock<std::mutex> lock(head_mutex_);
  for (;;) {
    head_wake_.wait(lock, [this] { return head_stopping_ || head_to_write_.has_value(); });
    if (head_stopping_) return;
    StoredCheckpoint checkpoint = std::move(*head_to_write_);
    head_to_write_.reset();
    lock.unlock();
    WriteHeadFile(checkpoint);
    lock.lock();
  }
}

void AuditLog::WriteHeadFile(const StoredCheckpoint& checkpoint) {
  if (checkpoint.size <= head_written_size_) return;
  const absl::Status written = HeadFile(options_.head_file).Write(checkpoint.note);
  if (!written.ok()) {
    // The store has the entries; only the guard against a rollback lags.
    log::Error("audit_head_file_write_failed", {{"reason", std::string(written.message())}});
    return;
  }
  head_written_size_ = checkpoint.size;
}

void AuditLog::Append(v1::AuditEntry entry, AppendCallback done) {
  Pending pending{PrepareRow(entry), std::move(done)};
  Enqueue(&pending, 1);
}

void AuditLog::AppendAll(std::vector<v1::AuditEntry> entries, AppendCallback done) {
  if (entries.empty()) {
    done(absl::FailedPreconditionError("nothing to append"));
    return;
  }
  // The outcome of the whole group, reported when its last entry is done.
  struct Group {
    std::mutex mutex;
    size_t remaining = 0;
    absl::StatusOr<uint64_t> first = uint64_t{0};
    AppendCallback done;
  };
  auto group = std::make_shared<Group>();
  group->remaining = entries.size();
  group->done = std::move(done);
  std::vector<Pending> pending;
  pending.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    pending.push_back({PrepareRow(entries[i]), [group, i](absl::StatusOr<uint64_t> index) {
                         bool last;
                         {
                           std::lock_guard<std::mutex> lock(group->mutex);
                           if (!index.ok() && group->first.ok()) {
                             group->first = index.status();
                           } else if (i == 0 && group->first.ok()) {
                             group->first = *index;
                           }
                           last = --group->remaining == 0;
                         }
                         if (last) group->done(group->first);
                       }});
  }
  Enqueue(pending.data(), pending.size());
}

namespace {
thread_local bool commits_allowed_here = false;
}  // namespace

void AuditLog::AllowCommitsOnThisThread() { commits_allowed_here = true; }

void AuditLog::Enqueue(Pending* entries, size_t count) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (queue_.size() + count > options_.max_queue) {
    ++refused_full_;
    lock.unlock();
    const absl::Status full =
        MakeError(absl::StatusCode::kResourceExhausted, "AUDIT_QUEUE_FULL",
                  "the audit log has " + std::to_string(options_.max_queue) +
                      " entries waiting to be written, so nothing is released or changed now; "
                      "retry later");
    for (size_t i = 0; i < count; ++i) entries[i].done(full);
    return;
  }
  // An entry still queued means the writer has not taken it yet: it is
  // answering the previous commit, or waiting to be scheduled. Under load
  // (the last commit was shared widely) committing here saves a thread
  // wake-up and lets the next commit gather more. Under light load it
  // would hold this thread through an fsync while the next request waits
  // for it, so the writer keeps the commit. A gRPC thread never commits:
  // it also polls the network (decision 0021).
  const bool writer_behind = commits_allowed_here && !queue_.empty() && !writing_ && !stopping_ &&
                             last_commit_entries_ >= kCallersCommitFromEntries;
  for (size_t i = 0; i < count; ++i) queue_.push_back(std::move(entries[i]));
  if (!writer_behind) {
    lock.unlock();
    wake_.notify_one();
    return;
  }
  writing_ = true;
  CommitQueued(lock);
}

absl::StatusOr<uint64_t> AuditLog::AppendAndWait(v1::AuditEntry entry) {
  std::promise<absl::StatusOr<uint64_t>> promise;
  std::future<absl::StatusOr<uint64_t>> result = promise.get_future();
  Append(std::move(entry),
         [&promise](absl::StatusOr<uint64_t> index) { promise.set_value(std::move(index)); });
  return result.get();
}

uint64_t AuditLog::committed_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return committed_;
}

uint64_t AuditLog::refused_full_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refused_full_;
}

uint64_t AuditLog::commit_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return commits_;
}

StoredCheckpoint AuditLog::LatestCheckpoint() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return head_;
}

absl::Status AuditLog::LoadTree() {
  ASSIGN_OR_RETURN(const uint64_t size, store_->Size());
  ASSIGN_OR_RETURN(std::optional<StoredCheckpoint> checkpoint, store_->LatestCheckpoint());
  const uint64_t signed_size = checkpoint ? checkpoint->size : 0;
  if (size < signed_size) {
    return Inconsistent("it holds " + std::to_string(size) + " entries, but a checkpoint for " +
                        std::to_string(signed_size) + " was signed (truncated?)");
  }
  if (size > signed_size) {
    return Inconsistent(std::to_string(size - signed_size) +
                        " entries are not covered by any signed checkpoint");
  }
  auto frontier = MerkleFrontier::Load(
      size, [this](uint32_t level, uint64_t index) { return store_->Node(level, index); });
  if (!frontier.ok()) {
    if (frontier.status().code() == absl::StatusCode::kNotFound) {
      return Inconsistent(std::string(frontier.status().message()));
    }
    return frontier.status();
  }
  if (checkpoint) {
    if (frontier->Root() != checkpoint->root) {
      return Inconsistent("the stored tree's root differs from the signed root");
    }
    if (checkpoint->note.rfind(
            FormatCheckpointBody({signer_.origin(), checkpoint->size, checkpoint->root, {}}), 0) !=
        0) {
      return Inconsistent("the last checkpoint note is not this log's");
    }
  }
  frontier_ = *frontier;
  tree_known_ = true;
  std::lock_guard<std::mutex> lock(mutex_);
  head_ = checkpoint.value_or(StoredCheckpoint{0, merkle::EmptyRoot(), ""});
  return absl::OkStatus();
}

void AuditLog::WriterLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return !writing_ && (stopping_ || !queue_.empty()); });
    if (queue_.empty()) return;  // stopping, and everything is written
    writing_ = true;
    CommitQueued(lock);
    lock.lock();
  }
}

void AuditLog::CommitQueued(std::unique_lock<std::mutex>& lock) {
  // Everything that queued while the last commit was written goes into
  // this one: that is the group commit.
  const size_t take = std::min(queue_.size(), options_.max_batch);
  std::vector<Pending> batch;
  batch.reserve(take);
  for (size_t i = 0; i < take; ++i) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  lock.unlock();
  const absl::Status status = WriteBatch(batch);
  lock.lock();
  writing_ = false;
  // Whatever queued meanwhile is the writer's, while this thread answers.
  if (!queue_.empty() || stopping_) wake_.notify_one();
  lock.unlock();
  for (Pending& pending : batch) {
    if (status.ok()) {
      pending.done(pending.index);
    } else {
      pending.done(status);
    }
  }
}

absl::Status AuditLog::WriteBatch(std::vector<Pending>& batch) {
  absl::Status status = tree_known_ ? absl::OkStatus() : LoadTree();
  std::vector<StoredEntry> rows;
  std::vector<MerkleNode> nodes;
  MerkleFrontier frontier = frontier_;  // advanced for real only on commit
  StoredCheckpoint checkpoint;
  if (status.ok()) {
    rows.reserve(batch.size());
    for (Pending& pending : batch) {
      StoredEntry& row = rows.emplace_back(std::move(pending.row));
      row.index = frontier.size() + 1;
      PrefixIndex(row.index, row.entry_bytes);
      row.leaf_hash = merkle::HashLeaf(row.entry_bytes);
      frontier.Append(row.leaf_hash, &nodes);
      pending.index = row.index;
    }
    checkpoint.size = frontier.size();
    checkpoint.root = frontier.Root();
    checkpoint.note = signer_.Sign(checkpoint.size, checkpoint.root);
    const auto now = std::chrono::steady_clock::now();
    const bool keep =
        checkpoint.size / kKeepCheckpointEvery != frontier_.size() / kKeepCheckpointEvery ||
        now - last_kept_checkpoint_ >= kKeepCheckpointInterval;
    status = store_->AppendBatch(rows, nodes, checkpoint, keep);
    if (status.ok() && keep) {
      last_kept_checkpoint_ = now;
      if (!options_.head_file.empty()) {
        std::lock_guard<std::mutex> lock(head_mutex_);
        head_to_write_ = checkpoint;
      }
      head_wake_.notify_one();
    }
  }

  if (!status.ok()) {
    // Fail closed: nobody in this batch may release data. Re-read the
    // tree next time, in case the store changed under us.
    tree_known_ = false;
    log::Error("audit_write_failed",
               {{"entries", batch.size()}, {"reason", std::string(status.message())}});
    return status;
  }
  frontier_ = frontier;
  std::lock_guard<std::mutex> lock(mutex_);
  committed_ += rows.size();
  last_commit_entries_ = rows.size();
  ++commits_;
  head_ = std::move(checkpoint);
  return absl::OkStatus();
}

absl::Status AuditLog::CheckLeavesAreSigned(uint64_t first, uint64_t through,
                                            std::stop_token stop) {
  const StoredCheckpoint head = LatestCheckpoint();
  if (head.size < through) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "AUDIT_TREE_MISMATCH",
                     "retention found entries beyond the signed tree; nothing was removed");
  }
  uint64_t leaves = 0;
  const NodeLookup lookup = [&](uint32_t level, uint64_t index) -> absl::StatusOr<merkle::Hash> {
    // A stop ends the check between leaves; the run then removes nothing.
    if (level == 0 && ++leaves % 4096 == 0 && stop.stop_requested()) {
      return absl::CancelledError("retention stopped");
    }
    return store_->Node(level, index);
  };
  absl::StatusOr<merkle::Hash> root = RootFromLeaves(head.size, first - 1, through, lookup);
  if (!root.ok() && stop.stop_requested()) return absl::OkStatus();
  RETURN_IF_ERROR(root.status());
  if (*root != head.root) {
    log::Error("audit_retention_stopped",
               {{"index", first},
                {"reason", "leaf hashes do not match the signed tree; run ketenctl audit verify"}});
    return MakeError(absl::StatusCode::kDataLoss, "AUDIT_TREE_MISMATCH",
                     "the leaf hashes of entries " + std::to_string(first) + ".." +
                         std::to_string(through) +
                         " do not match the signed tree, so retention removed nothing; run "
                         "`ketenctl audit verify`");
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> AuditLog::PruneBefore(int64_t cutoff_unix_micros, int64_t now_unix_micros,
                                               std::stop_token stop) {
  ASSIGN_OR_RETURN(const uint64_t through, store_->LastIndexBefore(cutoff_unix_micros, stop));
  ASSIGN_OR_RETURN(const uint64_t already, store_->PrunedThrough());
  // A stopped search found only part of the range: say nothing rather
  // than announce a removal that will not start.
  if (through <= already || stop.stop_requested()) return 0;
  // The search held each entry to its stored leaf hash; this holds those
  // leaf hashes to the signed tree, so an entry rewritten together with its
  // leaf hash is not emptied (and its leaf hash then put back).
  RETURN_IF_ERROR(CheckLeavesAreSigned(already + 1, through, stop));
  if (stop.stop_requested()) return 0;
  v1::AuditEntry entry;
  entry.set_kind(v1::AuditEntry::ADMIN);
  entry.set_time_unix_micros(now_unix_micros);
  entry.set_method("retention");
  entry.set_detail("retention: removing the content of entries " + std::to_string(already + 1) +
                   ".." + std::to_string(through) + "; their leaf hashes stay in the tree");
  // The signed range: the verifier holds every emptied entry to it.
  entry.mutable_retention()->set_first_index(already + 1);
  entry.mutable_retention()->set_through_index(through);
  entry.mutable_retention()->set_cutoff_unix_micros(cutoff_unix_micros);
  ASSIGN_OR_RETURN(const uint64_t recorded_by, AppendAndWait(std::move(entry)));
  return store_->PruneThrough(through, cutoff_unix_micros, recorded_by, stop);
}

}  // namespace ketenpoort::audit
