#include "gateway/handover/handover_store.h"

#include <sqlite3.h>

#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::handover {
namespace {

// The clear columns are what lookups need; `meta` is the v1::Handover both
// sides may see; `wrapped_key` and `package` are sealed and NULL once purged.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS handover (
  cursor         INTEGER PRIMARY KEY AUTOINCREMENT,
  handover_id    TEXT NOT NULL UNIQUE,
  sender         TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  request_digest BLOB NOT NULL,
  recipient      TEXT NOT NULL,
  status         INTEGER NOT NULL,
  subject_key    TEXT NOT NULL,
  meta           BLOB NOT NULL,
  wrapped_key    BLOB,
  package        BLOB,
  UNIQUE (sender, request_id)
);
CREATE INDEX IF NOT EXISTS handover_by_recipient ON handover (recipient, cursor);
CREATE INDEX IF NOT EXISTS handover_by_status ON handover (status);
)sql";

constexpr char kColumns[] =
    "cursor, request_id, request_digest, subject_key, meta, wrapped_key, package";

StoredHandover FromRow(const store::Statement& row) {
  StoredHandover stored;
  stored.handover.ParseFromString(std::string(row.ColumnBlob(4)));
  stored.handover.set_cursor(static_cast<uint64_t>(row.ColumnInt64(0)));
  stored.request_id = std::string(row.ColumnBlob(1));
  stored.request_digest = std::string(row.ColumnBlob(2));
  stored.subject_key = std::string(row.ColumnBlob(3));
  if (!row.ColumnIsNull(5) && !row.ColumnIsNull(6)) {
    stored.package = SealedPackage{std::string(row.ColumnBlob(5)), std::string(row.ColumnBlob(6))};
  }
  return stored;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HandoverStore>> HandoverStore::Open(const std::string& path) {
  ASSIGN_OR_RETURN(auto db,
                   store::SqliteDatabase::Open({.name = "hand-over store",
                                                .path = path,
                                                .schema = kSchema,
                                                .read_only = false,
                                                .error_reason = "HANDOVER_STORE_UNAVAILABLE",
                                                .busy_timeout_ms = 1000}));
  return std::unique_ptr<HandoverStore>(new HandoverStore(std::move(db)));
}

absl::Status HandoverStore::Insert(StoredHandover& stored) {
  std::lock_guard<std::mutex> lock(mutex_);
  ASSIGN_OR_RETURN(store::Statement insert,
                   db_->Prepare("INSERT INTO handover (handover_id, sender, request_id, "
                                "request_digest, recipient, status, subject_key, meta, "
                                "wrapped_key, package) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                "?9, ?10)"));
  const v1::Handover& h = stored.handover;
  const std::string meta = h.SerializeAsString();
  insert.BindText(1, h.handover_id());
  insert.BindText(2, h.sender_partner_id());
  insert.BindText(3, stored.request_id);
  insert.BindBlob(4, stored.request_digest);
  insert.BindText(5, h.recipient_partner_id());
  insert.BindInt64(6, h.status());
  insert.BindText(7, stored.subject_key);
  insert.BindBlob(8, meta);
  if (stored.package) {
    insert.BindBlob(9, stored.package->wrapped_key);
    insert.BindBlob(10, stored.package->ciphertext);
  }
  const int rc = insert.Step();
  if (rc == SQLITE_CONSTRAINT) {
    return MakeError(absl::StatusCode::kAlreadyExists, "HANDOVER_REQUEST_REUSED",
                     "this request id was already used for a hand-over");
  }
  if (rc != SQLITE_DONE) return db_->Error("store hand-over");
  stored.handover.set_cursor(static_cast<uint64_t>(sqlite3_last_insert_rowid(db_->handle())));
  return absl::OkStatus();
}

std::optional<StoredHandover> HandoverStore::FindWhere(const std::string& where,
                                                       const std::string& a, const std::string& b) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto select = db_->Prepare(std::string("SELECT ") + kColumns + " FROM handover WHERE " + where);
  if (!select.ok()) return std::nullopt;
  select->BindText(1, a);
  if (!b.empty()) select->BindText(2, b);
  if (select->Step() != SQLITE_ROW) return std::nullopt;
  return FromRow(*select);
}

std::optional<StoredHandover> HandoverStore::Find(const std::string& handover_id) {
  return FindWhere("handover_id = ?1", handover_id, "");
}

std::optional<StoredHandover> HandoverStore::FindByRequest(const std::string& sender,
                                                           const std::string& request_id) {
  return FindWhere("sender = ?1 AND request_id = ?2", sender, request_id);
}

absl::StatusOr<std::vector<v1::Handover>> HandoverStore::ForRecipient(const std::string& recipient,
                                                                      uint64_t after_cursor,
                                                                      int limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  ASSIGN_OR_RETURN(store::Statement select,
                   db_->Prepare(std::string("SELECT ") + kColumns +
                                " FROM handover WHERE recipient = ?1 AND cursor > ?2 "
                                "ORDER BY cursor LIMIT ?3"));
  select.BindText(1, recipient);
  select.BindInt64(2, static_cast<int64_t>(after_cursor));
  select.BindInt64(3, limit);
  std::vector<v1::Handover> out;
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) out.push_back(FromRow(select).handover);
  if (rc != SQLITE_DONE) return db_->Error("read hand-overs");
  return out;
}

absl::StatusOr<std::vector<StoredHandover>> HandoverStore::WithStatus(
    const std::vector<v1::HandoverStatus>& statuses, const std::string& sender,
    const std::string& recipient) {
  std::string in;
  for (v1::HandoverStatus status : statuses) {
    in += (in.empty() ? "" : ",") + std::to_string(static_cast<int>(status));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ASSIGN_OR_RETURN(
      store::Statement select,
      db_->Prepare(std::string("SELECT ") + kColumns + " FROM handover WHERE status IN (" + in +
                   ") AND (?1 = '' OR sender = ?1) AND (?2 = '' OR recipient = ?2) "
                   "ORDER BY cursor"));
  select.BindText(1, sender);
  select.BindText(2, recipient);
  std::vector<StoredHandover> out;
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) out.push_back(FromRow(select));
  if (rc != SQLITE_DONE) return db_->Error("read hand-overs");
  return out;
}

absl::Status HandoverStore::Update(const v1::Handover& handover, v1::HandoverStatus expected,
                                   bool purge) {
  std::lock_guard<std::mutex> lock(mutex_);
  ASSIGN_OR_RETURN(store::Statement update,
                   db_->Prepare(purge ? "UPDATE handover SET status = ?1, meta = ?2, "
                                        "wrapped_key = NULL, package = NULL "
                                        "WHERE handover_id = ?3 AND status = ?4"
                                      : "UPDATE handover SET status = ?1, meta = ?2 "
                                        "WHERE handover_id = ?3 AND status = ?4"));
  v1::Handover meta = handover;
  meta.clear_cursor();
  const std::string bytes = meta.SerializeAsString();
  update.BindInt64(1, handover.status());
  update.BindBlob(2, bytes);
  update.BindText(3, handover.handover_id());
  update.BindInt64(4, expected);
  if (update.Step() != SQLITE_DONE) return db_->Error("update hand-over");
  if (sqlite3_changes(db_->handle()) != 1) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "HANDOVER_CHANGED",
                     "the hand-over changed meanwhile; read its status and try again");
  }
  return absl::OkStatus();
}

}  // namespace ketenpoort::handover
