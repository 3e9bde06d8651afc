#include "gateway/audit/audit_reader.h"

#include <sqlite3.h>

#include <algorithm>

#include "gateway/audit/audit_rows.h"
#include "gateway/audit/audit_schema.h"
#include "gateway/audit/entry_facets.h"
#include "gateway/audit/posting_cursor.h"
#include "gateway/audit/tree_proofs.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {
namespace {

// The reads one entry of a scoped caller's own list may cost (itself, a
// seek in each other list, its entry): how many own entries a call covers.
constexpr uint64_t kReadsPerScopeEntry = 8;

}  // namespace

absl::StatusOr<std::unique_ptr<AuditReader>> AuditReader::Open(const std::string& path,
                                                               ReadPattern pattern) {
  // Mapping the file saves a copy per page when the whole log is read once;
  // a gateway reading for hours would keep every page it touched.
  constexpr int64_t kMapUpTo = int64_t{64} << 30;
  ASSIGN_OR_RETURN(auto db, store::SqliteDatabase::Open(
                                {.name = "audit store",
                                 .path = path,
                                 .schema = "",
                                 .read_only = true,
                                 .error_reason = "AUDIT_STORE_UNAVAILABLE",
                                 .busy_timeout_ms = 1000,
                                 .mmap_bytes = pattern == ReadPattern::kWholeLog ? kMapUpTo : 0}));
  std::unique_ptr<AuditReader> reader(new AuditReader(std::move(db)));
  auto prepare = [&reader, &path](std::string_view sql, store::Statement* out) -> absl::Status {
    auto statement = reader->db_->Prepare(sql);
    if (!statement.ok()) {
      return MakeError(
          absl::StatusCode::kFailedPrecondition, "NOT_AN_AUDIT_STORE",
          path + " is not a Ketenpoort audit store: " + std::string(statement.status().message()));
    }
    *out = std::move(*statement);
    return absl::OkStatus();
  };
  if (absl::Status prepared = reader->nodes_.Prepare(*reader->db_); !prepared.ok()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "NOT_AN_AUDIT_STORE",
                     path + " is not a Ketenpoort audit store: " + std::string(prepared.message()));
  }
  RETURN_IF_ERROR(
      prepare(std::string("SELECT ") + kEntryColumns + " FROM audit_entry WHERE idx = ?1",
              &reader->select_entry_));
  store::Statement find_index;
  RETURN_IF_ERROR(
      prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
              "name = 'audit_subject_indexed'",
              &find_index));
  reader->has_subject_index_ = find_index.Step() == SQLITE_ROW;
  // Stores written before the facet index have neither table; the verifier
  // reports that (the schema differs) and holds what there is.
  store::Statement find_facets;
  RETURN_IF_ERROR(
      prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
              "name IN ('audit_facet', 'audit_facet_block')",
              &find_facets));
  reader->has_facet_index_ = find_facets.Step() == SQLITE_ROW && find_facets.ColumnInt64(0) == 2;
  return reader;
}

absl::StatusOr<uint64_t> AuditReader::Size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return ReadSize(*db_);
}

absl::StatusOr<std::optional<StoredCheckpoint>> AuditReader::LatestCheckpoint() {
  std::lock_guard<std::mutex> lock(mutex_);
  return ReadHead(*db_);
}

absl::StatusOr<merkle::Hash> AuditReader::Node(uint32_t level, uint64_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  return nodes_.Lookup(level, index);
}

template <typename Work>
auto AuditReader::InReadTransaction(Work work) -> decltype(work()) {
  std::lock_guard<std::mutex> lock(mutex_);
  RETURN_IF_ERROR(db_->Exec("BEGIN"));
  if (absl::Status schema = schema_.Check(); !schema.ok()) {
    db_->Exec("COMMIT").IgnoreError();
    return schema;
  }
  auto result = work();
  db_->Exec("COMMIT").IgnoreError();  // a read transaction has nothing to lose
  return result;
}

absl::StatusOr<std::vector<merkle::Hash>> AuditReader::InclusionProof(uint64_t leaf_index,
                                                                      uint64_t size) {
  return InReadTransaction([&] {
    return StoredInclusionProof(leaf_index, size, [this](uint32_t level, uint64_t index) {
      return nodes_.Lookup(level, index);
    });
  });
}

absl::StatusOr<std::vector<merkle::Hash>> AuditReader::ConsistencyProof(uint64_t old_size,
                                                                        uint64_t new_size) {
  return InReadTransaction([&] {
    return StoredConsistencyProof(old_size, new_size, [this](uint32_t level, uint64_t index) {
      return nodes_.Lookup(level, index);
    });
  });
}

absl::StatusOr<std::optional<StoredEntry>> AuditReader::Entry(uint64_t index) {
  return InReadTransaction([&]() -> absl::StatusOr<std::optional<StoredEntry>> {
    select_entry_.Reset();
    select_entry_.BindInt64(1, static_cast<int64_t>(index));
    const int rc = select_entry_.Step();
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) return db_->Error("read entry");
    StoredEntry entry = EntryFromRow(select_entry_);
    select_entry_.Reset();
    return entry;
  });
}

// One scan's progress: what it reads, how much it has read, how far it got.
struct AuditReader::ScanState {
  const EntryRange& range;
  const std::function<bool(const StoredEntry&)>& visit;
  uint64_t reads = 0;
  uint64_t covered = 0;  // every entry up to here is visited or does not match
  bool stopped = false;  // `visit` said stop, or the budget ran out
  // A scoped scan bounds its posting work by the caller's own entries
  // instead of by reads (see Scan), so the point where it stops depends on
  // nothing the caller may not see.
  bool postings_unbudgeted = false;

  bool InTime(int64_t time) const {
    return (!range.from_unix_micros || time >= *range.from_unix_micros) &&
           (!range.until_unix_micros || time < *range.until_unix_micros);
  }
  // Never before the scan got somewhere: each call must move its caller on.
  bool OverBudget() {
    if (reads >= range.max_rows && covered > range.after_index) stopped = true;
    return stopped;
  }
  void Visit(const StoredEntry& entry) {
    covered = entry.index;
    if (!visit(entry)) stopped = true;
  }
};

absl::StatusOr<std::optional<uint64_t>> AuditReader::NthPosting(int64_t facet, uint64_t first,
                                                                uint64_t last, uint64_t n) {
  ASSIGN_OR_RETURN(store::Statement stmt,
                   db_->Prepare("SELECT idx FROM audit_facet WHERE facet = ?1 AND idx >= ?2 AND "
                                "idx <= ?3 ORDER BY idx LIMIT 1 OFFSET ?4"));
  stmt.BindInt64(1, facet);
  stmt.BindInt64(2, static_cast<int64_t>(first));
  stmt.BindInt64(3, static_cast<int64_t>(last));
  stmt.BindInt64(4, static_cast<int64_t>(n - 1));
  const int rc = stmt.Step();
  if (rc == SQLITE_ROW) return std::optional<uint64_t>(stmt.ColumnInt64(0));
  if (rc != SQLITE_DONE) return db_->Error("read posting list");
  return std::optional<uint64_t>();
}

absl::StatusOr<uint64_t> AuditReader::Watermark(std::string_view sql) {
  ASSIGN_OR_RETURN(store::Statement stmt, db_->Prepare(sql));
  if (stmt.Step() != SQLITE_ROW) return db_->Error("read index watermark");
  return static_cast<uint64_t>(stmt.ColumnInt64(0));
}

absl::Status AuditReader::ScanRows(ScanState& state, uint64_t first, uint64_t last, bool tail) {
  const EntryRange& range = state.range;
  // Every row read counts against the budget, matching or not: a condition
  // left to SQLite would let one call step over millions of emptied or
  // out-of-range rows. A stop then names a position, which says nothing
  // about whose entry is there (every position holds one).
  ASSIGN_OR_RETURN(store::Statement stmt,
                   db_->Prepare(std::string("SELECT ") + kEntryColumns +
                                " FROM audit_entry WHERE idx >= ?1 AND idx <= ?2 ORDER BY idx"));
  stmt.BindInt64(1, static_cast<int64_t>(first));
  stmt.BindInt64(2, static_cast<int64_t>(std::min<uint64_t>(last, INT64_MAX)));
  int rc = SQLITE_DONE;
  while (!state.OverBudget() && (rc = stmt.Step()) == SQLITE_ROW) {
    ++state.reads;
    StoredEntry entry = EntryFromRow(stmt);
    // Only the tail has unindexed rows for the subject and the partner;
    // elsewhere a posting list already chose the rows.
    const bool matches =
        !entry.pruned && state.InTime(entry.time_unix_micros) &&
        (!tail || range.subject_keys.empty() ||
         (entry.subject_key && std::find(range.subject_keys.begin(), range.subject_keys.end(),
                                         *entry.subject_key) != range.subject_keys.end())) &&
        (!tail || !range.involving_partner || entry.partner_id == *range.involving_partner ||
         entry.source_partner_id == *range.involving_partner);
    if (matches) {
      state.Visit(entry);
    } else {
      state.covered = entry.index;
    }
  }
  if (state.stopped) return absl::OkStatus();
  if (rc != SQLITE_DONE) return db_->Error("scan");
  state.covered = last;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PostingIntersection>> AuditReader::OpenPostings(
    const EntryRange& range, const std::vector<int64_t>& facets, uint64_t last) {
  std::vector<PostingCursor> lists;
  auto add = [&](std::string_view table, std::string_view column, int64_t key) -> absl::Status {
    ASSIGN_OR_RETURN(PostingCursor list, PostingCursor::Open(*db_, table, column, key, last));
    lists.push_back(std::move(list));
    return absl::OkStatus();
  };
  // The caller's scope leads: a call that runs out of budget answers with
  // a position from the first list (see PostingIntersection::Next), so it
  // names only an entry the caller may see.
  std::optional<int64_t> scope;
  if (range.involving_partner) {
    scope = FacetKey(Facet::kInvolves, *range.involving_partner);
    RETURN_IF_ERROR(add("audit_facet", "facet", *scope));
  }
  if (!range.subject_keys.empty()) {
    ASSIGN_OR_RETURN(
        PostingCursor list,
        PostingCursor::OpenAny(*db_, "audit_subject", "subject_key", range.subject_keys, last));
    lists.push_back(std::move(list));
  }
  for (const int64_t facet : facets) {
    if (facet != scope) RETURN_IF_ERROR(add("audit_facet", "facet", facet));
  }
  return std::make_unique<PostingIntersection>(std::move(lists));
}

absl::Status AuditReader::ScanPostings(ScanState& state, PostingIntersection& common,
                                       uint64_t first, uint64_t last) {
  uint64_t at = first;
  uint64_t unbudgeted_reads = 0;
  uint64_t& reads = state.postings_unbudgeted ? unbudgeted_reads : state.reads;
  const uint64_t max_reads = state.postings_unbudgeted ? UINT64_MAX : state.range.max_rows;
  while (state.postings_unbudgeted || !state.OverBudget()) {
    ASSIGN_OR_RETURN(const PostingIntersection::Step step,
                     common.Next(at, last, &reads, max_reads));
    if (step.outcome == PostingIntersection::Step::kNone) {
      state.covered = last;
      return absl::OkStatus();
    }
    if (step.outcome == PostingIntersection::Step::kOutOfBudget) {
      state.covered = step.index - 1;
      state.stopped = true;
      return absl::OkStatus();
    }
    const uint64_t index = step.index;
    select_entry_.Reset();
    select_entry_.BindInt64(1, static_cast<int64_t>(index));
    ++reads;
    const int rc = select_entry_.Step();
    if (rc == SQLITE_ROW) {
      StoredEntry entry = EntryFromRow(select_entry_);
      select_entry_.Reset();
      if (!entry.pruned && state.InTime(entry.time_unix_micros)) {
        state.Visit(entry);
        if (state.stopped) return absl::OkStatus();
      }
    } else if (rc != SQLITE_DONE) {
      return db_->Error("scan");
    }
    select_entry_.Reset();
    state.covered = index;
    at = index + 1;
  }
  return absl::OkStatus();
}

absl::Status AuditReader::ScanIndexed(ScanState& state, PostingIntersection* common, uint64_t first,
                                      uint64_t last) {
  auto scan = [&](uint64_t from, uint64_t to) {
    return common != nullptr ? ScanPostings(state, *common, from, to)
                             : ScanRows(state, from, to, /*tail=*/false);
  };
  const EntryRange& range = state.range;
  if (!range.from_unix_micros && !range.until_unix_micros) return scan(first, last);
  // The time blocks in entry order, each read counted: only the entries
  // of blocks that overlap the time range are read.
  ASSIGN_OR_RETURN(store::Statement blocks,
                   db_->Prepare("SELECT first, through, min_time_us, max_time_us "
                                "FROM audit_facet_block WHERE through >= ?1 ORDER BY through"));
  blocks.BindInt64(1, static_cast<int64_t>(first));
  const int64_t from_time = range.from_unix_micros.value_or(INT64_MIN);
  const int64_t until_time = range.until_unix_micros.value_or(INT64_MAX);
  int rc = SQLITE_DONE;
  while (!state.OverBudget() && (rc = blocks.Step()) == SQLITE_ROW) {
    ++state.reads;
    const uint64_t block_first = std::max(first, static_cast<uint64_t>(blocks.ColumnInt64(0)));
    const uint64_t block_last = std::min(last, static_cast<uint64_t>(blocks.ColumnInt64(1)));
    if (block_first > block_last) break;
    if (blocks.ColumnInt64(3) >= from_time && blocks.ColumnInt64(2) < until_time) {
      RETURN_IF_ERROR(scan(block_first, block_last));
      if (state.stopped) return absl::OkStatus();
    }
    state.covered = block_last;
    if (block_last == last) return absl::OkStatus();
  }
  if (state.stopped) return absl::OkStatus();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db_->Error("read time blocks");
  state.covered = last;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> AuditReader::Scan(const EntryRange& range,
                                           const std::function<bool(const StoredEntry&)>& visit) {
  return InReadTransaction([&]() -> absl::StatusOr<uint64_t> {
    ASSIGN_OR_RETURN(const uint64_t size, ReadSize(*db_));
    const uint64_t through = std::min(range.through_index, size);
    if (through <= range.after_index) return range.after_index;
    // Emptied entries hold nothing to find; the verifier holds the
    // retention rows to the entries, so skipping them hides nothing.
    ASSIGN_OR_RETURN(const uint64_t emptied,
                     Watermark("SELECT coalesce(max(through), 0) FROM audit_retention"));
    ScanState state{.range = range,
                    .visit = visit,
                    .covered = std::max(range.after_index, std::min(emptied, through))};
    std::vector<int64_t> facets = range.facets;
    std::sort(facets.begin(), facets.end());
    facets.erase(std::unique(facets.begin(), facets.end()), facets.end());
    // How far the indexes this scan uses reach.
    ASSIGN_OR_RETURN(uint64_t indexed,
                     has_facet_index_
                         ? Watermark("SELECT coalesce(max(through), 0) FROM audit_facet_block")
                         : absl::StatusOr<uint64_t>(0));
    if (!range.subject_keys.empty()) {
      ASSIGN_OR_RETURN(
          const uint64_t subjects,
          has_subject_index_
              ? Watermark("SELECT coalesce(max(through), 0) FROM audit_subject_indexed")
              : absl::StatusOr<uint64_t>(0));
      indexed = std::min(indexed, subjects);
    }
    indexed = std::min(indexed, through);
    if (indexed > state.covered) {
      std::unique_ptr<PostingIntersection> common;
      if (!range.subject_keys.empty() || range.involving_partner || !facets.empty()) {
        ASSIGN_OR_RETURN(common, OpenPostings(range, facets, indexed));
      }
      // A caller confined to one organisation: a stop named by the reads
      // spent would depend on the other lists, that is on other
      // organisations' entries. So the call covers a fixed number of the
      // caller's own entries, whatever the other lists hold; its work is
      // bounded by them (each step of the scope list costs each other list
      // at most a seek).
      uint64_t last = indexed;
      if (common && range.involving_partner) {
        ASSIGN_OR_RETURN(
            const std::optional<uint64_t> stop,
            NthPosting(FacetKey(Facet::kInvolves, *range.involving_partner), state.covered + 1,
                       indexed, std::max<uint64_t>(1, range.max_rows / kReadsPerScopeEntry)));
        if (stop) last = *stop;
        state.postings_unbudgeted = true;
      }
      RETURN_IF_ERROR(ScanIndexed(state, common.get(), state.covered + 1, last));
      state.postings_unbudgeted = false;
      if (state.stopped) return state.covered;
      if (last < indexed) return last;
    }
    // The tail has a budget of its own, so where it stops depends only on
    // where it starts.
    state.reads = 0;
    if (through > state.covered) {
      RETURN_IF_ERROR(ScanRows(state, state.covered + 1, through, /*tail=*/true));
    }
    return state.covered;
  });
}

absl::Status AuditReader::BeginRead() {
  std::lock_guard<std::mutex> lock(mutex_);
  return db_->Exec("BEGIN");
}

void AuditReader::EndRead() {
  std::lock_guard<std::mutex> lock(mutex_);
  db_->Exec("COMMIT").IgnoreError();
}

absl::Status AuditReader::ScanAll(const std::function<bool(const RawRow&)>& visit) {
  ASSIGN_OR_RETURN(store::Statement stmt, db_->Prepare(std::string("SELECT ") + kEntryColumns +
                                                       " FROM audit_entry ORDER BY idx"));
  int rc;
  RawRow row;
  auto optional_text = [&stmt](int column) -> std::optional<std::string_view> {
    if (stmt.ColumnIsNull(column)) return std::nullopt;
    return stmt.ColumnBlob(column);
  };
  // The storage class each column must have: idx, leaf_hash, entry,
  // time_us, partner_id, source_partner_id, subject_key.
  struct Expected {
    int type;
    bool nullable;
    const char* mistyped;
  };
  static constexpr Expected kTypes[] = {
      {SQLITE_INTEGER, false, "idx is not stored as an integer"},
      {SQLITE_BLOB, false, "leaf_hash is not stored as a blob"},
      {SQLITE_BLOB, true, "entry is not stored as a blob"},
      {SQLITE_INTEGER, false, "time_us is not stored as an integer"},
      {SQLITE_TEXT, true, "partner_id is not stored as text"},
      {SQLITE_TEXT, true, "source_partner_id is not stored as text"},
      {SQLITE_INTEGER, true, "subject_key is not stored as an integer"},
  };
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    row.mistyped = nullptr;
    for (int column = 0; column < 7 && row.mistyped == nullptr; ++column) {
      const int type = stmt.ColumnType(column);
      const Expected& expected = kTypes[column];
      if (type != expected.type && !(expected.nullable && type == SQLITE_NULL)) {
        row.mistyped = expected.mistyped;
      }
    }
    row.index = static_cast<uint64_t>(stmt.ColumnInt64(0));
    row.leaf_hash = stmt.ColumnBlob(1);
    row.pruned = stmt.ColumnIsNull(2);
    row.entry_bytes = stmt.ColumnBlob(2);
    row.time_unix_micros = stmt.ColumnInt64(3);
    row.partner_id = optional_text(4);
    row.source_partner_id = optional_text(5);
    row.subject_key =
        stmt.ColumnIsNull(6) ? std::nullopt : std::optional<int64_t>(stmt.ColumnInt64(6));
    if (!visit(row)) return absl::OkStatus();
  }
  if (rc != SQLITE_DONE) return db_->Error("scan");
  return absl::OkStatus();
}

absl::Status AuditReader::ScanCheckpoints(
    const std::function<bool(const StoredCheckpoint&)>& visit) {
  ASSIGN_OR_RETURN(store::Statement stmt,
                   db_->Prepare("SELECT size, root, note FROM audit_checkpoint ORDER BY size"));
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    StoredCheckpoint checkpoint{static_cast<uint64_t>(stmt.ColumnInt64(0)), HashColumn(stmt, 1),
                                std::string(stmt.ColumnBlob(2))};
    if (stmt.ColumnBlob(1).size() != 32) checkpoint.root.fill(0xff);  // never a real root
    if (!visit(checkpoint)) return absl::OkStatus();
  }
  if (rc != SQLITE_DONE) return db_->Error("scan checkpoints");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RetentionRecord>> AuditReader::RetentionRecords() {
  std::lock_guard<std::mutex> lock(mutex_);
  ASSIGN_OR_RETURN(store::Statement stmt,
                   db_->Prepare("SELECT through, cutoff_us, recorded_by FROM audit_retention "
                                "ORDER BY through"));
  std::vector<RetentionRecord> records;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    records.push_back({static_cast<uint64_t>(stmt.ColumnInt64(0)), stmt.ColumnInt64(1),
                       static_cast<uint64_t>(stmt.ColumnInt64(2))});
  }
  if (rc != SQLITE_DONE) return db_->Error("read retention");
  return records;
}

absl::Status AuditReader::ScanFacets(
    const std::function<void(int64_t facet, uint64_t index)>& visit) {
  if (!has_facet_index_) return absl::OkStatus();
  ASSIGN_OR_RETURN(store::Statement stmt, db_->Prepare("SELECT facet, idx FROM audit_facet"));
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    // A value stored as another type reads back converted but is never
    // found by a lookup: count it as a different row.
    const bool typed = stmt.ColumnType(0) == SQLITE_INTEGER && stmt.ColumnType(1) == SQLITE_INTEGER;
    visit(stmt.ColumnInt64(0), typed ? static_cast<uint64_t>(stmt.ColumnInt64(1)) : UINT64_MAX);
  }
  if (rc != SQLITE_DONE) return db_->Error("read facet index");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AuditReader::FacetBlock>> AuditReader::FacetBlocks() {
  if (!has_facet_index_) return std::vector<FacetBlock>();
  ASSIGN_OR_RETURN(store::Statement stmt,
                   db_->Prepare("SELECT first, through, min_time_us, max_time_us, "
                                "typeof(first) || typeof(through) || typeof(min_time_us) || "
                                "typeof(max_time_us) FROM audit_facet_block ORDER BY through"));
  std::vector<FacetBlock> blocks;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    FacetBlock block{static_cast<uint64_t>(stmt.ColumnInt64(0)),
                     static_cast<uint64_t>(stmt.ColumnInt64(1)), stmt.ColumnInt64(2),
                     stmt.ColumnInt64(3)};
    // A mistyped bound matches no time comparison as stored: make it empty.
    if (stmt.ColumnBlob(4) != "integerintegerintegerinteger") block.first = 0;
    blocks.push_back(block);
  }
  if (rc != SQLITE_DONE) return db_->Error("read facet blocks");
  return blocks;
}

absl::StatusOr<uint64_t> AuditReader::SubjectIndexedThrough() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!has_subject_index_) return 0;
  ASSIGN_OR_RETURN(store::Statement stmt,
                   db_->Prepare("SELECT coalesce(max(through), 0) FROM audit_subject_indexed"));
  if (stmt.Step() != SQLITE_ROW) return db_->Error("read subject index");
  return static_cast<uint64_t>(stmt.ColumnInt64(0));
}

absl::StatusOr<std::vector<std::string>> AuditReader::MistypedSideRows() {
  std::lock_guard<std::mutex> lock(mutex_);
  struct Column {
    const char* table;
    const char* column;
    const char* type;  // typeof() of a well-stored value
  };
  static constexpr Column kColumns[] = {
      {"audit_retention", "through", "integer"},
      {"audit_retention", "cutoff_us", "integer"},
      {"audit_retention", "recorded_by", "integer"},
      {"audit_subject_indexed", "through", "integer"},
      {"audit_checkpoint", "size", "integer"},
      {"audit_checkpoint", "root", "blob"},
      {"audit_head", "size", "integer"},
      {"audit_head", "root", "blob"},
  };
  std::vector<std::string> problems;
  for (const Column& column : kColumns) {
    if (std::string_view(column.table) == "audit_subject_indexed" && !has_subject_index_) continue;
    ASSIGN_OR_RETURN(store::Statement stmt,
                     db_->Prepare(std::string("SELECT count(*) FROM ") + column.table +
                                  " WHERE typeof(" + column.column + ") <> '" + column.type + "'"));
    if (stmt.Step() != SQLITE_ROW) return db_->Error("read column types");
    if (const int64_t rows = stmt.ColumnInt64(0); rows > 0) {
      problems.push_back(std::string(column.table) + " has " + std::to_string(rows) +
                         " row(s) whose " + column.column + " is not stored as " +
                         (std::string_view(column.type) == "blob" ? "a blob" : "an integer") +
                         " (altered?)");
    }
  }
  return problems;
}

absl::StatusOr<std::vector<std::string>> AuditReader::SchemaProblems() {
  std::lock_guard<std::mutex> lock(mutex_);
  return audit::SchemaProblems(*db_);
}

absl::StatusOr<std::vector<std::string>> AuditReader::IntegrityCheck(size_t max_problems) {
  std::lock_guard<std::mutex> lock(mutex_);
  ASSIGN_OR_RETURN(store::Statement stmt,
                   db_->Prepare("PRAGMA integrity_check(" + std::to_string(max_problems) + ")"));
  std::vector<std::string> problems;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    std::string line(stmt.ColumnBlob(0));
    if (line != "ok") problems.push_back("SQLite integrity_check: " + line);
  }
  if (rc != SQLITE_DONE) return db_->Error("integrity_check");
  return problems;
}

absl::StatusOr<std::unique_ptr<AuditReader::SubjectStream>> AuditReader::OpenSubjectStream() {
  auto stream = std::make_unique<SubjectStream>();
  stream->db_ = db_.get();
  if (!has_subject_index_) return stream;
  // The table is keyed by subject first: this sorts, which only the
  // verifier pays for.
  ASSIGN_OR_RETURN(stream->statement_,
                   db_->Prepare("SELECT idx, subject_key FROM audit_subject ORDER BY idx"));
  return stream;
}

bool AuditReader::SubjectStream::Next(uint64_t* index, int64_t* subject_key, bool* typed) {
  if (statement_.get() == nullptr) return false;
  const int rc = statement_.Step();
  if (rc == SQLITE_ROW) {
    *typed =
        statement_.ColumnType(0) == SQLITE_INTEGER && statement_.ColumnType(1) == SQLITE_INTEGER;
    *index = static_cast<uint64_t>(statement_.ColumnInt64(0));
    *subject_key = statement_.ColumnInt64(1);
    return true;
  }
  if (rc != SQLITE_DONE) status_ = db_->Error("read subject index");
  return false;
}

absl::StatusOr<std::unique_ptr<AuditReader::NodeStream>> AuditReader::OpenNodeStream(
    uint32_t level) {
  auto stream = std::make_unique<NodeStream>();
  ASSIGN_OR_RETURN(stream->statement_,
                   db_->Prepare("SELECT idx, hash FROM audit_node WHERE level = ?1 ORDER BY idx"));
  stream->statement_.BindInt64(1, level);
  stream->db_ = db_.get();
  return stream;
}

bool AuditReader::NodeStream::Next(uint64_t* index, merkle::Hash* hash) {
  const int rc = statement_.Step();
  if (rc == SQLITE_ROW) {
    *index = static_cast<uint64_t>(statement_.ColumnInt64(0));
    *hash = HashColumn(statement_, 1);
    if (statement_.ColumnBlob(1).size() != 32) hash->fill(0xff);
    return true;
  }
  if (rc != SQLITE_DONE) status_ = db_->Error("read nodes");
  return false;
}

}  // namespace ketenpoort::audit
