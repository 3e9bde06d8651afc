#include "gateway/audit/audit_log.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <functional>
#include <set>
#include <thread>

#include "gateway/audit/chain_verifier.h"
#include "gateway/audit/sqlite_audit_store.h"
#include "gateway/common/error.h"
#include "tests/support/faulty_audit_store.h"
#include "tests/support/temp_dir.h"

namespace ketenpoort::audit {
namespace {

using testing::TempDir;

v1::AuditEntry Entry(const std::string& partner) {
  v1::AuditEntry entry;
  entry.set_kind(v1::AuditEntry::ACCESS);
  entry.set_partner_id(partner);
  entry.set_decision(v1::AuditEntry::PERMIT);
  return entry;
}

std::unique_ptr<SqliteAuditStore> OpenStore(const std::string& path) {
  auto store = SqliteAuditStore::Open({.path = path});
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(store).value();
}

ChainReport Verify(const std::string& path) {
  auto store = SqliteAuditStore::Open({.path = path, .read_only = true});
  EXPECT_TRUE(store.ok()) << store.status();
  auto report = VerifyChain(**store);
  EXPECT_TRUE(report.ok()) << report.status();
  return *report;
}

// Runs SQL on the audit file through a separate connection, as a
// tamperer with file access would. Returns SQLite's error, or "".
std::string Tamper(const std::string& path, const std::string& sql) {
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

class AuditLogTest : public ::testing::Test {
 protected:
  void AppendEntries(int count) {
    AuditLog log(OpenStore(path_));
    for (int i = 0; i < count; ++i) {
      auto index = log.AppendAndWait(Entry("partner-" + std::to_string(i)));
      ASSERT_TRUE(index.ok()) << index.status();
    }
  }

  TempDir dir_;
  std::string path_ = dir_.File("audit.db");
};

TEST_F(AuditLogTest, AssignsContiguousIndexesAndTheChainVerifies) {
  AuditLog log(OpenStore(path_));
  for (uint64_t expected = 1; expected <= 5; ++expected) {
    auto index = log.AppendAndWait(Entry("coa"));
    ASSERT_TRUE(index.ok()) << index.status();
    EXPECT_EQ(*index, expected);
  }
  ChainReport report = Verify(path_);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 5u);
}

TEST_F(AuditLogTest, ContinuesTheChainAfterReopening) {
  AppendEntries(3);
  {
    AuditLog log(OpenStore(path_));
    auto index = log.AppendAndWait(Entry("coa"));
    ASSERT_TRUE(index.ok());
    EXPECT_EQ(*index, 4u);
  }
  EXPECT_TRUE(Verify(path_).ok);
}

TEST_F(AuditLogTest, ConcurrentWritersGetUniqueIndexesInOneChain) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::mutex mutex;
  std::set<uint64_t> indexes;
  {
    AuditLog log(OpenStore(path_));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i) {
          auto index = log.AppendAndWait(Entry("gca"));
          ASSERT_TRUE(index.ok());
          std::lock_guard<std::mutex> lock(mutex);
          indexes.insert(*index);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(log.committed_count(), static_cast<uint64_t>(kThreads * kPerThread));
  }
  EXPECT_EQ(indexes.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*indexes.begin(), 1u);
  EXPECT_EQ(*indexes.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_TRUE(Verify(path_).ok);
}

TEST_F(AuditLogTest, TriggersRefuseUpdateDeleteAndReplace) {
  AppendEntries(3);
  EXPECT_NE(Tamper(path_, "UPDATE audit_entry SET entry = x'00' WHERE idx = 2").find("append-only"),
            std::string::npos);
  EXPECT_NE(Tamper(path_, "DELETE FROM audit_entry WHERE idx = 2").find("append-only"),
            std::string::npos);
  // REPLACE deletes the old row first; recursive_triggers makes that fire.
  EXPECT_NE(Tamper(path_,
                   "INSERT OR REPLACE INTO audit_entry VALUES (2, x'00', zeroblob(32), "
                   "zeroblob(32))")
                .find("append-only"),
            std::string::npos);
  ChainReport report = Verify(path_);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 3u);
}

TEST_F(AuditLogTest, FailsClosedWhileTheStoreFailsAndRecoversAfter) {
  auto faulty = std::make_unique<testing::FaultyAuditStore>(OpenStore(path_));
  testing::FaultyAuditStore* store = faulty.get();
  AuditLog log(std::move(faulty));
  ASSERT_TRUE(log.AppendAndWait(Entry("coa")).ok());

  store->set_failing(true);
  auto failed = log.AppendAndWait(Entry("coa"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);

  store->set_failing(false);
  auto recovered = log.AppendAndWait(Entry("coa"));
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(*recovered, 2u);  // the failed entry never took an index
  EXPECT_TRUE(Verify(path_).ok);
}

// With the triggers dropped, the verifier is what catches tampering.
class ChainTamperTest : public AuditLogTest {
 protected:
  void SetUp() override {
    AppendEntries(5);
    ASSERT_EQ(Tamper(path_,
                     "DROP TRIGGER audit_entry_no_update; "
                     "DROP TRIGGER audit_entry_no_delete;"),
              "");
  }
  // Rewrites one entry's stored bytes, bypassing the (dropped) triggers.
  void RewriteEntry(uint64_t index, const std::function<void(std::string&)>& edit) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* read = nullptr;
    sqlite3_prepare_v2(db, "SELECT entry FROM audit_entry WHERE idx = ?1", -1, &read, nullptr);
    sqlite3_bind_int64(read, 1, static_cast<sqlite3_int64>(index));
    ASSERT_EQ(sqlite3_step(read), SQLITE_ROW);
    std::string bytes(static_cast<const char*>(sqlite3_column_blob(read, 0)),
                      static_cast<size_t>(sqlite3_column_bytes(read, 0)));
    sqlite3_finalize(read);
    edit(bytes);
    sqlite3_stmt* write = nullptr;
    sqlite3_prepare_v2(db, "UPDATE audit_entry SET entry = ?1 WHERE idx = ?2", -1, &write, nullptr);
    sqlite3_bind_blob(write, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    sqlite3_bind_int64(write, 2, static_cast<sqlite3_int64>(index));
    EXPECT_EQ(sqlite3_step(write), SQLITE_DONE);
    sqlite3_finalize(write);
    sqlite3_close(db);
  }
  void ExpectBrokenAt(uint64_t index) {
    ChainReport report = Verify(path_);
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.first_bad_index, index) << report.problem;
  }
};

TEST_F(ChainTamperTest, DetectsAnEditedEntry) {
  RewriteEntry(3, [](std::string& bytes) {
    v1::AuditEntry entry;
    ASSERT_TRUE(entry.ParseFromString(bytes));
    entry.set_partner_id("someone-else");
    bytes = entry.SerializeAsString();
  });
  ExpectBrokenAt(3);
}

TEST_F(ChainTamperTest, DetectsAFlippedBit) {
  RewriteEntry(2, [](std::string& bytes) { bytes[bytes.size() / 2] ^= 0x04; });
  ExpectBrokenAt(2);
}

TEST_F(ChainTamperTest, DetectsAFlippedBitInAStoredHash) {
  ASSERT_EQ(Tamper(path_,
                   "UPDATE audit_entry SET prev_hash = "
                   "(SELECT entry_hash FROM audit_entry WHERE idx = 1) WHERE idx = 4"),
            "");
  ExpectBrokenAt(4);
}

TEST_F(ChainTamperTest, DetectsADeletedEntry) {
  ASSERT_EQ(Tamper(path_, "DELETE FROM audit_entry WHERE idx = 2"), "");
  ExpectBrokenAt(2);
}

TEST_F(ChainTamperTest, DetectsReorderedEntries) {
  ASSERT_EQ(Tamper(path_,
                   "UPDATE audit_entry SET idx = 100 WHERE idx = 2;"
                   "UPDATE audit_entry SET idx = 2 WHERE idx = 3;"
                   "UPDATE audit_entry SET idx = 3 WHERE idx = 100;"),
            "");
  ExpectBrokenAt(2);
}

TEST_F(ChainTamperTest, DetectsAnInsertedEntryWithARecomputedHash) {
  // Shift entries 3..5 up and put a forged entry at 3 whose own hash is
  // consistent; the next entry's prev_hash no longer matches.
  ASSERT_EQ(Tamper(path_,
                   "UPDATE audit_entry SET idx = idx + 10 WHERE idx >= 3;"
                   "UPDATE audit_entry SET idx = idx - 9 WHERE idx >= 13;"),
            "");
  ASSERT_EQ(Tamper(path_,
                   "INSERT INTO audit_entry SELECT 3, entry, prev_hash, entry_hash "
                   "FROM audit_entry WHERE idx = 2"),
            "");
  ExpectBrokenAt(3);
}

}  // namespace
}  // namespace ketenpoort::audit
