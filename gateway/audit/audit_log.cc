#include "gateway/audit/audit_log.h"

#include <future>

#include "gateway/common/log.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {

crypto::Sha256Digest ChainHash(const crypto::Sha256Digest& prev_hash,
                               std::string_view entry_bytes) {
  return crypto::Sha256({crypto::AsBytes(prev_hash), entry_bytes});
}

AuditLog::AuditLog(AuditStorePtr store, AuditLogOptions options)
    : store_(std::move(store)), options_(options) {
  writer_ = std::thread([this] { WriterLoop(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

void AuditLog::Append(v1::AuditEntry entry, AppendCallback done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(Pending{std::move(entry), std::move(done)});
  }
  wake_.notify_one();
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

absl::Status AuditLog::LoadTail() {
  ASSIGN_OR_RETURN(std::optional<StoredEntry> tail, store_->Tail());
  last_index_ = tail ? tail->index : 0;
  last_hash_ = tail ? tail->entry_hash : crypto::Sha256Digest{};
  tail_known_ = true;
  return absl::OkStatus();
}

void AuditLog::WriterLoop() {
  std::deque<Pending> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is written
      // Everything that queued while the last batch was being written
      // goes into this one: that is the group commit.
      const size_t take = std::min(queue_.size(), options_.max_batch);
      for (size_t i = 0; i < take; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    WriteBatch(batch);
    batch.clear();
  }
}

void AuditLog::WriteBatch(std::deque<Pending>& batch) {
  absl::Status status = tail_known_ ? absl::OkStatus() : LoadTail();
  std::vector<StoredEntry> rows;
  if (status.ok()) {
    rows.reserve(batch.size());
    uint64_t index = last_index_;
    crypto::Sha256Digest prev = last_hash_;
    for (Pending& pending : batch) {
      pending.entry.set_index(++index);
      StoredEntry row;
      row.index = index;
      pending.entry.SerializeToString(&row.entry_bytes);
      row.prev_hash = prev;
      row.entry_hash = ChainHash(prev, row.entry_bytes);
      prev = row.entry_hash;
      rows.push_back(std::move(row));
    }
    status = store_->AppendBatch(rows);
  }

  if (!status.ok()) {
    // Fail closed: nobody in this batch may release data. Re-read the
    // tail next time, in case the store changed under us.
    tail_known_ = false;
    log::Error("audit_write_failed",
               {{"entries", batch.size()}, {"reason", std::string(status.message())}});
    for (Pending& pending : batch) pending.done(status);
    return;
  }
  last_index_ = rows.back().index;
  last_hash_ = rows.back().entry_hash;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    committed_ += rows.size();
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(rows[i].index);
}

}  // namespace ketenpoort::audit
