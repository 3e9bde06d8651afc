// The embedded audit store's writer: one SQLite file in WAL mode with
// synchronous=FULL, so a committed batch survives power loss. Readers
// (services, the verifier) open their own connection: AuditReader.
// Thread-safe: calls are serialised on one connection.
#ifndef KETENPOORT_GATEWAY_AUDIT_SQLITE_AUDIT_STORE_H_
#define KETENPOORT_GATEWAY_AUDIT_SQLITE_AUDIT_STORE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

#include "gateway/audit/audit_rows.h"
#include "gateway/audit/audit_store.h"
#include "gateway/audit/schema_guard.h"
#include "gateway/store/sqlite_database.h"

namespace ketenpoort::audit {

struct SqliteAuditStoreOptions {
  // A commit adds the subject and facet index rows of the entries since
  // the last such commit once there are this many: a bulk insert writes
  // each index page once, where a row per entry and commit wrote a page
  // per subject and commit. Readers scan at most about this many unindexed
  // entries. See decisions 0016 and 0027.
  uint64_t subject_index_batch = 1024;
  // Retention prunes this many entries per transaction, and looks for its
  // boundary this many entries at a time, taking the store's lock for each
  // step: appends wait for one step, not for the whole prune.
  uint64_t retention_step = 512;
};

class SqliteAuditStore final : public AuditStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteAuditStore>> Open(
      const std::string& path, SqliteAuditStoreOptions options = {});

  absl::StatusOr<uint64_t> Size() override;
  absl::StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() override;
  absl::StatusOr<merkle::Hash> Node(uint32_t level, uint64_t index) override;
  absl::Status AppendBatch(const std::vector<StoredEntry>& entries,
                           const std::vector<MerkleNode>& nodes, const StoredCheckpoint& checkpoint,
                           bool keep_checkpoint) override;
  absl::StatusOr<uint64_t> LastIndexBefore(int64_t cutoff_unix_micros,
                                           std::stop_token stop) override;
  absl::StatusOr<uint64_t> PrunedThrough() override;
  absl::StatusOr<uint64_t> PruneThrough(uint64_t through, int64_t cutoff_unix_micros,
                                        uint64_t recorded_by, std::stop_token stop) override;

  // Called inside each retention step's transaction, after its first
  // writes, with the step's last entry: a test makes a step fail there to
  // show that it rolls back whole. Never set in the gateway; set it before
  // retention runs.
  void SetInsideRetentionStepForTest(std::function<absl::Status(uint64_t through)> hook) {
    inside_retention_step_ = std::move(hook);
  }

 private:
  SqliteAuditStore(std::unique_ptr<store::SqliteDatabase> db, SqliteAuditStoreOptions options)
      : options_(options), db_(std::move(db)), schema_(*db_) {}
  absl::Status Prepare();
  absl::Status MigrateLegacySubjectIndex();
  absl::StatusOr<uint64_t> ReadSubjectIndexedThrough();
  // Adds the subject index rows of entries (subject_indexed_through_, last].
  absl::Status IndexSubjectsThrough(uint64_t last);
  absl::StatusOr<uint64_t> ReadFacetIndexedThrough();
  // Adds the facet rows and the time block of entries
  // (facet_indexed_through_, last], read back from the store.
  absl::Status IndexFacetsThrough(uint64_t last);
  // Brings the subject and facet indexes up to the log, a chunk per
  // transaction, before the gateway serves from the store: a store written
  // before the facet index, or whose indexes fell behind.
  absl::Status CatchUpIndexes();
  // Deletes the facet rows of the entries in (done, through], found by
  // their keys, which only the entries still hold; DATA_LOSS unless every
  // indexed entry had all of its rows.
  absl::Status DeleteFacetRows(uint64_t done, uint64_t through);
  absl::StatusOr<uint64_t> QueryCount(std::string_view sql);
  absl::StatusOr<uint64_t> ReadPrunedThrough();
  // Runs a statement whose ?1 and ?2 bound an idx range.
  absl::Status RunOverRange(uint64_t after, uint64_t through, std::string_view sql,
                            std::string_view what);
  // One retention step: prunes entries (done, through] in one transaction.
  absl::StatusOr<uint64_t> PruneStep(uint64_t done, uint64_t through, int64_t cutoff_unix_micros,
                                     uint64_t recorded_by);
  // DATA_LOSS unless the last statement deleted one subject index row per
  // indexed entry with a subject in (done, through].
  absl::Status CheckSubjectRowsDeleted(uint64_t done, uint64_t through);
  // Runs `write` in a transaction, on this version's schema only (but for
  // the one migration that changes it); rolls back if it fails.
  absl::Status InTransaction(const std::function<absl::Status()>& write, bool check_schema = true);

  const SqliteAuditStoreOptions options_;
  std::mutex mutex_;
  std::atomic<int> appends_waiting_{0};  // for mutex_; retention yields to them
  std::unique_ptr<store::SqliteDatabase> db_;
  SchemaGuard schema_;
  std::function<absl::Status(uint64_t through)> inside_retention_step_;
  uint64_t subject_indexed_through_ = 0;  // as committed
  uint64_t facet_indexed_through_ = 0;    // as committed
  store::Statement insert_facet_;
  store::Statement insert_facet_block_;
  store::Statement select_unindexed_;
  store::Statement index_subjects_;
  store::Statement mark_subjects_indexed_;
  store::Statement insert_entry_;
  store::Statement insert_node_;
  store::Statement insert_checkpoint_;
  store::Statement upsert_head_;
  NodeReader nodes_;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_SQLITE_AUDIT_STORE_H_
