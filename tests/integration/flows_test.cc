// Every flow of the doorgaande lijn end to end: the real gateway on a
// loopback port with real certificates, once with the in-process fixture
// sources and once with grpc_upstream sources talking to the reference
// source server (ketenpoort-source) over mutual TLS.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/common/civil_date.h"
#include "ketenpoort/v1/audit_entry.pb.h"
#include "ketenpoort/v1/consent.grpc.pb.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "ketenpoort/v1/inburgering.grpc.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"
#include "records/v1/coa.pb.h"
#include "records/v1/duo.pb.h"
#include "records/v1/gca.pb.h"
#include "records/v1/ggd.pb.h"
#include "records/v1/noa.pb.h"
#include "records/v1/vwn.pb.h"
#include "tests/support/chain_steps.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort {
namespace {

using testing::DateFromToday;

using testing::CertsDir;
using testing::ChannelAs;
using testing::GatewayProcess;
using testing::ReasonOf;

constexpr uint64_t kSeed = 21;
constexpr uint64_t kPersons = 200;

// kUpstream batches fetches that queue (the inburgering projection's, at
// start) in FetchRecords calls; kUpstreamOneByOne sets max_batch: 1.
enum class SourceMode { kFixture, kUpstream, kUpstreamOneByOne };

// The first synthetic person with children in the AZC, risk signals and a
// social-guidance dossier, so one person walks through every flow.
synthetic::SyntheticPerson PersonWithEveryDossier() {
  const synthetic::SyntheticPopulation population(kSeed);
  for (uint64_t i = 0; i < kPersons; ++i) {
    synthetic::SyntheticPerson person = population.Person(i);
    if (person.jgz && person.risk_signals && person.social_guidance) return person;
  }
  ADD_FAILURE() << "no synthetic person with every dossier";
  return population.Person(0);
}

class FlowsTest : public ::testing::TestWithParam<SourceMode> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, kPersons).ok());
    person_ = PersonWithEveryDossier();
    std::string sources = testing::ChainSources();
    std::string error;
    if (GetParam() != SourceMode::kFixture) {
      source_ = GatewayProcess::StartServer(testing::SourceBinary(),
                                            testing::ReferenceSourceArgs(dir_.File("fixtures.db")),
                                            dir_.path().string(), "source", &error);
      ASSERT_NE(source_, nullptr) << error;
      sources = testing::ChainSources(
          source_->address(),
          GetParam() == SourceMode::kUpstreamOneByOne ? "    max_batch: 1\n" : "");
    }
    gateway_ = GatewayProcess::Start(testing::WriteConfig(dir_, testing::PoliciesDir(), sources),
                                     dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;

    // COA links the person to Woerden, moving in a week; Woerden's social
    // guidance registers them with the Woerden practice.
    const grpc::Status linked = testing::LinkToMunicipality(
        gateway_->address(), person_.v_number, "0632", DateFromToday(-30), DateFromToday(7));
    ASSERT_TRUE(linked.ok()) << linked.error_message();
    const grpc::Status registered = testing::RegisterWithGp(gateway_->address(), person_.v_number);
    ASSERT_TRUE(registered.ok()) << registered.error_message();
  }

  void TearDown() override {
    if (gateway_) {
      EXPECT_EQ(gateway_->Stop(), 0) << gateway_->StderrText();
      EXPECT_EQ(gateway_->StderrText().find(person_.v_number), std::string::npos);
    }
    if (source_) {
      source_->Stop();
      // The records really came through the source server, which logs
      // each fetch without saying whose.
      const std::string log = source_->StderrText();
      EXPECT_NE(log.find("\"event\":\"fetch\""), std::string::npos) << log;
      EXPECT_EQ(log.find(person_.v_number), std::string::npos);
    }
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& partner) {
    return ChannelAs(gateway_->address(), partner);
  }

  // Asks as `partner` with actor `role`; unpacks the released record into `record`.
  grpc::Status Get(const std::string& partner, const std::string& role, v1::Purpose purpose,
                   google::protobuf::Message* record, v1::GetRecordResponse* response = nullptr,
                   const std::string& signed_in = "") {
    v1::GetRecordRequest request;
    request.set_subject_id(person_.v_number);
    request.set_record_type(record->GetDescriptor()->options().GetExtension(record_type));
    request.set_purpose(purpose);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", "medewerker-7");
    if (!role.empty()) context.AddMetadata("x-actor-role", role);
    if (!signed_in.empty()) context.AddMetadata("x-authenticated-subject", signed_in);
    v1::GetRecordResponse local;
    if (response == nullptr) response = &local;
    const grpc::Status status =
        v1::DossierService::NewStub(Channel(partner))->GetRecord(&context, request, response);
    if (status.ok()) {
      EXPECT_TRUE(response->record().UnpackTo(record));
      EXPECT_GT(response->audit_index(), 0u);  // durable before it left
    }
    return status;
  }

  // `recorder` records the person's consent for `recipient` (a partner id,
  // or a partner type in Woerden) and `purpose`, scoped to `record_type`.
  std::string Consent(const std::string& recorder, const std::string& recipient,
                      v1::Purpose purpose, const std::string& type, bool by_type = false) {
    v1::GrantConsentRequest grant;
    v1::Consent* consent = grant.mutable_consent();
    consent->set_subject_id(person_.v_number);
    if (by_type) {
      consent->mutable_recipient()->set_partner_type(recipient);
      consent->mutable_recipient()->set_municipality_code("0632");
    } else {
      consent->mutable_recipient()->set_partner_id(recipient);
    }
    consent->set_purpose(purpose);
    consent->add_record_types(type);
    consent->set_valid_from(DateFromToday(-1));
    consent->set_valid_until(DateFromToday(365));
    consent->set_effect(v1::PERMIT);
    consent->set_language("ar");
    consent->set_evidence_reference("form-flows-1");
    grpc::ClientContext context;
    context.AddMetadata("x-actor-role", "casemanager");
    v1::Consent granted;
    const grpc::Status status =
        v1::ConsentService::NewStub(Channel(recorder))->Grant(&context, grant, &granted);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return granted.consent_id();
  }

  void Revoke(const std::string& recorder, const std::string& consent_id) {
    v1::RevokeConsentRequest revoke;
    revoke.set_consent_id(consent_id);
    revoke.set_reason("withdrawn by the person");
    grpc::ClientContext context;
    context.AddMetadata("x-actor-role", "casemanager");
    v1::Consent revoked;
    const grpc::Status status =
        v1::ConsentService::NewStub(Channel(recorder))->Revoke(&context, revoke, &revoked);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  testing::TempDir dir_;
  synthetic::SyntheticPerson person_;
  std::unique_ptr<GatewayProcess> source_;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_P(FlowsTest, GcaHandsTheMedicalDossierToTheRegisteredGpWithConsentUntilRevoked) {
  records::v1::gca::MedicalDossier dossier;
  grpc::Status status =
      Get("huisartsenpraktijk-woerden", "huisarts", v1::CONTINUITY_OF_CARE, &dossier);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "CONSENT_REQUIRED");

  const std::string consent =
      Consent("gca", "huisartsenpraktijk-woerden", v1::CONTINUITY_OF_CARE, "gca.MedicalDossier");
  v1::GetRecordResponse response;
  status =
      Get("huisartsenpraktijk-woerden", "huisarts", v1::CONTINUITY_OF_CARE, &dossier, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.rule_id(), "gca-dossier-huisarts-with-ggz");
  EXPECT_EQ(dossier.medication_size(), person_.medical.medication_size());
  ASSERT_EQ(dossier.active_problems_size(), person_.medical.active_problems_size());
  for (int i = 0; i < dossier.active_problems_size(); ++i) {
    EXPECT_EQ(dossier.active_problems(i).icpc_code(),
              person_.medical.active_problems(i).icpc_code());
  }
  EXPECT_EQ(dossier.ggz_treatment().in_treatment(), person_.medical.ggz_treatment().in_treatment());
  EXPECT_EQ(dossier.family_name(), person_.medical.family_name());
  const v1::AuditEntry entry =
      testing::ReadAuditEntry(dir_.File("audit.db"), response.audit_index());
  EXPECT_EQ(entry.source(), "gca-his");
  EXPECT_EQ(entry.source_partner_id(), "gca");
  EXPECT_EQ(entry.decision(), v1::AuditEntry::PERMIT);

  Revoke("gca", consent);
  status = Get("huisartsenpraktijk-woerden", "huisarts", v1::CONTINUITY_OF_CARE, &dossier);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "CONSENT_REVOKED");
}

TEST_P(FlowsTest, GgdTbcFollowUpGoesToTheNewRegionAndTheGpByLaw) {
  records::v1::ggd::TbcScreening tbc;
  ASSERT_TRUE(Get("ggd-regio-utrecht", "tbc-verpleegkundige", v1::PUBLIC_HEALTH, &tbc).ok());
  EXPECT_EQ(tbc.result(), person_.tbc.result());
  EXPECT_EQ(tbc.follow_up_size(), person_.tbc.follow_up_size());
  EXPECT_EQ(tbc.follow_up_required(), person_.tbc.follow_up_required());

  records::v1::ggd::TbcScreening for_gp;
  ASSERT_TRUE(Get("huisartsenpraktijk-woerden", "huisarts", v1::PUBLIC_HEALTH, &for_gp).ok());
  EXPECT_EQ(for_gp.treatment_status(), person_.tbc.treatment_status());
  EXPECT_FALSE(for_gp.has_method());  // not released to the GP
  EXPECT_FALSE(for_gp.has_subject_id());

  // The GGD of the AZCs serves no region, so it is not the new region's GGD.
  // It has no relationship with the person: it is not told why (the audit is).
  const grpc::Status status = Get("ggd-pga", "tbc-arts", v1::PUBLIC_HEALTH, &tbc);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "NOT_PERMITTED");
  EXPECT_EQ(testing::ReadAuditEntry(dir_.File("audit.db")).reason(), "NOT_LINKED");
}

TEST_P(FlowsTest, JgzDossiersOfTheChildrenGoToTheMunicipalitysJgz) {
  records::v1::ggd::JgzDossier jgz;
  ASSERT_TRUE(Get("jgz-woerden", "jgz-arts", v1::YOUTH_HEALTH_CARE, &jgz).ok());
  ASSERT_EQ(jgz.children_size(), person_.jgz->children_size());
  for (int i = 0; i < jgz.children_size(); ++i) {
    EXPECT_EQ(jgz.children(i).SerializeAsString(), person_.jgz->children(i).SerializeAsString());
  }
  const grpc::Status status = Get("jgz-woerden", "administratie", v1::YOUTH_HEALTH_CARE, &jgz);
  EXPECT_EQ(ReasonOf(status), "ACTOR_ROLE");
}

TEST_P(FlowsTest, SocialGuidanceDossierMovesOnOnlyWithConsent) {
  records::v1::vwn::SocialGuidanceDossier guidance;
  grpc::Status status =
      Get("gemeente-woerden", "maatschappelijk-begeleider", v1::SOCIAL_GUIDANCE, &guidance);
  EXPECT_EQ(ReasonOf(status), "CONSENT_REQUIRED");
  Consent("vwn-midden-nederland", "gemeente", v1::SOCIAL_GUIDANCE, "vwn.SocialGuidanceDossier",
          /*by_type=*/true);
  status = Get("gemeente-woerden", "maatschappelijk-begeleider", v1::SOCIAL_GUIDANCE, &guidance);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(guidance.network(), person_.social_guidance->network());
  EXPECT_EQ(guidance.practical_matters_size(), person_.social_guidance->practical_matters_size());
  EXPECT_FALSE(guidance.has_subject_id());
}

TEST_P(FlowsTest, RiskSignalsReachTheDistrictTeamWithoutCoasWorkingNote) {
  Consent("coa", "gemeente-woerden", v1::RISK_SIGNALLING, "coa.RiskSignal");
  records::v1::coa::RiskSignal signals;
  ASSERT_TRUE(Get("gemeente-woerden", "wijkteam", v1::RISK_SIGNALLING, &signals).ok());
  ASSERT_EQ(signals.signals_size(), person_.risk_signals->signals_size());
  for (int i = 0; i < signals.signals_size(); ++i) {
    EXPECT_EQ(signals.signals(i).type(), person_.risk_signals->signals(i).type());
    EXPECT_FALSE(signals.signals(i).has_context_note());
  }
}

TEST_P(FlowsTest, WorkConsultantGetsTheCareSignalButNeverTheScores) {
  records::v1::noa::Assessment assessment;
  ASSERT_TRUE(Get("gemeente-woerden", "werkconsulent", v1::WORK_REINTEGRATION, &assessment).ok());
  EXPECT_TRUE(assessment.has_care_signal());
  EXPECT_FALSE(assessment.has_ptsd_score());
  EXPECT_FALSE(assessment.has_emotional_stability_score());
  EXPECT_EQ(assessment.language_levels().dutch(), person_.assessment.language_levels().dutch());
}

TEST_P(FlowsTest, DuoGivesTheLinkedMunicipalityProgressWithTheLoanAsABand) {
  records::v1::duo::InburgeringStatus status_record;
  ASSERT_TRUE(
      Get("gemeente-woerden", "klantmanager-inburgering", v1::CIVIC_INTEGRATION, &status_record)
          .ok());
  EXPECT_EQ(status_record.stage(), person_.inburgering.stage());
  EXPECT_EQ(status_record.deadline(), person_.inburgering.deadline());
  EXPECT_FALSE(status_record.has_loan_used_eur());
  EXPECT_FALSE(status_record.has_exemption_ground());
  EXPECT_EQ(status_record.has_loan_use_band(), person_.inburgering.has_loan_used_eur());

  const grpc::Status other =
      Get("gemeente-utrecht", "klantmanager-inburgering", v1::CIVIC_INTEGRATION, &status_record);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(other), "NOT_PERMITTED");  // a stranger to Utrecht
}

TEST_P(FlowsTest, TheLinkedMunicipalityFollowsInburgeringProgressPerPerson) {
  v1::GetProgressRequest request;
  request.set_subject_id(person_.v_number);
  request.set_purpose(v1::CIVIC_INTEGRATION);
  auto ask = [&](const std::string& partner, const std::string& role, v1::Progress* progress) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-role", role);
    return v1::InburgeringService::NewStub(Channel(partner))
        ->GetProgress(&context, request, progress);
  };
  v1::Progress progress;
  const grpc::Status status = ask("gemeente-woerden", "klantmanager-inburgering", &progress);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(progress.stage(), person_.inburgering.stage());
  EXPECT_EQ(progress.deadline(), person_.inburgering.deadline());
  EXPECT_TRUE(progress.has_months_left());
  EXPECT_EQ(progress.components_size(), person_.inburgering.exam_components_size());
  EXPECT_EQ(progress.rule_id(), "inburgering-progress-gemeente");
  // Audited for the person, as an answer of this service.
  const v1::AuditEntry entry =
      testing::ReadAuditEntry(dir_.File("audit.db"), progress.audit_index());
  EXPECT_EQ(entry.method(), "/ketenpoort.v1.InburgeringService/GetProgress");
  EXPECT_EQ(entry.decision(), v1::AuditEntry::PERMIT);

  v1::Progress elsewhere;
  EXPECT_EQ(ReasonOf(ask("gemeente-utrecht", "klantmanager-inburgering", &elsewhere)),
            "NOT_PERMITTED");
  EXPECT_EQ(ReasonOf(ask("gemeente-woerden", "woonconsulent", &elsewhere)), "ACTOR_ROLE");
}

TEST_P(FlowsTest, TheLinkedMunicipalityListsProgressFromItsSources) {
  // The projection reads DUO and COA through the same sources as a request.
  v1::ListProgressRequest request;
  request.set_purpose(v1::CIVIC_INTEGRATION);
  v1::ListProgressResponse page;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (page.persons_size() == 0 && std::chrono::steady_clock::now() < give_up) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-role", "klantmanager-inburgering");
    page.Clear();
    (void)v1::InburgeringService::NewStub(Channel("gemeente-woerden"))
        ->ListProgress(&context, request, &page);
    if (page.persons_size() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(page.persons_size(), 1);
  EXPECT_EQ(page.persons(0).subject_id(), person_.v_number);
  EXPECT_EQ(page.persons(0).progress().stage(), person_.inburgering.stage());
  EXPECT_EQ(page.persons(0).progress().provider(), person_.inburgering.provider());
}

TEST_P(FlowsTest, MunicipalityGetsKoppelingAndPreIntegration) {
  records::v1::coa::Koppeling koppeling;
  ASSERT_TRUE(Get("gemeente-woerden", "woonconsulent", v1::HOUSING, &koppeling).ok());
  EXPECT_EQ(koppeling.household().members_size(), person_.koppeling.household().members_size());
  records::v1::coa::Voorinburgering voorinburgering;
  ASSERT_TRUE(
      Get("gemeente-woerden", "klantmanager-inburgering", v1::CIVIC_INTEGRATION, &voorinburgering)
          .ok());
  EXPECT_EQ(voorinburgering.hours_used(), person_.voorinburgering.hours_used());
}

TEST_P(FlowsTest, ThePersonSignedInReadsTheirOwnDossierWholeAndNobodyElses) {
  records::v1::noa::Assessment own;
  ASSERT_TRUE(Get("inzageportaal", "", v1::SUBJECT_ACCESS, &own, nullptr, person_.v_number).ok());
  EXPECT_EQ(own.ptsd_score(), person_.assessment.ptsd_score());  // their own, so whole
  EXPECT_EQ(own.SerializeAsString(), person_.assessment.SerializeAsString());

  const std::string someone_else =
      synthetic::SyntheticPopulation(kSeed).Person(0).v_number == person_.v_number
          ? synthetic::SyntheticPopulation(kSeed).Person(1).v_number
          : synthetic::SyntheticPopulation(kSeed).Person(0).v_number;
  const grpc::Status status =
      Get("inzageportaal", "", v1::SUBJECT_ACCESS, &own, nullptr, someone_else);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "NOT_THE_SUBJECT");
}

INSTANTIATE_TEST_SUITE_P(BothSources, FlowsTest,
                         ::testing::Values(SourceMode::kFixture, SourceMode::kUpstream,
                                           SourceMode::kUpstreamOneByOne),
                         [](const ::testing::TestParamInfo<SourceMode>& mode) {
                           switch (mode.param) {
                             case SourceMode::kFixture:
                               return "FixtureSource";
                             case SourceMode::kUpstream:
                               return "UpstreamSource";
                             case SourceMode::kUpstreamOneByOne:
                               return "UpstreamSourceOneFetchPerCall";
                           }
                           return "Unknown";
                         });

}  // namespace
}  // namespace ketenpoort
