// gRPC edge of DossierService: turns a call into a GetRecordHandler run
// and its absl::Status into a grpc::Status with ErrorInfo details.
#ifndef KETENPOORT_GATEWAY_SERVER_DOSSIER_SERVICE_H_
#define KETENPOORT_GATEWAY_SERVER_DOSSIER_SERVICE_H_

#include "gateway/server/get_record_handler.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"

namespace ketenpoort::server {

class DossierService final : public v1::DossierService::CallbackService {
 public:
  explicit DossierService(const GatewayServices& services)
      : services_(services), get_record_(services) {
    ServeDecodedRequests();
  }

  // The generated base also declares the synchronous signature; keep it
  // visible rather than hidden (-Woverloaded-virtual).
  using v1::DossierService::CallbackService::GetRecord;
  grpc::ServerUnaryReactor* GetRecord(grpc::CallbackServerContext* context,
                                      const v1::GetRecordRequest* request,
                                      v1::GetRecordResponse* response) override;

 private:
  // Registers every unary method as a raw-bytes handler (decoded_call.h).
  void ServeDecodedRequests();
  GatewayServices services_;
  GetRecordHandler get_record_;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_DOSSIER_SERVICE_H_
