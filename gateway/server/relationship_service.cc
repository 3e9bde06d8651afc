#include "gateway/server/relationship_service.h"

#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/server/decoded_call.h"
#include "gateway/server/unary_call.h"

namespace ketenpoort::server {
namespace {

constexpr char kSetKoppeling[] = "/ketenpoort.v1.RelationshipService/SetKoppeling";
constexpr char kSetGpRegistration[] = "/ketenpoort.v1.RelationshipService/SetGpRegistration";
constexpr char kLinkIdentifiers[] = "/ketenpoort.v1.RelationshipService/LinkIdentifiers";

// The same words whatever the person's facts are: a refusal tells the
// caller nothing about whom the person is linked to or registered with.
absl::Status NotEntitled(const Caller& caller, policy::Fact fact) {
  return MakeError(absl::StatusCode::kPermissionDenied, "NOT_ENTITLED",
                   "partner " + caller.partner->id + " (role '" + caller.actor_role +
                       "') may not record " + std::string(policy::FactName(fact)) +
                       " for this person; see policies/assertions.yaml");
}

}  // namespace

absl::Status RelationshipService::DoSetKoppeling(const absl::StatusOr<Caller>& caller,
                                                 const v1::SetKoppelingRequest& request,
                                                 v1::Koppeling* response) {
  const v1::Koppeling& koppeling = request.koppeling();
  v1::AuditEntry entry = audit_.NewEntry(caller, v1::AuditEntry::RELATIONSHIP_CHANGE, kSetKoppeling,
                                         koppeling.subject_id(), v1::HOUSING);
  entry.set_record_type("ketenpoort.Koppeling");
  if (absl::Status unknown = RequireKnownPartner(caller); !unknown.ok()) {
    return audit_.Refuse(std::move(entry), unknown);
  }
  if (absl::Status invalid = relationships::ValidateKoppeling(koppeling); !invalid.ok()) {
    return audit_.Refuse(std::move(entry), invalid);
  }
  policy::AssertionRequest ask =
      AssertionBy(*caller, policy::Fact::kKoppeling, koppeling.subject_id(), services_.facts);
  ask.has_evidence = !koppeling.evidence_reference().empty();
  const policy::AssertionDecision may = caller->policies->assertions().Decide(ask);
  if (!may.permit) {
    return audit_.Refuse(std::move(entry), NotEntitled(*caller, policy::Fact::kKoppeling),
                         "koppeling refused: " + may.explanation);
  }
  RETURN_IF_ERROR(audit_.Permit(
      std::move(entry),
      "koppeling to municipality " + koppeling.municipality_code() + ", " + may.explanation));
  RETURN_IF_ERROR(registry_->SetKoppeling(koppeling));
  *response = koppeling;
  return absl::OkStatus();
}

absl::Status RelationshipService::DoSetGpRegistration(const absl::StatusOr<Caller>& caller,
                                                      const v1::SetGpRegistrationRequest& request,
                                                      v1::GpRegistration* response) {
  const v1::GpRegistration& registration = request.registration();
  v1::AuditEntry entry =
      audit_.NewEntry(caller, v1::AuditEntry::RELATIONSHIP_CHANGE, kSetGpRegistration,
                      registration.subject_id(), v1::CONTINUITY_OF_CARE);
  entry.set_record_type("ketenpoort.GpRegistration");
  if (absl::Status unknown = RequireKnownPartner(caller); !unknown.ok()) {
    return audit_.Refuse(std::move(entry), unknown);
  }
  if (absl::Status invalid = relationships::ValidateGpRegistration(registration); !invalid.ok()) {
    return audit_.Refuse(std::move(entry), invalid);
  }
  const identity::Partner* practice =
      caller->policies->partners().FindById(registration.practice_partner_id());
  if (practice == nullptr || practice->type != identity::PartnerType::kHuisarts) {
    return audit_.Refuse(std::move(entry),
                         MakeError(absl::StatusCode::kInvalidArgument, "INVALID_RELATIONSHIP",
                                   "practice_partner_id '" + registration.practice_partner_id() +
                                       "' is not a known GP practice"));
  }
  const policy::Fact fact =
      registration.ended() ? policy::Fact::kGpDeregistration : policy::Fact::kGpRegistration;
  policy::AssertionRequest ask =
      AssertionBy(*caller, fact, registration.subject_id(), services_.facts);
  ask.has_evidence = !registration.evidence_reference().empty();
  ask.practice = practice;
  const policy::AssertionDecision may = caller->policies->assertions().Decide(ask);
  if (!may.permit) {
    return audit_.Refuse(std::move(entry), NotEntitled(*caller, fact),
                         std::string(policy::FactName(fact)) + " refused: " + may.explanation);
  }

  if (registration.ended()) {
    entry.set_event(v1::AuditEntry::GP_REGISTRATION_ENDED);
    if (!registry_->IsRegisteredWithGp(registration.subject_id(), practice->id)) {
      return audit_.Refuse(
          std::move(entry),
          MakeError(absl::StatusCode::kFailedPrecondition, "GP_REGISTRATION_NOT_CURRENT",
                    "the person is not registered with practice " + practice->id));
    }
    RETURN_IF_ERROR(audit_.Permit(
        std::move(entry), "GP registration at " + practice->id + " ended, " + may.explanation));
    RETURN_IF_ERROR(registry_->EndGpRegistration(registration));
    *response = registration;
    return absl::OkStatus();
  }

  // A change of GP ends the previous registration in an entry of its own
  // (in the person's access report), before the new one is recorded.
  const std::optional<std::string> previous = registry_->GpPracticeOf(registration.subject_id());
  if (previous && *previous != practice->id) {
    v1::AuditEntry ended = entry;
    ended.set_event(v1::AuditEntry::GP_REGISTRATION_ENDED);
    RETURN_IF_ERROR(audit_.Permit(std::move(ended), "GP registration at " + *previous +
                                                        " ended: the person changed to " +
                                                        practice->id + ", " + may.explanation));
  }
  RETURN_IF_ERROR(audit_.Permit(std::move(entry),
                                "GP registration at " + practice->id + ", " + may.explanation));
  RETURN_IF_ERROR(registry_->SetGpRegistration(registration));
  *response = registration;
  return absl::OkStatus();
}

absl::Status RelationshipService::DoLinkIdentifiers(const absl::StatusOr<Caller>& caller,
                                                    const v1::LinkIdentifiersRequest& request,
                                                    v1::IdentifierLink* response) {
  const v1::IdentifierLink& link = request.link();
  // Filed under the V-nummer: the person's key once the link holds.
  v1::AuditEntry entry = audit_.NewEntry(caller, v1::AuditEntry::RELATIONSHIP_CHANGE,
                                         kLinkIdentifiers, link.v_number(), v1::HOUSING);
  entry.set_record_type("ketenpoort.IdentifierLink");
  if (absl::Status unknown = RequireKnownPartner(caller); !unknown.ok()) {
    return audit_.Refuse(std::move(entry), unknown);
  }
  if (absl::Status invalid = relationships::ValidateIdentifierLink(link); !invalid.ok()) {
    return audit_.Refuse(std::move(entry), invalid);
  }
  policy::AssertionRequest ask =
      AssertionBy(*caller, policy::Fact::kIdentifierLink, link.v_number(), services_.facts);
  ask.has_evidence = !link.evidence_reference().empty();
  const policy::AssertionDecision may = caller->policies->assertions().Decide(ask);
  if (!may.permit) {
    return audit_.Refuse(std::move(entry), NotEntitled(*caller, policy::Fact::kIdentifierLink),
                         "identifier link refused: " + may.explanation);
  }
  // Checked before the entry is written, applied after: a link that
  // conflicts is refused and audited as such, never merged. One link at a
  // time, so two claims cannot both pass the check.
  std::lock_guard<std::mutex> one_at_a_time(link_mutex_);
  if (std::optional<v1::IdentifierLink> existing = registry_->LinkOf(link.v_number());
      existing && existing->bsn() == link.bsn()) {
    RETURN_IF_ERROR(audit_.Permit(std::move(entry),
                                  "V-nummer and BSN were already linked, " + may.explanation));
    *response = *existing;
    return absl::OkStatus();
  }
  if (absl::Status conflict = registry_->CheckLink(link); !conflict.ok()) {
    return audit_.Refuse(std::move(entry), conflict);
  }
  v1::AuditEntry failed = entry;
  RETURN_IF_ERROR(audit_.Permit(std::move(entry), "V-nummer and BSN linked, " + may.explanation));
  if (absl::StatusOr<bool> linked = registry_->LinkIdentifiers(link); !linked.ok()) {
    // A koppeling or GP registration written since the check: the log
    // says the link did not hold after all.
    return audit_.Refuse(std::move(failed), linked.status(), "identifier link not applied");
  }
  *response = link;
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RelationshipService::SetKoppeling(grpc::CallbackServerContext* context,
                                                            const v1::SetKoppelingRequest* request,
                                                            v1::Koppeling* response) {
  return RunUnary(services_.workers, context, [=, this] {
    return DoSetKoppeling(services_.Identify(*context), *request, response);
  });
}

grpc::ServerUnaryReactor* RelationshipService::SetGpRegistration(
    grpc::CallbackServerContext* context, const v1::SetGpRegistrationRequest* request,
    v1::GpRegistration* response) {
  return RunUnary(services_.workers, context, [=, this] {
    return DoSetGpRegistration(services_.Identify(*context), *request, response);
  });
}

grpc::ServerUnaryReactor* RelationshipService::LinkIdentifiers(
    grpc::CallbackServerContext* context, const v1::LinkIdentifiersRequest* request,
    v1::IdentifierLink* response) {
  return RunUnary(services_.workers, context, [=, this] {
    return DoLinkIdentifiers(services_.Identify(*context), *request, response);
  });
}

void RelationshipService::ServeDecodedRequests() {
  MarkMethodRawCallback(0,
                        DecodedHandler(this, &RelationshipService::SetKoppeling, services_.workers,
                                       Refusal(services_, v1::AuditEntry::RELATIONSHIP_CHANGE,
                                               "/ketenpoort.v1.RelationshipService/SetKoppeling")));
  MarkMethodRawCallback(
      1, DecodedHandler(this, &RelationshipService::SetGpRegistration, services_.workers,
                        Refusal(services_, v1::AuditEntry::RELATIONSHIP_CHANGE,
                                "/ketenpoort.v1.RelationshipService/SetGpRegistration")));
  MarkMethodRawCallback(
      2, DecodedHandler(this, &RelationshipService::LinkIdentifiers, services_.workers,
                        Refusal(services_, v1::AuditEntry::RELATIONSHIP_CHANGE, kLinkIdentifiers)));
}

}  // namespace ketenpoort::server
