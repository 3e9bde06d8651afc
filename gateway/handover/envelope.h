// Envelope encryption of hand-over packages at rest.
//
// Each package gets a fresh random 256-bit data key; the package is
// sealed with AES-256-GCM under that key, and the data key is sealed
// (wrapped) with AES-256-GCM under the master key read from a file. The
// hand-over id is bound into both as associated data, so a sealed package
// or wrapped key copied to another row does not open. Purging a package
// deletes both; the master key never touches the store. Keys are never
// logged, and are wiped from memory when dropped.
#ifndef KETENPOORT_GATEWAY_HANDOVER_ENVELOPE_H_
#define KETENPOORT_GATEWAY_HANDOVER_ENVELOPE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ketenpoort::handover {

struct SealedPackage {
  std::string wrapped_key;  // nonce || AES-GCM(master, data key) || tag
  std::string ciphertext;   // nonce || AES-GCM(data key, package) || tag
};

class MasterKey {
 public:
  // The file holds 64 hex digits (`openssl rand -hex 32`), nothing else but
  // trailing whitespace. FAILED_PRECONDITION naming the file otherwise.
  static absl::StatusOr<MasterKey> Load(const std::string& path);
  static MasterKey FromBytes(std::string_view key32);
  MasterKey(MasterKey&& other) noexcept;
  MasterKey& operator=(MasterKey&& other) noexcept;
  ~MasterKey();

  // Seals `plaintext` for hand-over `id`.
  absl::StatusOr<SealedPackage> Seal(std::string_view id, std::string_view plaintext) const;
  // DATA_LOSS when the package does not open: wrong key, wrong id, or
  // altered bytes. Nothing partial is returned.
  absl::StatusOr<std::string> Open(std::string_view id, const SealedPackage& sealed) const;

 private:
  explicit MasterKey(std::string key) : key_(std::move(key)) {}
  std::string key_;  // 32 bytes
};

}  // namespace ketenpoort::handover

#endif  // KETENPOORT_GATEWAY_HANDOVER_ENVELOPE_H_
