// A source reached over gRPC: the partner's own system implements
// ketenpoort.v1.SourceService (proto/ketenpoort/v1/source.proto) and the
// gateway calls it over mutual TLS with its own client certificate.
//
// Each fetch gets a deadline: the configured timeout, or less when the
// gateway's caller has less time left, keeping back a share for the audit
// write. The caller's deadline is thereby propagated upstream. Idempotent
// reads are retried on UNAVAILABLE by gRPC's retry policy (bounded attempts
// with exponential backoff, all inside the one deadline). Every failure
// reaches the gateway as UNAVAILABLE naming the source, never as the
// source's own message, which is not ours to pass on.
//
// With max_batch > 1 the adapter keeps at most max_calls_in_flight calls open;
// fetches that arrive meanwhile wait, and the next call to end sends them
// together in one FetchRecords call (up to max_batch), so under load the
// source and the gateway pay for one call instead of many. Nothing waits
// for a timer: at low load every fetch goes out at once, alone. A source
// that answers FetchRecords with UNIMPLEMENTED is asked one fetch per call
// from then on. A fetch that a batch answers UNAVAILABLE is asked once more,
// alone, under the same retry policy as any single fetch. A batch's outcomes
// are matched to its fetches by the subject and record type each outcome
// names, never by position: a fetch that no outcome answers fails
// SOURCE_BAD_RECORD, an outcome that answers no fetch is dropped.
#ifndef KETENPOORT_ADAPTERS_UPSTREAM_GRPC_UPSTREAM_SOURCE_H_
#define KETENPOORT_ADAPTERS_UPSTREAM_GRPC_UPSTREAM_SOURCE_H_

#include <grpcpp/channel.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/source_adapter.h"
#include "ketenpoort/v1/source.grpc.pb.h"

namespace ketenpoort::adapters {

class GrpcUpstreamSource final : public SourceAdapter {
 public:
  // Reads the TLS files now, so a missing file refuses start-up; the
  // connection itself is made on first use, so a source that is down does
  // not stop the gateway from starting.
  static absl::StatusOr<std::unique_ptr<GrpcUpstreamSource>> Create(const SourceConfig& config);
  // Answers what still waits with UNAVAILABLE, cancels the calls in
  // flight and waits until they are gone.
  ~GrpcUpstreamSource() override;

  std::string_view name() const override { return name_; }
  FetchResult Fetch(const FetchRequest& request) override;
  void FetchAsync(const FetchRequest& request, FetchDone done) override;
  // With the identifiers the source names for the person the record is
  // about (FetchRecordResponse.subject_ids).
  void FetchAnswerAsync(const FetchRequest& request, AnswerDone done) override;

  // The service config that carries the retry policy, for tests and docs.
  static std::string ServiceConfigJson(int max_attempts);

  // The least time one connection attempt to the source gets.
  static constexpr int kConnectAttemptMs = 5000;

  // What has been sent upstream: calls made, and the fetches they carried.
  struct Traffic {
    uint64_t calls = 0;
    uint64_t fetches = 0;
  };
  Traffic traffic() const { return {calls_.load(), fetches_.load()}; }

 private:
  using Clock = std::chrono::system_clock;
  // A fetch on its way upstream: everything it needs until it is answered.
  struct Pending {
    v1::FetchRecordRequest request;
    const google::protobuf::Descriptor* descriptor = nullptr;
    Clock::time_point deadline;
    AnswerDone done;
  };

  // Counts a call for as long as it exists. Declared first in a call, so
  // it is destroyed last, after the call's context.
  class LiveCall {
   public:
    explicit LiveCall(GrpcUpstreamSource* source);
    ~LiveCall();
    LiveCall(const LiveCall&) = delete;
    LiveCall& operator=(const LiveCall&) = delete;

   private:
    GrpcUpstreamSource* source_;
  };
  // Starting and ending a call: what the destructor may cancel.
  void Started(const std::shared_ptr<grpc::ClientContext>& context);
  void Answered(const grpc::ClientContext* context);

  GrpcUpstreamSource(std::string name, const UpstreamConfig& config,
                     std::shared_ptr<grpc::Channel> channel);

  // Sends `fetches` as one call (FetchRecord for one, FetchRecords for
  // more); the caller has counted the call in calls_in_flight_.
  void Send(std::vector<Pending> fetches);
  void SendOne(Pending fetch);
  void SendMany(std::vector<Pending> fetches);
  // Fetches a batch answered UNAVAILABLE one by one: each is asked once
  // more, alone, where the retry policy of a single fetch applies.
  void AskAgainAlone(std::vector<Pending> fetches);
  // The answer to a fetch that is not sent because the adapter is closing.
  absl::Status Closing() const;
  // A call has ended: sends what waited meanwhile, if anything.
  void CallEnded();

  // Failures met while answering one upstream call, by log event (and
  // gRPC code): logged once per kind, so a failed batch of fifty fetches is
  // one warning, not fifty.
  using FailureCounts = std::map<std::pair<std::string_view, int>, int>;
  // Maps the upstream outcome to the gateway's; never relays the source's
  // message. A failure is counted in `failures`, not logged.
  AnswerResult Outcome(const grpc::Status& status, const v1::FetchRecordResponse& response,
                       const google::protobuf::Descriptor* descriptor,
                       FailureCounts& failures) const;
  // Answers each fetch of a FetchRecords call that succeeded with the
  // outcome that names it; collects in `again` the fetches to ask again.
  void MatchOutcomes(std::vector<Pending>& fetches, const v1::FetchRecordsResponse& response,
                     std::vector<std::optional<AnswerResult>>& results, std::vector<Pending>& again,
                     FailureCounts& failures) const;
  void LogFailures(const FailureCounts& failures) const;

  const std::string name_;
  const int timeout_ms_;
  const int max_attempts_;
  const size_t max_batch_;
  const int max_calls_in_flight_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SourceService::Stub> stub_;

  std::mutex mutex_;
  int calls_in_flight_ = 0;      // guarded by mutex_
  std::deque<Pending> waiting_;  // guarded by mutex_
  bool closing_ = false;         // guarded by mutex_
  // Calls not yet destroyed. Each call's context holds a reference to the
  // channel; the destructor waits for all of them, so the channel's last
  // reference is never dropped on one of gRPC's callback threads, which
  // gRPC 1.51 cannot do safely (grpc/grpc#32584).
  int live_calls_ = 0;  // guarded by mutex_
  // Weak, so cancelling never races with a call's end; guarded by mutex_.
  std::map<const grpc::ClientContext*, std::weak_ptr<grpc::ClientContext>> unanswered_;
  std::condition_variable calls_gone_;
  std::atomic<bool> source_batches_{true};
  std::atomic<uint64_t> calls_{0};
  std::atomic<uint64_t> fetches_{0};
};

}  // namespace ketenpoort::adapters

#endif  // KETENPOORT_ADAPTERS_UPSTREAM_GRPC_UPSTREAM_SOURCE_H_
