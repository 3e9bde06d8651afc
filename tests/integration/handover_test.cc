// The warme overdracht through the real gateway with real certificates:
// GCA hands the medical dossier over to the new GP.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/common/civil_date.h"
#include "ketenpoort/v1/consent.grpc.pb.h"
#include "ketenpoort/v1/handover.grpc.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"
#include "records/v1/gca.pb.h"
#include "tests/support/chain_steps.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort {
namespace {

using testing::DateFromToday;

using testing::ChannelAs;
using testing::GatewayProcess;
using testing::ReasonOf;

constexpr uint64_t kSeed = 33;
constexpr char kGp[] = "huisartsenpraktijk-woerden";

class HandoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, 30).ok());
    // Someone with a medication list and allergies-free or not: any person will do,
    // but their dossier must have content to look for in the raw store.
    const synthetic::SyntheticPopulation population(kSeed);
    for (uint64_t i = 0; i < 30; ++i) {
      person_ = population.Person(i);
      if (person_.medical.medication_size() > 0) break;
    }
    ASSERT_GT(person_.medical.medication_size(), 0);
    StartGateway();
    // Linked to Woerden (moving in a week), registered with the Woerden GP,
    // and consenting to the dossier going there.
    ASSERT_TRUE(testing::LinkToMunicipality(gateway_->address(), person_.v_number, "0632",
                                            DateFromToday(-30), DateFromToday(move_in_days_))
                    .ok());
    ASSERT_TRUE(testing::RegisterWithGp(gateway_->address(), person_.v_number, kGp).ok());
    consent_id_ = GrantConsent();
  }

  void TearDown() override {
    if (gateway_) {
      EXPECT_EQ(gateway_->Stop(), 0) << gateway_->StderrText();
      EXPECT_EQ(gateway_->StderrText().find(person_.v_number), std::string::npos);
    }
  }

  // A copy of the shipped policies, so a test can change them and reload.
  std::string PoliciesCopy() {
    const std::filesystem::path copy = dir_.path() / "policies";
    if (!std::filesystem::exists(copy)) {
      std::filesystem::copy(testing::PoliciesDir(), copy, std::filesystem::copy_options::recursive);
    }
    return copy.string();
  }

  void StartGateway() {
    std::string error;
    gateway_ =
        GatewayProcess::Start(testing::WriteConfig(dir_, PoliciesCopy(), testing::ChainSources()),
                              dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& partner) {
    return ChannelAs(gateway_->address(), partner);
  }
  std::unique_ptr<v1::HandoverService::Stub> Stub(const std::string& partner) {
    return v1::HandoverService::NewStub(Channel(partner));
  }
  static void Prepare(grpc::ClientContext& context, const std::string& role) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", "medewerker-3");
    context.AddMetadata("x-actor-role", role);
  }

  std::string GrantConsent() {
    v1::GrantConsentRequest grant;
    v1::Consent* consent = grant.mutable_consent();
    consent->set_subject_id(person_.v_number);
    consent->mutable_recipient()->set_partner_id(kGp);
    consent->set_purpose(v1::CONTINUITY_OF_CARE);
    consent->add_record_types("gca.MedicalDossier");
    consent->set_valid_from(DateFromToday(-1));
    consent->set_valid_until(DateFromToday(365));
    consent->set_effect(v1::PERMIT);
    consent->set_language("ti");
    consent->set_evidence_reference("form-handover-1");
    grpc::ClientContext context;
    Prepare(context, "arts");
    v1::Consent granted;
    EXPECT_TRUE(v1::ConsentService::NewStub(Channel("gca"))->Grant(&context, grant, &granted).ok());
    return granted.consent_id();
  }

  v1::SendHandoverRequest SendRequest(const std::string& request_id) {
    v1::SendHandoverRequest request;
    request.set_subject_id(person_.v_number);
    request.add_record_types("gca.MedicalDossier");
    request.set_recipient_partner_id(kGp);
    request.set_recipient_role("huisarts");
    request.set_purpose(v1::CONTINUITY_OF_CARE);
    request.set_note(kNote);
    request.set_request_id(request_id);
    return request;
  }

  grpc::Status Send(const v1::SendHandoverRequest& request, v1::Handover* handover,
                    const std::string& sender = "gca") {
    grpc::ClientContext context;
    Prepare(context, "arts");
    return Stub(sender)->Send(&context, request, handover);
  }

  grpc::Status Fetch(const std::string& id, v1::FetchHandoverResponse* response,
                     const std::string& partner = kGp, const std::string& role = "huisarts") {
    v1::GetHandoverRequest request;
    request.set_handover_id(id);
    grpc::ClientContext context;
    Prepare(context, role);
    return Stub(partner)->Fetch(&context, request, response);
  }

  grpc::Status Status(const std::string& id, v1::Handover* handover,
                      const std::string& partner = "gca") {
    v1::GetHandoverRequest request;
    request.set_handover_id(id);
    grpc::ClientContext context;
    Prepare(context, "arts");
    return Stub(partner)->GetStatus(&context, request, handover);
  }

  // Reads up to `count` Watch events after `cursor`, within a bounded time.
  std::vector<v1::HandoverEvent> WatchFor(
      uint64_t cursor, size_t count, const std::string& partner = kGp,
      std::chrono::milliseconds wait = std::chrono::seconds(5)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + wait);
    v1::WatchHandoversRequest request;
    request.set_after_cursor(cursor);
    auto stream = Stub(partner)->Watch(&context, request);
    std::vector<v1::HandoverEvent> events;
    v1::HandoverEvent event;
    while (events.size() < count && stream->Read(&event)) events.push_back(event);
    context.TryCancel();
    stream->Finish().IgnoreError();
    return events;
  }

  static constexpr char kNote[] = "Synthetische notitie: graag controle bloeddruk";
  int move_in_days_ = 7;
  testing::TempDir dir_;
  synthetic::SyntheticPerson person_;
  std::string consent_id_;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(HandoverTest, GcaToGpEndToEndWithWatchFetchAcknowledgeAndTheSendersStatus) {
  // The GP is watching before anything is sent.
  std::vector<v1::HandoverEvent> seen;
  std::thread watcher([&] { seen = WatchFor(0, 1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  v1::Handover sent;
  grpc::Status status = Send(SendRequest("gca-req-1"), &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.status(), v1::PENDING);
  EXPECT_EQ(sent.recipient_partner_id(), kGp);
  watcher.join();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].handover().handover_id(), sent.handover_id());

  // A retried Send is the same hand-over; the same id for something else is refused.
  v1::Handover again;
  ASSERT_TRUE(Send(SendRequest("gca-req-1"), &again).ok());
  EXPECT_EQ(again.handover_id(), sent.handover_id());
  v1::SendHandoverRequest changed = SendRequest("gca-req-1");
  changed.set_note("another note");
  EXPECT_EQ(Send(changed, &again).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  {
    grpc::ClientContext context;
    Prepare(context, "huisarts");
    v1::ListHandoversResponse pending;
    ASSERT_TRUE(Stub(kGp)->ListPending(&context, v1::ListPendingRequest(), &pending).ok());
    ASSERT_EQ(pending.handovers_size(), 1);
    EXPECT_EQ(pending.handovers(0).handover_id(), sent.handover_id());
  }

  v1::FetchHandoverResponse fetched;
  status = Fetch(sent.handover_id(), &fetched);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(fetched.subject_id(), person_.v_number);
  EXPECT_EQ(fetched.note(), kNote);
  ASSERT_EQ(fetched.records_size(), 1);
  records::v1::gca::MedicalDossier dossier;
  ASSERT_TRUE(fetched.records(0).record().UnpackTo(&dossier));
  EXPECT_EQ(dossier.medication_size(), person_.medical.medication_size());
  EXPECT_EQ(dossier.medication(0).name(), person_.medical.medication(0).name());
  EXPECT_GT(fetched.audit_index(), 0u);
  const v1::AuditEntry entry =
      testing::ReadAuditEntry(dir_.File("audit.db"), fetched.audit_index());
  EXPECT_EQ(entry.kind(), v1::AuditEntry::ACCESS);
  EXPECT_EQ(entry.partner_id(), kGp);
  EXPECT_EQ(entry.source_partner_id(), "gca");

  v1::Handover seen_by_sender;
  ASSERT_TRUE(Status(sent.handover_id(), &seen_by_sender).ok());
  EXPECT_EQ(seen_by_sender.status(), v1::DELIVERED);

  for (int i = 0; i < 2; ++i) {  // idempotent
    grpc::ClientContext context;
    Prepare(context, "huisarts");
    v1::GetHandoverRequest request;
    request.set_handover_id(sent.handover_id());
    v1::Handover acknowledged;
    ASSERT_TRUE(Stub(kGp)->Acknowledge(&context, request, &acknowledged).ok());
    EXPECT_EQ(acknowledged.status(), v1::ACKNOWLEDGED);
  }
  ASSERT_TRUE(Status(sent.handover_id(), &seen_by_sender).ok());
  EXPECT_EQ(seen_by_sender.status(), v1::ACKNOWLEDGED);
  EXPECT_GT(seen_by_sender.closed_unix_micros(), 0);
}

TEST_F(HandoverTest, ConsentRevokedBetweenSendAndFetchStopsDelivery) {
  v1::Handover sent;
  ASSERT_TRUE(Send(SendRequest("gca-req-2"), &sent).ok());
  {
    v1::RevokeConsentRequest revoke;
    revoke.set_consent_id(consent_id_);
    revoke.set_reason("the person changed their mind");
    grpc::ClientContext context;
    Prepare(context, "arts");
    v1::Consent revoked;
    ASSERT_TRUE(
        v1::ConsentService::NewStub(Channel("gca"))->Revoke(&context, revoke, &revoked).ok());
  }
  v1::FetchHandoverResponse fetched;
  const grpc::Status status = Fetch(sent.handover_id(), &fetched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "CONSENT_REVOKED");
  EXPECT_EQ(fetched.records_size(), 0);
  const v1::AuditEntry entry = testing::ReadAuditEntry(dir_.File("audit.db"));
  EXPECT_EQ(entry.decision(), v1::AuditEntry::DENY);
  EXPECT_EQ(entry.reason(), "CONSENT_REVOKED");
  v1::Handover after;
  ASSERT_TRUE(Status(sent.handover_id(), &after).ok());
  EXPECT_EQ(after.status(), v1::PENDING);
}

TEST_F(HandoverTest, APartnerThatIsNotTheRecipientCannotFetchOrEvenSeeIt) {
  v1::Handover sent;
  ASSERT_TRUE(Send(SendRequest("gca-req-3"), &sent).ok());
  for (const char* other : {"jgz-woerden", "gemeente-woerden", "coa"}) {
    v1::FetchHandoverResponse fetched;
    grpc::Status status = Fetch(sent.handover_id(), &fetched, other, "jgz-arts");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << other;
    v1::Handover seen;
    status = Status(sent.handover_id(), &seen, other);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << other;
    grpc::ClientContext context;
    Prepare(context, "jgz-arts");
    v1::ListHandoversResponse pending;
    ASSERT_TRUE(Stub(other)->ListPending(&context, v1::ListPendingRequest(), &pending).ok());
    EXPECT_EQ(pending.handovers_size(), 0) << other;
  }
  EXPECT_TRUE(WatchFor(0, 1, "jgz-woerden", std::chrono::milliseconds(800)).empty());
  // Only the source's owner sends: the municipality cannot push GCA's dossier.
  v1::Handover refused;
  const grpc::Status status = Send(SendRequest("gem-req-1"), &refused, "gemeente-woerden");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "NOT_THE_SOURCE");
}

TEST_F(HandoverTest, KillDashNineBetweenSendAndFetchLosesNothing) {
  v1::Handover sent;
  ASSERT_TRUE(Send(SendRequest("gca-req-4"), &sent).ok());
  gateway_->Kill();
  gateway_.reset();
  StartGateway();
  v1::FetchHandoverResponse fetched;
  const grpc::Status status = Fetch(sent.handover_id(), &fetched);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(fetched.subject_id(), person_.v_number);
  EXPECT_EQ(fetched.note(), kNote);
  ASSERT_EQ(fetched.records_size(), 1);
}

TEST_F(HandoverTest, AReconnectingWatchMissesNothing) {
  v1::Handover first;
  ASSERT_TRUE(Send(SendRequest("gca-req-5"), &first).ok());
  const std::vector<v1::HandoverEvent> before = WatchFor(0, 1);
  ASSERT_EQ(before.size(), 1u);
  const uint64_t cursor = before[0].handover().cursor();
  // While the GP is away, two more arrive, one across a gateway restart.
  v1::Handover second, third;
  ASSERT_TRUE(Send(SendRequest("gca-req-6"), &second).ok());
  ASSERT_EQ(gateway_->Stop(), 0);
  StartGateway();
  ASSERT_TRUE(Send(SendRequest("gca-req-7"), &third).ok());
  const std::vector<v1::HandoverEvent> after =
      WatchFor(cursor, 3, kGp, std::chrono::milliseconds(1500));
  ASSERT_EQ(after.size(), 2u);  // exactly the two it missed, in order
  EXPECT_EQ(after[0].handover().handover_id(), second.handover_id());
  EXPECT_EQ(after[1].handover().handover_id(), third.handover_id());
}

TEST_F(HandoverTest, TheStoreHoldsNoPlaintext) {
  v1::Handover sent;
  ASSERT_TRUE(Send(SendRequest("gca-req-8"), &sent).ok());
  std::string raw;
  for (const char* file : {"handover.db", "handover.db-wal"}) {
    std::ifstream in(dir_.File(file), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    raw += bytes.str();
  }
  ASSERT_GT(raw.size(), 4096u);
  std::vector<std::string> known{person_.v_number,
                                 person_.medical.family_name(),
                                 person_.medical.given_names(),
                                 person_.medical.date_of_birth(),
                                 person_.medical.medication(0).name(),
                                 kNote};
  for (const auto& problem : person_.medical.active_problems()) {
    known.push_back(problem.description());
  }
  for (const std::string& value : known) {
    EXPECT_EQ(raw.find(value), std::string::npos) << "plaintext in the store: " << value;
  }
}

TEST_F(HandoverTest, SenderWithdrawsWhatWasNotFetchedAndTheRecipientRefusesWithAReason) {
  v1::Handover sent;
  ASSERT_TRUE(Send(SendRequest("gca-req-9"), &sent).ok());
  v1::GetHandoverRequest id;
  id.set_handover_id(sent.handover_id());
  v1::Handover withdrawn;
  {
    grpc::ClientContext context;
    Prepare(context, "arts");
    ASSERT_TRUE(Stub("gca")->Withdraw(&context, id, &withdrawn).ok());
  }
  EXPECT_EQ(withdrawn.status(), v1::WITHDRAWN);
  EXPECT_TRUE(withdrawn.package_purged());
  v1::FetchHandoverResponse fetched;
  EXPECT_EQ(Fetch(sent.handover_id(), &fetched).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  v1::Handover second;
  ASSERT_TRUE(Send(SendRequest("gca-req-10"), &second).ok());
  v1::RefuseHandoverRequest refuse;
  refuse.set_handover_id(second.handover_id());
  v1::Handover refused;
  {
    grpc::ClientContext context;
    Prepare(context, "huisarts");
    EXPECT_EQ(Stub(kGp)->Refuse(&context, refuse, &refused).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);  // a reason is required
  }
  refuse.set_reason(v1::NOT_OUR_PATIENT);
  for (int i = 0; i < 2; ++i) {  // idempotent
    grpc::ClientContext context;
    Prepare(context, "huisarts");
    ASSERT_TRUE(Stub(kGp)->Refuse(&context, refuse, &refused).ok());
  }
  v1::Handover seen_by_sender;
  ASSERT_TRUE(Status(second.handover_id(), &seen_by_sender).ok());
  EXPECT_EQ(seen_by_sender.status(), v1::REFUSED);
  EXPECT_EQ(seen_by_sender.refusal_reason(), v1::NOT_OUR_PATIENT);
  // Fetched hand-overs cannot be withdrawn.
  v1::Handover third;
  ASSERT_TRUE(Send(SendRequest("gca-req-11"), &third).ok());
  ASSERT_TRUE(Fetch(third.handover_id(), &fetched).ok());
  id.set_handover_id(third.handover_id());
  grpc::ClientContext context;
  Prepare(context, "arts");
  const grpc::Status late = Stub("gca")->Withdraw(&context, id, &withdrawn);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(late), "HANDOVER_ALREADY_FETCHED");
}

class OverdueHandoverTest : public HandoverTest {
 protected:
  OverdueHandoverTest() { move_in_days_ = -2; }  // moved two days ago, still in the GP window
};

TEST_F(OverdueHandoverTest, AHandoverPastTheMoveDateIsListedAsOverdue) {
  v1::Handover sent;
  ASSERT_TRUE(Send(SendRequest("gca-req-12"), &sent).ok());
  EXPECT_TRUE(sent.overdue());
  grpc::ClientContext context;
  Prepare(context, "arts");
  v1::ListHandoversResponse overdue;
  ASSERT_TRUE(Stub("gca")->ListOverdue(&context, v1::ListOverdueRequest(), &overdue).ok());
  ASSERT_EQ(overdue.handovers_size(), 1);
  EXPECT_EQ(overdue.handovers(0).handover_id(), sent.handover_id());
  EXPECT_TRUE(overdue.handovers(0).overdue());
  // The move date decided it, but is not told: no rule releases it to the sender.
  EXPECT_EQ(overdue.handovers(0).expected_move_date(), "");
  EXPECT_EQ(sent.expected_move_date(), "");
}

}  // namespace
}  // namespace ketenpoort

namespace ketenpoort {
namespace {

// Waits (bounded) until the gateway's log contains `text` `count` times.
bool WaitForLogCount(const GatewayProcess& gateway, const std::string& text, size_t count) {
  for (int i = 0; i < 400; ++i) {
    const std::string log = gateway.StderrText();
    size_t seen = 0;
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++seen;
    if (seen >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

// A policy reload between Send and Fetch that stops releasing a field:
// the fetch leaves it out, though the rule id is the same as at Send.
TEST_F(HandoverTest, AFetchAfterAPolicyReloadReleasesOnlyWhatTheCurrentRuleReleases) {
  v1::Handover sent;
  ASSERT_TRUE(Send(SendRequest("gca-reload-1"), &sent).ok());

  const std::string rules = PoliciesCopy() + "/gca-medical-dossier.yaml";
  std::string text = testing::ReadFile(rules);
  const std::string family_name = "      - field: family_name\n";
  size_t removed = 0;
  for (size_t at = text.find(family_name); at != std::string::npos; at = text.find(family_name)) {
    text.erase(at, family_name.size());
    ++removed;
  }
  ASSERT_GT(removed, 0u);
  std::ofstream(rules, std::ios::trunc) << text;
  gateway_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLogCount(*gateway_, "policy_reloaded", 1)) << gateway_->StderrText();

  v1::FetchHandoverResponse fetched;
  const grpc::Status status = Fetch(sent.handover_id(), &fetched);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(fetched.records_size(), 1);
  records::v1::gca::MedicalDossier dossier;
  ASSERT_TRUE(fetched.records(0).record().UnpackTo(&dossier));
  EXPECT_FALSE(dossier.has_family_name());                          // no longer released
  EXPECT_EQ(dossier.given_names(), person_.medical.given_names());  // still released
  EXPECT_GT(dossier.medication_size(), 0);
  for (const v1::ReleasedField& field : fetched.records(0).released_fields()) {
    EXPECT_NE(field.path(), "family_name");
  }
  EXPECT_NE(fetched.policy_version(), "");
}

// The dossier is for the role named at Send: the practice's assistant does
// not get it, and the attempt is audited; the GP then does.
TEST_F(HandoverTest, OnlyTheRecipientRoleNamedAtSendFetches) {
  v1::Handover sent;
  ASSERT_TRUE(Send(SendRequest("gca-role-1"), &sent).ok());
  v1::FetchHandoverResponse fetched;
  const grpc::Status wrong = Fetch(sent.handover_id(), &fetched, kGp, "doktersassistent");
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(wrong), "RECIPIENT_ROLE");
  EXPECT_EQ(fetched.records_size(), 0);
  const v1::AuditEntry refused = testing::ReadAuditEntry(dir_.File("audit.db"));
  EXPECT_EQ(refused.decision(), v1::AuditEntry::DENY);
  EXPECT_EQ(refused.reason(), "RECIPIENT_ROLE");
  EXPECT_EQ(refused.actor_role(), "doktersassistent");
  v1::Handover status;
  ASSERT_TRUE(Status(sent.handover_id(), &status).ok());
  EXPECT_EQ(status.status(), v1::PENDING);  // not delivered
  ASSERT_TRUE(Fetch(sent.handover_id(), &fetched).ok());
}

}  // namespace
}  // namespace ketenpoort
