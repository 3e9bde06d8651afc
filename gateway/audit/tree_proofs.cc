#include "gateway/audit/tree_proofs.h"

#include <bit>

#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {
namespace {

// A merkle::SubtreeRoot over stored nodes that remembers the first lookup
// error (the proof builders themselves cannot fail).
class StoredSubtrees {
 public:
  explicit StoredSubtrees(const NodeLookup& node) : node_(node) {}

  merkle::Hash Root(uint64_t begin, uint64_t end) {
    const uint64_t count = end - begin;
    if (std::has_single_bit(count) && begin % count == 0) {
      const auto level = static_cast<uint32_t>(std::countr_zero(count));
      auto hash = node_(level, begin >> level);
      if (!hash.ok()) {
        if (status_.ok()) status_ = hash.status();
        return {};
      }
      return *hash;
    }
    // A right edge: split like the tree does.
    const uint64_t split = merkle::SplitPoint(count);
    return merkle::HashChildren(Root(begin, begin + split), Root(begin + split, end));
  }
  merkle::SubtreeRoot AsFunction() {
    return [this](uint64_t begin, uint64_t end) { return Root(begin, end); };
  }
  const absl::Status& status() const { return status_; }

 private:
  const NodeLookup& node_;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<merkle::Hash> StoredRoot(uint64_t size, const NodeLookup& node) {
  if (size == 0) return merkle::EmptyRoot();
  StoredSubtrees subtrees(node);
  const merkle::Hash root = subtrees.Root(0, size);
  if (!subtrees.status().ok()) return subtrees.status();
  return root;
}

absl::StatusOr<merkle::Hash> RootFromLeaves(uint64_t size, uint64_t begin, uint64_t end,
                                            const NodeLookup& node) {
  // A lookup that never trusts a stored node above a leaf in the range.
  std::function<absl::StatusOr<merkle::Hash>(uint32_t, uint64_t)> lookup =
      [&](uint32_t level, uint64_t index) -> absl::StatusOr<merkle::Hash> {
    const uint64_t first = index << level;
    const uint64_t last = ((index + 1) << level) - 1;
    if (level == 0 || last < begin || first >= end) return node(level, index);
    ASSIGN_OR_RETURN(const merkle::Hash left, lookup(level - 1, 2 * index));
    ASSIGN_OR_RETURN(const merkle::Hash right, lookup(level - 1, 2 * index + 1));
    return merkle::HashChildren(left, right);
  };
  return StoredRoot(size, lookup);
}

absl::StatusOr<std::vector<merkle::Hash>> StoredInclusionProof(uint64_t leaf_index, uint64_t size,
                                                               const NodeLookup& node) {
  StoredSubtrees subtrees(node);
  std::vector<merkle::Hash> proof = merkle::InclusionProof(leaf_index, size, subtrees.AsFunction());
  if (!subtrees.status().ok()) return subtrees.status();
  return proof;
}

absl::StatusOr<std::vector<merkle::Hash>> StoredConsistencyProof(uint64_t old_size,
                                                                 uint64_t new_size,
                                                                 const NodeLookup& node) {
  StoredSubtrees subtrees(node);
  std::vector<merkle::Hash> proof =
      merkle::ConsistencyProof(old_size, new_size, subtrees.AsFunction());
  if (!subtrees.status().ok()) return subtrees.status();
  return proof;
}

}  // namespace ketenpoort::audit
