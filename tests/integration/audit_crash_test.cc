// kill -9 under load: every response a client received has its audit
// entry, and the tree verifies and grows on after a restart.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/audit/audit_reader.h"
#include "gateway/audit/log_verifier.h"
#include "gateway/common/civil_date.h"
#include "gateway/common/ed25519.h"
#include "ketenpoort/v1/audit_entry.pb.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"

namespace ketenpoort {
namespace {

constexpr uint64_t kSeed = 11;
// Bounds: the load stops by itself after this many answers or this long.
constexpr int kClients = 4;
constexpr int kMaxAnswersPerClient = 400;
constexpr auto kMaxLoadTime = std::chrono::seconds(20);
// The gateway is killed once this many responses have come back.
constexpr int kKillAfter = 150;

TEST(AuditCrashTest, EveryAnsweredRequestIsAuditedAfterKill9) {
  testing::TempDir dir;
  ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir.File("fixtures.db"), kSeed, 10).ok());
  const std::string subject = synthetic::SyntheticPopulation(kSeed).Person(2).v_number;
  const std::string config = testing::WriteConfig(dir, testing::PoliciesDir());
  std::string error;
  auto gateway = testing::GatewayProcess::Start(config, dir.path().string(), &error);
  ASSERT_NE(gateway, nullptr) << error;
  {
    // COA links the person to Woerden, so Woerden's requests are permitted.
    const int64_t today = std::chrono::duration_cast<std::chrono::hours>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() /
                          24;
    v1::SetKoppelingRequest koppeling;
    koppeling.mutable_koppeling()->set_subject_id(subject);
    koppeling.mutable_koppeling()->set_municipality_code("0632");
    koppeling.mutable_koppeling()->set_linked_on(FormatCivilDate(today - 30));
    koppeling.mutable_koppeling()->set_expected_move_date(FormatCivilDate(today + 7));
    grpc::ClientContext context;
    context.AddMetadata("x-actor-role", "casemanager");
    v1::Koppeling stored;
    ASSERT_TRUE(v1::RelationshipService::NewStub(testing::ChannelAs(gateway->address(), "coa"))
                    ->SetKoppeling(&context, koppeling, &stored)
                    .ok());
  }

  // Answered requests: request id -> the audit index the gateway reported.
  std::mutex mutex;
  std::map<std::string, uint64_t> answered;
  std::atomic<int> answers{0};
  const auto give_up = std::chrono::steady_clock::now() + kMaxLoadTime;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub =
          v1::DossierService::NewStub(testing::ChannelAs(gateway->address(), "gemeente-woerden"));
      for (int i = 0; i < kMaxAnswersPerClient && std::chrono::steady_clock::now() < give_up; ++i) {
        const std::string request_id = "crash-" + std::to_string(c) + "-" + std::to_string(i);
        v1::GetRecordRequest request;
        request.set_subject_id(subject);
        request.set_record_type("noa.Assessment");
        request.set_purpose(v1::WORK_REINTEGRATION);
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
        context.AddMetadata("x-request-id", request_id);
        context.AddMetadata("x-actor-role", "werkconsulent");
        v1::GetRecordResponse response;
        grpc::Status status = stub->GetRecord(&context, request, &response);
        if (status.ok()) {
          std::lock_guard<std::mutex> lock(mutex);
          answered[request_id] = response.audit_index();
          ++answers;
        } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                   status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
          return;  // the gateway is gone
        }
      }
    });
  }
  while (answers.load() < kKillAfter && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  gateway->Kill();
  for (std::thread& client : clients) client.join();
  gateway.reset();
  ASSERT_GE(answers.load(), kKillAfter);

  // The store verifies, and holds an entry for every answer.
  auto signing_key =
      crypto::Ed25519PrivateKey::FromPemFile(testing::CertsDir() + "/checkpoint.key");
  ASSERT_TRUE(signing_key.ok());
  auto key = audit::CheckpointVerifier::FromVerifierKey(
      audit::CheckpointSigner("ketenpoort.localhost/audit", *signing_key).VerifierKey());
  ASSERT_TRUE(key.ok());
  {
    auto reader = audit::AuditReader::Open(dir.File("audit.db"));
    ASSERT_TRUE(reader.ok()) << reader.status();
    auto report = audit::VerifyLog(**reader, {.key = &*key, .trusted_checkpoint = std::nullopt});
    ASSERT_TRUE(report.ok()) << report.status();
    std::string problems;
    for (const std::string& problem : report->problems) problems += problem + "\n";
    EXPECT_TRUE(report->ok()) << problems;

    std::map<std::string, uint64_t> audited;
    v1::AuditEntry entry;
    ASSERT_TRUE((*reader)
                    ->Scan({},
                           [&](const audit::StoredEntry& row) {
                             if (entry.ParseFromString(row.entry_bytes) &&
                                 !entry.request_id().empty()) {
                               audited[entry.request_id()] = entry.index();
                             }
                             return true;
                           })
                    .ok());
    for (const auto& [request_id, index] : answered) {
      auto found = audited.find(request_id);
      ASSERT_NE(found, audited.end()) << request_id << " was answered but is not in the log";
      EXPECT_EQ(found->second, index) << request_id;
    }
  }

  // The gateway restarts on the same store and the tree grows on.
  auto restarted = testing::GatewayProcess::Start(config, dir.path().string(), &error);
  ASSERT_NE(restarted, nullptr) << error;
  EXPECT_EQ(restarted->Stop(), 0) << restarted->StderrText();
  auto reader = audit::AuditReader::Open(dir.File("audit.db"));
  ASSERT_TRUE(reader.ok());
  auto report = audit::VerifyLog(**reader, {.key = &*key, .trusted_checkpoint = std::nullopt});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

}  // namespace
}  // namespace ketenpoort
