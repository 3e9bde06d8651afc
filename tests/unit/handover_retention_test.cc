// Hand-over retention with a clock that only moves when told: packages are
// purged after acknowledgement plus the retention period, or on expiry;
// their audit entries stay, and each purge is audited itself. The dates
// hold from the moment they pass, whether the sweep has run yet or not.
#include <gtest/gtest.h>

#include "adapters/fixture/sqlite_fixture_source.h"
#include "adapters/synthetic/synthetic_population.h"
#include "gateway/audit/sqlite_audit_store.h"
#include "gateway/common/civil_date.h"
#include "gateway/common/error.h"
#include "gateway/policy/fixed_facts.h"
#include "gateway/server/handover_service.h"
#include "tests/support/chain_steps.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"
#include "tests/support/test_signer.h"

namespace ketenpoort::server {
namespace {

constexpr int64_t kDay = 86'400LL * 1'000'000LL;

class HandoverRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), 9, 5).ok());
    subject_ = synthetic::SyntheticPopulation(9).Person(1).v_number;
    const records::RecordCatalog& catalog = records::RecordCatalog::Builtin();
    auto policies = policy::PolicySet::LoadDirectory(testing::PoliciesDir(), catalog);
    ASSERT_TRUE(policies.ok()) << policies.status();
    policies_ = std::make_unique<PolicyHolder>(*policies);

    adapters::AdapterRegistry registry;
    adapters::RegisterBuiltinAdapters(registry);
    adapters::SourceConfig source;
    source.name = "ggd-pga";
    source.owner = "ggd-pga";
    source.kind = "sqlite_fixture";
    source.database = dir_.File("fixtures.db");
    source.record_types = {"ggd.TbcScreening"};
    auto router = sources::SourceRouter::Create({source}, registry, catalog);
    ASSERT_TRUE(router.ok()) << router.status();
    router_ = std::make_unique<sources::SourceRouter>(std::move(*router));

    auto store = audit::SqliteAuditStore::Open(dir_.File("audit.db"));
    ASSERT_TRUE(store.ok());
    auto log = audit::AuditLog::Open(std::move(*store), testing::TestCheckpointSigner());
    ASSERT_TRUE(log.ok()) << log.status();
    audit_ = std::move(*log);

    facts_.koppeling = policy::KoppelingFact{"0632", std::nullopt};
    services_.catalog = &catalog;
    services_.policies = policies_.get();
    services_.sources = router_.get();
    services_.audit = audit_.get();
    services_.pseudonymizer = &pseudonymizer_;
    services_.facts = &facts_;
    services_.recipient_pseudonym_key = std::string(32, 'r');
    services_.clock = &clock_;
    auto handovers = handover::HandoverStore::Open(dir_.File("handover.db"));
    ASSERT_TRUE(handovers.ok()) << handovers.status();
    service_ = std::make_unique<HandoverService>(
        services_, std::move(*handovers), handover::MasterKey::FromBytes(std::string(32, 'k')),
        HandoverSettings{
            .fetch_within_days = 14, .expire_after_days = 60, .retention_days_after_ack = 30});
  }

  // The audit entry `back` places before the newest (0: the newest).
  v1::AuditEntry EntryFromEnd(uint64_t back) {
    const v1::AuditEntry newest = testing::ReadAuditEntry(dir_.File("audit.db"));
    uint64_t size = 0;
    for (uint64_t index = 1; testing::ReadAuditEntry(dir_.File("audit.db"), index).kind() !=
                             v1::AuditEntry::KIND_UNSPECIFIED;
         ++index) {
      size = index;
    }
    return size > back ? testing::ReadAuditEntry(dir_.File("audit.db"), size - back) : newest;
  }

  // A refused fetch is audited after the expiry or purge it triggered.
  void ExpectRefusedFetchAfter(const std::string& what) {
    const v1::AuditEntry refused = EntryFromEnd(0);
    EXPECT_EQ(refused.decision(), v1::AuditEntry::DENY);
    EXPECT_EQ(refused.reason(), "HANDOVER_CLOSED");
    const v1::AuditEntry closed = EntryFromEnd(1);
    EXPECT_EQ(closed.kind(), v1::AuditEntry::HANDOVER);
    EXPECT_NE(closed.detail().find(what), std::string::npos) << closed.detail();
    EXPECT_EQ(closed.subject_pseudonym(), pseudonymizer_.Pseudonym(subject_));
  }

  Caller As(const std::string& partner_id, const std::string& role) {
    Caller caller;
    caller.policies = policies_->Current();
    caller.partner = caller.policies->partners().FindById(partner_id);
    caller.certificate.oin = caller.partner->oin;
    caller.actor_role = role;
    return caller;
  }

  // The GGD of the AZCs hands the TBC screening over to the new region's GGD.
  std::string Send(const std::string& request_id) {
    v1::SendHandoverRequest request;
    request.set_subject_id(subject_);
    request.add_record_types("ggd.TbcScreening");
    request.set_recipient_partner_id("ggd-regio-utrecht");
    request.set_recipient_role("tbc-arts");
    request.set_purpose(v1::PUBLIC_HEALTH);
    request.set_request_id(request_id);
    v1::Handover sent;
    const absl::Status status =
        service_->DoSend(As("ggd-pga", "tbc-arts"), request,
                         std::chrono::system_clock::now() + std::chrono::seconds(5), &sent);
    EXPECT_TRUE(status.ok()) << status;
    return sent.handover_id();
  }

  v1::Handover StatusOf(const std::string& id) {
    v1::GetHandoverRequest request;
    request.set_handover_id(id);
    v1::Handover handover;
    EXPECT_TRUE(service_->DoGetStatus(As("ggd-pga", "tbc-arts"), request, &handover).ok());
    return handover;
  }

  // The recipient confirms it took the hand-over over.
  absl::Status Acknowledge(const std::string& id) {
    v1::GetHandoverRequest request;
    request.set_handover_id(id);
    v1::Handover acknowledged;
    return service_->DoAcknowledge(As("ggd-regio-utrecht", "tbc-arts"), request, &acknowledged);
  }

  absl::Status FetchAs(const std::string& id) {
    v1::GetHandoverRequest request;
    request.set_handover_id(id);
    v1::FetchHandoverResponse response;
    return service_->DoFetch(As("ggd-regio-utrecht", "tbc-arts"), request, &response);
  }

  testing::TempDir dir_;
  std::string subject_;
  std::unique_ptr<PolicyHolder> policies_;
  std::unique_ptr<sources::SourceRouter> router_;
  std::unique_ptr<audit::AuditLog> audit_;
  audit::Pseudonymizer pseudonymizer_{std::string(32, 'p')};
  policy::FixedFacts facts_;
  ManualClock clock_{DaysFromCivil(2026, 11, 1) * kDay};
  GatewayServices services_;
  std::unique_ptr<HandoverService> service_;
};

TEST_F(HandoverRetentionTest, UnfetchedHandoverExpiresAndItsPackageIsPurged) {
  const std::string id = Send("r-1");
  clock_.Set(clock_.NowUnixMicros() + 59 * kDay);
  ASSERT_TRUE(service_->ApplyRetention().ok());
  EXPECT_EQ(StatusOf(id).status(), v1::PENDING);
  EXPECT_TRUE(StatusOf(id).overdue());  // past fetch_within_days

  clock_.Set(clock_.NowUnixMicros() + 2 * kDay);
  ASSERT_TRUE(service_->ApplyRetention().ok());
  const v1::Handover expired = StatusOf(id);
  EXPECT_EQ(expired.status(), v1::EXPIRED);
  EXPECT_TRUE(expired.package_purged());
  EXPECT_EQ(FetchAs(id).code(), absl::StatusCode::kFailedPrecondition);
  const v1::AuditEntry refused = EntryFromEnd(0);
  EXPECT_EQ(refused.reason(), "HANDOVER_CLOSED");
  EXPECT_EQ(refused.subject_pseudonym(), pseudonymizer_.Pseudonym(subject_));
  const v1::AuditEntry purge = EntryFromEnd(1);
  EXPECT_EQ(purge.kind(), v1::AuditEntry::HANDOVER);
  EXPECT_NE(purge.detail().find("PENDING -> EXPIRED, package purged"), std::string::npos)
      << purge.detail();
  EXPECT_EQ(purge.subject_pseudonym(), pseudonymizer_.Pseudonym(subject_));
}

TEST_F(HandoverRetentionTest, AcknowledgedPackageIsPurgedAfterTheRetentionPeriodAuditStays) {
  const std::string id = Send("r-2");
  ASSERT_TRUE(FetchAs(id).ok());
  ASSERT_TRUE(Acknowledge(id).ok());
  const uint64_t entries_before = audit_->LatestCheckpoint().size;

  clock_.Set(clock_.NowUnixMicros() + 29 * kDay);
  ASSERT_TRUE(service_->ApplyRetention().ok());
  EXPECT_FALSE(StatusOf(id).package_purged());
  EXPECT_TRUE(FetchAs(id).ok());  // still there for the recipient

  clock_.Set(clock_.NowUnixMicros() + 2 * kDay);
  ASSERT_TRUE(service_->ApplyRetention().ok());
  const v1::Handover purged = StatusOf(id);
  EXPECT_EQ(purged.status(), v1::ACKNOWLEDGED);
  EXPECT_TRUE(purged.package_purged());
  EXPECT_EQ(FetchAs(id).code(), absl::StatusCode::kFailedPrecondition);
  // Nothing was taken out of the log; the purge added its own entry.
  EXPECT_GT(audit_->LatestCheckpoint().size, entries_before);
  EXPECT_EQ(EntryFromEnd(0).reason(), "HANDOVER_CLOSED");  // the refused fetch
  EXPECT_NE(EntryFromEnd(1).detail().find("package purged"), std::string::npos);
  // A second run finds nothing more to do.
  const uint64_t after = audit_->LatestCheckpoint().size;
  ASSERT_TRUE(service_->ApplyRetention().ok());
  EXPECT_EQ(audit_->LatestCheckpoint().size, after);
}

TEST_F(HandoverRetentionTest, AFetchPastTheExpiryDateIsRefusedBeforeTheSweepRuns) {
  const std::string id = Send("r-3");
  clock_.Set(clock_.NowUnixMicros() + 61 * kDay);
  // No ApplyRetention: the hourly sweep has not come round yet.
  const absl::Status fetched = FetchAs(id);
  EXPECT_EQ(fetched.code(), absl::StatusCode::kFailedPrecondition) << fetched;
  EXPECT_EQ(ErrorReason(fetched), "HANDOVER_CLOSED");
  EXPECT_NE(fetched.message().find("EXPIRED"), std::string::npos) << fetched;
  // Expired and purged by that look, audited as the gateway's own act; no
  // release was recorded, the refused fetch was.
  ExpectRefusedFetchAfter("PENDING -> EXPIRED, package purged");
  const v1::Handover expired = StatusOf(id);
  EXPECT_EQ(expired.status(), v1::EXPIRED);
  EXPECT_TRUE(expired.package_purged());
  // Nor can the sender take it back: it is closed, not fetched.
  v1::GetHandoverRequest request;
  request.set_handover_id(id);
  v1::Handover withdrawn;
  const absl::Status withdraw =
      service_->DoWithdraw(As("ggd-pga", "tbc-arts"), request, &withdrawn);
  EXPECT_EQ(withdraw.code(), absl::StatusCode::kFailedPrecondition) << withdraw;
  EXPECT_EQ(ErrorReason(withdraw), "HANDOVER_CLOSED");
  // The sweep then finds nothing left to do.
  const uint64_t entries = audit_->LatestCheckpoint().size;
  ASSERT_TRUE(service_->ApplyRetention().ok());
  EXPECT_EQ(audit_->LatestCheckpoint().size, entries);
}

TEST_F(HandoverRetentionTest, AnExpiredHandoverLeavesTheListsBeforeTheSweepRuns) {
  const std::string id = Send("r-5");
  const auto pending = [&] {
    v1::ListHandoversResponse listed;
    EXPECT_TRUE(service_->DoListPending(As("ggd-regio-utrecht", "tbc-arts"), &listed).ok());
    return listed.handovers_size();
  };
  const auto overdue = [&] {
    v1::ListHandoversResponse listed;
    EXPECT_TRUE(service_->DoListOverdue(As("ggd-pga", "tbc-arts"), &listed).ok());
    return listed.handovers_size();
  };
  EXPECT_EQ(pending(), 1);
  EXPECT_EQ(overdue(), 0);
  clock_.Set(clock_.NowUnixMicros() + 59 * kDay);
  EXPECT_EQ(pending(), 1);
  EXPECT_EQ(overdue(), 1);
  clock_.Set(clock_.NowUnixMicros() + 2 * kDay);
  EXPECT_EQ(pending(), 0);
  EXPECT_EQ(overdue(), 0);
}

TEST_F(HandoverRetentionTest, AnAcknowledgedPackagePastItsRetentionIsPurgedAtTheNextLook) {
  const std::string id = Send("r-4");
  ASSERT_TRUE(FetchAs(id).ok());
  ASSERT_TRUE(Acknowledge(id).ok());
  clock_.Set(clock_.NowUnixMicros() + 31 * kDay);
  EXPECT_EQ(FetchAs(id).code(), absl::StatusCode::kFailedPrecondition);
  const v1::Handover purged = StatusOf(id);
  EXPECT_EQ(purged.status(), v1::ACKNOWLEDGED);
  EXPECT_TRUE(purged.package_purged());
  ExpectRefusedFetchAfter("package purged");
}

}  // namespace
}  // namespace ketenpoort::server
