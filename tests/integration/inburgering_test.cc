// Inburgering for municipalities end to end: ListProgress and Aggregate on
// the real gateway (loopback, real certificates), over the projection it
// builds from the fixture sources. Woerden has 40 linked persons, Utrecht
// 3: too few to count.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/audit/pseudonymizer.h"
#include "gateway/common/crypto.h"
#include "ketenpoort/v1/audit_entry.pb.h"
#include "ketenpoort/v1/inburgering.grpc.pb.h"
#include "tests/support/chain_steps.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"
#include "tests/support/linked_table_attack.h"
#include "tests/support/small_cell_attack.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort {
namespace {

using testing::ChannelAs;
using testing::DateFromToday;
using testing::GatewayProcess;
using testing::ReasonOf;

constexpr uint64_t kSeed = 31;
constexpr uint64_t kPersons = 60;
constexpr int kWoerden = 40;  // persons 0..39
constexpr int kUtrecht = 3;   // persons 40..42
constexpr int kThreshold = 5;
// Aggregates are published every two seconds here (daily in production),
// so a test can see the next publication.
constexpr int kPeriodSeconds = 2;
constexpr char kOfficer[] = "klantmanager-inburgering";
constexpr char kPolicyOfficer[] = "beleidsmedewerker";

class InburgeringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir_.File("fixtures.db"), kSeed, kPersons).ok());
    std::string error;
    gateway_ = GatewayProcess::Start(
        testing::WriteConfig(dir_, testing::PoliciesDir(),
                             testing::ChainSources() + "inburgering:\n  small_cell_threshold: " +
                                 std::to_string(kThreshold) + "\n  publish_every_seconds: " +
                                 std::to_string(kPeriodSeconds) + "\n"),
        dir_.path().string(), &error);
    ASSERT_NE(gateway_, nullptr) << error;
    const synthetic::SyntheticPopulation population(kSeed);
    for (int i = 0; i < kWoerden + kUtrecht; ++i) {
      synthetic::SyntheticPerson person = population.Person(static_cast<uint64_t>(i));
      ASSERT_TRUE(Link(person.v_number, i < kWoerden ? "0632" : "0344").ok());
      (i < kWoerden ? woerden_ : utrecht_).push_back(std::move(person));
    }
    // The projection follows koppelingen in the background.
    WaitForPersons("gemeente-woerden", kWoerden);
    WaitForPersons("gemeente-utrecht", kUtrecht);
  }

  void TearDown() override {
    if (!gateway_) return;
    EXPECT_EQ(gateway_->Stop(), 0) << gateway_->StderrText();
    const std::string log = gateway_->StderrText();
    for (const auto& person : woerden_) {
      EXPECT_EQ(log.find(person.v_number), std::string::npos) << "a subject id in the log";
    }
  }

  grpc::Status Link(const std::string& subject, const std::string& municipality,
                    int move_in_days = 7) {
    return testing::LinkToMunicipality(gateway_->address(), subject, municipality,
                                       DateFromToday(-30), DateFromToday(move_in_days));
  }

  std::unique_ptr<v1::InburgeringService::Stub> Stub(const std::string& partner) {
    return v1::InburgeringService::NewStub(ChannelAs(gateway_->address(), partner));
  }

  static void Prepare(grpc::ClientContext& context, const std::string& role) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", "medewerker-12");
    context.AddMetadata("x-actor-role", role);
  }

  grpc::Status List(const std::string& partner, v1::ListProgressRequest request,
                    v1::ListProgressResponse* response, const std::string& role = kOfficer) {
    if (request.purpose() == v1::PURPOSE_UNSPECIFIED) request.set_purpose(v1::CIVIC_INTEGRATION);
    grpc::ClientContext context;
    Prepare(context, role);
    return Stub(partner)->ListProgress(&context, request, response);
  }

  grpc::Status GetProgress(const std::string& partner, const std::string& subject,
                           v1::Purpose purpose) {
    v1::GetProgressRequest request;
    request.set_subject_id(subject);
    request.set_purpose(purpose);
    grpc::ClientContext context;
    Prepare(context, kOfficer);
    v1::Progress progress;
    return Stub(partner)->GetProgress(&context, request, &progress);
  }

  // Every subject on every page, following the tokens.
  std::vector<std::string> ListAll(const std::string& partner, v1::ListProgressRequest request,
                                   const std::function<void()>& between_pages = {}) {
    std::vector<std::string> subjects;
    do {
      v1::ListProgressResponse page;
      const grpc::Status status = List(partner, request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const auto& person : page.persons()) subjects.push_back(person.subject_id());
      request.set_page_token(page.next_page_token());
      if (between_pages) between_pages();
    } while (!request.page_token().empty());
    return subjects;
  }

  void WaitForPersons(const std::string& partner, size_t expected) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    v1::ListProgressRequest request;
    request.set_page_size(500);
    while (std::chrono::steady_clock::now() < give_up) {
      v1::ListProgressResponse page;
      if (List(partner, request, &page).ok() && page.persons_size() == static_cast<int>(expected)) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << partner << " never saw its " << expected << " persons in the projection";
  }

  grpc::Status Aggregate(const std::string& partner, v1::AggregateDimension dimension,
                         v1::AggregateResponse* response, v1::Purpose purpose = v1::STATISTICS,
                         const std::string& role = kPolicyOfficer) {
    v1::AggregateRequest request;
    request.set_dimension(dimension);
    request.set_purpose(purpose);
    grpc::ClientContext context;
    Prepare(context, role);
    return Stub(partner)->Aggregate(&context, request, response);
  }

  // The true counts of the Woerden persons, from the generator itself.
  std::map<std::string, std::map<std::string, int64_t>> TrueCounts(
      v1::AggregateDimension dimension) const {
    std::map<std::string, std::map<std::string, int64_t>> counts;  // row -> label -> count
    for (const auto& person : woerden_) {
      const auto& status = person.inburgering;
      switch (dimension) {
        case v1::STAGE:
          ++counts[""][status.stage()];
          break;
        case v1::PROVIDER:
          ++counts[""][status.provider().empty() ? "geen aanbieder" : status.provider()];
          break;
        case v1::NATIONALITY:
          ++counts[""][person.koppeling.nationality()];
          break;
        case v1::EXAM_COMPONENT: {
          std::set<std::string> listed;
          for (const auto& exam : status.exam_components()) {
            ++counts[exam.component()][exam.status()];
            listed.insert(exam.component());
          }
          for (const char* component :
               {"lezen", "luisteren", "schrijven", "spreken", "KNM", "ONA", "PVT"}) {
            if (listed.count(component) == 0) ++counts[component]["geen gegevens"];
          }
          break;
        }
        default:
          break;
      }
    }
    return counts;
  }

  testing::TempDir dir_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::vector<synthetic::SyntheticPerson> woerden_;
  std::vector<synthetic::SyntheticPerson> utrecht_;
};

std::set<std::string> SubjectsOf(const std::vector<synthetic::SyntheticPerson>& persons) {
  std::set<std::string> out;
  for (const auto& person : persons) out.insert(person.v_number);
  return out;
}

TEST_F(InburgeringTest, AMunicipalitySeesOnlyThePersonsLinkedToItInEveryCall) {
  v1::ListProgressRequest request;
  request.set_page_size(9);
  const std::vector<std::string> woerden = ListAll("gemeente-woerden", request);
  EXPECT_EQ(std::set<std::string>(woerden.begin(), woerden.end()), SubjectsOf(woerden_));
  const std::vector<std::string> utrecht = ListAll("gemeente-utrecht", request);
  EXPECT_EQ(std::set<std::string>(utrecht.begin(), utrecht.end()), SubjectsOf(utrecht_));

  // Counts: Woerden's total is its own persons only.
  v1::AggregateResponse counts;
  ASSERT_TRUE(Aggregate("gemeente-woerden", v1::STAGE, &counts).ok());
  ASSERT_EQ(counts.tables_size(), 1);
  EXPECT_EQ(counts.tables(0).total(), kWoerden);

  // One person: Woerden cannot ask about someone linked to Utrecht.
  const grpc::Status status =
      GetProgress("gemeente-woerden", utrecht_[0].v_number, v1::CIVIC_INTEGRATION);
  EXPECT_EQ(ReasonOf(status), "NOT_PERMITTED");  // Woerden is told nothing about her
}

TEST_F(InburgeringTest, AMovedPersonLeavesTheOldMunicipalitysListAtOnce) {
  v1::AggregateResponse published;
  ASSERT_TRUE(Aggregate("gemeente-woerden", v1::STAGE, &published).ok());
  ASSERT_TRUE(Link(woerden_[0].v_number, "0344").ok());
  WaitForPersons("gemeente-utrecht", kUtrecht + 1);
  v1::ListProgressRequest request;
  request.set_page_size(500);
  const std::vector<std::string> woerden = ListAll("gemeente-woerden", request);
  EXPECT_EQ(std::count(woerden.begin(), woerden.end(), woerden_[0].v_number), 0);
  // The counts are a publication: they stay as published until enough
  // persons have changed (decision 0030).
  v1::AggregateResponse counts;
  ASSERT_TRUE(Aggregate("gemeente-woerden", v1::STAGE, &counts).ok());
  EXPECT_EQ(counts.tables(0).total(), kWoerden);
  EXPECT_EQ(counts.publication().as_of_unix_micros(), published.publication().as_of_unix_micros());
}

TEST_F(InburgeringTest, EveryListedPersonIsReleasedByThePolicyAndAuditedOnTheirOwn) {
  v1::ListProgressRequest request;
  request.set_page_size(10);
  v1::ListProgressResponse page;
  ASSERT_TRUE(List("gemeente-woerden", request, &page).ok());
  ASSERT_EQ(page.persons_size(), 10);
  EXPECT_FALSE(page.next_page_token().empty());
  EXPECT_GT(page.projection_built_at_unix_micros(), 0);

  auto key = crypto::ReadKeyFile(testing::CertsDir() + "/pseudonym.key");
  ASSERT_TRUE(key.ok());
  const audit::Pseudonymizer pseudonyms(*key);
  std::map<std::string, const synthetic::SyntheticPerson*> by_subject;
  for (const auto& person : woerden_) by_subject[person.v_number] = &person;
  std::set<uint64_t> indexes;
  for (const auto& listed : page.persons()) {
    ASSERT_EQ(by_subject.count(listed.subject_id()), 1u);
    const auto& truth = by_subject[listed.subject_id()]->inburgering;
    EXPECT_EQ(listed.progress().stage(), truth.stage());
    EXPECT_EQ(listed.progress().deadline(), truth.deadline());
    EXPECT_EQ(listed.progress().provider(), truth.provider());
    EXPECT_EQ(listed.progress().components_size(), truth.exam_components_size());
    EXPECT_TRUE(listed.progress().loan_use_band().empty()) << "lists carry no loan";

    const v1::AuditEntry entry =
        testing::ReadAuditEntry(dir_.File("audit.db"), listed.audit_index());
    EXPECT_EQ(entry.method(), "/ketenpoort.v1.InburgeringService/ListProgress");
    EXPECT_EQ(entry.subject_pseudonym(), pseudonyms.Pseudonym(listed.subject_id()));
    EXPECT_EQ(entry.decision(), v1::AuditEntry::PERMIT);
    EXPECT_EQ(entry.rule_id(), "inburgering-progress-gemeente");
    EXPECT_EQ(entry.purpose(), v1::CIVIC_INTEGRATION);
    EXPECT_EQ(entry.actor_id(), "medewerker-12");
    indexes.insert(listed.audit_index());
  }
  EXPECT_EQ(indexes.size(), 10u) << "one entry per person";
}

TEST_F(InburgeringTest, PagingIsStableWhileKoppelingenChange) {
  const synthetic::SyntheticPopulation population(kSeed);
  uint64_t next_new = kWoerden + kUtrecht;
  size_t next_changed = 0;
  v1::ListProgressRequest request;
  request.set_page_size(7);
  const std::vector<std::string> seen = ListAll("gemeente-woerden", request, [&] {
    // Between pages COA links someone new and changes a move date, both
    // refreshing the projection while the list is being read.
    if (next_new < kPersons) {
      ASSERT_TRUE(Link(population.Person(next_new++).v_number, "0632").ok());
    }
    ASSERT_TRUE(Link(woerden_[next_changed++ % woerden_.size()].v_number, "0632", 14).ok());
  });
  const std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "someone was listed twice";
  for (const auto& person : woerden_) {
    EXPECT_EQ(unique.count(person.v_number), 1u) << "someone linked throughout was skipped";
  }
}

TEST_F(InburgeringTest, FiltersSelectAndBadRequestsAreRefusedClearly) {
  std::map<std::string, std::set<std::string>> by_stage;
  for (const auto& person : woerden_) by_stage[person.inburgering.stage()].insert(person.v_number);
  for (const auto& [stage, subjects] : by_stage) {
    v1::ListProgressRequest request;
    request.set_stage(stage);
    const std::vector<std::string> listed = ListAll("gemeente-woerden", request);
    EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), subjects) << stage;
  }

  v1::ListProgressResponse page;
  v1::ListProgressRequest bad;
  bad.set_stage("bijna klaar");
  EXPECT_EQ(ReasonOf(List("gemeente-woerden", bad, &page)), "UNKNOWN_STAGE");
  bad.Clear();
  bad.set_deadline_band("morgen");
  EXPECT_EQ(ReasonOf(List("gemeente-woerden", bad, &page)), "UNKNOWN_DEADLINE_BAND");
  bad.Clear();
  bad.set_page_size(501);
  EXPECT_EQ(ReasonOf(List("gemeente-woerden", bad, &page)), "BAD_PAGE_SIZE");
  bad.Clear();
  bad.set_page_token("AAAA");
  const grpc::Status token = List("gemeente-woerden", bad, &page);
  EXPECT_EQ(token.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(token), "BAD_PAGE_TOKEN");
}

TEST_F(InburgeringTest, PurposesOtherThanTheAllowedOnesAreDenied) {
  v1::ListProgressResponse page;
  v1::ListProgressRequest list;
  list.set_purpose(v1::STATISTICS);
  EXPECT_EQ(ReasonOf(List("gemeente-woerden", list, &page)), "AGGREGATE_ONLY");
  list.set_purpose(v1::HOUSING);
  EXPECT_EQ(ReasonOf(List("gemeente-woerden", list, &page)), "NO_RULE");
  list.set_purpose(v1::CIVIC_INTEGRATION);
  EXPECT_EQ(ReasonOf(List("gemeente-woerden", list, &page, "woonconsulent")), "ACTOR_ROLE");

  EXPECT_EQ(ReasonOf(GetProgress("gemeente-woerden", woerden_[0].v_number, v1::STATISTICS)),
            "AGGREGATE_ONLY");

  v1::AggregateResponse counts;
  EXPECT_EQ(ReasonOf(Aggregate("gemeente-woerden", v1::STAGE, &counts, v1::CIVIC_INTEGRATION)),
            "STATISTICS_ONLY");
  const grpc::Status unspecified =
      Aggregate("gemeente-woerden", v1::STAGE, &counts, v1::PURPOSE_UNSPECIFIED);
  EXPECT_EQ(unspecified.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(
      ReasonOf(Aggregate("gemeente-woerden", v1::STAGE, &counts, v1::STATISTICS, "werkconsulent")),
      "ACTOR_ROLE");
  EXPECT_EQ(ReasonOf(Aggregate("ggd-regio-utrecht", v1::STAGE, &counts)), "NO_RULE");

  // The refusal is on record too.
  const v1::AuditEntry entry = testing::ReadAuditEntry(dir_.File("audit.db"));
  EXPECT_EQ(entry.method(), "/ketenpoort.v1.InburgeringService/Aggregate");
  EXPECT_EQ(entry.decision(), v1::AuditEntry::DENY);
}

TEST_F(InburgeringTest, NoSuppressedCellOfAnyDimensionCanBeReconstructed) {
  int small_cells = 0;
  for (v1::AggregateDimension dimension :
       {v1::STAGE, v1::PROVIDER, v1::EXAM_COMPONENT, v1::DEADLINE_BAND, v1::NATIONALITY}) {
    SCOPED_TRACE(v1::AggregateDimension_Name(dimension));
    v1::AggregateResponse counts;
    const grpc::Status status = Aggregate("gemeente-woerden", dimension, &counts);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(counts.threshold(), kThreshold);
    const auto truth = TrueCounts(dimension);
    for (const v1::AggregateTable& table : counts.tables()) {
      ASSERT_EQ(table.total(), kWoerden) << "every table counts the same persons";
      bool withheld = true;
      std::vector<testing::SeenCell> seen;
      for (const v1::AggregateCell& cell : table.cells()) {
        withheld = withheld && (cell.disclosure() == v1::AggregateCell::SUPPRESSED ||
                                cell.disclosure() == v1::AggregateCell::WITHHELD);
        seen.push_back({cell.disclosure() == v1::AggregateCell::SHOWN ? testing::Marker::kShown
                        : cell.disclosure() == v1::AggregateCell::BELOW_THRESHOLD
                            ? testing::Marker::kBelowThreshold
                        : cell.disclosure() == v1::AggregateCell::WITHHELD
                            ? testing::Marker::kAny
                            : testing::Marker::kHidden,
                        cell.count()});
      }
      if (withheld) continue;  // nothing published but the known total
      const auto possible = testing::PossibleValues(seen, table.total(), kThreshold);
      for (int i = 0; i < table.cells_size(); ++i) {
        const v1::AggregateCell& cell = table.cells(i);
        SCOPED_TRACE(table.row() + " / " + cell.label());
        if (!truth.empty()) {
          const auto row = truth.find(table.row());
          const int64_t real = row == truth.end() || row->second.count(cell.label()) == 0
                                   ? 0
                                   : row->second.at(cell.label());
          if (cell.disclosure() == v1::AggregateCell::SHOWN) {
            EXPECT_EQ(cell.count(), real);
          }
          EXPECT_EQ(possible[static_cast<size_t>(i)].count(real), 1u)
              << "the truth must stay possible";
        }
        if (cell.disclosure() == v1::AggregateCell::BELOW_THRESHOLD) {
          ++small_cells;
          EXPECT_EQ(cell.display(), "<5");
          EXPECT_FALSE(cell.has_count());
          EXPECT_GE(possible[static_cast<size_t>(i)].size(), 2u) << "can be reconstructed";
        }
      }
    }
  }
  EXPECT_GT(small_cells, 0) << "the population should exercise the suppression";
}

testing::Marker MarkerOf(const v1::AggregateCell& cell) {
  switch (cell.disclosure()) {
    case v1::AggregateCell::SHOWN:
      return testing::Marker::kShown;
    case v1::AggregateCell::BELOW_THRESHOLD:
      return testing::Marker::kBelowThreshold;
    case v1::AggregateCell::WITHHELD:
      return testing::Marker::kAny;
    default:
      return testing::Marker::kHidden;
  }
}

// Issue 25's first attack: everything Woerden can obtain at one moment,
// every table of every dimension, attacked together by a reader's own
// integer program, and by taking a hidden "geen gegevens" from a sibling
// exam table that shows it.
TEST_F(InburgeringTest, AcrossEveryTableOfOneMomentNoSmallCountCanBeDerived) {
  std::vector<std::vector<testing::SeenCell>> seen;
  std::vector<std::string> names;
  std::vector<bool> partial;
  std::vector<v1::AggregateResponse> answers;
  answers.reserve(5);
  for (v1::AggregateDimension dimension :
       {v1::STAGE, v1::PROVIDER, v1::EXAM_COMPONENT, v1::DEADLINE_BAND, v1::NATIONALITY}) {
    v1::AggregateResponse& counts = answers.emplace_back();
    ASSERT_TRUE(Aggregate("gemeente-woerden", dimension, &counts).ok());
    const v1::AggregatePublication& about = counts.publication();
    EXPECT_TRUE(about.passed());
    EXPECT_EQ(about.tables(), 11) << "stage, provider, 7 exam components, deadline, nationality";
    EXPECT_GT(about.programs_solved(), 0);
    EXPECT_FALSE(about.method().empty());
    EXPECT_EQ(about.as_of_unix_micros(), answers.front().publication().as_of_unix_micros())
        << "one publication answers every dimension";
    for (const v1::AggregateTable& table : counts.tables()) {
      auto& row = seen.emplace_back();
      names.push_back(v1::AggregateDimension_Name(dimension) + "/" + table.row());
      partial.push_back(false);
      bool withheld = table.cells_size() > 0;
      for (const v1::AggregateCell& cell : table.cells()) {
        withheld = withheld && cell.disclosure() == v1::AggregateCell::WITHHELD;
        // Providers and nationalities, "onbekend" and "geen gegevens" are
        // listed only when someone is in them.
        const bool nonzero = dimension == v1::PROVIDER || dimension == v1::NATIONALITY ||
                             cell.label() == "onbekend" || cell.label() == "geen gegevens";
        row.push_back({MarkerOf(cell), cell.count(), nonzero});
        // The answer says what a reader can derive of a hidden cell.
        if (cell.disclosure() != v1::AggregateCell::SHOWN) {
          EXPECT_TRUE(cell.has_derivable_low() && cell.has_derivable_high()) << cell.label();
        }
      }
      // A withheld table may have left out labels that would say "at least 1".
      partial.back() = withheld;
    }
  }
  std::set<bool> no_data_shown;
  for (size_t t = 0; t < seen.size(); ++t) {
    if (names[t].rfind("EXAM_COMPONENT/", 0) != 0) continue;
    const v1::AggregateTable* table = nullptr;
    for (const auto& answer : answers) {
      for (const auto& candidate : answer.tables()) {
        if (answer.dimension() == v1::EXAM_COMPONENT &&
            "EXAM_COMPONENT/" + candidate.row() == names[t]) {
          table = &candidate;
        }
      }
    }
    ASSERT_NE(table, nullptr);
    for (const auto& cell : table->cells()) {
      if (cell.label() == "geen gegevens") {
        no_data_shown.insert(cell.disclosure() == v1::AggregateCell::SHOWN);
      }
    }
  }
  EXPECT_LE(no_data_shown.size(), 1u)
      << "\"geen gegevens\" shown in one component, hidden in another";
  const auto ranges = testing::DerivableRanges(seen, kWoerden, kThreshold, {}, partial);
  int hidden = 0;
  for (size_t t = 0; t < seen.size(); ++t) {
    for (size_t c = 0; c < seen[t].size(); ++c) {
      SCOPED_TRACE(names[t] + " cell " + std::to_string(c));
      const testing::Range range = ranges[t][c];
      ASSERT_GE(range.low, 0);
      switch (seen[t][c].marker) {
        case testing::Marker::kShown:
          EXPECT_FALSE(seen[t][c].count > 0 && seen[t][c].count < kThreshold);
          break;
        case testing::Marker::kBelowThreshold:
          ++hidden;
          EXPECT_EQ(range.low, 1);
          EXPECT_EQ(range.high, kThreshold - 1);
          break;
        default:
          ++hidden;
          EXPECT_GE(range.high - range.low + 1, kThreshold);
      }
    }
  }
  EXPECT_GT(hidden, 0) << "the population should exercise the protection";
}

// Issue 25's second attack: ask, let one known person arrive, ask again in
// the next publication. The answer must not move for one person.
TEST_F(InburgeringTest, OneArrivalDoesNotShowInTheNextPublication) {
  v1::AggregateResponse before;
  ASSERT_TRUE(Aggregate("gemeente-woerden", v1::NATIONALITY, &before).ok());
  const synthetic::SyntheticPopulation population(kSeed);
  const synthetic::SyntheticPerson arriving = population.Person(kWoerden + kUtrecht);
  ASSERT_TRUE(Link(arriving.v_number, "0632").ok());
  WaitForPersons("gemeente-woerden", kWoerden + 1);

  // Within the period: the same answer.
  v1::AggregateResponse same;
  ASSERT_TRUE(Aggregate("gemeente-woerden", v1::NATIONALITY, &same).ok());
  if (same.publication().period_start_unix_micros() ==
      before.publication().period_start_unix_micros()) {
    EXPECT_EQ(same.tables(0).SerializeAsString(), before.tables(0).SerializeAsString());
  }
  // The next publication: carried forward, word for word.
  v1::AggregateResponse after;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(4 * kPeriodSeconds);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    after.Clear();
    ASSERT_TRUE(Aggregate("gemeente-woerden", v1::NATIONALITY, &after).ok());
  } while (after.publication().period_start_unix_micros() ==
               before.publication().period_start_unix_micros() &&
           std::chrono::steady_clock::now() < give_up);
  ASSERT_GT(after.publication().period_start_unix_micros(),
            before.publication().period_start_unix_micros());
  EXPECT_TRUE(after.publication().carried_forward());
  EXPECT_EQ(after.publication().as_of_unix_micros(), before.publication().as_of_unix_micros());
  ASSERT_EQ(after.tables_size(), before.tables_size());
  for (int t = 0; t < after.tables_size(); ++t) {
    EXPECT_EQ(after.tables(t).SerializeAsString(), before.tables(t).SerializeAsString())
        << "the arrival shows";
  }
}

TEST_F(InburgeringTest, PassRatesAreShownOnlyOverEnoughResults) {
  v1::AggregateResponse counts;
  ASSERT_TRUE(Aggregate("gemeente-woerden", v1::PROVIDER, &counts).ok());
  std::map<std::string, std::pair<int64_t, int64_t>> results;  // provider -> passed, failed
  for (const auto& person : woerden_) {
    for (const auto& exam : person.inburgering.exam_components()) {
      auto& [passed, failed] = results[person.inburgering.provider()];
      if (exam.status() == "behaald") ++passed;
      if (exam.status() == "niet behaald") ++failed;
    }
  }
  for (const v1::AggregateCell& cell : counts.tables(0).cells()) {
    const auto [passed, failed] = results[cell.label()];
    const bool small = (passed > 0 && passed < kThreshold) || (failed > 0 && failed < kThreshold) ||
                       passed + failed < kThreshold;
    if (cell.disclosure() != v1::AggregateCell::SHOWN || small) {
      EXPECT_FALSE(cell.has_pass_rate_percent()) << cell.label();
    } else {
      ASSERT_TRUE(cell.has_pass_rate_percent()) << cell.label();
      EXPECT_NEAR(cell.pass_rate_percent(), 100.0 * passed / (passed + failed), 0.5);
    }
  }
}

TEST_F(InburgeringTest, KetenctlPrintsTheMunicipalitysOverview) {
  const testing::ExitResult overview = testing::RunToExit(
      testing::KetenctlBinary(), {"inburgering", "overview", "--as", "gemeente-woerden", "--addr",
                                  gateway_->address(), "--certs-dir", testing::CertsDir()});
  ASSERT_EQ(overview.exit_code, 0) << overview.stderr_text;
  const std::string& text = overview.stderr_text;  // stdout and stderr together
  EXPECT_NE(text.find("gemeente-woerden: 40 persons"), std::string::npos) << text;
  EXPECT_NE(text.find("By stage"), std::string::npos) << text;
  EXPECT_NE(text.find("within 6 months"), std::string::npos) << text;
  EXPECT_NE(text.find("pass rate"), std::string::npos) << text;
  // Every provider of the Woerden persons is there; no count of 1-4 is.
  for (const auto& person : woerden_) {
    if (!person.inburgering.provider().empty()) {
      EXPECT_NE(text.find(person.inburgering.provider()), std::string::npos) << text;
    }
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    for (std::string word; words >> word;) {
      EXPECT_FALSE(word.size() == 1 && word[0] >= '1' && word[0] <= '4')
          << "a small count is shown: " << line;
    }
  }

  // Utrecht has too few persons for any count: a clear refusal.
  const testing::ExitResult small = testing::RunToExit(
      testing::KetenctlBinary(), {"inburgering", "overview", "--as", "gemeente-utrecht", "--addr",
                                  gateway_->address(), "--certs-dir", testing::CertsDir()});
  EXPECT_EQ(small.exit_code, 1);
  EXPECT_NE(small.stderr_text.find("POPULATION_BELOW_THRESHOLD"), std::string::npos)
      << small.stderr_text;
}

TEST_F(InburgeringTest, AMunicipalityWithTooFewPersonsGetsNoTable) {
  v1::AggregateResponse counts;
  const grpc::Status status = Aggregate("gemeente-utrecht", v1::STAGE, &counts);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "POPULATION_BELOW_THRESHOLD");
  EXPECT_EQ(counts.tables_size(), 0);
}

}  // namespace
}  // namespace ketenpoort
