// Persistence seam for the audit log.
//
// A store keeps an append-only sequence of entries. The AuditLog above it
// does sequencing, hashing and batching; a store only writes batches
// atomically and durably, and reads them back. Tests inject a failing
// store to prove the gateway fails closed.
#ifndef KETENPOORT_GATEWAY_AUDIT_AUDIT_STORE_H_
#define KETENPOORT_GATEWAY_AUDIT_AUDIT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/common/crypto.h"

namespace ketenpoort::audit {

struct StoredEntry {
  uint64_t index = 0;       // 1-based, contiguous
  std::string entry_bytes;  // serialized AuditEntry, hashed as stored
  crypto::Sha256Digest prev_hash{};
  crypto::Sha256Digest entry_hash{};  // SHA-256(prev_hash || entry_bytes)
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // The last stored entry, or nullopt for an empty log.
  virtual absl::StatusOr<std::optional<StoredEntry>> Tail() = 0;
  // Writes all entries in one durable transaction, or none of them.
  // UNAVAILABLE when the store cannot write.
  virtual absl::Status AppendBatch(const std::vector<StoredEntry>& entries) = 0;
  // Calls `visit` for entries with index >= `from`, in stored order, until
  // it returns false.
  virtual absl::Status Scan(uint64_t from,
                            const std::function<bool(const StoredEntry&)>& visit) = 0;
};

using AuditStorePtr = std::unique_ptr<AuditStore>;

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_AUDIT_STORE_H_
