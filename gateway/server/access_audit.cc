#include "gateway/server/access_audit.h"

#include "gateway/audit/entry_events.h"
#include "gateway/common/error.h"
#include "gateway/server/call_audit.h"

namespace ketenpoort::server {

v1::AuditEntry NewAccessEntry(const absl::StatusOr<Caller>& caller, int purpose, int64_t now,
                              const std::string& policy_version, const std::string& method) {
  v1::AuditEntry entry;
  entry.set_kind(v1::AuditEntry::ACCESS);
  entry.set_time_unix_micros(now);
  entry.set_method(method);
  entry.set_event(audit::DefaultEvent(v1::AuditEntry::ACCESS, method));
  entry.set_policy_version(policy_version);
  // Only a known, valid purpose is recorded as such.
  if (v1::Purpose_IsValid(purpose)) entry.set_purpose(static_cast<v1::Purpose>(purpose));
  if (caller.ok()) RecordCaller(*caller, &entry);
  return entry;
}

absl::Status ValidatePurpose(int purpose) {
  if (v1::Purpose_IsValid(purpose) && purpose != v1::PURPOSE_UNSPECIFIED) return absl::OkStatus();
  return MakeError(absl::StatusCode::kInvalidArgument, "UNKNOWN_PURPOSE",
                   "purpose " + std::to_string(purpose) + " is not one of the gateway's purposes");
}

absl::Status DeniedBy(const policy::Decision& decision, const std::string& policy_version) {
  return MakeError(absl::StatusCode::kPermissionDenied, decision.caller_reason,
                   decision.caller_explanation, {{"policy_version", policy_version}});
}

absl::Status DeniedToSender(const policy::Decision& decision, const std::string& policy_version) {
  if (!policy::reason::IsAboutThePerson(decision.reason)) return DeniedBy(decision, policy_version);
  return MakeError(absl::StatusCode::kPermissionDenied, policy::reason::kNotPermitted,
                   "no rule permits this release to the recipient for this person; the reason "
                   "is recorded in the audit log",
                   {{"policy_version", policy_version}});
}

void AuditThenFail(audit::AuditLog& log, v1::AuditEntry entry, absl::Status error,
                   std::function<void(absl::Status)> done) {
  // The error is moved out, not copied: the writer thread destroys this
  // callback after it returns, and a status shared by reference count across
  // threads is released there in libabsl code that TSan cannot see.
  log.Append(std::move(entry), [error = std::move(error),
                                done = std::move(done)](absl::StatusOr<uint64_t> index) mutable {
    done(index.ok() ? std::move(error) : AuditUnavailable(index.status()));
  });
}

}  // namespace ketenpoort::server
