#include "gateway/server/relationship_service.h"

#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/server/unary_call.h"

namespace ketenpoort::server {
namespace {

constexpr char kService[] = "/ketenpoort.v1.RelationshipService/";

absl::Status NotEntitled(std::string message) {
  return MakeError(absl::StatusCode::kPermissionDenied, "NOT_ENTITLED", message);
}

}  // namespace

ChangeAuditor RelationshipService::Auditor() const {
  return {services_.audit, services_.pseudonymizer, services_.clock,
          services_.policies->Current()->version()};
}

absl::Status RelationshipService::DoSetKoppeling(const absl::StatusOr<Caller>& caller,
                                                 const v1::SetKoppelingRequest& request,
                                                 v1::Koppeling* response) {
  RETURN_IF_ERROR(RequireKnownPartner(caller));
  if (caller->partner->type != identity::PartnerType::kCoa) {
    return NotEntitled("only COA records koppelingen");
  }
  RETURN_IF_ERROR(relationships::ValidateKoppeling(request.koppeling()));
  RETURN_IF_ERROR(Auditor().Record(
      *caller, v1::AuditEntry::RELATIONSHIP_CHANGE, std::string(kService) + "SetKoppeling",
      request.koppeling().subject_id(), v1::HOUSING,
      "koppeling to municipality " + request.koppeling().municipality_code()));
  RETURN_IF_ERROR(registry_->SetKoppeling(request.koppeling()));
  *response = request.koppeling();
  return absl::OkStatus();
}

absl::Status RelationshipService::DoSetGpRegistration(const absl::StatusOr<Caller>& caller,
                                                      const v1::SetGpRegistrationRequest& request,
                                                      v1::GpRegistration* response) {
  RETURN_IF_ERROR(RequireKnownPartner(caller));
  const v1::GpRegistration& registration = request.registration();
  RETURN_IF_ERROR(relationships::ValidateGpRegistration(registration));
  const auto policies = services_.policies->Current();
  const identity::Partner* practice =
      policies->partners().FindById(registration.practice_partner_id());
  if (practice == nullptr || practice->type != identity::PartnerType::kHuisarts) {
    return MakeError(absl::StatusCode::kInvalidArgument, "INVALID_RELATIONSHIP",
                     "practice_partner_id '" + registration.practice_partner_id() +
                         "' is not a known GP practice");
  }
  const identity::Partner& partner = *caller->partner;
  const bool is_the_practice = partner.id == practice->id;
  bool is_social_guidance = false;
  if (partner.type == identity::PartnerType::kGemeente &&
      caller->actor_role == kSocialGuidanceRole) {
    const auto koppeling = registry_->KoppelingOf(registration.subject_id());
    is_social_guidance = koppeling && koppeling->municipality_code == partner.municipality_code;
  }
  if (!is_the_practice && !is_social_guidance) {
    return NotEntitled(
        "a GP registration is recorded by the practice itself, or by the social guidance "
        "(actor role maatschappelijke-begeleiding) of the municipality the subject is linked to");
  }
  RETURN_IF_ERROR(Auditor().Record(
      *caller, v1::AuditEntry::RELATIONSHIP_CHANGE, std::string(kService) + "SetGpRegistration",
      registration.subject_id(), v1::CONTINUITY_OF_CARE,
      std::string(registration.ended() ? "GP deregistration at " : "GP registration at ") +
          practice->id));
  RETURN_IF_ERROR(registry_->SetGpRegistration(registration));
  *response = registration;
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RelationshipService::SetKoppeling(grpc::CallbackServerContext* context,
                                                            const v1::SetKoppelingRequest* request,
                                                            v1::Koppeling* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto caller =
      IdentifyCaller(*context, services_.policies->Current()->partners(), services_.limits);
  reactor->Finish(ToGrpcStatus(DoSetKoppeling(caller, *request, response)));
  return reactor;
}

grpc::ServerUnaryReactor* RelationshipService::SetGpRegistration(
    grpc::CallbackServerContext* context, const v1::SetGpRegistrationRequest* request,
    v1::GpRegistration* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto caller =
      IdentifyCaller(*context, services_.policies->Current()->partners(), services_.limits);
  reactor->Finish(ToGrpcStatus(DoSetGpRegistration(caller, *request, response)));
  return reactor;
}

}  // namespace ketenpoort::server
