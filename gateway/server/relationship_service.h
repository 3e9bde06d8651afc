// gRPC RelationshipService: koppeling by COA; GP registration by the GP
// practice itself, or by the social guidance (actor role
// "maatschappelijke-begeleiding") of the municipality the subject is linked
// to. Audited before applied.
#ifndef KETENPOORT_GATEWAY_SERVER_RELATIONSHIP_SERVICE_H_
#define KETENPOORT_GATEWAY_SERVER_RELATIONSHIP_SERVICE_H_

#include "gateway/relationships/relationship_registry.h"
#include "gateway/server/change_audit.h"
#include "gateway/server/get_record_handler.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"

namespace ketenpoort::server {

inline constexpr char kSocialGuidanceRole[] = "maatschappelijke-begeleiding";

class RelationshipService final : public v1::RelationshipService::CallbackService {
 public:
  RelationshipService(const GatewayServices& services,
                      relationships::RelationshipRegistry* registry)
      : services_(services), registry_(registry) {}

  using v1::RelationshipService::CallbackService::SetGpRegistration;
  using v1::RelationshipService::CallbackService::SetKoppeling;

  grpc::ServerUnaryReactor* SetKoppeling(grpc::CallbackServerContext* context,
                                         const v1::SetKoppelingRequest* request,
                                         v1::Koppeling* response) override;
  grpc::ServerUnaryReactor* SetGpRegistration(grpc::CallbackServerContext* context,
                                              const v1::SetGpRegistrationRequest* request,
                                              v1::GpRegistration* response) override;

  absl::Status DoSetKoppeling(const absl::StatusOr<Caller>& caller,
                              const v1::SetKoppelingRequest& request, v1::Koppeling* response);
  absl::Status DoSetGpRegistration(const absl::StatusOr<Caller>& caller,
                                   const v1::SetGpRegistrationRequest& request,
                                   v1::GpRegistration* response);

 private:
  ChangeAuditor Auditor() const;

  GatewayServices services_;
  relationships::RelationshipRegistry* registry_;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_RELATIONSHIP_SERVICE_H_
