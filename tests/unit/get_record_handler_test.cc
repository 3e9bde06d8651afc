#include "gateway/server/get_record_handler.h"

#include <gtest/gtest.h>

#include <future>

#include "adapters/fixture/sqlite_fixture_source.h"
#include "adapters/synthetic/synthetic_population.h"
#include "gateway/audit/audit_reader.h"
#include "gateway/audit/sqlite_audit_store.h"
#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "gateway/policy/fixed_facts.h"
#include "records/v1/coa.pb.h"
#include "records/v1/noa.pb.h"
#include "tests/support/faulty_audit_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"
#include "tests/support/test_signer.h"

namespace ketenpoort::server {
namespace {

using records::v1::noa::Assessment;

constexpr uint64_t kSeed = 7;

// Counts fetches, so tests can prove that refused requests fetch nothing.
class CountingSource final : public adapters::SourceAdapter {
 public:
  CountingSource(adapters::SourceAdapterPtr inner, std::atomic<int>* fetches)
      : inner_(std::move(inner)), fetches_(fetches) {}
  std::string_view name() const override { return inner_->name(); }
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Fetch(
      const adapters::FetchRequest& request) override {
    ++*fetches_;
    return inner_->Fetch(request);
  }

 private:
  adapters::SourceAdapterPtr inner_;
  std::atomic<int>* fetches_;
};

class GetRecordHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, 20).ok());
    person_ = synthetic::SyntheticPopulation(kSeed).Person(3);

    auto policies = policy::PolicySet::LoadDirectory(testing::PoliciesDir(), catalog());
    ASSERT_TRUE(policies.ok()) << policies.status();
    policies_ = std::make_unique<PolicyHolder>(*policies);

    adapters::AdapterRegistry registry;
    registry.Register(
        "counting",
        [this](const adapters::SourceConfig& config) -> absl::StatusOr<adapters::SourceAdapterPtr> {
          auto inner = adapters::SqliteFixtureSource::Open(config.name, config.database);
          if (!inner.ok()) return inner.status();
          return std::make_unique<CountingSource>(std::move(*inner), &fetches_);
        });
    adapters::SourceConfig source;
    source.name = "fixtures";
    source.owner = "coa";
    source.kind = "counting";
    source.database = dir_.File("fixtures.db");
    source.record_types = {"noa.Assessment", "coa.Koppeling"};
    auto router = sources::SourceRouter::Create({source}, registry, catalog());
    ASSERT_TRUE(router.ok()) << router.status();
    router_ = std::make_unique<sources::SourceRouter>(std::move(*router));

    auto store = audit::SqliteAuditStore::Open(dir_.File("audit.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    auto faulty = std::make_unique<testing::FaultyAuditStore>(std::move(*store));
    audit_store_ = faulty.get();
    auto log = audit::AuditLog::Open(std::move(faulty), testing::TestCheckpointSigner());
    ASSERT_TRUE(log.ok()) << log.status();
    audit_ = std::move(*log);

    services_.catalog = &catalog();
    services_.policies = policies_.get();
    services_.sources = router_.get();
    services_.audit = audit_.get();
    services_.pseudonymizer = &pseudonymizer_;
    facts_.koppeling = policy::KoppelingFact{"0632", std::nullopt};
    services_.facts = &facts_;
    services_.recipient_pseudonym_key = std::string(32, 'r');
    services_.clock = &clock_;
  }

  static const records::RecordCatalog& catalog() { return records::RecordCatalog::Builtin(); }

  Caller CallerFor(const std::string& partner_id, const std::string& role) {
    Caller caller;
    caller.policies = policies_->Current();
    caller.partner = caller.policies->partners().FindById(partner_id);
    if (caller.partner != nullptr) caller.certificate.oin = caller.partner->oin;
    caller.certificate.sha256_hex = std::string(64, 'a');
    caller.actor_id = "medewerker-17";
    caller.actor_role = role;
    caller.request_id = "req-1";
    return caller;
  }

  v1::GetRecordRequest Request(v1::Purpose purpose, const std::string& record_type) {
    v1::GetRecordRequest request;
    request.set_subject_id(person_.v_number);
    request.set_record_type(record_type);
    request.set_purpose(purpose);
    return request;
  }

  absl::Status Run(const absl::StatusOr<Caller>& caller, const v1::GetRecordRequest& request,
                   v1::GetRecordResponse* response) {
    std::promise<absl::Status> done;
    const GetRecordHandler handler(services_);
    handler.Handle(policies_->Current(), caller, request,
                   std::chrono::system_clock::now() + std::chrono::seconds(10), response,
                   [&done](absl::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get();
  }

  // The newest audit entry, read back from the store.
  v1::AuditEntry LastEntry() {
    auto reader = audit::AuditReader::Open(dir_.File("audit.db"));
    EXPECT_TRUE(reader.ok()) << reader.status();
    v1::AuditEntry entry;
    auto size = (*reader)->Size();
    auto row = (*reader)->Entry(*size);
    if (row.ok() && *row) entry.ParseFromString((*row)->entry_bytes);
    return entry;
  }

  testing::TempDir dir_;
  synthetic::SyntheticPerson person_;
  std::unique_ptr<PolicyHolder> policies_;
  std::atomic<int> fetches_{0};
  std::unique_ptr<sources::SourceRouter> router_;
  testing::FaultyAuditStore* audit_store_ = nullptr;
  std::unique_ptr<audit::AuditLog> audit_;
  audit::Pseudonymizer pseudonymizer_{std::string(32, 'k')};
  policy::FixedFacts facts_;
  ManualClock clock_{1'790'000'000'000'000};
  GatewayServices services_;
};

TEST_F(GetRecordHandlerTest, PermittedRequestReleasesOnlyGrantedFieldsAndIsAudited) {
  v1::GetRecordResponse response;
  absl::Status status = Run(CallerFor("gemeente-woerden", "werkconsulent"),
                            Request(v1::WORK_REINTEGRATION, "noa.Assessment"), &response);
  ASSERT_TRUE(status.ok()) << status;
  Assessment released;
  ASSERT_TRUE(response.record().UnpackTo(&released));
  EXPECT_EQ(released.language_levels().dutch(), person_.assessment.language_levels().dutch());
  EXPECT_FALSE(released.has_ptsd_score());
  EXPECT_FALSE(released.has_emotional_stability_score());
  EXPECT_FALSE(released.has_subject_id());
  EXPECT_FALSE(released.has_personality());
  // The derived signal is released instead of the scores.
  ASSERT_TRUE(released.has_care_signal());
  EXPECT_EQ(released.care_signal(), person_.assessment.ptsd_score() >= 33 ||
                                        person_.assessment.emotional_stability_score() >= 60);
  EXPECT_EQ(response.audit_index(), 1u);

  v1::AuditEntry entry = LastEntry();
  EXPECT_EQ(entry.decision(), v1::AuditEntry::PERMIT);
  EXPECT_EQ(entry.partner_id(), "gemeente-woerden");
  EXPECT_EQ(entry.actor_role(), "werkconsulent");
  EXPECT_EQ(entry.rule_id(), response.rule_id());
  EXPECT_EQ(entry.subject_pseudonym(), pseudonymizer_.Pseudonym(person_.v_number));
  EXPECT_EQ(entry.payload_sha256(),
            std::string(crypto::AsBytes(crypto::Sha256(response.record().value()))));
  EXPECT_EQ(entry.time_unix_micros(), clock_.NowUnixMicros());
  EXPECT_FALSE(entry.released_fields().empty());
  // The log does not list who is in it.
  EXPECT_EQ(entry.SerializeAsString().find(person_.v_number), std::string::npos);
}

TEST_F(GetRecordHandlerTest, FailsClosedWhenTheAuditStoreCannotWrite) {
  audit_store_->set_failing(true);
  v1::GetRecordResponse response;
  absl::Status status = Run(CallerFor("gemeente-woerden", "werkconsulent"),
                            Request(v1::WORK_REINTEGRATION, "noa.Assessment"), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(status), "AUDIT_UNAVAILABLE");
  EXPECT_FALSE(response.has_record());
  EXPECT_EQ(response.ByteSizeLong(), 0u);
}

TEST_F(GetRecordHandlerTest, DenialIsAuditedAndFetchesNothing) {
  v1::GetRecordResponse response;
  absl::Status status = Run(CallerFor("gemeente-woerden", "werkconsulent"),
                            Request(v1::CONTINUITY_OF_CARE, "noa.Assessment"), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(status), "NO_RULE");
  EXPECT_EQ(fetches_.load(), 0);
  EXPECT_FALSE(response.has_record());
  v1::AuditEntry entry = LastEntry();
  EXPECT_EQ(entry.decision(), v1::AuditEntry::DENY);
  EXPECT_EQ(entry.reason(), "NO_RULE");
}

TEST_F(GetRecordHandlerTest, InvalidRequestsAreAuditedAndFetchNothing) {
  struct Case {
    v1::GetRecordRequest request;
    std::string reason;
  };
  std::vector<Case> cases;
  cases.push_back({Request(static_cast<v1::Purpose>(99), "noa.Assessment"), "UNKNOWN_PURPOSE"});
  cases.push_back({Request(v1::PURPOSE_UNSPECIFIED, "noa.Assessment"), "UNKNOWN_PURPOSE"});
  cases.push_back({Request(v1::WORK_REINTEGRATION, "noa.Nothing"), "UNKNOWN_RECORD_TYPE"});
  cases.push_back({Request(v1::WORK_REINTEGRATION, "noa.Assessment"), "INVALID_SUBJECT_ID"});
  cases.back().request.set_subject_id("123456789");
  cases.push_back({Request(v1::WORK_REINTEGRATION, std::string(5000, 'x')), "REQUEST_TOO_LARGE"});
  cases.push_back(
      {Request(v1::CONTINUITY_OF_CARE, "coa.Koppeling"), "BREAK_GLASS_JUSTIFICATION_REQUIRED"});
  cases.back().request.set_break_glass(true);

  for (const Case& c : cases) {
    v1::GetRecordResponse response;
    absl::Status status = Run(CallerFor("gemeente-woerden", "werkconsulent"), c.request, &response);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.reason;
    EXPECT_EQ(ErrorReason(status), c.reason);
    EXPECT_EQ(LastEntry().decision(), v1::AuditEntry::INVALID) << c.reason;
    EXPECT_EQ(LastEntry().reason(), c.reason);
  }
  EXPECT_EQ(fetches_.load(), 0);
  EXPECT_EQ(audit_->committed_count(), cases.size());
}

TEST_F(GetRecordHandlerTest, UnknownPartnerIsDeniedAndAudited) {
  Caller stranger = CallerFor("nobody", "werkconsulent");
  stranger.certificate.oin = "00000099999999999999";
  v1::GetRecordResponse response;
  absl::Status status = Run(stranger, Request(v1::WORK_REINTEGRATION, "noa.Assessment"), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(status), "UNKNOWN_PARTNER");
  v1::AuditEntry entry = LastEntry();
  EXPECT_EQ(entry.decision(), v1::AuditEntry::DENY);
  EXPECT_EQ(entry.partner_oin(), "00000099999999999999");
  EXPECT_EQ(entry.partner_id(), "");
  EXPECT_EQ(fetches_.load(), 0);
}

// Woerden has no relationship with a person linked to Utrecht: it is told
// nothing about her; the audit entry keeps the detail.
TEST_F(GetRecordHandlerTest, UnlinkedSubjectIsDeniedWithoutSayingWhy) {
  facts_.koppeling = policy::KoppelingFact{"0344", std::nullopt};  // Utrecht, not Woerden
  v1::GetRecordResponse response;
  absl::Status status = Run(CallerFor("gemeente-woerden", "werkconsulent"),
                            Request(v1::WORK_REINTEGRATION, "noa.Assessment"), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(status), "NOT_PERMITTED");
  EXPECT_EQ(LastEntry().reason(), "NOT_LINKED");
  EXPECT_EQ(fetches_.load(), 0);

  // Unknown to the gateway altogether: the same answer, word for word.
  facts_.koppeling.reset();
  absl::Status unknown = Run(CallerFor("gemeente-woerden", "werkconsulent"),
                             Request(v1::WORK_REINTEGRATION, "noa.Assessment"), &response);
  EXPECT_EQ(ErrorReason(unknown), "NOT_PERMITTED");
  EXPECT_EQ(unknown.message(), status.message());
}

TEST_F(GetRecordHandlerTest, BreakGlassIsFlaggedForReviewAndTransformsApply) {
  v1::GetRecordRequest request = Request(v1::CONTINUITY_OF_CARE, "coa.Koppeling");
  request.set_break_glass(true);
  request.set_break_glass_justification("patient unresponsive, family needed");
  v1::GetRecordResponse response;
  absl::Status status =
      Run(CallerFor("huisartsenpraktijk-woerden", "huisarts"), request, &response);
  ASSERT_TRUE(status.ok()) << status;
  records::v1::coa::Koppeling released;
  ASSERT_TRUE(response.record().UnpackTo(&released));
  // Birth date generalised to an age band; names of the person absent.
  EXPECT_NE(released.date_of_birth(), person_.koppeling.date_of_birth());
  EXPECT_NE(released.date_of_birth().find('-'), std::string::npos);
  EXPECT_EQ(released.date_of_birth().size() <= 5, true) << released.date_of_birth();
  EXPECT_FALSE(released.has_family_name());
  v1::AuditEntry entry = LastEntry();
  EXPECT_TRUE(entry.review_required());
  EXPECT_EQ(entry.break_glass_justification(), "patient unresponsive, family needed");
  EXPECT_EQ(entry.legal_basis(), "vital_interest");
}

TEST_F(GetRecordHandlerTest, MissingRecordIsNotFoundAndAudited) {
  v1::GetRecordRequest request = Request(v1::WORK_REINTEGRATION, "noa.Assessment");
  request.set_subject_id("2999999999");  // well-formed, but nobody in the fixtures
  v1::GetRecordResponse response;
  absl::Status status = Run(CallerFor("gemeente-woerden", "werkconsulent"), request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LastEntry().decision(), v1::AuditEntry::FAILED);
  EXPECT_EQ(LastEntry().reason(), "RECORD_NOT_FOUND");
}

}  // namespace
}  // namespace ketenpoort::server
