#include "gateway/server/change_audit.h"

#include "gateway/common/error.h"

namespace ketenpoort::server {

absl::Status ChangeAuditor::Record(const Caller& caller, v1::AuditEntry::Kind kind,
                                   const std::string& method, const std::string& subject_id,
                                   v1::Purpose purpose, const std::string& detail) const {
  v1::AuditEntry entry;
  entry.set_kind(kind);
  entry.set_time_unix_micros(clock->NowUnixMicros());
  entry.set_method(method);
  RecordCaller(caller, &entry);
  entry.set_subject_pseudonym(pseudonymizer->Pseudonym(subject_id));
  entry.set_purpose(purpose);
  entry.set_decision(v1::AuditEntry::PERMIT);
  entry.set_policy_version(policy_version);
  entry.set_detail(detail);
  if (!log->AppendAndWait(std::move(entry)).ok()) {
    return MakeError(absl::StatusCode::kUnavailable, "AUDIT_UNAVAILABLE",
                     "the audit log cannot record this change, so it is not applied; retry later");
  }
  return absl::OkStatus();
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

absl::Status RequireKnownPartner(const absl::StatusOr<Caller>& caller) {
  if (!caller.ok()) return caller.status();
  if (caller->partner == nullptr) {
    return MakeError(absl::StatusCode::kPermissionDenied, "UNKNOWN_PARTNER",
                     "the client certificate's OIN is not a known partner");
  }
  return absl::OkStatus();
}

}  // namespace ketenpoort::server
