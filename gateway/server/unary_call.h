// Runs a unary callback-API call synchronously on the gRPC thread and
// finishes it with the mapped status (ErrorInfo attached).
#ifndef KETENPOORT_GATEWAY_SERVER_UNARY_CALL_H_
#define KETENPOORT_GATEWAY_SERVER_UNARY_CALL_H_

#include <grpcpp/support/server_callback.h>

#include "gateway/common/error.h"

namespace ketenpoort::server {

template <typename Work>
grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(work()));
  return reactor;
}

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_UNARY_CALL_H_
