// Signed checkpoints of the audit tree: the C2SP tlog-checkpoint body
//
//   <origin>\n<tree size>\n<base64 root hash>\n
//
// in a C2SP signed-note with one Ed25519 signature line
//
//   \n— <key name> base64(key ID || signature)\n
//
// where the key name is the origin and the key ID is
// SHA-256(key name || 0x0A || 0x01 || public key)[:4]. Anyone holding the
// verifier key ("<name>+<hex key ID>+base64(0x01 || public key)") can check
// a checkpoint without trusting the gateway's store.
#ifndef KETENPOORT_GATEWAY_AUDIT_CHECKPOINT_H_
#define KETENPOORT_GATEWAY_AUDIT_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/audit/merkle.h"
#include "gateway/common/ed25519.h"

namespace ketenpoort::audit {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  merkle::Hash root{};
  // C2SP extension lines after the root, each without its newline: what
  // the signer states along with the tree (an access report's person).
  std::vector<std::string> extensions;
};

std::string FormatCheckpointBody(const Checkpoint& checkpoint);
// INVALID_ARGUMENT with what is wrong; extension lines are kept, not judged.
absl::StatusOr<Checkpoint> ParseCheckpointBody(std::string_view body);

class CheckpointSigner {
 public:
  CheckpointSigner(std::string origin, crypto::Ed25519PrivateKey key);

  const std::string& origin() const { return origin_; }
  std::string VerifierKey() const;
  // The signed note for the tree of `size` leaves with `root`, and the
  // `extensions` lines (non-empty, printable, no newline) after it.
  std::string Sign(uint64_t size, const merkle::Hash& root,
                   const std::vector<std::string>& extensions = {}) const;

 private:
  std::string origin_;
  crypto::Ed25519PrivateKey key_;
  std::string key_id_;  // 4 bytes
};

class CheckpointVerifier {
 public:
  // From a C2SP verifier key string.
  static absl::StatusOr<CheckpointVerifier> FromVerifierKey(std::string_view verifier_key);

  // Checks the note's signature by this key and parses its body, whose
  // origin must be the key's name. PERMISSION_DENIED when no signature by
  // this key verifies; INVALID_ARGUMENT for a malformed note.
  absl::StatusOr<Checkpoint> Open(std::string_view note) const;
  const std::string& origin() const { return name_; }

 private:
  std::string name_;
  std::string key_id_;
  std::string public_key_;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_CHECKPOINT_H_
