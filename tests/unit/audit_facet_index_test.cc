// The facet index (decision 0027): every Query filter is served by an
// index, and what the index finds is exactly what a full scan finds.
// Checked against a brute-force filter over random logs, across the
// watermark and through retention, and held to the entries by the
// verifier when edited.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <random>
#include <set>

#include "gateway/audit/audit_reader.h"
#include "gateway/audit/entry_facets.h"
#include "tests/support/audit_fixture.h"

namespace ketenpoort::testing {
namespace {

using audit::EntryRange;
using audit::Facet;
using audit::FacetKey;
using audit::StoredEntry;

const std::vector<std::string> kPartners = {"gemeente-utrecht",  "gca", "coa", "ggd-utrecht",
                                            "huisarts-de-linde", ""};
const std::vector<std::string> kReasons = {"", "NO_RULE", "NO_CONSENT", "NOT_LINKED"};
const std::vector<std::string> kRecordTypes = {"", "gca.MedicalDossier", "coa.NoaAssessment"};

class AuditFacetIndexTest : public AuditFixture {
 protected:
  // A random log: times out of order, several values of every filter, in
  // commits of random size.
  void BuildLog(int count, uint64_t batch, uint32_t seed, int max_commit = 40) {
    std::mt19937 random(seed);
    auto log = OpenLog({.subject_index_batch = batch, .retention_step = 512});
    ASSERT_NE(log, nullptr);
    int made = 0;
    while (made < count) {
      const int commit = std::min<int>(count - made, 1 + static_cast<int>(random() % max_commit));
      std::vector<v1::AuditEntry> entries;
      for (int i = 0; i < commit; ++i, ++made) {
        v1::AuditEntry entry;
        entry.set_kind(v1::AuditEntry::ACCESS);
        entry.set_time_unix_micros(1'000'000 + made * 10 + static_cast<int64_t>(random() % 200));
        entry.set_partner_id(kPartners[random() % kPartners.size()]);
        entry.set_source_partner_id(kPartners[random() % kPartners.size()]);
        entry.set_purpose(static_cast<v1::Purpose>(1 + random() % 4));
        entry.set_decision(static_cast<v1::AuditEntry::Decision>(1 + random() % 3));
        entry.set_reason(kReasons[random() % kReasons.size()]);
        entry.set_record_type(kRecordTypes[random() % kRecordTypes.size()]);
        entry.set_review_required(random() % 10 == 0);
        entry.set_subject_pseudonym(std::string(15, '0') + std::to_string(random() % 5) +
                                    std::string(48, 'a'));
        entries_.push_back(entry);
        entries.push_back(entry);
      }
      std::promise<absl::Status> done;
      log->AppendAll(std::move(entries),
                     [&done](absl::StatusOr<uint64_t> index) { done.set_value(index.status()); });
      ASSERT_TRUE(done.get_future().get().ok());
    }
  }

  struct Filter {
    std::optional<std::string> partner;  // involving
    std::optional<int> purpose;
    std::optional<int> decision;
    std::optional<std::string> reason;
    bool review = false;
    std::optional<int64_t> from, until;
    std::vector<int64_t> subject_keys;  // any of: one person's pseudonyms
  };

  bool Matches(const Filter& filter, const v1::AuditEntry& entry) const {
    if (filter.partner && entry.partner_id() != *filter.partner &&
        entry.source_partner_id() != *filter.partner) {
      return false;
    }
    if (filter.purpose && entry.purpose() != *filter.purpose) return false;
    if (filter.decision && entry.decision() != *filter.decision) return false;
    if (filter.reason && entry.reason() != *filter.reason) return false;
    if (filter.review && !entry.review_required()) return false;
    if (filter.from && entry.time_unix_micros() < *filter.from) return false;
    if (filter.until && entry.time_unix_micros() >= *filter.until) return false;
    if (!filter.subject_keys.empty() &&
        std::find(filter.subject_keys.begin(), filter.subject_keys.end(),
                  audit::SubjectKey(entry.subject_pseudonym())) == filter.subject_keys.end()) {
      return false;
    }
    return true;
  }

  Filter RandomFilter(std::mt19937& random) const {
    Filter filter;
    if (random() % 2) filter.partner = kPartners[random() % (kPartners.size() - 1)];
    if (random() % 3 == 0) filter.purpose = static_cast<int>(1 + random() % 4);
    if (random() % 3 == 0) filter.decision = static_cast<int>(1 + random() % 3);
    if (random() % 4 == 0) filter.reason = kReasons[1 + random() % (kReasons.size() - 1)];
    filter.review = random() % 5 == 0;
    if (random() % 2) {
      filter.from = 1'000'000 + static_cast<int64_t>(random() % (entries_.size() * 10));
    }
    if (random() % 2) {
      filter.until =
          filter.from.value_or(1'000'000) + static_cast<int64_t>(random() % (entries_.size() * 5));
    }
    // One subject, or two as for a person known by a V-nummer and a BSN.
    for (int n = random() % 4 == 0 ? 1 + static_cast<int>(random() % 2) : 0; n > 0; --n) {
      filter.subject_keys.push_back(
          *audit::SubjectKey(entries_[random() % entries_.size()].subject_pseudonym()));
    }
    return filter;
  }

  // What the reader finds for `filter`, in pages of `max_rows` reads.
  std::vector<uint64_t> Found(audit::AuditReader& reader, const Filter& filter, uint64_t max_rows) {
    std::vector<uint64_t> found;
    uint64_t after = 0;
    for (int call = 0; call < 100'000 && after < entries_.size(); ++call) {
      EntryRange range;
      range.after_index = after;
      range.max_rows = max_rows;
      range.involving_partner = filter.partner;
      range.from_unix_micros = filter.from;
      range.until_unix_micros = filter.until;
      range.subject_keys = filter.subject_keys;
      if (filter.purpose) range.facets.push_back(FacetKey(Facet::kPurpose, *filter.purpose));
      if (filter.decision) range.facets.push_back(FacetKey(Facet::kDecision, *filter.decision));
      if (filter.reason) range.facets.push_back(FacetKey(Facet::kReason, *filter.reason));
      if (filter.review) range.facets.push_back(FacetKey(Facet::kReviewRequired, 1));
      v1::AuditEntry entry;
      auto covered = reader.Scan(range, [&](const StoredEntry& row) {
        EXPECT_TRUE(entry.ParseFromString(row.entry_bytes));
        // The scan may offer more than matches (the unindexed tail); the
        // caller decides, as AuditService does.
        if (Matches(filter, entry)) found.push_back(row.index);
        return true;
      });
      EXPECT_TRUE(covered.ok()) << covered.status();
      if (!covered.ok() || *covered <= after) {
        ADD_FAILURE() << "no progress after " << after;
        break;
      }
      after = *covered;
    }
    return found;
  }

  std::vector<uint64_t> Expected(const Filter& filter) const {
    std::vector<uint64_t> expected;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (Matches(filter, entries_[i])) expected.push_back(i + 1);
    }
    return expected;
  }

  std::vector<v1::AuditEntry> entries_;  // entry i + 1
};

TEST_F(AuditFacetIndexTest, EveryFilterFindsWhatAFullScanFinds) {
  ASSERT_NO_FATAL_FAILURE(BuildLog(3000, 64, 7));
  // The last entries are after the watermark: the tail is read in order.
  EXPECT_GT(static_cast<int64_t>(entries_.size()),
            QueryInt(path_, "SELECT max(through) FROM audit_facet_block"));
  auto reader = audit::AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  std::mt19937 random(99);
  for (int round = 0; round < 300; ++round) {
    const Filter filter = RandomFilter(random);
    const uint64_t budget = round % 3 == 0 ? 1 + random() % 50 : UINT64_MAX;
    ASSERT_EQ(Found(**reader, filter, budget), Expected(filter)) << "round " << round;
  }
  EXPECT_TRUE(Verify().ok()) << Problems(Verify());
}

TEST_F(AuditFacetIndexTest, AnIndexedQueryReadsItsPostingsNotTheLog) {
  ASSERT_NO_FATAL_FAILURE(BuildLog(4000, 64, 3));
  auto reader = audit::AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  // Review-required and one reason: about 1 in 40 entries, so a page of
  // ten reads a few hundred rows, where a scan would read thousands.
  EntryRange range;
  range.facets = {FacetKey(Facet::kReviewRequired, 1), FacetKey(Facet::kReason, "NO_RULE")};
  range.max_rows = 400;
  int visited = 0;
  auto covered = (*reader)->Scan(range, [&](const StoredEntry&) { return ++visited < 10; });
  ASSERT_TRUE(covered.ok());
  EXPECT_EQ(visited, 10);
}

TEST_F(AuditFacetIndexTest, TheVerifierHoldsTheIndexToTheEntries) {
  ASSERT_NO_FATAL_FAILURE(BuildLog(600, 64, 5));
  ASSERT_TRUE(Verify().ok()) << Problems(Verify());
  const std::string pristine = dir_.File("pristine.db");
  ASSERT_EQ(Tamper(path_, "VACUUM INTO '" + pristine + "'"), "");
  struct Edit {
    const char* sql;
    const char* reported;
  };
  const Edit edits[] = {
      // A row removed hides the entry from queries by that value.
      {"DELETE FROM audit_facet WHERE (facet, idx) IN (SELECT facet, idx FROM audit_facet LIMIT 1)",
       "the facet index does not list exactly"},
      {"DELETE FROM audit_facet WHERE idx = 17", "the facet index does not list exactly"},
      // Moved to another entry, or to another value: same count, other rows.
      {"UPDATE OR IGNORE audit_facet SET idx = idx + 1 WHERE idx = 40",
       "the facet index does not list"},
      {"UPDATE audit_facet SET facet = facet + 1 WHERE idx = 41", "the facet index does not list"},
      {"UPDATE audit_facet SET idx = idx || '.5' WHERE idx = 42", "the facet index does not list"},
      {"INSERT INTO audit_facet VALUES (12345, 50)", "the facet index does not list"},
      // A time block too narrow hides its entries from time-bounded queries.
      {"DROP TRIGGER audit_facet_block_no_update; UPDATE audit_facet_block SET min_time_us = "
       "min_time_us + 500 WHERE first = 1",
       "outside the facet index's time block"},
      {"DROP TRIGGER audit_facet_block_no_delete; DELETE FROM audit_facet_block WHERE first = 1",
       "do not tile the log"},
  };
  for (const Edit& edit : edits) {
    SCOPED_TRACE(edit.sql);
    std::filesystem::copy_file(pristine, path_, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove(path_ + "-wal");
    std::filesystem::remove(path_ + "-shm");
    ASSERT_EQ(Tamper(path_, edit.sql), "");
    const audit::VerifyReport report = Verify();
    EXPECT_FALSE(report.ok());
    EXPECT_NE(Problems(report).find(edit.reported), std::string::npos) << Problems(report);
  }
}

TEST_F(AuditFacetIndexTest, ACallOutOfBudgetNamesOnlyAnEntryInTheCallersScope) {
  // Utrecht's entries are all permitted, everyone else's denied: an
  // officer of Utrecht asking for denials walks two lists that never meet.
  {
    auto log = OpenLog({.subject_index_batch = 64, .retention_step = 512});
    ASSERT_NE(log, nullptr);
    std::vector<v1::AuditEntry> entries;
    for (int i = 0; i < 2000; ++i) {
      const bool utrecht = i % 3 == 0;
      v1::AuditEntry entry = SampleEntry(utrecht ? "gemeente-utrecht" : "coa", 1'000 + i);
      entry.set_decision(utrecht ? v1::AuditEntry::PERMIT : v1::AuditEntry::DENY);
      entries_.push_back(entry);
      entries.push_back(entry);
    }
    std::promise<absl::Status> done;
    log->AppendAll(std::move(entries),
                   [&done](absl::StatusOr<uint64_t> index) { done.set_value(index.status()); });
    ASSERT_TRUE(done.get_future().get().ok());
  }
  auto reader = audit::AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  const uint64_t indexed =
      static_cast<uint64_t>(QueryInt(path_, "SELECT max(through) FROM audit_facet_block"));
  std::vector<uint64_t> own;  // Utrecht's entries, as the officer can list them
  for (uint64_t i = 1; i <= indexed; ++i) {
    if (entries_[i - 1].partner_id() == "gemeente-utrecht") own.push_back(i);
  }
  uint64_t after = 0;
  size_t calls = 0;
  while (after < indexed && calls++ < 1000) {
    EntryRange range;
    range.after_index = after;
    range.involving_partner = "gemeente-utrecht";
    range.facets = {FacetKey(Facet::kDecision, v1::AuditEntry::DENY)};
    range.max_rows = 16;  // two of the caller's own entries a call
    auto covered = (*reader)->Scan(range, [](const StoredEntry&) {
      ADD_FAILURE() << "no entry is both";
      return true;
    });
    ASSERT_TRUE(covered.ok());
    ASSERT_GT(*covered, after);
    // Where a call stops (the page token) is every second entry of the
    // officer's own: fixed by what the officer may see, whatever the
    // other organisations' entries hold.
    if (*covered < indexed && 2 * calls <= own.size()) {
      EXPECT_EQ(*covered, own[2 * calls - 1]) << "call " << calls;
    }
    after = *covered;
  }
  EXPECT_GT(calls, 10u) << "each call covers a bounded stretch";
}

TEST_F(AuditFacetIndexTest, EmptiedOrHeldBackIndexesAreReportedAndReadsStayBounded) {
  ASSERT_NO_FATAL_FAILURE(BuildLog(70'000, 1024, 17, 4096));
  ASSERT_TRUE(Verify().ok()) << Problems(Verify());
  // Emptied indexes hold no wrong rows; they only cover nothing.
  ASSERT_EQ(Tamper(path_,
                   "DROP TRIGGER audit_facet_block_no_delete; DELETE FROM audit_facet_block; "
                   "DELETE FROM audit_facet; DELETE FROM audit_subject; "
                   "DELETE FROM audit_subject_indexed"),
            "");
  const audit::VerifyReport report = Verify();
  EXPECT_NE(Problems(report).find("the facet index covers entries through 0 of 70000"),
            std::string::npos)
      << Problems(report);
  EXPECT_NE(Problems(report).find("the subject index covers entries through 0"), std::string::npos);
  // Every read is still bounded: the entries are read in order, each one
  // counted, matching or not.
  auto reader = audit::AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  EntryRange range;
  range.involving_partner = "huisarts-de-linde";
  range.subject_keys = {*audit::SubjectKey(std::string(15, '0') + "9" + std::string(48, 'a'))};
  range.max_rows = 500;
  auto covered = (*reader)->Scan(range, [](const StoredEntry&) { return true; });
  ASSERT_TRUE(covered.ok());
  EXPECT_LE(*covered, 500u);
  // A gateway opening the store rebuilds both, a chunk at a time.
  { ASSERT_NE(OpenLog(), nullptr); }
  EXPECT_TRUE(Verify().ok()) << Problems(Verify());
}

TEST_F(AuditFacetIndexTest, RetentionRemovesTheRowsOfEmptiedEntries) {
  ASSERT_NO_FATAL_FAILURE(BuildLog(1500, 64, 11));
  {
    auto log = OpenLog({.subject_index_batch = 64, .retention_step = 100});
    ASSERT_NE(log, nullptr);
    auto pruned = log->PruneBefore(1'000'000 + 700 * 10, 9'000'000, std::stop_token());
    ASSERT_TRUE(pruned.ok()) << pruned.status();
    ASSERT_GT(*pruned, 500u);
  }
  const int64_t emptied = QueryInt(path_, "SELECT max(through) FROM audit_retention");
  EXPECT_EQ(
      QueryInt(path_, "SELECT count(*) FROM audit_facet WHERE idx <= " + std::to_string(emptied)),
      0);
  EXPECT_GT(QueryInt(path_, "SELECT count(*) FROM audit_facet"), 0);
  EXPECT_TRUE(Verify().ok()) << Problems(Verify());
  // A scan starts after what retention emptied, however small its budget.
  auto reader = audit::AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  EntryRange range;
  range.max_rows = 5;
  std::vector<uint64_t> visited;
  auto covered = (*reader)->Scan(range, [&](const StoredEntry& entry) {
    visited.push_back(entry.index);
    return true;
  });
  ASSERT_TRUE(covered.ok());
  ASSERT_FALSE(visited.empty());
  EXPECT_EQ(visited.front(), static_cast<uint64_t>(emptied) + 1);
}

TEST_F(AuditFacetIndexTest, AStoreWithoutTheIndexGetsItWhenTheGatewayOpensIt) {
  ASSERT_NO_FATAL_FAILURE(BuildLog(2500, 1024, 13));
  // As a store written before the facet index.
  ASSERT_EQ(Tamper(path_,
                   "DROP TABLE audit_facet; DROP TRIGGER audit_facet_block_no_update; "
                   "DROP TRIGGER audit_facet_block_no_delete; DROP TABLE audit_facet_block"),
            "");
  { ASSERT_NE(OpenLog(), nullptr); }
  EXPECT_EQ(QueryInt(path_, "SELECT max(through) FROM audit_facet_block"), 2500);
  EXPECT_TRUE(Verify().ok()) << Problems(Verify());
  auto reader = audit::AuditReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  Filter filter;
  filter.partner = "coa";
  filter.decision = 2;
  EXPECT_EQ(Found(**reader, filter, UINT64_MAX), Expected(filter));
}

}  // namespace
}  // namespace ketenpoort::testing
