#include "gateway/server/get_record_handler.h"

#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "gateway/server/access_audit.h"
#include "gateway/server/release.h"
#include "gateway/validate/subject_id.h"

namespace ketenpoort::server {

using v1::AuditEntry;

absl::Status GetRecordHandler::Validate(const v1::GetRecordRequest& request) const {
  if (request.ByteSizeLong() > services_.limits.max_request_bytes) {
    return MakeError(
        absl::StatusCode::kInvalidArgument, "REQUEST_TOO_LARGE",
        "request is larger than " + std::to_string(services_.limits.max_request_bytes) + " bytes");
  }
  if (absl::Status subject = validate::ValidateSubjectId(request.subject_id()); !subject.ok()) {
    return subject;
  }
  if (absl::Status purpose = ValidatePurpose(request.purpose()); !purpose.ok()) return purpose;
  if (request.break_glass() && request.break_glass_justification().empty()) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BREAK_GLASS_JUSTIFICATION_REQUIRED",
                     "break-glass access needs a justification; it is recorded and reviewed");
  }
  if (!request.break_glass() && !request.break_glass_justification().empty()) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BREAK_GLASS_NOT_INVOKED",
                     "a break-glass justification was given without invoking break-glass");
  }
  if (services_.catalog->Find(request.record_type()) == nullptr) {
    // The record type is not personal data: safe to echo, and helpful.
    return MakeError(absl::StatusCode::kInvalidArgument, "UNKNOWN_RECORD_TYPE",
                     "unknown record type '" + request.record_type() + "'");
  }
  return absl::OkStatus();
}

void GetRecordHandler::AuditThenFail(AuditEntry entry, absl::Status error, Done done) const {
  server::AuditThenFail(*services_.audit, std::move(entry), std::move(error), std::move(done));
}

void GetRecordHandler::Handle(const std::shared_ptr<const policy::PolicySet>& policies,
                              const absl::StatusOr<Caller>& caller,
                              const v1::GetRecordRequest& request,
                              std::chrono::system_clock::time_point deadline,
                              v1::GetRecordResponse* response, Done done) const {
  const int64_t now = services_.clock->NowUnixMicros();
  AuditEntry entry = NewAccessEntry(caller, request.purpose(), now, policies->version(), method_);
  entry.set_record_type(
      services_.catalog->Find(request.record_type()) != nullptr ? request.record_type() : "");

  // 1. Identity. An unknown organisation learns nothing beyond the denial.
  if (!caller.ok()) {
    SetOutcome(entry, AuditEntry::DENY, caller.status());
    return AuditThenFail(std::move(entry), caller.status(), std::move(done));
  }
  if (validate::ValidateSubjectId(request.subject_id()).ok()) {
    entry.set_subject_pseudonym(services_.pseudonymizer->Pseudonym(request.subject_id()));
  }
  if (caller->partner == nullptr) {
    absl::Status denied =
        MakeError(absl::StatusCode::kPermissionDenied, policy::reason::kUnknownPartner,
                  "the client certificate's OIN is not a known partner");
    SetOutcome(entry, AuditEntry::DENY, denied);
    return AuditThenFail(std::move(entry), std::move(denied), std::move(done));
  }
  if (!caller->identity_error.ok()) {
    SetOutcome(entry,
               caller->identity_error.code() == absl::StatusCode::kInvalidArgument
                   ? AuditEntry::INVALID
                   : AuditEntry::DENY,
               caller->identity_error);
    return AuditThenFail(std::move(entry), caller->identity_error, std::move(done));
  }

  // 2. Validate.
  if (absl::Status invalid = Validate(request); !invalid.ok()) {
    SetOutcome(entry, AuditEntry::INVALID, invalid);
    return AuditThenFail(std::move(entry), std::move(invalid), std::move(done));
  }

  // 3. Decide.
  const int64_t today = now / (86'400LL * 1'000'000LL);
  const policy::Decision decision =
      policies->Decide({.partner = caller->partner,
                        .actor_role = caller->actor_role,
                        .purpose = request.purpose(),
                        .record_type = request.record_type(),
                        .subject_id = request.subject_id(),
                        .authenticated_subject = caller->authenticated_subject,
                        .today = today,
                        .break_glass = request.break_glass(),
                        .facts = services_.facts});
  if (!decision.permit) {
    absl::Status denied = DeniedBy(decision, policies->version());
    entry.set_decision(AuditEntry::DENY);
    entry.set_reason(std::string(decision.reason));  // the detail, whatever the caller is told
    return AuditThenFail(std::move(entry), std::move(denied), std::move(done));
  }
  const policy::Rule& rule = *decision.rule;
  entry.set_rule_id(rule.id);
  entry.set_legal_basis(std::string(policy::LegalBasisName(rule.legal_basis.kind)));
  entry.set_law_reference(rule.legal_basis.law_reference);
  if (rule.break_glass()) {
    entry.set_break_glass_justification(request.break_glass_justification());
    entry.set_review_required(true);
  }

  // 4. Fetch, without holding this thread while an upstream source answers.
  const sources::SourceRouter::Route* route = services_.sources->Find(request.record_type());
  if (route == nullptr) {
    absl::Status unavailable = MakeError(absl::StatusCode::kUnavailable, "NO_SOURCE",
                                         "no source is configured for " + request.record_type());
    SetOutcome(entry, AuditEntry::FAILED, unavailable);
    return AuditThenFail(std::move(entry), std::move(unavailable), std::move(done));
  }
  entry.set_source(std::string(route->source->name()));
  entry.set_source_partner_id(route->owner);
  // The policy snapshot stays alive until the release: rule and partner
  // point into it.
  route->source->FetchAsync(
      {.subject_id = request.subject_id(),
       .record_type = request.record_type(),
       .descriptor = rule.record_descriptor,
       .deadline = deadline,
       .request_id = caller->request_id},
      [this, policies, &rule, partner = caller->partner, today, response, entry = std::move(entry),
       done = std::move(done)](adapters::FetchResult record) mutable {
        if (!record.ok()) {
          SetOutcome(entry, AuditEntry::FAILED, record.status());
          return AuditThenFail(std::move(entry), record.status(), std::move(done));
        }
        Release(*policies, rule, *partner, today, **record, std::move(entry), response,
                std::move(done));
      });
}

void GetRecordHandler::Release(const policy::PolicySet& policies, const policy::Rule& rule,
                               const identity::Partner& partner, int64_t today,
                               const google::protobuf::Message& record, AuditEntry entry,
                               v1::GetRecordResponse* response, Done done) const {
  // 5. Filter: build the released record from the granted fields only.
  const std::unique_ptr<google::protobuf::Message> released =
      FilterRecord(rule, record, {partner.id, services_.recipient_pseudonym_key, today});
  response->mutable_record()->PackFrom(*released);
  ListReleasedFields(rule, response->mutable_released_fields());
  RecordRelease(rule, response->record().value(), &entry);
  response->set_rule_id(rule.id);
  response->set_legal_basis(entry.legal_basis() + (entry.law_reference().empty()
                                                       ? ""
                                                       : " (" + entry.law_reference() + ")"));
  response->set_policy_version(policies.version());
  entry.set_decision(AuditEntry::PERMIT);

  // 6. Audit, and only then 7. respond.
  services_.audit->Append(std::move(entry),
                          [response, done = std::move(done)](absl::StatusOr<uint64_t> index) {
                            if (!index.ok()) {
                              response->Clear();  // fail closed: nothing leaves
                              done(AuditUnavailable(index.status()));
                              return;
                            }
                            response->set_audit_index(*index);
                            done(absl::OkStatus());
                          });
}

}  // namespace ketenpoort::server
