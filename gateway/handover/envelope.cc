#include "gateway/handover/envelope.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>

#include "gateway/common/error.h"

namespace ketenpoort::handover {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr char kKeyWrapLabel[] = "ketenpoort handover data key:";
constexpr char kPackageLabel[] = "ketenpoort handover package:";

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// A string wiped before it is freed, for data keys.
struct SecretBytes {
  std::string bytes;
  ~SecretBytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

absl::Status CryptoError(std::string_view what) {
  return MakeError(absl::StatusCode::kInternal, "CRYPTO_FAILED",
                   "hand-over encryption failed: " + std::string(what));
}

absl::Status NotOpenable() {
  return MakeError(absl::StatusCode::kDataLoss, "HANDOVER_UNREADABLE",
                   "a hand-over package does not decrypt: the store was altered or the master key "
                   "is not the one it was sealed with");
}

absl::StatusOr<std::string> GcmSeal(std::string_view key, std::string_view aad,
                                    std::string_view plaintext) {
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(bytes, kNonceBytes) != 1) return CryptoError("no randomness");
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()), bytes) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), bytes + kNonceBytes, &length,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes + kNonceBytes + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          bytes + kNonceBytes + plaintext.size()) != 1) {
    return CryptoError("AES-256-GCM seal");
  }
  return out;
}

absl::StatusOr<std::string> GcmOpen(std::string_view key, std::string_view aad,
                                    std::string_view sealed) {
  if (sealed.size() < kNonceBytes + kTagBytes) return NotOpenable();
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
  const size_t body = sealed.size() - kNonceBytes - kTagBytes;
  std::string out(body, '\0');
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  unsigned char tag[kTagBytes];
  std::copy(bytes + kNonceBytes + body, bytes + sealed.size(), tag);
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()), bytes) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &length,
                        bytes + kNonceBytes, static_cast<int>(body)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + length,
                          &length) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return NotOpenable();
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<MasterKey> MasterKey::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "KEY_FILE_UNREADABLE",
                     "cannot read the hand-over master key file " + path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  SecretBytes text{buffer.str()};
  while (!text.bytes.empty() && std::isspace(static_cast<unsigned char>(text.bytes.back()))) {
    text.bytes.pop_back();
  }
  auto bad = [&path] {
    return MakeError(
        absl::StatusCode::kFailedPrecondition, "KEY_FILE_INVALID",
        "hand-over master key file " + path + " must hold 64 hex digits (openssl rand -hex 32)");
  };
  if (text.bytes.size() != 2 * kKeyBytes) return bad();
  std::string key(kKeyBytes, '\0');
  for (size_t i = 0; i < kKeyBytes; ++i) {
    const int high = HexValue(text.bytes[2 * i]);
    const int low = HexValue(text.bytes[2 * i + 1]);
    if (high < 0 || low < 0) {
      OPENSSL_cleanse(key.data(), key.size());
      return bad();
    }
    key[i] = static_cast<char>(high * 16 + low);
  }
  return MasterKey(std::move(key));
}

MasterKey MasterKey::FromBytes(std::string_view key32) { return MasterKey(std::string(key32)); }

MasterKey::MasterKey(MasterKey&& other) noexcept : key_(std::move(other.key_)) {
  other.key_.clear();
}

MasterKey& MasterKey::operator=(MasterKey&& other) noexcept {
  if (this != &other) {
    OPENSSL_cleanse(key_.data(), key_.size());
    key_ = std::move(other.key_);
    other.key_.clear();
  }
  return *this;
}

MasterKey::~MasterKey() { OPENSSL_cleanse(key_.data(), key_.size()); }

absl::StatusOr<SealedPackage> MasterKey::Seal(std::string_view id,
                                              std::string_view plaintext) const {
  if (key_.size() != kKeyBytes) return CryptoError("master key is not 32 bytes");
  SecretBytes data_key{std::string(kKeyBytes, '\0')};
  if (RAND_bytes(reinterpret_cast<unsigned char*>(data_key.bytes.data()), kKeyBytes) != 1) {
    return CryptoError("no randomness");
  }
  SealedPackage sealed;
  absl::StatusOr<std::string> wrapped =
      GcmSeal(key_, std::string(kKeyWrapLabel) + std::string(id), data_key.bytes);
  if (!wrapped.ok()) return wrapped.status();
  absl::StatusOr<std::string> body =
      GcmSeal(data_key.bytes, std::string(kPackageLabel) + std::string(id), plaintext);
  if (!body.ok()) return body.status();
  sealed.wrapped_key = *std::move(wrapped);
  sealed.ciphertext = *std::move(body);
  return sealed;
}

absl::StatusOr<std::string> MasterKey::Open(std::string_view id,
                                            const SealedPackage& sealed) const {
  absl::StatusOr<std::string> unwrapped =
      GcmOpen(key_, std::string(kKeyWrapLabel) + std::string(id), sealed.wrapped_key);
  if (!unwrapped.ok()) return unwrapped.status();
  SecretBytes data_key{*std::move(unwrapped)};
  if (data_key.bytes.size() != kKeyBytes) return NotOpenable();
  return GcmOpen(data_key.bytes, std::string(kPackageLabel) + std::string(id), sealed.ciphertext);
}

}  // namespace ketenpoort::handover
