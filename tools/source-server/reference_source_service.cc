#include "tools/source-server/reference_source_service.h"

#include <thread>

#include "gateway/common/log.h"
#include "gateway/identity/peer_certificate.h"

namespace ketenpoort::source_server {

ReferenceSourceService::ReferenceSourceService(
    std::unique_ptr<adapters::SqliteFixtureSource> fixtures, ServiceOptions options)
    : fixtures_(std::move(fixtures)), options_(std::move(options)) {}

grpc::Status ReferenceSourceService::Answer(grpc::CallbackServerContext& context,
                                            const v1::FetchRecordRequest& request,
                                            v1::FetchRecordResponse& response) {
  const auto auth = context.auth_context();
  auto peer = auth ? identity::PeerCertificateFromAuthContext(*auth)
                   : absl::StatusOr<identity::PeerCertificate>(absl::UnauthenticatedError(""));
  if (!peer.ok() || options_.allowed_oins.count(peer->oin) == 0) {
    return {grpc::StatusCode::PERMISSION_DENIED, "this source answers the gateway only"};
  }
  const google::protobuf::Descriptor* descriptor = catalog_.Find(request.record_type());
  if (descriptor == nullptr ||
      (!options_.record_types.empty() && options_.record_types.count(request.record_type()) == 0)) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "this source does not serve that record type"};
  }
  adapters::FetchRequest fetch;
  fetch.subject_id = request.subject_id();
  fetch.record_type = request.record_type();
  fetch.descriptor = descriptor;
  auto record = fixtures_->Fetch(fetch);
  if (!record.ok()) {
    return {record.status().code() == absl::StatusCode::kNotFound ? grpc::StatusCode::NOT_FOUND
                                                                  : grpc::StatusCode::UNAVAILABLE,
            "no record"};
  }
  response.mutable_record()->PackFrom(**record);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* ReferenceSourceService::FetchRecord(grpc::CallbackServerContext* context,
                                                              const v1::FetchRecordRequest* request,
                                                              v1::FetchRecordResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Only the calls --fail-only names count, so other traffic (the
  // gateway's inburgering projection) cannot use up the failures.
  const bool counted =
      options_.fail_only.empty() || request->record_type() == options_.fail_only;
  const uint64_t call = counted ? ++calls_ : 0;
  if (counted && call <= static_cast<uint64_t>(options_.fail_first)) {
    log::Info("fetch_refused_on_purpose", {{"call", call}});
    reactor->Finish({grpc::StatusCode::UNAVAILABLE, "failing on purpose (--fail-first)"});
    return reactor;
  }
  // A slow system of record; bounded by the flag's range.
  if (options_.delay.count() > 0) std::this_thread::sleep_for(options_.delay);
  const grpc::Status status = Answer(*context, *request, *response);
  // Operational facts only: no subject id, no record content.
  log::Info("fetch", {{"record_type", request->record_type()}, {"code", status.error_code()}});
  reactor->Finish(status);
  return reactor;
}

}  // namespace ketenpoort::source_server
