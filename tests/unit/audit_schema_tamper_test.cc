// The schema is part of what every read trusts: an index, trigger or table
// the gateway did not create can hide entries from a query, divert writes
// or make retention a no-op. The gateway refuses such a store, at start
// and whenever its schema changes under a running gateway; the verifier
// names what differs.
#include <gtest/gtest.h>

#include "gateway/common/error.h"
#include "tests/support/audit_fixture.h"

namespace ketenpoort::audit {
namespace {

using testing::QueryInt;
using testing::Tamper;

class AuditSchemaTamperTest : public testing::AuditFixture {
 protected:
  void SetUp() override {
    auto log = OpenLog({.subject_index_batch = 4});
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 40; ++i) {
      v1::AuditEntry entry =
          testing::SampleEntry("partner-" + std::to_string(i % 3), i < 20 ? kOld : kRecent);
      entry.set_subject_pseudonym(i % 2 == 0 ? "a1a1a1a1a1a1a1a1a1a1" : "b2b2b2b2b2b2b2b2b2b2");
      ASSERT_TRUE(log->AppendAndWait(entry).ok());
    }
    ASSERT_TRUE(Verify().ok()) << Problems(Verify());
  }

  // The writer (as the gateway opens it at start) refuses the store.
  void ExpectWriterRefuses(const std::string& naming) {
    auto store = SqliteAuditStore::Open(path_);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(ErrorReason(store.status()), "AUDIT_STORE_TAMPERED") << store.status();
    EXPECT_NE(std::string(store.status().message()).find(naming), std::string::npos)
        << store.status();
  }

  void ExpectVerifierReports(const std::string& text) {
    VerifyReport report = Verify();
    EXPECT_FALSE(report.ok());
    EXPECT_NE(Problems(report).find(text), std::string::npos) << Problems(report);
  }

  absl::StatusOr<uint64_t> CountPartnerEntries(AuditReader& reader, const std::string& partner) {
    EntryRange range;
    range.involving_partner = partner;
    uint64_t count = 0;
    absl::StatusOr<uint64_t> scanned = reader.Scan(range, [&](const StoredEntry&) {
      ++count;
      return true;
    });
    if (!scanned.ok()) return scanned.status();
    return count;
  }

  static constexpr int64_t kOld = 1'000;
  static constexpr int64_t kCutoff = 500'000;
  static constexpr int64_t kRecent = 1'000'000;
  static constexpr int64_t kNow = 2'000'000;
};

// The attack round's W1: a partial index (it leaves out entry 4) made to
// look whole, with forged planner statistics so that queries use it.
constexpr char kPartialIndexPassedOffAsWhole[] =
    "CREATE INDEX ix_p ON audit_entry(partner_id) WHERE idx <> 4;"
    "ANALYZE;"
    "UPDATE sqlite_stat1 SET stat = '100000000 1' WHERE idx = 'ix_p';"
    "PRAGMA writable_schema = ON;"
    "UPDATE sqlite_master SET sql = 'CREATE INDEX ix_p ON audit_entry(partner_id)' "
    "WHERE name = 'ix_p';"
    "PRAGMA writable_schema = OFF;";

TEST_F(AuditSchemaTamperTest, APartialIndexPassedOffAsWholeIsRefusedAndReported) {
  ASSERT_EQ(Tamper(path_, kPartialIndexPassedOffAsWhole), "");
  ExpectWriterRefuses("index 'ix_p'");
  auto reader = AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<uint64_t> found = CountPartnerEntries(**reader, "partner-0");
  ASSERT_FALSE(found.ok()) << "a query through the forged index would miss entry 4";
  EXPECT_EQ(ErrorReason(found.status()), "AUDIT_STORE_TAMPERED");
  ExpectVerifierReports("index 'ix_p' on 'audit_entry' is not part of the audit store's schema");
  ExpectVerifierReports("table 'sqlite_stat1'");
}

TEST_F(AuditSchemaTamperTest, AnIndexAddedUnderARunningReaderStopsItsNextRead) {
  auto reader = AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  ASSERT_EQ(*CountPartnerEntries(**reader, "partner-0"), 14u);
  ASSERT_EQ(Tamper(path_, kPartialIndexPassedOffAsWhole), "");
  absl::StatusOr<uint64_t> found = CountPartnerEntries(**reader, "partner-0");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(ErrorReason(found.status()), "AUDIT_STORE_TAMPERED");
  absl::StatusOr<std::optional<StoredEntry>> entry = (*reader)->Entry(4);
  EXPECT_EQ(ErrorReason(entry.status()), "AUDIT_STORE_TAMPERED");
}

TEST_F(AuditSchemaTamperTest, ATriggerAddedUnderARunningWriterStopsItsNextCommit) {
  auto log = OpenLog({.subject_index_batch = 4});
  ASSERT_NE(log, nullptr);
  // W3: inserts into the subject index for one person vanish.
  ASSERT_EQ(Tamper(path_,
                   "CREATE TRIGGER hide_subject BEFORE INSERT ON audit_subject "
                   "BEGIN SELECT RAISE(IGNORE); END;"),
            "");
  absl::StatusOr<uint64_t> index = log->AppendAndWait(testing::SampleEntry("partner-0", kRecent));
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(ErrorReason(index.status()), "AUDIT_STORE_TAMPERED") << index.status();
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM audit_entry"), 40) << "nothing was written";
}

TEST_F(AuditSchemaTamperTest, ATableSharingAnIndexBTreeIsReported) {
  // W3's other half: a WITHOUT ROWID table aliased onto an index's pages,
  // through which a trigger could edit the index behind the table's back.
  ASSERT_EQ(Tamper(path_,
                   "CREATE INDEX sx ON audit_subject(idx);"
                   "CREATE TABLE shadow_sx(idx INTEGER NOT NULL, subject_key INTEGER NOT NULL, "
                   "PRIMARY KEY(idx, subject_key)) WITHOUT ROWID;"
                   "PRAGMA writable_schema = ON;"
                   "UPDATE sqlite_master SET rootpage = (SELECT rootpage FROM sqlite_master "
                   "WHERE name = 'sx') WHERE name = 'shadow_sx';"
                   "PRAGMA writable_schema = OFF;"),
            "");
  ExpectWriterRefuses("'sx'");
  ExpectVerifierReports("shares its b-tree");
}

TEST_F(AuditSchemaTamperTest, TriggersThatIgnoreRetentionAreRefused) {
  // W4: the signed retention entry is written, but nothing is emptied.
  ASSERT_EQ(Tamper(path_,
                   "CREATE TRIGGER keep_content BEFORE UPDATE ON audit_entry "
                   "BEGIN SELECT RAISE(IGNORE); END;"),
            "");
  ExpectWriterRefuses("trigger 'keep_content'");
  ExpectVerifierReports("trigger 'keep_content' on 'audit_entry'");
}

TEST_F(AuditSchemaTamperTest, ContentKeptInARangeRetentionRecordsAsEmptiedIsReported) {
  {
    auto log = OpenLog({.subject_index_batch = 4});
    ASSERT_EQ(*log->PruneBefore(kCutoff, kNow), 20u);
  }
  ASSERT_TRUE(Verify().ok()) << Problems(Verify());
  // As if the range 21..25 had been recorded and the UPDATE ignored.
  ASSERT_EQ(Tamper(path_,
                   "DROP TRIGGER audit_retention_no_update;"
                   "UPDATE audit_retention SET through = 25"),
            "");
  ExpectVerifierReports("entry 21 still holds its content");
}

TEST_F(AuditSchemaTamperTest, AnEmptiedEntryKeepsItsTime) {
  {
    auto log = OpenLog({.subject_index_batch = 4});
    ASSERT_EQ(*log->PruneBefore(kCutoff, kNow), 20u);
  }
  // W5's last step: backdating emptied rows so the verifier's cutoff check
  // passes. The store refuses it, as it refuses any change but emptying.
  EXPECT_NE(Tamper(path_, "UPDATE audit_entry SET time_us = 0 WHERE idx = 5"), "");
  EXPECT_EQ(QueryInt(path_, "SELECT time_us FROM audit_entry WHERE idx = 5"), kOld);
}

TEST_F(AuditSchemaTamperTest, ACoveringIndexIsRefusedBeforeRetentionCouldReadIt) {
  // W5: retention's search would read idx, leaf_hash and entry from this
  // index alone; the gateway does not start on it, and the search reads
  // the table's own b-tree in any case (NOT INDEXED).
  ASSERT_EQ(Tamper(path_, "CREATE INDEX rx ON audit_entry(idx, leaf_hash, entry)"), "");
  ExpectWriterRefuses("index 'rx'");
  ExpectVerifierReports("index 'rx'");
}

TEST_F(AuditSchemaTamperTest, AViewOrAlteredTableIsReported) {
  ASSERT_EQ(Tamper(path_, "CREATE VIEW v AS SELECT idx FROM audit_entry"), "");
  ExpectWriterRefuses("view 'v'");
  ASSERT_EQ(Tamper(path_, "DROP VIEW v; ALTER TABLE audit_entry ADD COLUMN note TEXT"), "");
  ExpectWriterRefuses("table 'audit_entry' differs");
}

// The second attack round: audit_subject re-sorted under a schema edit that
// is then undone, byte for byte, without moving the schema cookie. The rows
// read back whole in a scan, but no lookup by subject finds them.
void ResortSubjectIndex(const std::string& path) {
  ASSERT_EQ(Tamper(path,
                   "PRAGMA writable_schema = ON;"
                   "UPDATE sqlite_master SET sql = replace(sql, 'PRIMARY KEY (subject_key, idx)', "
                   "'PRIMARY KEY (subject_key DESC, idx DESC)') WHERE name = 'audit_subject';"),
            "");
  ASSERT_EQ(Tamper(path,
                   "CREATE TEMP TABLE t AS SELECT subject_key, idx FROM audit_subject;"
                   "DELETE FROM audit_subject;"
                   "INSERT INTO audit_subject SELECT subject_key, idx FROM t;"),
            "");
  ASSERT_EQ(Tamper(path,
                   "PRAGMA writable_schema = ON;"
                   "UPDATE sqlite_master SET sql = replace(sql, "
                   "'PRIMARY KEY (subject_key DESC, idx DESC)', 'PRIMARY KEY (subject_key, idx)') "
                   "WHERE name = 'audit_subject';"),
            "");
}

TEST_F(AuditSchemaTamperTest, ASubjectIndexOutOfKeyOrderIsReported) {
  ResortSubjectIndex(path_);
  ExpectVerifierReports("SQLite integrity_check");
}

TEST_F(AuditSchemaTamperTest, RetentionRefusesASubjectIndexItCannotEmpty) {
  ResortSubjectIndex(path_);
  auto log = OpenLog({.subject_index_batch = 4});
  ASSERT_NE(log, nullptr);
  absl::StatusOr<uint64_t> pruned = log->PruneBefore(kCutoff, kNow);
  ASSERT_FALSE(pruned.ok());
  EXPECT_EQ(ErrorReason(pruned.status()), "AUDIT_STORE_TAMPERED") << pruned.status();
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM audit_entry WHERE entry IS NULL"), 0);
}

TEST_F(AuditSchemaTamperTest, ADroppedTriggerIsPutBackByTheGateway) {
  // Not a way to hide anything, so not a problem: the writer recreates it.
  ASSERT_EQ(Tamper(path_, "DROP TRIGGER audit_entry_no_delete"), "");
  EXPECT_TRUE(Verify().ok()) << Problems(Verify());
  ASSERT_NE(OpenLog(), nullptr);
  EXPECT_EQ(QueryInt(path_,
                     "SELECT count(*) FROM sqlite_master WHERE name = "
                     "'audit_entry_no_delete'"),
            1);
  EXPECT_NE(Tamper(path_, "DELETE FROM audit_entry WHERE idx = 1"), "");
}

}  // namespace
}  // namespace ketenpoort::audit
