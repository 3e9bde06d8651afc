// The grpc_upstream adapter when the source misbehaves: down, slow, or
// briefly unavailable. The real gateway and the real reference source
// server on loopback; every wait is bounded.
#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "adapters/synthetic/synthetic_population.h"
#include "ketenpoort/v1/audit_entry.pb.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"
#include "ketenpoort/v1/source.grpc.pb.h"
#include "tests/support/chain_steps.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"
#include "tests/support/slow_relay.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::CertsDir;
using testing::GatewayProcess;
using testing::ReasonOf;

constexpr uint64_t kSeed = 5;

// A loopback port nobody listens on: bound by the kernel, then released.
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bind(fd, reinterpret_cast<sockaddr*>(&address), length);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

class SourceFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, 10).ok());
    subject_ = synthetic::SyntheticPopulation(kSeed).Person(2).v_number;
  }
  void TearDown() override {
    if (gateway_) {
      EXPECT_EQ(gateway_->Stop(), 0) << gateway_->StderrText();
    }
    if (source_) source_->Stop();
  }

  void StartSource(std::vector<std::string> faults) {
    std::vector<std::string> args = testing::ReferenceSourceArgs(dir_.File("fixtures.db"));
    args.insert(args.end(), faults.begin(), faults.end());
    std::string error;
    source_ = GatewayProcess::StartServer(testing::SourceBinary(), args, dir_.path().string(),
                                          "source", &error);
    ASSERT_NE(source_, nullptr) << error;
  }

  void StartGateway(const std::string& target, const std::string& upstream_settings) {
    std::string error;
    gateway_ = GatewayProcess::Start(
        testing::WriteConfig(dir_, testing::PoliciesDir(),
                             testing::ChainSources(target, upstream_settings)),
        dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;
    // Linked to Woerden, so the work consultant's request is permitted and
    // reaches the source.
    const grpc::Status linked = testing::LinkToMunicipality(gateway_->address(), subject_, "0632",
                                                            "2026-10-01", "2026-12-01");
    ASSERT_TRUE(linked.ok()) << linked.error_message();
  }

  // A permitted request that must go to the source.
  grpc::Status AskNoa(milliseconds deadline, milliseconds* took = nullptr) {
    v1::GetRecordRequest request;
    request.set_subject_id(subject_);
    request.set_record_type("noa.Assessment");
    request.set_purpose(v1::WORK_REINTEGRATION);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    context.AddMetadata("x-actor-role", "werkconsulent");
    v1::GetRecordResponse response;
    const auto start = steady_clock::now();
    const grpc::Status status =
        v1::DossierService::NewStub(testing::ChannelAs(gateway_->address(), "gemeente-woerden"))
            ->GetRecord(&context, request, &response);
    if (took) *took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
    return status;
  }

  testing::TempDir dir_;
  std::string subject_;
  std::unique_ptr<GatewayProcess> source_;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(SourceFailureTest, SourceThatIsDownGivesUnavailableNamingItAndAnAuditEntry) {
  StartGateway("127.0.0.1:" + std::to_string(UnusedPort()), "    timeout_ms: 1000\n");
  milliseconds took{0};
  const grpc::Status status = AskNoa(milliseconds(5000), &took);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(status), "SOURCE_UNAVAILABLE");
  EXPECT_NE(status.error_message().find("coa-tvs"), std::string::npos) << status.error_message();
  EXPECT_LT(took, milliseconds(5000));  // answered, not left hanging to the deadline

  const v1::AuditEntry entry = testing::ReadAuditEntry(dir_.File("audit.db"));
  EXPECT_EQ(entry.decision(), v1::AuditEntry::FAILED);
  EXPECT_EQ(entry.reason(), "SOURCE_UNAVAILABLE");
  EXPECT_EQ(entry.source(), "coa-tvs");
  EXPECT_EQ(entry.record_type(), "noa.Assessment");
}

TEST_F(SourceFailureTest, SlowSourceTimesOutOnTheConfiguredTimeout) {
  StartSource({"--delay-ms", "2000"});
  StartGateway(source_->address(), "    timeout_ms: 300\n");
  milliseconds took{0};
  const grpc::Status status = AskNoa(milliseconds(8000), &took);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(status), "SOURCE_TIMEOUT");
  EXPECT_LT(took, milliseconds(2000));
  EXPECT_EQ(testing::ReadAuditEntry(dir_.File("audit.db")).reason(), "SOURCE_TIMEOUT");
}

TEST_F(SourceFailureTest, CallersDeadlineIsPropagatedSoTheAnswerComesBeforeIt) {
  // The source is slower than the caller will wait, and the configured
  // timeout is longer still: the caller's deadline must bound the fetch,
  // leaving time to audit and answer with a reason rather than silence.
  StartSource({"--delay-ms", "3000"});
  StartGateway(source_->address(), "    timeout_ms: 20000\n");
  milliseconds took{0};
  const grpc::Status status = AskNoa(milliseconds(2000), &took);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ReasonOf(status), "SOURCE_TIMEOUT");
  EXPECT_LT(took, milliseconds(2000));
}

TEST_F(SourceFailureTest, SourceThatIsSlowToConnectIsStillReached) {
  // On a loaded machine the TLS handshake with a source can take hundreds
  // of milliseconds; gRPC gives a connection attempt only as long as the
  // channel allows. Held here for 600 ms, the first fetch must get through.
  StartSource({});
  const auto relay = testing::SlowRelay::Start(source_->port(), milliseconds(600));
  ASSERT_NE(relay, nullptr);
  StartGateway(relay->address(), "    timeout_ms: 4000\n");
  const grpc::Status status = AskNoa(milliseconds(6000));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_GE(relay->connections(), 1);
}

TEST_F(SourceFailureTest, BrieflyUnavailableSourceIsRetriedWithinTheBound) {
  // Three attempts: two refusals are absorbed, a third is not.
  StartSource({"--fail-first", "2", "--fail-only", "noa.Assessment"});
  StartGateway(source_->address(), "    max_attempts: 3\n");
  grpc::Status status = AskNoa(milliseconds(5000));
  EXPECT_TRUE(status.ok()) << status.error_message();

  source_->Stop();
  StartSource({"--fail-first", "3", "--fail-only", "noa.Assessment"});
  gateway_->Stop();
  gateway_.reset();
  StartGateway(source_->address(), "    max_attempts: 3\n");
  status = AskNoa(milliseconds(5000));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(status), "SOURCE_UNAVAILABLE");
  status = AskNoa(milliseconds(5000));  // the fourth call is answered
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(SourceFailureTest, SourceRefusesAnyoneButTheGateway) {
  StartSource({});
  // A partner's own certificate, not the gateway's, asking the source directly.
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = testing::ReadFile(CertsDir() + "/ca.crt");
  tls.pem_cert_chain = testing::ReadFile(CertsDir() + "/gemeente-woerden.crt");
  tls.pem_private_key = testing::ReadFile(CertsDir() + "/gemeente-woerden.key");
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto stub = v1::SourceService::NewStub(
      grpc::CreateCustomChannel(source_->address(), grpc::SslCredentials(tls), args));
  v1::FetchRecordRequest request;
  request.set_subject_id(subject_);
  request.set_record_type("noa.Assessment");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::FetchRecordResponse response;
  const grpc::Status status = stub->FetchRecord(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_FALSE(response.has_record());
}

}  // namespace
}  // namespace ketenpoort
