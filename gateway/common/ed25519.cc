#include "gateway/common/ed25519.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>

#include "gateway/common/error.h"

namespace ketenpoort::crypto {
namespace {

absl::Status BadKey(std::string_view what) {
  return MakeError(absl::StatusCode::kFailedPrecondition, "CHECKPOINT_KEY_INVALID",
                   std::string(what));
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

void PkeyDeleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

absl::StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromPemFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return BadKey("cannot read checkpoint signing key " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  auto key = FromPem(buffer.str());
  if (!key.ok()) return BadKey(path + ": " + std::string(key.status().message()));
  return key;
}

absl::StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromPem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!key) return BadKey("not a PEM private key");
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) return BadKey("not an Ed25519 key");
  return Ed25519PrivateKey(std::move(key));
}

Ed25519PrivateKey Ed25519PrivateKey::Generate() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  EVP_PKEY* key = nullptr;
  EVP_PKEY_keygen_init(ctx);
  EVP_PKEY_keygen(ctx, &key);
  EVP_PKEY_CTX_free(ctx);
  return Ed25519PrivateKey(PkeyPtr(key));
}

std::string Ed25519PrivateKey::Sign(std::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  std::string signature(64, '\0');
  size_t length = signature.size();
  EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get());
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                 reinterpret_cast<const unsigned char*>(message.data()), message.size());
  signature.resize(length);
  return signature;
}

std::string Ed25519PrivateKey::PublicKey() const {
  std::string raw(32, '\0');
  size_t length = raw.size();
  EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(raw.data()), &length);
  raw.resize(length);
  return raw;
}

bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature) {
  if (public_key.size() != 32 || signature.size() != 64) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char*>(public_key.data()),
                                          public_key.size()));
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace ketenpoort::crypto
