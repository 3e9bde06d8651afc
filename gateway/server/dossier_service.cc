#include "gateway/server/dossier_service.h"

#include "gateway/common/error.h"
#include "gateway/server/decoded_call.h"

namespace ketenpoort::server {

grpc::ServerUnaryReactor* DossierService::GetRecord(grpc::CallbackServerContext* context,
                                                    const v1::GetRecordRequest* request,
                                                    v1::GetRecordResponse* response) {
  DecodedCall* call = CurrentCall(context);
  const auto policies = services_.policies->Current();
  absl::StatusOr<Caller> caller = services_.Identify(*context, policies);
  get_record_.Handle(policies, caller, *request, context->deadline(), response,
                     [call](const absl::Status& status) { call->Answer(status); });
  return call;
}

void DossierService::ServeDecodedRequests() {
  MarkMethodRawCallback(0, DecodedHandler(this, &DossierService::GetRecord, services_.workers,
                                          Refusal(services_, v1::AuditEntry::ACCESS,
                                                  "/ketenpoort.v1.DossierService/GetRecord")));
}

}  // namespace ketenpoort::server
