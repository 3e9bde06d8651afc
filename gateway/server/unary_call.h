// Runs a unary callback-API call on the gateway's call workers (never on
// a gRPC thread, since the work may wait on an fsync or a source) and
// finishes it with the mapped status (ErrorInfo attached). Without
// workers (tests of one service) it runs on the calling thread.
//
// `work` runs after the method has returned: it must capture the
// context, request and response pointers by value, never by reference.
// They stay valid until the reactor is finished.
#ifndef KETENPOORT_GATEWAY_SERVER_UNARY_CALL_H_
#define KETENPOORT_GATEWAY_SERVER_UNARY_CALL_H_

#include <grpcpp/support/server_callback.h>

#include <string>
#include <utility>

#include "gateway/common/error.h"
#include "gateway/server/call_workers.h"

namespace ketenpoort::server {

template <typename Work>
grpc::ServerUnaryReactor* RunUnary(CallWorkers* workers, grpc::CallbackServerContext* context,
                                   Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (workers == nullptr) {
    reactor->Finish(ToGrpcStatus(work()));
    return reactor;
  }
  if (!workers->Post(
          [reactor, work = std::move(work)]() mutable { reactor->Finish(ToGrpcStatus(work())); })) {
    reactor->Finish(ToGrpcStatus(ServerBusy(workers->max_queued())));
  }
  return reactor;
}

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_UNARY_CALL_H_
