// The grpc_upstream adapter's batching (max_batch > 1) against the real
// reference source server over mutual TLS: many fetches at once, each
// answered with its own record; a source without FetchRecords; a source
// that fails or is slow for a whole batch. Every wait is bounded.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "adapters/synthetic/synthetic_population.h"
#include "adapters/upstream/grpc_upstream_source.h"
#include "gateway/common/error.h"
#include "gateway/records/record_catalog.h"
#include "ketenpoort/v1/source.grpc.pb.h"
#include "records/v1/noa.pb.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"
#include "tools/source-server/reference_source_service.h"

namespace ketenpoort {
namespace {

using adapters::FetchResult;
using adapters::GrpcUpstreamSource;
using testing::CertsDir;
using testing::GatewayProcess;

constexpr uint64_t kSeed = 9;
constexpr uint64_t kPersons = 30;
// Calls open at once unless configured otherwise.
const int kCallsInFlight = adapters::UpstreamConfig().max_calls_in_flight;

// Collects the outcomes of fetches started together, by position.
class Outcomes {
 public:
  explicit Outcomes(size_t count) : results_(count) {}

  adapters::FetchDone Slot(size_t i) {
    return [this, i](FetchResult result) {
      std::lock_guard<std::mutex> lock(mutex_);
      results_[i] = std::move(result);
      ++arrived_;
      changed_.notify_all();
    };
  }
  // False if not all arrived within the bound.
  bool WaitAll(std::chrono::seconds bound = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, bound, [this] { return arrived_ == results_.size(); });
  }
  const FetchResult& operator[](size_t i) const { return *results_[i]; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::optional<FetchResult>> results_;
  size_t arrived_ = 0;
};

class UpstreamBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, kPersons).ok());
  }
  void TearDown() override {
    if (source_) source_->Stop();
  }

  void StartSource(std::vector<std::string> flags = {}) {
    std::vector<std::string> args = testing::ReferenceSourceArgs(dir_.File("fixtures.db"));
    args.insert(args.end(), flags.begin(), flags.end());
    std::string error;
    source_ = GatewayProcess::StartServer(testing::SourceBinary(), args, dir_.path().string(),
                                          "source", &error);
    ASSERT_NE(source_, nullptr) << error;
  }

  std::unique_ptr<GrpcUpstreamSource> Adapter(int max_batch, int timeout_ms = 5000,
                                              int max_attempts = 3,
                                              int max_calls_in_flight = kCallsInFlight) {
    adapters::SourceConfig config;
    config.name = "coa-tvs";
    config.owner = "coa";
    config.kind = "grpc_upstream";
    config.upstream.target = source_->address();
    config.upstream.ca_file = CertsDir() + "/ca.crt";
    config.upstream.cert_file = CertsDir() + "/ketenpoort-gateway.crt";
    config.upstream.key_file = CertsDir() + "/ketenpoort-gateway.key";
    config.upstream.server_name = "localhost";
    config.upstream.timeout_ms = timeout_ms;
    config.upstream.max_attempts = max_attempts;
    config.upstream.max_batch = max_batch;
    config.upstream.max_calls_in_flight = max_calls_in_flight;
    config.record_types = {"noa.Assessment"};
    auto adapter = GrpcUpstreamSource::Create(config);
    EXPECT_TRUE(adapter.ok()) << adapter.status();
    return adapter.ok() ? std::move(*adapter) : nullptr;
  }

  // Starts one fetch for each of Subjects(), all at once.
  static std::unique_ptr<Outcomes> StartAll(GrpcUpstreamSource& adapter) {
    const std::vector<std::string> subjects = Subjects();
    const google::protobuf::Descriptor* descriptor =
        records::RecordCatalog::Builtin().Find("noa.Assessment");
    auto outcomes = std::make_unique<Outcomes>(subjects.size());
    for (size_t i = 0; i < subjects.size(); ++i) {
      adapter.FetchAsync({.subject_id = subjects[i],
                          .record_type = "noa.Assessment",
                          .descriptor = descriptor,
                          .request_id = "test-" + std::to_string(i)},
                         outcomes->Slot(i));
    }
    return outcomes;
  }

  // StartAll, and waits for every answer.
  static std::unique_ptr<Outcomes> FetchAll(GrpcUpstreamSource& adapter) {
    std::unique_ptr<Outcomes> outcomes = StartAll(adapter);
    if (!outcomes->WaitAll()) {
      ADD_FAILURE() << "not every fetch was answered";
      std::abort();  // the adapter still holds callbacks into `outcomes`
    }
    return outcomes;
  }

  // FetchAll, and each answer must be its own.
  static void FetchAllAndCheck(GrpcUpstreamSource& adapter) {
    ExpectEachAnswerIsItsOwn(Subjects(), *FetchAll(adapter));
  }

  // Every person of the fixtures three times, interleaved, and after each
  // round one V-nummer the source does not hold.
  static std::vector<std::string> Subjects() {
    const synthetic::SyntheticPopulation population(kSeed);
    std::vector<std::string> subjects;
    for (int round = 0; round < 3; ++round) {
      for (uint64_t i = 0; i < kPersons; ++i) subjects.push_back(population.Person(i).v_number);
      // Synthetic V-nummers start with 2: one starting with 9 is held by no one.
      subjects.push_back("9" + std::to_string(900000000 + round));
    }
    return subjects;
  }

  // Each answer is the record of the subject asked for, or NOT_FOUND for
  // the one the source does not hold.
  static void ExpectEachAnswerIsItsOwn(const std::vector<std::string>& subjects,
                                       const Outcomes& outcomes) {
    for (size_t i = 0; i < subjects.size(); ++i) {
      if (subjects[i][0] == '9') {
        ASSERT_FALSE(outcomes[i].ok()) << i;
        EXPECT_EQ(outcomes[i].status().code(), absl::StatusCode::kNotFound) << i;
        EXPECT_EQ(ErrorReason(outcomes[i].status()), "RECORD_NOT_FOUND") << i;
        continue;
      }
      ASSERT_TRUE(outcomes[i].ok()) << i << ": " << outcomes[i].status();
      const auto* record = dynamic_cast<const records::v1::noa::Assessment*>(outcomes[i]->get());
      ASSERT_NE(record, nullptr) << i;
      EXPECT_EQ(record->subject_id(), subjects[i]) << i;
    }
  }

  // Every fetch UNAVAILABLE with `reason`, naming the source.
  static void ExpectEveryFetchFailed(const Outcomes& outcomes, const std::string& reason) {
    for (size_t i = 0; i < Subjects().size(); ++i) {
      ASSERT_FALSE(outcomes[i].ok()) << i;
      EXPECT_EQ(outcomes[i].status().code(), absl::StatusCode::kUnavailable) << i;
      EXPECT_EQ(ErrorReason(outcomes[i].status()), reason) << i;
      EXPECT_NE(outcomes[i].status().message().find("coa-tvs"), std::string::npos) << i;
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<GatewayProcess> source_;
};

TEST_F(UpstreamBatchTest, FetchesThatQueueGoTogetherAndEachGetsItsOwnRecord) {
  StartSource();
  auto adapter = Adapter(16);
  ASSERT_NE(adapter, nullptr);
  FetchAllAndCheck(*adapter);

  const size_t fetches = Subjects().size();
  const GrpcUpstreamSource::Traffic traffic = adapter->traffic();
  EXPECT_EQ(traffic.fetches, fetches);
  // The first calls go out alone; everything started meanwhile waits and
  // goes in calls of at most 16.
  EXPECT_LT(traffic.calls, fetches / 2);
  EXPECT_GE(traffic.calls, (fetches + 15) / 16);
}

TEST_F(UpstreamBatchTest, WithoutBatchingEveryFetchIsItsOwnCall) {
  StartSource();
  auto adapter = Adapter(1);
  ASSERT_NE(adapter, nullptr);
  FetchAllAndCheck(*adapter);
  EXPECT_EQ(adapter->traffic().calls, Subjects().size());
}

TEST_F(UpstreamBatchTest, SourceWithoutFetchRecordsIsAskedOneFetchPerCall) {
  StartSource({"--no-batch"});
  auto adapter = Adapter(16);
  ASSERT_NE(adapter, nullptr);
  FetchAllAndCheck(*adapter);

  // Every fetch went alone in the end; the batches tried before the
  // adapter learned better (at most one per call slot) came back
  // UNIMPLEMENTED and were sent again.
  const size_t fetches = Subjects().size();
  const GrpcUpstreamSource::Traffic traffic = adapter->traffic();
  EXPECT_GT(traffic.fetches, fetches);
  EXPECT_LE(traffic.calls - fetches, static_cast<uint64_t>(kCallsInFlight));

  // And later fetches do not try again.
  const uint64_t calls_before = adapter->traffic().calls;
  FetchAllAndCheck(*adapter);
  EXPECT_EQ(adapter->traffic().calls - calls_before, fetches);
}

TEST_F(UpstreamBatchTest, UnavailableSourceFailsEveryFetchOfTheBatchNamingTheSource) {
  StartSource({"--fail-first", "1000"});
  auto adapter = Adapter(16, 5000, /*max_attempts=*/1);
  ASSERT_NE(adapter, nullptr);
  ::testing::internal::CaptureStderr();
  const std::unique_ptr<Outcomes> outcomes = FetchAll(*adapter);
  const std::string captured = ::testing::internal::GetCapturedStderr();
  ExpectEveryFetchFailed(*outcomes, "SOURCE_UNAVAILABLE");
  EXPECT_LT(adapter->traffic().calls, Subjects().size());

  // One warning per failed call, not per fetch, and together they count
  // every fetch.
  size_t warnings = 0;
  size_t fetches = 0;
  std::istringstream lines(captured);
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!entry.is_object() || entry.value("event", "") != "source_unavailable") continue;
    EXPECT_EQ(entry.value("source", ""), "coa-tvs");
    ++warnings;
    fetches += entry.value("fetches", size_t{0});
  }
  EXPECT_EQ(warnings, adapter->traffic().calls);
  EXPECT_EQ(fetches, Subjects().size());
}

TEST_F(UpstreamBatchTest, FetchThatABatchAnswersUnavailableIsAskedAgainAlone) {
  // The source answers the first 5 fetches that come inside FetchRecords
  // with UNAVAILABLE. Their call succeeded, so gRPC does not retry them.
  StartSource({"--fail-batched-fetches", "5"});
  auto adapter = Adapter(16);
  ASSERT_NE(adapter, nullptr);
  FetchAllAndCheck(*adapter);
  // Each of the 5 was asked once more, and only those.
  EXPECT_EQ(adapter->traffic().fetches, Subjects().size() + 5);
}

TEST_F(UpstreamBatchTest, WithoutRetriesAFetchABatchAnswersUnavailableFails) {
  StartSource({"--fail-batched-fetches", "5"});
  auto adapter = Adapter(16, 5000, /*max_attempts=*/1);
  ASSERT_NE(adapter, nullptr);
  const std::unique_ptr<Outcomes> outcomes = FetchAll(*adapter);
  size_t unavailable = 0;
  for (size_t i = 0; i < Subjects().size(); ++i) {
    if (!(*outcomes)[i].ok() && ErrorReason((*outcomes)[i].status()) == "SOURCE_UNAVAILABLE") {
      ++unavailable;
    }
  }
  EXPECT_EQ(unavailable, 5u);
  EXPECT_EQ(adapter->traffic().fetches, Subjects().size());
}

TEST_F(UpstreamBatchTest, SlowSourceTimesOutEveryFetchIncludingThoseThatWaited) {
  // Every call takes 600 ms and each fetch may take 300: the first calls
  // time out, and the fetches queued behind them have no time left by then.
  StartSource({"--delay-ms", "600"});
  auto adapter = Adapter(16, /*timeout_ms=*/300, /*max_attempts=*/1);
  ASSERT_NE(adapter, nullptr);
  ExpectEveryFetchFailed(*FetchAll(*adapter), "SOURCE_TIMEOUT");
}

TEST_F(UpstreamBatchTest, ClosingTheAdapterAnswersEveryFetchAndCancelsTheCallsInFlight) {
  // The source would answer every call after 3 s, well inside the timeout:
  // only cancelling makes the calls in flight end without a record.
  StartSource({"--delay-ms", "3000"});
  auto adapter = Adapter(16, /*timeout_ms=*/20000, /*max_attempts=*/1, kCallsInFlight);
  ASSERT_NE(adapter, nullptr);
  const std::unique_ptr<Outcomes> outcomes = StartAll(*adapter);
  adapter.reset();  // returns once every call is gone
  ASSERT_TRUE(outcomes->WaitAll(std::chrono::seconds(0)));
  size_t waited = 0;
  for (size_t i = 0; i < Subjects().size(); ++i) {
    ASSERT_FALSE((*outcomes)[i].ok()) << i;
    EXPECT_EQ((*outcomes)[i].status().code(), absl::StatusCode::kUnavailable) << i;
    waited += ErrorReason((*outcomes)[i].status()) == "SOURCE_UNAVAILABLE";
  }
  // The fetches that waited behind the calls in flight were never sent.
  EXPECT_EQ(waited, Subjects().size() - static_cast<size_t>(kCallsInFlight));
}

TEST_F(UpstreamBatchTest, AtMostMaxCallsInFlightGoOutBeforeFetchesWait) {
  // As above, with the bound set: 1 and 9 calls open, the rest waiting.
  StartSource({"--delay-ms", "3000"});
  for (const int in_flight : {1, 9}) {
    auto adapter = Adapter(16, /*timeout_ms=*/20000, /*max_attempts=*/1, in_flight);
    ASSERT_NE(adapter, nullptr);
    const std::unique_ptr<Outcomes> outcomes = StartAll(*adapter);
    adapter.reset();
    ASSERT_TRUE(outcomes->WaitAll(std::chrono::seconds(0)));
    size_t sent = 0;
    for (size_t i = 0; i < Subjects().size(); ++i) {
      ASSERT_FALSE((*outcomes)[i].ok()) << i;
      sent += ErrorReason((*outcomes)[i].status()) != "SOURCE_UNAVAILABLE";
    }
    EXPECT_EQ(sent, static_cast<size_t>(in_flight));
  }
}

// Asks the source directly, as `partner`, for `count` records in one call.
grpc::Status FetchRecordsAs(const std::string& address, const std::string& partner, int count,
                            v1::FetchRecordsResponse* response) {
  v1::FetchRecordsRequest request;
  for (int i = 0; i < count; ++i) {
    v1::FetchRecordRequest* fetch = request.add_fetches();
    fetch->set_subject_id(synthetic::SyntheticPopulation(kSeed).Person(0).v_number);
    fetch->set_record_type("noa.Assessment");
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return v1::SourceService::NewStub(testing::ChannelAs(address, partner))
      ->FetchRecords(&context, request, response);
}

TEST_F(UpstreamBatchTest, SourceAnswersAllowedBatchesInOrderAndRefusesTooLargeOnes) {
  StartSource();
  v1::FetchRecordsResponse response;
  ASSERT_TRUE(FetchRecordsAs(source_->address(), "ketenpoort-gateway", 3, &response).ok());
  ASSERT_EQ(response.outcomes_size(), 3);
  for (const v1::FetchOutcome& outcome : response.outcomes()) {
    EXPECT_EQ(outcome.code(), 0);
    EXPECT_TRUE(outcome.response().record().Is<records::v1::noa::Assessment>());
  }

  v1::FetchRecordsResponse refused;
  const grpc::Status status = FetchRecordsAs(source_->address(), "ketenpoort-gateway",
                                             source_server::kMaxFetchesPerCall + 1, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.outcomes_size(), 0);
}

TEST_F(UpstreamBatchTest, SourceAnswersBatchesToTheGatewayOnly) {
  StartSource();
  v1::FetchRecordsResponse response;
  const grpc::Status status = FetchRecordsAs(source_->address(), "gemeente-woerden", 1, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(response.outcomes_size(), 0);
}

}  // namespace
}  // namespace ketenpoort
