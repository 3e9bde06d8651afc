// RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification.
//
// Leaves hash as SHA-256(0x00 || leaf), interior nodes as
// SHA-256(0x01 || left || right); a tree of n > 1 leaves splits at the
// largest power of two smaller than n. The proof builders are independent
// of storage: they ask a SubtreeRoot function for MTH(D[begin:end]) and only
// ever ask for ranges that are nodes of the tree (a perfect subtree, or the
// right edge of one), so a store can answer from precomputed nodes.
// Stateless and thread-safe.
#ifndef KETENPOORT_GATEWAY_AUDIT_MERKLE_H_
#define KETENPOORT_GATEWAY_AUDIT_MERKLE_H_

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "gateway/common/crypto.h"

namespace ketenpoort::audit::merkle {

using Hash = crypto::Sha256Digest;
// MTH(D[begin:end]) for 0 <= begin < end.
using SubtreeRoot = std::function<Hash(uint64_t begin, uint64_t end)>;

Hash HashLeaf(std::string_view leaf);
Hash HashChildren(const Hash& left, const Hash& right);
// MTH of the empty tree: SHA-256 of the empty string.
Hash EmptyRoot();
// Largest power of two strictly smaller than n; n must be at least 2.
uint64_t SplitPoint(uint64_t n);

// PATH(index, D[0:size]) of RFC 6962 section 2.1.1; requires index < size.
std::vector<Hash> InclusionProof(uint64_t index, uint64_t size, const SubtreeRoot& root);
// PROOF(old_size, D[0:new_size]) of RFC 6962 section 2.1.2; requires
// 0 < old_size <= new_size (empty for equal sizes).
std::vector<Hash> ConsistencyProof(uint64_t old_size, uint64_t new_size, const SubtreeRoot& root);

// RFC 9162 section 2.1.3.2.
bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                     const std::vector<Hash>& proof, const Hash& root);
// RFC 9162 section 2.1.4.2; an empty old tree is consistent with any tree
// (with an empty proof).
bool VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                       const Hash& new_root, const std::vector<Hash>& proof);

// Root of a tree whose leaf hashes are all in memory; for verifiers and
// tests. Computes MTH over [begin, end) of `leaf_hashes`.
Hash RootOf(const std::vector<Hash>& leaf_hashes, uint64_t begin, uint64_t end);

}  // namespace ketenpoort::audit::merkle

#endif  // KETENPOORT_GATEWAY_AUDIT_MERKLE_H_
