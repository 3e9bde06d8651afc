#include "gateway/server/handover_service.h"

#include <openssl/rand.h>

#include "gateway/audit/entry_events.h"
#include "gateway/common/civil_date.h"
#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "gateway/common/log.h"
#include "gateway/common/status_macros.h"
#include "gateway/server/access_audit.h"
#include "gateway/server/call_audit.h"
#include "gateway/server/decoded_call.h"
#include "gateway/server/release.h"
#include "gateway/server/unary_call.h"
#include "gateway/validate/subject_id.h"

namespace ketenpoort::server {

using handover::StoredHandover;
using v1::AuditEntry;
using v1::Handover;

namespace {

constexpr char kService[] = "/ketenpoort.v1.HandoverService/";
constexpr size_t kMaxRecordTypes = 10;
constexpr size_t kMaxNoteBytes = 2000;
constexpr size_t kMaxRequestIdBytes = 128;
constexpr int64_t kMicrosPerDay = 86'400LL * 1'000'000LL;

absl::Status Invalid(std::string_view reason, std::string message) {
  return MakeError(absl::StatusCode::kInvalidArgument, reason, std::move(message));
}

absl::Status NotFound() {
  return MakeError(absl::StatusCode::kNotFound, "HANDOVER_NOT_FOUND",
                   "no such hand-over for this partner");
}

absl::Status WrongState(std::string_view reason, const Handover& handover, std::string what) {
  return MakeError(absl::StatusCode::kFailedPrecondition, reason,
                   "hand-over is " + v1::HandoverStatus_Name(handover.status()) + ": " + what,
                   {{"status", v1::HandoverStatus_Name(handover.status())}});
}

std::string NewHandoverId() {
  unsigned char bytes[12];
  RAND_bytes(bytes, sizeof bytes);
  return "ho-" +
         crypto::ToHex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

bool IsOpen(v1::HandoverStatus status) {
  return status == v1::PENDING || status == v1::DELIVERED || status == v1::ACKNOWLEDGED;
}

}  // namespace

HandoverService::HandoverService(const GatewayServices& services,
                                 std::unique_ptr<handover::HandoverStore> store,
                                 handover::MasterKey master_key, HandoverSettings settings)
    : services_(services),
      audit_(services.CallAuditor()),
      store_(std::move(store)),
      master_key_(std::move(master_key)),
      settings_(settings) {
  ServeDecodedRequests();
}

absl::StatusOr<Caller> HandoverService::Identify(grpc::CallbackServerContext* context) const {
  return services_.Identify(*context);
}

absl::Status HandoverService::AuditRefusal(
    const absl::StatusOr<Caller>& caller, const std::string& method,
    const std::function<absl::Status(std::string& subject_key)>& change) const {
  std::string subject_key;
  const absl::Status status = change(subject_key);
  if (status.ok() || IsAuditFailure(status)) return status;
  AuditEntry entry = audit_.NewEntry(caller, AuditEntry::HANDOVER, kService + method);
  entry.set_subject_pseudonym(subject_key);
  return audit_.Refuse(std::move(entry), status);
}

absl::Status HandoverService::RequireRecipientRole(const Caller& caller, const Handover& handover) {
  if (caller.actor_role == handover.recipient_role()) return absl::OkStatus();
  return MakeError(absl::StatusCode::kPermissionDenied, "RECIPIENT_ROLE",
                   "this hand-over is for actor role '" + handover.recipient_role() + "'");
}

absl::Status HandoverService::RequirePartner(const absl::StatusOr<Caller>& caller,
                                             const std::string& method) const {
  absl::Status unknown = RequireKnownPartner(caller);
  if (unknown.ok()) return unknown;
  return audit_.Refuse(audit_.NewEntry(caller, AuditEntry::HANDOVER, kService + method), unknown);
}

void HandoverService::Present(Handover& handover) const {
  MarkOverdue(handover);
  // The move date only decides "overdue": no rule releases it to the sender
  // or to every role at the recipient.
  handover.clear_expected_move_date();
}

void HandoverService::MarkOverdue(Handover& handover) const {
  if (handover.status() != v1::PENDING) return;
  const int64_t now = services_.clock->NowUnixMicros();
  const bool late =
      now > handover.created_unix_micros() + settings_.fetch_within_days * kMicrosPerDay;
  const std::optional<int64_t> move = ParseCivilDate(handover.expected_move_date());
  handover.set_overdue(late || (move && now / kMicrosPerDay > *move));
}

absl::StatusOr<uint64_t> HandoverService::Audit(const Caller* caller, const std::string& method,
                                                const std::string& subject_pseudonym,
                                                v1::Purpose purpose, AuditEntry::Decision decision,
                                                const std::string& reason,
                                                const std::string& detail) {
  AuditEntry entry;
  if (caller != nullptr) {
    entry = audit_.NewEntry(*caller, AuditEntry::HANDOVER, kService + method, "", purpose);
  } else {
    // The gateway's own act (expiry, purge): no caller.
    entry.set_kind(AuditEntry::HANDOVER);
    entry.set_time_unix_micros(services_.clock->NowUnixMicros());
    entry.set_method(kService + method);
    entry.set_event(audit::DefaultEvent(AuditEntry::HANDOVER, kService + method));
    entry.set_purpose(purpose);
    entry.set_policy_version(services_.policies->Current()->version());
  }
  entry.set_subject_pseudonym(subject_pseudonym);
  entry.set_decision(decision);
  entry.set_reason(reason);
  entry.set_detail(detail);
  return audit_.Commit(std::move(entry));
}

absl::Status HandoverService::ValidateSend(const policy::PolicySet& policies,
                                           const v1::SendHandoverRequest& request) const {
  RETURN_IF_ERROR(validate::ValidateSubjectId(request.subject_id()));
  if (request.request_id().empty() || request.request_id().size() > kMaxRequestIdBytes) {
    return Invalid("REQUEST_ID_REQUIRED",
                   "request_id is required (at most 128 bytes): it makes Send safe to retry");
  }
  if (!v1::Purpose_IsValid(request.purpose()) || request.purpose() == v1::PURPOSE_UNSPECIFIED) {
    return Invalid("UNKNOWN_PURPOSE", "purpose is missing or unknown");
  }
  if (request.record_types().empty() ||
      static_cast<size_t>(request.record_types_size()) > kMaxRecordTypes) {
    return Invalid("RECORD_TYPES_REQUIRED", "name 1 to 10 record types to hand over");
  }
  for (const std::string& type : request.record_types()) {
    if (services_.catalog->Find(type) == nullptr) {
      return Invalid("UNKNOWN_RECORD_TYPE", "unknown record type '" + type + "'");
    }
  }
  if (policies.partners().FindById(request.recipient_partner_id()) == nullptr) {
    return Invalid("UNKNOWN_RECIPIENT",
                   "unknown recipient partner '" + request.recipient_partner_id() + "'");
  }
  if (request.recipient_role().empty() ||
      request.recipient_role().size() > services_.limits.max_metadata_value_bytes) {
    return Invalid("RECIPIENT_ROLE_REQUIRED",
                   "recipient_role is required: the role at the recipient the dossier is for");
  }
  if (request.note().size() > kMaxNoteBytes) {
    return Invalid("NOTE_TOO_LONG", "note is longer than 2000 bytes");
  }
  return absl::OkStatus();
}

absl::Status HandoverService::DoSend(const absl::StatusOr<Caller>& caller,
                                     const v1::SendHandoverRequest& request,
                                     std::chrono::system_clock::time_point deadline,
                                     Handover* response) {
  // 1. Identity. 2. Validate.
  RETURN_IF_ERROR(RequirePartner(caller, "Send"));
  if (absl::Status invalid = ValidateSend(*caller->policies, request); !invalid.ok()) {
    return audit_.Refuse(
        audit_.NewEntry(caller, AuditEntry::HANDOVER, std::string(kService) + "Send",
                        request.subject_id(), request.purpose()),
        invalid);
  }
  const identity::Partner& sender = *caller->partner;
  // A retried Send returns what the first one stored.
  const std::string digest = services_.pseudonymizer->Digest(request.SerializeAsString());
  if (std::optional<StoredHandover> earlier =
          store_->FindByRequest(sender.id, request.request_id())) {
    if (earlier->request_digest != digest) {
      return audit_.Refuse(
          audit_.NewEntry(caller, AuditEntry::HANDOVER, std::string(kService) + "Send",
                          request.subject_id(), request.purpose()),
          MakeError(absl::StatusCode::kAlreadyExists, "HANDOVER_REQUEST_REUSED",
                    "request_id was already used for a different hand-over"));
    }
    *response = earlier->handover;
    Present(*response);
    return absl::OkStatus();
  }

  const policy::PolicySet* policies = caller->policies.get();
  const identity::Partner* recipient =
      policies->partners().FindById(request.recipient_partner_id());
  const std::string pseudonym = services_.pseudonymizer->Pseudonym(request.subject_id());
  const int64_t now = services_.clock->NowUnixMicros();
  const int64_t today = now / kMicrosPerDay;
  const std::string handover_id = NewHandoverId();
  v1::HandoverPackage package;
  package.set_subject_id(request.subject_id());
  package.set_note(request.note());
  package.set_sender_actor_id(caller->actor_id);
  package.set_policy_version(policies->version());

  for (const std::string& record_type : request.record_types()) {
    // Only the organisation whose source holds the records hands them over.
    const sources::SourceRouter::Route* route = services_.sources->Find(record_type);
    if (route == nullptr || route->owner != sender.id) {
      const absl::Status not_the_source =
          MakeError(absl::StatusCode::kPermissionDenied, "NOT_THE_SOURCE",
                    sender.id + " does not hold " + record_type + ", so cannot hand it over");
      RETURN_IF_ERROR(Audit(&*caller, "Send", pseudonym, request.purpose(), AuditEntry::DENY,
                            "NOT_THE_SOURCE", "hand-over of " + record_type + " refused")
                          .status());
      return not_the_source;
    }
    // 3. Fetch from the sender's own source first: whether it holds the
    // person's record is its own knowledge, and answering "not found" only
    // after a permit would tell it the recipient's relationship with anyone.
    adapters::FetchRequest fetch;
    fetch.subject_id = request.subject_id();
    fetch.record_type = record_type;
    fetch.descriptor = services_.catalog->Find(record_type);
    fetch.deadline = deadline;
    fetch.request_id = caller->request_id;
    adapters::FetchResult record = route->source->Fetch(fetch);
    if (!record.ok()) {
      RETURN_IF_ERROR(Audit(&*caller, "Send", pseudonym, request.purpose(), AuditEntry::FAILED,
                            ErrorReason(record.status()),
                            "hand-over of " + record_type + ": the source failed")
                          .status());
      return record.status();
    }
    // 4. Decide, for the recipient.
    const policy::Decision decision = policies->Decide({.partner = recipient,
                                                        .actor_role = request.recipient_role(),
                                                        .purpose = request.purpose(),
                                                        .record_type = record_type,
                                                        .subject_id = request.subject_id(),
                                                        .authenticated_subject = "",
                                                        .today = today,
                                                        .break_glass = false,
                                                        .facts = services_.facts});
    if (!decision.permit) {
      RETURN_IF_ERROR(Audit(&*caller, "Send", pseudonym, request.purpose(), AuditEntry::DENY,
                            std::string(decision.reason),
                            "hand-over of " + record_type + " to " + recipient->id + " refused")
                          .status());
      // The sender is not the recipient: it learns nothing of the
      // recipient's relationship with the person (registered, linked).
      return DeniedToSender(decision, policies->version());
    }
    // 5. Filter, for the recipient.
    const auto released = FilterRecord(*decision.rule, **record,
                                       {recipient->id, services_.recipient_pseudonym_key, today});
    v1::HandedOverRecord* item = package.add_records();
    item->set_record_type(record_type);
    item->mutable_record()->PackFrom(*released);
    item->set_rule_id(decision.rule->id);
    item->set_legal_basis(std::string(policy::LegalBasisName(decision.rule->legal_basis.kind)));
    ListReleasedFields(*decision.rule, item->mutable_released_fields());
  }

  // 6. Audit that it was sent, then 7. seal and store.
  RETURN_IF_ERROR(Audit(&*caller, "Send", pseudonym, request.purpose(), AuditEntry::PERMIT, "",
                        "hand-over " + handover_id + " to " + recipient->id + " (" +
                            request.recipient_role() + ") stored")
                      .status());
  StoredHandover stored;
  Handover& h = stored.handover;
  h.set_handover_id(handover_id);
  h.set_sender_partner_id(sender.id);
  h.set_recipient_partner_id(recipient->id);
  h.set_recipient_role(request.recipient_role());
  h.set_purpose(request.purpose());
  for (const std::string& type : request.record_types()) h.add_record_types(type);
  h.set_status(v1::PENDING);
  h.set_created_unix_micros(now);
  if (auto koppeling = services_.facts->KoppelingOf(request.subject_id());
      koppeling && koppeling->move_day) {
    h.set_expected_move_date(FormatCivilDate(*koppeling->move_day));
  }
  stored.request_id = request.request_id();
  stored.request_digest = digest;
  stored.subject_key = pseudonym;
  ASSIGN_OR_RETURN(stored.package, master_key_.Seal(handover_id, package.SerializeAsString()));
  if (absl::Status inserted = store_->Insert(stored); !inserted.ok()) {
    // A concurrent retry of the same request stored it first.
    if (std::optional<StoredHandover> raced =
            store_->FindByRequest(sender.id, request.request_id());
        raced && raced->request_digest == digest) {
      *response = raced->handover;
      Present(*response);
      return absl::OkStatus();
    }
    return inserted;
  }
  log::Info("handover_stored", {{"sender", sender.id}, {"recipient", recipient->id}});
  hub_.Wake(recipient->id);
  *response = stored.handover;
  Present(*response);
  return absl::OkStatus();
}

absl::StatusOr<StoredHandover> HandoverService::Visible(const Caller& caller, const std::string& id,
                                                        bool sender, bool recipient) {
  std::optional<StoredHandover> stored = store_->Find(id);
  if (!stored) return NotFound();
  const std::string& me = caller.partner->id;
  if ((sender && stored->handover.sender_partner_id() == me) ||
      (recipient && stored->handover.recipient_partner_id() == me)) {
    RETURN_IF_ERROR(ApplyDueRetention(*stored).status());
    return *std::move(stored);
  }
  return NotFound();
}

HandoverService::RetentionDue HandoverService::DueAt(const StoredHandover& stored,
                                                     int64_t now) const {
  const Handover& h = stored.handover;
  if (h.status() == v1::PENDING &&
      now > h.created_unix_micros() + settings_.expire_after_days * kMicrosPerDay) {
    return RetentionDue::kExpiry;
  }
  if (h.status() == v1::ACKNOWLEDGED && stored.package &&
      now > h.closed_unix_micros() + settings_.retention_days_after_ack * kMicrosPerDay) {
    return RetentionDue::kPurge;
  }
  return RetentionDue::kNothing;
}

absl::StatusOr<HandoverService::RetentionDue> HandoverService::ApplyDueRetention(
    StoredHandover& stored) {
  const RetentionDue due = DueAt(stored, services_.clock->NowUnixMicros());
  switch (due) {
    case RetentionDue::kExpiry:
      RETURN_IF_ERROR(Transition(nullptr, stored, v1::EXPIRED, /*purge=*/true, "Expire"));
      break;
    case RetentionDue::kPurge:
      RETURN_IF_ERROR(Transition(nullptr, stored, v1::ACKNOWLEDGED, /*purge=*/true, "Purge"));
      break;
    case RetentionDue::kNothing:
      break;
  }
  return due;
}

absl::Status HandoverService::Transition(const Caller* caller, StoredHandover& stored,
                                         v1::HandoverStatus to, bool purge,
                                         const std::string& what) {
  Handover next = stored.handover;
  const v1::HandoverStatus from = next.status();
  next.set_status(to);
  const int64_t now = services_.clock->NowUnixMicros();
  if (to == v1::DELIVERED) {
    next.set_fetched_unix_micros(now);
  } else if (to != from) {
    next.set_closed_unix_micros(now);
  }
  if (purge) next.set_package_purged(true);
  // Audited first: a status is never changed without its entry.
  RETURN_IF_ERROR(Audit(caller, what, stored.subject_key, next.purpose(), AuditEntry::PERMIT, "",
                        "hand-over " + next.handover_id() + " " + v1::HandoverStatus_Name(from) +
                            " -> " + v1::HandoverStatus_Name(to) +
                            (purge ? ", package purged" : ""))
                      .status());
  RETURN_IF_ERROR(store_->Update(next, from, purge));
  stored.handover = std::move(next);
  if (purge) stored.package.reset();
  return absl::OkStatus();
}

absl::Status HandoverService::DoFetch(const absl::StatusOr<Caller>& caller,
                                      const v1::GetHandoverRequest& request,
                                      v1::FetchHandoverResponse* response) {
  RETURN_IF_ERROR(RequirePartner(caller, "Fetch"));
  absl::StatusOr<StoredHandover> visible =
      Visible(*caller, request.handover_id(), /*sender=*/false, /*recipient=*/true);
  if (!visible.ok())
    return AuditRefusal(caller, "Fetch", [&](std::string&) { return visible.status(); });
  StoredHandover& stored = *visible;
  if (!IsOpen(stored.handover.status()) || !stored.package) {
    return AuditRefusal(caller, "Fetch", [&](std::string& subject_key) {
      subject_key = stored.subject_key;
      return WrongState("HANDOVER_CLOSED", stored.handover, "its package is no longer available");
    });
  }
  ASSIGN_OR_RETURN(std::string plaintext,
                   master_key_.Open(stored.handover.handover_id(), *stored.package));
  v1::HandoverPackage package;
  if (!package.ParseFromString(plaintext)) {
    return MakeError(absl::StatusCode::kDataLoss, "HANDOVER_UNREADABLE",
                     "a hand-over package does not decode");
  }
  // The dossier is for the role named at Send; another actor at the
  // recipient does not get it.
  if (absl::Status wrong_role = RequireRecipientRole(*caller, stored.handover); !wrong_role.ok()) {
    RETURN_IF_ERROR(Audit(&*caller, "Fetch", stored.subject_key, stored.handover.purpose(),
                          AuditEntry::DENY, "RECIPIENT_ROLE",
                          "hand-over " + stored.handover.handover_id())
                        .status());
    return wrong_role;
  }
  // The policy again, now, for the actor fetching: a consent revoked since
  // Send, a registration ended or a policy reloaded applies here.
  const policy::PolicySet* policies = caller->policies.get();
  const int64_t today = services_.clock->NowUnixMicros() / kMicrosPerDay;
  std::vector<AuditEntry> entries;
  for (v1::HandedOverRecord& item : *package.mutable_records()) {
    const policy::Decision decision = policies->Decide({.partner = caller->partner,
                                                        .actor_role = caller->actor_role,
                                                        .purpose = stored.handover.purpose(),
                                                        .record_type = item.record_type(),
                                                        .subject_id = package.subject_id(),
                                                        .authenticated_subject = "",
                                                        .today = today,
                                                        .break_glass = false,
                                                        .facts = services_.facts});
    AuditEntry entry;
    entry = audit_.NewEntry(caller, AuditEntry::ACCESS, std::string(kService) + "Fetch", "",
                            stored.handover.purpose());
    entry.set_subject_pseudonym(stored.subject_key);
    entry.set_purpose(stored.handover.purpose());
    entry.set_record_type(item.record_type());
    entry.set_source("handover");
    entry.set_source_partner_id(stored.handover.sender_partner_id());
    entry.set_policy_version(policies->version());
    entry.set_detail("hand-over " + stored.handover.handover_id());
    if (!decision.permit) {
      entry.set_decision(AuditEntry::DENY);
      entry.set_reason(std::string(decision.reason));
      RETURN_IF_ERROR(audit_.Commit(std::move(entry)).status());
      return DeniedBy(decision, policies->version());
    }
    // Decided under another policy set or rule than at Send (a reload, a
    // narrower consent): release only what both allow.
    if (package.policy_version() != policies->version() || decision.rule->id != item.rule_id()) {
      std::unique_ptr<google::protobuf::Message> record(
          google::protobuf::MessageFactory::generated_factory()
              ->GetPrototype(decision.rule->record_descriptor)
              ->New());
      if (!item.record().UnpackTo(record.get())) {
        return MakeError(absl::StatusCode::kDataLoss, "HANDOVER_UNREADABLE",
                         "a handed-over record does not decode");
      }
      const auto narrowed = NarrowToRule(*decision.rule, *record, item.released_fields());
      item.mutable_record()->PackFrom(*narrowed);
      item.set_rule_id(decision.rule->id);
      item.set_legal_basis(std::string(policy::LegalBasisName(decision.rule->legal_basis.kind)));
    }
    item.clear_released_fields();
    ListReleasedFields(*decision.rule, item.mutable_released_fields());
    RecordRelease(*decision.rule, item.record().value(), &entry);
    entry.set_decision(AuditEntry::PERMIT);
    entries.push_back(std::move(entry));
  }
  // Every release is durable before anything leaves.
  uint64_t last_index = 0;
  for (AuditEntry& entry : entries) {
    ASSIGN_OR_RETURN(last_index, audit_.Commit(std::move(entry)));
  }
  if (stored.handover.status() == v1::PENDING) {
    Handover delivered = stored.handover;
    delivered.set_status(v1::DELIVERED);
    delivered.set_fetched_unix_micros(services_.clock->NowUnixMicros());
    RETURN_IF_ERROR(store_->Update(delivered, v1::PENDING, /*purge=*/false));
    stored.handover = std::move(delivered);
  }
  *response->mutable_handover() = stored.handover;
  Present(*response->mutable_handover());
  response->set_subject_id(package.subject_id());
  response->set_note(package.note());
  *response->mutable_records() = std::move(*package.mutable_records());
  response->set_policy_version(policies->version());
  response->set_audit_index(last_index);
  return absl::OkStatus();
}

absl::Status HandoverService::ApplyRetention() {
  ASSIGN_OR_RETURN(std::vector<StoredHandover> open,
                   store_->WithStatus({v1::PENDING, v1::ACKNOWLEDGED}));
  int expired = 0;
  int purged = 0;
  // One hand-over that fails (a fetch changed it meanwhile: HANDOVER_CHANGED)
  // does not hold up the others; the first failure is reported.
  absl::Status first_failure;
  for (StoredHandover& stored : open) {
    const absl::StatusOr<RetentionDue> applied = ApplyDueRetention(stored);
    if (!applied.ok()) {
      first_failure.Update(applied.status());
    } else if (*applied == RetentionDue::kExpiry) {
      ++expired;
    } else if (*applied == RetentionDue::kPurge) {
      ++purged;
    }
  }
  if (expired + purged > 0) {
    log::Info("handover_retention", {{"expired", expired}, {"purged", purged}});
  }
  return first_failure;
}

grpc::ServerUnaryReactor* HandoverService::Send(grpc::CallbackServerContext* context,
                                                const v1::SendHandoverRequest* request,
                                                Handover* response) {
  return RunUnary(services_.workers, context, [=, this] {
    return DoSend(Identify(context), *request, context->deadline(), response);
  });
}

absl::Status HandoverService::DoGetStatus(const absl::StatusOr<Caller>& caller,
                                          const v1::GetHandoverRequest& request,
                                          Handover* response) {
  RETURN_IF_ERROR(RequirePartner(caller, "GetStatus"));
  ASSIGN_OR_RETURN(StoredHandover stored, Visible(*caller, request.handover_id(), true, true));
  *response = stored.handover;
  Present(*response);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* HandoverService::GetStatus(grpc::CallbackServerContext* context,
                                                     const v1::GetHandoverRequest* request,
                                                     Handover* response) {
  return RunUnary(services_.workers, context,
                  [=, this] { return DoGetStatus(Identify(context), *request, response); });
}

grpc::ServerUnaryReactor* HandoverService::Withdraw(grpc::CallbackServerContext* context,
                                                    const v1::GetHandoverRequest* request,
                                                    Handover* response) {
  return RunUnary(services_.workers, context,
                  [=, this] { return DoWithdraw(Identify(context), *request, response); });
}

absl::Status HandoverService::DoWithdraw(const absl::StatusOr<Caller>& caller,
                                         const v1::GetHandoverRequest& request,
                                         Handover* response) {
  RETURN_IF_ERROR(RequirePartner(caller, "Withdraw"));
  return AuditRefusal(caller, "Withdraw", [&](std::string& subject_key) -> absl::Status {
    ASSIGN_OR_RETURN(StoredHandover stored,
                     Visible(*caller, request.handover_id(), /*sender=*/true, /*recipient=*/false));
    subject_key = stored.subject_key;
    switch (stored.handover.status()) {
      case v1::PENDING:
        RETURN_IF_ERROR(Transition(&*caller, stored, v1::WITHDRAWN, /*purge=*/true, "Withdraw"));
        break;
      case v1::WITHDRAWN:
        break;  // idempotent
      case v1::DELIVERED:
      case v1::ACKNOWLEDGED:
        return WrongState("HANDOVER_ALREADY_FETCHED", stored.handover,
                          "only a hand-over not yet fetched can be withdrawn");
      default:  // refused or expired: nothing left to take back
        return WrongState("HANDOVER_CLOSED", stored.handover, "it can no longer be withdrawn");
    }
    *response = stored.handover;
    Present(*response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* HandoverService::ListOverdue(grpc::CallbackServerContext* context,
                                                       const v1::ListOverdueRequest*,
                                                       v1::ListHandoversResponse* response) {
  return RunUnary(services_.workers, context,
                  [=, this] { return DoListOverdue(Identify(context), response); });
}

absl::Status HandoverService::DoListOverdue(const absl::StatusOr<Caller>& caller,
                                            v1::ListHandoversResponse* response) {
  RETURN_IF_ERROR(RequirePartner(caller, "ListOverdue"));
  ASSIGN_OR_RETURN(std::vector<StoredHandover> pending,
                   store_->WithStatus({v1::PENDING}, caller->partner->id));
  AddStillPending(pending, /*only_overdue=*/true, response);
  return absl::OkStatus();
}

absl::Status HandoverService::DoListPending(const absl::StatusOr<Caller>& caller,
                                            v1::ListHandoversResponse* response) {
  RETURN_IF_ERROR(RequirePartner(caller, "ListPending"));
  ASSIGN_OR_RETURN(std::vector<StoredHandover> pending,
                   store_->WithStatus({v1::PENDING}, "", caller->partner->id));
  AddStillPending(pending, /*only_overdue=*/false, response);
  return absl::OkStatus();
}

void HandoverService::AddStillPending(std::vector<StoredHandover>& pending, bool only_overdue,
                                      v1::ListHandoversResponse* response) const {
  const int64_t now = services_.clock->NowUnixMicros();
  for (StoredHandover& stored : pending) {
    // Expired, though the sweep may not have recorded it yet: no longer
    // pending, and no longer fetchable.
    if (DueAt(stored, now) == RetentionDue::kExpiry) continue;
    Present(stored.handover);
    if (only_overdue && !stored.handover.overdue()) continue;
    *response->add_handovers() = std::move(stored.handover);
  }
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* HandoverService::WatchRaw(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes) {
  // A stream that ends at once with the reason.
  class Refused final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
   public:
    void Refuse(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
    void OnDone() override { delete this; }
  };
  v1::WatchHandoversRequest request;
  grpc::ByteBuffer bytes(*request_bytes);
  if (!grpc::SerializationTraits<v1::WatchHandoversRequest>::Deserialize(&bytes, &request).ok()) {
    auto* refused = new Refused();
    const UndecodableRefusal refuse =
        Refusal(services_, AuditEntry::HANDOVER, std::string(kService) + "Watch");
    auto answer = [refused, refuse, context] {
      refused->Refuse(refuse(context, internal::DecodeError(grpc::Status::CANCELLED)));
    };
    if (services_.workers == nullptr) {
      answer();
    } else if (!services_.workers->Post(answer)) {
      refused->Refuse(ServerBusy(services_.workers->max_queued()));
    }
    return refused;
  }
  absl::StatusOr<Caller> caller = Identify(context);
  absl::Status refused = RequirePartner(caller, "Watch");
  if (refused.ok() && hub_.closed()) {
    refused = MakeError(absl::StatusCode::kUnavailable, "SHUTTING_DOWN",
                        "the gateway is stopping; reconnect with your last cursor");
  }
  if (refused.ok() &&
      !hub_.Admit(caller->partner->id,
                  static_cast<size_t>(std::max(settings_.max_watch_streams_per_partner, 1)))) {
    log::Warn("watch_streams_exhausted", {{"partner", caller->partner->id}});
    refused = MakeError(absl::StatusCode::kResourceExhausted, "TOO_MANY_WATCH_STREAMS",
                        "partner " + caller->partner->id + " already has " +
                            std::to_string(settings_.max_watch_streams_per_partner) +
                            " Watch streams open, the most allowed; close one first");
  }
  if (!refused.ok()) {
    auto* stream = new Refused();
    stream->Refuse(refused);
    return stream;
  }
  return new WatchStream(&hub_, store_.get(), caller->partner->id, request.after_cursor(),
                         services_.revocations, caller->certificate);
}

grpc::ServerUnaryReactor* HandoverService::ListPending(grpc::CallbackServerContext* context,
                                                       const v1::ListPendingRequest*,
                                                       v1::ListHandoversResponse* response) {
  return RunUnary(services_.workers, context,
                  [=, this] { return DoListPending(Identify(context), response); });
}

grpc::ServerUnaryReactor* HandoverService::Fetch(grpc::CallbackServerContext* context,
                                                 const v1::GetHandoverRequest* request,
                                                 v1::FetchHandoverResponse* response) {
  return RunUnary(services_.workers, context,
                  [=, this] { return DoFetch(Identify(context), *request, response); });
}

absl::Status HandoverService::DoAcknowledge(const absl::StatusOr<Caller>& caller,
                                            const v1::GetHandoverRequest& request,
                                            Handover* response) {
  RETURN_IF_ERROR(RequirePartner(caller, "Acknowledge"));
  return AuditRefusal(caller, "Acknowledge", [&](std::string& subject_key) -> absl::Status {
    ASSIGN_OR_RETURN(StoredHandover stored, Visible(*caller, request.handover_id(), false, true));
    subject_key = stored.subject_key;
    RETURN_IF_ERROR(RequireRecipientRole(*caller, stored.handover));
    switch (stored.handover.status()) {
      case v1::DELIVERED:
        RETURN_IF_ERROR(Transition(&*caller, stored, v1::ACKNOWLEDGED, false, "Acknowledge"));
        break;
      case v1::ACKNOWLEDGED:
        break;  // idempotent
      case v1::PENDING:
        return WrongState("HANDOVER_NOT_FETCHED", stored.handover, "fetch it before confirming");
      default:
        return WrongState("HANDOVER_CLOSED", stored.handover, "it can no longer be confirmed");
    }
    *response = stored.handover;
    Present(*response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* HandoverService::Acknowledge(grpc::CallbackServerContext* context,
                                                       const v1::GetHandoverRequest* request,
                                                       Handover* response) {
  return RunUnary(services_.workers, context,
                  [=, this] { return DoAcknowledge(Identify(context), *request, response); });
}

grpc::ServerUnaryReactor* HandoverService::Refuse(grpc::CallbackServerContext* context,
                                                  const v1::RefuseHandoverRequest* request,
                                                  Handover* response) {
  return RunUnary(services_.workers, context, [=, this]() -> absl::Status {
    const absl::StatusOr<Caller> identified = Identify(context);
    RETURN_IF_ERROR(RequirePartner(identified, "Refuse"));
    const Caller& caller = *identified;
    return AuditRefusal(identified, "Refuse", [&](std::string& subject_key) -> absl::Status {
      if (!v1::RefusalReason_IsValid(request->reason()) ||
          request->reason() == v1::REFUSAL_REASON_UNSPECIFIED) {
        return Invalid("REFUSAL_REASON_REQUIRED", "give a refusal reason");
      }
      ASSIGN_OR_RETURN(StoredHandover stored, Visible(caller, request->handover_id(), false, true));
      subject_key = stored.subject_key;
      // Only the role it is for may turn it away (and so have it purged).
      RETURN_IF_ERROR(RequireRecipientRole(caller, stored.handover));
      switch (stored.handover.status()) {
        case v1::PENDING:
        case v1::DELIVERED: {
          stored.handover.set_refusal_reason(request->reason());
          RETURN_IF_ERROR(Transition(&caller, stored, v1::REFUSED, /*purge=*/true, "Refuse"));
          break;
        }
        case v1::REFUSED:
          break;  // idempotent
        default:
          return WrongState("HANDOVER_CLOSED", stored.handover, "it can no longer be refused");
      }
      *response = stored.handover;
      Present(*response);
      return absl::OkStatus();
    });
  });
}

void HandoverService::ServeDecodedRequests() {
  MarkMethodRawCallback(
      4, new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
             [this](grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
               return WatchRaw(context, request);
             }));
  MarkMethodRawCallback(0, DecodedHandler(this, &HandoverService::Send, services_.workers,
                                          Refusal(services_, v1::AuditEntry::HANDOVER,
                                                  "/ketenpoort.v1.HandoverService/Send")));
  MarkMethodRawCallback(1, DecodedHandler(this, &HandoverService::GetStatus, services_.workers,
                                          Refusal(services_, v1::AuditEntry::HANDOVER,
                                                  "/ketenpoort.v1.HandoverService/GetStatus")));
  MarkMethodRawCallback(2, DecodedHandler(this, &HandoverService::Withdraw, services_.workers,
                                          Refusal(services_, v1::AuditEntry::HANDOVER,
                                                  "/ketenpoort.v1.HandoverService/Withdraw")));
  MarkMethodRawCallback(3, DecodedHandler(this, &HandoverService::ListOverdue, services_.workers,
                                          Refusal(services_, v1::AuditEntry::HANDOVER,
                                                  "/ketenpoort.v1.HandoverService/ListOverdue")));
  MarkMethodRawCallback(5, DecodedHandler(this, &HandoverService::ListPending, services_.workers,
                                          Refusal(services_, v1::AuditEntry::HANDOVER,
                                                  "/ketenpoort.v1.HandoverService/ListPending")));
  MarkMethodRawCallback(6, DecodedHandler(this, &HandoverService::Fetch, services_.workers,
                                          Refusal(services_, v1::AuditEntry::ACCESS,
                                                  "/ketenpoort.v1.HandoverService/Fetch")));
  MarkMethodRawCallback(7, DecodedHandler(this, &HandoverService::Acknowledge, services_.workers,
                                          Refusal(services_, v1::AuditEntry::HANDOVER,
                                                  "/ketenpoort.v1.HandoverService/Acknowledge")));
  MarkMethodRawCallback(8, DecodedHandler(this, &HandoverService::Refuse, services_.workers,
                                          Refusal(services_, v1::AuditEntry::HANDOVER,
                                                  "/ketenpoort.v1.HandoverService/Refuse")));
}

}  // namespace ketenpoort::server
