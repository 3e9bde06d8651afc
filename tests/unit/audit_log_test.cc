#include "gateway/audit/audit_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "gateway/audit/tree_proofs.h"
#include "gateway/common/error.h"
#include "tests/support/audit_fixture.h"
#include "tests/support/faulty_audit_store.h"

namespace ketenpoort::audit {
namespace {

using testing::AuditFixture;
using testing::SampleEntry;
using testing::Tamper;

class AuditLogTest : public AuditFixture {
 protected:
  // A log over the store at path_ that fails while `failing_` says so.
  std::unique_ptr<AuditLog> OpenFailableLog(AuditLogOptions options = {}) {
    auto store = SqliteAuditStore::Open(path_);
    EXPECT_TRUE(store.ok());
    auto faulty = std::make_unique<testing::FaultyAuditStore>(std::move(*store));
    failing_ = faulty.get();
    auto log = AuditLog::Open(std::move(faulty), testing::TestCheckpointSigner(), options);
    EXPECT_TRUE(log.ok());
    return log.ok() ? std::move(*log) : nullptr;
  }
  testing::FaultyAuditStore* failing_ = nullptr;
};

TEST_F(AuditLogTest, AssignsContiguousIndexesAndTheLogVerifies) {
  {
    auto log = OpenLog();
    for (uint64_t expected = 1; expected <= 5; ++expected) {
      auto index = log->AppendAndWait(SampleEntry("coa"));
      ASSERT_TRUE(index.ok()) << index.status();
      EXPECT_EQ(*index, expected);
    }
    EXPECT_EQ(log->LatestCheckpoint().size, 5u);
  }
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
  EXPECT_EQ(report.entries, 5u);
  EXPECT_EQ(report.nodes, 0u);        // subtrees below 16 leaves are not stored
  EXPECT_GE(report.checkpoints, 2u);  // at least one kept, plus the head
}

TEST_F(AuditLogTest, TheHeadCheckpointIsSignedAndIsTheRootOfTheEntries) {
  auto log = OpenLog();
  std::vector<merkle::Hash> leaves;
  for (int i = 0; i < 7; ++i) {
    v1::AuditEntry entry = SampleEntry("gca");
    ASSERT_TRUE(log->AppendAndWait(entry).ok());
    entry.set_index(static_cast<uint64_t>(i) + 1);
    leaves.push_back(merkle::HashLeaf(entry.SerializeAsString()));
  }
  const StoredCheckpoint head = log->LatestCheckpoint();
  auto key = CheckpointVerifier::FromVerifierKey(log->signer().VerifierKey());
  ASSERT_TRUE(key.ok()) << key.status();
  auto opened = key->Open(head.note);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->size, 7u);
  EXPECT_EQ(opened->root, merkle::RootOf(leaves, 0, leaves.size()));
}

TEST_F(AuditLogTest, ContinuesTheTreeAfterReopening) {
  AppendEntries(3);
  {
    auto log = OpenLog();
    auto index = log->AppendAndWait(SampleEntry("coa"));
    ASSERT_TRUE(index.ok());
    EXPECT_EQ(*index, 4u);
  }
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
  EXPECT_EQ(report.entries, 4u);
}

TEST_F(AuditLogTest, ConcurrentWritersGetUniqueIndexesInOneTree) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::mutex mutex;
  std::set<uint64_t> indexes;
  {
    auto log = OpenLog();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i) {
          auto index = log->AppendAndWait(SampleEntry("gca"));
          ASSERT_TRUE(index.ok());
          std::lock_guard<std::mutex> lock(mutex);
          indexes.insert(*index);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(log->committed_count(), static_cast<uint64_t>(kThreads * kPerThread));
  }
  EXPECT_EQ(indexes.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*indexes.begin(), 1u);
  EXPECT_EQ(*indexes.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
}

// Where and when an Append callback ran.
struct Answer {
  absl::StatusOr<uint64_t> index = absl::UnknownError("not answered");
  std::thread::id thread;
};

AppendCallback AnswerInto(Answer& answer) {
  return [&answer](absl::StatusOr<uint64_t> index) {
    answer = {std::move(index), std::this_thread::get_id()};
  };
}

// Holds the writer thread inside the callback of a commit of `entries`,
// so that the writer is behind, until `release` is set.
void HoldTheWriterAfterACommitOf(AuditLog& log, size_t entries, std::shared_future<void> release) {
  std::promise<void> answering;
  std::vector<v1::AuditEntry> group(entries, SampleEntry("coa"));
  log.AppendAll(std::move(group), [&answering, release](absl::StatusOr<uint64_t> first) {
    EXPECT_TRUE(first.ok()) << first.status();
    answering.set_value();
    release.wait();
  });
  answering.get_future().wait();
}

TEST_F(AuditLogTest, UnderLoadACallerCommitsWhatWaitsForTheWriter) {
  auto log = OpenLog();
  std::promise<void> release;
  HoldTheWriterAfterACommitOf(*log, 8, release.get_future().share());

  // On a thread that may wait (a call worker), the first entry waits for
  // the writer; the second finds it waiting and commits both on that
  // thread, before Append returns.
  Answer waited;
  Answer second;
  std::thread::id worker;
  std::thread([&] {
    AuditLog::AllowCommitsOnThisThread();
    worker = std::this_thread::get_id();
    log->Append(SampleEntry("gca"), AnswerInto(waited));
    log->Append(SampleEntry("gca"), AnswerInto(second));
  }).join();
  EXPECT_EQ(second.index.value_or(0), 10u);
  EXPECT_EQ(second.thread, worker);
  EXPECT_EQ(waited.index.value_or(0), 9u);
  EXPECT_EQ(waited.thread, worker);
  EXPECT_EQ(log->commit_count(), 2u);
  EXPECT_EQ(log->LatestCheckpoint().size, 10u);

  release.set_value();
  log.reset();
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
  EXPECT_EQ(report.entries, 10u);
}

TEST_F(AuditLogTest, AThreadNotMarkedToWaitNeverCommitsEvenUnderLoad) {
  auto log = OpenLog();
  std::promise<void> release;
  HoldTheWriterAfterACommitOf(*log, 8, release.get_future().share());

  // As above, but on a thread like gRPC's: both stay queued for the writer.
  Answer waited;
  Answer second;
  std::thread::id poller;
  std::thread([&] {
    poller = std::this_thread::get_id();
    log->Append(SampleEntry("gca"), AnswerInto(waited));
    log->Append(SampleEntry("gca"), AnswerInto(second));
  }).join();
  EXPECT_FALSE(second.index.ok());
  EXPECT_EQ(log->LatestCheckpoint().size, 8u);

  release.set_value();
  log.reset();  // the writer drains the queue
  EXPECT_EQ(second.index.value_or(0), 10u);
  EXPECT_NE(second.thread, poller);
  EXPECT_NE(waited.thread, poller);
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
}

TEST_F(AuditLogTest, UnderLightLoadCallersLeaveTheCommitToTheWriter) {
  auto log = OpenLog();
  std::promise<void> release;
  HoldTheWriterAfterACommitOf(*log, 1, release.get_future().share());

  Answer first;
  Answer second;
  log->Append(SampleEntry("gca"), AnswerInto(first));
  log->Append(SampleEntry("gca"), AnswerInto(second));
  EXPECT_FALSE(first.index.ok());  // not yet answered: still queued
  EXPECT_FALSE(second.index.ok());
  EXPECT_EQ(log->LatestCheckpoint().size, 1u);

  release.set_value();
  log.reset();  // the writer drains the queue
  EXPECT_EQ(first.index.value_or(0), 2u);
  EXPECT_EQ(second.index.value_or(0), 3u);
  EXPECT_NE(second.thread, std::this_thread::get_id());
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
}

TEST_F(AuditLogTest, CallersAndTheWriterNeverCommitAtTheSameTime) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;
  std::unique_ptr<AuditLog> log = OpenFailableLog();
  ASSERT_NE(log, nullptr);
  std::mutex mutex;
  std::set<uint64_t> indexes;
  std::atomic<int> answered{0};
  std::promise<void> all_answered;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      AuditLog::AllowCommitsOnThisThread();
      for (int i = 0; i < kPerThread; ++i) {
        log->Append(SampleEntry("gca"), [&](absl::StatusOr<uint64_t> index) {
          EXPECT_TRUE(index.ok()) << index.status();
          {
            std::lock_guard<std::mutex> lock(mutex);
            indexes.insert(index.value_or(0));
          }
          if (++answered == kThreads * kPerThread) all_answered.set_value();
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  all_answered.get_future().wait();
  EXPECT_EQ(failing_->most_concurrent_writes(), 1);
  EXPECT_LT(log->commit_count(), static_cast<uint64_t>(kThreads * kPerThread));
  log.reset();
  ASSERT_EQ(indexes.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*indexes.begin(), 1u);
  EXPECT_EQ(*indexes.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
}

TEST_F(AuditLogTest, TheStoredBytesAreTheEntryWithItsIndex) {
  AppendEntries(300);  // indexes past 127 take two varint bytes
  auto reader = AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  for (uint64_t index : {1, 127, 128, 300}) {
    auto row = (*reader)->Entry(index);
    ASSERT_TRUE(row.ok() && *row);
    v1::AuditEntry entry;
    ASSERT_TRUE(entry.ParseFromString((*row)->entry_bytes));
    EXPECT_EQ(entry.index(), index);
    EXPECT_EQ(entry.SerializeAsString(), (*row)->entry_bytes) << index;
  }
}

TEST_F(AuditLogTest, StoredProofsVerifyAgainstEveryTreeSize) {
  AppendEntries(37);
  auto reader = AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  auto node = [&](uint32_t level, uint64_t index) { return (*reader)->Node(level, index); };
  std::vector<merkle::Hash> leaves;
  for (uint64_t i = 0; i < 37; ++i) leaves.push_back(*node(0, i));
  for (uint64_t size = 1; size <= 37; ++size) {
    auto root = StoredRoot(size, node);
    ASSERT_TRUE(root.ok()) << root.status();
    ASSERT_EQ(*root, merkle::RootOf(leaves, 0, size)) << "size " << size;
    for (uint64_t leaf = 0; leaf < size; ++leaf) {
      auto proof = StoredInclusionProof(leaf, size, node);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_TRUE(merkle::VerifyInclusion(leaf, size, leaves[leaf], *proof, *root))
          << leaf << " in " << size;
    }
    for (uint64_t old_size = 1; old_size <= size; ++old_size) {
      auto proof = StoredConsistencyProof(old_size, size, node);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_TRUE(merkle::VerifyConsistency(old_size, size, merkle::RootOf(leaves, 0, old_size),
                                            *root, *proof))
          << old_size << " to " << size;
    }
  }
}

TEST_F(AuditLogTest, TriggersRefuseUpdatesDeletesAndReplacements) {
  AppendEntries(20);  // enough for a stored node
  for (const char* sql : {
           "UPDATE audit_entry SET entry = x'00' WHERE idx = 2",
           "DELETE FROM audit_entry WHERE idx = 2",
           // REPLACE deletes the old row first; recursive_triggers makes that fire.
           "INSERT OR REPLACE INTO audit_entry VALUES (2, zeroblob(32), x'00', 0, NULL, NULL, "
           "NULL)",
           "UPDATE audit_node SET hash = zeroblob(32)",
           "DELETE FROM audit_node",
           "DELETE FROM audit_checkpoint",
           "UPDATE audit_head SET size = 1",
           "DELETE FROM audit_head",
           // Pruning is only allowed inside a recorded retention range.
           "UPDATE audit_entry SET entry = NULL, partner_id = NULL WHERE idx = 1",
       }) {
    EXPECT_NE(Tamper(path_, sql), "") << sql;
  }
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
  EXPECT_EQ(report.entries, 20u);
}

TEST_F(AuditLogTest, FailsClosedWhileTheStoreFailsAndRecoversAfter) {
  std::unique_ptr<AuditLog> log = OpenFailableLog();
  ASSERT_NE(log, nullptr);
  testing::FaultyAuditStore* failing = failing_;
  ASSERT_TRUE(log->AppendAndWait(SampleEntry("coa")).ok());

  failing->set_failing(true);
  auto failed = log->AppendAndWait(SampleEntry("coa"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(log->LatestCheckpoint().size, 1u);

  failing->set_failing(false);
  auto recovered = log->AppendAndWait(SampleEntry("coa"));
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(*recovered, 2u);  // the failed entry never took an index
  log.reset();
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
}

// Blocks until `done` has been called, and gives its result.
absl::StatusOr<uint64_t> AppendAllAndWait(AuditLog& log, std::vector<v1::AuditEntry> entries) {
  std::promise<absl::StatusOr<uint64_t>> promise;
  log.AppendAll(std::move(entries), [&promise](absl::StatusOr<uint64_t> first) {
    promise.set_value(std::move(first));
  });
  return promise.get_future().get();
}

TEST_F(AuditLogTest, AFullQueueRefusesAtOnceAndEverythingAcceptedIsWritten) {
  auto log = OpenFailableLog({.max_queue = 4, .head_file = ""});
  testing::FaultyAuditStore* store = failing_;
  store->set_holding(true);
  std::mutex mutex;
  std::vector<absl::StatusOr<uint64_t>> results;
  auto record = [&](absl::StatusOr<uint64_t> result) {
    std::lock_guard<std::mutex> lock(mutex);
    results.push_back(std::move(result));
  };
  // The writer takes the first entry and is held in the store.
  log->Append(SampleEntry("coa"), record);
  ASSERT_TRUE(store->WaitForHeldWrite());
  // Four wait behind it; the fifth and a group of two find the queue full.
  for (int i = 0; i < 4; ++i) log->Append(SampleEntry("coa"), record);
  absl::StatusOr<uint64_t> overflow = 0;
  log->Append(SampleEntry("coa"), [&](absl::StatusOr<uint64_t> r) { overflow = std::move(r); });
  absl::StatusOr<uint64_t> group = 0;
  log->AppendAll({SampleEntry("gca"), SampleEntry("gca")},
                 [&](absl::StatusOr<uint64_t> r) { group = std::move(r); });
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(overflow.status()), "AUDIT_QUEUE_FULL");
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(ErrorReason(group.status()), "AUDIT_QUEUE_FULL");
  EXPECT_EQ(log->refused_full_count(), 2u);

  store->set_holding(false);
  // The five accepted are written, in one tree, and room is made again.
  for (int wait = 0; wait < 500; ++wait) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (results.size() == 5) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    ASSERT_EQ(results.size(), 5u);
    for (const auto& result : results) EXPECT_TRUE(result.ok()) << result.status();
  }
  ASSERT_TRUE(log->AppendAndWait(SampleEntry("coa")).ok());
  EXPECT_EQ(log->LatestCheckpoint().size, 6u);
  log.reset();
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
}

TEST_F(AuditLogTest, AGroupGetsConsecutiveIndexesAndOneCallback) {
  auto log = OpenLog();
  ASSERT_TRUE(log->AppendAndWait(SampleEntry("coa")).ok());
  std::vector<v1::AuditEntry> group;
  for (int i = 0; i < 40; ++i) group.push_back(SampleEntry("duo"));
  auto first = AppendAllAndWait(*log, std::move(group));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 2u);
  EXPECT_EQ(log->LatestCheckpoint().size, 41u);
  log.reset();
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
}

TEST_F(AuditLogTest, AGroupFailsAsAWholeWhenTheStoreFails) {
  std::unique_ptr<AuditLog> log = OpenFailableLog();
  ASSERT_NE(log, nullptr);
  testing::FaultyAuditStore* failing = failing_;
  failing->set_failing(true);
  auto failed = AppendAllAndWait(*log, {SampleEntry("duo"), SampleEntry("duo")});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(log->LatestCheckpoint().size, 0u);
}

TEST_F(AuditLogTest, RefusesToExtendATreeThatNoLongerMatchesItsCheckpoint) {
  AppendEntries(16);
  ASSERT_EQ(Tamper(path_,
                   "DROP TRIGGER audit_node_no_update;"
                   "UPDATE audit_node SET hash = zeroblob(32) WHERE level = 4 AND idx = 0;"),
            "");
  auto store = SqliteAuditStore::Open(path_);
  ASSERT_TRUE(store.ok());
  auto log = AuditLog::Open(std::move(*store), testing::TestCheckpointSigner());
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(log.status()), "AUDIT_TREE_INCONSISTENT");
}

TEST_F(AuditLogTest, RefusesToStartOnATruncatedStore) {
  AppendEntries(4);
  ASSERT_EQ(
      Tamper(path_, "DROP TRIGGER audit_entry_no_delete; DELETE FROM audit_entry WHERE idx = 4;"),
      "");
  auto store = SqliteAuditStore::Open(path_);
  ASSERT_TRUE(store.ok());
  auto log = AuditLog::Open(std::move(*store), testing::TestCheckpointSigner());
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(ErrorReason(log.status()), "AUDIT_TREE_INCONSISTENT");
}

TEST_F(AuditLogTest, RetentionRemovesOldContentAndTheTreeStillVerifies) {
  constexpr int64_t kDay = 86'400LL * 1'000'000LL;
  {
    auto log = OpenLog();
    for (int day = 1; day <= 6; ++day) {
      ASSERT_TRUE(log->AppendAndWait(SampleEntry("coa", day * kDay)).ok());
    }
    auto pruned = log->PruneBefore(4 * kDay, 10 * kDay);
    ASSERT_TRUE(pruned.ok()) << pruned.status();
    EXPECT_EQ(*pruned, 3u);
    // Nothing new to prune: no second retention entry.
    auto again = log->PruneBefore(4 * kDay, 10 * kDay);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, 0u);
    EXPECT_EQ(log->LatestCheckpoint().size, 7u);  // six entries and the retention entry
  }
  auto reader = AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  auto first = (*reader)->Entry(1);
  ASSERT_TRUE(first.ok() && *first);
  EXPECT_TRUE((*first)->pruned);
  EXPECT_TRUE((*first)->entry_bytes.empty());
  auto kept = (*reader)->Entry(4);
  ASSERT_TRUE(kept.ok() && *kept);
  EXPECT_FALSE((*kept)->pruned);

  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
  EXPECT_EQ(report.pruned_entries, 3u);
  // Pruning further than recorded is refused.
  EXPECT_NE(Tamper(path_, "UPDATE audit_entry SET entry = NULL, partner_id = NULL WHERE idx = 5"),
            "");
}

TEST_F(AuditLogTest, RetentionStoppedAfterItsBoundarySearchAnnouncesNothing) {
  constexpr int64_t kDay = 86'400LL * 1'000'000LL;
  auto log = OpenFailableLog();
  ASSERT_NE(failing_, nullptr);
  for (int day = 1; day <= 6; ++day) {
    ASSERT_TRUE(log->AppendAndWait(SampleEntry("coa", day * kDay)).ok());
  }
  // The stop lands between finding the boundary and pruning: no ADMIN
  // entry may announce a removal that will not start.
  std::stop_source stop;
  failing_->set_after_boundary_search([&stop] { stop.request_stop(); });
  auto stopped = log->PruneBefore(4 * kDay, 10 * kDay, stop.get_token());
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(*stopped, 0u);
  EXPECT_EQ(log->LatestCheckpoint().size, 6u);

  failing_->set_after_boundary_search(nullptr);
  auto pruned = log->PruneBefore(4 * kDay, 10 * kDay);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 3u);
  EXPECT_EQ(log->LatestCheckpoint().size, 7u);
}

TEST_F(AuditLogTest, RetentionInStepsIsRecordedByOneEntryAndStillVerifies) {
  constexpr int64_t kDay = 86'400LL * 1'000'000LL;
  {
    auto log = OpenLog({.subject_index_batch = 2, .retention_step = 2});
    for (int day = 1; day <= 8; ++day) {
      ASSERT_TRUE(log->AppendAndWait(SampleEntry("coa", day * kDay)).ok());
    }
    auto pruned = log->PruneBefore(6 * kDay, 10 * kDay);
    ASSERT_TRUE(pruned.ok()) << pruned.status();
    EXPECT_EQ(*pruned, 5u);
  }
  auto reader = AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  auto records = (*reader)->RetentionRecords();
  ASSERT_TRUE(records.ok());
  std::vector<uint64_t> steps;
  for (const RetentionRecord& record : *records) {
    steps.push_back(record.through);
    EXPECT_EQ(record.recorded_by, 9u);  // the retention entry after the eight
  }
  EXPECT_EQ(steps, (std::vector<uint64_t>{2, 4, 5}));
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << Problems(report);
  EXPECT_EQ(report.pruned_entries, 5u);
}

}  // namespace
}  // namespace ketenpoort::audit
