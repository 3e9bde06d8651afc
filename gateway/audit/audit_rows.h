// Row <-> struct helpers shared by the audit store's writer and readers.
#ifndef KETENPOORT_GATEWAY_AUDIT_AUDIT_ROWS_H_
#define KETENPOORT_GATEWAY_AUDIT_AUDIT_ROWS_H_

#include <unordered_map>

#include "gateway/audit/audit_store.h"
#include "gateway/store/sqlite_database.h"

namespace ketenpoort::audit {

// A 32-byte hash column; all zeros if the column is not 32 bytes (which
// the schema's CHECK constraints, or the verifier, reject).
merkle::Hash HashColumn(const store::Statement& statement, int column);
// Reads a row selected with kEntryColumns.
StoredEntry EntryFromRow(const store::Statement& statement);

// The number of entries, and the head checkpoint (nullopt when empty).
absl::StatusOr<uint64_t> ReadSize(store::SqliteDatabase& db);
absl::StatusOr<std::optional<StoredCheckpoint>> ReadHead(store::SqliteDatabase& db);

// Looks up perfect subtree roots on one connection: leaves and stored
// nodes directly, the levels in between from their leaves. Not
// thread-safe; its owner serialises calls.
class NodeReader {
 public:
  absl::Status Prepare(store::SqliteDatabase& db);
  // NOT_FOUND if the tree has no such node.
  absl::StatusOr<merkle::Hash> Lookup(uint32_t level, uint64_t index);

 private:
  absl::StatusOr<merkle::Hash> FromLeaves(uint32_t level, uint64_t index);

  // Stored nodes never change, so the high ones (at most one per 256
  // entries) are kept once read: a proof then reads only its low levels.
  static constexpr uint32_t kCachedFromLevel = 8;
  std::unordered_map<uint64_t, merkle::Hash> cache_;

  store::SqliteDatabase* db_ = nullptr;
  store::Statement leaf_;
  store::Statement leaf_range_;
  store::Statement node_;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_AUDIT_ROWS_H_
