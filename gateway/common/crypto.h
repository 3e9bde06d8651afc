// Thin wrappers over OpenSSL for the digests the gateway needs.
#ifndef KETENPOORT_GATEWAY_COMMON_CRYPTO_H_
#define KETENPOORT_GATEWAY_COMMON_CRYPTO_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ketenpoort::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);
// SHA-256 over the concatenation of the parts, without copying them.
Sha256Digest Sha256(std::initializer_list<std::string_view> parts);
Sha256Digest HmacSha256(std::string_view key, std::string_view data);

std::string ToHex(std::string_view bytes);
// Standard base64 (RFC 4648 section 4), with padding.
std::string Base64Encode(std::string_view bytes);
// INVALID_ARGUMENT unless `text` is canonical padded base64.
absl::StatusOr<std::string> Base64Decode(std::string_view text);
std::string ToHex(const Sha256Digest& digest);
std::string_view AsBytes(const Sha256Digest& digest);

// Reads a secret key file: at least 32 bytes after trimming trailing
// whitespace. The key is never logged.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path);

}  // namespace ketenpoort::crypto

#endif  // KETENPOORT_GATEWAY_COMMON_CRYPTO_H_
