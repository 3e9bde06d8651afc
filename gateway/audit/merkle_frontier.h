// The right edge of an append-only Merkle tree (a "compact range"): one
// perfect-subtree root per set bit of the tree size. Appending a leaf
// yields the new perfect-subtree nodes to store, and the root is always at
// hand. Owned by whichever thread runs the audit log's commit; not thread-safe.
#ifndef KETENPOORT_GATEWAY_AUDIT_MERKLE_FRONTIER_H_
#define KETENPOORT_GATEWAY_AUDIT_MERKLE_FRONTIER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/audit/merkle.h"

namespace ketenpoort::audit {

// A perfect subtree root: covers leaves [index << level, (index + 1) << level).
struct MerkleNode {
  uint32_t level = 0;
  uint64_t index = 0;
  merkle::Hash hash{};
};

class MerkleFrontier {
 public:
  using NodeLookup = std::function<absl::StatusOr<merkle::Hash>(uint32_t level, uint64_t index)>;

  // Rebuilds the frontier of a tree of `size` leaves from stored nodes.
  static absl::StatusOr<MerkleFrontier> Load(uint64_t size, const NodeLookup& node);

  // Adds a leaf; appends to `completed` every perfect subtree of level >= 1
  // that it completes.
  void Append(const merkle::Hash& leaf_hash, std::vector<MerkleNode>* completed);
  merkle::Hash Root() const;
  uint64_t size() const { return size_; }

 private:
  uint64_t size_ = 0;
  std::array<merkle::Hash, 64> pending_{};  // pending_[l] valid when bit l of size_ is set
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_MERKLE_FRONTIER_H_
