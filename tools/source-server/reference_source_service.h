// The reference implementation of ketenpoort.v1.SourceService: serves the
// records of a fixture database, as a partner's own system would serve its
// records, to the gateway only (checked by the OIN in the client
// certificate). Used by the tests and benchmarks of the grpc_upstream
// adapter, and as a template for partners.
//
// For failure tests it can answer late (delay), refuse its first calls
// with UNAVAILABLE (fail_first), answer its first fetches inside
// FetchRecords with UNAVAILABLE (fail_batched_fetches), all bounded, or act
// as a source without FetchRecords (batch = false).
#ifndef KETENPOORT_TOOLS_SOURCE_SERVER_REFERENCE_SOURCE_SERVICE_H_
#define KETENPOORT_TOOLS_SOURCE_SERVER_REFERENCE_SOURCE_SERVICE_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "adapters/fixture/sqlite_fixture_source.h"
#include "gateway/records/record_catalog.h"
#include "ketenpoort/v1/source.grpc.pb.h"

namespace ketenpoort::source_server {

struct ServiceOptions {
  std::set<std::string> allowed_oins;  // callers allowed to fetch
  std::set<std::string> record_types;  // served; empty means all in the catalog
  std::chrono::milliseconds delay{0};  // before every answer
  int fail_first = 0;                  // this many calls get UNAVAILABLE first
  std::string fail_only;               // if set, only calls for this record type count
  int fail_batched_fetches = 0;        // this many fetches inside FetchRecords get UNAVAILABLE
  bool batch = true;                   // false: FetchRecords answers UNIMPLEMENTED
};

// More fetches than this in one FetchRecords call is INVALID_ARGUMENT.
inline constexpr int kMaxFetchesPerCall = 1000;

class ReferenceSourceService final : public v1::SourceService::CallbackService {
 public:
  ReferenceSourceService(std::unique_ptr<adapters::SqliteFixtureSource> fixtures,
                         ServiceOptions options);

  grpc::ServerUnaryReactor* FetchRecord(grpc::CallbackServerContext* context,
                                        const v1::FetchRecordRequest* request,
                                        v1::FetchRecordResponse* response) override;
  grpc::ServerUnaryReactor* FetchRecords(grpc::CallbackServerContext* context,
                                         const v1::FetchRecordsRequest* request,
                                         v1::FetchRecordsResponse* response) override;

  uint64_t calls() const { return calls_.load(); }

 private:
  // PERMISSION_DENIED unless the caller is the gateway.
  grpc::Status Authorize(grpc::CallbackServerContext& context) const;
  // The fault injection of --fail-first: UNAVAILABLE for this call, or OK.
  grpc::Status InjectedFailure(bool counted);
  // One fetch, as FetchRecord answers it.
  grpc::Status Answer(const v1::FetchRecordRequest& request, v1::FetchRecordResponse& response);

  std::unique_ptr<adapters::SqliteFixtureSource> fixtures_;
  const ServiceOptions options_;
  const records::RecordCatalog& catalog_ = records::RecordCatalog::Builtin();
  std::atomic<uint64_t> calls_{0};
  std::atomic<uint64_t> batched_fetches_{0};
};

}  // namespace ketenpoort::source_server

#endif  // KETENPOORT_TOOLS_SOURCE_SERVER_REFERENCE_SOURCE_SERVICE_H_
