// gRPC InburgeringService: a municipality's view of the inburgering of the
// people linked to it. GetProgress answers through GetRecord's request
// path (duo.InburgeringStatus), so the policy decides what is released and
// every answer is audited for the person; this service only turns the
// released record into progress: months left, components passed or
// pending. ListProgress (progress_list.h) and Aggregate
// (progress_aggregate.h) answer from the projection.
#ifndef KETENPOORT_GATEWAY_SERVER_INBURGERING_SERVICE_H_
#define KETENPOORT_GATEWAY_SERVER_INBURGERING_SERVICE_H_

#include "gateway/server/get_record_handler.h"
#include "gateway/server/progress_aggregate.h"
#include "gateway/server/progress_list.h"
#include "ketenpoort/v1/inburgering.grpc.pb.h"
#include "records/v1/duo.pb.h"

namespace ketenpoort::server {

// Progress from the released part of a DUO record; `today` in days since
// the epoch. Fields the policy did not release stay empty.
v1::Progress ProgressOf(const records::v1::duo::InburgeringStatus& released, int64_t today);

class InburgeringService final : public v1::InburgeringService::CallbackService {
 public:
  InburgeringService(const GatewayServices& services,
                     const inburgering::ProgressProjection* projection,
                     inburgering::AggregatePublisher* publisher)
      : services_(services),
        handler_(services, "/ketenpoort.v1.InburgeringService/GetProgress"),
        list_(services, projection),
        aggregate_(services, publisher) {
    ServeDecodedRequests();
  }

  grpc::ServerUnaryReactor* GetProgress(grpc::CallbackServerContext* context,
                                        const v1::GetProgressRequest* request,
                                        v1::Progress* response) override;
  grpc::ServerUnaryReactor* ListProgress(grpc::CallbackServerContext* context,
                                         const v1::ListProgressRequest* request,
                                         v1::ListProgressResponse* response) override;
  grpc::ServerUnaryReactor* Aggregate(grpc::CallbackServerContext* context,
                                      const v1::AggregateRequest* request,
                                      v1::AggregateResponse* response) override;

 private:
  // Registers every unary method as a raw-bytes handler (decoded_call.h).
  void ServeDecodedRequests();
  GatewayServices services_;
  GetRecordHandler handler_;
  ProgressList list_;
  ProgressAggregate aggregate_;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_INBURGERING_SERVICE_H_
