#include "gateway/audit/merkle.h"

#include <bit>

namespace ketenpoort::audit::merkle {
namespace {

constexpr char kLeafPrefix = '\x00';
constexpr char kNodePrefix = '\x01';

void Path(uint64_t index, uint64_t begin, uint64_t end, const SubtreeRoot& root,
          std::vector<Hash>* proof) {
  if (end - begin == 1) return;
  const uint64_t k = SplitPoint(end - begin);
  if (index < k) {
    Path(index, begin, begin + k, root, proof);
    proof->push_back(root(begin + k, end));
  } else {
    Path(index - k, begin + k, end, root, proof);
    proof->push_back(root(begin, begin + k));
  }
}

// SUBPROOF(m, D[begin:end], have_root) of RFC 6962 section 2.1.2.
void SubProof(uint64_t m, uint64_t begin, uint64_t end, bool have_root, const SubtreeRoot& root,
              std::vector<Hash>* proof) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (!have_root) proof->push_back(root(begin, end));
    return;
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(m, begin, begin + k, have_root, root, proof);
    proof->push_back(root(begin + k, end));
  } else {
    SubProof(m - k, begin + k, end, false, root, proof);
    proof->push_back(root(begin, begin + k));
  }
}

bool Odd(uint64_t x) { return (x & 1) != 0; }

}  // namespace

Hash HashLeaf(std::string_view leaf) {
  return crypto::Sha256({std::string_view(&kLeafPrefix, 1), leaf});
}

Hash HashChildren(const Hash& left, const Hash& right) {
  return crypto::Sha256(
      {std::string_view(&kNodePrefix, 1), crypto::AsBytes(left), crypto::AsBytes(right)});
}

Hash EmptyRoot() { return crypto::Sha256(std::string_view()); }

uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

std::vector<Hash> InclusionProof(uint64_t index, uint64_t size, const SubtreeRoot& root) {
  std::vector<Hash> proof;
  if (index < size) Path(index, 0, size, root, &proof);
  return proof;
}

std::vector<Hash> ConsistencyProof(uint64_t old_size, uint64_t new_size, const SubtreeRoot& root) {
  std::vector<Hash> proof;
  if (old_size > 0 && old_size < new_size) SubProof(old_size, 0, new_size, true, root, &proof);
  return proof;
}

bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                     const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size) return false;
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if (Odd(fn) || fn == sn) {
      r = HashChildren(p, r);
      if (!Odd(fn)) {
        while (!Odd(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                       const Hash& new_root, const std::vector<Hash>& proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();
  if (proof.empty()) return false;

  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  // When the old tree is a perfect subtree, its root is the proof's start.
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());

  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while (Odd(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if (Odd(fn) || fn == sn) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      if (!Odd(fn)) {
        while (!Odd(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == old_root && sr == new_root;
}

Hash RootOf(const std::vector<Hash>& leaf_hashes, uint64_t begin, uint64_t end) {
  if (begin >= end) return EmptyRoot();
  if (end - begin == 1) return leaf_hashes[begin];
  const uint64_t k = SplitPoint(end - begin);
  return HashChildren(RootOf(leaf_hashes, begin, begin + k), RootOf(leaf_hashes, begin + k, end));
}

}  // namespace ketenpoort::audit::merkle
