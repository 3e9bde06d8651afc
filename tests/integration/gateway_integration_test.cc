// Integration tests: the real ketenpoort-gateway binary on a loopback port
// chosen by the kernel, real dev certificates, real SQLite files.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/common/civil_date.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "ketenpoort/v1/consent.grpc.pb.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"
#include "records/v1/noa.pb.h"
#include "tests/support/chain_steps.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort {
namespace {

using testing::DateFromToday;

using testing::CertsDir;
using testing::GatewayProcess;
using testing::TempDir;

constexpr uint64_t kSeed = 11;
constexpr uint64_t kPersons = 50;

using testing::ReadFile;
using testing::ReasonOf;
using testing::WriteConfig;

class GatewayIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, kPersons).ok());
    person_ = synthetic::SyntheticPopulation(kSeed).Person(4);
    std::string error;
    gateway_ = GatewayProcess::Start(WriteConfig(dir_, testing::PoliciesDir()),
                                     dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;
    // COA links the person to Woerden, moving in a week.
    const grpc::Status status = testing::LinkToMunicipality(
        gateway_->address(), person_.v_number, "0632", DateFromToday(-30), DateFromToday(7));
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void TearDown() override {
    if (gateway_) {
      // A graceful stop on SIGTERM exits 0.
      EXPECT_EQ(gateway_->Stop(), 0) << gateway_->StderrText();
    }
  }

  std::shared_ptr<grpc::Channel> ChannelWith(const std::string& cert, const std::string& key,
                                             const std::string& ca = "ca") {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(CertsDir() + "/" + ca + ".crt");
    if (!cert.empty()) tls.pem_cert_chain = ReadFile(CertsDir() + "/" + cert + ".crt");
    if (!key.empty()) tls.pem_private_key = ReadFile(CertsDir() + "/" + key + ".key");
    return grpc::CreateChannel(gateway_->address(), grpc::SslCredentials(tls));
  }
  std::unique_ptr<v1::DossierService::Stub> StubAs(const std::string& partner) {
    return v1::DossierService::NewStub(ChannelWith(partner, partner));
  }

  grpc::Status Get(v1::DossierService::Stub& stub, const v1::GetRecordRequest& request,
                   v1::GetRecordResponse* response, const std::string& role = "werkconsulent") {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", "medewerker-42");
    context.AddMetadata("x-actor-role", role);
    return stub.GetRecord(&context, request, response);
  }

  v1::GetRecordRequest Request(v1::Purpose purpose,
                               const std::string& record_type = "noa.Assessment") {
    v1::GetRecordRequest request;
    request.set_subject_id(person_.v_number);
    request.set_record_type(record_type);
    request.set_purpose(purpose);
    return request;
  }

  // Entries in the live audit store (WAL: reading while the gateway writes is safe).
  int64_t AuditCount() {
    sqlite3* db = nullptr;
    sqlite3_open_v2(dir_.File("audit.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM audit_entry", -1, &stmt, nullptr);
    int64_t count = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) count = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return count;
  }

  std::string ExecOnAudit(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    std::string message = error ? error : "";
    sqlite3_free(error);
    return message;
  }

  TempDir dir_;
  synthetic::SyntheticPerson person_;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(GatewayIntegrationTest, PermittedRequestReturnsExactlyTheGrantedFields) {
  auto stub = StubAs("gemeente-woerden");
  v1::GetRecordResponse response;
  grpc::Status status = Get(*stub, Request(v1::WORK_REINTEGRATION), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  records::v1::noa::Assessment released;
  ASSERT_TRUE(response.record().UnpackTo(&released));
  std::vector<const google::protobuf::FieldDescriptor*> present;
  released.GetReflection()->ListFields(released, &present);
  std::set<std::string> present_names;
  for (const auto* field : present) present_names.insert(field->name());

  // Exactly the granted fields that the source record has.
  std::set<std::string> expected;
  const auto& source = person_.assessment;
  for (const auto& spec : response.released_fields()) {
    if (spec.transform().rfind("derive:", 0) == 0) {
      // Derived values exist when the source has what they derive from.
      const bool derivable = spec.path() == "care_signal"
                                 ? source.has_ptsd_score() || source.has_emotional_stability_score()
                                 : source.occupational_health().has_capacity_hours_per_week();
      if (derivable) expected.insert(spec.path());
      continue;
    }
    const auto* field = source.GetDescriptor()->FindFieldByName(spec.path());
    ASSERT_NE(field, nullptr) << spec.path();
    const bool has = field->is_repeated() ? source.GetReflection()->FieldSize(source, field) > 0
                                          : source.GetReflection()->HasField(source, field);
    if (has) expected.insert(spec.path());
  }
  EXPECT_EQ(present_names, expected);
  EXPECT_TRUE(present_names.count("language_levels"));
  EXPECT_TRUE(present_names.count("education"));
  EXPECT_TRUE(present_names.count("competences"));
  // Mental-health scores are absent, not merely zero.
  EXPECT_FALSE(released.has_ptsd_score());
  EXPECT_FALSE(released.has_emotional_stability_score());
  EXPECT_EQ(released.language_levels().dutch(), source.language_levels().dutch());
  EXPECT_GT(response.audit_index(), 0u);
  EXPECT_EQ(response.rule_id(), "noa-work-reintegration-werkconsulent");
}

TEST_F(GatewayIntegrationTest, ConnectionWithoutClientCertificateNeverReachesAHandler) {
  const int64_t before = AuditCount();
  auto stub = v1::DossierService::NewStub(ChannelWith("", ""));
  v1::GetRecordResponse response;
  grpc::Status status = Get(*stub, Request(v1::WORK_REINTEGRATION), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_FALSE(response.has_record());
  EXPECT_EQ(AuditCount(), before);
}

TEST_F(GatewayIntegrationTest, CertificateFromAForeignCaIsRefused) {
  const int64_t before = AuditCount();
  // Claims COA's OIN, but is signed by a CA the gateway does not trust.
  auto stub = v1::DossierService::NewStub(ChannelWith("foreign-coa", "foreign-coa"));
  v1::GetRecordResponse response;
  grpc::Status status = Get(*stub, Request(v1::HOUSING, "coa.Koppeling"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_FALSE(response.has_record());
  EXPECT_EQ(AuditCount(), before);
}

TEST_F(GatewayIntegrationTest, UnknownOinIsPermissionDeniedAndAudited) {
  const int64_t before = AuditCount();
  auto stub = StubAs("unknown-party");
  v1::GetRecordResponse response;
  grpc::Status status = Get(*stub, Request(v1::WORK_REINTEGRATION), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "UNKNOWN_PARTNER");
  EXPECT_EQ(AuditCount(), before + 1);
}

TEST_F(GatewayIntegrationTest, UnknownPurposeIsInvalidArgumentWithReason) {
  auto stub = StubAs("gemeente-woerden");
  v1::GetRecordResponse response;
  grpc::Status status = Get(*stub, Request(static_cast<v1::Purpose>(4242)), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "UNKNOWN_PURPOSE");
  EXPECT_FALSE(response.has_record());
}

TEST_F(GatewayIntegrationTest, MalformedSubjectAndOversizedRequestAreInvalidArgument) {
  auto stub = StubAs("gemeente-woerden");
  v1::GetRecordRequest request = Request(v1::WORK_REINTEGRATION);
  request.set_subject_id("123456789");  // fails the elfproef
  v1::GetRecordResponse response;
  grpc::Status status = Get(*stub, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "INVALID_SUBJECT_ID");

  request = Request(v1::WORK_REINTEGRATION, std::string(8000, 'n'));
  status = Get(*stub, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "REQUEST_TOO_LARGE");
}

TEST_F(GatewayIntegrationTest, RoleMetadataCannotChangeTheOrganisation) {
  // COA asserts a municipal role; the organisation still comes from its
  // certificate, and no rule gives COA the assessment for this purpose.
  auto stub = StubAs("coa");
  v1::GetRecordResponse response;
  grpc::Status status = Get(*stub, Request(v1::WORK_REINTEGRATION), &response, "werkconsulent");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "NO_RULE");
}

TEST_F(GatewayIntegrationTest, EveryRequestAllowedOrDeniedLeavesOneAuditEntry) {
  auto woerden = StubAs("gemeente-woerden");
  auto stranger = StubAs("unknown-party");
  struct Call {
    v1::DossierService::Stub* stub;
    v1::GetRecordRequest request;
    std::string role;
    grpc::StatusCode code;
  };
  std::vector<Call> calls = {
      {woerden.get(), Request(v1::WORK_REINTEGRATION), "werkconsulent", grpc::StatusCode::OK},
      {woerden.get(), Request(v1::HOUSING, "coa.Koppeling"), "", grpc::StatusCode::OK},
      {woerden.get(), Request(v1::WORK_REINTEGRATION), "receptionist",
       grpc::StatusCode::PERMISSION_DENIED},
      {woerden.get(), Request(v1::CONTINUITY_OF_CARE), "werkconsulent",
       grpc::StatusCode::PERMISSION_DENIED},
      {woerden.get(), Request(v1::PURPOSE_UNSPECIFIED), "werkconsulent",
       grpc::StatusCode::INVALID_ARGUMENT},
      {stranger.get(), Request(v1::HOUSING, "coa.Koppeling"), "",
       grpc::StatusCode::PERMISSION_DENIED},
  };
  for (const Call& call : calls) {
    const int64_t before = AuditCount();
    v1::GetRecordResponse response;
    grpc::Status status = Get(*call.stub, call.request, &response, call.role);
    EXPECT_EQ(status.error_code(), call.code) << status.error_message();
    EXPECT_EQ(AuditCount(), before + 1) << status.error_message();
  }
}

TEST_F(GatewayIntegrationTest, AuditTableRefusesUpdateAndDeleteAndTheLogStillVerifies) {
  auto stub = StubAs("gemeente-woerden");
  v1::GetRecordResponse response;
  ASSERT_TRUE(Get(*stub, Request(v1::WORK_REINTEGRATION), &response).ok());

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("audit.db").c_str(), &db), SQLITE_OK);
  EXPECT_NE(ExecOnAudit(db, "UPDATE audit_entry SET entry = x'00'").find("append-only"),
            std::string::npos);
  EXPECT_NE(ExecOnAudit(db, "DELETE FROM audit_entry").find("append-only"), std::string::npos);
  sqlite3_close(db);

  testing::ExitResult verify = testing::RunToExit(
      testing::KetenctlBinary(), {"audit", "verify", "--db", dir_.File("audit.db"), "--signing-key",
                                  CertsDir() + "/checkpoint.key"});
  EXPECT_EQ(verify.exit_code, 0) << verify.stderr_text;
  EXPECT_NE(verify.stderr_text.find("OK: "), std::string::npos) << verify.stderr_text;
}

TEST_F(GatewayIntegrationTest, FailsClosedWhileTheAuditStoreIsLockedAndRecoversAfter) {
  auto stub = StubAs("gemeente-woerden");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("audit.db").c_str(), &db), SQLITE_OK);
  // Another process holds the write lock: the gateway cannot commit.
  ASSERT_EQ(ExecOnAudit(db, "BEGIN EXCLUSIVE"), "");
  v1::GetRecordResponse response;
  grpc::Status status = Get(*stub, Request(v1::WORK_REINTEGRATION), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(status), "AUDIT_UNAVAILABLE");
  EXPECT_FALSE(response.has_record());
  ASSERT_EQ(ExecOnAudit(db, "ROLLBACK"), "");
  sqlite3_close(db);

  v1::GetRecordResponse recovered;
  status = Get(*stub, Request(v1::WORK_REINTEGRATION), &recovered);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(recovered.has_record());
}

TEST_F(GatewayIntegrationTest, ProcessLogHoldsNoPersonalData) {
  auto stub = StubAs("gemeente-woerden");
  v1::GetRecordResponse response;
  ASSERT_TRUE(Get(*stub, Request(v1::WORK_REINTEGRATION), &response).ok());
  v1::GetRecordRequest bad = Request(v1::WORK_REINTEGRATION);
  bad.set_subject_id("123456789");
  Get(*stub, bad, &response);
  const std::string log = gateway_->StderrText();
  EXPECT_NE(log.find("listening"), std::string::npos);
  EXPECT_EQ(log.find(person_.v_number), std::string::npos);
  EXPECT_EQ(log.find("123456789"), std::string::npos);
  EXPECT_EQ(log.find(person_.koppeling.family_name()), std::string::npos);
}

TEST_F(GatewayIntegrationTest, ConsentGrantedPermitsAndRevocationDeniesTheNextRequest) {
  auto gp_channel = ChannelWith("huisartsenpraktijk-woerden", "huisartsenpraktijk-woerden");
  auto gp = v1::DossierService::NewStub(gp_channel);
  // Woerden's social guidance registers the person with the practice.
  ASSERT_TRUE(testing::RegisterWithGp(gateway_->address(), person_.v_number).ok());
  v1::GetRecordResponse response;
  grpc::Status status = Get(*gp, Request(v1::CONTINUITY_OF_CARE), &response, "huisarts");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "CONSENT_REQUIRED");

  // The municipality's social guidance records the person's consent, with an interpreter.
  auto consents = v1::ConsentService::NewStub(ChannelWith("gemeente-woerden", "gemeente-woerden"));
  v1::GrantConsentRequest grant;
  v1::Consent* consent = grant.mutable_consent();
  consent->set_subject_id(person_.v_number);
  consent->mutable_recipient()->set_partner_id("huisartsenpraktijk-woerden");
  consent->set_purpose(v1::CONTINUITY_OF_CARE);
  consent->add_categories(SIGNAL);
  consent->add_categories(LANGUAGE);
  consent->set_valid_from(DateFromToday(-1));
  consent->set_valid_until(DateFromToday(365));
  consent->set_effect(v1::PERMIT);
  consent->set_language("ti");
  consent->set_interpreter_used(true);
  consent->set_evidence_reference("form-2026-0042");
  v1::Consent granted;
  const int64_t before_grant = AuditCount();
  {
    grpc::ClientContext context;
    context.AddMetadata("x-actor-role", "maatschappelijk-begeleider");
    status = consents->Grant(&context, grant, &granted);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(AuditCount(), before_grant + 1);  // the change is audited
  EXPECT_EQ(granted.recorded_by_partner(), "gemeente-woerden");

  response.Clear();
  status = Get(*gp, Request(v1::CONTINUITY_OF_CARE), &response, "huisarts");
  ASSERT_TRUE(status.ok()) << status.error_message();
  records::v1::noa::Assessment released;
  ASSERT_TRUE(response.record().UnpackTo(&released));
  EXPECT_TRUE(released.has_care_signal());
  EXPECT_FALSE(released.has_ptsd_score());

  {
    grpc::ClientContext context;
    v1::GetConsentReceiptRequest request;
    request.set_consent_id(granted.consent_id());
    v1::ConsentReceipt receipt;
    ASSERT_TRUE(consents->GetReceipt(&context, request, &receipt).ok());
    EXPECT_NE(receipt.json().find(granted.consent_id()), std::string::npos);
    EXPECT_NE(receipt.json().find("\"interpreterUsed\": true"), std::string::npos);
  }

  // Revocation (by the social guidance that recorded it) takes effect for
  // the very next request.
  {
    grpc::ClientContext context;
    context.AddMetadata("x-actor-role", "maatschappelijk-begeleider");
    v1::RevokeConsentRequest revoke;
    revoke.set_consent_id(granted.consent_id());
    revoke.set_reason("person withdrew consent at the intake");
    v1::Consent revoked;
    ASSERT_TRUE(consents->Revoke(&context, revoke, &revoked).ok());
    EXPECT_NE(revoked.revoked_at_unix_micros(), 0);
  }
  response.Clear();
  status = Get(*gp, Request(v1::CONTINUITY_OF_CARE), &response, "huisarts");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "CONSENT_REVOKED");
  EXPECT_FALSE(response.has_record());
}

TEST_F(GatewayIntegrationTest, BreakGlassWithoutJustificationIsInvalidArgument) {
  auto gp = StubAs("huisartsenpraktijk-woerden");
  v1::GetRecordRequest request = Request(v1::CONTINUITY_OF_CARE, "coa.Koppeling");
  request.set_break_glass(true);
  v1::GetRecordResponse response;
  grpc::Status status = Get(*gp, request, &response, "huisarts");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "BREAK_GLASS_JUSTIFICATION_REQUIRED");

  request.set_break_glass_justification("acute situation, family must be reached");
  status = Get(*gp, request, &response, "huisarts");
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(GatewayIntegrationTest, OnlyEntitledPartnersChangeRelationshipsAndConsents) {
  v1::SetKoppelingRequest koppeling;
  koppeling.mutable_koppeling()->set_subject_id(person_.v_number);
  koppeling.mutable_koppeling()->set_municipality_code("0344");
  koppeling.mutable_koppeling()->set_linked_on(DateFromToday(0));
  grpc::ClientContext context;
  v1::Koppeling stored;
  grpc::Status status =
      v1::RelationshipService::NewStub(ChannelWith("gemeente-utrecht", "gemeente-utrecht"))
          ->SetKoppeling(&context, koppeling, &stored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "NOT_ENTITLED");

  v1::GrantConsentRequest grant;
  v1::Consent* consent = grant.mutable_consent();
  consent->set_subject_id(person_.v_number);
  consent->mutable_recipient()->set_partner_id("gemeente-woerden");
  consent->set_purpose(v1::WORK_REINTEGRATION);
  consent->add_record_types("noa.Assessment");
  consent->set_valid_from(DateFromToday(-1));
  consent->set_valid_until(DateFromToday(30));
  consent->set_effect(v1::PERMIT);
  consent->set_language("ar");
  consent->set_evidence_reference("form-1");
  grpc::ClientContext grant_context;
  v1::Consent granted;
  status = v1::ConsentService::NewStub(ChannelWith("fg-gemeente-woerden", "fg-gemeente-woerden"))
               ->Grant(&grant_context, grant, &granted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "NOT_ENTITLED");
}

// Waits (bounded) until the gateway's log contains `text`.
bool WaitForLog(const GatewayProcess& gateway, const std::string& text) {
  for (int i = 0; i < 200; ++i) {
    if (gateway.StderrText().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

TEST(GatewayReloadTest, SighupSwapsPoliciesAtomicallyAndKeepsTheOldSetOnError) {
  TempDir dir;
  const std::filesystem::path policies = dir.path() / "policies";
  std::filesystem::create_directories(policies);
  std::filesystem::copy(testing::PoliciesDir(), policies, std::filesystem::copy_options::recursive);
  ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir.File("fixtures.db"), kSeed, 5).ok());
  std::string error;
  auto gateway =
      GatewayProcess::Start(WriteConfig(dir, policies.string()), dir.path().string(), &error);
  ASSERT_NE(gateway, nullptr) << error;
  const std::string person = synthetic::SyntheticPopulation(kSeed).Person(1).v_number;

  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadFile(CertsDir() + "/ca.crt");
  tls.pem_cert_chain = ReadFile(CertsDir() + "/duo.crt");
  tls.pem_private_key = ReadFile(CertsDir() + "/duo.key");
  auto duo = v1::DossierService::NewStub(
      grpc::CreateChannel(gateway->address(), grpc::SslCredentials(tls)));
  auto ask = [&] {
    v1::GetRecordRequest request;
    request.set_subject_id(person);
    request.set_record_type("coa.Koppeling");
    request.set_purpose(v1::CIVIC_INTEGRATION);
    grpc::ClientContext context;
    v1::GetRecordResponse response;
    return duo->GetRecord(&context, request, &response);
  };
  EXPECT_EQ(ask().error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A broken file: the reload is refused, the old set stays active.
  const std::string broken = (policies / "zz-new.yaml").string();
  std::ofstream(broken) << "rules:\n  - id: x\n    purpose: NOPE\n";
  gateway->Signal(SIGHUP);
  EXPECT_TRUE(WaitForLog(*gateway, "policy_reload_rejected"));
  EXPECT_NE(gateway->StderrText().find(broken + ":"), std::string::npos) << gateway->StderrText();
  EXPECT_EQ(ask().error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A valid new rule: after SIGHUP it applies to the next request.
  std::ofstream(broken)
      << "rules:\n"
         "  - id: duo-test-koppeling\n"
         "    requester: {partner_type: duo}\n"
         "    purpose: CIVIC_INTEGRATION\n"
         "    record_type: coa.Koppeling\n"
         "    legal_basis: {kind: statutory, law: \"Wet inburgering 2021 art. 2\"}\n"
         "    release: [{field: linked_on}]\n";
  gateway->Signal(SIGHUP);
  EXPECT_TRUE(WaitForLog(*gateway, "policy_reloaded"));
  grpc::Status status = ask();
  EXPECT_TRUE(status.ok()) << status.error_message();
  duo.reset();
  EXPECT_EQ(gateway->Stop(), 0);
}

TEST(GatewayStartupTest, BadPolicyRefusesToStartNamingFileAndLine) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "policies");
  for (const auto& entry : std::filesystem::directory_iterator(testing::PoliciesDir())) {
    if (entry.is_regular_file()) {
      std::filesystem::copy_file(entry.path(), dir.path() / "policies" / entry.path().filename(),
                                 std::filesystem::copy_options::none);
    }
  }
  const std::string broken = dir.Write("policies/zz-broken.yaml",
                                       "rules:\n"
                                       "  - id: broken\n"
                                       "    requester: {partner_type: gemeente}\n"
                                       "    purpose: CURIOSITY\n"
                                       "    record_type: noa.Assessment\n"
                                       "    legal_basis: {kind: consent}\n"
                                       "    release: [{field: education}]\n");
  ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir.File("fixtures.db"), kSeed, 5).ok());
  const std::string config = WriteConfig(dir, (dir.path() / "policies").string());
  testing::ExitResult result =
      testing::RunToExit(testing::GatewayBinary(), {"--config", config, "--listen", "127.0.0.1:0"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.stderr_text.find(broken + ":4:"), std::string::npos) << result.stderr_text;
  EXPECT_NE(result.stderr_text.find("CURIOSITY"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.File("audit.db")));
}

TEST(GatewayStartupTest, AKeyFileOthersCanReadRefusesToStartNamingTheFile) {
  TempDir dir;
  ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir.File("fixtures.db"), kSeed, 5).ok());
  std::string config_text = testing::ReadFile(WriteConfig(dir, testing::PoliciesDir()));
  // Each secret in turn, as a copy readable by its group and others.
  for (const std::string name :
       {"pseudonym.key", "checkpoint.key", "handover-master.key", "server.key"}) {
    SCOPED_TRACE(name);
    const std::string original = testing::CertsDir() + "/" + name;
    const std::string exposed = dir.File("exposed-" + name);
    std::filesystem::copy_file(original, exposed,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::permissions(
        exposed, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                     std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    std::string text = config_text;
    text.replace(text.find(original), original.size(), exposed);
    const std::string config = dir.Write("exposed.yaml", text);
    testing::ExitResult result = testing::RunToExit(
        testing::GatewayBinary(), {"--config", config, "--listen", "127.0.0.1:0"});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.stderr_text.find(exposed + " has mode 0644"), std::string::npos)
        << result.stderr_text;
    EXPECT_FALSE(std::filesystem::exists(dir.File("audit.db")));
  }
}

}  // namespace
}  // namespace ketenpoort

namespace ketenpoort {
namespace {

// A header the gateway records must be within its limit (and printable
// ASCII: see CallerTest, since a gRPC C++ client refuses to send other
// bytes). The call is refused INVALID_ARGUMENT BAD_METADATA, and audited,
// readable, with the caller identified.
TEST_F(GatewayIntegrationTest, MetadataOverItsLimitIsRefusedAndAuditedWithTheCaller) {
  auto stub = StubAs("gemeente-woerden");
  for (const char* header : {"x-actor-id", "x-actor-role", "x-request-id"}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata(header, std::string(300, 'r'));
    v1::GetRecordResponse response;
    const grpc::Status status =
        stub->GetRecord(&context, Request(v1::WORK_REINTEGRATION), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << header;
    EXPECT_EQ(ReasonOf(status), "BAD_METADATA") << header;
    EXPECT_FALSE(response.has_record());
    const v1::AuditEntry entry = testing::ReadAuditEntry(dir_.File("audit.db"));
    EXPECT_EQ(entry.decision(), v1::AuditEntry::INVALID) << header;
    EXPECT_EQ(entry.reason(), "BAD_METADATA") << header;
    EXPECT_EQ(entry.partner_id(), "gemeente-woerden") << header;
  }
  // The same on a service that reads or changes facts.
  grpc::ClientContext context;
  context.AddMetadata("x-actor-role", std::string(300, 'x'));
  v1::ListConsentsRequest list;
  list.set_subject_id(person_.v_number);
  v1::ListConsentsResponse listed;
  const grpc::Status status =
      v1::ConsentService::NewStub(ChannelWith("gca", "gca"))->List(&context, list, &listed);
  EXPECT_EQ(ReasonOf(status), "BAD_METADATA");
  EXPECT_EQ(listed.consents_size(), 0);
  const v1::AuditEntry entry = testing::ReadAuditEntry(dir_.File("audit.db"));
  EXPECT_EQ(entry.reason(), "BAD_METADATA");
  EXPECT_EQ(entry.partner_id(), "gca");
  EXPECT_EQ(entry.actor_role(), "");  // the bad value is not recorded
}

}  // namespace
}  // namespace ketenpoort
