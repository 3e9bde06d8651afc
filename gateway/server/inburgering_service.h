// gRPC InburgeringService: a municipality's view of the inburgering of the
// people linked to it. GetProgress answers through GetRecord's request
// path (duo.InburgeringStatus, purpose CIVIC_INTEGRATION), so the policy
// decides what is released and every answer is audited for the person;
// this service only turns the released record into progress: months left,
// components passed or pending.
#ifndef KETENPOORT_GATEWAY_SERVER_INBURGERING_SERVICE_H_
#define KETENPOORT_GATEWAY_SERVER_INBURGERING_SERVICE_H_

#include "gateway/server/get_record_handler.h"
#include "ketenpoort/v1/inburgering.grpc.pb.h"
#include "records/v1/duo.pb.h"

namespace ketenpoort::server {

// Progress from the released part of a DUO record; `today` in days since
// the epoch. Fields the policy did not release stay empty.
v1::Progress ProgressOf(const records::v1::duo::InburgeringStatus& released, int64_t today);

class InburgeringService final : public v1::InburgeringService::CallbackService {
 public:
  explicit InburgeringService(const GatewayServices& services)
      : services_(services), handler_(services, "/ketenpoort.v1.InburgeringService/GetProgress") {}

  grpc::ServerUnaryReactor* GetProgress(grpc::CallbackServerContext* context,
                                        const v1::GetProgressRequest* request,
                                        v1::Progress* response) override;

 private:
  GatewayServices services_;
  GetRecordHandler handler_;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_INBURGERING_SERVICE_H_
