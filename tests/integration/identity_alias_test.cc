// One person, one identity (decision 0028): a V-nummer and a BSN linked by
// an entitled partner are one person to every service of the real gateway:
// decisions, consents and objections, relationships, hand-overs, audit
// queries and the access report, whichever identifier a request uses.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "adapters/synthetic/synthetic_population.h"
#include "ketenpoort/v1/handover.grpc.pb.h"
#include "tests/support/partner_calls.h"
#include "tests/support/test_paths.h"

namespace ketenpoort {
namespace {

using testing::DateFromToday;
using testing::GatewayProcess;
using testing::NotEntitled;
using testing::ReasonOf;
using testing::Refusal;
using testing::Who;
using v1::AuditEntry;

constexpr uint64_t kSeed = 46;
constexpr uint64_t kPersons = 12;
constexpr char kGp[] = "huisartsenpraktijk-woerden";
constexpr char kDossier[] = "gca.MedicalDossier";

const Who kCoa = {"coa", "casemanager", ""};
const Who kWoerdenGuidance = {"gemeente-woerden", "maatschappelijk-begeleider", ""};
const Who kWorkConsultant = {"gemeente-woerden", "werkconsulent", ""};
const Who kGpDoctor = {kGp, "huisarts", ""};
const Who kSupervisor = {"autoriteit-persoonsgegevens", "", ""};

class IdentityAliasTest : public testing::PartnerCallsTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, kPersons).ok());
    const synthetic::SyntheticPopulation population(kSeed);
    // Two persons registered in a municipality: a V-nummer and a BSN each.
    std::vector<synthetic::SyntheticPerson> registered;
    for (uint64_t i = 0; i < kPersons && registered.size() < 2; ++i) {
      if (!population.Person(i).bsn.empty()) registered.push_back(population.Person(i));
    }
    ASSERT_EQ(registered.size(), 2u);
    v_number_ = registered[0].v_number;
    bsn_ = registered[0].bsn;
    other_v_number_ = registered[1].v_number;
    other_bsn_ = registered[1].bsn;
    std::string error;
    gateway_ = GatewayProcess::Start(
        testing::WriteConfig(dir_, testing::PoliciesDir(), testing::ChainSources()),
        dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;
    // COA links the person, by V-nummer, to Woerden; they move in a week.
    ASSERT_TRUE(testing::LinkToMunicipality(gateway_->address(), v_number_, "0632",
                                            DateFromToday(-30), DateFromToday(7))
                    .ok());
  }

  // A statutory read that needs the koppeling to the caller's municipality.
  grpc::Status WorkConsultantReads(const std::string& subject) {
    return Get(kWorkConsultant, subject, "noa.Assessment", v1::WORK_REINTEGRATION);
  }
  grpc::Status GpReadsDossier(const std::string& subject) {
    return Get(kGpDoctor, subject, kDossier, v1::CONTINUITY_OF_CARE);
  }
  v1::Consent DossierConsent(const std::string& subject, v1::ConsentEffect effect) {
    return ConsentFor(subject, kGp, v1::CONTINUITY_OF_CARE, {kDossier}, effect);
  }
  // The person at the portal, signed in with `id`.
  static Who Portal(const std::string& id) { return {"inzageportaal", "", id}; }

  std::set<uint64_t> ReportIndexes(const Who& who, const std::string& subject) {
    v1::SubjectAccessReport report;
    const grpc::Status status = Report(who, subject, &report);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return Indexes(report);
  }

  std::string v_number_, bsn_, other_v_number_, other_bsn_;
};

TEST_F(IdentityAliasTest, ABsnIsThePersonOnceLinkedAndTheReportHoldsBothIdentifiersEntries) {
  // Not linked yet: the BSN is nobody the municipality knows.
  const uint64_t before_link = NewestIndex();
  EXPECT_EQ(WorkConsultantReads(bsn_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  const uint64_t denied = NewestIndex();
  ASSERT_EQ(denied, before_link + 1);
  const std::string bsn_pseudonym = EntryAt(denied).subject_pseudonym();

  ASSERT_TRUE(Link(kCoa, v_number_, bsn_).ok());
  const uint64_t linked = NewestIndex();
  EXPECT_EQ(EntryAt(linked).kind(), AuditEntry::RELATIONSHIP_CHANGE);
  EXPECT_EQ(EntryAt(linked).record_type(), "ketenpoort.IdentifierLink");

  // Either identifier now reads as the person, under one pseudonym.
  ASSERT_TRUE(WorkConsultantReads(bsn_).ok());
  const uint64_t by_bsn = NewestIndex();
  ASSERT_TRUE(WorkConsultantReads(v_number_).ok());
  const uint64_t by_v_number = NewestIndex();
  EXPECT_EQ(EntryAt(by_bsn).subject_pseudonym(), EntryAt(by_v_number).subject_pseudonym());
  EXPECT_EQ(EntryAt(linked).subject_pseudonym(), EntryAt(by_v_number).subject_pseudonym());
  EXPECT_NE(EntryAt(by_bsn).subject_pseudonym(), bsn_pseudonym);

  // The report, asked by either identifier, signed in with either, holds
  // the entry made under the BSN before the link, the link and both reads.
  const std::set<uint64_t> first = ReportIndexes(Portal(bsn_), v_number_);
  for (const uint64_t index : {denied, linked, by_bsn, by_v_number}) {
    EXPECT_EQ(first.count(index), 1u) << "entry " << index;
  }
  const uint64_t first_report = NewestIndex();
  std::set<uint64_t> second = ReportIndexes(Portal(v_number_), bsn_);
  EXPECT_EQ(second.count(first_report), 1u) << "the first report's own entry";
  second.erase(first_report);
  EXPECT_EQ(second, first);

  // An officer's query by either identifier finds the same entries.
  for (const std::string& id : {v_number_, bsn_}) {
    v1::AuditQueryRequest query;
    query.set_subject_id(id);
    query.set_until_unix_micros(EntryAt(by_v_number).time_unix_micros() + 1);
    v1::AuditQueryResponse found;
    ASSERT_TRUE(Query(kSupervisor, query, &found).ok());
    std::set<uint64_t> indexes;
    for (const AuditEntry& entry : found.entries()) indexes.insert(entry.index());
    for (const uint64_t index : {denied, linked, by_bsn, by_v_number}) {
      EXPECT_EQ(indexes.count(index), 1u) << "query by " << (id == bsn_ ? "BSN" : "V-nummer");
    }
  }

  // Someone else, signed in at the portal, gets neither identifier's report.
  EXPECT_EQ(ReasonOf(Report(Portal(other_v_number_), bsn_)), "NOT_THE_SUBJECT");
  EXPECT_EQ(ReasonOf(Report(Portal(other_bsn_), v_number_)), "NOT_THE_SUBJECT");
}

TEST_F(IdentityAliasTest, OnlyAnEntitledPartnerLinksAndAConflictingClaimIsRefused) {
  const std::vector<Who> not_entitled = {
      kGpDoctor,
      kWorkConsultant,
      // Not even the person's own municipality: a relation to the V-nummer
      // says nothing about whose BSN it names.
      kWoerdenGuidance,
      {"gemeente-utrecht", "maatschappelijk-begeleider", ""},  // not the person's municipality
      {"gca", "arts", ""},
      Portal(v_number_),  // a person cannot claim an identifier
      Portal(bsn_),
  };
  for (const Who& who : not_entitled) {
    const uint64_t before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(Link(who, v_number_, bsn_), before, who,
                                  NotEntitled(AuditEntry::RELATIONSHIP_CHANGE)));
  }
  uint64_t before = NewestIndex();
  EXPECT_TRUE(RefusedAndAudited(Link(kCoa, v_number_, bsn_, /*evidence=*/""), before, kCoa,
                                NotEntitled(AuditEntry::RELATIONSHIP_CHANGE)));
  const Refusal invalid = {grpc::StatusCode::INVALID_ARGUMENT, "INVALID_SUBJECT_ID",
                           AuditEntry::RELATIONSHIP_CHANGE, "", AuditEntry::INVALID};
  for (const auto& [v, b] : std::vector<std::pair<std::string, std::string>>{
           {bsn_, v_number_}, {v_number_, "123456789"}, {v_number_, ""}, {"", bsn_}}) {
    before = NewestIndex();
    EXPECT_TRUE(RefusedAndAudited(Link(kCoa, v, b), before, kCoa, invalid));
  }
  // Nothing above linked anything.
  EXPECT_EQ(WorkConsultantReads(bsn_).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // COA, which holds both in its TVS, may.
  ASSERT_TRUE(Link(kCoa, v_number_, bsn_).ok());
  // The same claim again changes nothing, and is audited.
  before = NewestIndex();
  ASSERT_TRUE(Link(kCoa, v_number_, bsn_).ok());
  EXPECT_EQ(NewestIndex(), before + 1);

  // A claim that contradicts the link is refused, not merged.
  const Refusal conflict = {grpc::StatusCode::FAILED_PRECONDITION, "IDENTIFIER_CONFLICT",
                            AuditEntry::RELATIONSHIP_CHANGE};
  before = NewestIndex();
  EXPECT_TRUE(RefusedAndAudited(Link(kCoa, v_number_, other_bsn_), before, kCoa, conflict));
  before = NewestIndex();
  EXPECT_TRUE(RefusedAndAudited(Link(kCoa, other_v_number_, bsn_), before, kCoa, conflict));

  EXPECT_TRUE(WorkConsultantReads(bsn_).ok());
  EXPECT_EQ(WorkConsultantReads(other_bsn_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(IdentityAliasTest, TwoIdentifiersWithDifferentFactsAreNotLinkedAndKeepTheirFacts) {
  // COA linked the BSN to Utrecht and the V-nummer to Woerden: two claims
  // about one person that cannot both hold.
  ASSERT_TRUE(SetKoppeling(kCoa, other_bsn_, "0344").ok());
  ASSERT_TRUE(SetKoppeling(kCoa, other_v_number_, "0632").ok());
  const uint64_t before = NewestIndex();
  EXPECT_TRUE(RefusedAndAudited(Link(kCoa, other_v_number_, other_bsn_), before, kCoa,
                                {grpc::StatusCode::FAILED_PRECONDITION, "IDENTIFIER_CONFLICT",
                                 AuditEntry::RELATIONSHIP_CHANGE}));
  EXPECT_TRUE(Get({"gemeente-utrecht", "werkconsulent", ""}, other_bsn_, "noa.Assessment",
                  v1::WORK_REINTEGRATION)
                  .ok());
  EXPECT_TRUE(WorkConsultantReads(other_v_number_).ok());
  EXPECT_EQ(WorkConsultantReads(other_bsn_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(IdentityAliasTest, EveryServiceAnswersForThePersonWhicheverIdentifierIsUsed) {
  ASSERT_TRUE(Link(kCoa, v_number_, bsn_).ok());
  // Registered with the GP by BSN; consent recorded for the BSN.
  ASSERT_TRUE(testing::RegisterWithGp(gateway_->address(), bsn_, kGp).ok());
  const uint64_t registered = NewestIndex();
  Granted({"gca", "arts", ""}, DossierConsent(bsn_, v1::PERMIT));
  const uint64_t consented = NewestIndex();
  // The GP reads by V-nummer: registered, and with consent.
  ASSERT_TRUE(GpReadsDossier(v_number_).ok());
  const uint64_t read = NewestIndex();

  // GCA hands the dossier over by BSN; the GP fetches it.
  v1::SendHandoverRequest send;
  send.set_subject_id(bsn_);
  send.add_record_types(kDossier);
  send.set_recipient_partner_id(kGp);
  send.set_recipient_role("huisarts");
  send.set_purpose(v1::CONTINUITY_OF_CARE);
  send.set_request_id("alias-1");
  v1::Handover handover;
  {
    grpc::ClientContext context;
    Prepare(context, {"gca", "arts", ""});
    const grpc::Status sent =
        v1::HandoverService::NewStub(Channel("gca"))->Send(&context, send, &handover);
    ASSERT_TRUE(sent.ok()) << ReasonOf(sent) << ": " << sent.error_message();
  }
  const uint64_t handed_over = NewestIndex();
  {
    v1::GetHandoverRequest request;
    request.set_handover_id(handover.handover_id());
    grpc::ClientContext context;
    Prepare(context, kGpDoctor);
    v1::FetchHandoverResponse fetched;
    const grpc::Status status =
        v1::HandoverService::NewStub(Channel(kGp))->Fetch(&context, request, &fetched);
    ASSERT_TRUE(status.ok()) << ReasonOf(status) << ": " << status.error_message();
  }
  const uint64_t fetched = NewestIndex();

  // The person, signed in with the V-nummer, objects for the BSN: it is
  // their own objection, and it holds for both identifiers.
  Granted(Portal(v_number_), DossierConsent(bsn_, v1::OBJECTION));
  const uint64_t objected = NewestIndex();
  for (const std::string& id : {v_number_, bsn_}) {
    const grpc::Status status = GpReadsDossier(id);
    EXPECT_EQ(ReasonOf(status), "CONSENT_OBJECTION") << status.error_message();
  }
  const uint64_t refused = NewestIndex();

  // The person sees both consents, signed in with either identifier.
  for (const Who& who : {Portal(v_number_), Portal(bsn_)}) {
    std::set<std::string> consents;
    ASSERT_TRUE(List(who, v_number_, &consents).ok());
    EXPECT_EQ(consents.size(), 2u);
  }

  // Everything above is in the person's report.
  const std::set<uint64_t> report = ReportIndexes(Portal(bsn_), bsn_);
  for (const uint64_t index :
       {registered, consented, read, handed_over, fetched, objected, refused}) {
    EXPECT_EQ(report.count(index), 1u)
        << "entry " << index << ": " << EntryAt(index).ShortDebugString();
  }

  // A GP registration by the V-nummer replaces the one made by BSN.
  ASSERT_TRUE(
      testing::RegisterWithGp(gateway_->address(), v_number_, "huisartsenpraktijk-oudegracht")
          .ok());
  const auto reads_tbc = [&](const std::string& practice, const std::string& id) {
    return Get({practice, "huisarts", ""}, id, "ggd.TbcScreening", v1::PUBLIC_HEALTH);
  };
  EXPECT_TRUE(reads_tbc("huisartsenpraktijk-oudegracht", bsn_).ok());
  EXPECT_EQ(reads_tbc(kGp, bsn_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(reads_tbc(kGp, v_number_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace ketenpoort
