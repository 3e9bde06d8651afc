#include "gateway/handover/envelope.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace ketenpoort::handover {
namespace {

const MasterKey& Key() {
  static const MasterKey* key = new MasterKey(MasterKey::FromBytes(std::string(32, '\x07')));
  return *key;
}

TEST(EnvelopeTest, SealedPackageOpensOnlyForItsOwnIdWithTheSameKey) {
  const std::string plaintext = "synthetic dossier of Rasha Haddad";
  auto sealed = Key().Seal("ho-1", plaintext);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->ciphertext.find("Rasha"), std::string::npos);
  auto opened = Key().Open("ho-1", *sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, plaintext);

  // Moved to another row: the id is bound in, so it does not open.
  EXPECT_EQ(Key().Open("ho-2", *sealed).status().code(), absl::StatusCode::kDataLoss);
  // Another master key does not open it either.
  const MasterKey other = MasterKey::FromBytes(std::string(32, '\x08'));
  EXPECT_EQ(other.Open("ho-1", *sealed).status().code(), absl::StatusCode::kDataLoss);
}

TEST(EnvelopeTest, EveryAlteredByteIsDetected) {
  auto sealed = Key().Seal("ho-1", "synthetic");
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->ciphertext.size(); ++i) {
    SealedPackage altered = *sealed;
    altered.ciphertext[i] ^= 0x01;
    EXPECT_FALSE(Key().Open("ho-1", altered).ok()) << "byte " << i;
  }
  SealedPackage wrapped = *sealed;
  wrapped.wrapped_key[20] ^= 0x01;
  EXPECT_FALSE(Key().Open("ho-1", wrapped).ok());
  SealedPackage truncated = *sealed;
  truncated.ciphertext.resize(10);
  EXPECT_FALSE(Key().Open("ho-1", truncated).ok());
}

TEST(EnvelopeTest, EachPackageGetsItsOwnDataKeyAndNonce) {
  auto a = Key().Seal("ho-1", "same text");
  auto b = Key().Seal("ho-1", "same text");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->ciphertext, b->ciphertext);
  EXPECT_NE(a->wrapped_key, b->wrapped_key);
}

TEST(EnvelopeTest, MasterKeyFileMustHoldExactly64HexDigits) {
  testing::TempDir dir;
  auto good = MasterKey::Load(dir.Write("good.key", std::string(64, 'a') + "\n"));
  EXPECT_TRUE(good.ok()) << good.status();
  for (const std::string& bad :
       {std::string(63, 'a'), std::string(64, 'g'), std::string(66, 'a'), std::string("")}) {
    auto key = MasterKey::Load(dir.Write("bad.key", bad));
    ASSERT_FALSE(key.ok()) << bad;
    EXPECT_NE(std::string(key.status().message()).find(dir.File("bad.key")), std::string::npos);
  }
  EXPECT_EQ(MasterKey::Load(dir.File("missing.key")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ketenpoort::handover
