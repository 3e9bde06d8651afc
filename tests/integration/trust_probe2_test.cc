// Second round of independent probes of "trust in the facts" (issue 22),
// against the real gateway binary with the dev certificates and the
// shipped policies. Each asserts the secure behaviour.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
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
using testing::ReasonOf;
using v1::AuditEntry;

constexpr uint64_t kSeed = 44;
constexpr uint64_t kPersons = 20;
constexpr char kGp[] = "huisartsenpraktijk-woerden";
constexpr char kTbc[] = "ggd.TbcScreening";

struct Who {
  std::string partner;
  std::string role;
  std::string signed_in;
};

class TrustProbe2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, kPersons).ok());
    const synthetic::SyntheticPopulation population(kSeed);
    person_ = population.Person(4).v_number;
    stranger_ = population.Person(kPersons + 3).v_number;  // valid, unknown to everyone
    // Linked to Woerden and registered with the Woerden GP, but no source
    // holds any record of them (outside the fixture population).
    no_records_ = population.Person(kPersons + 5).v_number;
    std::string error;
    gateway_ = GatewayProcess::Start(
        testing::WriteConfig(dir_, testing::PoliciesDir(), testing::ChainSources()),
        dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;
    const std::string address = gateway_->address();
    for (const std::string& subject : {person_, no_records_}) {
      ASSERT_TRUE(testing::LinkToMunicipality(address, subject, "0632", DateFromToday(-30),
                                              DateFromToday(7))
                      .ok());
      ASSERT_TRUE(testing::RegisterWithGp(address, subject, kGp).ok());
    }
  }

  void TearDown() override {
    if (gateway_) {
      EXPECT_EQ(gateway_->Stop(), 0) << gateway_->StderrText();
    }
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& partner) {
    return ChannelAs(gateway_->address(), partner);
  }

  static void Prepare(grpc::ClientContext& context, const Who& who) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", "medewerker-3");
    if (!who.role.empty()) context.AddMetadata("x-actor-role", who.role);
    if (!who.signed_in.empty()) context.AddMetadata("x-authenticated-subject", who.signed_in);
  }

  grpc::Status Send(const Who& who, const std::string& subject, const std::string& record_type,
                    const std::string& recipient, const std::string& role, v1::Purpose purpose,
                    const std::string& request_id, v1::Handover* handover,
                    const std::string& note = "") {
    v1::SendHandoverRequest request;
    request.set_subject_id(subject);
    request.add_record_types(record_type);
    request.set_recipient_partner_id(recipient);
    request.set_recipient_role(role);
    request.set_purpose(purpose);
    request.set_request_id(request_id);
    request.set_note(note);
    grpc::ClientContext context;
    Prepare(context, who);
    return v1::HandoverService::NewStub(Channel(who.partner))->Send(&context, request, handover);
  }

  grpc::Status GetEntry(const Who& who, uint64_t index, v1::GetEntryResponse* response) {
    v1::GetEntryRequest request;
    request.set_index(index);
    grpc::ClientContext context;
    Prepare(context, who);
    return v1::AuditService::NewStub(Channel(who.partner))->GetEntry(&context, request, response);
  }

  AuditEntry Newest() const { return testing::ReadAuditEntry(dir_.File("audit.db")); }

  testing::TempDir dir_;
  std::string person_, stranger_, no_records_;
  std::unique_ptr<GatewayProcess> gateway_;
};

// Hole: HandoverService.Send decides for the recipient BEFORE asking the
// sender's own source, and a permitted decision followed by a missing record
// answers the source's RECORD_NOT_FOUND. So any source holder learns, for an
// id it holds nothing about, whether the person stands in the relationship
// the recipient's rule needs: here GGD-PGA learns who is registered with the
// Woerden practice (tbc-follow-up-huisarts: registration only).
TEST_F(TrustProbe2Test, ASenderLearnsNothingAboutAPersonItHoldsNoRecordOf) {
  const Who ggd{"ggd-pga", "tbc-arts", ""};
  std::set<std::string> answers;
  int n = 0;
  for (const std::string& subject : {no_records_, stranger_}) {
    v1::Handover handover;
    const grpc::Status status = Send(ggd, subject, kTbc, kGp, "huisarts", v1::PUBLIC_HEALTH,
                                     "probe2-norecord-" + std::to_string(++n), &handover);
    EXPECT_FALSE(status.ok());
    answers.insert(std::to_string(status.error_code()) + " " + ReasonOf(status) + ": " +
                   status.error_message());
  }
  std::string told;
  for (const std::string& answer : answers) told += "\n  " + answer;
  EXPECT_EQ(answers.size(), 1u)
      << "registered-but-unheld and stranger are told apart by the sender:" << told;
}

// Hole: a hand-over carries `expected_move_date`, copied from the koppeling
// at Send (handover_service.cc DoSend), and returns it to the sender (Send,
// GetStatus) and to any actor at the recipient (ListPending, Watch). Only the
// linked municipality may read the move date (koppeling-housing-gemeente);
// GGD-PGA and the GP get it here, with no rule releasing it. It is exactly
// the "who is moving now" fact that denials hide.
TEST_F(TrustProbe2Test, AHandoverDoesNotDiscloseTheKoppelingMoveDate) {
  v1::Handover sent;
  const grpc::Status status = Send({"ggd-pga", "tbc-arts", ""}, person_, kTbc, kGp, "huisarts",
                                   v1::PUBLIC_HEALTH, "probe2-move-1", &sent);
  ASSERT_TRUE(status.ok()) << ReasonOf(status) << ": " << status.error_message();
  EXPECT_EQ(sent.expected_move_date(), "") << "the sender (ggd-pga) is told the person's move date";
  grpc::ClientContext context;
  Prepare(context, {kGp, "doktersassistent", ""});
  v1::ListHandoversResponse pending;
  ASSERT_TRUE(v1::HandoverService::NewStub(Channel(kGp))
                  ->ListPending(&context, v1::ListPendingRequest(), &pending)
                  .ok());
  ASSERT_EQ(pending.handovers_size(), 1);
  EXPECT_EQ(pending.handovers(0).expected_move_date(), "")
      << "any actor at the GP is told the person's move date";
}

// Hole (audit completeness): a privacy officer reading an entry outside its
// organisation is answered NO_SUCH_ENTRY, and nothing is recorded
// (audit_service.cc DoGetEntry), so scanning other organisations' entries
// leaves no trace, unlike every other refused read of the log.
TEST_F(TrustProbe2Test, AnOutOfScopeGetEntryIsAuditedAsRefused) {
  // An entry of Woerden's (the registration in SetUp), readable by the supervisor.
  const uint64_t woerden_entry = Newest().index();
  ASSERT_EQ(testing::ReadAuditEntry(dir_.File("audit.db"), woerden_entry).partner_id(),
            "gemeente-woerden");
  v1::GetEntryResponse response;
  const grpc::Status supervisor =
      GetEntry({"autoriteit-persoonsgegevens", "toezichthouder", ""}, woerden_entry, &response);
  ASSERT_TRUE(supervisor.ok()) << supervisor.error_message();
  const uint64_t before = Newest().index();
  const grpc::Status refused =
      GetEntry({"fg-coa", "privacy_officer", ""}, woerden_entry, &response);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::NOT_FOUND) << refused.error_message();
  const AuditEntry after = Newest();
  EXPECT_EQ(after.index(), before + 1) << "the refused read left no audit entry";
  EXPECT_EQ(after.partner_id(), "fg-coa");
  EXPECT_EQ(after.decision(), AuditEntry::DENY) << after.ShortDebugString();
}

// Hole (audit completeness): a Send refused as HANDOVER_REQUEST_REUSED is
// not audited (handover_service.cc DoSend returns before any entry), though
// every refused write must be.
TEST_F(TrustProbe2Test, ARefusedReusedSendIsAudited) {
  const Who ggd{"ggd-pga", "tbc-arts", ""};
  v1::Handover handover;
  ASSERT_TRUE(
      Send(ggd, person_, kTbc, kGp, "huisarts", v1::PUBLIC_HEALTH, "probe2-reuse", &handover).ok());
  const uint64_t before = Newest().index();
  const grpc::Status reused = Send(ggd, person_, kTbc, kGp, "huisarts", v1::PUBLIC_HEALTH,
                                   "probe2-reuse", &handover, "another note");
  ASSERT_EQ(ReasonOf(reused), "HANDOVER_REQUEST_REUSED") << reused.error_message();
  const AuditEntry after = Newest();
  EXPECT_EQ(after.index(), before + 1) << "the refused Send left no audit entry";
  EXPECT_EQ(after.decision(), AuditEntry::DENY) << after.ShortDebugString();
}

// Regression guard: a change of GP and an ending of the registration hold in
// memory and on disk alike: after a restart neither the previous nor the
// ended practice reads the person's TBC screening (registration only).
TEST_F(TrustProbe2Test, GpChangeAndEndHoldAcrossARestart) {
  constexpr char kOtherGp[] = "huisartsenpraktijk-oudegracht";
  auto set = [&](const Who& who, const std::string& practice, bool ended) {
    v1::SetGpRegistrationRequest request;
    request.mutable_registration()->set_subject_id(person_);
    request.mutable_registration()->set_practice_partner_id(practice);
    request.mutable_registration()->set_registered_on(DateFromToday(0));
    request.mutable_registration()->set_ended(ended);
    request.mutable_registration()->set_evidence_reference("formulier-2");
    grpc::ClientContext context;
    Prepare(context, who);
    v1::GpRegistration stored;
    return v1::RelationshipService::NewStub(Channel(who.partner))
        ->SetGpRegistration(&context, request, &stored);
  };
  auto tbc = [&](const std::string& practice) {
    v1::GetRecordRequest request;
    request.set_subject_id(person_);
    request.set_record_type(kTbc);
    request.set_purpose(v1::PUBLIC_HEALTH);
    grpc::ClientContext context;
    Prepare(context, {practice, "huisarts", ""});
    v1::GetRecordResponse response;
    return v1::DossierService::NewStub(Channel(practice))->GetRecord(&context, request, &response);
  };
  ASSERT_TRUE(set({"inzageportaal", "", person_}, kOtherGp, false).ok());
  // The previous practice can no longer end (or touch) it.
  EXPECT_FALSE(set({kGp, "huisarts", ""}, kGp, true).ok());
  EXPECT_FALSE(set({kGp, "huisarts", ""}, kOtherGp, true).ok());
  ASSERT_TRUE(tbc(kOtherGp).ok());
  ASSERT_TRUE(set({kOtherGp, "huisarts", ""}, kOtherGp, true).ok());
  for (int round = 0; round < 2; ++round) {
    EXPECT_FALSE(tbc(kGp).ok()) << "round " << round;
    EXPECT_FALSE(tbc(kOtherGp).ok()) << "round " << round;
    if (round == 0) {
      ASSERT_EQ(gateway_->Stop(), 0) << gateway_->StderrText();
      std::string error;
      gateway_ = GatewayProcess::Start(dir_.File("gateway.yaml"), dir_.path().string(), &error);
      ASSERT_NE(gateway_, nullptr) << error;
    }
  }
}

}  // namespace
}  // namespace ketenpoort
