// The subject index is filled in bulk (decision 0016): a person's entries
// must be found whether they are indexed yet or not, across restarts,
// migrations from the per-row index and retention. Retention runs in
// steps (decision 0017), each whole on its own, and stops between steps
// when asked to (decision 0018).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <stop_token>
#include <thread>
#include <vector>

#include "gateway/audit/audit_reader.h"
#include "gateway/audit/audit_schema.h"
#include "gateway/audit/sqlite_audit_store.h"
#include "gateway/common/error.h"
#include "tests/support/audit_fixture.h"
#include "tests/support/temp_dir.h"

namespace ketenpoort::audit {
namespace {

using testing::QueryInt;
using testing::Tamper;

constexpr int64_t kAlice = 1111;
constexpr int64_t kBob = 2222;

class AuditSubjectIndexTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteAuditStore> OpenStore(uint64_t batch, uint64_t retention_step = 512) {
    auto store = SqliteAuditStore::Open(
        path_, {.subject_index_batch = batch, .retention_step = retention_step});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Appends one entry per key, in one commit, after the entries so far.
  absl::Status Append(SqliteAuditStore& store, const std::vector<std::optional<int64_t>>& keys) {
    std::vector<StoredEntry> entries;
    for (const std::optional<int64_t>& key : keys) {
      StoredEntry entry;
      entry.index = ++size_;
      // Retention reads an entry's time from its bytes, not the column.
      entry.time_unix_micros = static_cast<int64_t>(entry.index) * 10;
      v1::AuditEntry content;
      content.set_index(entry.index);
      content.set_time_unix_micros(entry.time_unix_micros);
      entry.entry_bytes = content.SerializeAsString();
      entry.leaf_hash = merkle::HashLeaf(entry.entry_bytes);
      entry.subject_key = key;
      entries.push_back(std::move(entry));
    }
    const StoredCheckpoint head{size_, merkle::Hash{}, "checkpoint " + std::to_string(size_)};
    absl::Status status = store.AppendBatch(entries, {}, head, false);
    if (!status.ok()) size_ -= keys.size();
    return status;
  }

  std::vector<uint64_t> EntriesOf(int64_t subject_key, uint64_t after = 0,
                                  uint64_t max_rows = UINT64_MAX) {
    auto reader = AuditReader::Open(path_);
    EXPECT_TRUE(reader.ok()) << reader.status();
    std::vector<uint64_t> found;
    if (!reader.ok()) return found;
    EntryRange range;
    range.after_index = after;
    range.subject_keys = {subject_key};
    range.max_rows = max_rows;
    auto scanned = (*reader)->Scan(range, [&](const StoredEntry& entry) {
      found.push_back(entry.index);
      return true;
    });
    EXPECT_TRUE(scanned.ok()) << scanned.status();
    return found;
  }

  // Scans with a budget of `max_rows` reads a call until the whole log is
  // covered; every call must get further.
  std::vector<uint64_t> EntriesInPages(int64_t subject_key, uint64_t after, uint64_t max_rows) {
    auto reader = AuditReader::Open(path_);
    EXPECT_TRUE(reader.ok()) << reader.status();
    std::vector<uint64_t> found;
    if (!reader.ok()) return found;
    for (int call = 0; call < 100 && after < size_; ++call) {
      EntryRange range;
      range.after_index = after;
      range.subject_keys = {subject_key};
      range.max_rows = max_rows;
      auto covered = (*reader)->Scan(range, [&](const StoredEntry& entry) {
        found.push_back(entry.index);
        return true;
      });
      EXPECT_TRUE(covered.ok()) << covered.status();
      if (!covered.ok() || *covered <= after) {
        ADD_FAILURE() << "a scan after " << after << " got no further";
        break;
      }
      after = *covered;
    }
    return found;
  }

  int64_t Watermark() const { return QueryInt(path_, "SELECT through FROM audit_subject_indexed"); }
  int64_t IndexRows() const { return QueryInt(path_, "SELECT count(*) FROM audit_subject"); }

  testing::TempDir dir_;
  std::string path_ = dir_.File("audit.db");
  uint64_t size_ = 0;
};

TEST_F(AuditSubjectIndexTest, ACommitIndexesInBulkOnceEnoughEntriesWait) {
  auto store = OpenStore(4);
  ASSERT_TRUE(Append(*store, {kAlice, kBob, kAlice}).ok());
  EXPECT_EQ(IndexRows(), 0);  // three wait: no index write yet
  ASSERT_TRUE(Append(*store, {std::nullopt, kBob}).ok());
  EXPECT_EQ(Watermark(), 5);
  EXPECT_EQ(IndexRows(), 4);  // entry 4 concerns nobody
  ASSERT_TRUE(Append(*store, {kAlice}).ok());
  EXPECT_EQ(Watermark(), 5);
  EXPECT_EQ(IndexRows(), 4);
}

TEST_F(AuditSubjectIndexTest, AScanFindsIndexedAndUnindexedEntriesInOrder) {
  {
    auto store = OpenStore(4);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append(*store, {kAlice, kBob}).ok());
    ASSERT_EQ(Watermark(), 8);  // entries 9 and 10 are not indexed yet
  }
  EXPECT_EQ(EntriesOf(kAlice), (std::vector<uint64_t>{1, 3, 5, 7, 9}));
  EXPECT_EQ(EntriesOf(kBob), (std::vector<uint64_t>{2, 4, 6, 8, 10}));
  // Pages of a report: after an index, a bounded number of rows read per
  // call, each call going on from where the last one got to.
  EXPECT_EQ(EntriesOf(kAlice, 3, 2), (std::vector<uint64_t>{5}));
  EXPECT_EQ(EntriesInPages(kAlice, 3, 2), (std::vector<uint64_t>{5, 7, 9}));
  EXPECT_EQ(EntriesInPages(kBob, 0, 1), (std::vector<uint64_t>{2, 4, 6, 8, 10}));
  EXPECT_TRUE(EntriesOf(3333).empty());
}

TEST_F(AuditSubjectIndexTest, ReopeningContinuesFromTheStoredWatermark) {
  {
    auto store = OpenStore(4);
    ASSERT_TRUE(Append(*store, {kAlice, kAlice, kBob, kBob, kAlice}).ok());
    ASSERT_TRUE(Append(*store, {kBob, kAlice}).ok());
    ASSERT_EQ(Watermark(), 5);
  }
  auto store = OpenStore(4);
  ASSERT_TRUE(Append(*store, {kAlice, kBob}).ok());
  EXPECT_EQ(Watermark(), 9);
  EXPECT_EQ(IndexRows(), 9);  // 6 and 7 were indexed after the restart, once
  EXPECT_EQ(EntriesOf(kAlice), (std::vector<uint64_t>{1, 2, 5, 7, 8}));
}

TEST_F(AuditSubjectIndexTest, AFailedCommitIndexesNothingAndTheNextOneCatchesUp) {
  auto store = OpenStore(3);
  ASSERT_TRUE(Append(*store, {kAlice, kBob}).ok());
  // A row already there for the next entry makes the bulk index insert
  // fail on its key, inside the commit (a trigger would be refused as a
  // schema change before the commit started).
  ASSERT_EQ(Tamper(path_,
                   "INSERT INTO audit_subject SELECT subject_key, 3 FROM audit_entry "
                   "WHERE idx = 1"),
            "");
  absl::Status failed = Append(*store, {kAlice});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM audit_entry"), 2);  // nothing half-written
  EXPECT_EQ(Watermark(), -1);
  ASSERT_EQ(Tamper(path_, "DELETE FROM audit_subject WHERE idx = 3;"), "");
  ASSERT_TRUE(Append(*store, {kBob}).ok());
  EXPECT_EQ(Watermark(), 3);
  EXPECT_EQ(IndexRows(), 3);
  EXPECT_EQ(EntriesOf(kBob), (std::vector<uint64_t>{2, 3}));
}

// Before audit_subject, stores carried an index on audit_entry itself.
void MakeLegacy(const std::string& path) {
  ASSERT_EQ(Tamper(path,
                   "DROP TABLE audit_subject; DROP TABLE audit_subject_indexed; "
                   "CREATE INDEX audit_entry_by_subject ON audit_entry (subject_key) "
                   "WHERE subject_key IS NOT NULL;"),
            "");
}

TEST_F(AuditSubjectIndexTest, OpeningALegacyStoreMovesItsIndexIntoAuditSubject) {
  {
    auto store = OpenStore(100);
    ASSERT_TRUE(Append(*store, {kAlice, kBob, std::nullopt, kAlice}).ok());
  }
  MakeLegacy(path_);
  {
    // A reader alone does not read an older version's schema: the
    // gateway upgrades the store when it opens it, and says so.
    auto reader = AuditReader::Open(path_);
    ASSERT_TRUE(reader.ok());
    auto entry = (*reader)->Entry(1);
    EXPECT_EQ(ErrorReason(entry.status()), "AUDIT_STORE_TAMPERED");
    EXPECT_NE(std::string(entry.status().message()).find("the gateway migrates it"),
              std::string::npos)
        << entry.status();
  }

  auto store = OpenStore(100);
  EXPECT_EQ(QueryInt(path_, std::string("SELECT count(*) FROM sqlite_master WHERE name = '") +
                                kLegacySubjectIndex + "'"),
            0);
  EXPECT_EQ(Watermark(), 4);
  EXPECT_EQ(IndexRows(), 3);
  ASSERT_TRUE(Append(*store, {kAlice}).ok());
  EXPECT_EQ(EntriesOf(kAlice), (std::vector<uint64_t>{1, 4, 5}));
}

TEST_F(AuditSubjectIndexTest, RetentionRemovesTheIndexRowsOfPrunedEntries) {
  auto store = OpenStore(2);
  ASSERT_TRUE(Append(*store, {kAlice, kBob}).ok());
  ASSERT_TRUE(Append(*store, {kAlice, kBob}).ok());
  ASSERT_TRUE(Append(*store, {kAlice}).ok());
  ASSERT_EQ(IndexRows(), 4);
  auto pruned = store->PruneThrough(3, 1, 5, std::stop_token());
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 3u);
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM audit_subject WHERE idx <= 3"), 0);
  EXPECT_EQ(EntriesOf(kAlice), (std::vector<uint64_t>{5}));
  EXPECT_EQ(EntriesOf(kBob), (std::vector<uint64_t>{4}));
}

TEST_F(AuditSubjectIndexTest, RetentionStepsEachRecordWhatTheyPruned) {
  auto store = OpenStore(2, 2);
  ASSERT_TRUE(Append(*store, {kAlice, kBob, kAlice, kBob, kAlice}).ok());
  auto pruned = store->PruneThrough(5, 1, 9, std::stop_token());
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 5u);
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM audit_retention WHERE recorded_by = 9"), 3);
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM audit_retention WHERE through IN (2, 4, 5)"), 3);
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM audit_entry WHERE entry IS NULL"), 5);
  EXPECT_EQ(IndexRows(), 0);
  auto again = store->PruneThrough(5, 1, 10, std::stop_token());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM audit_retention"), 3);
}

TEST_F(AuditSubjectIndexTest, AFailedRetentionStepLeavesTheStepsBeforeItWhole) {
  // The third step fails after its retention row and index deletions.
  bool fail_late_steps = true;
  auto store = OpenStore(2, 2);
  store->SetInsideRetentionStepForTest([&](uint64_t through) {
    return fail_late_steps && through > 4 ? absl::UnavailableError("refused by the test")
                                          : absl::OkStatus();
  });
  ASSERT_TRUE(Append(*store, {kAlice, kBob, kAlice, kBob, kAlice, kBob}).ok());
  auto pruned = store->PruneThrough(6, 1, 9, std::stop_token());
  ASSERT_FALSE(pruned.ok());
  EXPECT_EQ(pruned.status().code(), absl::StatusCode::kUnavailable);
  auto through = store->PrunedThrough();
  ASSERT_TRUE(through.ok());
  EXPECT_EQ(*through, 4u);
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM audit_entry WHERE entry IS NULL"), 4);
  EXPECT_EQ(EntriesOf(kAlice), (std::vector<uint64_t>{5}));
  EXPECT_EQ(EntriesOf(kBob), (std::vector<uint64_t>{6}));

  // The next run continues where the last step that held ended.
  fail_late_steps = false;
  auto rest = store->PruneThrough(6, 1, 10, std::stop_token());
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(*rest, 2u);
  EXPECT_TRUE(EntriesOf(kAlice).empty());
  EXPECT_TRUE(EntriesOf(kBob).empty());
  EXPECT_EQ(IndexRows(), 0);
}

TEST_F(AuditSubjectIndexTest, TheRetentionBoundaryIsFoundAcrossSteps) {
  auto store = OpenStore(100, 2);
  ASSERT_TRUE(Append(*store, {kAlice, kBob, kAlice, kBob, kAlice, kBob, kAlice}).ok());
  // Entry n was written at n * 10 µs.
  auto before_45 = store->LastIndexBefore(45, std::stop_token());
  ASSERT_TRUE(before_45.ok());
  EXPECT_EQ(*before_45, 4u);
  auto before_all = store->LastIndexBefore(1000, std::stop_token());
  ASSERT_TRUE(before_all.ok());
  EXPECT_EQ(*before_all, 7u);
  auto before_none = store->LastIndexBefore(5, std::stop_token());
  ASSERT_TRUE(before_none.ok());
  EXPECT_EQ(*before_none, 0u);
  ASSERT_TRUE(store->PruneThrough(3, 35, 9, std::stop_token()).ok());
  auto after_prune = store->LastIndexBefore(65, std::stop_token());
  ASSERT_TRUE(after_prune.ok());
  EXPECT_EQ(*after_prune, 6u);
}

TEST_F(AuditSubjectIndexTest, RetentionAskedToStopPrunesNothingAndTheNextRunDoesItAll) {
  auto store = OpenStore(100, 2);
  ASSERT_TRUE(Append(*store, {kAlice, kBob, kAlice, kBob, kAlice}).ok());
  std::stop_source stopped;
  stopped.request_stop();
  // A stopped boundary search only vouches for what is already pruned.
  auto boundary = store->LastIndexBefore(1000, stopped.get_token());
  ASSERT_TRUE(boundary.ok());
  EXPECT_EQ(*boundary, 0u);
  auto pruned = store->PruneThrough(5, 1000, 9, stopped.get_token());
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 0u);
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM audit_retention"), 0);
  EXPECT_EQ(EntriesOf(kAlice), (std::vector<uint64_t>{1, 3, 5}));

  auto all = store->PruneThrough(5, 1000, 10, std::stop_token());
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, 5u);
  EXPECT_TRUE(EntriesOf(kAlice).empty());
}

TEST_F(AuditSubjectIndexTest, AStopDuringRetentionLeavesWholeStepsThatTheNextRunContinues) {
  constexpr uint64_t kEntries = 400;
  auto store = OpenStore(100, 2);
  std::vector<std::optional<int64_t>> keys;
  for (uint64_t i = 0; i < kEntries; ++i) keys.emplace_back(i % 2 ? kAlice : kBob);
  ASSERT_TRUE(Append(*store, keys).ok());

  // Asks for the stop once the first step is durable, watched through a
  // connection of its own (WAL readers do not wait for the writer). Where
  // the stop lands depends on the scheduler; what it must leave does not.
  std::stop_source stop;
  std::jthread stopper([&](std::stop_token done) {
    while (!done.stop_requested() && QueryInt(path_, "SELECT count(*) FROM audit_retention") < 1) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    stop.request_stop();
  });
  auto first = store->PruneThrough(kEntries, 100'000, 9, stop.get_token());
  stopper.request_stop();
  stopper.join();
  ASSERT_TRUE(first.ok()) << first.status();
  auto through = store->PrunedThrough();
  ASSERT_TRUE(through.ok());
  EXPECT_EQ(*through, *first);
  EXPECT_EQ(*through % 2, 0u) << "a step was cut in half";
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM audit_entry WHERE entry IS NULL"),
            static_cast<int64_t>(*through));
  EXPECT_EQ(IndexRows(), static_cast<int64_t>(kEntries - *through));

  auto rest = store->PruneThrough(kEntries, 100'000, 10, std::stop_token());
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(*first + *rest, kEntries);
  EXPECT_EQ(IndexRows(), 0);
  EXPECT_TRUE(EntriesOf(kAlice).empty());
}

}  // namespace
}  // namespace ketenpoort::audit
