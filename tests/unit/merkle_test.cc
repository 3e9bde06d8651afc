#include "gateway/audit/merkle.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/test_paths.h"

namespace ketenpoort::audit::merkle {
namespace {

std::string FromHex(const std::string& hex) {
  if (hex == "-") return "";
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

Hash HashFromHex(const std::string& hex) {
  Hash hash{};
  const std::string bytes = FromHex(hex);
  std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

// Lines of a vector file, split on spaces, without comments.
std::vector<std::vector<std::string>> ReadVectors(const std::string& name) {
  std::ifstream in(testing::SourceDir() + "/tests/data/merkle/" + name);
  EXPECT_TRUE(in) << name;
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::vector<std::string> row;
    for (std::string word; words >> word;) row.push_back(word);
    rows.push_back(row);
  }
  return rows;
}

class MerkleVectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& row : ReadVectors("leaves.txt")) leaves_.push_back(HashLeaf(FromHex(row[0])));
    ASSERT_EQ(leaves_.size(), 8u);
  }
  SubtreeRoot Root() const {
    return [this](uint64_t begin, uint64_t end) { return RootOf(leaves_, begin, end); };
  }
  Hash TreeRoot(uint64_t size) const { return RootOf(leaves_, 0, size); }
  std::vector<Hash> Proof(const std::vector<std::string>& row) const {
    std::vector<Hash> proof;
    for (size_t i = 2; i < row.size(); ++i) proof.push_back(HashFromHex(row[i]));
    return proof;
  }

  std::vector<Hash> leaves_;
};

TEST_F(MerkleVectorsTest, RootsMatchTheReferenceForEverySize) {
  for (const auto& row : ReadVectors("roots.txt")) {
    const uint64_t size = std::stoull(row[0]);
    EXPECT_EQ(crypto::ToHex(TreeRoot(size)), row[1]) << "size " << size;
  }
}

TEST_F(MerkleVectorsTest, InclusionProofsMatchTheReferenceAndVerify) {
  for (const auto& row : ReadVectors("inclusion.txt")) {
    const uint64_t index = std::stoull(row[0]);
    const uint64_t size = std::stoull(row[1]);
    const std::vector<Hash> expected = Proof(row);
    EXPECT_EQ(InclusionProof(index, size, Root()), expected) << index << "/" << size;
    EXPECT_TRUE(VerifyInclusion(index, size, leaves_[index], expected, TreeRoot(size)));
  }
}

TEST_F(MerkleVectorsTest, ConsistencyProofsMatchTheReferenceAndVerify) {
  for (const auto& row : ReadVectors("consistency.txt")) {
    const uint64_t old_size = std::stoull(row[0]);
    const uint64_t new_size = std::stoull(row[1]);
    const std::vector<Hash> expected = Proof(row);
    EXPECT_EQ(ConsistencyProof(old_size, new_size, Root()), expected)
        << old_size << "/" << new_size;
    EXPECT_TRUE(
        VerifyConsistency(old_size, new_size, TreeRoot(old_size), TreeRoot(new_size), expected));
  }
}

TEST_F(MerkleVectorsTest, EveryGeneratedProofVerifies) {
  for (uint64_t size = 1; size <= 8; ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      EXPECT_TRUE(VerifyInclusion(index, size, leaves_[index], InclusionProof(index, size, Root()),
                                  TreeRoot(size)))
          << index << "/" << size;
    }
    for (uint64_t old_size = 0; old_size <= size; ++old_size) {
      EXPECT_TRUE(VerifyConsistency(old_size, size, TreeRoot(old_size), TreeRoot(size),
                                    ConsistencyProof(old_size, size, Root())))
          << old_size << "/" << size;
    }
  }
}

// Adversarial proofs: every mutation of a valid proof must fail.
std::vector<std::vector<Hash>> Mutations(const std::vector<Hash>& proof) {
  std::vector<std::vector<Hash>> out;
  for (size_t i = 0; i < proof.size(); ++i) {
    for (size_t bit : {0u, 7u, 255u}) {
      auto flipped = proof;
      flipped[i][bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      out.push_back(flipped);
    }
    auto removed = proof;
    removed.erase(removed.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(removed);
  }
  auto added = proof;
  added.push_back(EmptyRoot());
  out.push_back(added);
  auto prepended = proof;
  prepended.insert(prepended.begin(), EmptyRoot());
  out.push_back(prepended);
  if (!proof.empty()) out.push_back(std::vector<Hash>(proof.begin(), proof.end() - 1));
  return out;
}

TEST_F(MerkleVectorsTest, AdversarialInclusionProofsFail) {
  for (uint64_t size = 1; size <= 8; ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      const auto proof = InclusionProof(index, size, Root());
      const Hash root = TreeRoot(size);
      const Hash leaf = leaves_[index];
      for (const auto& bad : Mutations(proof)) {
        EXPECT_FALSE(VerifyInclusion(index, size, leaf, bad, root)) << index << "/" << size;
      }
      if (index + 1 < size) {
        EXPECT_FALSE(VerifyInclusion(index + 1, size, leaf, proof, root));
      }
      if (index > 0) {
        EXPECT_FALSE(VerifyInclusion(index - 1, size, leaf, proof, root));
      }
      EXPECT_FALSE(VerifyInclusion(index, size * 2, leaf, proof, root)) << index << "/" << size;
      if (size > 1) {
        EXPECT_FALSE(VerifyInclusion(index, size / 2, leaf, proof, root));
      }
      EXPECT_FALSE(VerifyInclusion(index, size, HashLeaf("forged"), proof, root));
      EXPECT_FALSE(VerifyInclusion(index, size, leaf, proof, EmptyRoot()));
    }
  }
}

TEST_F(MerkleVectorsTest, AdversarialConsistencyProofsFail) {
  for (uint64_t size = 2; size <= 8; ++size) {
    for (uint64_t old_size = 1; old_size < size; ++old_size) {
      const auto proof = ConsistencyProof(old_size, size, Root());
      const Hash old_root = TreeRoot(old_size);
      const Hash new_root = TreeRoot(size);
      for (const auto& bad : Mutations(proof)) {
        EXPECT_FALSE(VerifyConsistency(old_size, size, old_root, new_root, bad))
            << old_size << "/" << size;
      }
      EXPECT_FALSE(VerifyConsistency(old_size, size, new_root, new_root, proof));
      EXPECT_FALSE(VerifyConsistency(old_size, size, old_root, old_root, proof));
      EXPECT_FALSE(VerifyConsistency(size, old_size, new_root, old_root, proof));
      if (old_size + 1 < size) {
        EXPECT_FALSE(VerifyConsistency(old_size + 1, size, old_root, new_root, proof));
      }
      EXPECT_FALSE(VerifyConsistency(old_size, size * 2, old_root, new_root, proof));
    }
  }
}

TEST(MerkleTest, SplitPointIsTheLargestSmallerPowerOfTwo) {
  EXPECT_EQ(SplitPoint(2), 1u);
  EXPECT_EQ(SplitPoint(7), 4u);
  EXPECT_EQ(SplitPoint(8), 4u);
  EXPECT_EQ(SplitPoint(63), 32u);
  EXPECT_EQ(SplitPoint(28937), 16384u);
}

}  // namespace
}  // namespace ketenpoort::audit::merkle
