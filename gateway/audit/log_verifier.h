// Recomputes the audit log from the raw store and checks it against every
// stored checkpoint, independently of the gateway that wrote it.
//
// One pass in index order: indexes run 1..n without gaps; each entry names
// its own index (so moving rows shows); each entry's leaf hash is
// recomputed from its bytes; every stored tree node is recomputed; the
// root at each checkpoint's size matches that checkpoint, whose signature
// verifies under the given key; the head checkpoint covers exactly n
// entries. Every stored byte beside the tree is held to the entries too:
// each entry decodes (one that does not would be invisible to every
// reader); its query columns (time, partners, subject key) are what its
// bytes say; the subject index lists exactly the subject of each indexed
// entry; and an entry without content lies inside the range that a signed
// retention entry gives, older than its cutoff, whatever the store's
// retention rows claim. An update, deletion, insertion, reordering or
// flipped bit anywhere breaks one of these, with or without the store's
// triggers.
//
// Truncating entries *and* checkpoints together can only be seen against
// a checkpoint held outside the store: pass it as `trusted_checkpoint`.
#ifndef KETENPOORT_GATEWAY_AUDIT_LOG_VERIFIER_H_
#define KETENPOORT_GATEWAY_AUDIT_LOG_VERIFIER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/audit/audit_reader.h"
#include "gateway/audit/checkpoint.h"

namespace ketenpoort::audit {

struct VerifyReport {
  uint64_t entries = 0;
  uint64_t pruned_entries = 0;
  uint64_t nodes = 0;
  uint64_t checkpoints = 0;  // signatures checked, the head included
  merkle::Hash root{};
  // Empty when everything verified. At most kMaxProblems are listed.
  std::vector<std::string> problems;
  uint64_t first_bad_index = 0;  // the first entry found wrong, or 0

  bool ok() const { return problems.empty(); }
  static constexpr size_t kMaxProblems = 20;
};

struct VerifyOptions {
  const CheckpointVerifier* key = nullptr;        // required
  std::optional<std::string> trusted_checkpoint;  // a signed note kept elsewhere
};

// Fails only when the store cannot be read at all; a log that does not
// verify is a report with problems.
absl::StatusOr<VerifyReport> VerifyLog(AuditReader& reader, const VerifyOptions& options);

// The `index` field of a serialized AuditEntry, without a full parse;
// nullopt if the bytes do not parse that far.
std::optional<uint64_t> EntryIndexField(std::string_view entry_bytes);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_LOG_VERIFIER_H_
