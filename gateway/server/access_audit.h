// The audit entries of access requests (GetRecord, the inburgering lists
// and aggregates): how an entry starts, how its outcome is set, and the
// fail-closed answer when the log cannot write.
#ifndef KETENPOORT_GATEWAY_SERVER_ACCESS_AUDIT_H_
#define KETENPOORT_GATEWAY_SERVER_ACCESS_AUDIT_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/audit/audit_log.h"
#include "gateway/policy/decision.h"
#include "gateway/server/caller.h"
#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::server {

// An ACCESS entry naming the call, the time, the policy version, the
// purpose (when it is a known one) and, when identified, the caller.
v1::AuditEntry NewAccessEntry(const absl::StatusOr<Caller>& caller, int purpose, int64_t now,
                              const std::string& policy_version, const std::string& method);

// Decision and machine reason (the error's reason, or its code's name).
void SetOutcome(v1::AuditEntry& entry, v1::AuditEntry::Decision decision,
                const absl::Status& status);

// INVALID_ARGUMENT UNKNOWN_PURPOSE unless `purpose` is one of the gateway's.
absl::Status ValidatePurpose(int purpose);

// PERMISSION_DENIED with the decision's reason and explanation.
absl::Status DeniedBy(const policy::Decision& decision, const std::string& policy_version);

// UNAVAILABLE AUDIT_UNAVAILABLE: the log could not record the request, so
// nothing is released.
absl::Status AuditUnavailable();

// Appends `entry`, then calls `done` with `error`, or with
// AuditUnavailable() when the entry could not be written.
void AuditThenFail(audit::AuditLog& log, v1::AuditEntry entry, absl::Status error,
                   std::function<void(absl::Status)> done);

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_ACCESS_AUDIT_H_
