#include "gateway/audit/checkpoint.h"

#include <charconv>

#include "gateway/common/error.h"

namespace ketenpoort::audit {
namespace {

constexpr char kEmDashSpace[] = "\xE2\x80\x94 ";  // U+2014, then a space
constexpr char kEd25519Type = 0x01;

absl::Status Malformed(std::string_view what) {
  return MakeError(absl::StatusCode::kInvalidArgument, "CHECKPOINT_MALFORMED",
                   "checkpoint " + std::string(what));
}

std::string KeyId(std::string_view name, std::string_view public_key) {
  const crypto::Sha256Digest digest =
      crypto::Sha256({name, "\n", std::string_view(&kEd25519Type, 1), public_key});
  return std::string(crypto::AsBytes(digest).substr(0, 4));
}

bool ValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '+') return false;
  }
  return true;
}

// Splits off the next line (without its newline); false if none is left.
bool NextLine(std::string_view& text, std::string_view* line) {
  const size_t end = text.find('\n');
  if (end == std::string_view::npos) return false;
  *line = text.substr(0, end);
  text.remove_prefix(end + 1);
  return true;
}

}  // namespace

std::string FormatCheckpointBody(const Checkpoint& checkpoint) {
  std::string body = checkpoint.origin + "\n" + std::to_string(checkpoint.size) + "\n" +
                     crypto::Base64Encode(crypto::AsBytes(checkpoint.root)) + "\n";
  for (const std::string& line : checkpoint.extensions) body += line + "\n";
  return body;
}

absl::StatusOr<Checkpoint> ParseCheckpointBody(std::string_view body) {
  Checkpoint checkpoint;
  std::string_view origin, size, root;
  if (!NextLine(body, &origin) || !NextLine(body, &size) || !NextLine(body, &root)) {
    return Malformed("body needs origin, size and root lines");
  }
  if (origin.empty()) return Malformed("origin is empty");
  checkpoint.origin = std::string(origin);
  const bool canonical = !size.empty() && (size == "0" || size[0] != '0');
  auto [end, error] = std::from_chars(size.data(), size.data() + size.size(), checkpoint.size);
  if (!canonical || error != std::errc() || end != size.data() + size.size()) {
    return Malformed("size is not a decimal number");
  }
  auto hash = crypto::Base64Decode(root);
  if (!hash.ok() || hash->size() != 32) return Malformed("root is not a base64 SHA-256 hash");
  std::copy(hash->begin(), hash->end(), checkpoint.root.begin());
  std::string_view extension;
  while (NextLine(body, &extension)) {
    if (extension.empty()) return Malformed("has an empty extension line");
    checkpoint.extensions.emplace_back(extension);
  }
  return checkpoint;
}

CheckpointSigner::CheckpointSigner(std::string origin, crypto::Ed25519PrivateKey key)
    : origin_(std::move(origin)), key_(std::move(key)), key_id_(KeyId(origin_, key_.PublicKey())) {}

std::string CheckpointSigner::VerifierKey() const {
  return origin_ + "+" + crypto::ToHex(key_id_) + "+" +
         crypto::Base64Encode(std::string(1, kEd25519Type) + key_.PublicKey());
}

std::string CheckpointSigner::Sign(uint64_t size, const merkle::Hash& root,
                                   const std::vector<std::string>& extensions) const {
  const std::string body = FormatCheckpointBody({origin_, size, root, extensions});
  return body + "\n" + kEmDashSpace + origin_ + " " +
         crypto::Base64Encode(key_id_ + key_.Sign(body)) + "\n";
}

absl::StatusOr<CheckpointVerifier> CheckpointVerifier::FromVerifierKey(
    std::string_view verifier_key) {
  auto bad = [] {
    return MakeError(absl::StatusCode::kInvalidArgument, "VERIFIER_KEY_MALFORMED",
                     "a verifier key looks like <name>+<8 hex digits>+<base64 key>");
  };
  const size_t first = verifier_key.find('+');
  const size_t second = first == std::string_view::npos ? first : verifier_key.find('+', first + 1);
  if (second == std::string_view::npos) return bad();
  CheckpointVerifier verifier;
  verifier.name_ = std::string(verifier_key.substr(0, first));
  const std::string_view hex_id = verifier_key.substr(first + 1, second - first - 1);
  auto key = crypto::Base64Decode(verifier_key.substr(second + 1));
  if (!ValidKeyName(verifier.name_) || hex_id.size() != 8 || !key.ok() || key->size() != 33 ||
      (*key)[0] != kEd25519Type) {
    return bad();
  }
  verifier.public_key_ = key->substr(1);
  verifier.key_id_ = KeyId(verifier.name_, verifier.public_key_);
  if (crypto::ToHex(verifier.key_id_) != hex_id) return bad();
  return verifier;
}

absl::StatusOr<Checkpoint> CheckpointVerifier::Open(std::string_view note) const {
  for (unsigned char c : note) {
    if (c < 0x20 && c != '\n') return Malformed("contains control characters");
  }
  // The text ends at the last blank line; signature lines follow it.
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return Malformed("has no signature block");
  const std::string_view text = note.substr(0, split + 1);
  std::string_view signatures = note.substr(split + 2);
  if (signatures.empty() || signatures.back() != '\n') {
    return Malformed("signature block must end in a newline");
  }
  bool verified = false;
  std::string_view line;
  while (NextLine(signatures, &line)) {
    if (line.substr(0, 4) != kEmDashSpace) return Malformed("has a malformed signature line");
    line.remove_prefix(4);
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return Malformed("has a malformed signature line");
    auto blob = crypto::Base64Decode(line.substr(space + 1));
    if (!blob.ok() || blob->size() < 4) return Malformed("has a malformed signature");
    // Signatures by other keys (witnesses, say) are not ours to judge.
    if (line.substr(0, space) != name_ || blob->substr(0, 4) != key_id_) continue;
    if (!crypto::Ed25519Verify(public_key_, text, blob->substr(4))) {
      return MakeError(absl::StatusCode::kPermissionDenied, "CHECKPOINT_SIGNATURE_INVALID",
                       "checkpoint signature by " + name_ + " does not verify");
    }
    verified = true;
  }
  if (!verified) {
    return MakeError(absl::StatusCode::kPermissionDenied, "CHECKPOINT_NOT_SIGNED",
                     "checkpoint carries no signature by " + name_);
  }
  auto checkpoint = ParseCheckpointBody(text);
  if (checkpoint.ok() && checkpoint->origin != name_) {
    return Malformed("origin '" + checkpoint->origin + "' is not the key's name '" + name_ + "'");
  }
  return checkpoint;
}

}  // namespace ketenpoort::audit
