// What the audit log needs from durable storage. The embedded
// implementation is SqliteAuditStore; tests wrap it to inject failures.
#ifndef KETENPOORT_GATEWAY_AUDIT_AUDIT_STORE_H_
#define KETENPOORT_GATEWAY_AUDIT_AUDIT_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/audit/merkle.h"
#include "gateway/audit/merkle_frontier.h"

namespace ketenpoort::audit {

struct StoredEntry {
  uint64_t index = 0;        // 1-based, contiguous; Merkle leaf index + 1
  std::string entry_bytes;   // serialized AuditEntry; empty once pruned
  merkle::Hash leaf_hash{};  // RFC 6962 leaf hash of entry_bytes, kept after pruning
  bool pruned = false;
  // Copies of entry fields, so queries need not decode every entry.
  int64_t time_unix_micros = 0;
  std::string partner_id;
  std::string source_partner_id;
  std::optional<int64_t> subject_key;  // see SubjectKey()
};

struct StoredCheckpoint {
  uint64_t size = 0;
  merkle::Hash root{};
  std::string note;  // the signed note, as signed
};

// An index key for a subject pseudonym (hex): its first 64 bits. Lookups
// by key are then confirmed against the full pseudonym in the entry.
std::optional<int64_t> SubjectKey(std::string_view pseudonym_hex);

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Number of entries (the index of the last one).
  virtual absl::StatusOr<uint64_t> Size() = 0;
  // The head checkpoint, signed at the last commit; nullopt when empty.
  virtual absl::StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() = 0;
  // A perfect subtree root; level 0 is the leaf hash of entry index + 1.
  // NOT_FOUND when the tree does not have that node.
  virtual absl::StatusOr<merkle::Hash> Node(uint32_t level, uint64_t index) = 0;
  // Writes the entries, the Merkle nodes they complete and the checkpoint
  // that covers them (as the new head; also kept for good if
  // `keep_checkpoint`) in one durable transaction, or nothing.
  // UNAVAILABLE when the store cannot write.
  virtual absl::Status AppendBatch(const std::vector<StoredEntry>& entries,
                                   const std::vector<MerkleNode>& nodes,
                                   const StoredCheckpoint& checkpoint, bool keep_checkpoint) = 0;
  // The largest n such that entries 1..n all have a time before `cutoff`.
  // Once `stop` is requested a store may return a smaller n that still
  // holds (at least PrunedThrough()).
  virtual absl::StatusOr<uint64_t> LastIndexBefore(int64_t cutoff_unix_micros,
                                                   std::stop_token stop) = 0;
  // Entries 1..n have had their content pruned; 0 when none.
  virtual absl::StatusOr<uint64_t> PrunedThrough() = 0;
  // Drops the content of entries 1..through (their leaf hashes stay, so
  // the tree still verifies), recording that entry `recorded_by` says so.
  // Returns how many entries were newly pruned. A store may prune in
  // steps, each recorded on its own: if one fails, those before it stay,
  // and once `stop` is requested it ends after the step in progress.
  virtual absl::StatusOr<uint64_t> PruneThrough(uint64_t through, int64_t cutoff_unix_micros,
                                                uint64_t recorded_by, std::stop_token stop) = 0;
};

using AuditStorePtr = std::unique_ptr<AuditStore>;

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_AUDIT_STORE_H_
