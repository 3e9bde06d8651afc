// The C2SP checkpoint body parser and the signed-note opener over
// arbitrary text. Whatever parses formats back to the same body, and a
// note opens only if it carries a valid signature by the dev key.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gateway/audit/checkpoint.h"
#include "gateway/common/ed25519.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ketenpoort::audit::CheckpointSigner;
  using ketenpoort::audit::CheckpointVerifier;
  static const CheckpointSigner signer("fuzz.example/log",
                                       ketenpoort::crypto::Ed25519PrivateKey::Generate());
  static const CheckpointVerifier verifier = [] {
    auto key = CheckpointVerifier::FromVerifierKey(signer.VerifierKey());
    if (!key.ok()) std::abort();
    return *key;
  }();
  FuzzedDataProvider input(data, size);
  const std::string body = input.ConsumeRandomLengthString(512);
  auto parsed = ketenpoort::audit::ParseCheckpointBody(body);
  if (parsed.ok()) {
    auto again = ketenpoort::audit::ParseCheckpointBody(FormatCheckpointBody(*parsed));
    if (!again.ok() || again->size != parsed->size || again->root != parsed->root ||
        again->origin != parsed->origin) {
      std::abort();
    }
  }
  // What the signer signs opens to the same checkpoint.
  const uint64_t tree_size = input.ConsumeIntegral<uint64_t>();
  ketenpoort::audit::merkle::Hash root{};
  for (auto& byte : root) byte = input.ConsumeIntegral<uint8_t>();
  auto signed_note = verifier.Open(signer.Sign(tree_size, root));
  if (!signed_note.ok() || signed_note->size != tree_size || signed_note->root != root) {
    std::abort();
  }
  // Anything else: an error, never a crash.
  (void)verifier.Open(input.ConsumeRemainingBytesAsString());
  return 0;
}
