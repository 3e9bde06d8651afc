// The embedded audit store: one SQLite file in WAL mode with
// synchronous=FULL, so a committed batch survives power loss.
//
// Triggers refuse UPDATE and DELETE on the entry table (recursive_triggers
// is on, so INSERT OR REPLACE cannot sidestep them); what a determined
// tamperer does around the triggers, the chain verifier catches.
// Not thread-safe: the AuditLog's writer thread owns it.
#ifndef KETENPOORT_GATEWAY_AUDIT_SQLITE_AUDIT_STORE_H_
#define KETENPOORT_GATEWAY_AUDIT_SQLITE_AUDIT_STORE_H_

#include <memory>
#include <string>

#include "gateway/audit/audit_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ketenpoort::audit {

struct SqliteAuditStoreOptions {
  std::string path;
  int busy_timeout_ms = 1000;
  bool read_only = false;
};

class SqliteAuditStore final : public AuditStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteAuditStore>> Open(
      const SqliteAuditStoreOptions& options);
  ~SqliteAuditStore() override;

  SqliteAuditStore(const SqliteAuditStore&) = delete;
  SqliteAuditStore& operator=(const SqliteAuditStore&) = delete;

  absl::StatusOr<std::optional<StoredEntry>> Tail() override;
  absl::Status AppendBatch(const std::vector<StoredEntry>& entries) override;
  absl::Status Scan(uint64_t from, const std::function<bool(const StoredEntry&)>& visit) override;

 private:
  explicit SqliteAuditStore(sqlite3* db) : db_(db) {}
  absl::Status Exec(const char* sql);
  absl::Status Unavailable(std::string_view what);

  sqlite3* db_;
  sqlite3_stmt* insert_ = nullptr;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_SQLITE_AUDIT_STORE_H_
