// A small RAII wrapper over one SQLite connection for the gateway's own
// stores: opens in WAL mode with synchronous=FULL, runs schema SQL, and
// turns SQLite errors into UNAVAILABLE statuses naming the store. Not
// thread-safe; its owner serialises access.
#ifndef KETENPOORT_GATEWAY_STORE_SQLITE_DATABASE_H_
#define KETENPOORT_GATEWAY_STORE_SQLITE_DATABASE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ketenpoort::store {

// A prepared statement, finalized on destruction.
class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&& other) noexcept;

  sqlite3_stmt* get() const { return stmt_; }
  // Resets and clears bindings, ready for the next use.
  void Reset();
  void BindText(int index, std::string_view text);
  void BindBlob(int index, std::string_view bytes);
  // Without a copy: `bytes` must outlive the next Step().
  void BindBlobStatic(int index, std::string_view bytes);
  void BindInt64(int index, int64_t value);
  void BindNull(int index);
  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int Step();
  std::string_view ColumnBlob(int column) const;
  int64_t ColumnInt64(int column) const;
  bool ColumnIsNull(int column) const;
  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL:
  // how the value is stored, whatever the column's declared type. SQLite
  // converts on reading, so a value stored as the wrong type reads back
  // equal yet matches no query that binds the declared type.
  int ColumnType(int column) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

struct DatabaseOptions {
  std::string name;  // appears in error messages ("consent store: ...")
  std::string path;
  std::string_view schema;  // run on open; ignored when read-only
  bool read_only = false;
  // The ErrorInfo reason of every error from this database.
  std::string error_reason = "STORE_UNAVAILABLE";
  int busy_timeout_ms = 1000;
  // Read-only: map up to this many bytes of the file instead of reading
  // pages into the connection's cache. Mapped pages count as the process's
  // memory for as long as the kernel keeps them, so only a tool that reads
  // the whole file once (the verifier) maps it; a long-running reader does
  // not (decision 0027).
  int64_t mmap_bytes = 0;
};

class SqliteDatabase {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(DatabaseOptions options);
  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(std::string name,
                                                              const std::string& path,
                                                              std::string_view schema) {
    return Open({.name = std::move(name), .path = path, .schema = schema});
  }
  ~SqliteDatabase();

  absl::Status Exec(std::string_view sql);
  absl::StatusOr<Statement> Prepare(std::string_view sql);
  // An UNAVAILABLE status carrying SQLite's current error message.
  absl::Status Error(std::string_view what) const;
  sqlite3* handle() const { return db_; }

 private:
  SqliteDatabase(DatabaseOptions options, sqlite3* db) : options_(std::move(options)), db_(db) {}

  DatabaseOptions options_;
  sqlite3* db_;
};

}  // namespace ketenpoort::store

#endif  // KETENPOORT_GATEWAY_STORE_SQLITE_DATABASE_H_
