#include "adapters/upstream/grpc_upstream_source.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <optional>
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
  return R"({"methodConfig":[{"name":[)"
         R"({"service":"ketenpoort.v1.SourceService","method":"FetchRecord"},)"
         R"({"service":"ketenpoort.v1.SourceService","method":"FetchRecords"}],)"
         R"("retryPolicy":{"maxAttempts":)" +
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
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  // gRPC gives each connection attempt (TCP and TLS handshake) this long at
  // least; it is not a backoff. At 100 ms, a handshake on a loaded machine
  // timed out and every fetch failed UNAVAILABLE with the source up.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kConnectAttemptMs);
  if (!upstream.server_name.empty()) args.SetSslTargetNameOverride(upstream.server_name);
  auto channel = grpc::CreateCustomChannel(upstream.target, grpc::SslCredentials(tls), args);
  return std::unique_ptr<GrpcUpstreamSource>(
      new GrpcUpstreamSource(config.name, upstream, std::move(channel)));
}

GrpcUpstreamSource::GrpcUpstreamSource(std::string name, const UpstreamConfig& config,
                                       std::shared_ptr<grpc::Channel> channel)
    : name_(std::move(name)),
      timeout_ms_(config.timeout_ms),
      max_attempts_(config.max_attempts),
      max_batch_(static_cast<size_t>(std::max(config.max_batch, 1))),
      max_calls_in_flight_(std::max(config.max_calls_in_flight, 1)),
      channel_(std::move(channel)),
      stub_(v1::SourceService::NewStub(channel_)) {}

GrpcUpstreamSource::~GrpcUpstreamSource() {
  std::deque<Pending> waiting;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    closing_ = true;
    waiting.swap(waiting_);
  }
  for (Pending& fetch : waiting) fetch.done(Closing());
  // Cancelled without holding the lock: gRPC may run a call's callback
  // inside TryCancel, and the callback takes the lock.
  std::vector<std::weak_ptr<grpc::ClientContext>> unanswered;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [key, context] : unanswered_) unanswered.push_back(context);
  }
  for (const auto& weak : unanswered) {
    if (std::shared_ptr<grpc::ClientContext> context = weak.lock()) context->TryCancel();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  calls_gone_.wait(lock, [this] { return live_calls_ == 0; });
}

GrpcUpstreamSource::LiveCall::LiveCall(GrpcUpstreamSource* source) : source_(source) {
  std::lock_guard<std::mutex> lock(source_->mutex_);
  ++source_->live_calls_;
}

GrpcUpstreamSource::LiveCall::~LiveCall() {
  std::lock_guard<std::mutex> lock(source_->mutex_);
  if (--source_->live_calls_ == 0) source_->calls_gone_.notify_all();
}

void GrpcUpstreamSource::Started(const std::shared_ptr<grpc::ClientContext>& context) {
  bool closing;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    unanswered_[context.get()] = context;
    closing = closing_;
  }
  if (closing) context->TryCancel();
}

void GrpcUpstreamSource::Answered(const grpc::ClientContext* context) {
  std::lock_guard<std::mutex> lock(mutex_);
  unanswered_.erase(context);
}

absl::Status GrpcUpstreamSource::Closing() const {
  return SourceError(name_, "SOURCE_UNAVAILABLE",
                     "source '" + name_ + "' is being closed; retry later",
                     grpc::StatusCode::CANCELLED);
}

void GrpcUpstreamSource::LogFailures(const FailureCounts& failures) const {
  for (const auto& [kind, fetches] : failures) {
    const auto& [event, code] = kind;
    nlohmann::json fields = {{"source", name_}, {"fetches", fetches}};
    if (event == "source_failed") fields["code"] = code;
    log::Warn(event, std::move(fields));
  }
}

AnswerResult GrpcUpstreamSource::Outcome(const grpc::Status& status,
                                         const v1::FetchRecordResponse& response,
                                         const google::protobuf::Descriptor* descriptor,
                                         FailureCounts& failures) const {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      break;
    case grpc::StatusCode::NOT_FOUND:
      return MakeError(absl::StatusCode::kNotFound, "RECORD_NOT_FOUND",
                       "source '" + name_ + "' holds no " +
                           descriptor->options().GetExtension(ketenpoort::record_type) +
                           " for this subject");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      ++failures[{"source_timeout", status.error_code()}];
      return SourceError(name_, "SOURCE_TIMEOUT",
                         "source '" + name_ + "' did not answer in time; no data was released",
                         status.error_code());
    case grpc::StatusCode::UNAVAILABLE:
      ++failures[{"source_unavailable", status.error_code()}];
      return SourceError(name_, "SOURCE_UNAVAILABLE",
                         "source '" + name_ + "' is unavailable; retry later", status.error_code());
    default:
      ++failures[{"source_failed", status.error_code()}];
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
    ++failures[{"source_wrong_type", status.error_code()}];
    return SourceError(name_, "SOURCE_BAD_RECORD",
                       "source '" + name_ + "' returned a record of another type",
                       status.error_code());
  }
  if (!response.record().UnpackTo(record.get())) {
    ++failures[{"source_undecodable", status.error_code()}];
    return SourceError(name_, "SOURCE_BAD_RECORD",
                       "source '" + name_ + "' returned a record that does not decode",
                       status.error_code());
  }
  return SourceAnswer{std::move(record),
                      {response.subject_ids().begin(), response.subject_ids().end()}};
}

void GrpcUpstreamSource::FetchAsync(const FetchRequest& request, FetchDone done) {
  FetchAnswerAsync(request, [done = std::move(done)](AnswerResult answer) {
    if (!answer.ok()) return done(answer.status());
    done(std::move(answer->record));
  });
}

void GrpcUpstreamSource::FetchAnswerAsync(const FetchRequest& request, AnswerDone done) {
  Pending fetch;
  fetch.descriptor = request.descriptor;
  fetch.done = std::move(done);
  fetch.request.set_subject_id(std::string(request.subject_id));
  fetch.request.set_record_type(std::string(request.record_type));
  fetch.request.set_request_id(std::string(request.request_id));
  const Clock::time_point now = Clock::now();
  fetch.deadline = UpstreamDeadline(now, request.deadline, timeout_ms_);
  if (fetch.deadline <= now) {
    fetch.done(SourceError(name_, "SOURCE_TIMEOUT",
                           "no time was left to ask source '" + name_ + "'",
                           grpc::StatusCode::DEADLINE_EXCEEDED));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (max_batch_ > 1 && calls_in_flight_ >= max_calls_in_flight_) {
      waiting_.push_back(std::move(fetch));  // the next call to end sends it
      return;
    }
    ++calls_in_flight_;
  }
  SendOne(std::move(fetch));
}

void GrpcUpstreamSource::CallEnded() {
  std::vector<Pending> next;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (waiting_.empty() || closing_) {
      --calls_in_flight_;
      return;
    }
    // The call slot passes on to what waited.
    const size_t take = std::min(waiting_.size(), max_batch_);
    next.reserve(take);
    for (size_t i = 0; i < take; ++i) {
      next.push_back(std::move(waiting_.front()));
      waiting_.pop_front();
    }
  }
  Send(std::move(next));
}

void GrpcUpstreamSource::Send(std::vector<Pending> fetches) {
  // Whatever ran out of time while waiting is answered now, not sent.
  const Clock::time_point now = Clock::now();
  std::vector<Pending> expired;
  std::vector<Pending> in_time;
  in_time.reserve(fetches.size());
  for (Pending& fetch : fetches) {
    (fetch.deadline > now ? in_time : expired).push_back(std::move(fetch));
  }
  fetches = std::move(in_time);
  if (fetches.empty()) {
    CallEnded();
  } else if (fetches.size() == 1) {
    SendOne(std::move(fetches.front()));
  } else if (source_batches_.load()) {
    SendMany(std::move(fetches));
  } else {
    // One call each: the slot this call held, plus one per further fetch.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_in_flight_ += static_cast<int>(fetches.size()) - 1;
    }
    for (Pending& fetch : fetches) SendOne(std::move(fetch));
  }
  for (Pending& fetch : expired) {
    fetch.done(SourceError(name_, "SOURCE_TIMEOUT",
                           "no time was left to ask source '" + name_ + "'",
                           grpc::StatusCode::DEADLINE_EXCEEDED));
  }
}

void GrpcUpstreamSource::SendOne(Pending fetch) {
  struct Call {
    explicit Call(GrpcUpstreamSource* source) : live(source) {}
    LiveCall live;
    grpc::ClientContext context;
    Pending fetch;
    v1::FetchRecordResponse response;
  };
  auto call = std::make_shared<Call>(this);
  call->fetch = std::move(fetch);
  call->context.set_deadline(call->fetch.deadline);
  calls_.fetch_add(1, std::memory_order_relaxed);
  fetches_.fetch_add(1, std::memory_order_relaxed);
  Started(std::shared_ptr<grpc::ClientContext>(call, &call->context));
  stub_->async()->FetchRecord(
      &call->context, &call->fetch.request, &call->response, [this, call](grpc::Status status) {
        Answered(&call->context);
        FailureCounts failures;
        AnswerResult result = Outcome(status, call->response, call->fetch.descriptor, failures);
        LogFailures(failures);
        CallEnded();  // send what waited before answering this one
        call->fetch.done(std::move(result));
      });
}

void GrpcUpstreamSource::SendMany(std::vector<Pending> fetches) {
  struct Call {
    explicit Call(GrpcUpstreamSource* source) : live(source) {}
    LiveCall live;
    grpc::ClientContext context;
    std::vector<Pending> fetches;
    v1::FetchRecordsRequest request;
    v1::FetchRecordsResponse response;
  };
  auto call = std::make_shared<Call>(this);
  Clock::time_point deadline = Clock::time_point::max();
  for (Pending& fetch : fetches) {
    deadline = std::min(deadline, fetch.deadline);
    *call->request.add_fetches() = fetch.request;
  }
  call->fetches = std::move(fetches);
  call->context.set_deadline(deadline);
  calls_.fetch_add(1, std::memory_order_relaxed);
  fetches_.fetch_add(call->fetches.size(), std::memory_order_relaxed);
  Started(std::shared_ptr<grpc::ClientContext>(call, &call->context));
  stub_->async()->FetchRecords(
      &call->context, &call->request, &call->response, [this, call](grpc::Status status) {
        Answered(&call->context);
        if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
          if (source_batches_.exchange(false))
            log::Warn("source_without_fetch_records", {{"source", name_}});
          Send(std::move(call->fetches));  // again, one fetch per call
          return;
        }
        const size_t count = call->fetches.size();
        std::vector<std::optional<AnswerResult>> results(count);
        std::vector<Pending> again;
        FailureCounts failures;
        if (status.ok()) {
          MatchOutcomes(call->fetches, call->response, results, again, failures);
        } else {
          const v1::FetchRecordResponse none;
          for (size_t i = 0; i < count; ++i) {
            results[i] = Outcome(status, none, call->fetches[i].descriptor, failures);
          }
        }
        LogFailures(failures);
        CallEnded();  // send what waited before answering these
        AskAgainAlone(std::move(again));
        for (size_t i = 0; i < count; ++i) {
          if (results[i]) call->fetches[i].done(*std::move(results[i]));
        }
      });
}

void GrpcUpstreamSource::MatchOutcomes(std::vector<Pending>& fetches,
                                       const v1::FetchRecordsResponse& response,
                                       std::vector<std::optional<AnswerResult>>& results,
                                       std::vector<Pending>& again, FailureCounts& failures) const {
  // By subject and record type, never by position: a source that answers
  // out of order must not hand one person's record to another's fetch. The
  // same fetch asked twice is answered in the order asked.
  std::map<std::pair<std::string_view, std::string_view>, std::deque<size_t>> unanswered;
  for (size_t i = 0; i < fetches.size(); ++i) {
    unanswered[{fetches[i].request.subject_id(), fetches[i].request.record_type()}].push_back(i);
  }
  std::vector<bool> answered(fetches.size(), false);
  std::vector<size_t> ask_again;
  const Clock::time_point now = Clock::now();
  for (const v1::FetchOutcome& outcome : response.outcomes()) {
    auto it = unanswered.find({outcome.subject_id(), outcome.record_type()});
    if (it == unanswered.end() || it->second.empty()) {
      ++failures[{"source_outcome_unmatched", grpc::StatusCode::OK}];
      continue;
    }
    const size_t i = it->second.front();
    it->second.pop_front();
    answered[i] = true;
    const int code = outcome.code();
    const grpc::Status fetch_status(code >= 0 && code <= grpc::StatusCode::UNAUTHENTICATED
                                        ? static_cast<grpc::StatusCode>(code)
                                        : grpc::StatusCode::UNKNOWN,
                                    "");
    // gRPC retries calls that fail, never one fetch of a call that
    // succeeded: that retry is ours.
    if (code == grpc::StatusCode::UNAVAILABLE && max_attempts_ > 1 && fetches[i].deadline > now) {
      ask_again.push_back(i);  // moved out below: `unanswered` views its request
      continue;
    }
    results[i] = Outcome(fetch_status, outcome.response(), fetches[i].descriptor, failures);
  }
  for (size_t i = 0; i < fetches.size(); ++i) {
    if (answered[i]) continue;
    ++failures[{"source_fetch_unanswered", grpc::StatusCode::OK}];
    results[i] = SourceError(name_, "SOURCE_BAD_RECORD",
                             "source '" + name_ + "' did not answer every fetch of a batch",
                             grpc::StatusCode::OK);
  }
  for (const size_t i : ask_again) again.push_back(std::move(fetches[i]));
}

void GrpcUpstreamSource::AskAgainAlone(std::vector<Pending> fetches) {
  if (fetches.empty()) return;
  bool closing;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing = closing_;
    if (!closing) calls_in_flight_ += static_cast<int>(fetches.size());
  }
  for (Pending& fetch : fetches) {
    if (closing) {
      fetch.done(Closing());
    } else {
      SendOne(std::move(fetch));
    }
  }
}

FetchResult GrpcUpstreamSource::Fetch(const FetchRequest& request) {
  std::promise<FetchResult> promise;
  std::future<FetchResult> result = promise.get_future();
  FetchAsync(request, [&promise](FetchResult outcome) { promise.set_value(std::move(outcome)); });
  return result.get();
}

}  // namespace ketenpoort::adapters
