// Runs a unary callback-API call on the gateway's call workers (never on
// a gRPC thread, since the work may wait on an fsync or a source) and
// answers it through its DecodedCall (decoded_call.h). Without
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

#include "gateway/server/call_workers.h"
#include "gateway/server/decoded_call.h"

namespace ketenpoort::server {

template <typename Work>
grpc::ServerUnaryReactor* RunUnary(CallWorkers* workers, grpc::CallbackServerContext* context,
                                   Work work) {
  DecodedCall* call = CurrentCall(context);
  if (workers == nullptr) {
    call->Answer(work());
    return call;
  }
  if (!workers->Post([call, work = std::move(work)]() mutable { call->Answer(work()); })) {
    call->Answer(ServerBusy(workers->max_queued()));
  }
  return call;
}

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_UNARY_CALL_H_
