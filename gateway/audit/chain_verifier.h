// Recomputes the audit chain from the raw store.
//
// Checks that indexes run 1..n without gaps, that each entry's own index
// field matches its row, that each prev_hash is the previous entry_hash,
// and that each entry_hash is SHA-256(prev_hash || entry_bytes). Any
// edit, deletion, insertion, reordering or bit flip breaks one of these.
// (Truncation of the tail needs an external anchor: signed checkpoints.)
#ifndef KETENPOORT_GATEWAY_AUDIT_CHAIN_VERIFIER_H_
#define KETENPOORT_GATEWAY_AUDIT_CHAIN_VERIFIER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/audit/audit_store.h"

namespace ketenpoort::audit {

struct ChainReport {
  uint64_t entries = 0;
  bool ok = true;
  uint64_t first_bad_index = 0;  // 0 when ok
  std::string problem;           // what was wrong there
  std::string head_hash_hex;     // entry_hash of the last entry verified
};

// Fails only when the store cannot be read; a broken chain is a report
// with ok == false.
absl::StatusOr<ChainReport> VerifyChain(AuditStore& store);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_CHAIN_VERIFIER_H_
