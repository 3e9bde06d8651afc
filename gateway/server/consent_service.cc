#include "gateway/server/consent_service.h"

#include <openssl/rand.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "gateway/audit/visibility_text.h"
#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/consent/consent_validation.h"
#include "gateway/policy/visibility.h"
#include "gateway/server/decoded_call.h"
#include "gateway/server/unary_call.h"
#include "gateway/validate/subject_id.h"

namespace ketenpoort::server {
namespace {

constexpr char kGrant[] = "/ketenpoort.v1.ConsentService/Grant";
constexpr char kRevoke[] = "/ketenpoort.v1.ConsentService/Revoke";
constexpr char kList[] = "/ketenpoort.v1.ConsentService/List";
constexpr char kReceipt[] = "/ketenpoort.v1.ConsentService/GetReceipt";
constexpr char kWhoMaySee[] = "/ketenpoort.v1.ConsentService/WhoMaySee";
constexpr char kVisibilityRecord[] = "ketenpoort.Visibility";
constexpr int64_t kMicrosPerDay = 86'400LL * 1'000'000LL;
// What a change entry is about, as the access report names it.
constexpr char kConsentRecord[] = "ketenpoort.Consent";

std::string NewConsentId() {
  unsigned char bytes[12];
  RAND_bytes(bytes, sizeof bytes);
  return "cns-" +
         crypto::ToHex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string Iso8601(int64_t unix_micros) {
  const int64_t seconds = unix_micros / 1'000'000;
  const time_t t = static_cast<time_t>(seconds);
  struct tm utc;
  gmtime_r(&t, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

// The same answer for an id that does not exist and one the caller may
// not touch or see: no probing for who has which consent.
absl::Status ConsentNotFound(const std::string& consent_id) {
  return MakeError(absl::StatusCode::kNotFound, "CONSENT_NOT_FOUND",
                   "no consent with id " + consent_id + " for you");
}

bool NamesAsRecipient(const v1::ConsentRecipient& recipient, const identity::Partner& partner) {
  if (!recipient.partner_id().empty()) return recipient.partner_id() == partner.id;
  return recipient.partner_type() == identity::PartnerTypeName(partner.type) &&
         partner.Serves(recipient.municipality_code());
}

bool IsTheSubject(const Caller& caller, const std::string& subject_id, const policy::Facts& facts) {
  return caller.partner->type == identity::PartnerType::kSubjectPortal &&
         facts.SamePerson(caller.authenticated_subject, subject_id);
}

}  // namespace

absl::StatusOr<Caller> ConsentService::Identify(grpc::CallbackServerContext* context) const {
  return services_.Identify(*context);
}

bool ConsentService::Visible(const Caller& caller, const v1::Consent& consent) const {
  // The portal speaks for the person signed in, never for the portal as a
  // whole: what it recorded for one person is not another's to see.
  if (caller.partner->type == identity::PartnerType::kSubjectPortal) {
    return IsTheSubject(caller, consent.subject_id(), *services_.facts);
  }
  // A recipient sees the permissions that name it, not the objections: an
  // objection would tell a partner with no relationship with the person
  // what a denial does not.
  return consent.recorded_by_partner() == caller.partner->id ||
         (consent.effect() == v1::PERMIT && NamesAsRecipient(consent.recipient(), *caller.partner));
}

policy::AssertionDecision ConsentService::MayRecord(const Caller& caller,
                                                    const v1::Consent& consent) const {
  policy::AssertionRequest ask = AssertionBy(
      caller, consent.effect() == v1::OBJECTION ? policy::Fact::kObjection : policy::Fact::kConsent,
      consent.subject_id(), services_.facts);
  ask.has_evidence = !consent.evidence_reference().empty();
  ask.caller_holds_scope = CallerHoldsScope(*caller.partner, consent);
  ask.names_caller_as_recipient = NamesAsRecipient(consent.recipient(), *caller.partner);
  return caller.policies->assertions().Decide(ask);
}

bool ConsentService::CallerHoldsScope(const identity::Partner& partner,
                                      const v1::Consent& consent) const {
  std::vector<std::string> covered(consent.record_types().begin(), consent.record_types().end());
  if (covered.empty()) {
    // A category scope covers every record type with a field in one of them.
    uint32_t mask = 0;
    for (int category : consent.categories()) mask |= 1u << category;
    for (const std::string& type : services_.catalog->RecordTypes()) {
      if (records::RecordCatalog::CategoryMask(services_.catalog->Find(type)) & mask) {
        covered.push_back(type);
      }
    }
  }
  size_t held = 0;
  for (const std::string& type : covered) {
    const sources::SourceRouter::Route* route = services_.sources->Find(type);
    if (route != nullptr && route->owner == partner.id) ++held;
  }
  return consent.effect() == v1::OBJECTION ? held > 0 : held > 0 && held == covered.size();
}

absl::Status ConsentService::DoGrant(const absl::StatusOr<Caller>& caller,
                                     const v1::GrantConsentRequest& request,
                                     v1::Consent* response) {
  const v1::Consent& asked = request.consent();
  v1::AuditEntry entry = audit_.NewEntry(caller, v1::AuditEntry::CONSENT_CHANGE, kGrant,
                                         asked.subject_id(), asked.purpose());
  if (request.consent().effect() == v1::OBJECTION) {
    entry.set_event(v1::AuditEntry::OBJECTION_RECORDED);
  }
  entry.set_record_type(kConsentRecord);
  if (absl::Status unknown = RequireKnownPartner(caller); !unknown.ok()) {
    return audit_.Refuse(std::move(entry), unknown);
  }
  const policy::PolicySet& policies = *caller->policies;
  if (absl::Status invalid =
          consent::ValidateConsent(asked, policies.partners(), *services_.catalog);
      !invalid.ok()) {
    return audit_.Refuse(std::move(entry), invalid);
  }
  const bool objection = asked.effect() == v1::OBJECTION;
  const policy::AssertionDecision may = MayRecord(*caller, asked);
  if (!may.permit) {
    return audit_.Refuse(
        std::move(entry),
        MakeError(absl::StatusCode::kPermissionDenied, "NOT_ENTITLED",
                  "partner " + caller->partner->id + " may not record this " +
                      (objection ? "objection" : "consent") +
                      " for this person: " + may.explanation),
        std::string(objection ? "objection" : "consent") + " refused: " + may.explanation);
  }
  // A bound per person, so no one can grow the registry (held in memory,
  // matched on every decision) without limit. Revoking makes room.
  const std::vector<v1::Consent> existing = registry_->ForSubject(asked.subject_id());
  const auto in_force = std::count_if(existing.begin(), existing.end(), [](const v1::Consent& c) {
    return c.revoked_at_unix_micros() == 0;
  });
  if (in_force >= max_per_subject_) {
    return audit_.Refuse(std::move(entry),
                         MakeError(absl::StatusCode::kResourceExhausted, "TOO_MANY_CONSENTS",
                                   "this person already has " + std::to_string(max_per_subject_) +
                                       " consents and objections in force, the most allowed; "
                                       "revoke one first"));
  }
  v1::Consent consent = asked;
  consent.set_consent_id(NewConsentId());
  consent.set_recorded_by_partner(caller->partner->id);
  consent.set_recorded_by_actor(caller->actor_id);
  consent.set_recorded_at_unix_micros(services_.clock->NowUnixMicros());
  consent.clear_revoked_at_unix_micros();
  consent.clear_revoked_by_partner();
  consent.clear_revocation_reason();
  RETURN_IF_ERROR(audit_.Permit(
      std::move(entry), "consent " + consent.consent_id() + " recorded (" +
                            v1::ConsentEffect_Name(consent.effect()) + "), " + may.explanation));
  RETURN_IF_ERROR(registry_->Add(consent));
  *response = std::move(consent);
  return absl::OkStatus();
}

absl::Status ConsentService::DoRevoke(const absl::StatusOr<Caller>& caller,
                                      const v1::RevokeConsentRequest& request,
                                      v1::Consent* response) {
  v1::AuditEntry entry = audit_.NewEntry(caller, v1::AuditEntry::CONSENT_CHANGE, kRevoke);
  entry.set_record_type(kConsentRecord);
  if (absl::Status unknown = RequireKnownPartner(caller); !unknown.ok()) {
    return audit_.Refuse(std::move(entry), unknown);
  }
  if (request.reason().size() > 256) {
    return audit_.Refuse(std::move(entry),
                         MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_TOO_LARGE",
                                   "reason is limited to 256 bytes"));
  }
  if (request.consent_id().size() > 64) {
    return audit_.Refuse(std::move(entry),
                         MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_TOO_LARGE",
                                   "consent_id is limited to 64 bytes"));
  }
  std::optional<v1::Consent> existing = registry_->Find(request.consent_id());
  if (!existing) {
    return audit_.Refuse(std::move(entry), ConsentNotFound(request.consent_id()),
                         "no such consent");
  }
  entry.set_subject_pseudonym(audit_.pseudonymizer().Pseudonym(existing->subject_id()));
  entry.set_purpose(existing->purpose());
  policy::AssertionRequest ask =
      AssertionBy(*caller, policy::Fact::kRevocation, existing->subject_id(), services_.facts);
  ask.recorded_by = existing->recorded_by_partner();
  ask.may_record_it = MayRecord(*caller, *existing).permit;
  // A permission to "every GP in Woerden" is not one practice's to drop.
  ask.permit_to_caller =
      existing->effect() == v1::PERMIT && existing->recipient().partner_id() == caller->partner->id;
  const policy::AssertionDecision may = caller->policies->assertions().Decide(ask);
  if (!may.permit) {
    // Recorded as what it was; answered as if the consent did not exist.
    return audit_.Refuse(
        std::move(entry), ConsentNotFound(request.consent_id()),
        "revocation of consent " + existing->consent_id() + " refused: " + may.explanation,
        "NOT_ENTITLED");
  }
  if (existing->revoked_at_unix_micros() != 0) {
    return audit_.Refuse(std::move(entry),
                         MakeError(absl::StatusCode::kFailedPrecondition, "CONSENT_ALREADY_REVOKED",
                                   "consent " + request.consent_id() + " was already revoked"));
  }
  RETURN_IF_ERROR(audit_.Permit(
      std::move(entry), "consent " + existing->consent_id() + " revoked, " + may.explanation));
  ASSIGN_OR_RETURN(*response,
                   registry_->Revoke(request.consent_id(), caller->partner->id, request.reason(),
                                     services_.clock->NowUnixMicros()));
  return absl::OkStatus();
}

absl::Status ConsentService::DoList(const absl::StatusOr<Caller>& caller,
                                    const v1::ListConsentsRequest& request,
                                    v1::ListConsentsResponse* response) {
  if (absl::Status unknown = RequireKnownPartner(caller); !unknown.ok()) {
    return audit_.Refuse(
        audit_.NewEntry(caller, v1::AuditEntry::ADMIN, kList, request.subject_id()), unknown);
  }
  v1::AuditEntry entry =
      audit_.NewEntry(caller, v1::AuditEntry::ACCESS, kList, request.subject_id());
  entry.set_record_type(kConsentRecord);
  if (absl::Status invalid = validate::ValidateSubjectId(request.subject_id()); !invalid.ok()) {
    return audit_.Refuse(std::move(entry), invalid);
  }
  for (v1::Consent& consent : registry_->ForSubject(request.subject_id())) {
    if (Visible(*caller, consent)) *response->add_consents() = std::move(consent);
  }
  // Reading a person's consents is a use of their data: it is in their report.
  const absl::Status audited = audit_.Permit(
      std::move(entry), "listed " + std::to_string(response->consents_size()) + " consents");
  if (!audited.ok()) response->Clear();
  return audited;
}

absl::Status ConsentService::DoGetReceipt(const absl::StatusOr<Caller>& caller,
                                          const v1::GetConsentReceiptRequest& request,
                                          v1::ConsentReceipt* response) {
  if (absl::Status unknown = RequireKnownPartner(caller); !unknown.ok()) {
    return audit_.Refuse(audit_.NewEntry(caller, v1::AuditEntry::ADMIN, kReceipt), unknown);
  }
  v1::AuditEntry entry = audit_.NewEntry(caller, v1::AuditEntry::ACCESS, kReceipt);
  entry.set_record_type(kConsentRecord);
  std::optional<v1::Consent> consent = registry_->Find(request.consent_id());
  if (!consent || !Visible(*caller, *consent)) {
    return audit_.Refuse(std::move(entry), ConsentNotFound(request.consent_id()));
  }
  entry.set_subject_pseudonym(audit_.pseudonymizer().Pseudonym(consent->subject_id()));
  entry.set_purpose(consent->purpose());
  RETURN_IF_ERROR(audit_.Permit(std::move(entry), "receipt of consent " + consent->consent_id()));
  response->set_json(ConsentReceiptJson(*consent, caller->policies->partners()));
  return absl::OkStatus();
}

absl::Status ConsentService::DoWhoMaySee(const absl::StatusOr<Caller>& caller,
                                         const v1::WhoMaySeeRequest& request,
                                         v1::WhoMaySeeResponse* response) {
  if (absl::Status unknown = RequireKnownPartner(caller); !unknown.ok()) {
    return audit_.Refuse(
        audit_.NewEntry(caller, v1::AuditEntry::ADMIN, kWhoMaySee, request.subject_id()), unknown);
  }
  v1::AuditEntry entry =
      audit_.NewEntry(caller, v1::AuditEntry::ACCESS, kWhoMaySee, request.subject_id());
  entry.set_record_type(kVisibilityRecord);
  entry.set_purpose(v1::SUBJECT_ACCESS);
  if (absl::Status invalid = validate::ValidateSubjectId(request.subject_id()); !invalid.ok()) {
    return audit_.Refuse(std::move(entry), invalid);
  }
  // What others may see of a person is itself about the person: only they
  // (and the supervisor) may know it.
  if (!IsTheSubject(*caller, request.subject_id(), *services_.facts) &&
      caller->partner->type != identity::PartnerType::kSupervisor) {
    return audit_.Refuse(
        std::move(entry),
        MakeError(absl::StatusCode::kPermissionDenied, policy::reason::kNotTheSubject,
                  "who may see a person's data is told to the person signed in at the subject "
                  "portal, and to a supervisor"));
  }
  absl::StatusOr<const audit::AccessReportCatalogue*> catalogue =
      catalogues_->ForRequest(request.language());
  if (!catalogue.ok()) return audit_.Refuse(std::move(entry), catalogue.status());
  const int64_t now = services_.clock->NowUnixMicros();
  const std::vector<policy::VisibleRecord> visible = policy::WhoMaySee(
      *caller->policies, *services_.facts, request.subject_id(), now / kMicrosPerDay);
  v1::WhoMaySeeResponse answer = audit::RenderVisibility(**catalogue, visible, now);
  answer.set_policy_version(caller->policies->version());
  RETURN_IF_ERROR(audit_.Permit(std::move(entry), "listed " + std::to_string(visible.size()) +
                                                      " who may see (" + (*catalogue)->language +
                                                      ")"));
  *response = std::move(answer);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* ConsentService::Grant(grpc::CallbackServerContext* context,
                                                const v1::GrantConsentRequest* request,
                                                v1::Consent* response) {
  return RunUnary(services_.workers, context,
                  [=, this] { return DoGrant(Identify(context), *request, response); });
}

grpc::ServerUnaryReactor* ConsentService::Revoke(grpc::CallbackServerContext* context,
                                                 const v1::RevokeConsentRequest* request,
                                                 v1::Consent* response) {
  return RunUnary(services_.workers, context,
                  [=, this] { return DoRevoke(Identify(context), *request, response); });
}

grpc::ServerUnaryReactor* ConsentService::List(grpc::CallbackServerContext* context,
                                               const v1::ListConsentsRequest* request,
                                               v1::ListConsentsResponse* response) {
  return RunUnary(services_.workers, context,
                  [=, this] { return DoList(Identify(context), *request, response); });
}

grpc::ServerUnaryReactor* ConsentService::GetReceipt(grpc::CallbackServerContext* context,
                                                     const v1::GetConsentReceiptRequest* request,
                                                     v1::ConsentReceipt* response) {
  return RunUnary(services_.workers, context,
                  [=, this] { return DoGetReceipt(Identify(context), *request, response); });
}

grpc::ServerUnaryReactor* ConsentService::WhoMaySee(grpc::CallbackServerContext* context,
                                                    const v1::WhoMaySeeRequest* request,
                                                    v1::WhoMaySeeResponse* response) {
  return RunUnary(services_.workers, context,
                  [=, this] { return DoWhoMaySee(Identify(context), *request, response); });
}

std::string ConsentReceiptJson(const v1::Consent& consent,
                               const identity::PartnerRegistry& partners) {
  using nlohmann::ordered_json;
  auto partner_name = [&partners](const std::string& id) {
    const identity::Partner* partner = partners.FindById(id);
    return partner ? partner->name : id;
  };
  ordered_json categories = ordered_json::array();
  bool sensitive = false;
  ordered_json special = ordered_json::array();
  for (int category : consent.categories()) {
    const std::string name = DataCategory_Name(static_cast<DataCategory>(category));
    categories.push_back(name);
    if (category == HEALTH || category == MENTAL_HEALTH || category == YOUTH_HEALTH) {
      sensitive = true;
      special.push_back(name);
    }
  }
  const v1::ConsentRecipient& recipient = consent.recipient();
  const std::string recipient_name =
      !recipient.partner_id().empty()
          ? partner_name(recipient.partner_id())
          : recipient.partner_type() + " in municipality " + recipient.municipality_code();
  // Field names follow the Kantara Consent Receipt Specification v1.1.
  ordered_json receipt = {
      {"version", "KI-CR-v1.1.0"},
      {"jurisdiction", "NL"},
      {"consentTimestamp", consent.recorded_at_unix_micros() / 1'000'000},
      {"collectionMethod", consent.recorded_by_partner() == "" ? "unknown"
                           : partners.FindById(consent.recorded_by_partner()) != nullptr &&
                                   partners.FindById(consent.recorded_by_partner())->type ==
                                       identity::PartnerType::kSubjectPortal
                               ? "given by the person at the subject portal"
                               : "recorded by a chain partner on behalf of the person"},
      {"consentReceiptID", consent.consent_id()},
      {"language", consent.language()},
      {"piiPrincipalId", consent.subject_id()},
      {"piiControllers",
       ordered_json::array(
           {{{"piiController", partner_name(consent.recorded_by_partner())}, {"onBehalf", true}}})},
      {"services",
       ordered_json::array(
           {{{"service", "Ketenpoort " + v1::Purpose_Name(consent.purpose())},
             {"purposes",
              ordered_json::array(
                  {{{"purpose", v1::Purpose_Name(consent.purpose())},
                    {"consentType",
                     consent.effect() == v1::OBJECTION ? "EXPLICIT_OBJECTION" : "EXPLICIT"},
                    {"piiCategory", categories},
                    {"recordTypes", consent.record_types()},
                    {"primaryPurpose", true},
                    {"termination", "valid until " + consent.valid_until() + " or until revoked"},
                    {"thirdPartyDisclosure", true},
                    {"thirdPartyName", recipient_name}}})}}})},
      {"sensitive", sensitive},
      {"spiCat", special},
      {"validFrom", consent.valid_from()},
      {"validUntil", consent.valid_until()},
      {"interpreterUsed", consent.interpreter_used()},
      {"interpreterReference", consent.interpreter_reference()},
      {"evidenceReference", consent.evidence_reference()},
      {"status", consent.revoked_at_unix_micros() != 0 ? "REVOKED" : "ACTIVE"},
  };
  if (consent.revoked_at_unix_micros() != 0) {
    receipt["revokedAt"] = Iso8601(consent.revoked_at_unix_micros());
  }
  return receipt.dump(2);
}

void ConsentService::ServeDecodedRequests() {
  MarkMethodRawCallback(0, DecodedHandler(this, &ConsentService::Grant, services_.workers,
                                          Refusal(services_, v1::AuditEntry::CONSENT_CHANGE,
                                                  "/ketenpoort.v1.ConsentService/Grant")));
  MarkMethodRawCallback(1, DecodedHandler(this, &ConsentService::Revoke, services_.workers,
                                          Refusal(services_, v1::AuditEntry::CONSENT_CHANGE,
                                                  "/ketenpoort.v1.ConsentService/Revoke")));
  MarkMethodRawCallback(2, DecodedHandler(this, &ConsentService::List, services_.workers,
                                          Refusal(services_, v1::AuditEntry::ACCESS,
                                                  "/ketenpoort.v1.ConsentService/List")));
  MarkMethodRawCallback(3, DecodedHandler(this, &ConsentService::GetReceipt, services_.workers,
                                          Refusal(services_, v1::AuditEntry::ACCESS,
                                                  "/ketenpoort.v1.ConsentService/GetReceipt")));
  MarkMethodRawCallback(4, DecodedHandler(this, &ConsentService::WhoMaySee, services_.workers,
                                          Refusal(services_, v1::AuditEntry::ACCESS, kWhoMaySee)));
}

}  // namespace ketenpoort::server
