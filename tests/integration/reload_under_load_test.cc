// Policy reloads (SIGHUP) in a loop while every service answers calls: each
// call keeps the policy snapshot it was identified against, so a reload in
// the middle of a call changes nothing under it. Run under ASan too, where
// a call still holding a pointer into a dropped snapshot would crash the
// gateway. Bounded in count and time; loopback only.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "adapters/synthetic/synthetic_population.h"
#include "ketenpoort/v1/audit.grpc.pb.h"
#include "ketenpoort/v1/consent.grpc.pb.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "ketenpoort/v1/handover.grpc.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"
#include "tests/support/chain_steps.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort {
namespace {

using testing::ChannelAs;
using testing::DateFromToday;
using testing::GatewayProcess;

constexpr uint64_t kSeed = 41;
constexpr int kReloads = 40;
constexpr int kCallsPerClient = 5000;  // an upper bound: clients stop when the reloads end

grpc::ClientContext* Prepare(grpc::ClientContext& context, const std::string& role) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("x-actor-role", role);
  return &context;
}

TEST(ReloadUnderLoadTest, EveryServiceAnswersWhilePoliciesAreReloadedInALoop) {
  testing::TempDir dir;
  const std::filesystem::path policies = dir.path() / "policies";
  std::filesystem::copy(testing::PoliciesDir(), policies, std::filesystem::copy_options::recursive);
  ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir.File("fixtures.db"), kSeed, 5).ok());
  std::string error;
  auto gateway =
      GatewayProcess::Start(testing::WriteConfig(dir, policies.string(), testing::ChainSources()),
                            dir.path().string(), &error);
  ASSERT_NE(gateway, nullptr) << error;
  const std::string address = gateway->address();
  const std::string person = synthetic::SyntheticPopulation(kSeed).Person(0).v_number;
  ASSERT_TRUE(
      testing::LinkToMunicipality(address, person, "0632", DateFromToday(-30), DateFromToday(7))
          .ok());

  // One client per service; each call must succeed whatever reload it meets.
  std::atomic<bool> done{false};
  std::atomic<int> calls{0};
  std::vector<std::string> failures[5];
  const auto record = [&](int client, const grpc::Status& status, const char* what) {
    calls.fetch_add(1);
    if (!status.ok() && failures[client].size() < 5) {
      failures[client].push_back(std::string(what) + ": " + status.error_message());
    }
  };
  std::vector<std::thread> clients;
  clients.emplace_back([&] {
    auto stub = v1::DossierService::NewStub(ChannelAs(address, "gemeente-woerden"));
    for (int i = 0; i < kCallsPerClient && !done; ++i) {
      v1::GetRecordRequest request;
      request.set_subject_id(person);
      request.set_record_type("noa.Assessment");
      request.set_purpose(v1::WORK_REINTEGRATION);
      grpc::ClientContext context;
      v1::GetRecordResponse response;
      record(0, stub->GetRecord(Prepare(context, "werkconsulent"), request, &response),
             "GetRecord");
    }
  });
  clients.emplace_back([&] {
    auto stub = v1::ConsentService::NewStub(ChannelAs(address, "gca"));
    for (int i = 0; i < kCallsPerClient && !done; ++i) {
      v1::ListConsentsRequest request;
      request.set_subject_id(person);
      grpc::ClientContext context;
      v1::ListConsentsResponse response;
      record(1, stub->List(Prepare(context, "arts"), request, &response), "Consent.List");
    }
  });
  clients.emplace_back([&] {
    auto stub = v1::RelationshipService::NewStub(ChannelAs(address, "coa"));
    for (int i = 0; i < kCallsPerClient && !done; ++i) {
      v1::SetKoppelingRequest request;
      request.mutable_koppeling()->set_subject_id(person);
      request.mutable_koppeling()->set_municipality_code("0632");
      request.mutable_koppeling()->set_linked_on(DateFromToday(-30));
      request.mutable_koppeling()->set_expected_move_date(DateFromToday(7));
      grpc::ClientContext context;
      v1::Koppeling response;
      record(2, stub->SetKoppeling(Prepare(context, "casemanager"), request, &response),
             "SetKoppeling");
    }
  });
  clients.emplace_back([&] {
    auto stub = v1::AuditService::NewStub(ChannelAs(address, "fg-gemeente-woerden"));
    for (int i = 0; i < kCallsPerClient && !done; ++i) {
      v1::AuditQueryRequest request;
      request.set_page_size(5);
      grpc::ClientContext context;
      v1::AuditQueryResponse response;
      record(3, stub->Query(Prepare(context, "fg"), request, &response), "Audit.Query");
    }
  });
  clients.emplace_back([&] {
    auto stub = v1::HandoverService::NewStub(ChannelAs(address, "huisartsenpraktijk-woerden"));
    for (int i = 0; i < kCallsPerClient && !done; ++i) {
      grpc::ClientContext context;
      v1::ListHandoversResponse response;
      record(4,
             stub->ListPending(Prepare(context, "huisarts"), v1::ListPendingRequest(), &response),
             "Handover.ListPending");
    }
  });

  // Reloads with a changed set each time (a new version), bounded in count.
  const std::string rules = (policies / "coa-koppeling.yaml").string();
  const std::string original = testing::ReadFile(rules);
  // At least kReloads, and on until the clients have made 50 calls among
  // them (a slow build, under a sanitizer, takes longer), within a minute.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int reload = 0;
       (reload < kReloads || calls.load() <= 5 * 10) && std::chrono::steady_clock::now() < give_up;
       ++reload) {
    // Replaced whole (write, then rename), as a deployment would: the
    // gateway never reads a half-written file.
    const std::string next = dir.File("coa-koppeling.yaml.next");
    std::ofstream(next, std::ios::trunc) << original << "# reload " << reload << "\n";
    std::filesystem::rename(next, rules);
    gateway->Signal(SIGHUP);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  done = true;
  for (std::thread& client : clients) client.join();

  for (const auto& client : failures) {
    for (const std::string& failure : client) ADD_FAILURE() << failure;
  }
  EXPECT_GT(calls.load(), 5 * 10);
  const std::string log = gateway->StderrText();
  EXPECT_NE(log.find("policy_reloaded"), std::string::npos) << log;
  EXPECT_EQ(log.find("policy_reload_rejected"), std::string::npos) << log;
  // Still serving, and it stops cleanly.
  grpc::ClientContext context;
  v1::GetCheckpointResponse checkpoint;
  EXPECT_TRUE(v1::AuditService::NewStub(ChannelAs(address, "fg-coa"))
                  ->GetCheckpoint(Prepare(context, "fg"), v1::GetCheckpointRequest(), &checkpoint)
                  .ok());
  EXPECT_EQ(gateway->Stop(), 0) << gateway->StderrText();
}

}  // namespace
}  // namespace ketenpoort
