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
#ifndef KETENPOORT_ADAPTERS_UPSTREAM_GRPC_UPSTREAM_SOURCE_H_
#define KETENPOORT_ADAPTERS_UPSTREAM_GRPC_UPSTREAM_SOURCE_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "adapters/source_adapter.h"
#include "ketenpoort/v1/source.grpc.pb.h"

namespace ketenpoort::adapters {

class GrpcUpstreamSource final : public SourceAdapter {
 public:
  // Reads the TLS files now, so a missing file refuses start-up; the
  // connection itself is made on first use, so a source that is down does
  // not stop the gateway from starting.
  static absl::StatusOr<std::unique_ptr<GrpcUpstreamSource>> Create(const SourceConfig& config);

  std::string_view name() const override { return name_; }
  FetchResult Fetch(const FetchRequest& request) override;
  void FetchAsync(const FetchRequest& request, FetchDone done) override;

  // The service config that carries the retry policy, for tests and docs.
  static std::string ServiceConfigJson(int max_attempts);

 private:
  GrpcUpstreamSource(std::string name, const UpstreamConfig& config,
                     std::shared_ptr<grpc::Channel> channel);

  // Maps the upstream outcome to the gateway's; never relays the source's message.
  FetchResult Outcome(const grpc::Status& status, const v1::FetchRecordResponse& response,
                      const google::protobuf::Descriptor* descriptor) const;

  const std::string name_;
  const int timeout_ms_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SourceService::Stub> stub_;
};

}  // namespace ketenpoort::adapters

#endif  // KETENPOORT_ADAPTERS_UPSTREAM_GRPC_UPSTREAM_SOURCE_H_
