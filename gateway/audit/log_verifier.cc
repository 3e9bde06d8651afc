#include "gateway/audit/log_verifier.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <future>
#include <map>
#include <memory>
#include <set>

#include "gateway/audit/audit_schema.h"
#include "gateway/audit/entry_encoding.h"
#include "gateway/audit/entry_facets.h"
#include "gateway/audit/multiset_fingerprint.h"
#include "gateway/common/status_macros.h"
#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::audit {
namespace {

using google::protobuf::internal::WireFormatLite;

// How far an index's watermark may trail the log: the bulk size (1024) and
// one commit (AuditLog batches stay far below this).
constexpr uint64_t kMaxIndexLag = 65'536;

class Verification {
 public:
  Verification(AuditReader& reader, const VerifyOptions& options)
      : reader_(reader), options_(options) {}

  absl::StatusOr<VerifyReport> Run() {
    // One read transaction: one snapshot, even of a store being written.
    RETURN_IF_ERROR(reader_.BeginRead());
    absl::StatusOr<VerifyReport> report = RunInSnapshot();
    reader_.EndRead();
    return report;
  }

  absl::StatusOr<VerifyReport> RunInSnapshot() {
    // What the rows below are read through: the schema, and the b-trees.
    ASSIGN_OR_RETURN(const std::vector<std::string> schema, reader_.SchemaProblems());
    for (const std::string& problem : schema) Problem(0, "audit store schema: " + problem);
    ASSIGN_OR_RETURN(const std::vector<std::string> damaged,
                     reader_.IntegrityCheck(VerifyReport::kMaxProblems));
    for (const std::string& problem : damaged) Problem(0, problem);
    RETURN_IF_ERROR(CollectCheckpoints());
    ASSIGN_OR_RETURN(const std::vector<std::string> mistyped, reader_.MistypedSideRows());
    for (const std::string& problem : mistyped) Problem(0, problem);
    RETURN_IF_ERROR(CollectRetention());
    RETURN_IF_ERROR(OpenSubjectIndex());
    RETURN_IF_ERROR(OpenFacetIndex());
    RETURN_IF_ERROR(ScanPipelined());
    RETURN_IF_ERROR(Finish());
    return std::move(report_);
  }

 private:
  // Rows copied out of SQLite in batches. While this thread reads (and
  // walks the tree for) one batch, a helper hashes the next: reading and
  // hashing each take about half the time. Only this thread touches the
  // database connection.
  struct OwnedRow {
    uint64_t index = 0;
    merkle::Hash leaf_hash{};  // as stored; all 0xff if not 32 bytes
    std::string entry_bytes;
    bool pruned = false;
    // The query columns as stored.
    int64_t time_column = 0;
    std::optional<std::string> partner_column;  // nullopt: NULL
    std::optional<std::string> source_partner_column;
    std::optional<int64_t> subject_key_column;
    const char* mistyped = nullptr;  // see AuditReader::RawRow
    // Filled in by the helper, from the bytes.
    merkle::Hash recomputed{};
    bool decodes = false;
    uint64_t index_field = 0;
    EntryColumns derived;
    std::vector<int64_t> facets;                         // the facet index rows it implies
    std::optional<v1::AuditEntry::Retention> retention;  // a retention entry's range
  };
  using Batch = std::vector<OwnedRow>;
  static constexpr size_t kBatchRows = 8192;

  static void HashBatch(Batch& batch, size_t rows) {
    for (size_t i = 0; i < rows; ++i) {
      OwnedRow& row = batch[i];
      if (row.pruned) continue;
      row.recomputed = merkle::HashLeaf(row.entry_bytes);
      v1::AuditEntry entry;
      row.decodes = entry.ParseFromString(row.entry_bytes);
      if (!row.decodes) continue;
      row.index_field = entry.index();
      row.derived = ColumnsOf(entry);
      row.facets = FacetsOf(entry);
      row.retention = SignedRetention(entry);
    }
  }

  bool VisitBatch(const Batch& batch, size_t rows) {
    for (size_t i = 0; i < rows; ++i) {
      if (!Visit(batch[i])) return false;
    }
    return true;
  }

  // Batches are reused, so their strings keep their capacity: no
  // allocation per row once warmed up.
  absl::Status ScanPipelined() {
    Batch buffers[2] = {Batch(kBatchRows), Batch(kBatchRows)};
    Batch* reading = &buffers[0];
    Batch* hashing = &buffers[1];
    size_t filled = 0;        // rows of *reading in use
    size_t hashing_rows = 0;  // rows of *hashing in use
    std::future<void> hashed;
    bool more = true;
    auto rotate = [&]() {
      if (hashed.valid()) {
        hashed.get();
        more = VisitBatch(*hashing, hashing_rows);
      }
      std::swap(reading, hashing);
      hashing_rows = filled;
      filled = 0;
      if (more) {
        hashed = std::async(std::launch::async,
                            [batch = hashing, rows = hashing_rows] { HashBatch(*batch, rows); });
      }
      return more;
    };
    absl::Status scanned = reader_.ScanAll([&](const AuditReader::RawRow& row) {
      OwnedRow& owned = (*reading)[filled++];
      owned.index = row.index;
      if (row.leaf_hash.size() == owned.leaf_hash.size()) {
        std::copy(row.leaf_hash.begin(), row.leaf_hash.end(), owned.leaf_hash.begin());
      } else {
        owned.leaf_hash.fill(0xff);  // never a real hash
      }
      owned.entry_bytes.assign(row.entry_bytes);
      owned.pruned = row.pruned;
      owned.time_column = row.time_unix_micros;
      AssignOptional(owned.partner_column, row.partner_id);
      AssignOptional(owned.source_partner_column, row.source_partner_id);
      owned.subject_key_column = row.subject_key;
      owned.mistyped = row.mistyped;
      return filled < kBatchRows || rotate();
    });
    if (hashed.valid()) hashed.get();
    if (scanned.ok() && more) {
      if (hashing_rows > 0) more = VisitBatch(*hashing, hashing_rows);
      HashBatch(*reading, filled);
      if (more) VisitBatch(*reading, filled);
    }
    return scanned;
  }

  static void AssignOptional(std::optional<std::string>& to,
                             const std::optional<std::string_view>& from) {
    if (!from) {
      to.reset();
    } else if (to) {
      to->assign(*from);
    } else {
      to.emplace(*from);
    }
  }

  void Problem(uint64_t index, std::string text) {
    if (index != 0 && report_.first_bad_index == 0) report_.first_bad_index = index;
    if (report_.problems.size() < VerifyReport::kMaxProblems) {
      report_.problems.push_back(std::move(text));
    }
  }

  // A checkpoint to hold the recomputed tree against, once it reaches `size`.
  void Expect(uint64_t size, const merkle::Hash& root, std::string what) {
    expected_roots_.emplace(size, std::make_pair(root, std::move(what)));
  }

  void CheckNote(const StoredCheckpoint& stored, const std::string& what) {
    ++report_.checkpoints;
    auto opened = options_.key->Open(stored.note);
    if (!opened.ok()) {
      Problem(0, what + ": " + std::string(opened.status().message()));
      return;
    }
    if (opened->size != stored.size || opened->root != stored.root) {
      Problem(0, what + ": the signed note does not match the stored size and root");
    }
    Expect(opened->size, opened->root, what);
  }

  absl::Status CollectCheckpoints() {
    RETURN_IF_ERROR(reader_.ScanCheckpoints([this](const StoredCheckpoint& checkpoint) {
      CheckNote(checkpoint, "checkpoint at size " + std::to_string(checkpoint.size));
      return true;
    }));
    ASSIGN_OR_RETURN(head_, reader_.LatestCheckpoint());
    if (head_) CheckNote(*head_, "head checkpoint at size " + std::to_string(head_->size));
    if (options_.trusted_checkpoint) {
      auto trusted = options_.key->Open(*options_.trusted_checkpoint);
      if (!trusted.ok()) {
        Problem(0, "trusted checkpoint: " + std::string(trusted.status().message()));
      } else {
        Expect(trusted->size, trusted->root,
               "trusted checkpoint at size " + std::to_string(trusted->size));
      }
    }
    return absl::OkStatus();
  }

  // Retention rows are the store's claim; the ADMIN entry each cites is
  // the signed one. A row counts only once its entry is read and signs a
  // range covering it with the same cutoff.
  enum class RowState { kUnchecked, kValid, kCitesPruned, kInvalid };
  struct RetentionRow {
    RetentionRecord record;
    RowState state = RowState::kUnchecked;
    bool cutoff_signed = false;  // false for entries from before the signed range
    uint64_t signed_first = 0;   // the first entry the cited entry signs (kValid)
    // The entries this row is the first to cover: how many, the first, and
    // the latest time their (unsigned) time column gives.
    uint64_t emptied = 0;
    uint64_t first_emptied = 0;
    int64_t latest_time_column = INT64_MIN;
    uint64_t latest_time_index = 0;
  };

  absl::Status CollectRetention() {
    ASSIGN_OR_RETURN(std::vector<RetentionRecord> records, reader_.RetentionRecords());
    for (const RetentionRecord& record : records) {
      pruned_through_ = std::max(pruned_through_, record.through);
      citing_.emplace(record.recorded_by, retention_rows_.size());
      retention_rows_.push_back({record});
    }
    return absl::OkStatus();
  }

  // The facet index (decision 0027) must list exactly the filter values of
  // every indexed entry, and its time blocks must tile the indexed entries
  // and bound their times: a row missing, or a block too narrow, hides
  // entries from queries. The rows are compared as multisets, so neither
  // side is sorted.
  absl::Status OpenFacetIndex() {
    ASSIGN_OR_RETURN(facet_blocks_, reader_.FacetBlocks());
    uint64_t next = 1;
    for (const AuditReader::FacetBlock& block : facet_blocks_) {
      if (block.first != next || block.through < block.first) {
        Problem(0, "the facet index's time blocks do not tile the log at entry " +
                       std::to_string(next) + " (altered?); audit queries may miss entries");
        facet_blocks_.clear();
        break;
      }
      next = block.through + 1;
    }
    facet_indexed_through_ = next - 1;
    return absl::OkStatus();
  }

  void CheckFacets(const OwnedRow& row) {
    if (row.index > facet_indexed_through_) return;
    while (facet_block_ < facet_blocks_.size() && facet_blocks_[facet_block_].through < row.index) {
      ++facet_block_;
    }
    if (facet_block_ < facet_blocks_.size()) {
      const AuditReader::FacetBlock& block = facet_blocks_[facet_block_];
      if (row.time_column < block.min_time_unix_micros ||
          row.time_column > block.max_time_unix_micros) {
        Problem(row.index, "entry " + std::to_string(row.index) +
                               ": its time lies outside the facet index's time block " +
                               std::to_string(block.first) + ".." + std::to_string(block.through) +
                               " (altered?), so time-bounded queries miss it");
      }
    }
    if (row.pruned || !row.decodes) return;
    for (const int64_t facet : row.facets) expected_facets_.Add(facet, row.index);
  }

  absl::Status FinishFacetIndex() {
    MultisetFingerprint stored(facet_point_);
    RETURN_IF_ERROR(
        reader_.ScanFacets([&stored](int64_t facet, uint64_t index) { stored.Add(facet, index); }));
    if (facet_indexed_through_ > report_.entries) {
      Problem(0, "the facet index claims to cover entries through " +
                     std::to_string(facet_indexed_through_) + ", beyond the end of the log");
    }
    // The writer indexes in bulk, so a watermark trails by at most the bulk
    // size and one commit. One far behind leaves every read to go through
    // the entries themselves (emptied indexes cover nothing, so hold no
    // wrong rows).
    const std::pair<const char*, uint64_t> watermarks[] = {{"facet", facet_indexed_through_},
                                                           {"subject", subject_indexed_through_}};
    for (const auto& [name, indexed] : watermarks) {
      if (report_.entries > indexed + kMaxIndexLag) {
        Problem(indexed + 1, std::string("the ") + name + " index covers entries through " +
                                 std::to_string(indexed) + " of " +
                                 std::to_string(report_.entries) +
                                 " (emptied or held back?): reads of the rest go through the "
                                 "entries themselves");
      }
    }
    if (!(stored == expected_facets_)) {
      Problem(0, "the facet index does not list exactly the filter values of entries 1.." +
                     std::to_string(facet_indexed_through_) + " (" +
                     std::to_string(stored.count()) + " rows, " +
                     std::to_string(expected_facets_.count()) +
                     " expected; altered?), so audit queries miss or misplace entries");
    }
    return absl::OkStatus();
  }

  absl::Status OpenSubjectIndex() {
    ASSIGN_OR_RETURN(subject_indexed_through_, reader_.SubjectIndexedThrough());
    ASSIGN_OR_RETURN(subjects_, reader_.OpenSubjectStream());
    NextSubjectRow();
    return absl::OkStatus();
  }

  void NextSubjectRow() {
    uint64_t index = 0;
    int64_t key = 0;
    bool typed = true;
    if (subjects_->Next(&index, &key, &typed)) {
      if (!typed) {
        // Reads back as the right row, but no subject query finds it.
        Problem(index, "the subject index row for entry " + std::to_string(index) +
                           " is not stored as integers (altered?)");
        key = INT64_MIN;  // so it also counts as not listing the entry
      }
      next_subject_ = std::make_pair(index, key);
    } else {
      next_subject_.reset();
      if (!subjects_->status().ok()) stream_error_ = subjects_->status();
    }
  }

  // The subject index must list exactly the subject of every indexed
  // entry: a missing row hides the entry from the person's report.
  void CheckSubjectRow(uint64_t index, std::optional<int64_t> expected) {
    while (next_subject_ && next_subject_->first < index) {
      Problem(next_subject_->first, "the subject index lists entry " +
                                        std::to_string(next_subject_->first) +
                                        " under a subject it does not concern");
      NextSubjectRow();
    }
    if (index > subject_indexed_through_) expected.reset();
    const bool listed = next_subject_ && next_subject_->first == index;
    if (expected && (!listed || next_subject_->second != *expected)) {
      Problem(index, "entry " + std::to_string(index) +
                         " is missing from the subject index (hidden from the person's report)");
    } else if (!expected && listed) {
      Problem(index,
              "the subject index lists entry " + std::to_string(index) + ", which it should not");
    }
    if (listed) NextSubjectRow();
    // A second row for the same entry puts it in another person's report.
    while (next_subject_ && next_subject_->first == index) {
      Problem(index, "the subject index lists entry " + std::to_string(index) +
                         " under a second subject (shown in another person's report)");
      NextSubjectRow();
    }
  }

  // Which retention row is the first to cover `index`: the step that
  // emptied it. nullopt if none does.
  std::optional<size_t> CoveringRow(uint64_t index) const {
    auto it = std::lower_bound(
        retention_rows_.begin(), retention_rows_.end(), index,
        [](const RetentionRow& row, uint64_t value) { return row.record.through < value; });
    if (it == retention_rows_.end()) return std::nullopt;
    return static_cast<size_t>(it - retention_rows_.begin());
  }

  void CheckEmptied(const OwnedRow& row) {
    ++report_.pruned_entries;
    if (row.partner_column || row.source_partner_column || row.subject_key_column) {
      Problem(row.index, "entry " + std::to_string(row.index) +
                             " has lost its content but kept query columns");
    }
    const std::optional<size_t> covering = CoveringRow(row.index);
    if (!covering) {
      Problem(row.index, "entry " + std::to_string(row.index) +
                             " has lost its content outside any recorded retention period");
      return;
    }
    RetentionRow& by = retention_rows_[*covering];
    if (by.emptied++ == 0) by.first_emptied = row.index;
    if (row.time_column > by.latest_time_column) {
      by.latest_time_column = row.time_column;
      by.latest_time_index = row.index;
    }
  }

  // `row` is an entry that retention rows cite: each must be within the
  // range it signs, with its cutoff, and recorded after what it empties.
  void CheckCitedEntry(const OwnedRow& row) {
    auto [begin, end] = citing_.equal_range(row.index);
    for (auto it = begin; it != end; ++it) {
      RetentionRow& cited = retention_rows_[it->second];
      if (row.pruned) {
        cited.state = RowState::kCitesPruned;  // judged by a later row, at the end
        continue;
      }
      const RetentionRecord& record = cited.record;
      const auto& signed_range = row.retention;
      std::string wrong;
      if (!row.decodes || !signed_range) {
        wrong = "which is not a retention entry";
      } else if (record.through > signed_range->through_index() ||
                 signed_range->through_index() >= row.index) {
        wrong = "which signs only entries " + std::to_string(signed_range->first_index()) + ".." +
                std::to_string(signed_range->through_index());
      } else if (signed_range->cutoff_unix_micros() != 0 &&
                 (record.cutoff_unix_micros != signed_range->cutoff_unix_micros() ||
                  signed_range->cutoff_unix_micros() > row.derived.time_unix_micros)) {
        wrong = "which signs another cutoff";
      }
      if (!wrong.empty()) {
        cited.state = RowState::kInvalid;
        Problem(row.index, "retention through " + std::to_string(record.through) + " cites entry " +
                               std::to_string(row.index) + ", " + wrong);
        continue;
      }
      cited.state = RowState::kValid;
      cited.signed_first = signed_range->first_index();
      cited.cutoff_signed = signed_range->cutoff_unix_micros() != 0;
    }
  }

  // Every emptied entry must rest on a signed retention range, and be
  // older than its cutoff. A row citing an entry that a later retention
  // emptied in turn rests on that later one.
  void CheckRetentionCoverage() {
    for (size_t i = 0; i < retention_rows_.size(); ++i) {
      const RetentionRow& row = retention_rows_[i];
      const std::string named = "retention through " + std::to_string(row.record.through) +
                                " cites entry " + std::to_string(row.record.recorded_by);
      if (row.state == RowState::kUnchecked) {
        Problem(0, named + ", which does not record it");
      }
      // Runs follow one another: the first row of a run (rows of one run
      // cite the same entry) starts where the previous row ended. A row
      // slipped in between breaks that.
      const bool first_of_run =
          i == 0 || retention_rows_[i - 1].record.recorded_by != row.record.recorded_by;
      const uint64_t previous_through = i == 0 ? 0 : retention_rows_[i - 1].record.through;
      if (row.state == RowState::kValid && first_of_run &&
          row.signed_first != previous_through + 1) {
        Problem(0, named + ", which signs entries from " + std::to_string(row.signed_first) +
                       ", but the retention before it ends at " + std::to_string(previous_through));
      }
      // A row whose entry has been emptied can no longer be read; it holds
      // only if it came before that entry and a later signed retention
      // emptied the entry. Otherwise a made-up row could claim any range.
      if (row.state == RowState::kCitesPruned) {
        bool emptied_by_later = false;
        for (size_t j = i + 1; j < retention_rows_.size() && !emptied_by_later; ++j) {
          emptied_by_later = retention_rows_[j].state == RowState::kValid &&
                             retention_rows_[j].record.through >= row.record.recorded_by;
        }
        if (row.record.through >= row.record.recorded_by || !emptied_by_later) {
          Problem(0, named + ", an emptied entry that no later signed retention accounts for");
        }
      }
      if (row.emptied == 0) continue;
      size_t valid = i;
      while (valid < retention_rows_.size() && retention_rows_[valid].state != RowState::kValid) {
        ++valid;
      }
      if (valid == retention_rows_.size()) {
        Problem(row.first_emptied, "entries from " + std::to_string(row.first_emptied) +
                                       " lost their content under retention through " +
                                       std::to_string(row.record.through) +
                                       ", which no signed retention entry covers");
        continue;
      }
      const RetentionRow& signed_row = retention_rows_[valid];
      if (signed_row.cutoff_signed &&
          row.latest_time_column >= signed_row.record.cutoff_unix_micros) {
        Problem(row.latest_time_index,
                "entry " + std::to_string(row.latest_time_index) +
                    " lost its content although it is not older than the signed retention "
                    "cutoff of entry " +
                    std::to_string(signed_row.record.recorded_by));
      }
    }
  }

  bool Visit(const OwnedRow& row) {
    const uint64_t expected = frontier_.size() + 1;
    if (row.index != expected) {
      // Rows are read in idx order, so a gap means rows went missing.
      Problem(expected, row.index > expected
                            ? "entries " + std::to_string(expected) + ".." +
                                  std::to_string(row.index - 1) + " are missing"
                            : "entry " + std::to_string(row.index) + " is out of order");
      return false;  // nothing after this can be placed in the tree
    }
    if (row.mistyped != nullptr) {
      Problem(row.index, "entry " + std::to_string(row.index) + ": " + row.mistyped +
                             ", so queries do not find it (altered?)");
    }
    const merkle::Hash& stored_leaf = row.leaf_hash;
    merkle::Hash leaf = stored_leaf;
    if (row.pruned) {
      CheckEmptied(row);
    } else {
      if (row.index <= pruned_through_) {
        // Retention records this range as emptied: content kept past its
        // term while the log says it is gone.
        Problem(row.index, "entry " + std::to_string(row.index) +
                               " still holds its content, although retention records entries "
                               "through " +
                               std::to_string(pruned_through_) + " as emptied");
      }
      leaf = row.recomputed;
      if (leaf != stored_leaf) {
        Problem(row.index, "entry " + std::to_string(row.index) +
                               " does not match its stored leaf hash (altered?)");
      }
      if (!row.decodes) {
        Problem(row.index, "entry " + std::to_string(row.index) +
                               " does not decode, so no reader can show it");
      } else {
        if (row.index_field != row.index) {
          Problem(row.index, "entry " + std::to_string(row.index) +
                                 " names another position (moved, inserted or altered?)");
        }
        CheckColumns(row);
      }
    }
    CheckCitedEntry(row);
    CheckSubjectRow(
        row.index, !row.pruned && row.decodes ? row.derived.subject_key : std::optional<int64_t>());
    CheckFacets(row);
    completed_.clear();
    frontier_.Append(leaf, &completed_);
    for (const MerkleNode& node : completed_) CheckNode(node);
    CheckRootIfExpected();
    return true;
  }

  // The columns queries and retention select on must say what the entry
  // says: an edited column would hide the entry from a query or report, or
  // make retention empty it.
  void CheckColumns(const OwnedRow& row) {
    const EntryColumns& derived = row.derived;
    auto text_matches = [](const std::optional<std::string>& column, const std::string& value) {
      return value.empty() ? !column.has_value() : column.has_value() && *column == value;
    };
    std::string differing;
    auto differs = [&differing](const char* name) {
      differing += (differing.empty() ? "" : ", ") + std::string(name);
    };
    if (row.time_column != derived.time_unix_micros) differs("time_us");
    if (!text_matches(row.partner_column, derived.partner_id)) differs("partner_id");
    if (!text_matches(row.source_partner_column, derived.source_partner_id)) {
      differs("source_partner_id");
    }
    if (row.subject_key_column != derived.subject_key) differs("subject_key");
    if (!differing.empty()) {
      Problem(row.index, "entry " + std::to_string(row.index) + ": the column(s) " + differing +
                             " do not match the entry (altered?)");
    }
  }

  void CheckNode(const MerkleNode& node) {
    if (node.level < kLowestStoredNodeLevel) return;  // not stored
    ++report_.nodes;
    if (broken_levels_.count(node.level) != 0) return;
    std::unique_ptr<AuditReader::NodeStream>& stream = streams_[node.level];
    if (!stream) {
      auto opened = reader_.OpenNodeStream(node.level);
      if (!opened.ok()) {
        stream_error_ = opened.status();
        return;
      }
      stream = std::move(*opened);
    }
    uint64_t index = 0;
    merkle::Hash hash{};
    if (!stream->Next(&index, &hash)) {
      if (!stream->status().ok()) stream_error_ = stream->status();
      Problem(0, "tree node " + NodeName(node) + " is missing");
      return;
    }
    if (index != node.index) {
      Problem(0, "tree node " + NodeName(node) + " is missing or out of place (found index " +
                     std::to_string(index) + ")");
      // The rest of this level would all differ: report it once.
      broken_levels_.insert(node.level);
      return;
    }
    if (hash != node.hash) Problem(0, "tree node " + NodeName(node) + " has the wrong hash");
  }

  static std::string NodeName(const MerkleNode& node) {
    return "(level " + std::to_string(node.level) + ", index " + std::to_string(node.index) + ")";
  }

  void CheckRootIfExpected() {
    auto [begin, end] = expected_roots_.equal_range(frontier_.size());
    if (begin == end) return;
    const merkle::Hash root = frontier_.Root();
    for (auto it = begin; it != end; ++it) {
      if (it->second.first != root) {
        Problem(frontier_.size(),
                it->second.second + ": the entries do not hash to the signed root");
      }
    }
    expected_roots_.erase(begin, end);
  }

  absl::Status Finish() {
    if (!stream_error_.ok()) return stream_error_;
    report_.entries = frontier_.size();
    report_.root = frontier_.Root();
    if (frontier_.size() == 0) CheckRootIfExpected();
    for (const auto& [size, expected] : expected_roots_) {
      Problem(report_.entries + 1, expected.second + ", but the store holds only " +
                                       std::to_string(report_.entries) + " entries (truncated?)");
    }
    const uint64_t head_size = head_ ? head_->size : 0;
    if (head_size < report_.entries) {
      Problem(head_size + 1, "entries " + std::to_string(head_size + 1) + ".." +
                                 std::to_string(report_.entries) +
                                 " are not covered by any signed checkpoint (added?)");
    }
    if (pruned_through_ > report_.entries) {
      Problem(0, "retention is recorded through entry " + std::to_string(pruned_through_) +
                     ", beyond the end of the log");
    }
    CheckRetentionCoverage();
    CheckSubjectRow(UINT64_MAX, std::nullopt);  // rows for entries beyond the log
    if (!stream_error_.ok()) return stream_error_;
    RETURN_IF_ERROR(FinishFacetIndex());
    if (subject_indexed_through_ > report_.entries) {
      Problem(0, "the subject index claims to cover entries through " +
                     std::to_string(subject_indexed_through_) + ", beyond the end of the log " +
                     "(later entries would be hidden from reports)");
    }
    // Stored nodes beyond what the entries make are forged or left over.
    for (auto& [level, stream] : streams_) {
      if (broken_levels_.count(level) != 0) continue;
      uint64_t index = 0;
      merkle::Hash hash{};
      if (stream->Next(&index, &hash)) {
        Problem(0, "tree node (level " + std::to_string(level) + ", index " +
                       std::to_string(index) + ") does not belong to the tree");
      }
    }
    // Levels the tree never reached must be empty too.
    for (uint32_t level = std::max<uint32_t>(
             kLowestStoredNodeLevel, static_cast<uint32_t>(std::bit_width(report_.entries)));
         level < 64; ++level) {
      auto stream = reader_.OpenNodeStream(level);
      if (!stream.ok()) return stream.status();
      uint64_t index = 0;
      merkle::Hash hash{};
      if ((*stream)->Next(&index, &hash)) {
        Problem(0, "tree node (level " + std::to_string(level) + ", index " +
                       std::to_string(index) + ") does not belong to the tree");
      }
    }
    return absl::OkStatus();
  }

  AuditReader& reader_;
  const VerifyOptions& options_;
  VerifyReport report_;
  MerkleFrontier frontier_;
  std::vector<MerkleNode> completed_;
  std::multimap<uint64_t, std::pair<merkle::Hash, std::string>> expected_roots_;
  std::optional<StoredCheckpoint> head_;
  uint64_t pruned_through_ = 0;
  std::vector<RetentionRow> retention_rows_;  // by through
  std::multimap<uint64_t, size_t> citing_;    // recorded_by -> row
  uint64_t subject_indexed_through_ = 0;
  std::vector<AuditReader::FacetBlock> facet_blocks_;
  size_t facet_block_ = 0;  // the block of the entry being visited
  uint64_t facet_indexed_through_ = 0;
  const MultisetFingerprint::Point facet_point_ = MultisetFingerprint::Point::Random();
  MultisetFingerprint expected_facets_{facet_point_};
  std::unique_ptr<AuditReader::SubjectStream> subjects_;
  std::optional<std::pair<uint64_t, int64_t>> next_subject_;  // (idx, subject_key)
  std::map<uint32_t, std::unique_ptr<AuditReader::NodeStream>> streams_;
  std::set<uint32_t> broken_levels_;
  absl::Status stream_error_;
};

}  // namespace

std::optional<uint64_t> EntryIndexField(std::string_view entry_bytes) {
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(entry_bytes.data()),
                                               static_cast<int>(entry_bytes.size()));
  uint64_t index = 0;
  while (const uint32_t tag = input.ReadTag()) {
    if (tag == WireFormatLite::MakeTag(v1::AuditEntry::kIndexFieldNumber,
                                       WireFormatLite::WIRETYPE_VARINT)) {
      if (!input.ReadVarint64(&index)) return std::nullopt;
      return index;  // serialized first, as field 1
    }
    if (!WireFormatLite::SkipField(&input, tag)) return std::nullopt;
  }
  return input.ConsumedEntireMessage() ? std::optional<uint64_t>(0) : std::nullopt;
}

absl::StatusOr<VerifyReport> VerifyLog(AuditReader& reader, const VerifyOptions& options) {
  if (options.key == nullptr) {
    return absl::InvalidArgumentError("VerifyLog needs the checkpoint verifier key");
  }
  return Verification(reader, options).Run();
}

}  // namespace ketenpoort::audit
