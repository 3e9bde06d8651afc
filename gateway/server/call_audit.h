// Audit entries for changes (consent, relationships), written before the
// change is applied: a change is never in force without its audit entry.
#ifndef KETENPOORT_GATEWAY_SERVER_CHANGE_AUDIT_H_
#define KETENPOORT_GATEWAY_SERVER_CHANGE_AUDIT_H_

#include <string>

#include "absl/status/status.h"
#include "gateway/audit/audit_log.h"
#include "gateway/audit/pseudonymizer.h"
#include "gateway/common/clock.h"
#include "gateway/server/caller.h"

namespace ketenpoort::server {

struct ChangeAuditor {
  audit::AuditLog* log = nullptr;
  const audit::Pseudonymizer* pseudonymizer = nullptr;
  const Clock* clock = nullptr;
  std::string policy_version;

  // Appends and waits until durable. UNAVAILABLE (AUDIT_UNAVAILABLE) when
  // the entry cannot be written: then the change must not be applied.
  absl::Status Record(const Caller& caller, v1::AuditEntry::Kind kind, const std::string& method,
                      const std::string& subject_id, v1::Purpose purpose,
                      const std::string& detail) const;
};

// Records who asked: the certificate's OIN and fingerprint, the partner it
// maps to (if any), and the actor, role and trace id asserted in metadata.
void RecordCaller(const Caller& caller, v1::AuditEntry* entry);

// PERMISSION_DENIED unless the caller's certificate maps to a known partner.
absl::Status RequireKnownPartner(const absl::StatusOr<Caller>& caller);

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_CHANGE_AUDIT_H_
