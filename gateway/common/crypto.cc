#include "gateway/common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "gateway/common/error.h"

namespace ketenpoort::crypto {

Sha256Digest Sha256(std::string_view data) { return Sha256({data}); }

namespace {

// OpenSSL 3 looks a digest up (under a lock) on every EVP_sha256() init,
// and a fresh context costs an allocation: the audit log hashes millions
// of leaves, so fetch once and keep one context per thread.
const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct ContextFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* ThreadContext() {
  thread_local std::unique_ptr<EVP_MD_CTX, ContextFree> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

}  // namespace

Sha256Digest Sha256(std::initializer_list<std::string_view> parts) {
  Sha256Digest out{};
  EVP_MD_CTX* ctx = ThreadContext();
  EVP_DigestInit_ex2(ctx, Sha256Algorithm(), nullptr);
  for (std::string_view part : parts) EVP_DigestUpdate(ctx, part.data(), part.size());
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  return out;
}

// HMAC (RFC 2104) over the SHA-256 above. OpenSSL 3's HMAC() fetches the
// algorithm again on every call: 2 µs alone, more under the TLS threads'
// contention, and the gateway pseudonymises the subject of every entry.
Sha256Digest HmacSha256(std::string_view key, std::string_view data) {
  constexpr size_t kBlockSize = 64;
  std::array<char, kBlockSize> inner_pad{};
  std::array<char, kBlockSize> outer_pad{};
  Sha256Digest hashed_key{};
  if (key.size() > kBlockSize) {
    hashed_key = Sha256(key);
    key = AsBytes(hashed_key);
  }
  for (size_t i = 0; i < kBlockSize; ++i) {
    const char k = i < key.size() ? key[i] : 0;
    inner_pad[i] = static_cast<char>(k ^ 0x36);
    outer_pad[i] = static_cast<char>(k ^ 0x5c);
  }
  const Sha256Digest inner = Sha256({std::string_view(inner_pad.data(), kBlockSize), data});
  const Sha256Digest mac = Sha256({std::string_view(outer_pad.data(), kBlockSize), AsBytes(inner)});
  // The pads are the key in thin disguise: leave no copy on the stack.
  OPENSSL_cleanse(inner_pad.data(), kBlockSize);
  OPENSSL_cleanse(outer_pad.data(), kBlockSize);
  OPENSSL_cleanse(hashed_key.data(), hashed_key.size());
  return mac;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0x0f]);
  }
  return hex;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  auto invalid = [] {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_BASE64", "not valid base64");
  };
  if (text.size() % 4 != 0) return invalid();
  std::string out(text.size() / 4 * 3, '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  if (written < 0) return invalid();
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(written) - padding);
  // Reject non-canonical encodings, so one value has one spelling.
  if (Base64Encode(out) != text) return invalid();
  return out;
}

std::string ToHex(const Sha256Digest& digest) { return ToHex(AsBytes(digest)); }

std::string_view AsBytes(const Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "KEY_FILE_UNREADABLE",
                     "cannot read key file " + path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string key = buffer.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) {
    key.pop_back();
  }
  if (key.size() < 32) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "KEY_FILE_TOO_SHORT",
                     "key file " + path + " holds fewer than 32 bytes");
  }
  return key;
}

}  // namespace ketenpoort::crypto
