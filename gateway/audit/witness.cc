#include "gateway/audit/witness.h"

#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::audit {
namespace {

constexpr char kEmDashSpace[] = "\xE2\x80\x94 ";  // U+2014, then a space
constexpr char kCosignatureType = 0x04;           // C2SP tlog-cosignature, Ed25519

std::string KeyId(std::string_view name, std::string_view public_key) {
  const crypto::Sha256Digest digest =
      crypto::Sha256({name, "\n", std::string_view(&kCosignatureType, 1), public_key});
  return std::string(crypto::AsBytes(digest).substr(0, 4));
}

std::string BigEndian(uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 7; i >= 0; --i) {
    bytes[static_cast<size_t>(i)] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return bytes;
}

uint64_t FromBigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (const char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

std::string SignedMessage(std::string_view text, uint64_t timestamp) {
  return "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" + std::string(text);
}

absl::Status BadKey() {
  return MakeError(absl::StatusCode::kInvalidArgument, "VERIFIER_KEY_MALFORMED",
                   "a witness verifier key looks like <name>+<8 hex digits>+<base64 key>");
}

}  // namespace

absl::StatusOr<std::string_view> NoteText(std::string_view note) {
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return MakeError(absl::StatusCode::kInvalidArgument, "CHECKPOINT_MALFORMED",
                     "checkpoint has no signature block");
  }
  return note.substr(0, split + 1);
}

WitnessSigner::WitnessSigner(std::string name, crypto::Ed25519PrivateKey key)
    : name_(std::move(name)), key_(std::move(key)), key_id_(KeyId(name_, key_.PublicKey())) {}

std::string WitnessSigner::VerifierKey() const {
  return name_ + "+" + crypto::ToHex(key_id_) + "+" +
         crypto::Base64Encode(std::string(1, kCosignatureType) + key_.PublicKey());
}

absl::StatusOr<std::string> WitnessSigner::Cosign(std::string_view note, uint64_t timestamp) const {
  ASSIGN_OR_RETURN(const std::string_view text, NoteText(note));
  const std::string signature = key_.Sign(SignedMessage(text, timestamp));
  return std::string(kEmDashSpace) + name_ + " " +
         crypto::Base64Encode(key_id_ + BigEndian(timestamp) + signature) + "\n";
}

absl::StatusOr<CosignatureVerifier> CosignatureVerifier::FromVerifierKey(
    std::string_view verifier_key) {
  const size_t first = verifier_key.find('+');
  const size_t second = first == std::string_view::npos ? first : verifier_key.find('+', first + 1);
  if (first == 0 || second == std::string_view::npos) return BadKey();
  CosignatureVerifier verifier;
  verifier.name_ = std::string(verifier_key.substr(0, first));
  auto key = crypto::Base64Decode(verifier_key.substr(second + 1));
  if (!key.ok() || key->size() != 33 || (*key)[0] != kCosignatureType) return BadKey();
  verifier.public_key_ = key->substr(1);
  verifier.key_id_ = KeyId(verifier.name_, verifier.public_key_);
  if (crypto::ToHex(verifier.key_id_) != verifier_key.substr(first + 1, second - first - 1)) {
    return BadKey();
  }
  return verifier;
}

absl::StatusOr<uint64_t> CosignatureVerifier::Verify(std::string_view note) const {
  ASSIGN_OR_RETURN(const std::string_view text, NoteText(note));
  std::string_view signatures = note.substr(text.size() + 1);
  const std::string prefix = std::string(kEmDashSpace) + name_ + " ";
  while (!signatures.empty()) {
    const size_t end = signatures.find('\n');
    const std::string_view line = signatures.substr(0, end);
    signatures.remove_prefix(end == std::string_view::npos ? signatures.size() : end + 1);
    if (line.substr(0, prefix.size()) != prefix) continue;
    auto blob = crypto::Base64Decode(line.substr(prefix.size()));
    if (!blob.ok() || blob->size() != 4 + 8 + 64 || blob->substr(0, 4) != key_id_) continue;
    const uint64_t timestamp = FromBigEndian(blob->substr(4, 8));
    if (crypto::Ed25519Verify(public_key_, SignedMessage(text, timestamp), blob->substr(12))) {
      return timestamp;
    }
  }
  return MakeError(absl::StatusCode::kPermissionDenied, "WITNESS_NOT_COSIGNED",
                   "the checkpoint carries no valid cosignature by witness " + name_);
}

absl::StatusOr<Checkpoint> CheckAdvance(const CheckpointVerifier& log, std::string_view previous,
                                        std::string_view next,
                                        const std::vector<merkle::Hash>& proof) {
  ASSIGN_OR_RETURN(const Checkpoint now, log.Open(next));
  if (previous.empty()) return now;
  ASSIGN_OR_RETURN(const Checkpoint before, log.Open(previous));
  const std::string sizes = std::to_string(before.size) + " and " + std::to_string(now.size);
  if (now.size < before.size) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "WITNESS_ROLLBACK",
                     "the log now shows " + std::to_string(now.size) + " entries, fewer than the " +
                         std::to_string(before.size) +
                         " this witness cosigned: it was rolled back or replaced");
  }
  if (!merkle::VerifyConsistency(before.size, now.size, before.root, now.root, proof)) {
    return MakeError(absl::StatusCode::kDataLoss, "WITNESS_FORK",
                     "the checkpoints of sizes " + sizes +
                         " are not one log growing: the log forked or was rewritten");
  }
  return now;
}

}  // namespace ketenpoort::audit
