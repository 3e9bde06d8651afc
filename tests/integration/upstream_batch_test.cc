// The grpc_upstream adapter's batching (max_batch > 1) against the real
// reference source server over mutual TLS: many fetches at once, each
// answered with its own record; a source without FetchRecords; a source
// that fails or is slow for a whole batch. And against a fake source in
// this process: one that answers a batch out of order, and one that
// answers for one person with another's record. Every wait is bounded.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "adapters/fixture/sqlite_fixture_source.h"
#include "adapters/synthetic/synthetic_population.h"
#include "adapters/upstream/grpc_upstream_source.h"
#include "gateway/common/error.h"
#include "gateway/records/record_catalog.h"
#include "ketenpoort/v1/audit_entry.pb.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "ketenpoort/v1/source.grpc.pb.h"
#include "records/v1/noa.pb.h"
#include "tests/support/chain_steps.h"
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

// A SourceService in this process, over mutual TLS like the reference
// source server, serving the fixtures with faults that server has no flag
// for: it answers FetchRecords in reversed order (each outcome still naming
// its fetch), and answers for some subjects with another person's record.
class FakeSourceService final : public v1::SourceService::CallbackService {
 public:
  struct Faults {
    bool reverse_batches = false;
    std::map<std::string, std::string> record_of;  // asked subject -> whose record it gets
    std::string misnamed;  // in a batch, its outcome names a subject not asked
  };

  FakeSourceService(std::unique_ptr<adapters::SqliteFixtureSource> fixtures, Faults faults)
      : fixtures_(std::move(fixtures)), faults_(std::move(faults)) {}

  grpc::ServerUnaryReactor* FetchRecord(grpc::CallbackServerContext* context,
                                        const v1::FetchRecordRequest* request,
                                        v1::FetchRecordResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(Answer(*request, *response));
    return reactor;
  }

  grpc::ServerUnaryReactor* FetchRecords(grpc::CallbackServerContext* context,
                                         const v1::FetchRecordsRequest* request,
                                         v1::FetchRecordsResponse* response) override {
    const int count = request->fetches_size();
    if (count > 1) ++batches_;
    for (int n = 0; n < count; ++n) {
      const v1::FetchRecordRequest& fetch =
          request->fetches(faults_.reverse_batches ? count - 1 - n : n);
      v1::FetchOutcome* outcome = response->add_outcomes();
      outcome->set_subject_id(fetch.subject_id() == faults_.misnamed ? "2999999999"
                                                                     : fetch.subject_id());
      outcome->set_record_type(fetch.record_type());
      const grpc::Status status = Answer(fetch, *outcome->mutable_response());
      outcome->set_code(status.error_code());
      if (!status.ok()) outcome->clear_response();
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  // FetchRecords calls that carried more than one fetch.
  int batches() const { return batches_.load(); }

 private:
  grpc::Status Answer(const v1::FetchRecordRequest& request, v1::FetchRecordResponse& response) {
    const google::protobuf::Descriptor* type =
        records::RecordCatalog::Builtin().Find(request.record_type());
    if (type == nullptr) return {grpc::StatusCode::INVALID_ARGUMENT, "unknown record type"};
    const auto swapped = faults_.record_of.find(request.subject_id());
    const std::string& subject =
        swapped == faults_.record_of.end() ? request.subject_id() : swapped->second;
    adapters::FetchRequest fetch;
    fetch.subject_id = subject;
    fetch.record_type = request.record_type();
    fetch.descriptor = type;
    adapters::AnswerResult answer = absl::UnknownError("not answered");
    fixtures_->FetchAnswerAsync(fetch,
                                [&answer](adapters::AnswerResult a) { answer = std::move(a); });
    if (!answer.ok()) {
      return {answer.status().code() == absl::StatusCode::kNotFound ? grpc::StatusCode::NOT_FOUND
                                                                    : grpc::StatusCode::UNAVAILABLE,
              "no record"};
    }
    response.mutable_record()->PackFrom(*answer->record);
    // Names the identifiers of the person it looked up, as a source that
    // mixed up its lookups would.
    for (const std::string& id : answer->subject_ids) response.add_subject_ids(id);
    return grpc::Status::OK;
  }

  std::unique_ptr<adapters::SqliteFixtureSource> fixtures_;
  const Faults faults_;
  std::atomic<int> batches_{0};
};

class UpstreamBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, kPersons).ok());
  }
  void TearDown() override {
    if (gateway_) {
      EXPECT_EQ(gateway_->Stop(), 0) << gateway_->StderrText();
    }
    if (source_) source_->Stop();
    if (fake_server_) fake_server_->Shutdown(std::chrono::system_clock::now());
  }

  // Starts a FakeSourceService on a free loopback port with the source's
  // dev certificate, requiring the client's; its address is address_.
  void StartFakeSource(FakeSourceService::Faults faults) {
    auto fixtures = adapters::SqliteFixtureSource::Open("fake", dir_.File("fixtures.db"));
    ASSERT_TRUE(fixtures.ok()) << fixtures.status();
    fake_ = std::make_unique<FakeSourceService>(std::move(*fixtures), std::move(faults));
    grpc::SslServerCredentialsOptions tls(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = testing::ReadFile(CertsDir() + "/ca.crt");
    tls.pem_key_cert_pairs.push_back({testing::ReadFile(CertsDir() + "/source.key"),
                                      testing::ReadFile(CertsDir() + "/source.crt")});
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
    builder.RegisterService(fake_.get());
    fake_server_ = builder.BuildAndStart();
    ASSERT_NE(fake_server_, nullptr);
    ASSERT_NE(port, 0);
    address_ = "127.0.0.1:" + std::to_string(port);
  }

  void StartSource(std::vector<std::string> flags = {}) {
    std::vector<std::string> args = testing::ReferenceSourceArgs(dir_.File("fixtures.db"));
    args.insert(args.end(), flags.begin(), flags.end());
    std::string error;
    source_ = GatewayProcess::StartServer(testing::SourceBinary(), args, dir_.path().string(),
                                          "source", &error);
    ASSERT_NE(source_, nullptr) << error;
    address_ = source_->address();
  }

  std::unique_ptr<GrpcUpstreamSource> Adapter(int max_batch, int timeout_ms = 5000,
                                              int max_attempts = 3,
                                              int max_calls_in_flight = kCallsInFlight) {
    adapters::SourceConfig config;
    config.name = "coa-tvs";
    config.owner = "coa";
    config.kind = "grpc_upstream";
    config.upstream.target = address_;
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
  std::string address_;  // of the source the adapters use
  std::unique_ptr<GatewayProcess> source_;
  std::unique_ptr<FakeSourceService> fake_;
  std::unique_ptr<grpc::Server> fake_server_;
  std::unique_ptr<GatewayProcess> gateway_;
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

TEST_F(UpstreamBatchTest, BatchAnsweredOutOfOrderStillGivesEachFetchItsOwnRecord) {
  StartFakeSource({.reverse_batches = true, .record_of = {}, .misnamed = ""});
  // One call in flight, so nearly every fetch waits and goes in a batch.
  auto adapter = Adapter(16, 5000, 3, /*max_calls_in_flight=*/1);
  ASSERT_NE(adapter, nullptr);
  FetchAllAndCheck(*adapter);
  EXPECT_GT(fake_->batches(), 0);
  EXPECT_LT(adapter->traffic().calls, Subjects().size() / 2);
}

TEST_F(UpstreamBatchTest, FetchThatNoOutcomeNamesIsABadRecordAndTheStrayOutcomeIsDropped) {
  // Person 5's outcomes name someone not asked. Only the first fetch (of
  // person 0) goes out alone; each of person 5's waits and goes in a batch.
  const std::string misnamed = synthetic::SyntheticPopulation(kSeed).Person(5).v_number;
  StartFakeSource({.reverse_batches = false, .record_of = {}, .misnamed = misnamed});
  auto adapter = Adapter(16, 5000, 3, /*max_calls_in_flight=*/1);
  ASSERT_NE(adapter, nullptr);
  ::testing::internal::CaptureStderr();
  const std::unique_ptr<Outcomes> outcomes = FetchAll(*adapter);
  const std::string log = ::testing::internal::GetCapturedStderr();
  const std::vector<std::string> subjects = Subjects();
  size_t bad = 0;
  for (size_t i = 0; i < subjects.size(); ++i) {
    if (subjects[i] != misnamed) continue;
    ASSERT_FALSE((*outcomes)[i].ok()) << i;
    EXPECT_EQ(ErrorReason((*outcomes)[i].status()), "SOURCE_BAD_RECORD") << i;
    ++bad;
  }
  EXPECT_EQ(bad, 3u);
  EXPECT_NE(log.find("source_outcome_unmatched"), std::string::npos) << log;
  EXPECT_NE(log.find("source_fetch_unanswered"), std::string::npos) << log;
  EXPECT_EQ(log.find(misnamed), std::string::npos) << log;
  // Everyone else still gets their own.
  for (size_t i = 0; i < subjects.size(); ++i) {
    if (subjects[i] == misnamed || subjects[i][0] == '9') continue;
    ASSERT_TRUE((*outcomes)[i].ok()) << i << ": " << (*outcomes)[i].status();
    const auto* record = dynamic_cast<const records::v1::noa::Assessment*>((*outcomes)[i]->get());
    ASSERT_NE(record, nullptr) << i;
    EXPECT_EQ(record->subject_id(), subjects[i]) << i;
  }
}

TEST_F(UpstreamBatchTest, SourceAnsweringForOnePersonWithAnothersRecordReleasesNothing) {
  const synthetic::SyntheticPopulation population(kSeed);
  const std::string asked = population.Person(4).v_number;
  const std::string other = population.Person(5).v_number;
  const std::string control = population.Person(6).v_number;
  StartFakeSource({.reverse_batches = false, .record_of = {{asked, other}}, .misnamed = ""});
  std::string error;
  gateway_ = GatewayProcess::Start(
      testing::WriteConfig(dir_, testing::PoliciesDir(), testing::ChainSources(address_)),
      dir_.path().string(), &error);
  ASSERT_NE(gateway_, nullptr) << error;
  for (const std::string& subject : {asked, control}) {
    const grpc::Status linked =
        testing::LinkToMunicipality(gateway_->address(), subject, "0632",
                                    testing::DateFromToday(-30), testing::DateFromToday(7));
    ASSERT_TRUE(linked.ok()) << linked.error_message();
  }
  auto ask = [this](const std::string& subject, v1::GetRecordResponse* response) {
    v1::GetRecordRequest request;
    request.set_subject_id(subject);
    request.set_record_type("noa.Assessment");
    request.set_purpose(v1::WORK_REINTEGRATION);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-role", "werkconsulent");
    return v1::DossierService::NewStub(testing::ChannelAs(gateway_->address(), "gemeente-woerden"))
        ->GetRecord(&context, request, response);
  };

  // A person the source answers for rightly gets their record.
  v1::GetRecordResponse released;
  const grpc::Status permitted = ask(control, &released);
  ASSERT_TRUE(permitted.ok()) << permitted.error_message();
  EXPECT_TRUE(released.record().Is<records::v1::noa::Assessment>());

  v1::GetRecordResponse response;
  const grpc::Status status = ask(asked, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(testing::ReasonOf(status), "SOURCE_BAD_RECORD");
  EXPECT_NE(status.error_message().find("coa-tvs"), std::string::npos) << status.error_message();
  EXPECT_EQ(status.error_message().find(asked), std::string::npos) << status.error_message();
  EXPECT_EQ(status.error_message().find(other), std::string::npos) << status.error_message();
  EXPECT_FALSE(response.has_record());

  const v1::AuditEntry entry = testing::ReadAuditEntry(dir_.File("audit.db"));
  EXPECT_EQ(entry.decision(), v1::AuditEntry::FAILED);
  EXPECT_EQ(entry.reason(), "SOURCE_BAD_RECORD");
  EXPECT_EQ(entry.record_type(), "noa.Assessment");
  EXPECT_EQ(entry.source(), "coa-tvs");
  EXPECT_EQ(entry.released_fields_size(), 0);
  EXPECT_EQ(entry.released_categories_size(), 0);
  EXPECT_TRUE(entry.payload_sha256().empty());

  // The gateway's log says which source, and about no one.
  const std::string log = gateway_->StderrText();
  EXPECT_NE(log.find("source_wrong_subject"), std::string::npos) << log;
  EXPECT_EQ(log.find(asked), std::string::npos);
  EXPECT_EQ(log.find(other), std::string::npos);
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
  const std::string subject = synthetic::SyntheticPopulation(kSeed).Person(0).v_number;
  for (const v1::FetchOutcome& outcome : response.outcomes()) {
    EXPECT_EQ(outcome.code(), 0);
    EXPECT_TRUE(outcome.response().record().Is<records::v1::noa::Assessment>());
    // Each outcome names the fetch it answers, and whom the record is about.
    EXPECT_EQ(outcome.subject_id(), subject);
    EXPECT_EQ(outcome.record_type(), "noa.Assessment");
    EXPECT_EQ(std::vector<std::string>(outcome.response().subject_ids().begin(),
                                       outcome.response().subject_ids().end()),
              std::vector<std::string>{subject});
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
