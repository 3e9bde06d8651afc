#include "gateway/server/call_audit.h"

#include "gateway/audit/entry_events.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/validate/subject_id.h"

namespace ketenpoort::server {

v1::AuditEntry CallAudit::NewEntry(const absl::StatusOr<Caller>& caller, v1::AuditEntry::Kind kind,
                                   std::string_view method, std::string_view subject_id,
                                   v1::Purpose purpose) const {
  v1::AuditEntry entry;
  entry.set_kind(kind);
  entry.set_time_unix_micros(clock_->NowUnixMicros());
  entry.set_method(std::string(method));
  entry.set_event(audit::DefaultEvent(kind, method));
  entry.set_policy_version(caller.ok() ? caller->policies->version()
                                       : policies_->Current()->version());
  if (caller.ok()) RecordCaller(*caller, &entry);
  if (!subject_id.empty() && validate::ValidateSubjectId(subject_id).ok()) {
    entry.set_subject_pseudonym(pseudonymizer_->Pseudonym(subject_id));
  }
  entry.set_purpose(purpose);
  return entry;
}

absl::StatusOr<uint64_t> CallAudit::Commit(v1::AuditEntry entry) const {
  absl::StatusOr<uint64_t> index = log_->AppendAndWait(std::move(entry));
  if (!index.ok()) return AuditUnavailable(index.status());
  return index;
}

absl::Status CallAudit::Permit(v1::AuditEntry entry, std::string detail) const {
  entry.set_decision(v1::AuditEntry::PERMIT);
  entry.set_detail(std::move(detail));
  return Commit(std::move(entry)).status();
}

absl::Status CallAudit::Refuse(v1::AuditEntry entry, const absl::Status& error, std::string detail,
                               std::string_view audit_reason) const {
  // The gateway failing (a store it could not read) is no refusal: the
  // person's report says it could not be done, not that it was not allowed.
  const absl::StatusCode code = error.code();
  const v1::AuditEntry::Decision decision =
      code == absl::StatusCode::kInvalidArgument ? v1::AuditEntry::INVALID
      : code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDataLoss ||
              code == absl::StatusCode::kInternal
          ? v1::AuditEntry::FAILED
          : v1::AuditEntry::DENY;
  SetOutcome(entry, decision, error);
  if (!audit_reason.empty()) entry.set_reason(std::string(audit_reason));
  if (!detail.empty()) entry.set_detail(std::move(detail));
  RETURN_IF_ERROR(Commit(std::move(entry)).status());
  return error;
}

void RecordCaller(const Caller& caller, v1::AuditEntry* entry) {
  entry->set_partner_oin(caller.certificate.oin);
  entry->set_client_cert_sha256(caller.certificate.sha256_hex);
  if (caller.partner != nullptr) {
    entry->set_partner_id(caller.partner->id);
    entry->set_partner_name(caller.partner->name);
  }
  entry->set_actor_id(caller.actor_id);
  entry->set_actor_role(caller.actor_role);
  entry->set_request_id(caller.request_id);
}

void SetOutcome(v1::AuditEntry& entry, v1::AuditEntry::Decision decision,
                const absl::Status& status) {
  entry.set_decision(decision);
  std::string reason = ErrorReason(status);
  entry.set_reason(reason.empty() ? absl::StatusCodeToString(status.code()) : reason);
}

absl::Status RequireKnownPartner(const absl::StatusOr<Caller>& caller) {
  if (!caller.ok()) return caller.status();
  if (caller->partner == nullptr) {
    return MakeError(absl::StatusCode::kPermissionDenied, "UNKNOWN_PARTNER",
                     "the client certificate's OIN is not a known partner");
  }
  return caller->identity_error;
}

bool IsAuditFailure(const absl::Status& status) {
  const std::string reason = ErrorReason(status);
  return reason == "AUDIT_UNAVAILABLE" || reason == "AUDIT_STORE_TAMPERED" ||
         reason == "AUDIT_QUEUE_FULL";
}

absl::Status AuditUnavailable(const absl::Status& append) {
  // A full queue is load, not an outage: the caller should back off.
  if (append.code() == absl::StatusCode::kResourceExhausted) return append;
  // Not an outage that a retry outlasts: the operator must act. The
  // details (which object) are in the process log, not for the caller.
  if (ErrorReason(append) == "AUDIT_STORE_TAMPERED") {
    return MakeError(absl::StatusCode::kDataLoss, "AUDIT_STORE_TAMPERED",
                     "the audit store was altered, so nothing is released or changed until "
                     "the operator has verified and restored it");
  }
  return MakeError(absl::StatusCode::kUnavailable, "AUDIT_UNAVAILABLE",
                   "the audit log cannot record this request, so nothing is released or "
                   "changed; retry later");
}

}  // namespace ketenpoort::server
