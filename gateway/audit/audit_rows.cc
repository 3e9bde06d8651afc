#include "gateway/audit/audit_rows.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>

#include "gateway/audit/audit_schema.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {

std::optional<int64_t> SubjectKey(std::string_view pseudonym_hex) {
  if (pseudonym_hex.size() < 16) return std::nullopt;
  uint64_t key = 0;
  auto [end, error] = std::from_chars(pseudonym_hex.data(), pseudonym_hex.data() + 16, key, 16);
  if (error != std::errc() || end != pseudonym_hex.data() + 16) return std::nullopt;
  return static_cast<int64_t>(key);
}

merkle::Hash HashColumn(const store::Statement& statement, int column) {
  merkle::Hash hash{};
  const std::string_view bytes = statement.ColumnBlob(column);
  if (bytes.size() == hash.size()) std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

StoredEntry EntryFromRow(const store::Statement& statement) {
  StoredEntry entry;
  entry.index = static_cast<uint64_t>(statement.ColumnInt64(0));
  entry.leaf_hash = HashColumn(statement, 1);
  entry.pruned = statement.ColumnIsNull(2);
  entry.entry_bytes = std::string(statement.ColumnBlob(2));
  entry.time_unix_micros = statement.ColumnInt64(3);
  entry.partner_id = std::string(statement.ColumnBlob(4));
  entry.source_partner_id = std::string(statement.ColumnBlob(5));
  if (!statement.ColumnIsNull(6)) entry.subject_key = statement.ColumnInt64(6);
  return entry;
}

namespace {

absl::Status NoSuchNode(uint32_t level, uint64_t index) {
  return MakeError(absl::StatusCode::kNotFound, "NO_SUCH_NODE",
                   "the audit tree has no node at level " + std::to_string(level) + ", index " +
                       std::to_string(index));
}

}  // namespace

absl::StatusOr<uint64_t> ReadSize(store::SqliteDatabase& db) {
  ASSIGN_OR_RETURN(store::Statement stmt,
                   db.Prepare("SELECT coalesce(max(idx), 0) FROM audit_entry"));
  if (stmt.Step() != SQLITE_ROW) return db.Error("read size");
  return static_cast<uint64_t>(stmt.ColumnInt64(0));
}

absl::StatusOr<std::optional<StoredCheckpoint>> ReadHead(store::SqliteDatabase& db) {
  ASSIGN_OR_RETURN(store::Statement stmt,
                   db.Prepare("SELECT size, root, note FROM audit_head WHERE id = 1"));
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return db.Error("read checkpoint");
  return StoredCheckpoint{static_cast<uint64_t>(stmt.ColumnInt64(0)), HashColumn(stmt, 1),
                          std::string(stmt.ColumnBlob(2))};
}

absl::Status NodeReader::Prepare(store::SqliteDatabase& db) {
  db_ = &db;
  ASSIGN_OR_RETURN(leaf_, db.Prepare("SELECT leaf_hash FROM audit_entry WHERE idx = ?1"));
  ASSIGN_OR_RETURN(leaf_range_, db.Prepare("SELECT idx, leaf_hash FROM audit_entry "
                                           "WHERE idx BETWEEN ?1 AND ?2 ORDER BY idx"));
  ASSIGN_OR_RETURN(node_, db.Prepare("SELECT hash FROM audit_node WHERE level = ?1 AND idx = ?2"));
  return absl::OkStatus();
}

absl::StatusOr<merkle::Hash> NodeReader::Lookup(uint32_t level, uint64_t index) {
  if (level > 0 && level < kLowestStoredNodeLevel) return FromLeaves(level, index);
  const uint64_t key = (uint64_t{level} << 58) | index;
  if (level >= kCachedFromLevel) {
    if (auto cached = cache_.find(key); cached != cache_.end()) return cached->second;
  }
  store::Statement& stmt = level == 0 ? leaf_ : node_;
  stmt.Reset();
  if (level == 0) {
    stmt.BindInt64(1, static_cast<int64_t>(index + 1));  // entry indexes are leaf + 1
  } else {
    stmt.BindInt64(1, level);
    stmt.BindInt64(2, static_cast<int64_t>(index));
  }
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return NoSuchNode(level, index);
  if (rc != SQLITE_ROW) return db_->Error("read node");
  merkle::Hash hash = HashColumn(stmt, 0);
  stmt.Reset();
  if (level >= kCachedFromLevel) cache_.emplace(key, hash);
  return hash;
}

absl::StatusOr<merkle::Hash> NodeReader::FromLeaves(uint32_t level, uint64_t index) {
  const uint64_t count = uint64_t{1} << level;
  const uint64_t first = (index << level) + 1;
  leaf_range_.Reset();
  leaf_range_.BindInt64(1, static_cast<int64_t>(first));
  leaf_range_.BindInt64(2, static_cast<int64_t>(first + count - 1));
  std::vector<merkle::Hash> leaves;
  leaves.reserve(count);
  int rc;
  while ((rc = leaf_range_.Step()) == SQLITE_ROW) {
    if (static_cast<uint64_t>(leaf_range_.ColumnInt64(0)) != first + leaves.size()) break;
    leaves.push_back(HashColumn(leaf_range_, 1));
  }
  leaf_range_.Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_->Error("read leaves");
  if (leaves.size() != count) return NoSuchNode(level, index);
  return merkle::RootOf(leaves, 0, count);
}

}  // namespace ketenpoort::audit
