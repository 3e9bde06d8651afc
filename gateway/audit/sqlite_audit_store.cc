#include "gateway/audit/sqlite_audit_store.h"

#include <sqlite3.h>

#include <cstring>

#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit_entry (
  idx        INTEGER PRIMARY KEY,
  entry      BLOB NOT NULL,
  prev_hash  BLOB NOT NULL CHECK (length(prev_hash) = 32),
  entry_hash BLOB NOT NULL CHECK (length(entry_hash) = 32)
);
CREATE TRIGGER IF NOT EXISTS audit_entry_no_update
  BEFORE UPDATE ON audit_entry
  BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete
  BEFORE DELETE ON audit_entry
  BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: DELETE refused'); END;
)sql";

void CopyDigest(const void* blob, int size, crypto::Sha256Digest* out) {
  out->fill(0);
  if (blob != nullptr && size == static_cast<int>(out->size())) {
    std::memcpy(out->data(), blob, out->size());
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteAuditStore>> SqliteAuditStore::Open(
    const SqliteAuditStoreOptions& options) {
  sqlite3* db = nullptr;
  const int flags =
      options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(options.path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return MakeError(absl::StatusCode::kUnavailable, "AUDIT_STORE_UNAVAILABLE",
                     "cannot open audit store " + options.path + ": " + message);
  }
  std::unique_ptr<SqliteAuditStore> store(new SqliteAuditStore(db));
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  if (!options.read_only) {
    RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=FULL"));
    RETURN_IF_ERROR(store->Exec("PRAGMA recursive_triggers=ON"));
    RETURN_IF_ERROR(store->Exec(kSchema));
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO audit_entry (idx, entry, prev_hash, entry_hash) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           -1, &store->insert_, nullptr) != SQLITE_OK) {
      return store->Unavailable("prepare insert");
    }
  }
  return store;
}

SqliteAuditStore::~SqliteAuditStore() {
  sqlite3_finalize(insert_);
  sqlite3_close(db_);
}

absl::Status SqliteAuditStore::Unavailable(std::string_view what) {
  return MakeError(absl::StatusCode::kUnavailable, "AUDIT_STORE_UNAVAILABLE",
                   "audit store: " + std::string(what) + ": " + sqlite3_errmsg(db_));
}

absl::Status SqliteAuditStore::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    return MakeError(absl::StatusCode::kUnavailable, "AUDIT_STORE_UNAVAILABLE",
                     "audit store: " + message);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StoredEntry>> SqliteAuditStore::Tail() {
  std::optional<StoredEntry> tail;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT idx, entry, prev_hash, entry_hash FROM audit_entry "
                         "ORDER BY idx DESC LIMIT 1",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return Unavailable("read tail");
  }
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    StoredEntry entry;
    entry.index = static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
    entry.entry_bytes.assign(static_cast<const char*>(sqlite3_column_blob(stmt, 1)),
                             static_cast<size_t>(sqlite3_column_bytes(stmt, 1)));
    CopyDigest(sqlite3_column_blob(stmt, 2), sqlite3_column_bytes(stmt, 2), &entry.prev_hash);
    CopyDigest(sqlite3_column_blob(stmt, 3), sqlite3_column_bytes(stmt, 3), &entry.entry_hash);
    tail = std::move(entry);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Unavailable("read tail");
  return tail;
}

absl::Status SqliteAuditStore::AppendBatch(const std::vector<StoredEntry>& entries) {
  if (insert_ == nullptr) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "AUDIT_STORE_READ_ONLY",
                     "audit store was opened read-only");
  }
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  for (const StoredEntry& entry : entries) {
    sqlite3_reset(insert_);
    sqlite3_bind_int64(insert_, 1, static_cast<sqlite3_int64>(entry.index));
    sqlite3_bind_blob(insert_, 2, entry.entry_bytes.data(),
                      static_cast<int>(entry.entry_bytes.size()), SQLITE_STATIC);
    sqlite3_bind_blob(insert_, 3, entry.prev_hash.data(), 32, SQLITE_STATIC);
    sqlite3_bind_blob(insert_, 4, entry.entry_hash.data(), 32, SQLITE_STATIC);
    if (sqlite3_step(insert_) != SQLITE_DONE) {
      absl::Status failure = Unavailable("insert");
      sqlite3_reset(insert_);
      Exec("ROLLBACK").IgnoreError();
      return failure;
    }
  }
  sqlite3_reset(insert_);
  if (absl::Status commit = Exec("COMMIT"); !commit.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return commit;
  }
  return absl::OkStatus();
}

absl::Status SqliteAuditStore::Scan(uint64_t from,
                                    const std::function<bool(const StoredEntry&)>& visit) {
  sqlite3_stmt* stmt = nullptr;
  // idx is the rowid, so this walks the table in its own order.
  if (sqlite3_prepare_v2(db_,
                         "SELECT idx, entry, prev_hash, entry_hash FROM audit_entry "
                         "WHERE idx >= ?1 ORDER BY idx",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return Unavailable("scan");
  }
  sqlite3_bind_int64(stmt, 1, static_cast<sqlite3_int64>(from));
  int rc;
  StoredEntry entry;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    entry.index = static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
    const void* blob = sqlite3_column_blob(stmt, 1);
    entry.entry_bytes.assign(blob ? static_cast<const char*>(blob) : "",
                             static_cast<size_t>(sqlite3_column_bytes(stmt, 1)));
    CopyDigest(sqlite3_column_blob(stmt, 2), sqlite3_column_bytes(stmt, 2), &entry.prev_hash);
    CopyDigest(sqlite3_column_blob(stmt, 3), sqlite3_column_bytes(stmt, 3), &entry.entry_hash);
    if (!visit(entry)) break;
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Unavailable("scan");
  return absl::OkStatus();
}

}  // namespace ketenpoort::audit
