#include "gateway/audit/schema_guard.h"

#include <sqlite3.h>

#include <map>
#include <set>
#include <utility>

#include "gateway/audit/audit_schema.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {
namespace {

struct SchemaObject {
  std::string table;  // tbl_name
  std::string sql;    // NULL (automatic indexes) reads as ""
};
// Keyed by (type, name).
using Schema = std::map<std::pair<std::string, std::string>, SchemaObject>;

// A name chosen by whoever edited the store, made safe to print and log.
std::string Printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 64)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out + (text.size() > 64 ? "..." : "");
}

std::string Named(const std::pair<std::string, std::string>& key) {
  return Printable(key.first) + " '" + Printable(key.second) + "'";
}

absl::StatusOr<Schema> ReadSchema(store::SqliteDatabase& db, std::vector<std::string>* problems) {
  ASSIGN_OR_RETURN(store::Statement stmt,
                   db.Prepare("SELECT type, name, tbl_name, sql, rootpage FROM sqlite_master"));
  Schema schema;
  std::map<int64_t, std::string> owner_of_page;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    std::pair<std::string, std::string> key{std::string(stmt.ColumnBlob(0)),
                                            std::string(stmt.ColumnBlob(1))};
    const int64_t page = stmt.ColumnInt64(4);
    if (page > 0 && problems != nullptr) {
      auto [it, inserted] = owner_of_page.emplace(page, Named(key));
      if (!inserted) {
        problems->push_back(Named(key) + " shares its b-tree (page " + std::to_string(page) +
                            ") with " + it->second);
      }
    }
    schema[std::move(key)] = {std::string(stmt.ColumnBlob(2)), std::string(stmt.ColumnBlob(3))};
  }
  if (rc != SQLITE_DONE) return db.Error("read schema");
  return schema;
}

// kAuditSchema as SQLite normalises it, built once in memory.
absl::StatusOr<Schema> ExpectedSchema() {
  ASSIGN_OR_RETURN(auto db, store::SqliteDatabase::Open({.name = "audit schema",
                                                         .path = ":memory:",
                                                         .schema = kAuditSchema,
                                                         .error_reason = "AUDIT_STORE_TAMPERED"}));
  return ReadSchema(*db, nullptr);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SchemaProblems(store::SqliteDatabase& db) {
  static const absl::StatusOr<Schema>* const expected =
      new absl::StatusOr<Schema>(ExpectedSchema());
  RETURN_IF_ERROR(expected->status());
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(const Schema found, ReadSchema(db, &problems));
  for (const auto& [key, object] : found) {
    auto want = (*expected)->find(key);
    if (want == (*expected)->end()) {
      std::string problem = Named(key) + " on '" + Printable(object.table) +
                            "' is not part of the audit store's schema";
      if (key.second == kLegacySubjectIndex) {
        problem += " (an older version's index: the gateway migrates it when it opens the store)";
      }
      problems.push_back(std::move(problem));
    } else if (want->second.table != object.table || want->second.sql != object.sql) {
      problems.push_back(Named(key) + " differs from the audit store's schema (altered?)");
    }
  }
  for (const auto& [key, object] : **expected) {
    // A trigger only guards against honest mistakes, and the writer puts
    // back any that is missing when it opens the store: its absence hides
    // nothing, whereas a table or index missing breaks every read.
    if (key.first == "trigger") continue;
    if (!found.contains(key)) problems.push_back(Named(key) + " is missing from the schema");
  }
  return problems;
}

absl::Status SchemaGuard::Check() {
  ASSIGN_OR_RETURN(store::Statement cookie, db_.Prepare("PRAGMA schema_version"));
  if (cookie.Step() != SQLITE_ROW) return db_.Error("read schema version");
  const int64_t version = cookie.ColumnInt64(0);
  if (checked_version_ == version) return absl::OkStatus();
  ASSIGN_OR_RETURN(const std::vector<std::string> problems, SchemaProblems(db_));
  if (!problems.empty()) {
    return MakeError(
        absl::StatusCode::kDataLoss, "AUDIT_STORE_TAMPERED",
        "the audit store's schema was altered: " + problems.front() +
            (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more)" : "") +
            "; nothing was read or written. Run `ketenctl audit verify`, then "
            "restore the store from a verified backup");
  }
  checked_version_ = version;
  return absl::OkStatus();
}

}  // namespace ketenpoort::audit
