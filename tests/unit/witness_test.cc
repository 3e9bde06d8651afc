// The witness cosigns only a log that grows: every rollback or fork is
// refused, and a cosignature checks only for the note it was made for.
#include "gateway/audit/witness.h"

#include <gtest/gtest.h>

#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "tests/support/test_signer.h"

namespace ketenpoort::audit {
namespace {

class WitnessTest : public ::testing::Test {
 protected:
  WitnessTest()
      : log_signer_(testing::TestCheckpointSigner()),
        log_(*CheckpointVerifier::FromVerifierKey(log_signer_.VerifierKey())),
        witness_("witness.test", crypto::Ed25519PrivateKey::Generate()) {
    for (int i = 0; i < 20; ++i) leaves_.push_back(merkle::HashLeaf("entry " + std::to_string(i)));
  }

  merkle::Hash Root(const std::vector<merkle::Hash>& leaves, uint64_t size) const {
    return merkle::RootOf(leaves, 0, size);
  }
  std::string Note(uint64_t size) const { return NoteOf(leaves_, size); }
  std::string NoteOf(const std::vector<merkle::Hash>& leaves, uint64_t size) const {
    return log_signer_.Sign(size, Root(leaves, size));
  }
  std::vector<merkle::Hash> Proof(uint64_t old_size, uint64_t new_size) const {
    return merkle::ConsistencyProof(old_size, new_size, [this](uint64_t begin, uint64_t end) {
      return merkle::RootOf(leaves_, begin, end);
    });
  }

  CheckpointSigner log_signer_;
  CheckpointVerifier log_;
  WitnessSigner witness_;
  std::vector<merkle::Hash> leaves_;
};

TEST_F(WitnessTest, ACosignatureVerifiesForItsNoteOnly) {
  const std::string note = Note(7);
  const std::string cosigned = note + *witness_.Cosign(note, 1'700'000'000);
  auto verifier = CosignatureVerifier::FromVerifierKey(witness_.VerifierKey());
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_EQ(*verifier->Verify(cosigned), 1'700'000'000u);
  // The log's own signature still verifies beside it.
  EXPECT_EQ(log_.Open(cosigned)->size, 7u);
  // Moved onto another checkpoint, it does not.
  const std::string other = Note(8);
  const std::string line = cosigned.substr(note.size());
  EXPECT_EQ(ErrorReason(verifier->Verify(other + line).status()), "WITNESS_NOT_COSIGNED");
  // Nor under another witness's key with the same name.
  const WitnessSigner impostor("witness.test", crypto::Ed25519PrivateKey::Generate());
  auto theirs = CosignatureVerifier::FromVerifierKey(impostor.VerifierKey());
  EXPECT_FALSE(theirs->Verify(cosigned).ok());
}

TEST_F(WitnessTest, TheCosignatureHasTheC2spLayout) {
  const std::string line = *witness_.Cosign(Note(3), 42);
  const std::string prefix = "\xE2\x80\x94 witness.test ";
  ASSERT_EQ(line.substr(0, prefix.size()), prefix);
  auto blob = crypto::Base64Decode(line.substr(prefix.size(), line.size() - prefix.size() - 1));
  ASSERT_TRUE(blob.ok());
  ASSERT_EQ(blob->size(), 4u + 8u + 64u);  // key ID, timestamp, signature
  EXPECT_EQ(blob->substr(4, 8), std::string("\0\0\0\0\0\0\0\x2a", 8));
  // The verifier key's type byte is 0x04 (cosignature/v1).
  // (name+id+key: the key's base64 may itself hold a '+').
  const std::string key = witness_.VerifierKey();
  const size_t key_start = key.find('+', key.find('+') + 1) + 1;
  EXPECT_EQ((*crypto::Base64Decode(key.substr(key_start)))[0], '\x04');
}

TEST_F(WitnessTest, AGrowingLogIsCosigned) {
  EXPECT_EQ(CheckAdvance(log_, "", Note(5), {})->size, 5u);
  EXPECT_EQ(CheckAdvance(log_, Note(5), Note(13), Proof(5, 13))->size, 13u);
  EXPECT_EQ(CheckAdvance(log_, Note(13), Note(13), {})->size, 13u);
}

TEST_F(WitnessTest, ASmallerLogIsARollback) {
  EXPECT_EQ(ErrorReason(CheckAdvance(log_, Note(13), Note(5), {}).status()), "WITNESS_ROLLBACK");
}

TEST_F(WitnessTest, AnotherHistoryIsAFork) {
  std::vector<merkle::Hash> forked = leaves_;
  forked[3] = merkle::HashLeaf("rewritten");
  // Same size, other root.
  EXPECT_EQ(ErrorReason(CheckAdvance(log_, Note(13), NoteOf(forked, 13), {}).status()),
            "WITNESS_FORK");
  // Larger, with the honest log's proof: it does not connect the two.
  EXPECT_EQ(ErrorReason(CheckAdvance(log_, Note(5), NoteOf(forked, 13), Proof(5, 13)).status()),
            "WITNESS_FORK");
  // Larger, with no proof at all.
  EXPECT_EQ(ErrorReason(CheckAdvance(log_, Note(5), Note(13), {}).status()), "WITNESS_FORK");
}

TEST_F(WitnessTest, ACheckpointTheLogDidNotSignIsRefused) {
  const CheckpointSigner other("ketenpoort.test/audit", crypto::Ed25519PrivateKey::Generate());
  EXPECT_FALSE(CheckAdvance(log_, "", other.Sign(5, Root(leaves_, 5)), {}).ok());
}

}  // namespace
}  // namespace ketenpoort::audit
