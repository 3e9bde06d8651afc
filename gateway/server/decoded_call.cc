#include "gateway/server/decoded_call.h"

#include <cstdlib>

#include "gateway/common/error.h"
#include "gateway/server/call_audit.h"
#include "gateway/server/caller.h"

namespace ketenpoort::server {
namespace {

struct Current {
  grpc::CallbackServerContext* context = nullptr;
  DecodedCall* call = nullptr;
};
thread_local Current current;

}  // namespace

void DecodedCall::Answer(const absl::Status& status) {
  grpc::Status answer = ToGrpcStatus(status);
  if (answer.ok()) {
    if (grpc::Status serialized = SerializeResponse(out_); !serialized.ok()) {
      answer = ToGrpcStatus(MakeError(absl::StatusCode::kInternal, "RESPONSE_UNENCODABLE",
                                      "the response could not be encoded"));
    }
  }
  Finish(answer);
}

DecodedCall* CurrentCall(grpc::CallbackServerContext* context) {
  if (current.context != context || current.call == nullptr) std::abort();
  return current.call;
}

UndecodableRefusal Refusal(const GatewayServices& services, v1::AuditEntry::Kind kind,
                           std::string method) {
  return [services, kind, method = std::move(method)](grpc::CallbackServerContext* context,
                                                      absl::Status decode_error) {
    const absl::StatusOr<Caller> caller = services.Identify(*context);
    // An unknown certificate or bad metadata is the first thing wrong; it is
    // audited as any call's refusal is.
    if (absl::Status known = RequireKnownPartner(caller); !known.ok()) decode_error = known;
    const CallAudit audit = services.CallAuditor();
    return audit.Refuse(audit.NewEntry(caller, kind, method), decode_error,
                        "the request did not decode");
  };
}

namespace internal {

CurrentCallScope::CurrentCallScope(grpc::CallbackServerContext* context, DecodedCall* call) {
  current = {context, call};
}

CurrentCallScope::~CurrentCallScope() { current = {}; }

absl::Status DecodeError(const grpc::Status& parsed) {
  (void)parsed;  // protobuf says only "parse failed": nothing more to add
  return MakeError(absl::StatusCode::kInvalidArgument, "BAD_REQUEST_ENCODING",
                   "the request message does not decode as the method's request type "
                   "(truncated, or a string field that is not UTF-8)");
}

void RunRefusal(CallWorkers* workers, grpc::CallbackServerContext* context, DecodedCall* call,
                const UndecodableRefusal& refuse, absl::Status decode_error) {
  if (workers == nullptr) {
    call->Answer(refuse(context, std::move(decode_error)));
    return;
  }
  if (!workers->Post([call, context, refuse, decode_error = std::move(decode_error)] {
        call->Answer(refuse(context, decode_error));
      })) {
    call->Answer(ServerBusy(workers->max_queued()));
  }
}

}  // namespace internal
}  // namespace ketenpoort::server
