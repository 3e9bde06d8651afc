#include "gateway/server/consent_service.h"

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/consent/consent_validation.h"
#include "gateway/server/unary_call.h"
#include "gateway/validate/subject_id.h"

namespace ketenpoort::server {
namespace {

constexpr char kService[] = "/ketenpoort.v1.ConsentService/";

bool MayRecordConsent(identity::PartnerType type) {
  using identity::PartnerType;
  switch (type) {
    case PartnerType::kCoa:
    case PartnerType::kGca:
    case PartnerType::kGgd:
    case PartnerType::kVwn:
    case PartnerType::kGemeente:
    case PartnerType::kHuisarts:
    case PartnerType::kJgz:
      return true;
    default:
      return false;
  }
}

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

}  // namespace

absl::StatusOr<Caller> ConsentService::Identify(grpc::CallbackServerContext* context) const {
  return IdentifyCaller(*context, services_.policies->Current()->partners(), services_.limits);
}

ChangeAuditor ConsentService::Auditor() const {
  return {services_.audit, services_.pseudonymizer, services_.clock,
          services_.policies->Current()->version()};
}

bool ConsentService::Visible(const Caller& caller, const v1::Consent& consent) const {
  const identity::Partner& partner = *caller.partner;
  if (consent.recorded_by_partner() == partner.id) return true;
  const v1::ConsentRecipient& recipient = consent.recipient();
  if (recipient.partner_id() == partner.id) return true;
  return recipient.partner_id().empty() &&
         recipient.partner_type() == identity::PartnerTypeName(partner.type) &&
         partner.Serves(recipient.municipality_code());
}

absl::Status ConsentService::DoGrant(const absl::StatusOr<Caller>& caller,
                                     const v1::GrantConsentRequest& request,
                                     v1::Consent* response) {
  RETURN_IF_ERROR(RequireKnownPartner(caller));
  if (!MayRecordConsent(caller->partner->type)) {
    return MakeError(absl::StatusCode::kPermissionDenied, "NOT_ENTITLED",
                     "partner " + caller->partner->id + " may not record consent");
  }
  RETURN_IF_ERROR(consent::ValidateConsent(
      request.consent(), services_.policies->Current()->partners(), *services_.catalog));
  v1::Consent consent = request.consent();
  consent.set_consent_id(NewConsentId());
  consent.set_recorded_by_partner(caller->partner->id);
  consent.set_recorded_by_actor(caller->actor_id);
  consent.set_recorded_at_unix_micros(services_.clock->NowUnixMicros());
  consent.clear_revoked_at_unix_micros();
  consent.clear_revoked_by_partner();
  consent.clear_revocation_reason();
  RETURN_IF_ERROR(Auditor().Record(*caller, v1::AuditEntry::CONSENT_CHANGE,
                                   std::string(kService) + "Grant", consent.subject_id(),
                                   consent.purpose(),
                                   "consent " + consent.consent_id() + " recorded (" +
                                       v1::ConsentEffect_Name(consent.effect()) + ")"));
  RETURN_IF_ERROR(registry_->Add(consent));
  *response = std::move(consent);
  return absl::OkStatus();
}

absl::Status ConsentService::DoRevoke(const absl::StatusOr<Caller>& caller,
                                      const v1::RevokeConsentRequest& request,
                                      v1::Consent* response) {
  RETURN_IF_ERROR(RequireKnownPartner(caller));
  if (!MayRecordConsent(caller->partner->type)) {
    return MakeError(absl::StatusCode::kPermissionDenied, "NOT_ENTITLED",
                     "partner " + caller->partner->id + " may not record revocations");
  }
  if (request.reason().size() > 256) {
    return MakeError(absl::StatusCode::kInvalidArgument, "REQUEST_TOO_LARGE",
                     "reason is limited to 256 bytes");
  }
  std::optional<v1::Consent> existing = registry_->Find(request.consent_id());
  if (!existing) {
    return MakeError(absl::StatusCode::kNotFound, "CONSENT_NOT_FOUND",
                     "no consent with id " + request.consent_id());
  }
  if (existing->revoked_at_unix_micros() != 0) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "CONSENT_ALREADY_REVOKED",
                     "consent " + request.consent_id() + " was already revoked");
  }
  RETURN_IF_ERROR(Auditor().Record(*caller, v1::AuditEntry::CONSENT_CHANGE,
                                   std::string(kService) + "Revoke", existing->subject_id(),
                                   existing->purpose(),
                                   "consent " + existing->consent_id() + " revoked"));
  ASSIGN_OR_RETURN(*response,
                   registry_->Revoke(request.consent_id(), caller->partner->id, request.reason(),
                                     services_.clock->NowUnixMicros()));
  return absl::OkStatus();
}

absl::Status ConsentService::DoList(const absl::StatusOr<Caller>& caller,
                                    const v1::ListConsentsRequest& request,
                                    v1::ListConsentsResponse* response) {
  RETURN_IF_ERROR(RequireKnownPartner(caller));
  RETURN_IF_ERROR(validate::ValidateSubjectId(request.subject_id()));
  for (v1::Consent& consent : registry_->ForSubject(request.subject_id())) {
    if (Visible(*caller, consent)) *response->add_consents() = std::move(consent);
  }
  return absl::OkStatus();
}

absl::Status ConsentService::DoGetReceipt(const absl::StatusOr<Caller>& caller,
                                          const v1::GetConsentReceiptRequest& request,
                                          v1::ConsentReceipt* response) {
  RETURN_IF_ERROR(RequireKnownPartner(caller));
  std::optional<v1::Consent> consent = registry_->Find(request.consent_id());
  // Invisible and absent look the same to the caller.
  if (!consent || !Visible(*caller, *consent)) {
    return MakeError(absl::StatusCode::kNotFound, "CONSENT_NOT_FOUND",
                     "no consent with id " + request.consent_id());
  }
  response->set_json(ConsentReceiptJson(*consent, services_.policies->Current()->partners()));
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* ConsentService::Grant(grpc::CallbackServerContext* context,
                                                const v1::GrantConsentRequest* request,
                                                v1::Consent* response) {
  return RunUnary(context, [&] { return DoGrant(Identify(context), *request, response); });
}

grpc::ServerUnaryReactor* ConsentService::Revoke(grpc::CallbackServerContext* context,
                                                 const v1::RevokeConsentRequest* request,
                                                 v1::Consent* response) {
  return RunUnary(context, [&] { return DoRevoke(Identify(context), *request, response); });
}

grpc::ServerUnaryReactor* ConsentService::List(grpc::CallbackServerContext* context,
                                               const v1::ListConsentsRequest* request,
                                               v1::ListConsentsResponse* response) {
  return RunUnary(context, [&] { return DoList(Identify(context), *request, response); });
}

grpc::ServerUnaryReactor* ConsentService::GetReceipt(grpc::CallbackServerContext* context,
                                                     const v1::GetConsentReceiptRequest* request,
                                                     v1::ConsentReceipt* response) {
  return RunUnary(context, [&] { return DoGetReceipt(Identify(context), *request, response); });
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
      {"collectionMethod", "recorded by a chain partner on behalf of the person"},
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

}  // namespace ketenpoort::server
