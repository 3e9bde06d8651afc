#include "gateway/audit/log_verifier.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <bit>
#include <future>
#include <map>
#include <memory>
#include <set>

#include "gateway/audit/audit_schema.h"
#include "gateway/common/status_macros.h"
#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::audit {
namespace {

using google::protobuf::internal::WireFormatLite;

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
    RETURN_IF_ERROR(CollectCheckpoints());
    RETURN_IF_ERROR(CollectRetention());
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
    // Filled in by the helper.
    merkle::Hash recomputed{};
    std::optional<uint64_t> index_field;
  };
  using Batch = std::vector<OwnedRow>;
  static constexpr size_t kBatchRows = 8192;

  static void HashBatch(Batch& batch, size_t rows) {
    for (size_t i = 0; i < rows; ++i) {
      OwnedRow& row = batch[i];
      if (row.pruned) continue;
      row.recomputed = merkle::HashLeaf(row.entry_bytes);
      row.index_field = EntryIndexField(row.entry_bytes);
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

  absl::Status CollectRetention() {
    ASSIGN_OR_RETURN(std::vector<RetentionRecord> records, reader_.RetentionRecords());
    for (const RetentionRecord& record : records) {
      pruned_through_ = std::max(pruned_through_, record.through);
      retention_records_[record.recorded_by] = record.through;
    }
    return absl::OkStatus();
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
    const merkle::Hash& stored_leaf = row.leaf_hash;
    merkle::Hash leaf = stored_leaf;
    if (row.pruned) {
      ++report_.pruned_entries;
      if (row.index > pruned_through_) {
        Problem(row.index, "entry " + std::to_string(row.index) +
                               " has lost its content outside any recorded retention period");
      }
    } else {
      leaf = row.recomputed;
      if (leaf != stored_leaf) {
        Problem(row.index, "entry " + std::to_string(row.index) +
                               " does not match its stored leaf hash (altered?)");
      }
      if (row.index_field != row.index) {
        Problem(row.index, "entry " + std::to_string(row.index) +
                               " names another position (moved, inserted or altered?)");
      }
      CheckRetentionEntry(row);
    }
    completed_.clear();
    frontier_.Append(leaf, &completed_);
    for (const MerkleNode& node : completed_) CheckNode(node);
    CheckRootIfExpected();
    return true;
  }

  void CheckRetentionEntry(const OwnedRow& row) {
    auto record = retention_records_.find(row.index);
    if (record == retention_records_.end()) return;
    v1::AuditEntry entry;
    if (!entry.ParseFromString(row.entry_bytes) || entry.kind() != v1::AuditEntry::ADMIN ||
        entry.method() != "retention") {
      Problem(row.index, "retention through " + std::to_string(record->second) +
                             " is recorded by entry " + std::to_string(row.index) +
                             ", which is not a retention entry");
    }
    retention_records_.erase(record);
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
    for (const auto& [recorded_by, through] : retention_records_) {
      Problem(0, "retention through " + std::to_string(through) + " cites entry " +
                     std::to_string(recorded_by) + ", which does not record it");
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
  std::map<uint64_t, uint64_t> retention_records_;  // recorded_by -> through
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
