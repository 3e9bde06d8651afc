// The one place where a call's audit entry is built, recorded and
// committed: for reads and changes of facts (consents, relationships, the
// audit log itself), for hand-overs, and for every refusal of them.
//
// Each call identifies its caller once (caller.h) against one policy
// snapshot; the entry records that snapshot's version. An entry is durable
// (AppendAndWait) before the call answers or a change takes effect: when
// the log cannot write, the caller gets UNAVAILABLE AUDIT_UNAVAILABLE and
// nothing changes (fail closed). A refused call is audited like a permitted
// one, with the machine reason, so a privacy officer and the person see
// attempts too. Thread-safe: it holds only pointers to thread-safe parts.
#ifndef KETENPOORT_GATEWAY_SERVER_CALL_AUDIT_H_
#define KETENPOORT_GATEWAY_SERVER_CALL_AUDIT_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/audit/audit_log.h"
#include "gateway/audit/pseudonymizer.h"
#include "gateway/common/clock.h"
#include "gateway/server/caller.h"
#include "gateway/server/policy_holder.h"

namespace ketenpoort::server {

class CallAudit {
 public:
  CallAudit(audit::AuditLog* log, const audit::Pseudonymizer* pseudonymizer, const Clock* clock,
            const PolicyHolder* policies)
      : log_(log), pseudonymizer_(pseudonymizer), clock_(clock), policies_(policies) {}

  // An entry of `kind` for `method` ("/pkg.Service/Method") at this
  // moment: the caller as identified (nothing of it when identification
  // failed), the version of the caller's policy snapshot, and the subject's
  // pseudonym when `subject_id` is a valid subject id.
  v1::AuditEntry NewEntry(const absl::StatusOr<Caller>& caller, v1::AuditEntry::Kind kind,
                          std::string_view method, std::string_view subject_id = "",
                          v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED) const;

  // Appends and waits until durable; AUDIT_UNAVAILABLE if it cannot be.
  absl::StatusOr<uint64_t> Commit(v1::AuditEntry entry) const;
  // Commits `entry` as permitted with `detail`.
  absl::Status Permit(v1::AuditEntry entry, std::string detail) const;
  // Commits `entry` as refused (INVALID for bad input; FAILED when the
  // gateway failed: UNAVAILABLE, DATA_LOSS, INTERNAL; DENY otherwise)
  // with the reason of `error` (or `audit_reason`, where the caller is told
  // less than the audit records), then returns `error`, or
  // AUDIT_UNAVAILABLE when the refusal cannot be recorded. `detail` may say
  // what was asked, never personal data.
  absl::Status Refuse(v1::AuditEntry entry, const absl::Status& error, std::string detail = "",
                      std::string_view audit_reason = "") const;

  const audit::Pseudonymizer& pseudonymizer() const { return *pseudonymizer_; }

 private:
  audit::AuditLog* log_;
  const audit::Pseudonymizer* pseudonymizer_;
  const Clock* clock_;
  const PolicyHolder* policies_;
};

// Records who asked: the certificate's OIN and fingerprint, the partner it
// maps to (if any), and the actor, role and trace id asserted in metadata.
void RecordCaller(const Caller& caller, v1::AuditEntry* entry);

// Decision and machine reason (the error's reason, or its code's name).
void SetOutcome(v1::AuditEntry& entry, v1::AuditEntry::Decision decision,
                const absl::Status& status);

// PERMISSION_DENIED UNKNOWN_PARTNER unless the caller's certificate maps
// to a known partner; the identification error itself if there was one;
// then the caller's metadata error (BAD_METADATA), if any.
absl::Status RequireKnownPartner(const absl::StatusOr<Caller>& caller);

// What the caller is told when the log could not record the call (`append`
// is the log's error), so nothing is released or changed: RESOURCE_EXHAUSTED
// AUDIT_QUEUE_FULL as it is (back off and retry), DATA_LOSS
// AUDIT_STORE_TAMPERED when the store was altered (the operator must act),
// otherwise UNAVAILABLE AUDIT_UNAVAILABLE.
absl::Status AuditUnavailable(const absl::Status& append);
// True for what AuditUnavailable returns: the log could not record, so
// trying to record the refusal as well is pointless.
bool IsAuditFailure(const absl::Status& status);

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_CALL_AUDIT_H_
