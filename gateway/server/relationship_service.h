// gRPC RelationshipService: the koppeling, the GP registration and the
// link of a V-nummer to a BSN, the facts the access rules are decided on. Who may set which, about
// whom, is policy (policies/assertions.yaml). Every change is audited before it is applied, and
// every refused attempt is audited with its reason. A change of GP ends the previous registration
// explicitly, in an entry of its own.
#ifndef KETENPOORT_GATEWAY_SERVER_RELATIONSHIP_SERVICE_H_
#define KETENPOORT_GATEWAY_SERVER_RELATIONSHIP_SERVICE_H_

#include <mutex>

#include "gateway/relationships/relationship_registry.h"
#include "gateway/server/call_audit.h"
#include "gateway/server/get_record_handler.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"

namespace ketenpoort::server {

class RelationshipService final : public v1::RelationshipService::CallbackService {
 public:
  RelationshipService(const GatewayServices& services,
                      relationships::RelationshipRegistry* registry)
      : services_(services), audit_(services.CallAuditor()), registry_(registry) {
    ServeDecodedRequests();
  }

  using v1::RelationshipService::CallbackService::LinkIdentifiers;
  using v1::RelationshipService::CallbackService::SetGpRegistration;
  using v1::RelationshipService::CallbackService::SetKoppeling;

  grpc::ServerUnaryReactor* SetKoppeling(grpc::CallbackServerContext* context,
                                         const v1::SetKoppelingRequest* request,
                                         v1::Koppeling* response) override;
  grpc::ServerUnaryReactor* SetGpRegistration(grpc::CallbackServerContext* context,
                                              const v1::SetGpRegistrationRequest* request,
                                              v1::GpRegistration* response) override;
  grpc::ServerUnaryReactor* LinkIdentifiers(grpc::CallbackServerContext* context,
                                            const v1::LinkIdentifiersRequest* request,
                                            v1::IdentifierLink* response) override;

  absl::Status DoSetKoppeling(const absl::StatusOr<Caller>& caller,
                              const v1::SetKoppelingRequest& request, v1::Koppeling* response);
  absl::Status DoSetGpRegistration(const absl::StatusOr<Caller>& caller,
                                   const v1::SetGpRegistrationRequest& request,
                                   v1::GpRegistration* response);
  absl::Status DoLinkIdentifiers(const absl::StatusOr<Caller>& caller,
                                 const v1::LinkIdentifiersRequest& request,
                                 v1::IdentifierLink* response);

 private:
  // Registers every unary method as a raw-bytes handler (decoded_call.h).
  void ServeDecodedRequests();
  GatewayServices services_;
  CallAudit audit_;
  relationships::RelationshipRegistry* registry_;
  std::mutex link_mutex_;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_RELATIONSHIP_SERVICE_H_
