// The bounds of `limits:` through the real gateway with real certificates:
// what one partner may hold open or pile up, each answered
// RESOURCE_EXHAUSTED with an ErrorInfo, and a connection that does not
// outlive its configured age.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/synthetic/synthetic_population.h"
#include "ketenpoort/v1/consent.grpc.pb.h"
#include "ketenpoort/v1/handover.grpc.pb.h"
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
using testing::ReasonOf;

constexpr uint64_t kSeed = 41;
constexpr char kGp[] = "huisartsenpraktijk-woerden";

class ResourceLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, 5).ok());
    subject_ = synthetic::SyntheticPopulation(kSeed).Person(0).v_number;
    std::string error;
    gateway_ = GatewayProcess::Start(
        testing::WriteConfig(dir_, testing::PoliciesDir(),
                             testing::ChainSources() + "limits:\n"
                                                       "  max_watch_streams_per_partner: 2\n"
                                                       "  max_consents_per_subject: 2\n"
                                                       "  max_concurrent_streams: 3\n"
                                                       "  max_connection_age_seconds: 2\n"
                                                       "  max_connection_age_grace_seconds: 1\n"),
        dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;
  }

  void TearDown() override {
    if (gateway_) {
      EXPECT_EQ(gateway_->Stop(), 0) << gateway_->StderrText();
      EXPECT_EQ(gateway_->StderrText().find(subject_), std::string::npos);
    }
  }

  // A Watch stream held open by a client of its own until it is dropped.
  struct OpenWatch {
    std::unique_ptr<v1::HandoverService::Stub> stub;
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::HandoverEvent>> reader;
  };
  std::unique_ptr<OpenWatch> Watch(std::chrono::seconds bound = std::chrono::seconds(20)) {
    auto watch = std::make_unique<OpenWatch>();
    watch->stub = v1::HandoverService::NewStub(ChannelAs(gateway_->address(), kGp));
    watch->context.set_deadline(std::chrono::system_clock::now() + bound);
    watch->reader = watch->stub->Watch(&watch->context, v1::WatchHandoversRequest());
    return watch;
  }
  // Ends a Watch: cancels it and returns how it ended.
  static grpc::Status Close(OpenWatch& watch) {
    watch.context.TryCancel();
    return watch.reader->Finish();
  }
  // How a Watch ended by itself (read until the stream closes).
  static grpc::Status Ending(OpenWatch& watch) {
    v1::HandoverEvent event;
    while (watch.reader->Read(&event)) {
    }
    return watch.reader->Finish();
  }

  grpc::Status GrantConsent(int valid_days, v1::Consent* granted) {
    v1::GrantConsentRequest grant;
    v1::Consent* consent = grant.mutable_consent();
    consent->set_subject_id(subject_);
    consent->mutable_recipient()->set_partner_id(kGp);
    consent->set_purpose(v1::CONTINUITY_OF_CARE);
    consent->add_record_types("gca.MedicalDossier");
    consent->set_valid_from(DateFromToday(-1));
    consent->set_valid_until(DateFromToday(valid_days));
    consent->set_effect(v1::PERMIT);
    consent->set_language("nl");
    consent->set_evidence_reference("form-limits-" + std::to_string(valid_days));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", "medewerker-3");
    context.AddMetadata("x-actor-role", "arts");
    return v1::ConsentService::NewStub(ChannelAs(gateway_->address(), "gca"))
        ->Grant(&context, grant, granted);
  }

  testing::TempDir dir_;
  std::string subject_;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(ResourceLimitsTest, APartnerHoldsNoMoreWatchStreamsThanItsLimitAndClosingOneMakesRoom) {
  // Three at once from one partner, each bounded by its own deadline:
  // exactly one is refused (which one depends on arrival), and at once.
  auto ends = [&](int count) {
    std::vector<std::unique_ptr<OpenWatch>> watches;
    for (int i = 0; i < count; ++i) watches.push_back(Watch(std::chrono::seconds(1)));
    std::vector<grpc::Status> statuses(watches.size());
    std::vector<std::thread> readers;
    for (size_t i = 0; i < watches.size(); ++i) {
      readers.emplace_back([&, i] { statuses[i] = Ending(*watches[i]); });
    }
    for (std::thread& reader : readers) reader.join();
    return statuses;
  };
  int refused = 0;
  for (const grpc::Status& status : ends(3)) {
    if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) continue;
    ++refused;
    EXPECT_EQ(ReasonOf(status), "TOO_MANY_WATCH_STREAMS");
    EXPECT_NE(status.error_message().find("close one first"), std::string::npos);
  }
  EXPECT_EQ(refused, 1);

  // Another partner is not held to this one's streams.
  auto gp = Watch(std::chrono::seconds(2));
  auto gp_too = Watch(std::chrono::seconds(2));
  OpenWatch other;
  other.stub = v1::HandoverService::NewStub(ChannelAs(gateway_->address(), "gca"));
  other.context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(800));
  other.reader = other.stub->Watch(&other.context, v1::WatchHandoversRequest());
  EXPECT_NE(Ending(other).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  Close(*gp).IgnoreError();
  Close(*gp_too).IgnoreError();

  // Streams that ended free their places: two at once are admitted again
  // (the gateway frees a place when it has finished the stream, so retry
  // within a bound rather than race it).
  int admitted = 0;
  for (int attempt = 0; attempt < 20 && admitted < 2; ++attempt) {
    admitted = 0;
    for (const grpc::Status& status : ends(2)) {
      if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) ++admitted;
    }
  }
  EXPECT_EQ(admitted, 2);
}

TEST_F(ResourceLimitsTest, AnOpenWatchEndsWithinTheMaximumConnectionAge) {
  // Age 2 s plus 1 s grace; the client's own bound is 20 s.
  auto watch = Watch();
  const auto started = std::chrono::steady_clock::now();
  const grpc::Status ended = Ending(*watch);
  const auto lasted = std::chrono::steady_clock::now() - started;
  EXPECT_NE(ended.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << ended.error_message();
  EXPECT_LT(lasted, std::chrono::seconds(15));
  // The client reconnects, and its certificate is checked afresh.
  auto next = Watch(std::chrono::seconds(1));
  EXPECT_EQ(Ending(*next).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(ResourceLimitsTest, ConsentsPerPersonAreBoundedAndTheRefusalIsAudited) {
  ASSERT_TRUE(testing::LinkToMunicipality(gateway_->address(), subject_, "0632", DateFromToday(-30),
                                          DateFromToday(7))
                  .ok());
  v1::Consent first;
  v1::Consent second;
  ASSERT_TRUE(GrantConsent(100, &first).ok());
  ASSERT_TRUE(GrantConsent(200, &second).ok());
  v1::Consent third;
  const grpc::Status refused = GrantConsent(300, &third);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_EQ(ReasonOf(refused), "TOO_MANY_CONSENTS");
  EXPECT_EQ(refused.error_message().find(subject_), std::string::npos);

  const v1::AuditEntry last = testing::ReadAuditEntry(dir_.File("audit.db"));
  EXPECT_EQ(last.kind(), v1::AuditEntry::CONSENT_CHANGE);
  EXPECT_EQ(last.decision(), v1::AuditEntry::DENY);
  EXPECT_EQ(last.reason(), "TOO_MANY_CONSENTS");

  // Revoking one makes room.
  v1::RevokeConsentRequest revoke;
  revoke.set_consent_id(first.consent_id());
  revoke.set_reason("ingetrokken door betrokkene");
  grpc::ClientContext context;
  context.AddMetadata("x-actor-role", "arts");
  v1::Consent revoked;
  ASSERT_TRUE(v1::ConsentService::NewStub(ChannelAs(gateway_->address(), "gca"))
                  ->Revoke(&context, revoke, &revoked)
                  .ok());
  EXPECT_TRUE(GrantConsent(300, &third).ok());
}

}  // namespace
}  // namespace ketenpoort
