#include "gateway/store/sqlite_database.h"

#include <sqlite3.h>

#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::store {

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::BindText(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void Statement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

void Statement::BindBlobStatic(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
}

void Statement::BindInt64(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void Statement::BindNull(int index) { sqlite3_bind_null(stmt_, index); }

int Statement::Step() { return sqlite3_step(stmt_); }

std::string_view Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  if (blob == nullptr) return {};
  return {static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int Statement::ColumnType(int column) const { return sqlite3_column_type(stmt_, column); }

absl::StatusOr<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(DatabaseOptions options) {
  sqlite3* db = nullptr;
  const int mode =
      options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(options.path.c_str(), &db, mode | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return MakeError(absl::StatusCode::kUnavailable, options.error_reason,
                     options.name + ": cannot open " + options.path + ": " + message);
  }
  const bool read_only = options.read_only;
  const std::string_view schema = options.schema;
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  std::unique_ptr<SqliteDatabase> database(new SqliteDatabase(std::move(options), db));
  if (read_only) {
    RETURN_IF_ERROR(
        database->Exec("PRAGMA mmap_size=" + std::to_string(database->options_.mmap_bytes)));
  } else {
    RETURN_IF_ERROR(database->Exec("PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(database->Exec("PRAGMA synchronous=FULL"));
    // REPLACE deletes rows; with this, DELETE triggers see it.
    RETURN_IF_ERROR(database->Exec("PRAGMA recursive_triggers=ON"));
    RETURN_IF_ERROR(database->Exec(schema));
  }
  return database;
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close(db_); }

absl::Status SqliteDatabase::Error(std::string_view what) const {
  return MakeError(absl::StatusCode::kUnavailable, options_.error_reason,
                   options_.name + ": " + std::string(what) + ": " + sqlite3_errmsg(db_));
}

absl::Status SqliteDatabase::Exec(std::string_view sql) {
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error("exec");
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement> SqliteDatabase::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return Error("prepare");
  }
  return Statement(stmt);
}

}  // namespace ketenpoort::store
