// AuditService against the real gateway: checkpoints and proofs that verify
// with the published key, privacy-officer scoping, queries and exports,
// and the subject access report.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/audit/checkpoint.h"
#include "gateway/audit/merkle.h"
#include "gateway/audit/witness.h"
#include "gateway/common/civil_date.h"
#include "gateway/common/ed25519.h"
#include "ketenpoort/v1/audit.grpc.pb.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"
#include "tests/support/audit_fixture.h"
#include "tests/support/chain_steps.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"

namespace ketenpoort {
namespace {

using testing::ChannelAs;
using testing::ReasonOf;

constexpr uint64_t kSeed = 11;

audit::merkle::Hash ToHash(const std::string& bytes) {
  audit::merkle::Hash hash{};
  if (bytes.size() == hash.size()) std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

class AuditServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, 20).ok());
    const synthetic::SyntheticPopulation population(kSeed);
    linked_ = population.Person(3).v_number;
    other_ = population.Person(5).v_number;
    std::string error;
    gateway_ = testing::GatewayProcess::Start(testing::WriteConfig(dir_, testing::PoliciesDir()),
                                              dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;

    // COA links one person to Woerden; Woerden asks for both people.
    v1::SetKoppelingRequest koppeling;
    koppeling.mutable_koppeling()->set_subject_id(linked_);
    koppeling.mutable_koppeling()->set_municipality_code("0632");
    koppeling.mutable_koppeling()->set_linked_on(Today(-30));
    koppeling.mutable_koppeling()->set_expected_move_date(Today(7));
    grpc::ClientContext context;
    context.AddMetadata("x-actor-role", "casemanager");
    v1::Koppeling stored;
    ASSERT_TRUE(v1::RelationshipService::NewStub(Channel("coa"))
                    ->SetKoppeling(&context, koppeling, &stored)
                    .ok());
    ASSERT_TRUE(Fetch(linked_).ok());
    EXPECT_EQ(Fetch(other_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }

  void TearDown() override {
    if (gateway_) {
      EXPECT_EQ(gateway_->Stop(), 0) << gateway_->StderrText();
    }
  }

  static std::string Today(int days) {
    const int64_t today = std::chrono::duration_cast<std::chrono::hours>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() /
                          24;
    return FormatCivilDate(today + days);
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& partner) {
    return ChannelAs(gateway_->address(), partner);
  }
  std::unique_ptr<v1::AuditService::Stub> AuditAs(const std::string& partner) {
    return v1::AuditService::NewStub(Channel(partner));
  }
  static void Prepare(grpc::ClientContext& context, const std::string& role = "privacy_officer") {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", "fg-1");
    context.AddMetadata("x-actor-role", role);
  }

  grpc::Status Fetch(const std::string& subject) {
    v1::GetRecordRequest request;
    request.set_subject_id(subject);
    request.set_record_type("noa.Assessment");
    request.set_purpose(v1::WORK_REINTEGRATION);
    grpc::ClientContext context;
    Prepare(context, "werkconsulent");
    v1::GetRecordResponse response;
    return v1::DossierService::NewStub(Channel("gemeente-woerden"))
        ->GetRecord(&context, request, &response);
  }

  v1::GetCheckpointResponse Checkpoint() {
    grpc::ClientContext context;
    Prepare(context);
    v1::GetCheckpointResponse response;
    EXPECT_TRUE(AuditAs("gemeente-woerden")->GetCheckpoint(&context, {}, &response).ok());
    return response;
  }

  std::vector<v1::AuditEntry> QueryAll(const std::string& partner, v1::AuditQueryRequest request,
                                       grpc::Status* status = nullptr) {
    std::vector<v1::AuditEntry> entries;
    auto stub = AuditAs(partner);
    do {
      grpc::ClientContext context;
      Prepare(context);
      v1::AuditQueryResponse response;
      grpc::Status result = stub->Query(&context, request, &response);
      if (status != nullptr) *status = result;
      if (!result.ok()) break;
      entries.insert(entries.end(), response.entries().begin(), response.entries().end());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return entries;
  }

  testing::ExitResult Ketenctl(std::vector<std::string> args) {
    args.insert(args.end(), {"--addr", gateway_->address(), "--certs-dir", testing::CertsDir()});
    return testing::RunToExit(testing::KetenctlBinary(), args);
  }

  testing::TempDir dir_;
  std::string linked_;
  std::string other_;
  std::unique_ptr<testing::GatewayProcess> gateway_;
};

TEST_F(AuditServiceTest, CheckpointsAndProofsVerifyWithThePinnedKey) {
  const testing::ExitResult pinned = testing::RunToExit(
      testing::KetenctlBinary(),
      {"audit", "verifier-key", "--signing-key", testing::CertsDir() + "/checkpoint.key"});
  ASSERT_EQ(pinned.exit_code, 0) << pinned.stderr_text;
  auto key = audit::CheckpointVerifier::FromVerifierKey(
      pinned.stderr_text.substr(0, pinned.stderr_text.find('\n')));
  ASSERT_TRUE(key.ok()) << key.status();

  const v1::GetCheckpointResponse old_head = Checkpoint();
  auto old_checkpoint = key->Open(old_head.note());
  ASSERT_TRUE(old_checkpoint.ok()) << old_checkpoint.status();
  ASSERT_TRUE(Fetch(linked_).ok());
  const v1::GetCheckpointResponse head = Checkpoint();
  auto checkpoint = key->Open(head.note());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  ASSERT_GT(checkpoint->size, old_checkpoint->size);

  auto stub = AuditAs("gemeente-woerden");
  for (uint64_t index = 1; index <= checkpoint->size; ++index) {
    v1::GetInclusionProofRequest request;
    request.set_index(index);
    request.set_tree_size(checkpoint->size);
    v1::GetInclusionProofResponse proof;
    grpc::ClientContext context;
    Prepare(context);
    ASSERT_TRUE(stub->GetInclusionProof(&context, request, &proof).ok());
    std::vector<audit::merkle::Hash> hashes;
    for (const std::string& hash : proof.hashes()) hashes.push_back(ToHash(hash));
    EXPECT_TRUE(audit::merkle::VerifyInclusion(index - 1, checkpoint->size,
                                               ToHash(proof.leaf_hash()), hashes, checkpoint->root))
        << "entry " << index;
  }

  v1::GetConsistencyProofRequest request;
  request.set_old_size(old_checkpoint->size);
  request.set_new_size(checkpoint->size);
  v1::GetConsistencyProofResponse proof;
  grpc::ClientContext context;
  Prepare(context);
  ASSERT_TRUE(stub->GetConsistencyProof(&context, request, &proof).ok());
  std::vector<audit::merkle::Hash> hashes;
  for (const std::string& hash : proof.hashes()) hashes.push_back(ToHash(hash));
  EXPECT_TRUE(audit::merkle::VerifyConsistency(old_checkpoint->size, checkpoint->size,
                                               old_checkpoint->root, checkpoint->root, hashes));
}

TEST_F(AuditServiceTest, ProofRequestsOutsideTheTreeAreClearErrors) {
  auto stub = AuditAs("gemeente-woerden");
  const uint64_t size = Checkpoint().tree_size();
  uint64_t size_after = size;
  for (auto [index, tree_size, code, reason] :
       std::vector<std::tuple<uint64_t, uint64_t, grpc::StatusCode, std::string>>{
           {0, 0, grpc::StatusCode::INVALID_ARGUMENT, "BAD_INDEX"},
           // Each refusal is audited, so the tree grows by one per request.
           {size + 100, 0, grpc::StatusCode::OUT_OF_RANGE, "BEYOND_TREE"},
           {1, size + 100, grpc::StatusCode::OUT_OF_RANGE, "BEYOND_TREE"}}) {
    v1::GetInclusionProofRequest request;
    request.set_index(index);
    request.set_tree_size(tree_size);
    v1::GetInclusionProofResponse proof;
    grpc::ClientContext context;
    Prepare(context);
    grpc::Status status = stub->GetInclusionProof(&context, request, &proof);
    EXPECT_EQ(status.error_code(), code) << index;
    EXPECT_EQ(ReasonOf(status), reason) << index;
    EXPECT_EQ(Checkpoint().tree_size(), ++size_after) << "the refusal is audited";
  }
}

TEST_F(AuditServiceTest, PrivacyOfficersSeeOnlyTheirOrganisationsEntries) {
  const std::vector<v1::AuditEntry> woerden = QueryAll("fg-gemeente-woerden", {});
  const std::vector<v1::AuditEntry> coa = QueryAll("fg-coa", {});
  const std::vector<v1::AuditEntry> all = QueryAll("autoriteit-persoonsgegevens", {});
  ASSERT_FALSE(woerden.empty());
  ASSERT_FALSE(coa.empty());
  for (const v1::AuditEntry& entry : woerden) {
    EXPECT_TRUE(entry.partner_id() == "gemeente-woerden" ||
                entry.source_partner_id() == "gemeente-woerden")
        << entry.ShortDebugString();
  }
  bool coa_sees_its_source = false;
  for (const v1::AuditEntry& entry : coa) {
    EXPECT_TRUE(entry.partner_id() == "coa" || entry.source_partner_id() == "coa");
    coa_sees_its_source |= entry.partner_id() == "gemeente-woerden";
  }
  EXPECT_TRUE(coa_sees_its_source) << "COA's data was released to Woerden";
  EXPECT_GT(all.size(), woerden.size());
  EXPECT_GT(all.size(), coa.size());

  // An out-of-scope entry looks absent; a partner that is no officer is refused.
  uint64_t koppeling_index = 0;
  for (const v1::AuditEntry& entry : all) {
    if (entry.kind() == v1::AuditEntry::RELATIONSHIP_CHANGE) koppeling_index = entry.index();
  }
  ASSERT_NE(koppeling_index, 0u);
  v1::GetEntryRequest request;
  request.set_index(koppeling_index);
  v1::GetEntryResponse response;
  grpc::ClientContext context;
  Prepare(context);
  grpc::Status hidden = AuditAs("fg-gemeente-woerden")->GetEntry(&context, request, &response);
  EXPECT_EQ(hidden.error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::Status refused;
  QueryAll("gemeente-woerden", {}, &refused);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(refused), "AUDIT_READ_NOT_ENTITLED");
}

TEST_F(AuditServiceTest, QueriesFilterBySubjectAndDecisionAndPageThroughEverything) {
  v1::AuditQueryRequest by_subject;
  by_subject.set_subject_id(other_);
  const std::vector<v1::AuditEntry> other = QueryAll("autoriteit-persoonsgegevens", by_subject);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].decision(), v1::AuditEntry::DENY);
  EXPECT_FALSE(other[0].subject_pseudonym().empty());

  v1::AuditQueryRequest denied;
  denied.set_decision(v1::AuditEntry::DENY);
  for (const v1::AuditEntry& entry : QueryAll("autoriteit-persoonsgegevens", denied)) {
    EXPECT_EQ(entry.decision(), v1::AuditEntry::DENY);
  }

  v1::AuditQueryRequest paged;
  paged.set_page_size(2);
  const std::vector<v1::AuditEntry> pages = QueryAll("autoriteit-persoonsgegevens", paged);
  const std::vector<v1::AuditEntry> whole = QueryAll("autoriteit-persoonsgegevens", {});
  ASSERT_GE(pages.size(), 4u);
  for (size_t i = 0; i < std::min(pages.size(), whole.size()); ++i) {
    EXPECT_EQ(pages[i].index(), whole[i].index());
  }

  v1::AuditQueryRequest bad;
  bad.set_page_token("not-a-token");
  grpc::Status status;
  QueryAll("autoriteit-persoonsgegevens", bad, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "BAD_PAGE_TOKEN");
}

TEST_F(AuditServiceTest, KetenctlExportsJsonLinesAndCsv) {
  testing::ExitResult csv = Ketenctl({"audit", "query", "--as", "fg-gemeente-woerden", "--format",
                                      "csv", "--actor-role", "privacy_officer"});
  ASSERT_EQ(csv.exit_code, 0) << csv.stderr_text;
  EXPECT_EQ(csv.stderr_text.rfind("index,time_unix_micros,kind,", 0), 0u) << csv.stderr_text;
  EXPECT_NE(csv.stderr_text.find(",gemeente-woerden,"), std::string::npos);

  testing::ExitResult jsonl =
      Ketenctl({"audit", "query", "--as", "fg-gemeente-woerden", "--decision", "PERMIT"});
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.stderr_text;
  EXPECT_EQ(jsonl.stderr_text.rfind("{\"index\":", 0), 0u) << jsonl.stderr_text;
  EXPECT_EQ(jsonl.stderr_text.find("\"decision\":\"DENY\""), std::string::npos);
}

TEST_F(AuditServiceTest, TheSubjectAccessReportTellsThePersonInTheirLanguage) {
  testing::ExitResult english = Ketenctl(
      {"audit", "report", "--as", "fg-gemeente-woerden", "--subject", linked_, "--lang", "en"});
  ASSERT_EQ(english.exit_code, 0) << english.stderr_text;
  const std::string& text = english.stderr_text;
  EXPECT_NE(text.find("Who has used your data?"), std::string::npos) << text;
  EXPECT_NE(text.find("Gemeente Woerden (work consultant) asked for the results of your NOA "
                      "interviews. This was for help with finding work, because the law allows "
                      "it (Participatiewet art. 7 lid 1; Wet inburgering 2021 art. 16). This was "
                      "allowed."),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find(linked_), std::string::npos) << "the report names no ids";

  testing::ExitResult dutch =
      Ketenctl({"audit", "report", "--as", "autoriteit-persoonsgegevens", "--subject", linked_});
  ASSERT_EQ(dutch.exit_code, 0) << dutch.stderr_text;
  EXPECT_NE(dutch.stderr_text.find("Wie heeft uw gegevens gebruikt?"), std::string::npos);
  // The first report is itself in the second.
  EXPECT_NE(dutch.stderr_text.find("maakte dit overzicht voor u"), std::string::npos)
      << dutch.stderr_text;

  testing::ExitResult unknown = Ketenctl(
      {"audit", "report", "--as", "fg-gemeente-woerden", "--subject", linked_, "--lang", "xx"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.stderr_text.find("UNKNOWN_LANGUAGE"), std::string::npos) << unknown.stderr_text;
}

TEST_F(AuditServiceTest, ALongHistoryComesInPagesThatTogetherHoldEveryLine) {
  // More accesses than one page holds, and than the indexes take in bulk
  // (1024), so the pages cross from indexed entries to the unindexed tail.
  constexpr int kCalls = 1100;
  std::atomic<int> failed{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&, t] {
      for (int i = t; i < kCalls; i += 8) {
        if (!Fetch(linked_).ok()) ++failed;
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  ASSERT_EQ(failed.load(), 0);

  auto stub = AuditAs("autoriteit-persoonsgegevens");
  auto pages = [&](uint32_t page_size, std::string* title) {
    std::vector<uint64_t> lines;
    v1::SubjectAccessReportRequest request;
    request.set_subject_id(linked_);
    request.set_page_size(page_size);
    uint64_t tree_size = 0;
    for (int page = 0; page < 100; ++page) {
      grpc::ClientContext context;
      Prepare(context);
      v1::SubjectAccessReport report;
      const grpc::Status status = stub->GetSubjectAccessReport(&context, request, &report);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      EXPECT_LE(report.accesses_size(), static_cast<int>(page_size == 0 ? 200 : page_size));
      // Every page is read at the first page's checkpoint.
      if (page == 0) tree_size = report.tree_size();
      EXPECT_EQ(report.tree_size(), tree_size);
      if (page == 0) *title = report.title();
      for (const auto& access : report.accesses()) lines.push_back(access.audit_index());
      if (report.next_page_token().empty()) break;
      request.set_page_token(report.next_page_token());
    }
    return lines;
  };
  std::string title;
  const std::vector<uint64_t> by_100 = pages(100, &title);
  EXPECT_EQ(title, "Wie heeft uw gegevens gebruikt?");
  ASSERT_GE(by_100.size(), static_cast<size_t>(kCalls + 1));
  EXPECT_TRUE(std::is_sorted(by_100.begin(), by_100.end()));
  EXPECT_EQ(std::set<uint64_t>(by_100.begin(), by_100.end()).size(), by_100.size());
  // The same lines whatever the page size, apart from the reports
  // themselves, which each add a line for the next.
  std::vector<uint64_t> by_default = pages(0, &title);
  by_default.resize(by_100.size());
  EXPECT_EQ(by_default, by_100);

  // ketenctl prints every page.
  // Six pages: under ThreadSanitizer this takes longer than the default.
  std::vector<std::string> args = {"audit",       "report",
                                   "--as",        "autoriteit-persoonsgegevens",
                                   "--subject",   linked_,
                                   "--addr",      gateway_->address(),
                                   "--certs-dir", testing::CertsDir()};
  testing::ExitResult printed =
      testing::RunToExit(testing::KetenctlBinary(), args, std::chrono::seconds(180));
  ASSERT_EQ(printed.exit_code, 0) << printed.stderr_text;
  size_t printed_lines = 0;
  for (size_t at = printed.stderr_text.find("\n- "); at != std::string::npos;
       at = printed.stderr_text.find("\n- ", at + 1)) {
    ++printed_lines;
  }
  EXPECT_GE(printed_lines, by_100.size());

  v1::SubjectAccessReportRequest too_large;
  too_large.set_subject_id(linked_);
  too_large.set_page_size(1001);
  grpc::ClientContext context;
  Prepare(context);
  v1::SubjectAccessReport report;
  const grpc::Status refused = stub->GetSubjectAccessReport(&context, too_large, &report);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(refused), "PAGE_TOO_LARGE");
  // Bad input is a refusal like any other: it is audited, and the person
  // sees in their report that someone asked.
  const v1::AuditEntry audited = testing::ReadAuditEntry(dir_.File("audit.db"));
  EXPECT_EQ(audited.decision(), v1::AuditEntry::INVALID);
  EXPECT_EQ(audited.reason(), "PAGE_TOO_LARGE");
  EXPECT_EQ(audited.method(), "/ketenpoort.v1.AuditService/GetSubjectAccessReport");
  EXPECT_FALSE(audited.subject_pseudonym().empty());
  for (const std::string& forged :
       {std::string("bm90LWEtdG9rZW4="), std::string("YWZ0ZXI6MTpzaXplOjk5OTk5OTk5")}) {
    v1::SubjectAccessReportRequest request;
    request.set_subject_id(linked_);
    request.set_page_token(forged);
    grpc::ClientContext forged_context;
    Prepare(forged_context);
    const grpc::Status status = stub->GetSubjectAccessReport(&forged_context, request, &report);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << forged;
    EXPECT_EQ(ReasonOf(status), "BAD_PAGE_TOKEN") << forged;
  }
}

TEST_F(AuditServiceTest, ThePersonGetsTheirOwnReportThroughTheSubjectPortalAndNoOneElses) {
  testing::ExitResult own = Ketenctl({"audit", "report", "--as", "inzageportaal", "--signed-in-as",
                                      linked_, "--subject", linked_, "--lang", "en"});
  ASSERT_EQ(own.exit_code, 0) << own.stderr_text;
  EXPECT_NE(own.stderr_text.find("Gemeente Woerden (work consultant) asked for the results"),
            std::string::npos)
      << own.stderr_text;

  testing::ExitResult other = Ketenctl(
      {"audit", "report", "--as", "inzageportaal", "--signed-in-as", linked_, "--subject", other_});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.stderr_text.find("NOT_THE_SUBJECT"), std::string::npos) << other.stderr_text;
  testing::ExitResult nobody =
      Ketenctl({"audit", "report", "--as", "inzageportaal", "--subject", linked_});
  EXPECT_NE(nobody.stderr_text.find("NOT_THE_SUBJECT"), std::string::npos) << nobody.stderr_text;
  // The portal reads no one's entries.
  testing::ExitResult query = Ketenctl({"audit", "query", "--as", "inzageportaal"});
  EXPECT_NE(query.stderr_text.find("AUDIT_READ_NOT_ENTITLED"), std::string::npos)
      << query.stderr_text;
}

TEST_F(AuditServiceTest, AKeptCheckpointVerifiesTheStoreAfterShutdown) {
  const std::string kept = dir_.File("kept-checkpoint.txt");
  testing::ExitResult saved =
      Ketenctl({"audit", "checkpoint", "--as", "gemeente-woerden", "--signing-key",
                testing::CertsDir() + "/checkpoint.key", "--out", kept});
  ASSERT_EQ(saved.exit_code, 0) << saved.stderr_text;
  testing::ExitResult proved =
      Ketenctl({"audit", "prove", "--as", "gemeente-woerden", "--index", "2", "--signing-key",
                testing::CertsDir() + "/checkpoint.key"});
  ASSERT_EQ(proved.exit_code, 0) << proved.stderr_text;
  EXPECT_NE(proved.stderr_text.find("OK: entry 2"), std::string::npos) << proved.stderr_text;

  ASSERT_EQ(gateway_->Stop(), 0);
  gateway_.reset();
  testing::ExitResult verified =
      testing::RunToExit(testing::KetenctlBinary(),
                         {"audit", "verify", "--db", dir_.File("audit.db"), "--signing-key",
                          testing::CertsDir() + "/checkpoint.key", "--trusted-checkpoint", kept});
  EXPECT_EQ(verified.exit_code, 0) << verified.stderr_text;
  EXPECT_NE(verified.stderr_text.find("OK: "), std::string::npos) << verified.stderr_text;
}

TEST_F(AuditServiceTest, AnEntryThatNoLongerDecodesIsReportedByEveryReaderNotSkipped) {
  // Someone with file access appends a string field that is not UTF-8 to
  // the first entry about the linked person (the koppeling), leaving the
  // leaf hash, so the gateway still starts.
  ASSERT_EQ(gateway_->Stop(), 0);
  gateway_.reset();
  const std::string db = dir_.File("audit.db");
  const int64_t index =
      testing::QueryInt(db, "SELECT min(idx) FROM audit_entry WHERE subject_key IS NOT NULL");
  ASSERT_GT(index, 0);
  ASSERT_EQ(testing::Tamper(db,
                            "DROP TRIGGER audit_entry_no_update; UPDATE audit_entry SET entry "
                            "= entry || x'3a02fffe' WHERE idx = " +
                                std::to_string(index)),
            "");
  std::string error;
  gateway_ = testing::GatewayProcess::Start(testing::WriteConfig(dir_, testing::PoliciesDir()),
                                            dir_.path().string(), &error);
  ASSERT_NE(gateway_, nullptr) << error;
  const std::string named = "audit entry " + std::to_string(index) + " does not decode";

  grpc::Status query;
  QueryAll("autoriteit-persoonsgegevens", {}, &query);
  EXPECT_EQ(query.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(ReasonOf(query), "AUDIT_ENTRY_CORRUPT");
  EXPECT_NE(query.error_message().find(named), std::string::npos) << query.error_message();

  v1::SubjectAccessReportRequest request;
  request.set_subject_id(linked_);
  grpc::ClientContext context;
  Prepare(context);
  v1::SubjectAccessReport report;
  const grpc::Status reported =
      AuditAs("autoriteit-persoonsgegevens")->GetSubjectAccessReport(&context, request, &report);
  EXPECT_EQ(reported.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_NE(reported.error_message().find(named), std::string::npos) << reported.error_message();
  EXPECT_NE(gateway_->StderrText().find("audit_entry_undecodable"), std::string::npos);

  ASSERT_EQ(gateway_->Stop(), 0);
  gateway_.reset();
  testing::ExitResult verified = testing::RunToExit(
      testing::KetenctlBinary(),
      {"audit", "verify", "--db", db, "--signing-key", testing::CertsDir() + "/checkpoint.key"});
  EXPECT_NE(verified.exit_code, 0);
  EXPECT_NE(verified.stderr_text.find("does not decode"), std::string::npos)
      << verified.stderr_text;
}

TEST_F(AuditServiceTest, AGatewayRefusesToStartOnAnOlderCopyOfItsAuditStore) {
  // A backup taken now, then more entries; then the backup is restored.
  ASSERT_EQ(gateway_->Stop(), 0);
  gateway_.reset();
  const std::string db = dir_.File("audit.db");
  std::filesystem::copy_file(db, dir_.File("backup.db"));
  const std::string config = testing::WriteConfig(dir_, testing::PoliciesDir());
  std::string error;
  gateway_ = testing::GatewayProcess::Start(config, dir_.path().string(), &error);
  ASSERT_NE(gateway_, nullptr) << error;
  ASSERT_TRUE(Fetch(linked_).ok());
  ASSERT_EQ(gateway_->Stop(), 0);
  gateway_.reset();
  std::filesystem::remove(db + "-wal");
  std::filesystem::copy_file(dir_.File("backup.db"), db,
                             std::filesystem::copy_options::overwrite_existing);
  const int64_t entries = testing::QueryInt(db, "SELECT count(*) FROM audit_entry");

  testing::ExitResult refused =
      testing::RunToExit(testing::GatewayBinary(), {"--config", config, "--listen", "127.0.0.1:0"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.stderr_text.find("the store was rolled back or replaced"), std::string::npos)
      << refused.stderr_text;
  EXPECT_NE(refused.stderr_text.find(dir_.File("audit-head.note")), std::string::npos)
      << refused.stderr_text;
  EXPECT_EQ(testing::QueryInt(db, "SELECT count(*) FROM audit_entry"), entries)
      << "a refused start writes nothing";
}

TEST_F(AuditServiceTest, AnIndexAddedUnderTheRunningGatewayStopsReadsAndDataFlowFailsClosed) {
  // A partial index that leaves out the person's entries, passed off as
  // whole, with planner statistics that make every query use it.
  const std::string db = dir_.File("audit.db");
  ASSERT_EQ(
      testing::Tamper(db,
                      "CREATE INDEX hide ON audit_entry(partner_id) WHERE subject_key IS NULL;"
                      "ANALYZE; UPDATE sqlite_stat1 SET stat = '100000000 1' "
                      "WHERE idx = 'hide';"
                      "PRAGMA writable_schema = ON;"
                      "UPDATE sqlite_master SET sql = 'CREATE INDEX hide ON "
                      "audit_entry(partner_id)' WHERE name = 'hide';"
                      "PRAGMA writable_schema = OFF;"),
      "");
  grpc::Status query;
  QueryAll("gemeente-woerden", {}, &query);
  EXPECT_EQ(query.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(ReasonOf(query), "AUDIT_STORE_TAMPERED") << query.error_message();
  // Nothing is logged, so nothing leaves.
  const grpc::Status fetched = Fetch(linked_);
  EXPECT_EQ(fetched.error_code(), grpc::StatusCode::DATA_LOSS) << fetched.error_message();
  EXPECT_EQ(ReasonOf(fetched), "AUDIT_STORE_TAMPERED");
  // The operator's process log names what was added.
  EXPECT_NE(gateway_->StderrText().find("index 'hide'"), std::string::npos);

  ASSERT_EQ(gateway_->Stop(), 0);
  gateway_.reset();
  const std::string config = testing::WriteConfig(dir_, testing::PoliciesDir());
  testing::ExitResult refused =
      testing::RunToExit(testing::GatewayBinary(), {"--config", config, "--listen", "127.0.0.1:0"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.stderr_text.find("the audit store's schema was altered: index 'hide'"),
            std::string::npos)
      << refused.stderr_text;
}

TEST_F(AuditServiceTest, AWitnessCosignsAGrowingLogAndRefusesARolledBackOrForkedOne) {
  // The witness's own key, and the log key it is told to trust.
  const std::string witness_key = dir_.File("witness.pem");
  ASSERT_EQ(testing::RunToExit("/usr/bin/openssl",
                               {"genpkey", "-algorithm", "ed25519", "-out", witness_key})
                .exit_code,
            0);
  const audit::CheckpointSigner log_signer(
      "ketenpoort.localhost/audit",
      *crypto::Ed25519PrivateKey::FromPemFile(testing::CertsDir() + "/checkpoint.key"));
  const std::string log_key = dir_.Write("log.vkey", log_signer.VerifierKey());
  const std::string witness_vkey = dir_.Write(
      "witness.vkey",
      audit::WitnessSigner("witness.test", *crypto::Ed25519PrivateKey::FromPemFile(witness_key))
          .VerifierKey());
  const std::string state = dir_.File("witness.state");
  auto witness = [&](bool init = false) {
    std::vector<std::string> args = {
        "audit",     "witness",      "--as",          "autoriteit-persoonsgegevens",
        "--log-key", "@" + log_key,  "--witness-key", witness_key,
        "--name",    "witness.test", "--state",       state};
    if (init) args.push_back("--init");
    return Ketenctl(args);
  };
  // Without state, only an explicit --init starts it.
  EXPECT_NE(witness().exit_code, 0);
  testing::ExitResult first = witness(/*init=*/true);
  ASSERT_EQ(first.exit_code, 0) << first.stderr_text;
  EXPECT_NE(witness(/*init=*/true).exit_code, 0) << "--init never overwrites state";
  ASSERT_TRUE(Fetch(linked_).ok());
  testing::ExitResult second = witness();
  ASSERT_EQ(second.exit_code, 0) << second.stderr_text;
  const int64_t cosigned_size = [&] {
    auto opened = audit::CheckpointVerifier::FromVerifierKey(log_signer.VerifierKey())
                      ->Open(testing::ReadFile(state));
    return opened.ok() ? static_cast<int64_t>(opened->size) : -1;
  }();
  EXPECT_GT(cosigned_size, 0);
  testing::ExitResult checked = testing::RunToExit(
      testing::KetenctlBinary(), {"audit", "cosigned", "--log-key", "@" + log_key,
                                  "--witness-verifier-key", "@" + witness_vkey, state});
  EXPECT_EQ(checked.exit_code, 0) << checked.stderr_text;

  // Another store under the same key: first smaller than what was
  // cosigned, then larger, but never an extension of it.
  ASSERT_EQ(gateway_->Stop(), 0);
  gateway_.reset();
  testing::TempDir other;
  ASSERT_TRUE(synthetic::WriteFixtureDatabase(other.File("fixtures.db"), kSeed, 20).ok());
  std::string error;
  gateway_ = testing::GatewayProcess::Start(testing::WriteConfig(other, testing::PoliciesDir()),
                                            other.path().string(), &error);
  ASSERT_NE(gateway_, nullptr) << error;
  testing::ExitResult rolled_back = witness();
  EXPECT_EQ(rolled_back.exit_code, 1);
  EXPECT_NE(rolled_back.stderr_text.find("WITNESS_ROLLBACK"), std::string::npos)
      << rolled_back.stderr_text;
  for (int64_t i = 0; i <= cosigned_size; ++i) Fetch(linked_).IgnoreError();
  testing::ExitResult forked = witness();
  EXPECT_EQ(forked.exit_code, 1);
  EXPECT_NE(forked.stderr_text.find("WITNESS_FORK"), std::string::npos) << forked.stderr_text;
  // The state still holds the last checkpoint that was a true extension.
  EXPECT_EQ(testing::RunToExit(testing::KetenctlBinary(),
                               {"audit", "cosigned", "--log-key", "@" + log_key,
                                "--witness-verifier-key", "@" + witness_vkey, state})
                .exit_code,
            0);
}

}  // namespace
}  // namespace ketenpoort
