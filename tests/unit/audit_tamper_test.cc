// The tamper suite: with the store's triggers out of the way (dropped, or
// edited out through writable_schema), every kind of change to the raw
// store is caught by the verifier.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <functional>

#include "gateway/audit/tree_proofs.h"
#include "gateway/common/error.h"
#include "tests/support/audit_fixture.h"

namespace ketenpoort::audit {
namespace {

using testing::Tamper;

constexpr char kDropTriggers[] =
    "DROP TRIGGER audit_entry_no_update; DROP TRIGGER audit_entry_no_delete;"
    "DROP TRIGGER audit_entry_keeps_time; DROP TRIGGER audit_node_no_update; DROP TRIGGER "
    "audit_node_no_delete;"
    "DROP TRIGGER audit_checkpoint_no_update; DROP TRIGGER audit_checkpoint_no_delete;"
    "DROP TRIGGER audit_head_forward_only; DROP TRIGGER audit_head_no_delete;";

// Rewrites one entry's stored bytes (and, if asked, its leaf hash).
void RewriteStoredEntry(const std::string& path, uint64_t index,
                        const std::function<void(std::string&)>& edit,
                        bool recompute_leaf_hash = false) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* read = nullptr;
  sqlite3_prepare_v2(db, "SELECT entry FROM audit_entry WHERE idx = ?1", -1, &read, nullptr);
  sqlite3_bind_int64(read, 1, static_cast<sqlite3_int64>(index));
  ASSERT_EQ(sqlite3_step(read), SQLITE_ROW);
  std::string bytes(static_cast<const char*>(sqlite3_column_blob(read, 0)),
                    static_cast<size_t>(sqlite3_column_bytes(read, 0)));
  sqlite3_finalize(read);
  edit(bytes);
  const merkle::Hash leaf = merkle::HashLeaf(bytes);
  sqlite3_stmt* write = nullptr;
  sqlite3_prepare_v2(db,
                     recompute_leaf_hash
                         ? "UPDATE audit_entry SET entry = ?1, leaf_hash = ?3 WHERE idx = ?2"
                         : "UPDATE audit_entry SET entry = ?1 WHERE idx = ?2",
                     -1, &write, nullptr);
  sqlite3_bind_blob(write, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  sqlite3_bind_int64(write, 2, static_cast<sqlite3_int64>(index));
  if (recompute_leaf_hash) sqlite3_bind_blob(write, 3, leaf.data(), 32, SQLITE_STATIC);
  EXPECT_EQ(sqlite3_step(write), SQLITE_DONE);
  sqlite3_finalize(write);
  sqlite3_close(db);
}

class AuditTamperTest : public testing::AuditFixture {
 protected:
  void SetUp() override {
    AppendEntries(40);  // enough for stored nodes (level 4 and up)
    ASSERT_TRUE(Verify().ok());
    ASSERT_EQ(Tamper(path_, kDropTriggers), "");
  }

  void RewriteEntry(uint64_t index, const std::function<void(std::string&)>& edit,
                    bool recompute_leaf_hash = false) {
    RewriteStoredEntry(path_, index, edit, recompute_leaf_hash);
  }

  static void ChangePartner(std::string& bytes) {
    v1::AuditEntry entry;
    ASSERT_TRUE(entry.ParseFromString(bytes));
    entry.set_partner_id("someone-else");
    bytes = entry.SerializeAsString();
  }

  void ExpectDetected(uint64_t first_bad_index = 0) {
    VerifyReport report = Verify();
    EXPECT_FALSE(report.ok());
    if (first_bad_index != 0) {
      EXPECT_EQ(report.first_bad_index, first_bad_index) << Problems(report);
    }
  }
};

TEST_F(AuditTamperTest, AnEditedEntry) {
  RewriteEntry(3, ChangePartner);
  ExpectDetected(3);
}

TEST_F(AuditTamperTest, AnEditedEntryWithItsLeafHashRecomputed) {
  RewriteEntry(3, ChangePartner, /*recompute_leaf_hash=*/true);
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Problems(report).find("signed root"), std::string::npos) << Problems(report);
}

TEST_F(AuditTamperTest, AFlippedBitInAnEntry) {
  RewriteEntry(2, [](std::string& bytes) { bytes[bytes.size() / 2] ^= 0x04; });
  ExpectDetected(2);
}

TEST_F(AuditTamperTest, AFlippedBitInALeafHash) {
  ASSERT_EQ(Tamper(path_,
                   "UPDATE audit_entry SET leaf_hash = "
                   "(SELECT leaf_hash FROM audit_entry WHERE idx = 1) WHERE idx = 6"),
            "");
  ExpectDetected(6);
}

TEST_F(AuditTamperTest, AFlippedBitInATreeNode) {
  ASSERT_EQ(Tamper(path_,
                   "UPDATE audit_node SET hash = "
                   "(SELECT hash FROM audit_node WHERE level = 4 AND idx = 0) "
                   "WHERE level = 4 AND idx = 1"),
            "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Problems(report).find("level 4, index 1"), std::string::npos) << Problems(report);
}

TEST_F(AuditTamperTest, ADeletedEntry) {
  ASSERT_EQ(Tamper(path_, "DELETE FROM audit_entry WHERE idx = 2"), "");
  ExpectDetected(2);
}

TEST_F(AuditTamperTest, ReorderedEntries) {
  ASSERT_EQ(Tamper(path_,
                   "UPDATE audit_entry SET idx = 100 WHERE idx = 2;"
                   "UPDATE audit_entry SET idx = 2 WHERE idx = 3;"
                   "UPDATE audit_entry SET idx = 3 WHERE idx = 100;"),
            "");
  ExpectDetected(2);
}

TEST_F(AuditTamperTest, AnInsertedEntry) {
  // Shift entries 3.. up by one and put a copy of entry 2 at 3.
  ASSERT_EQ(Tamper(path_,
                   "UPDATE audit_entry SET idx = idx + 100 WHERE idx >= 3;"
                   "UPDATE audit_entry SET idx = idx - 99 WHERE idx >= 103;"
                   "INSERT INTO audit_entry SELECT 3, leaf_hash, entry, time_us, partner_id, "
                   "source_partner_id, subject_key FROM audit_entry WHERE idx = 2;"),
            "");
  ExpectDetected(3);
}

TEST_F(AuditTamperTest, AnEntryAppendedWithoutACheckpoint) {
  ASSERT_EQ(Tamper(path_,
                   "INSERT INTO audit_entry SELECT 41, leaf_hash, entry, time_us, partner_id, "
                   "source_partner_id, subject_key FROM audit_entry WHERE idx = 40;"),
            "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Problems(report).find("not covered by any signed checkpoint"), std::string::npos)
      << Problems(report);
}

TEST_F(AuditTamperTest, ATruncatedTail) {
  ASSERT_EQ(Tamper(path_, "DELETE FROM audit_entry WHERE idx >= 37"), "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Problems(report).find("truncated"), std::string::npos) << Problems(report);
}

TEST_F(AuditTamperTest, ATruncationThatRewindsTheCheckpointsIsCaughtByAKeptCheckpoint) {
  // A thorough tamperer removes entries 6..40 and rewinds every checkpoint
  // to one that was really signed for 5 entries. Only a checkpoint kept
  // outside the store can show it.
  const std::string held_elsewhere = [&] {
    auto reader = AuditReader::Open(path_);
    return (*(*reader)->LatestCheckpoint())->note;
  }();
  const std::string signed_for_five = testing::TestCheckpointSigner().Sign(5, [&] {
    auto reader = AuditReader::Open(path_);
    return *StoredRoot(
        5, [&](uint32_t level, uint64_t index) { return (*reader)->Node(level, index); });
  }());
  ASSERT_EQ(Tamper(path_,
                   "DELETE FROM audit_entry WHERE idx >= 6;"
                   "DELETE FROM audit_node WHERE (idx + 1) << level > 5;"
                   "DELETE FROM audit_checkpoint WHERE size > 5;"
                   "UPDATE audit_head SET size = 5, root = zeroblob(32), note = '" +
                       signed_for_five + "';"),
            "");
  // Make the head's root column agree with its note, as a tamperer would.
  {
    auto key = CheckpointVerifier::FromVerifierKey(testing::TestCheckpointSigner().VerifierKey());
    auto opened = key->Open(signed_for_five);
    ASSERT_TRUE(opened.ok());
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "UPDATE audit_head SET root = ?1", -1, &stmt, nullptr);
    sqlite3_bind_blob(stmt, 1, opened->root.data(), 32, SQLITE_STATIC);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
  VerifyReport alone = Verify();
  EXPECT_TRUE(alone.ok()) << "a consistent rewind cannot be seen from inside: " << Problems(alone);
  VerifyReport with_kept = Verify(held_elsewhere);
  EXPECT_FALSE(with_kept.ok());
  EXPECT_NE(Problems(with_kept).find("trusted checkpoint"), std::string::npos)
      << Problems(with_kept);
}

TEST_F(AuditTamperTest, AForgedCheckpoint) {
  ASSERT_EQ(Tamper(path_,
                   "UPDATE audit_head SET note = replace(note, char(10) || '40' || char(10), "
                   "char(10) || '41' || char(10))"),
            "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Problems(report).find("head checkpoint"), std::string::npos) << Problems(report);
}

TEST_F(AuditTamperTest, AnEntryEmptiedOutsideRetention) {
  ASSERT_EQ(Tamper(path_, "UPDATE audit_entry SET entry = NULL WHERE idx = 4"), "");
  ExpectDetected(4);
}

TEST_F(AuditTamperTest, AnEditedQueryColumn) {
  // Each column a query or retention selects on, edited on its own.
  for (const std::string& edit :
       {std::string("time_us = 0"), std::string("partner_id = 'someone-else'"),
        std::string("partner_id = NULL"), std::string("source_partner_id = 'gca'"),
        std::string("subject_key = 42")}) {
    SCOPED_TRACE(edit);
    ASSERT_EQ(Tamper(path_, "UPDATE audit_entry SET " + edit + " WHERE idx = 5"), "");
    VerifyReport report = Verify();
    EXPECT_FALSE(report.ok());
    EXPECT_EQ(report.first_bad_index, 5u) << Problems(report);
    EXPECT_NE(Problems(report).find("do not match the entry"), std::string::npos)
        << Problems(report);
    // Put it back for the next edit.
    ASSERT_EQ(Tamper(path_,
                     "UPDATE audit_entry SET time_us = 1, partner_id = 'partner-4', "
                     "source_partner_id = NULL, subject_key = NULL WHERE idx = 5"),
              "");
    ASSERT_TRUE(Verify().ok()) << Problems(Verify());
  }
}

TEST_F(AuditTamperTest, AnEntryThatDoesNotDecodeIsReportedNotSkipped) {
  // A string field holding bytes that are not UTF-8: protobuf will not
  // parse it, so without this check every reader would skip the entry.
  RewriteEntry(
      7,
      [](std::string& bytes) {
        const std::string actor_field = std::string("\x3a\x02\xff\xfe", 4);  // field 7, "\xff\xfe"
        bytes += actor_field;
      },
      /*recompute_leaf_hash=*/true);
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.first_bad_index, 7u) << Problems(report);
  EXPECT_NE(Problems(report).find("entry 7 does not decode"), std::string::npos)
      << Problems(report);
}

// Subject index and retention: the tables beside the tree.
class AuditSideTableTamperTest : public testing::AuditFixture {
 protected:
  void SetUp() override {
    auto log = OpenLog({.subject_index_batch = 4});
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 40; ++i) {
      v1::AuditEntry entry =
          testing::SampleEntry("partner-" + std::to_string(i % 3), i < 20 ? kOld : kRecent);
      entry.set_subject_pseudonym(i % 2 == 0 ? kAlice : kBob);
      ASSERT_TRUE(log->AppendAndWait(entry).ok());
    }
  }

  uint64_t PruneOld() {
    auto log = OpenLog({.subject_index_batch = 4});
    auto pruned = log->PruneBefore(kCutoff, kNow);
    EXPECT_TRUE(pruned.ok()) << pruned.status();
    return pruned.ok() ? *pruned : 0;
  }

  int64_t Emptied() {
    return testing::QueryInt(path_, "SELECT count(*) FROM audit_entry WHERE entry IS NULL");
  }

  static constexpr char kAlice[] = "a1a1a1a1a1a1a1a1a1a1";
  static constexpr char kBob[] = "b2b2b2b2b2b2b2b2b2b2";
  static constexpr int64_t kOld = 1'000;
  static constexpr int64_t kCutoff = 500'000;
  static constexpr int64_t kRecent = 1'000'000;
  static constexpr int64_t kNow = 2'000'000;
  static constexpr char kDropAllTriggers[] =
      "DROP TRIGGER audit_entry_no_update; DROP TRIGGER audit_entry_keeps_time;"
      "DROP TRIGGER audit_retention_no_update;"
      "DROP TRIGGER audit_retention_no_delete;";
};

TEST_F(AuditSideTableTamperTest, ARowDeletedFromTheSubjectIndexHidesNothing) {
  ASSERT_TRUE(Verify().ok()) << Problems(Verify());
  ASSERT_GT(testing::QueryInt(path_, "SELECT count(*) FROM audit_subject"), 0);
  ASSERT_EQ(Tamper(path_, "DELETE FROM audit_subject WHERE idx = 9"), "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Problems(report).find("entry 9 is missing from the subject index"), std::string::npos)
      << Problems(report);
}

TEST_F(AuditSideTableTamperTest, ASubjectIndexRowMovedToAnotherSubject) {
  ASSERT_EQ(Tamper(path_, "UPDATE audit_subject SET subject_key = subject_key + 1 WHERE idx = 10"),
            "");
  EXPECT_FALSE(Verify().ok());
}

TEST_F(AuditSideTableTamperTest, AWatermarkBeyondTheLogThatWouldHideLaterEntries) {
  ASSERT_EQ(Tamper(path_, "UPDATE audit_subject_indexed SET through = 1000000"), "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Problems(report).find("beyond the end of the log"), std::string::npos)
      << Problems(report);
}

TEST_F(AuditSideTableTamperTest, AValueStoredAsAnotherTypeReadsTheSameYetNoQueryFindsIt) {
  // SQLite converts on reading, so each of these reads back equal to the
  // original, while a query binding the declared type no longer finds the
  // row: the entry would vanish from the officer's query or the person's
  // report.
  ASSERT_EQ(Tamper(path_, kDropAllTriggers), "");
  struct Variant {
    std::string column;
    std::string edit;
    std::string restore;
    std::string problem;
  };
  const auto as_blob = [](const std::string& table, const std::string& column,
                          const std::string& where) {
    return "UPDATE " + table + " SET " + column + " = CAST(CAST(" + column + " AS TEXT) AS BLOB)" +
           where;
  };
  const std::string at_6 = " WHERE idx = 6";
  const std::vector<Variant> variants = {
      {"audit_entry.subject_key", as_blob("audit_entry", "subject_key", at_6),
       "UPDATE audit_entry SET subject_key = CAST(subject_key AS INTEGER)" + at_6,
       "entry 6: subject_key is not stored as an integer"},
      {"audit_entry.time_us", as_blob("audit_entry", "time_us", at_6),
       "UPDATE audit_entry SET time_us = CAST(time_us AS INTEGER)" + at_6,
       "entry 6: time_us is not stored as an integer"},
      {"audit_entry.partner_id",
       "UPDATE audit_entry SET partner_id = CAST(partner_id AS BLOB)" + at_6,
       "UPDATE audit_entry SET partner_id = CAST(partner_id AS TEXT)" + at_6,
       "entry 6: partner_id is not stored as text"},
      {"audit_entry.source_partner_id",
       "UPDATE audit_entry SET source_partner_id = x'676361'" + at_6,
       "UPDATE audit_entry SET source_partner_id = NULL" + at_6,
       "entry 6: source_partner_id is not stored as text"},
      {"audit_subject.subject_key", as_blob("audit_subject", "subject_key", at_6),
       "UPDATE audit_subject SET subject_key = CAST(subject_key AS INTEGER)" + at_6,
       "the subject index row for entry 6 is not stored as integers"},
      {"audit_subject_indexed.through", as_blob("audit_subject_indexed", "through", ""),
       "UPDATE audit_subject_indexed SET through = CAST(through AS INTEGER)",
       "audit_subject_indexed has 1 row(s) whose through is not stored as an integer"},
  };
  ASSERT_TRUE(Verify().ok()) << Problems(Verify());
  for (const Variant& variant : variants) {
    SCOPED_TRACE(variant.column);
    ASSERT_EQ(Tamper(path_, variant.edit), "");
    VerifyReport report = Verify();
    EXPECT_FALSE(report.ok());
    EXPECT_NE(Problems(report).find(variant.problem), std::string::npos) << Problems(report);
    ASSERT_EQ(Tamper(path_, variant.restore), "");
    ASSERT_TRUE(Verify().ok()) << Problems(Verify());
  }
}

TEST_F(AuditSideTableTamperTest, ARetentionRowStoredAsAnotherTypeIsReported) {
  ASSERT_EQ(PruneOld(), 20u);
  ASSERT_TRUE(Verify().ok()) << Problems(Verify());
  ASSERT_EQ(Tamper(path_, kDropAllTriggers), "");
  ASSERT_EQ(
      Tamper(path_, "UPDATE audit_retention SET cutoff_us = CAST(CAST(cutoff_us AS TEXT) AS BLOB)"),
      "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Problems(report).find("audit_retention has 1 row(s) whose cutoff_us is not stored"),
            std::string::npos)
      << Problems(report);
}

TEST_F(AuditSideTableTamperTest, RetentionEmptiesOnlyWhatItsSignedEntrySays) {
  EXPECT_EQ(PruneOld(), 20u);
  EXPECT_EQ(Emptied(), 20);
  VerifyReport report = Verify();
  ASSERT_TRUE(report.ok()) << Problems(report);
  EXPECT_EQ(report.pruned_entries, 20u);
}

TEST_F(AuditSideTableTamperTest, BackdatedTimeColumnsDoNotMakeRetentionEmptyRecentEntries) {
  // The attack: set today's entries to 1970 and let the gateway prune.
  ASSERT_EQ(Tamper(path_, kDropAllTriggers), "");
  ASSERT_EQ(Tamper(path_, "UPDATE audit_entry SET time_us = 0 WHERE idx > 20"), "");
  EXPECT_EQ(PruneOld(), 20u);
  EXPECT_EQ(Emptied(), 20) << "only the entries that are really old";
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.first_bad_index, 21u) << Problems(report);
}

TEST_F(AuditSideTableTamperTest, EntriesRewrittenWithTheirLeafHashesAreNotEmptiedByRetention) {
  // The attack: backdate today's entries in their bytes, recompute their
  // leaf hashes so each entry matches its own, let the gateway prune, then
  // put the original leaf hashes back so the tree verifies again. Entries
  // 21..32 lie under a stored node (leaves 17..32), which still holds the
  // original hashes: the gateway starts on this store as if nothing changed.
  ASSERT_EQ(Tamper(path_, kDropAllTriggers), "");
  for (uint64_t index = 21; index <= 32; ++index) {
    RewriteStoredEntry(
        path_, index,
        [](std::string& bytes) {
          v1::AuditEntry entry;
          ASSERT_TRUE(entry.ParseFromString(bytes));
          entry.set_time_unix_micros(kOld);
          bytes = entry.SerializeAsString();
        },
        /*recompute_leaf_hash=*/true);
  }
  ASSERT_EQ(Tamper(path_, "UPDATE audit_entry SET time_us = 1000 WHERE idx BETWEEN 21 AND 32"), "");
  auto log = OpenLog({.subject_index_batch = 4});
  ASSERT_NE(log, nullptr);
  const absl::StatusOr<uint64_t> pruned = log->PruneBefore(kCutoff, kNow);
  ASSERT_FALSE(pruned.ok());
  EXPECT_EQ(ErrorReason(pruned.status()), "AUDIT_TREE_MISMATCH") << pruned.status();
  EXPECT_EQ(Emptied(), 0) << "nothing is emptied while the leaves do not match the signed tree";
  EXPECT_EQ(testing::QueryInt(path_, "SELECT count(*) FROM audit_retention"), 0);
}

TEST_F(AuditSideTableTamperTest, ARowCitingAnEmptiedRetentionEntryMustBeAccountedFor) {
  // Two runs: the second empties the first's own ADMIN entry (41), so the
  // first row cites an entry that can no longer be read.
  ASSERT_EQ(PruneOld(), 20u);  // rows (20, recorded by 41)
  {
    auto log = OpenLog({.subject_index_batch = 4});
    ASSERT_TRUE(log->PruneBefore(kNow + 1, kNow + 2).ok());  // (41, recorded by 42)
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->AppendAndWait(testing::SampleEntry("p")).ok());
  }
  ASSERT_TRUE(Verify().ok()) << Problems(Verify());
  ASSERT_EQ(Tamper(path_, kDropAllTriggers), "");
  const int64_t cutoff = testing::QueryInt(path_, "SELECT cutoff_us FROM audit_retention LIMIT 1");
  // Past the real ones: retention would believe entries up to 50 emptied
  // and never empty them.
  for (const char* through : {"50", "30"}) {
    SCOPED_TRACE(through);
    const std::string forged = std::string("INSERT INTO audit_retention VALUES (") + through +
                               ", " + std::to_string(cutoff) + ", 41)";
    ASSERT_EQ(Tamper(path_, forged), "");
    VerifyReport report = Verify();
    EXPECT_FALSE(report.ok());
    // Named as the row itself or as the run it slipped in front of.
    EXPECT_NE(Problems(report).find("retention through "), std::string::npos) << Problems(report);
    ASSERT_EQ(Tamper(path_, std::string("DELETE FROM audit_retention WHERE through = ") + through),
              "");
    ASSERT_TRUE(Verify().ok()) << Problems(Verify());
  }
}

TEST_F(AuditSideTableTamperTest, ASecondSubjectIndexRowForAnEntryIsReported) {
  ASSERT_EQ(Tamper(path_, "INSERT INTO audit_subject VALUES (12345, 9)"), "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Problems(report).find("under a second subject"), std::string::npos) << Problems(report);
}

TEST_F(AuditSideTableTamperTest, AForgedRetentionRowCitingARealRetentionEntry) {
  ASSERT_EQ(PruneOld(), 20u);  // recorded by entry 41
  ASSERT_EQ(Tamper(path_, kDropAllTriggers), "");
  ASSERT_EQ(Tamper(path_,
                   "INSERT INTO audit_retention VALUES (40, 500000, 41);"
                   "DELETE FROM audit_subject WHERE idx BETWEEN 21 AND 40;"
                   "UPDATE audit_entry SET entry = NULL, partner_id = NULL, subject_key = NULL "
                   "WHERE idx BETWEEN 21 AND 40"),
            "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Problems(report).find("which signs only entries 1..20"), std::string::npos)
      << Problems(report);
  EXPECT_NE(Problems(report).find("entries from 21"), std::string::npos) << Problems(report);
}

TEST_F(AuditSideTableTamperTest, ARetentionRowCitingAnEntryThatIsNoRetention) {
  ASSERT_EQ(Tamper(path_, kDropAllTriggers), "");
  ASSERT_EQ(Tamper(path_,
                   "INSERT INTO audit_retention VALUES (10, 500000, 30);"
                   "DELETE FROM audit_subject WHERE idx <= 10;"
                   "UPDATE audit_entry SET entry = NULL, partner_id = NULL, subject_key = NULL "
                   "WHERE idx <= 10"),
            "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Problems(report).find("which is not a retention entry"), std::string::npos)
      << Problems(report);
}

TEST_F(AuditSideTableTamperTest, AnEmptiedEntryNewerThanTheSignedCutoff) {
  ASSERT_EQ(PruneOld(), 20u);
  // Edit a pruned entry's time: it now claims to be newer than the cutoff.
  ASSERT_EQ(Tamper(path_, kDropAllTriggers), "");
  ASSERT_EQ(Tamper(path_, "UPDATE audit_entry SET time_us = 900000 WHERE idx = 12"), "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.first_bad_index, 12u) << Problems(report);
}

TEST_F(AuditSideTableTamperTest, AnEntryThatWouldNotDecodeIsRepairedBeforeItIsWritten) {
  auto log = OpenLog();
  v1::AuditEntry entry = testing::SampleEntry("partner-0");
  entry.set_actor_id(std::string("dr\xff\xfe jansen", 11));
  auto index = log->AppendAndWait(entry);
  ASSERT_TRUE(index.ok()) << index.status();
  log.reset();
  auto reader = AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  auto row = (*reader)->Entry(*index);
  ASSERT_TRUE(row.ok() && row->has_value());
  v1::AuditEntry read_back;
  ASSERT_TRUE(read_back.ParseFromString((*row)->entry_bytes));
  EXPECT_EQ(read_back.actor_id(), "dr\xEF\xBF\xBD\xEF\xBF\xBD jansen");
  EXPECT_TRUE(Verify().ok()) << Problems(Verify());
}

// writable_schema: the triggers are still listed, but edited to do nothing.
class WritableSchemaTamperTest : public testing::AuditFixture {};

TEST_F(WritableSchemaTamperTest, AnEditAfterTheTriggersWereNeutered) {
  AppendEntries(4);
  ASSERT_EQ(Tamper(path_,
                   "PRAGMA writable_schema = ON;"
                   "UPDATE sqlite_master SET sql = 'CREATE TRIGGER audit_entry_no_update "
                   "BEFORE UPDATE ON audit_entry WHEN 0 BEGIN SELECT 1; END' "
                   "WHERE name = 'audit_entry_no_update';"
                   "UPDATE sqlite_master SET sql = 'CREATE TRIGGER audit_entry_keeps_time "
                   "BEFORE UPDATE ON audit_entry WHEN 0 BEGIN SELECT 1; END' "
                   "WHERE name = 'audit_entry_keeps_time';"
                   "PRAGMA writable_schema = OFF;"),
            "");
  // A fresh connection reads the edited schema.
  ASSERT_EQ(Tamper(path_, "UPDATE audit_entry SET time_us = 42, entry = x'0801' WHERE idx = 2"),
            "");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.first_bad_index, 2u) << Problems(report);
  EXPECT_NE(Problems(report).find("trigger 'audit_entry_no_update' differs"), std::string::npos)
      << Problems(report);
  // And the gateway does not start on it.
  auto store = SqliteAuditStore::Open(path_);
  EXPECT_EQ(ErrorReason(store.status()), "AUDIT_STORE_TAMPERED");
}

}  // namespace
}  // namespace ketenpoort::audit
