#include "gateway/audit/merkle_frontier.h"

#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {

absl::StatusOr<MerkleFrontier> MerkleFrontier::Load(uint64_t size, const NodeLookup& node) {
  MerkleFrontier frontier;
  frontier.size_ = size;
  for (uint32_t level = 0; level < 64; ++level) {
    if ((size >> level) & 1) {
      ASSIGN_OR_RETURN(frontier.pending_[level], node(level, (size >> level) - 1));
    }
  }
  return frontier;
}

void MerkleFrontier::Append(const merkle::Hash& leaf_hash, std::vector<MerkleNode>* completed) {
  merkle::Hash carry = leaf_hash;
  uint32_t level = 0;
  // Each set low bit is a left sibling waiting for this leaf's subtree.
  while ((size_ >> level) & 1) {
    carry = merkle::HashChildren(pending_[level], carry);
    ++level;
    completed->push_back({level, size_ >> level, carry});
  }
  pending_[level] = carry;
  ++size_;
}

merkle::Hash MerkleFrontier::Root() const {
  if (size_ == 0) return merkle::EmptyRoot();
  std::optional<merkle::Hash> root;
  for (uint32_t level = 0; level < 64; ++level) {
    if ((size_ >> level) & 1) {
      root = root ? merkle::HashChildren(pending_[level], *root) : pending_[level];
    }
  }
  return *root;
}

}  // namespace ketenpoort::audit
