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
#include "gateway/server/call_audit.h"
#include "gateway/server/caller.h"
#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::server {

// An ACCESS entry naming the call, the time, the policy version, the
// purpose (when it is a known one) and, when identified, the caller.
v1::AuditEntry NewAccessEntry(const absl::StatusOr<Caller>& caller, int purpose, int64_t now,
                              const std::string& policy_version, const std::string& method);

// INVALID_ARGUMENT UNKNOWN_PURPOSE unless `purpose` is one of the gateway's.
absl::Status ValidatePurpose(int purpose);

// PERMISSION_DENIED with the reason and explanation the caller may see
// (decision.h: a caller with no relationship to the person learns nothing
// about them); the audit entry keeps the detailed reason.
absl::Status DeniedBy(const policy::Decision& decision, const std::string& policy_version);

// The same, for a caller that asked on behalf of another (the sender of a
// hand-over, decided for its recipient): reasons about the person are
// never told, whatever the recipient's relationship with them.
absl::Status DeniedToSender(const policy::Decision& decision, const std::string& policy_version);

// Appends `entry`, then calls `done` with `error`, or with
// AuditUnavailable() when the entry could not be written.
void AuditThenFail(audit::AuditLog& log, v1::AuditEntry entry, absl::Status error,
                   std::function<void(absl::Status)> done);

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_ACCESS_AUDIT_H_
