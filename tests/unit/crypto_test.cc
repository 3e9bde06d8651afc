#include "gateway/common/crypto.h"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <random>
#include <string>

namespace ketenpoort::crypto {
namespace {

std::string Hmac(std::string_view key, std::string_view data) {
  return ToHex(HmacSha256(key, data));
}

// RFC 4231, section 4: test cases 1, 2 and 6 (a key longer than a block).
TEST(HmacSha256Test, MatchesRfc4231) {
  EXPECT_EQ(Hmac(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hmac("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(
      Hmac(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// Against OpenSSL's own HMAC for keys around the block size (64 bytes),
// where the padding and the hashing of long keys change.
TEST(HmacSha256Test, MatchesOpenSslForKeysAroundTheBlockSize) {
  std::mt19937 random(8);
  for (size_t key_size = 0; key_size <= 130; ++key_size) {
    std::string key(key_size, '\0');
    std::string data(random() % 200, '\0');
    for (char& c : key) c = static_cast<char>(random());
    for (char& c : data) c = static_cast<char>(random());
    Sha256Digest expected{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), expected.data(),
         &length);
    EXPECT_EQ(HmacSha256(key, data), expected) << "key of " << key_size << " bytes";
  }
}

}  // namespace
}  // namespace ketenpoort::crypto
