// Helpers for tests of the audit store: a log over a temp file, the
// verifier over the same file, and SQL run as a tamperer with file access.
#ifndef KETENPOORT_TESTS_SUPPORT_AUDIT_FIXTURE_H_
#define KETENPOORT_TESTS_SUPPORT_AUDIT_FIXTURE_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_reader.h"
#include "gateway/audit/log_verifier.h"
#include "gateway/audit/sqlite_audit_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_signer.h"

namespace ketenpoort::testing {

inline v1::AuditEntry SampleEntry(const std::string& partner, int64_t time_unix_micros = 1) {
  v1::AuditEntry entry;
  entry.set_kind(v1::AuditEntry::ACCESS);
  entry.set_time_unix_micros(time_unix_micros);
  entry.set_partner_id(partner);
  entry.set_decision(v1::AuditEntry::PERMIT);
  return entry;
}

// One integer from a query on a read-only connection of its own (WAL
// readers do not wait for the writer); -1 when there is no row.
inline int64_t QueryInt(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  int64_t value = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    value = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

// Runs SQL through a separate connection, as a tamperer would. Returns
// SQLite's error, or "" on success.
inline std::string Tamper(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA recursive_triggers=ON", nullptr, nullptr, nullptr);
  char* error = nullptr;
  sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  return message;
}

class AuditFixture : public ::testing::Test {
 protected:
  std::unique_ptr<audit::AuditLog> OpenLog(audit::SqliteAuditStoreOptions options = {}) {
    auto store = audit::SqliteAuditStore::Open(path_, options);
    EXPECT_TRUE(store.ok()) << store.status();
    auto log = audit::AuditLog::Open(std::move(*store), TestCheckpointSigner());
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? std::move(*log) : nullptr;
  }

  void AppendEntries(int count, int64_t time_unix_micros = 1) {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < count; ++i) {
      auto index =
          log->AppendAndWait(SampleEntry("partner-" + std::to_string(i), time_unix_micros));
      ASSERT_TRUE(index.ok()) << index.status();
    }
  }

  audit::VerifyReport Verify(std::optional<std::string> trusted_checkpoint = std::nullopt) {
    auto key = audit::CheckpointVerifier::FromVerifierKey(TestCheckpointSigner().VerifierKey());
    EXPECT_TRUE(key.ok()) << key.status();
    auto reader = audit::AuditReader::Open(path_);
    EXPECT_TRUE(reader.ok()) << reader.status();
    auto report =
        audit::VerifyLog(**reader, {.key = &*key, .trusted_checkpoint = trusted_checkpoint});
    EXPECT_TRUE(report.ok()) << report.status();
    return *report;
  }

  static std::string Problems(const audit::VerifyReport& report) {
    std::string text;
    for (const std::string& problem : report.problems) text += problem + "\n";
    return text;
  }

  TempDir dir_;
  std::string path_ = dir_.File("audit.db");
};

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_AUDIT_FIXTURE_H_
