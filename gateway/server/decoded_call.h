// Every unary method takes its request as raw bytes and decodes it here,
// so that bytes which do not decode (a truncated message, a string field
// that is not UTF-8) get INVALID_ARGUMENT BAD_REQUEST_ENCODING with an
// ErrorInfo, audited when the caller is identified. With gRPC 1.51's typed
// callback handlers a failed decode is answered UNIMPLEMENTED with an empty
// message, before any of our code runs.
//
// The typed methods stay as they are, with one change: they answer
// through CurrentCall(context)->Answer(status), which also writes the
// response's bytes, rather than through context->DefaultReactor().
//
//   MarkMethodRawCallback(0, DecodedHandler(this, &ConsentService::Grant,
//                                           Refusal(services, kind, kGrant)));
#ifndef KETENPOORT_GATEWAY_SERVER_DECODED_CALL_H_
#define KETENPOORT_GATEWAY_SERVER_DECODED_CALL_H_

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "gateway/server/get_record_handler.h"
#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::server {

// One unary call: its request, its response and how it is answered.
// Deletes itself once gRPC is done with it.
class DecodedCall : public grpc::ServerUnaryReactor {
 public:
  // Finishes the call with `status` (ErrorInfo attached); when it is OK,
  // with the response as it is now. Call once.
  void Answer(const absl::Status& status);
  void OnDone() override { delete this; }

 protected:
  explicit DecodedCall(grpc::ByteBuffer* out) : out_(out) {}
  ~DecodedCall() override = default;
  virtual grpc::Status SerializeResponse(grpc::ByteBuffer* out) = 0;

 private:
  grpc::ByteBuffer* out_;
};

// The call whose typed method runs on this thread for `context`. Only
// valid inside a typed method, before it returns; it aborts elsewhere (a
// programming error no input can cause).
DecodedCall* CurrentCall(grpc::CallbackServerContext* context);

// Audits an undecodable request (INVALID, or the identification refusal
// that comes first), then returns what the caller is told. Runs on the
// call workers.
using UndecodableRefusal =
    std::function<absl::Status(grpc::CallbackServerContext* context, absl::Status decode_error)>;
UndecodableRefusal Refusal(const GatewayServices& services, v1::AuditEntry::Kind kind,
                           std::string method);

namespace internal {

template <typename Request, typename Response>
class TypedCall final : public DecodedCall {
 public:
  explicit TypedCall(grpc::ByteBuffer* out) : DecodedCall(out) {}
  Request request;
  Response response;

 private:
  grpc::Status SerializeResponse(grpc::ByteBuffer* out) override {
    bool own_buffer = false;
    return grpc::SerializationTraits<Response>::Serialize(response, out, &own_buffer);
  }
};

// Marks `call` as the current call for the duration of a typed method.
class CurrentCallScope {
 public:
  CurrentCallScope(grpc::CallbackServerContext* context, DecodedCall* call);
  ~CurrentCallScope();
  CurrentCallScope(const CurrentCallScope&) = delete;
  CurrentCallScope& operator=(const CurrentCallScope&) = delete;
};

void RunRefusal(CallWorkers* workers, grpc::CallbackServerContext* context, DecodedCall* call,
                const UndecodableRefusal& refuse, absl::Status decode_error);

absl::Status DecodeError(const grpc::Status& parsed);

}  // namespace internal

// A raw-bytes handler for `typed`, a method of `service` (which must
// outlive the server).
template <typename Service, typename Request, typename Response>
grpc::internal::MethodHandler* DecodedHandler(
    Service* service,
    grpc::ServerUnaryReactor* (Service::*typed)(grpc::CallbackServerContext*, const Request*,
                                                Response*),
    CallWorkers* workers, UndecodableRefusal refuse) {
  return new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
      [service, typed, workers, refuse = std::move(refuse)](
          grpc::CallbackServerContext* context, const grpc::ByteBuffer* in,
          grpc::ByteBuffer* out) -> grpc::ServerUnaryReactor* {
        auto* call = new internal::TypedCall<Request, Response>(out);
        grpc::ByteBuffer bytes(*in);  // shares the slices; decoding consumes it
        const grpc::Status parsed =
            grpc::SerializationTraits<Request>::Deserialize(&bytes, &call->request);
        if (!parsed.ok()) {
          internal::RunRefusal(workers, context, call, refuse, internal::DecodeError(parsed));
          return call;
        }
        internal::CurrentCallScope scope(context, call);
        grpc::ServerUnaryReactor* reactor =
            (service->*typed)(context, &call->request, &call->response);
        if (reactor != call) std::abort();  // the typed method did not answer through it
        return call;
      });
}

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_DECODED_CALL_H_
