#include "adapters/upstream/grpc_upstream_source.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <sstream>

#include "gateway/common/error.h"
#include "gateway/common/log.h"
#include "ketenpoort/options.pb.h"

namespace ketenpoort::adapters {
namespace {

using Clock = std::chrono::system_clock;

absl::StatusOr<std::string> ReadPem(const SourceConfig& config, const std::string& path,
                                    std::string_view what) {
  std::ifstream in(path);
  if (path.empty() || !in) {
    return MakeError(
        absl::StatusCode::kFailedPrecondition, "TLS_FILE_UNREADABLE",
        "source '" + config.name + "': cannot read " + std::string(what) + " '" + path + "'");
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The deadline for one upstream fetch: the configured timeout, or less when
// the caller has less time left. A quarter of the caller's remaining time
// (at most 250 ms) is kept back to audit the outcome and answer, enough for
// a durable audit commit even on a loaded machine.
Clock::time_point UpstreamDeadline(Clock::time_point now, Clock::time_point caller_deadline,
                                   int timeout_ms) {
  const Clock::time_point own = now + std::chrono::milliseconds(timeout_ms);
  if (caller_deadline == Clock::time_point::max()) return own;
  const auto remaining = caller_deadline - now;
  const auto reserve = std::min<Clock::duration>(remaining / 4, std::chrono::milliseconds(250));
  return std::min(own, caller_deadline - reserve);
}

absl::Status SourceError(const std::string& source, std::string_view reason,
                         const std::string& message, grpc::StatusCode code) {
  return MakeError(absl::StatusCode::kUnavailable, reason, message,
                   {{"source", source}, {"upstream_code", std::to_string(code)}});
}

}  // namespace

std::string GrpcUpstreamSource::ServiceConfigJson(int max_attempts) {
  if (max_attempts < 2) return "{}";
  // gRPC caps maxAttempts at 5.
  return R"({"methodConfig":[{"name":[{"service":"ketenpoort.v1.SourceService",)"
         R"("method":"FetchRecord"}],"retryPolicy":{"maxAttempts":)" +
         std::to_string(std::min(max_attempts, 5)) +
         R"(,"initialBackoff":"0.05s","maxBackoff":"0.4s","backoffMultiplier":2,)"
         R"("retryableStatusCodes":["UNAVAILABLE"]}}]})";
}

absl::StatusOr<std::unique_ptr<GrpcUpstreamSource>> GrpcUpstreamSource::Create(
    const SourceConfig& config) {
  const UpstreamConfig& upstream = config.upstream;
  grpc::SslCredentialsOptions tls;
  absl::StatusOr<std::string> ca = ReadPem(config, upstream.ca_file, "CA certificate");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadPem(config, upstream.cert_file, "client certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(config, upstream.key_file, "client key");
  if (!key.ok()) return key.status();
  tls.pem_root_certs = *std::move(ca);
  tls.pem_cert_chain = *std::move(cert);
  tls.pem_private_key = *std::move(key);

  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(ServiceConfigJson(upstream.max_attempts));
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
  // Reconnect soon after a source comes back, rather than after gRPC's
  // default backoff of up to two minutes.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  if (!upstream.server_name.empty()) args.SetSslTargetNameOverride(upstream.server_name);
  auto channel = grpc::CreateCustomChannel(upstream.target, grpc::SslCredentials(tls), args);
  return std::unique_ptr<GrpcUpstreamSource>(
      new GrpcUpstreamSource(config.name, upstream, std::move(channel)));
}

GrpcUpstreamSource::GrpcUpstreamSource(std::string name, const UpstreamConfig& config,
                                       std::shared_ptr<grpc::Channel> channel)
    : name_(std::move(name)),
      timeout_ms_(config.timeout_ms),
      channel_(std::move(channel)),
      stub_(v1::SourceService::NewStub(channel_)) {}

FetchResult GrpcUpstreamSource::Outcome(const grpc::Status& status,
                                        const v1::FetchRecordResponse& response,
                                        const google::protobuf::Descriptor* descriptor) const {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      break;
    case grpc::StatusCode::NOT_FOUND:
      return MakeError(absl::StatusCode::kNotFound, "RECORD_NOT_FOUND",
                       "source '" + name_ + "' holds no " +
                           descriptor->options().GetExtension(ketenpoort::record_type) +
                           " for this subject");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      log::Warn("source_timeout", {{"source", name_}});
      return SourceError(name_, "SOURCE_TIMEOUT",
                         "source '" + name_ + "' did not answer in time; no data was released",
                         status.error_code());
    case grpc::StatusCode::UNAVAILABLE:
      log::Warn("source_unavailable", {{"source", name_}});
      return SourceError(name_, "SOURCE_UNAVAILABLE",
                         "source '" + name_ + "' is unavailable; retry later", status.error_code());
    default:
      log::Warn("source_failed", {{"source", name_}, {"code", status.error_code()}});
      return SourceError(
          name_, "SOURCE_FAILED",
          "source '" + name_ + "' failed (" +
              absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())) + ")",
          status.error_code());
  }
  std::unique_ptr<google::protobuf::Message> record(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
  // The type must be the one asked for: a source never decides what the
  // gateway filters.
  const std::string& type_url = response.record().type_url();
  const std::string expected = "/" + descriptor->full_name();
  if (type_url.size() < expected.size() ||
      type_url.compare(type_url.size() - expected.size(), expected.size(), expected) != 0) {
    log::Warn("source_wrong_type", {{"source", name_}});
    return SourceError(name_, "SOURCE_BAD_RECORD",
                       "source '" + name_ + "' returned a record of another type",
                       status.error_code());
  }
  if (!response.record().UnpackTo(record.get())) {
    log::Warn("source_undecodable", {{"source", name_}});
    return SourceError(name_, "SOURCE_BAD_RECORD",
                       "source '" + name_ + "' returned a record that does not decode",
                       status.error_code());
  }
  return record;
}

void GrpcUpstreamSource::FetchAsync(const FetchRequest& request, FetchDone done) {
  // Everything the call needs lives here until its callback runs.
  struct Call {
    grpc::ClientContext context;
    v1::FetchRecordRequest request;
    v1::FetchRecordResponse response;
    const google::protobuf::Descriptor* descriptor;
    FetchDone done;
  };
  auto call = std::make_shared<Call>();
  call->descriptor = request.descriptor;
  call->done = std::move(done);
  call->request.set_subject_id(std::string(request.subject_id));
  call->request.set_record_type(std::string(request.record_type));
  call->request.set_request_id(std::string(request.request_id));

  const Clock::time_point now = Clock::now();
  const Clock::time_point deadline = UpstreamDeadline(now, request.deadline, timeout_ms_);
  if (deadline <= now) {
    call->done(SourceError(name_, "SOURCE_TIMEOUT",
                           "no time was left to ask source '" + name_ + "'",
                           grpc::StatusCode::DEADLINE_EXCEEDED));
    return;
  }
  call->context.set_deadline(deadline);
  stub_->async()->FetchRecord(&call->context, &call->request, &call->response,
                              [this, call](grpc::Status status) {
                                call->done(Outcome(status, call->response, call->descriptor));
                              });
}

FetchResult GrpcUpstreamSource::Fetch(const FetchRequest& request) {
  std::promise<FetchResult> promise;
  std::future<FetchResult> result = promise.get_future();
  FetchAsync(request, [&promise](FetchResult outcome) { promise.set_value(std::move(outcome)); });
  return result.get();
}

}  // namespace ketenpoort::adapters
