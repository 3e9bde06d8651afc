// Proofs over a stored tree: the RFC 6962 builders in merkle.h, fed from
// stored perfect-subtree nodes (at most about 2 log2(n) lookups a proof).
#ifndef KETENPOORT_GATEWAY_AUDIT_TREE_PROOFS_H_
#define KETENPOORT_GATEWAY_AUDIT_TREE_PROOFS_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/audit/merkle.h"

namespace ketenpoort::audit {

// A stored perfect subtree root; NOT_FOUND if absent.
using NodeLookup = std::function<absl::StatusOr<merkle::Hash>(uint32_t level, uint64_t index)>;

// MTH(D[0:size]).
absl::StatusOr<merkle::Hash> StoredRoot(uint64_t size, const NodeLookup& node);
// MTH(D[0:size]) with every node over leaves [begin, end) (0-based)
// computed from those leaves' stored hashes instead of read: so the
// result equals a signed root only if those leaf hashes are the ones the
// tree was built from, whatever the nodes above them say. `end` <= size.
// Reads about end - begin leaves; returns `node`'s first error.
absl::StatusOr<merkle::Hash> RootFromLeaves(uint64_t size, uint64_t begin, uint64_t end,
                                            const NodeLookup& node);
// Requires leaf_index < size.
absl::StatusOr<std::vector<merkle::Hash>> StoredInclusionProof(uint64_t leaf_index, uint64_t size,
                                                               const NodeLookup& node);
// Requires 0 < old_size <= new_size.
absl::StatusOr<std::vector<merkle::Hash>> StoredConsistencyProof(uint64_t old_size,
                                                                 uint64_t new_size,
                                                                 const NodeLookup& node);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_TREE_PROOFS_H_
