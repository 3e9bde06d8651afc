// The seam between the gateway and the partners' systems of record.
//
// A SourceAdapter fetches one record of one subject from wherever the
// partner keeps it. Adapters are created from configuration through an
// AdapterRegistry; the built-in kinds are registered explicitly in
// RegisterBuiltinAdapters() (static self-registration silently drops out
// of static libraries). Fetch and FetchAsync must be thread-safe. The
// gateway reaches every adapter through a SubjectCheckedSource
// (gateway/sources/), which refuses a record about another person than
// the one asked for.
#ifndef KETENPOORT_ADAPTERS_SOURCE_ADAPTER_H_
#define KETENPOORT_ADAPTERS_SOURCE_ADAPTER_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ketenpoort::adapters {

// How to reach a partner's SourceService (kind grpc_upstream).
struct UpstreamConfig {
  std::string target;     // host:port
  std::string ca_file;    // CA that issued the source's server certificate
  std::string cert_file;  // the gateway's client certificate and key
  std::string key_file;
  std::string server_name;  // expected name in the source's certificate, if not the host
  int timeout_ms = 2000;    // per fetch, all attempts together
  // Per call, including the first; retried on UNAVAILABLE only. A fetch a
  // batch answered UNAVAILABLE is asked once more, alone (so up to one more).
  int max_attempts = 3;
  // Fetches per call at most. Fetches that arrive while the adapter's
  // calls are all in flight go together in one FetchRecords call, if the
  // source implements it. 1: one fetch per call, always.
  int max_batch = 32;
  // Calls open at once before fetches wait to be batched (max_batch > 1).
  // More suits a far-away source; fewer, a source that wants few callers.
  int max_calls_in_flight = 4;
};

inline constexpr int kMaxUpstreamBatch = 256;
inline constexpr int kMaxUpstreamCallsInFlight = 64;

struct SourceConfig {
  std::string name;                       // e.g. "fixtures"
  std::string owner;                      // partner id of the organisation it speaks for
  std::string kind;                       // e.g. "sqlite_fixture"
  std::string database;                   // path, for file-backed kinds
  UpstreamConfig upstream;                // for kind grpc_upstream
  std::vector<std::string> record_types;  // what this source serves
};

struct FetchRequest {
  std::string_view subject_id;
  std::string_view record_type;
  const google::protobuf::Descriptor* descriptor = nullptr;  // of the record type
  // When the caller stops waiting; a source must answer (or give up) before.
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
  std::string_view request_id;  // trace id, passed on to upstream sources
};

using FetchResult = absl::StatusOr<std::unique_ptr<google::protobuf::Message>>;
using FetchDone = std::function<void(FetchResult)>;

// A record with what the source's answer says about whom it is about.
struct SourceAnswer {
  std::unique_ptr<google::protobuf::Message> record;
  // Identifiers the source holds for the person the record is about,
  // besides the subject_id the record itself carries: e.g. the BSN a record
  // was asked for by, when the record carries the V-nummer. May be empty.
  std::vector<std::string> subject_ids;
};
using AnswerResult = absl::StatusOr<SourceAnswer>;
using AnswerDone = std::function<void(AnswerResult)>;

class SourceAdapter {
 public:
  virtual ~SourceAdapter() = default;
  virtual std::string_view name() const = 0;
  // NOT_FOUND when the source holds no such record for the subject;
  // UNAVAILABLE (naming the source) when the source cannot answer.
  virtual FetchResult Fetch(const FetchRequest& request) = 0;
  // The same, without blocking the calling thread: `done` is called exactly
  // once, possibly on another thread. The request's views need only live
  // until FetchAsync returns. By default it calls Fetch inline, which suits
  // sources that answer from local storage in microseconds.
  virtual void FetchAsync(const FetchRequest& request, FetchDone done) { done(Fetch(request)); }
  // FetchAsync, with the identifiers the answer carries for the person the
  // record is about. By default none: the record alone, which suits a source
  // whose records carry every identifier they may be asked for by.
  virtual void FetchAnswerAsync(const FetchRequest& request, AnswerDone done);
};

using SourceAdapterPtr = std::unique_ptr<SourceAdapter>;
using AdapterFactory = std::function<absl::StatusOr<SourceAdapterPtr>(const SourceConfig&)>;

class AdapterRegistry {
 public:
  void Register(std::string kind, AdapterFactory factory);
  // INVALID_ARGUMENT for an unknown kind.
  absl::StatusOr<SourceAdapterPtr> Create(const SourceConfig& config) const;

 private:
  std::map<std::string, AdapterFactory, std::less<>> factories_;
};

// Registers every adapter kind compiled into this binary.
void RegisterBuiltinAdapters(AdapterRegistry& registry);

}  // namespace ketenpoort::adapters

#endif  // KETENPOORT_ADAPTERS_SOURCE_ADAPTER_H_
