#include "adapters/synthetic/synthetic_population.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "adapters/fixture/sqlite_fixture_source.h"
#include "gateway/common/civil_date.h"
#include "gateway/records/record_catalog.h"
#include "tests/support/temp_dir.h"

namespace ketenpoort::synthetic {
namespace {

constexpr uint64_t kSeed = 7;
constexpr uint64_t kSample = 1000;

int64_t Day(const std::string& date) {
  std::optional<int64_t> day = ParseCivilDate(date);
  EXPECT_TRUE(day.has_value()) << "not a date: '" << date << "'";
  return day.value_or(0);
}

adapters::FetchRequest Ask(std::string_view subject_id, std::string_view record_type) {
  adapters::FetchRequest request;
  request.subject_id = subject_id;
  request.record_type = record_type;
  request.descriptor = records::RecordCatalog::Builtin().Find(record_type);
  return request;
}

TEST(SyntheticPopulationTest, IsDeterministicPerSeedAndIndex) {
  const SyntheticPopulation population(kSeed);
  const SyntheticPerson a = population.Person(42);
  const SyntheticPerson b = population.Person(42);
  EXPECT_EQ(a.v_number, b.v_number);
  EXPECT_EQ(a.medical.SerializeAsString(), b.medical.SerializeAsString());
  EXPECT_EQ(a.inburgering.SerializeAsString(), b.inburgering.SerializeAsString());
  EXPECT_NE(SyntheticPopulation(kSeed + 1).Person(42).medical.SerializeAsString(),
            a.medical.SerializeAsString());
  // Far-out persons of a million-person population are computed directly.
  EXPECT_EQ(population.Person(999'999).v_number.size(), 10u);
}

TEST(SyntheticPopulationTest, IdentifiersAreUniqueAndWellFormed) {
  const SyntheticPopulation population(kSeed);
  std::set<std::string> ids;
  for (uint64_t i = 0; i < kSample; ++i) {
    const SyntheticPerson person = population.Person(i);
    EXPECT_TRUE(ids.insert(person.v_number).second) << "duplicate V-nummer at " << i;
    if (!person.bsn.empty()) {
      EXPECT_TRUE(ids.insert(person.bsn).second);
    }
    for (const auto& member : person.koppeling.household().members()) {
      if (!member.v_number().empty()) {
        EXPECT_TRUE(ids.insert(member.v_number()).second);
      }
    }
  }
}

TEST(SyntheticPopulationTest, DossiersAgreeWithEachOther) {
  const SyntheticPopulation population(kSeed);
  const std::set<std::string> high_tbc{"Eritrea", "Somalië", "Afghanistan"};
  for (uint64_t i = 0; i < kSample; ++i) {
    const SyntheticPerson p = population.Person(i);
    SCOPED_TRACE("person " + std::to_string(i));
    const int64_t linked = Day(p.koppeling.linked_on());
    const int64_t move = Day(p.koppeling.expected_move_date());
    EXPECT_LT(Day(p.arrived_on), linked);
    EXPECT_LT(linked, move);
    EXPECT_LE(Day(p.tbc.screened_on()), linked);
    EXPECT_EQ(p.tbc.follow_up_required(), high_tbc.count(p.koppeling.nationality()) == 1);
    EXPECT_EQ(p.tbc.follow_up_size() > 0, p.tbc.follow_up_required());

    // Every child living in the AZC has a JGZ dossier under its own V-nummer.
    std::set<std::string> children_in_azc;
    for (const auto& member : p.koppeling.household().members()) {
      if (member.relation() == "kind" && !member.nareiziger()) {
        children_in_azc.insert(member.v_number());
      }
    }
    std::set<std::string> jgz_children;
    if (p.jgz) {
      for (const auto& child : p.jgz->children()) jgz_children.insert(child.v_number());
    }
    EXPECT_EQ(jgz_children, children_in_azc);

    for (const auto& member : p.koppeling.household().members()) {
      if (member.nareiziger() && member.has_expected_arrival()) {
        EXPECT_GT(Day(member.expected_arrival()), move);
      }
    }
    if (p.inburgering.has_term_started_on()) {
      EXPECT_GT(Day(p.inburgering.term_started_on()), move);
      EXPECT_GE(Day(p.inburgering.deadline()) - Day(p.inburgering.term_started_on()), 3 * 365);
    }
    if (p.risk_signals) {
      for (const auto& signal : p.risk_signals->signals()) {
        EXPECT_LT(Day(signal.raised_on()), move);
        if (signal.recommended_recipient() == "jgz") {
          EXPECT_TRUE(p.jgz.has_value());
        }
      }
    }
    EXPECT_LE(p.voorinburgering.hours_used(), p.voorinburgering.programme_hours());
  }
}

TEST(SyntheticPopulationTest, CoversTheVarietyTheFlowsNeed) {
  const SyntheticPopulation population(kSeed);
  std::map<std::string, int> nationalities;
  std::map<std::string, int> stages;
  int nareizigers = 0;
  int in_ggz = 0;
  int with_children = 0;
  for (uint64_t i = 0; i < kSample; ++i) {
    const SyntheticPerson p = population.Person(i);
    ++nationalities[p.koppeling.nationality()];
    ++stages[p.inburgering.stage()];
    for (const auto& member : p.koppeling.household().members()) nareizigers += member.nareiziger();
    in_ggz += p.medical.ggz_treatment().in_treatment();
    with_children += p.jgz.has_value();
  }
  EXPECT_EQ(nationalities.size(), 7u);
  for (const char* stage : {"intake", "in traject", "examens", "afgerond", "ontheffing"}) {
    EXPECT_GT(stages[stage], 0) << stage;
  }
  EXPECT_GT(nareizigers, 0);
  EXPECT_GT(in_ggz, 0);
  EXPECT_GT(with_children, 0);
}

TEST(SyntheticPopulationTest, FixtureDatabaseServesEveryRecordTypeByVNummerAndBsn) {
  testing::TempDir dir;
  const std::string path = dir.File("fixtures.db");
  ASSERT_TRUE(WriteFixtureDatabase(path, kSeed, 60).ok());
  auto source = adapters::SqliteFixtureSource::Open("fixtures", path);
  ASSERT_TRUE(source.ok()) << source.status();
  const records::RecordCatalog& catalog = records::RecordCatalog::Builtin();
  const SyntheticPopulation population(kSeed);
  std::set<std::string> served;
  for (uint64_t i = 0; i < 60; ++i) {
    const SyntheticPerson person = population.Person(i);
    for (const std::string& type : catalog.RecordTypes()) {
      auto record = (*source)->Fetch(Ask(person.v_number, type));
      if (record.ok()) {
        served.insert(type);
        EXPECT_EQ((*record)->GetDescriptor(), catalog.Find(type));
      } else {
        EXPECT_EQ(record.status().code(), absl::StatusCode::kNotFound) << record.status();
      }
    }
    if (!person.bsn.empty()) {
      auto by_bsn = (*source)->Fetch(Ask(person.bsn, "gca.MedicalDossier"));
      ASSERT_TRUE(by_bsn.ok()) << by_bsn.status();
      EXPECT_EQ((*by_bsn)->SerializeAsString(), person.medical.SerializeAsString());
    }
  }
  EXPECT_EQ(served.size(), catalog.RecordTypes().size());
}

}  // namespace
}  // namespace ketenpoort::synthetic
