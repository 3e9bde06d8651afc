// The embedded audit store's writer: one SQLite file in WAL mode with
// synchronous=FULL, so a committed batch survives power loss. Readers
// (services, the verifier) open their own connection: AuditReader.
// Thread-safe: calls are serialised on one connection.
#ifndef KETENPOORT_GATEWAY_AUDIT_SQLITE_AUDIT_STORE_H_
#define KETENPOORT_GATEWAY_AUDIT_SQLITE_AUDIT_STORE_H_

#include <memory>
#include <mutex>
#include <string>

#include "gateway/audit/audit_rows.h"
#include "gateway/audit/audit_store.h"
#include "gateway/store/sqlite_database.h"

namespace ketenpoort::audit {

class SqliteAuditStore final : public AuditStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteAuditStore>> Open(const std::string& path);

  absl::StatusOr<uint64_t> Size() override;
  absl::StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() override;
  absl::StatusOr<merkle::Hash> Node(uint32_t level, uint64_t index) override;
  absl::Status AppendBatch(const std::vector<StoredEntry>& entries,
                           const std::vector<MerkleNode>& nodes, const StoredCheckpoint& checkpoint,
                           bool keep_checkpoint) override;
  absl::StatusOr<uint64_t> LastIndexBefore(int64_t cutoff_unix_micros) override;
  absl::StatusOr<uint64_t> PrunedThrough() override;
  absl::StatusOr<uint64_t> PruneThrough(uint64_t through, int64_t cutoff_unix_micros,
                                        uint64_t recorded_by) override;

 private:
  explicit SqliteAuditStore(std::unique_ptr<store::SqliteDatabase> db) : db_(std::move(db)) {}
  absl::Status Prepare();
  absl::StatusOr<uint64_t> QueryCount(std::string_view sql);
  // Runs `write` in a transaction; rolls back if it fails.
  absl::Status InTransaction(const std::function<absl::Status()>& write);

  std::mutex mutex_;
  std::unique_ptr<store::SqliteDatabase> db_;
  store::Statement insert_entry_;
  store::Statement insert_node_;
  store::Statement insert_checkpoint_;
  store::Statement upsert_head_;
  NodeReader nodes_;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_SQLITE_AUDIT_STORE_H_
