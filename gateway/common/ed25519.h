// Ed25519 keys via OpenSSL 3, for signing audit checkpoints.
#ifndef KETENPOORT_GATEWAY_COMMON_ED25519_H_
#define KETENPOORT_GATEWAY_COMMON_ED25519_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace ketenpoort::crypto {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

class Ed25519PrivateKey {
 public:
  // A PEM "PRIVATE KEY" file, as written by `openssl genpkey -algorithm ed25519`.
  static absl::StatusOr<Ed25519PrivateKey> FromPemFile(const std::string& path);
  static absl::StatusOr<Ed25519PrivateKey> FromPem(std::string_view pem);
  // A fresh random key, for tests and benchmarks.
  static Ed25519PrivateKey Generate();

  // 64-byte RFC 8032 signature.
  std::string Sign(std::string_view message) const;
  // The 32-byte RFC 8032 public key.
  std::string PublicKey() const;

 private:
  explicit Ed25519PrivateKey(PkeyPtr key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// True if `signature` is a valid signature of `message` under the 32-byte
// `public_key`.
bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature);

}  // namespace ketenpoort::crypto

#endif  // KETENPOORT_GATEWAY_COMMON_ED25519_H_
