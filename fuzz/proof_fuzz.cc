// The RFC 9162 proof verifiers over arbitrary sizes, proofs and roots:
// never a crash, and a proof the builder made for a real tree verifies,
// while the same proof against any other leaf or root does not.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "gateway/audit/merkle.h"

namespace merkle = ketenpoort::audit::merkle;

namespace {

merkle::Hash ConsumeHash(FuzzedDataProvider& input) {
  merkle::Hash hash{};
  for (auto& byte : hash) byte = input.ConsumeIntegral<uint8_t>();
  return hash;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  // Arbitrary claims: the verifiers must only say no.
  {
    const uint64_t index = input.ConsumeIntegral<uint64_t>();
    const uint64_t tree_size = input.ConsumeIntegral<uint64_t>();
    const uint64_t old_size = input.ConsumeIntegral<uint64_t>();
    std::vector<merkle::Hash> proof(input.ConsumeIntegralInRange<size_t>(0, 70));
    for (auto& hash : proof) hash = ConsumeHash(input);
    const merkle::Hash a = ConsumeHash(input);
    const merkle::Hash b = ConsumeHash(input);
    (void)merkle::VerifyInclusion(index, tree_size, a, proof, b);
    (void)merkle::VerifyConsistency(old_size, tree_size, a, b, proof);
  }
  // A real tree of up to 300 leaves: honest proofs verify, tampered ones not.
  const uint64_t leaves = input.ConsumeIntegralInRange<uint64_t>(1, 300);
  std::vector<merkle::Hash> hashes;
  for (uint64_t i = 0; i < leaves; ++i) {
    hashes.push_back(merkle::HashLeaf(std::string(1, static_cast<char>(i)) + std::to_string(i)));
  }
  const merkle::SubtreeRoot subtree = [&](uint64_t begin, uint64_t end) {
    return merkle::RootOf(hashes, begin, end);
  };
  const merkle::Hash root = merkle::RootOf(hashes, 0, leaves);
  const uint64_t index = input.ConsumeIntegralInRange<uint64_t>(0, leaves - 1);
  const std::vector<merkle::Hash> inclusion = merkle::InclusionProof(index, leaves, subtree);
  if (!merkle::VerifyInclusion(index, leaves, hashes[index], inclusion, root)) std::abort();
  const merkle::Hash other = ConsumeHash(input);
  if (other != hashes[index] && merkle::VerifyInclusion(index, leaves, other, inclusion, root)) {
    std::abort();
  }
  const uint64_t old_size = input.ConsumeIntegralInRange<uint64_t>(1, leaves);
  const std::vector<merkle::Hash> consistency = merkle::ConsistencyProof(old_size, leaves, subtree);
  const merkle::Hash old_root = merkle::RootOf(hashes, 0, old_size);
  if (!merkle::VerifyConsistency(old_size, leaves, old_root, root, consistency)) std::abort();
  if (other != old_root && old_size != leaves &&
      merkle::VerifyConsistency(old_size, leaves, other, root, consistency)) {
    std::abort();
  }
  return 0;
}
