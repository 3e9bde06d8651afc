#include "gateway/audit/sqlite_audit_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stop_token>
#include <thread>

#include "gateway/audit/audit_rows.h"
#include "gateway/audit/audit_schema.h"
#include "gateway/audit/entry_facets.h"
#include "gateway/common/error.h"
#include "gateway/common/log.h"
#include "gateway/common/status_macros.h"
#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::audit {

absl::StatusOr<std::unique_ptr<SqliteAuditStore>> SqliteAuditStore::Open(
    const std::string& path, SqliteAuditStoreOptions options) {
  if (options.subject_index_batch == 0) options.subject_index_batch = 1;
  if (options.retention_step == 0) options.retention_step = 1;
  ASSIGN_OR_RETURN(auto db,
                   store::SqliteDatabase::Open({.name = "audit store",
                                                .path = path,
                                                .schema = kAuditSchema,
                                                .error_reason = "AUDIT_STORE_UNAVAILABLE"}));
  // The bulk subject index insert needs a statement journal; on disk it
  // would cost a temporary file's writes per insert.
  RETURN_IF_ERROR(db->Exec("PRAGMA temp_store=MEMORY"));
  std::unique_ptr<SqliteAuditStore> store(new SqliteAuditStore(std::move(db), options));
  RETURN_IF_ERROR(store->Prepare());
  RETURN_IF_ERROR(store->MigrateLegacySubjectIndex());
  // Refuse a store with objects this version did not create before
  // anything is written to it (see schema_guard.h).
  RETURN_IF_ERROR(store->InTransaction([] { return absl::OkStatus(); }));
  ASSIGN_OR_RETURN(store->subject_indexed_through_, store->ReadSubjectIndexedThrough());
  ASSIGN_OR_RETURN(store->facet_indexed_through_, store->ReadFacetIndexedThrough());
  RETURN_IF_ERROR(store->CatchUpIndexes());
  return store;
}

absl::Status SqliteAuditStore::Prepare() {
  ASSIGN_OR_RETURN(insert_entry_,
                   db_->Prepare("INSERT INTO audit_entry (idx, leaf_hash, entry, time_us, "
                                "partner_id, source_partner_id, subject_key) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  ASSIGN_OR_RETURN(insert_node_,
                   db_->Prepare("INSERT INTO audit_node (level, idx, hash) VALUES (?1, ?2, ?3)"));
  ASSIGN_OR_RETURN(insert_checkpoint_,
                   db_->Prepare("INSERT INTO audit_checkpoint (size, root, note) "
                                "VALUES (?1, ?2, ?3)"));
  ASSIGN_OR_RETURN(
      upsert_head_,
      db_->Prepare("INSERT INTO audit_head (id, size, root, note) "
                   "VALUES (1, ?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET "
                   "size = excluded.size, root = excluded.root, note = excluded.note"));
  ASSIGN_OR_RETURN(index_subjects_,
                   db_->Prepare("INSERT INTO audit_subject (subject_key, idx) "
                                "SELECT subject_key, idx FROM audit_entry "
                                "WHERE idx > ?1 AND idx <= ?2 AND subject_key IS NOT NULL"));
  ASSIGN_OR_RETURN(mark_subjects_indexed_,
                   db_->Prepare("INSERT INTO audit_subject_indexed (id, through) VALUES (1, ?1) "
                                "ON CONFLICT (id) DO UPDATE SET through = excluded.through"));
  ASSIGN_OR_RETURN(insert_facet_,
                   db_->Prepare("INSERT INTO audit_facet (facet, idx) VALUES (?1, ?2)"));
  ASSIGN_OR_RETURN(insert_facet_block_,
                   db_->Prepare("INSERT INTO audit_facet_block (through, first, min_time_us, "
                                "max_time_us) VALUES (?1, ?2, ?3, ?4)"));
  ASSIGN_OR_RETURN(select_unindexed_,
                   db_->Prepare("SELECT idx, entry, time_us FROM audit_entry NOT INDEXED "
                                "WHERE idx > ?1 AND idx <= ?2 ORDER BY idx"));
  return nodes_.Prepare(*db_);
}

absl::Status SqliteAuditStore::MigrateLegacySubjectIndex() {
  {
    ASSIGN_OR_RETURN(store::Statement find, db_->Prepare("SELECT 1 FROM sqlite_master "
                                                         "WHERE type = 'index' AND name = ?1"));
    find.BindText(1, kLegacySubjectIndex);
    if (find.Step() != SQLITE_ROW) return absl::OkStatus();
  }  // finalized: DROP INDEX needs no statement reading the schema
  uint64_t size = 0;
  RETURN_IF_ERROR(InTransaction(
      [&]() -> absl::Status {
        ASSIGN_OR_RETURN(size, ReadSize(*db_));
        ASSIGN_OR_RETURN(store::Statement copy,
                         db_->Prepare("INSERT OR IGNORE INTO audit_subject (subject_key, idx) "
                                      "SELECT subject_key, idx FROM audit_entry NOT INDEXED "
                                      "WHERE subject_key IS NOT NULL ORDER BY subject_key, idx"));
        if (copy.Step() != SQLITE_DONE) return db_->Error("migrate subject index");
        mark_subjects_indexed_.Reset();
        mark_subjects_indexed_.BindInt64(1, static_cast<int64_t>(size));
        if (mark_subjects_indexed_.Step() != SQLITE_DONE)
          return db_->Error("migrate subject index");
        return db_->Exec(std::string("DROP INDEX ") + kLegacySubjectIndex);
      },
      /*check_schema=*/false));
  log::Info("audit_subject_index_migrated", {{"entries", size}});
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SqliteAuditStore::ReadSubjectIndexedThrough() {
  return QueryCount("SELECT coalesce(max(through), 0) FROM audit_subject_indexed");
}

absl::Status SqliteAuditStore::IndexSubjectsThrough(uint64_t last) {
  index_subjects_.Reset();
  index_subjects_.BindInt64(1, static_cast<int64_t>(subject_indexed_through_));
  index_subjects_.BindInt64(2, static_cast<int64_t>(last));
  if (index_subjects_.Step() != SQLITE_DONE) return db_->Error("index subjects");
  mark_subjects_indexed_.Reset();
  mark_subjects_indexed_.BindInt64(1, static_cast<int64_t>(last));
  if (mark_subjects_indexed_.Step() != SQLITE_DONE) return db_->Error("index subjects");
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SqliteAuditStore::ReadFacetIndexedThrough() {
  return QueryCount("SELECT coalesce(max(through), 0) FROM audit_facet_block");
}

absl::Status SqliteAuditStore::IndexFacetsThrough(uint64_t last) {
  const uint64_t first = facet_indexed_through_ + 1;
  std::vector<std::pair<int64_t, int64_t>> rows;  // (facet, idx)
  rows.reserve(static_cast<size_t>(last - facet_indexed_through_) * 6);
  int64_t min_time = INT64_MAX;
  int64_t max_time = INT64_MIN;
  uint64_t expected = first;
  v1::AuditEntry entry;
  select_unindexed_.Reset();
  select_unindexed_.BindInt64(1, static_cast<int64_t>(facet_indexed_through_));
  select_unindexed_.BindInt64(2, static_cast<int64_t>(last));
  int rc;
  while ((rc = select_unindexed_.Step()) == SQLITE_ROW) {
    const auto index = static_cast<int64_t>(select_unindexed_.ColumnInt64(0));
    if (static_cast<uint64_t>(index) != expected++) break;  // a gap: refused below
    const int64_t time = select_unindexed_.ColumnInt64(2);
    min_time = std::min(min_time, time);
    max_time = std::max(max_time, time);
    // A pruned entry has no facets; one that does not decode is the
    // verifier's to report, and no reader can show it anyway.
    if (select_unindexed_.ColumnIsNull(1)) continue;
    const std::string_view bytes = select_unindexed_.ColumnBlob(1);
    if (!entry.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) continue;
    for (const int64_t facet : FacetsOf(entry)) rows.emplace_back(facet, index);
  }
  select_unindexed_.Reset();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db_->Error("index facets");
  if (expected != last + 1) {
    return MakeError(absl::StatusCode::kDataLoss, "AUDIT_STORE_TAMPERED",
                     "entries " + std::to_string(first) + ".." + std::to_string(last) +
                         " are not all in the store, so they cannot be indexed; run `ketenctl "
                         "audit verify`");
  }
  // In key order, each page of the index is written once.
  std::sort(rows.begin(), rows.end());
  for (const auto& [facet, index] : rows) {
    insert_facet_.Reset();
    insert_facet_.BindInt64(1, facet);
    insert_facet_.BindInt64(2, index);
    if (insert_facet_.Step() != SQLITE_DONE) return db_->Error("index facets");
  }
  insert_facet_block_.Reset();
  insert_facet_block_.BindInt64(1, static_cast<int64_t>(last));
  insert_facet_block_.BindInt64(2, static_cast<int64_t>(first));
  insert_facet_block_.BindInt64(3, min_time);
  insert_facet_block_.BindInt64(4, max_time);
  if (insert_facet_block_.Step() != SQLITE_DONE) return db_->Error("index facets");
  return absl::OkStatus();
}

absl::Status SqliteAuditStore::CatchUpIndexes() {
  // Chunks bound the memory and the time the store is locked for.
  constexpr uint64_t kChunk = 65'536;
  ASSIGN_OR_RETURN(const uint64_t size, Size());
  // A subject index far behind (emptied, or from a failed run) would
  // otherwise be filled by one commit holding the lock for minutes.
  while (size >= subject_indexed_through_ + options_.subject_index_batch) {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t last = std::min(size, subject_indexed_through_ + kChunk);
    RETURN_IF_ERROR(InTransaction([&] { return IndexSubjectsThrough(last); }));
    subject_indexed_through_ = last;
  }
  if (size < facet_indexed_through_ + options_.subject_index_batch) return absl::OkStatus();
  const uint64_t from = facet_indexed_through_;
  log::Info("audit_facet_index_building", {{"entries", size - from}});
  while (size >= facet_indexed_through_ + options_.subject_index_batch) {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t last = std::min(size, facet_indexed_through_ + kChunk);
    RETURN_IF_ERROR(InTransaction([&] { return IndexFacetsThrough(last); }));
    facet_indexed_through_ = last;
  }
  log::Info("audit_facet_index_built", {{"entries", facet_indexed_through_ - from}});
  return absl::OkStatus();
}

absl::Status SqliteAuditStore::DeleteFacetRows(uint64_t done, uint64_t through) {
  const uint64_t indexed_through = std::min(through, facet_indexed_through_);
  if (indexed_through <= done) return absl::OkStatus();
  ASSIGN_OR_RETURN(store::Statement remove,
                   db_->Prepare("DELETE FROM audit_facet WHERE facet = ?1 AND idx = ?2"));
  v1::AuditEntry entry;
  select_unindexed_.Reset();
  select_unindexed_.BindInt64(1, static_cast<int64_t>(done));
  select_unindexed_.BindInt64(2, static_cast<int64_t>(indexed_through));
  int rc;
  bool complete = true;
  while ((rc = select_unindexed_.Step()) == SQLITE_ROW) {
    if (select_unindexed_.ColumnIsNull(1)) continue;
    const int64_t index = select_unindexed_.ColumnInt64(0);
    const std::string_view bytes = select_unindexed_.ColumnBlob(1);
    if (!entry.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) continue;
    for (const int64_t facet : FacetsOf(entry)) {
      remove.Reset();
      remove.BindInt64(1, facet);
      remove.BindInt64(2, index);
      if (remove.Step() != SQLITE_DONE) {
        select_unindexed_.Reset();
        return db_->Error("prune facet index");
      }
      // A row missing, or out of key order, would go on saying what an
      // emptied entry was about.
      if (sqlite3_changes(db_->handle()) != 1) complete = false;
    }
  }
  select_unindexed_.Reset();
  if (rc != SQLITE_DONE) return db_->Error("prune facet index");
  if (complete) return absl::OkStatus();
  return MakeError(absl::StatusCode::kDataLoss, "AUDIT_STORE_TAMPERED",
                   "the facet index does not hold the rows of entries " + std::to_string(done + 1) +
                       ".." + std::to_string(indexed_through) +
                       ", so retention removed nothing; run `ketenctl audit verify`");
}

absl::StatusOr<uint64_t> SqliteAuditStore::QueryCount(std::string_view sql) {
  ASSIGN_OR_RETURN(store::Statement stmt, db_->Prepare(sql));
  if (stmt.Step() != SQLITE_ROW) return db_->Error("read");
  return static_cast<uint64_t>(stmt.ColumnInt64(0));
}

absl::StatusOr<uint64_t> SqliteAuditStore::Size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return ReadSize(*db_);
}

absl::StatusOr<uint64_t> SqliteAuditStore::PrunedThrough() {
  std::lock_guard<std::mutex> lock(mutex_);
  return ReadPrunedThrough();
}

absl::StatusOr<uint64_t> SqliteAuditStore::ReadPrunedThrough() {
  return QueryCount("SELECT coalesce(max(through), 0) FROM audit_retention");
}

absl::StatusOr<std::optional<StoredCheckpoint>> SqliteAuditStore::LatestCheckpoint() {
  std::lock_guard<std::mutex> lock(mutex_);
  return ReadHead(*db_);
}

absl::StatusOr<merkle::Hash> SqliteAuditStore::Node(uint32_t level, uint64_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  return nodes_.Lookup(level, index);
}

absl::Status SqliteAuditStore::InTransaction(const std::function<absl::Status()>& write,
                                             bool check_schema) {
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  absl::Status status = check_schema ? schema_.Check() : absl::OkStatus();
  if (status.ok()) status = write();
  if (status.ok()) status = db_->Exec("COMMIT");
  if (!status.ok()) db_->Exec("ROLLBACK").IgnoreError();
  return status;
}

absl::Status SqliteAuditStore::AppendBatch(const std::vector<StoredEntry>& entries,
                                           const std::vector<MerkleNode>& nodes,
                                           const StoredCheckpoint& checkpoint,
                                           bool keep_checkpoint) {
  appends_waiting_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mutex_);
  appends_waiting_.fetch_sub(1, std::memory_order_relaxed);
  const uint64_t last = entries.empty() ? 0 : entries.back().index;
  const bool index_subjects = last >= subject_indexed_through_ + options_.subject_index_batch;
  const bool index_facets = last >= facet_indexed_through_ + options_.subject_index_batch;
  absl::Status written = InTransaction([&]() -> absl::Status {
    for (const StoredEntry& entry : entries) {
      store::Statement& stmt = insert_entry_;
      stmt.Reset();
      stmt.BindInt64(1, static_cast<int64_t>(entry.index));
      stmt.BindBlob(2, crypto::AsBytes(entry.leaf_hash));
      stmt.BindBlobStatic(3, entry.entry_bytes);
      stmt.BindInt64(4, entry.time_unix_micros);
      if (!entry.partner_id.empty()) stmt.BindText(5, entry.partner_id);
      if (!entry.source_partner_id.empty()) stmt.BindText(6, entry.source_partner_id);
      if (entry.subject_key) stmt.BindInt64(7, *entry.subject_key);
      if (stmt.Step() != SQLITE_DONE) return db_->Error("insert entry");
    }
    for (const MerkleNode& node : nodes) {
      if (node.level < kLowestStoredNodeLevel) continue;
      insert_node_.Reset();
      insert_node_.BindInt64(1, node.level);
      insert_node_.BindInt64(2, static_cast<int64_t>(node.index));
      insert_node_.BindBlob(3, crypto::AsBytes(node.hash));
      if (insert_node_.Step() != SQLITE_DONE) return db_->Error("insert node");
    }
    for (store::Statement* stmt : {&upsert_head_, &insert_checkpoint_}) {
      if (stmt == &insert_checkpoint_ && !keep_checkpoint) break;
      stmt->Reset();
      stmt->BindInt64(1, static_cast<int64_t>(checkpoint.size));
      stmt->BindBlob(2, crypto::AsBytes(checkpoint.root));
      stmt->BindText(3, checkpoint.note);
      if (stmt->Step() != SQLITE_DONE) return db_->Error("write checkpoint");
    }
    if (index_subjects) RETURN_IF_ERROR(IndexSubjectsThrough(last));
    return index_facets ? IndexFacetsThrough(last) : absl::OkStatus();
  });
  if (written.ok() && index_subjects) subject_indexed_through_ = last;
  if (written.ok() && index_facets) facet_indexed_through_ = last;
  return written;
}

absl::StatusOr<uint64_t> SqliteAuditStore::LastIndexBefore(int64_t cutoff_unix_micros,
                                                           std::stop_token stop) {
  // The first entry at or after the cutoff ends the prunable prefix. Times
  // are nearly monotonic in idx, and the scan starts after what is already
  // pruned, so this stops early. It goes a step at a time, each under the
  // lock, so that appends commit in between. Entries 1..from are always
  // known to be before the cutoff, so a stop can return `from`.
  //
  // The time is read from the entry itself, never from the time_us
  // column, and an entry whose bytes do not match its leaf hash also ends
  // the prefix: editing the store cannot make retention empty an entry.
  // NOT INDEXED: the rows come from the table's own b-tree, never from an
  // index someone added that holds other bytes.
  std::optional<uint64_t> scanned;
  for (;;) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!scanned) {
      ASSIGN_OR_RETURN(scanned, ReadPrunedThrough());
    }
    const uint64_t from = *scanned;
    if (stop.stop_requested()) return from;
    ASSIGN_OR_RETURN(const uint64_t size, ReadSize(*db_));
    const uint64_t to = std::min(size, from + options_.retention_step);
    ASSIGN_OR_RETURN(store::Statement rows,
                     db_->Prepare("SELECT idx, leaf_hash, entry FROM audit_entry NOT INDEXED "
                                  "WHERE idx > ?1 AND idx <= ?2 ORDER BY idx"));
    rows.BindInt64(1, static_cast<int64_t>(from));
    rows.BindInt64(2, static_cast<int64_t>(to));
    uint64_t expected = from + 1;
    int rc;
    v1::AuditEntry entry;
    while ((rc = rows.Step()) == SQLITE_ROW) {
      const auto index = static_cast<uint64_t>(rows.ColumnInt64(0));
      const std::string_view bytes = rows.ColumnBlob(2);
      const bool intact = index == expected && !rows.ColumnIsNull(2) &&
                          merkle::HashLeaf(bytes) == HashColumn(rows, 1) &&
                          entry.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
      if (!intact) {
        log::Error("audit_retention_stopped", {{"index", expected},
                                               {"reason",
                                                "entry missing or not matching its "
                                                "leaf hash; run ketenctl audit verify"}});
        return expected - 1;
      }
      if (entry.time_unix_micros() >= cutoff_unix_micros) return index - 1;
      ++expected;
    }
    if (rc != SQLITE_DONE) return db_->Error("find retention boundary");
    if (expected != to + 1) {
      log::Error("audit_retention_stopped",
                 {{"index", expected}, {"reason", "entry missing; run ketenctl audit verify"}});
      return expected - 1;
    }
    if (to >= size) return size;
    scanned = to;
  }
}

absl::StatusOr<uint64_t> SqliteAuditStore::PruneThrough(uint64_t through,
                                                        int64_t cutoff_unix_micros,
                                                        uint64_t recorded_by,
                                                        std::stop_token stop) {
  uint64_t pruned = 0;
  while (!stop.stop_requested()) {
    const auto step_start = std::chrono::steady_clock::now();
    {
      // Each step is whole: its retention row covers exactly what it
      // pruned, so a failure part-way leaves a shorter prune that the next
      // run continues.
      std::lock_guard<std::mutex> lock(mutex_);
      ASSIGN_OR_RETURN(const uint64_t done, ReadPrunedThrough());
      if (done >= through) return pruned;
      const uint64_t step_through = std::min(through, done + options_.retention_step);
      ASSIGN_OR_RETURN(const uint64_t step_pruned,
                       PruneStep(done, step_through, cutoff_unix_micros, recorded_by));
      pruned += step_pruned;
      if (step_through >= through) return pruned;
    }
    // A mutex is not fair: without a pause this thread would take the lock
    // again before the appends that waited for it. Pausing as long as the
    // step took gives appends at least half of the store's time; with
    // nobody waiting, retention runs at full speed.
    if (appends_waiting_.load(std::memory_order_relaxed) > 0) {
      std::this_thread::sleep_for(std::chrono::steady_clock::now() - step_start);
    }
  }
  return pruned;
}

absl::Status SqliteAuditStore::RunOverRange(uint64_t after, uint64_t through, std::string_view sql,
                                            std::string_view what) {
  ASSIGN_OR_RETURN(store::Statement stmt, db_->Prepare(sql));
  stmt.BindInt64(1, static_cast<int64_t>(after));
  stmt.BindInt64(2, static_cast<int64_t>(through));
  return stmt.Step() == SQLITE_DONE ? absl::OkStatus() : db_->Error(what);
}

absl::Status SqliteAuditStore::CheckSubjectRowsDeleted(uint64_t done, uint64_t through) {
  // Each indexed entry with a subject had exactly one row; a row the DELETE
  // missed (out of key order, or stored as another type) would keep saying
  // whom an emptied entry concerned.
  const auto deleted = static_cast<int64_t>(sqlite3_changes(db_->handle()));
  ASSIGN_OR_RETURN(store::Statement expected,
                   db_->Prepare("SELECT count(*) FROM audit_entry NOT INDEXED "
                                "WHERE idx > ?1 AND idx <= ?2 AND subject_key IS NOT NULL"));
  expected.BindInt64(1, static_cast<int64_t>(done));
  expected.BindInt64(2, static_cast<int64_t>(std::min(through, subject_indexed_through_)));
  if (expected.Step() != SQLITE_ROW) return db_->Error("check subject index");
  if (expected.ColumnInt64(0) == deleted) return absl::OkStatus();
  return MakeError(absl::StatusCode::kDataLoss, "AUDIT_STORE_TAMPERED",
                   "the subject index does not hold the rows of entries " +
                       std::to_string(done + 1) + ".." + std::to_string(through) +
                       ", so retention removed nothing; run `ketenctl audit verify`");
}

absl::StatusOr<uint64_t> SqliteAuditStore::PruneStep(uint64_t done, uint64_t through,
                                                     int64_t cutoff_unix_micros,
                                                     uint64_t recorded_by) {
  uint64_t pruned = 0;
  RETURN_IF_ERROR(InTransaction([&]() -> absl::Status {
    // The entries' rows only become prunable once a retention row covers
    // them (see the UPDATE trigger).
    ASSIGN_OR_RETURN(store::Statement record,
                     db_->Prepare("INSERT INTO audit_retention (through, cutoff_us, recorded_by) "
                                  "VALUES (?1, ?2, ?3)"));
    record.BindInt64(1, static_cast<int64_t>(through));
    record.BindInt64(2, cutoff_unix_micros);
    record.BindInt64(3, static_cast<int64_t>(recorded_by));
    if (record.Step() != SQLITE_DONE) return db_->Error("record retention");
    // The index would still say which subject the pruned entries concerned;
    // its rows are found by their key, which only the entries still hold.
    absl::Status status = RunOverRange(done, through,
                                       "DELETE FROM audit_subject WHERE (subject_key, idx) IN "
                                       "(SELECT subject_key, idx FROM audit_entry NOT INDEXED "
                                       "WHERE idx > ?1 AND idx <= ?2 AND subject_key IS NOT NULL)",
                                       "prune subject index");
    if (status.ok()) status = CheckSubjectRowsDeleted(done, through);
    if (status.ok()) status = DeleteFacetRows(done, through);
    if (status.ok() && inside_retention_step_) {
      status = inside_retention_step_(through);
    }
    if (status.ok()) {
      status = RunOverRange(done, through,
                            "UPDATE audit_entry NOT INDEXED SET entry = NULL, partner_id = NULL, "
                            "source_partner_id = NULL, subject_key = NULL "
                            "WHERE idx > ?1 AND idx <= ?2 AND entry IS NOT NULL",
                            "prune");
    }
    if (!status.ok()) return status;
    pruned = static_cast<uint64_t>(sqlite3_changes(db_->handle()));
    // A retention row says its range is empty, so it must be: a trigger
    // that ignores the UPDATE would otherwise keep the content past its
    // term while the log claims it gone.
    ASSIGN_OR_RETURN(store::Statement left,
                     db_->Prepare("SELECT count(*) FROM audit_entry NOT INDEXED "
                                  "WHERE idx > ?1 AND idx <= ?2 AND entry IS NOT NULL"));
    left.BindInt64(1, static_cast<int64_t>(done));
    left.BindInt64(2, static_cast<int64_t>(through));
    if (left.Step() != SQLITE_ROW) return db_->Error("check retention");
    if (left.ColumnInt64(0) != 0) {
      return MakeError(absl::StatusCode::kDataLoss, "AUDIT_STORE_TAMPERED",
                       "retention could not empty entries " + std::to_string(done + 1) + ".." +
                           std::to_string(through) +
                           ", so it removed nothing; run `ketenctl audit verify`");
    }
    return absl::OkStatus();
  }));
  return pruned;
}

}  // namespace ketenpoort::audit
