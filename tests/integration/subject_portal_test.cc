// What the person sees at the subject portal, through the real gateway:
// who may see which of their data now, following their facts as they
// change (issue 24, must-have 5), and an access report that carries its
// own proof, checked offline by `ketenctl audit verify-report` (must-have 6).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/audit/checkpoint.h"
#include "gateway/audit/merkle.h"
#include "tests/support/partner_calls.h"
#include "tests/support/test_paths.h"

namespace ketenpoort {
namespace {

using testing::DateFromToday;
using testing::GatewayProcess;
using testing::ReasonOf;
using testing::Who;
using v1::AuditEntry;
using Line = v1::WhoMaySeeResponse::Line;

constexpr uint64_t kSeed = 47;
constexpr uint64_t kPersons = 6;
constexpr char kGp[] = "huisartsenpraktijk-woerden";
constexpr char kDossier[] = "gca.MedicalDossier";

class SubjectPortalTest : public testing::PartnerCallsTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, kPersons).ok());
    const synthetic::SyntheticPopulation population(kSeed);
    subject_ = population.Person(0).v_number;
    other_ = population.Person(1).v_number;
    std::string error;
    gateway_ = GatewayProcess::Start(
        testing::WriteConfig(dir_, testing::PoliciesDir(), testing::ChainSources()),
        dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;
    ASSERT_TRUE(testing::LinkToMunicipality(gateway_->address(), subject_, "0632",
                                            DateFromToday(-30), DateFromToday(7))
                    .ok());
  }

  static Who Portal(const std::string& id) { return {"inzageportaal", "", id}; }

  grpc::Status WhoMaySee(const Who& who, const std::string& subject, const std::string& language,
                         v1::WhoMaySeeResponse* response) {
    v1::WhoMaySeeRequest request;
    request.set_subject_id(subject);
    request.set_language(language);
    grpc::ClientContext context;
    Prepare(context, who);
    return v1::ConsentService::NewStub(Channel(who.partner))
        ->WhoMaySee(&context, request, response);
  }
  v1::WhoMaySeeResponse Seen(const std::string& language = "en") {
    v1::WhoMaySeeResponse response;
    const grpc::Status status = WhoMaySee(Portal(subject_), subject_, language, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
  static const Line* Find(const v1::WhoMaySeeResponse& seen, Line::Access access,
                          const std::string& partner, const std::string& record_type) {
    for (const Line& line : seen.lines()) {
      if (line.access() == access && line.partner_id() == partner &&
          line.record_type() == record_type) {
        return &line;
      }
    }
    return nullptr;
  }

  testing::ExitResult Ketenctl(std::vector<std::string> args) {
    args.insert(args.end(), {"--addr", gateway_->address(), "--certs-dir", testing::CertsDir()});
    return testing::RunToExit(testing::KetenctlBinary(), args);
  }
  testing::ExitResult VerifyReport(const std::string& file) {
    return testing::RunToExit(testing::KetenctlBinary(),
                              {"audit", "verify-report", "--report", file, "--signing-key",
                               testing::CertsDir() + "/checkpoint.key", "--messages",
                               testing::PoliciesDir() + "/messages"});
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string subject_, other_;
};

TEST_F(SubjectPortalTest, WhoMaySeeFollowsThePersonsFactsAsTheyChange) {
  // Linked to Woerden: the municipality sees some of their data now; the
  // GP of Woerden is not their GP, and no other municipality sees anything.
  v1::WhoMaySeeResponse seen = Seen();
  EXPECT_EQ(seen.language(), "en");
  EXPECT_FALSE(seen.policy_version().empty());
  bool woerden = false;
  for (const Line& line : seen.lines()) {
    EXPECT_NE(line.partner_id(), "gemeente-utrecht") << line.text();
    woerden = woerden || (line.access() == Line::NOW && line.partner_id() == "gemeente-woerden");
    EXPECT_FALSE(line.text().empty());
    EXPECT_EQ(line.text().find('{'), std::string::npos) << line.text();
  }
  EXPECT_TRUE(woerden);
  EXPECT_EQ(Find(seen, Line::WITH_PERMISSION, kGp, kDossier), nullptr);

  // Registered with the GP: the medical file needs the person's permission.
  ASSERT_TRUE(testing::RegisterWithGp(gateway_->address(), subject_, kGp).ok());
  seen = Seen();
  const Line* asks = Find(seen, Line::WITH_PERMISSION, kGp, kDossier);
  ASSERT_NE(asks, nullptr);
  EXPECT_NE(asks->text().find("only if you give permission"), std::string::npos) << asks->text();

  // The person gives it at the portal: the GP may see it now, until twelve
  // weeks after the move, because they gave permission.
  Granted(Portal(subject_), ConsentFor(subject_, kGp, v1::CONTINUITY_OF_CARE, {kDossier}));
  seen = Seen();
  const Line* sees = Find(seen, Line::NOW, kGp, kDossier);
  ASSERT_NE(sees, nullptr);
  EXPECT_EQ(sees->legal_basis(), "consent");
  EXPECT_EQ(sees->until_date(), DateFromToday(7 + 12 * 7));
  EXPECT_NE(sees->text().find("because you gave permission"), std::string::npos) << sees->text();
  EXPECT_EQ(Find(seen, Line::WITH_PERMISSION, kGp, kDossier), nullptr);
  // ... which the gateway does.
  EXPECT_TRUE(Get({kGp, "huisarts", ""}, subject_, kDossier, v1::CONTINUITY_OF_CARE).ok());

  // An objection closes it again, and says so.
  Granted(Portal(subject_),
          ConsentFor(subject_, kGp, v1::CONTINUITY_OF_CARE, {kDossier}, v1::OBJECTION));
  seen = Seen();
  EXPECT_EQ(Find(seen, Line::NOW, kGp, kDossier), nullptr);
  EXPECT_NE(Find(seen, Line::OBJECTED, kGp, kDossier), nullptr);
  EXPECT_FALSE(Get({kGp, "huisarts", ""}, subject_, kDossier, v1::CONTINUITY_OF_CARE).ok());

  // In Arabic, marked right to left; the same lines.
  const v1::WhoMaySeeResponse arabic = Seen("ar");
  EXPECT_EQ(arabic.direction(), "rtl");
  EXPECT_EQ(arabic.lines_size(), seen.lines_size());
  EXPECT_NE(arabic.title(), seen.title());

  // Each look is a use of the person's data: it is in their report.
  v1::SubjectAccessReport report;
  ASSERT_TRUE(Report(Portal(subject_), subject_, &report).ok());
  int looked = 0;
  for (const auto& line : report.accesses()) looked += line.kind() == "VISIBILITY_VIEWED";
  EXPECT_EQ(looked, 5);
}

TEST_F(SubjectPortalTest, OnlyThePersonAndTheSupervisorAreToldWhoMaySee) {
  v1::WhoMaySeeResponse seen;
  EXPECT_TRUE(WhoMaySee({"autoriteit-persoonsgegevens", "", ""}, subject_, "nl", &seen).ok());
  const std::vector<std::pair<Who, std::string>> refused = {
      {{kGp, "huisarts", ""}, subject_},
      {{"gemeente-woerden", "maatschappelijk-begeleider", ""}, subject_},
      {{"fg-gemeente-woerden", "privacy_officer", ""}, subject_},
      {Portal(other_), subject_},
      {Portal(""), subject_},
  };
  for (const auto& [who, subject] : refused) {
    const uint64_t before = NewestIndex();
    const grpc::Status status = WhoMaySee(who, subject, "nl", &seen);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << testing::Name(who);
    EXPECT_EQ(ReasonOf(status), "NOT_THE_SUBJECT") << testing::Name(who);
    EXPECT_EQ(NewestIndex(), before + 1) << "the refusal is audited";
    EXPECT_EQ(Newest().decision(), AuditEntry::DENY);
    EXPECT_EQ(Newest().event(), AuditEntry::VISIBILITY_VIEWED);
  }
  EXPECT_EQ(ReasonOf(WhoMaySee(Portal(subject_), subject_, "xx", &seen)), "UNKNOWN_LANGUAGE");
  EXPECT_EQ(ReasonOf(WhoMaySee(Portal(subject_), "not-an-id", "nl", &seen)), "INVALID_SUBJECT_ID");
}

TEST_F(SubjectPortalTest, AReportSavedWithProofsVerifiesOfflineAndAnAlteredOneDoesNot) {
  ASSERT_TRUE(Get({"gemeente-woerden", "werkconsulent", ""}, subject_, "noa.Assessment",
                  v1::WORK_REINTEGRATION)
                  .ok());
  EXPECT_FALSE(Get({"gemeente-utrecht", "werkconsulent", ""}, subject_, "noa.Assessment",
                   v1::WORK_REINTEGRATION)
                   .ok());
  const std::string saved = dir_.File("report.json");
  const testing::ExitResult made =
      Ketenctl({"audit", "report", "--as", "inzageportaal", "--signed-in-as", subject_, "--subject",
                subject_, "--lang", "ti", "--with-proofs", "--out", saved});
  ASSERT_EQ(made.exit_code, 0) << made.stderr_text;
  const nlohmann::json report = nlohmann::json::parse(Read(saved));
  ASSERT_GE(report["lines"].size(), 3u);  // koppeling, a permitted and a refused read
  EXPECT_EQ(report["language"], "ti");
  ASSERT_EQ(report["subject_pseudonyms"].size(), 1u);
  const testing::ExitResult verified = VerifyReport(saved);
  EXPECT_EQ(verified.exit_code, 0) << verified.stderr_text;
  // (stderr_text holds both of its output streams.)
  EXPECT_NE(verified.stderr_text.find("does not prove that no entry was left out"),
            std::string::npos)
      << verified.stderr_text;

  // Each way of altering it is caught.
  // Exit 1: a report that does not match the log; 2: not a report at all.
  auto altered = [&](const std::string& name, const std::function<void(nlohmann::json&)>& change,
                     int exit_code = 1) {
    nlohmann::json copy = report;
    change(copy);
    const std::string path = dir_.File(name + ".json");
    dir_.Write(name + ".json", copy.dump());
    const testing::ExitResult result = VerifyReport(path);
    EXPECT_EQ(result.exit_code, exit_code) << name << ": " << result.stderr_text;
  };
  altered("earlier-time", [](nlohmann::json& r) {
    r["lines"][1]["time_unix_micros"] = r["lines"][1]["time_unix_micros"].get<int64_t>() - 1;
  });
  altered("other-organisation",
          [](nlohmann::json& r) { r["lines"][1]["organisation"] = "Gemeente Utrecht"; });
  altered("other-event", [](nlohmann::json& r) { r["lines"][1]["kind"] = "LISTED"; });
  // The words are checked against the entry, re-rendered in its language.
  altered("other-text", [](nlohmann::json& r) {
    r["lines"][1]["text"] = r["lines"][0]["text"].get<std::string>();
  });
  altered("other-language", [](nlohmann::json& r) { r["language"] = "en"; });
  // The entries must be about the report's person.
  altered("other-person", [](nlohmann::json& r) {
    std::string pseudonym = r["subject_pseudonyms"][0];
    pseudonym[0] = pseudonym[0] == 'a' ? 'b' : 'a';
    r["subject_pseudonyms"][0] = pseudonym;
  });
  altered("three-people", [](nlohmann::json& r) {
    r["subject_pseudonyms"].push_back("ab");
    r["subject_pseudonyms"].push_back("cd");
  });
  // The person is named in the checkpoint, under the log's signature.
  altered("unsigned-subject", [](nlohmann::json& r) {
    std::string note = r["checkpoint"];
    const size_t named = note.find("ketenpoort-report-subject ");
    note.erase(named, note.find('\n', named) + 1 - named);
    r["checkpoint"] = note;
  });
  // Another person's lines, with their own valid proofs and checkpoint,
  // do not pass as this person's.
  EXPECT_FALSE(Get({"gemeente-utrecht", "werkconsulent", ""}, other_, "noa.Assessment",
                   v1::WORK_REINTEGRATION)
                   .ok());
  const std::string theirs = dir_.File("theirs.json");
  ASSERT_EQ(Ketenctl({"audit", "report", "--as", "autoriteit-persoonsgegevens", "--subject", other_,
                      "--lang", "ti", "--with-proofs", "--out", theirs})
                .exit_code,
            0);
  const nlohmann::json other_report = nlohmann::json::parse(Read(theirs));
  ASSERT_FALSE(other_report["lines"].empty());
  altered("their-lines-my-checkpoint",
          [&](nlohmann::json& r) { r["lines"] = other_report["lines"]; });
  altered("my-lines-their-checkpoint", [&](nlohmann::json& r) {
    r["checkpoint"] = other_report["checkpoint"];
    r["tree_size"] = other_report["tree_size"];
    r["subject_pseudonyms"] = other_report["subject_pseudonyms"];
  });
  altered("moved-line", [](nlohmann::json& r) { std::swap(r["lines"][0], r["lines"][1]); });
  altered("repeated-line", [](nlohmann::json& r) { r["lines"].push_back(r["lines"][0]); });
  altered("other-entry",
          [](nlohmann::json& r) { r["lines"][1]["entry"] = r["lines"][0]["entry"]; });
  altered("short-proof", [](nlohmann::json& r) { r["lines"][0]["inclusion_proof"].erase(0); });
  altered("other-checkpoint", [](nlohmann::json& r) {
    std::string note = r["checkpoint"];
    note[note.find('\n') + 1] = note[note.find('\n') + 1] == '1' ? '2' : '1';  // the size
    r["checkpoint"] = note;
  });
  altered(
      "not-a-report", [](nlohmann::json& r) { r.erase("checkpoint"); }, 2);
}

// A break-glass access and its review both reach the person's report; a
// review is the reviewer's to make only for an access it may see.
TEST_F(SubjectPortalTest, ABreakGlassReviewStandsInTheReportWithWhatItFound) {
  v1::GetRecordRequest emergency;
  emergency.set_subject_id(subject_);
  emergency.set_record_type("coa.Koppeling");
  emergency.set_purpose(v1::CONTINUITY_OF_CARE);
  emergency.set_break_glass(true);
  emergency.set_break_glass_justification("bewusteloos binnengebracht");
  {
    grpc::ClientContext context;
    Prepare(context, {kGp, "huisarts", ""});
    v1::GetRecordResponse record;
    ASSERT_TRUE(
        v1::DossierService::NewStub(Channel(kGp))->GetRecord(&context, emergency, &record).ok());
  }
  const uint64_t access = NewestIndex();
  ASSERT_TRUE(EntryAt(access).review_required());

  auto review = [&](const Who& who, uint64_t index, AuditEntry::Verdict verdict) {
    v1::ReviewBreakGlassRequest request;
    request.set_index(index);
    request.set_verdict(verdict);
    request.set_note("dossier nagelopen");
    grpc::ClientContext context;
    Prepare(context, who);
    v1::ReviewBreakGlassResponse response;
    return v1::AuditService::NewStub(Channel(who.partner))
        ->ReviewBreakGlass(&context, request, &response);
  };
  const Who supervisor = {"autoriteit-persoonsgegevens", "", ""};
  // Not the GP's privacy officer: as if there were no such entry.
  EXPECT_EQ(ReasonOf(review({"fg-gemeente-woerden", "privacy_officer", ""}, access,
                            AuditEntry::JUSTIFIED)),
            "NO_SUCH_ENTRY");
  EXPECT_EQ(ReasonOf(review(supervisor, access, AuditEntry::VERDICT_UNSPECIFIED)), "BAD_VERDICT");
  EXPECT_EQ(ReasonOf(review(supervisor, 1, AuditEntry::JUSTIFIED)), "NOT_BREAK_GLASS");
  EXPECT_EQ(ReasonOf(review(Portal(subject_), access, AuditEntry::JUSTIFIED)),
            "AUDIT_READ_NOT_ENTITLED");
  ASSERT_TRUE(review(supervisor, access, AuditEntry::NOT_JUSTIFIED).ok());
  const AuditEntry reviewed = Newest();
  EXPECT_EQ(reviewed.event(), AuditEntry::BREAK_GLASS_REVIEWED);
  EXPECT_EQ(reviewed.reviewed_index(), access);
  EXPECT_EQ(reviewed.review_verdict(), AuditEntry::NOT_JUSTIFIED);
  EXPECT_EQ(reviewed.subject_pseudonym(), EntryAt(access).subject_pseudonym());

  v1::SubjectAccessReport report;
  ASSERT_TRUE(Report(Portal(subject_), subject_, &report).ok());
  bool used = false, found = false;
  for (const auto& line : report.accesses()) {
    if (line.audit_index() == access) {
      used = line.text().find("health or life seemed to be in danger") != std::string::npos;
    }
    if (line.audit_index() == reviewed.index()) {
      found = line.kind() == "BREAK_GLASS_REVIEWED" &&
              line.text().find("It was not right.") != std::string::npos;
    }
  }
  EXPECT_TRUE(used) << "the emergency access, with its basis";
  EXPECT_TRUE(found) << "the review, with what it found";
}

// A long report comes in pages; every page's proofs lead to the checkpoint
// the first page carried, though the log grows between pages.
TEST_F(SubjectPortalTest, EveryPageProvesAgainstTheFirstPagesCheckpoint) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Get({"gemeente-woerden", "werkconsulent", ""}, subject_, "noa.Assessment",
                    v1::WORK_REINTEGRATION)
                    .ok());
  }
  const testing::ExitResult pinned = testing::RunToExit(
      testing::KetenctlBinary(),
      {"audit", "verifier-key", "--signing-key", testing::CertsDir() + "/checkpoint.key"});
  ASSERT_EQ(pinned.exit_code, 0) << pinned.stderr_text;
  auto key = audit::CheckpointVerifier::FromVerifierKey(
      pinned.stderr_text.substr(0, pinned.stderr_text.find('\n')));
  ASSERT_TRUE(key.ok()) << key.status();

  v1::SubjectAccessReportRequest request;
  request.set_subject_id(subject_);
  request.set_with_proofs(true);
  request.set_page_size(2);
  std::optional<audit::Checkpoint> signed_at;
  size_t lines = 0;
  do {
    grpc::ClientContext context;
    Prepare(context, Portal(subject_));
    v1::SubjectAccessReport page;
    ASSERT_TRUE(v1::AuditService::NewStub(Channel("inzageportaal"))
                    ->GetSubjectAccessReport(&context, request, &page)
                    .ok());
    if (!signed_at) {
      auto opened = key->Open(page.checkpoint());
      ASSERT_TRUE(opened.ok()) << opened.status();
      signed_at = *opened;
      EXPECT_EQ(signed_at->size, page.tree_size());
    } else {
      EXPECT_TRUE(page.checkpoint().empty()) << "only the first page carries it";
    }
    for (const auto& line : page.accesses()) {
      std::vector<audit::merkle::Hash> path;
      for (const std::string& bytes : line.inclusion_proof()) {
        audit::merkle::Hash hash{};
        ASSERT_EQ(bytes.size(), hash.size());
        std::copy(bytes.begin(), bytes.end(), hash.begin());
        path.push_back(hash);
      }
      EXPECT_TRUE(audit::merkle::VerifyInclusion(line.audit_index() - 1, signed_at->size,
                                                 audit::merkle::HashLeaf(line.entry_bytes()), path,
                                                 signed_at->root))
          << "entry " << line.audit_index();
      ++lines;
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  EXPECT_GE(lines, 6u);  // the koppeling and the five reads
}

}  // namespace
}  // namespace ketenpoort
