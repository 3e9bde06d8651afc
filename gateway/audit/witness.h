// A witness for the audit log: it keeps the last checkpoint it cosigned and
// cosigns a newer one only with a consistency proof from it, so a log that
// was rolled back or forked never gets its cosignature again. Anyone
// holding the witness's verifier key can then check that a checkpoint they
// were shown is one the witness saw (and so that every party was shown the
// same log).
//
// Cosignatures follow C2SP tlog-cosignature: a signed-note line
//
//   — <witness name> base64(key ID || timestamp || Ed25519 signature)
//
// with key ID = SHA-256(name || 0x0A || 0x04 || public key)[:4], timestamp
// a big-endian uint64 of seconds since the epoch, and the signature over
//
//   "cosignature/v1\ntime <timestamp>\n" || <the checkpoint's note text>
//
// The witness needs nothing from the gateway's operator but read access to
// AuditService (GetCheckpoint, GetConsistencyProof) and the log's verifier
// key: an independent party, such as the data-protection authority, can
// run it with its own key and its own state file.
#ifndef KETENPOORT_GATEWAY_AUDIT_WITNESS_H_
#define KETENPOORT_GATEWAY_AUDIT_WITNESS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/audit/checkpoint.h"
#include "gateway/common/ed25519.h"

namespace ketenpoort::audit {

// The text a note's signatures cover: everything before its blank line,
// with the final newline. INVALID_ARGUMENT CHECKPOINT_MALFORMED without one.
absl::StatusOr<std::string_view> NoteText(std::string_view note);

class WitnessSigner {
 public:
  WitnessSigner(std::string name, crypto::Ed25519PrivateKey key);
  // "<name>+<hex key ID>+base64(0x04 || public key)".
  std::string VerifierKey() const;
  // The cosignature line (ending in a newline) for `note` at `timestamp`.
  absl::StatusOr<std::string> Cosign(std::string_view note, uint64_t timestamp) const;

 private:
  std::string name_;
  crypto::Ed25519PrivateKey key_;
  std::string key_id_;
};

class CosignatureVerifier {
 public:
  static absl::StatusOr<CosignatureVerifier> FromVerifierKey(std::string_view verifier_key);
  // The timestamp of this witness's cosignature on `note`. PERMISSION_DENIED
  // WITNESS_NOT_COSIGNED when there is none that verifies.
  absl::StatusOr<uint64_t> Verify(std::string_view note) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string public_key_;
  std::string key_id_;
};

// Whether a witness that last cosigned `previous` (empty: never) may
// cosign `next`, given a consistency proof between their sizes. Both must
// carry the log's signature. The new checkpoint when it may;
// FAILED_PRECONDITION WITNESS_ROLLBACK when `next` is smaller, DATA_LOSS
// WITNESS_FORK when it is not an extension of `previous`.
absl::StatusOr<Checkpoint> CheckAdvance(const CheckpointVerifier& log, std::string_view previous,
                                        std::string_view next,
                                        const std::vector<merkle::Hash>& proof);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_WITNESS_H_
