#include "gateway/audit/chain_verifier.h"

#include "gateway/audit/audit_log.h"
#include "gateway/common/status_macros.h"
#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::audit {

absl::StatusOr<ChainReport> VerifyChain(AuditStore& store) {
  ChainReport report;
  uint64_t expected_index = 1;
  crypto::Sha256Digest prev{};
  v1::AuditEntry entry;
  auto fail = [&report](uint64_t index, std::string problem) {
    report.ok = false;
    report.first_bad_index = index;
    report.problem = std::move(problem);
    return false;
  };
  RETURN_IF_ERROR(store.Scan(1, [&](const StoredEntry& row) {
    if (row.index != expected_index) {
      return fail(expected_index, "expected entry " + std::to_string(expected_index) +
                                      ", found entry " + std::to_string(row.index));
    }
    if (row.prev_hash != prev) {
      return fail(row.index, "prev_hash does not match the previous entry's hash");
    }
    if (ChainHash(prev, row.entry_bytes) != row.entry_hash) {
      return fail(row.index, "entry_hash does not match the entry's contents");
    }
    if (!entry.ParseFromString(row.entry_bytes) || entry.index() != row.index) {
      return fail(row.index, "entry does not decode, or names another index");
    }
    prev = row.entry_hash;
    ++report.entries;
    ++expected_index;
    return true;
  }));
  report.head_hash_hex = crypto::ToHex(prev);
  return report;
}

}  // namespace ketenpoort::audit
