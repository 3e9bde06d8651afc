#include "gateway/audit/checkpoint.h"

#include <gtest/gtest.h>

#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "tests/support/rfc8032_key.h"
#include "tests/support/test_signer.h"

namespace ketenpoort::audit {
namespace {

merkle::Hash SomeRoot() { return merkle::HashLeaf("some entry"); }

TEST(Ed25519Test, SignsTheRfc8032TestVector) {
  auto key = crypto::Ed25519PrivateKey::FromPem(testing::Rfc8032TestKeyPem());
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(crypto::ToHex(key->PublicKey()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const std::string signature = key->Sign("");
  EXPECT_EQ(crypto::ToHex(signature),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(crypto::Ed25519Verify(key->PublicKey(), "", signature));
  EXPECT_FALSE(crypto::Ed25519Verify(key->PublicKey(), "x", signature));
}

TEST(CheckpointTest, TheBodyIsOriginSizeAndBase64Root) {
  const std::string body = FormatCheckpointBody({"example.org/log", 42, merkle::EmptyRoot(), {}});
  EXPECT_EQ(body, "example.org/log\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
  auto parsed = ParseCheckpointBody(body + "an extension line\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->origin, "example.org/log");
  EXPECT_EQ(parsed->size, 42u);
  EXPECT_EQ(parsed->root, merkle::EmptyRoot());
  // Extension lines are kept, in order, for whoever understands them.
  EXPECT_EQ(parsed->extensions, std::vector<std::string>{"an extension line"});
  EXPECT_EQ(FormatCheckpointBody(*parsed), body + "an extension line\n");
}

TEST(CheckpointTest, RejectsMalformedBodies) {
  for (const char* body :
       {"", "origin\n", "origin\n12\n", "origin\n012\nAAAA\n",
        "origin\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "origin\n1\nnot base64\n",
        "origin\n1\nAAAA\n", "\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"}) {
    auto parsed = ParseCheckpointBody(body);
    EXPECT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(ErrorReason(parsed.status()), "CHECKPOINT_MALFORMED") << body;
  }
}

TEST(CheckpointTest, ASignedNoteOpensWithTheVerifierKey) {
  const CheckpointSigner signer = testing::TestCheckpointSigner();
  const std::string note = signer.Sign(7, SomeRoot());
  EXPECT_NE(note.find("\n\n\xE2\x80\x94 ketenpoort.test/audit "), std::string::npos) << note;
  auto key = CheckpointVerifier::FromVerifierKey(signer.VerifierKey());
  ASSERT_TRUE(key.ok()) << key.status();
  auto opened = key->Open(note);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->size, 7u);
  EXPECT_EQ(opened->root, SomeRoot());
  EXPECT_TRUE(opened->extensions.empty());

  // Signed with extension lines: they come back, under the signature.
  const std::string stated = signer.Sign(7, SomeRoot(), {"ketenpoort-report-subject ab"});
  auto with_lines = key->Open(stated);
  ASSERT_TRUE(with_lines.ok()) << with_lines.status();
  EXPECT_EQ(with_lines->extensions, std::vector<std::string>{"ketenpoort-report-subject ab"});
  std::string altered = stated;
  altered.replace(altered.find(" ab\n"), 3, " cd");
  EXPECT_FALSE(key->Open(altered).ok());
}

TEST(CheckpointTest, AnAlteredNoteDoesNotOpen) {
  const CheckpointSigner signer = testing::TestCheckpointSigner();
  std::string note = signer.Sign(7, SomeRoot());
  note.replace(note.find("\n7\n"), 3, "\n8\n");
  auto key = CheckpointVerifier::FromVerifierKey(signer.VerifierKey());
  auto opened = key->Open(note);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(opened.status()), "CHECKPOINT_SIGNATURE_INVALID");
}

TEST(CheckpointTest, ANoteSignedByAnotherKeyDoesNotOpen) {
  const CheckpointSigner other("ketenpoort.test/audit", crypto::Ed25519PrivateKey::Generate());
  auto key = CheckpointVerifier::FromVerifierKey(testing::TestCheckpointSigner().VerifierKey());
  auto opened = key->Open(other.Sign(7, SomeRoot()));
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(ErrorReason(opened.status()), "CHECKPOINT_NOT_SIGNED");
}

TEST(CheckpointTest, RejectsMalformedNotesAndKeys) {
  auto key = CheckpointVerifier::FromVerifierKey(testing::TestCheckpointSigner().VerifierKey());
  ASSERT_TRUE(key.ok());
  for (const char* note : {"", "no signature block\n", "a\n1\nAAAA\n\nnot a signature\n",
                           "a\x01\n1\n\n\xE2\x80\x94 a AAAA\n"}) {
    EXPECT_FALSE(key->Open(note).ok()) << note;
  }
  for (const char* bad : {"", "name", "name+1234+", "name+zzzzzzzz+AQ==", "na me+00000000+AQ=="}) {
    EXPECT_FALSE(CheckpointVerifier::FromVerifierKey(bad).ok()) << bad;
  }
  // A key whose id does not match its name and key bytes.
  std::string mismatched = testing::TestCheckpointSigner().VerifierKey();
  const size_t id = mismatched.find('+') + 1;
  mismatched[id] = mismatched[id] == '0' ? '1' : '0';
  EXPECT_FALSE(CheckpointVerifier::FromVerifierKey(mismatched).ok());
}

}  // namespace
}  // namespace ketenpoort::audit
