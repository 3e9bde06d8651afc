#include "gateway/server/dossier_service.h"

#include "gateway/common/error.h"

namespace ketenpoort::server {

grpc::ServerUnaryReactor* DossierService::GetRecord(grpc::CallbackServerContext* context,
                                                    const v1::GetRecordRequest* request,
                                                    v1::GetRecordResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const auto policies = services_.policies->Current();
  absl::StatusOr<Caller> caller = IdentifyCaller(*context, policies, services_.limits);
  get_record_.Handle(policies, caller, *request, context->deadline(), response,
                     [reactor](absl::Status status) { reactor->Finish(ToGrpcStatus(status)); });
  return reactor;
}

}  // namespace ketenpoort::server
