#include "tools/source-server/reference_source_service.h"

#include <algorithm>
#include <thread>

#include "gateway/common/log.h"
#include "gateway/identity/peer_certificate.h"

namespace ketenpoort::source_server {

ReferenceSourceService::ReferenceSourceService(
    std::unique_ptr<adapters::SqliteFixtureSource> fixtures, ServiceOptions options)
    : fixtures_(std::move(fixtures)), options_(std::move(options)) {}

grpc::Status ReferenceSourceService::Authorize(grpc::CallbackServerContext& context) const {
  const auto auth = context.auth_context();
  auto peer = auth ? identity::PeerCertificateFromAuthContext(*auth)
                   : absl::StatusOr<identity::PeerCertificate>(absl::UnauthenticatedError(""));
  if (!peer.ok() || options_.allowed_oins.count(peer->oin) == 0) {
    return {grpc::StatusCode::PERMISSION_DENIED, "this source answers the gateway only"};
  }
  return grpc::Status::OK;
}

grpc::Status ReferenceSourceService::InjectedFailure(bool counted) {
  const uint64_t call = counted ? ++calls_ : 0;
  if (counted && call <= static_cast<uint64_t>(options_.fail_first)) {
    log::Info("fetch_refused_on_purpose", {{"call", call}});
    return {grpc::StatusCode::UNAVAILABLE, "failing on purpose (--fail-first)"};
  }
  return grpc::Status::OK;
}

grpc::Status ReferenceSourceService::Answer(const v1::FetchRecordRequest& request,
                                            v1::FetchRecordResponse& response) {
  const google::protobuf::Descriptor* descriptor = catalog_.Find(request.record_type());
  if (descriptor == nullptr ||
      (!options_.record_types.empty() && options_.record_types.count(request.record_type()) == 0)) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "this source does not serve that record type"};
  }
  adapters::FetchRequest fetch;
  fetch.subject_id = request.subject_id();
  fetch.record_type = request.record_type();
  fetch.descriptor = descriptor;
  // The fixture source answers inline.
  adapters::AnswerResult answer = absl::UnknownError("not answered");
  fixtures_->FetchAnswerAsync(
      fetch, [&answer](adapters::AnswerResult result) { answer = std::move(result); });
  if (!answer.ok()) {
    return {answer.status().code() == absl::StatusCode::kNotFound ? grpc::StatusCode::NOT_FOUND
                                                                  : grpc::StatusCode::UNAVAILABLE,
            "no record"};
  }
  response.mutable_record()->PackFrom(*answer->record);
  // Whom the record is about, by the identifiers the fixtures know for the
  // person (the record itself carries the V-nummer only).
  for (const std::string& id : answer->subject_ids) response.add_subject_ids(id);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* ReferenceSourceService::FetchRecord(grpc::CallbackServerContext* context,
                                                              const v1::FetchRecordRequest* request,
                                                              v1::FetchRecordResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status denied = Authorize(*context); !denied.ok()) {
    reactor->Finish(denied);
    return reactor;
  }
  // Only the calls --fail-only names count, so other traffic (the
  // gateway's inburgering projection) cannot use up the failures.
  const bool counted = options_.fail_only.empty() || request->record_type() == options_.fail_only;
  if (grpc::Status refused = InjectedFailure(counted); !refused.ok()) {
    reactor->Finish(refused);
    return reactor;
  }
  // A slow system of record; bounded by the flag's range.
  if (options_.delay.count() > 0) std::this_thread::sleep_for(options_.delay);
  const grpc::Status status = Answer(*request, *response);
  // Operational facts only: no subject id, no record content.
  log::Info("fetch", {{"record_type", request->record_type()}, {"code", status.error_code()}});
  reactor->Finish(status);
  return reactor;
}

grpc::ServerUnaryReactor* ReferenceSourceService::FetchRecords(
    grpc::CallbackServerContext* context, const v1::FetchRecordsRequest* request,
    v1::FetchRecordsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!options_.batch) {
    reactor->Finish({grpc::StatusCode::UNIMPLEMENTED, "FetchRecords is not served (--no-batch)"});
    return reactor;
  }
  if (grpc::Status denied = Authorize(*context); !denied.ok()) {
    reactor->Finish(denied);
    return reactor;
  }
  if (request->fetches_size() > kMaxFetchesPerCall) {
    reactor->Finish({grpc::StatusCode::INVALID_ARGUMENT,
                     "at most " + std::to_string(kMaxFetchesPerCall) + " fetches per call"});
    return reactor;
  }
  const bool counted = options_.fail_only.empty() ||
                       std::any_of(request->fetches().begin(), request->fetches().end(),
                                   [this](const v1::FetchRecordRequest& fetch) {
                                     return fetch.record_type() == options_.fail_only;
                                   });
  if (grpc::Status refused = InjectedFailure(counted); !refused.ok()) {
    reactor->Finish(refused);
    return reactor;
  }
  if (options_.delay.count() > 0) std::this_thread::sleep_for(options_.delay);
  for (const v1::FetchRecordRequest& fetch : request->fetches()) {
    v1::FetchOutcome* outcome = response->add_outcomes();
    // Which fetch this answers: the gateway matches by these, not by order.
    outcome->set_subject_id(fetch.subject_id());
    outcome->set_record_type(fetch.record_type());
    if (const uint64_t fetch_number = ++batched_fetches_;
        fetch_number <= static_cast<uint64_t>(options_.fail_batched_fetches)) {
      log::Info("fetch_refused_on_purpose", {{"batched_fetch", fetch_number}});
      outcome->set_code(grpc::StatusCode::UNAVAILABLE);
      continue;
    }
    const grpc::Status status = Answer(fetch, *outcome->mutable_response());
    outcome->set_code(status.error_code());
    if (!status.ok()) outcome->clear_response();
    log::Info("fetch", {{"record_type", fetch.record_type()}, {"code", status.error_code()}});
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace ketenpoort::source_server
