// Linked-table protection (inburgering/linked_tables.h), attacked from the
// published marks alone by an integer program of its own
// (tests/support/linked_table_attack.h): the exam-component attack of
// issue 25, and random linked sets with relations and groups.
#include "gateway/inburgering/linked_tables.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/support/linked_table_attack.h"

namespace ketenpoort::inburgering {
namespace {

using testing::DerivableRanges;
using testing::KnownInequality;
using testing::Marker;
using testing::SeenCell;

constexpr int kThreshold = 5;

std::vector<std::vector<SeenCell>> Seen(const States& states) {
  std::vector<std::vector<SeenCell>> seen(states.size());
  for (size_t t = 0; t < states.size(); ++t) {
    for (const CellState& state : states[t]) {
      EXPECT_FALSE(state.unlisted) << "no table here lists labels only when present";
      const Marker marker = state.together                           ? Marker::kAny
                            : state.disclosure == Disclosure::kShown ? Marker::kShown
                            : state.disclosure == Disclosure::kBelowThreshold
                                ? Marker::kBelowThreshold
                                : Marker::kHidden;
      seen[t].push_back({marker, state.shown});
    }
  }
  return seen;
}

// What a reader derives from the published marks obeys every rule, and
// the truth stays possible.
void ExpectProtected(const LinkedSet& set, const States& states,
                     const std::vector<KnownInequality>& known) {
  const auto seen = Seen(states);
  const auto ranges = DerivableRanges(seen, set.total, kThreshold, known);
  for (size_t t = 0; t < seen.size(); ++t) {
    for (size_t c = 0; c < seen[t].size(); ++c) {
      SCOPED_TRACE(set.tables[t].name + " / " + set.tables[t].cells[c].label);
      const int64_t truth = set.tables[t].cells[c].count;
      const testing::Range range = ranges[t][c];
      ASSERT_GE(range.low, 0) << "the reader's program must be solvable";
      EXPECT_LE(range.low, truth);
      EXPECT_GE(range.high, truth);
      const bool small = truth > 0 && truth < kThreshold;
      if (small) {
        EXPECT_LT(range.low, range.high) << "a small count can be derived";
      }
      switch (seen[t][c].marker) {
        case Marker::kShown:
          EXPECT_FALSE(small) << "a small count is shown";
          break;
        case Marker::kBelowThreshold:
          EXPECT_EQ(range.low, 1);
          EXPECT_EQ(range.high, kThreshold - 1);
          break;
        case Marker::kHidden:
        case Marker::kAny: {
          // At least `threshold` possible counts, or all the mark allows.
          const int64_t allowed =
              seen[t][c].marker == Marker::kAny ? set.total + 1 : set.total - kThreshold + 1;
          EXPECT_GE(range.high - range.low + 1, std::min<int64_t>(kThreshold, allowed))
              << "narrowed below the threshold";
          break;
        }
      }
    }
  }
}

// Utrecht's exam components, as issue 25 found them: "geen gegevens" is 29
// everywhere, shown for reading and writing.
LinkedSet ExamComponents() {
  const std::vector<std::string> labels = {"niet gestart", "ingeschreven", "behaald",
                                           "niet behaald", "vrijgesteld",  "geen gegevens"};
  const std::vector<std::pair<std::string, std::vector<int64_t>>> rows = {
      {"lezen", {30, 27, 30, 0, 0, 29}},
      {"schrijven", {40, 20, 27, 0, 0, 29}},
      {"spreken", {42, 3, 42, 0, 0, 29}},
      {"luisteren", {43, 0, 43, 1, 0, 29}}};
  LinkedSet set;
  set.total = 116;
  std::vector<CellRef> no_data;
  for (const auto& [row, counts] : rows) {
    LinkedTable table{"EXAM_COMPONENT/" + row, {}, {}};
    for (size_t c = 0; c < labels.size(); ++c) table.cells.push_back({labels[c], counts[c]});
    no_data.push_back({set.tables.size(), labels.size() - 1});
    set.tables.push_back(std::move(table));
  }
  set.hidden_together.push_back(no_data);
  return set;
}

TEST(LinkedTablesTest, OneTableAtATimeLetsTheExamComponentsBeTakenApart) {
  // The single-table method: each table safe on its own.
  LinkedSet set = ExamComponents();
  States states;
  for (const LinkedTable& table : set.tables) {
    const PublishedTable published = SuppressSmallCellsOfKnownTotal(table.cells, kThreshold);
    std::vector<CellState>& row = states.emplace_back();
    for (const PublishedCell& cell : published.cells) {
      row.push_back({.disclosure = cell.disclosure, .shown = cell.count});
    }
  }
  // A reader who takes "geen gegevens" from reading for speaking pins the
  // small "ingeschreven" of speaking: the attack of issue 25.
  ASSERT_EQ(states[0][5].disclosure, Disclosure::kShown);
  ASSERT_NE(states[2][5].disclosure, Disclosure::kShown);
  auto seen = Seen(states);
  seen[2][5] = {Marker::kShown, states[0][5].shown};
  const auto ranges = DerivableRanges(seen, set.total, kThreshold);
  EXPECT_EQ(ranges[2][1].low, 3);
  EXPECT_EQ(ranges[2][1].high, 3);
}

TEST(LinkedTablesTest, TheExamComponentsProtectedTogetherCannot) {
  const LinkedSet set = ExamComponents();
  const Protection protection = ProtectLinkedTables(set, FreshStates(set, kThreshold), kThreshold);
  ASSERT_TRUE(protection.audit.passed);
  // "geen gegevens" is shown everywhere or nowhere.
  std::set<bool> shown;
  for (size_t t = 0; t < set.tables.size(); ++t) {
    shown.insert(protection.states[t][5].disclosure == Disclosure::kShown);
  }
  EXPECT_EQ(shown.size(), 1u);
  ExpectProtected(set, protection.states, {});
  EXPECT_GT(protection.audit.programs, 0u);
}

TEST(LinkedTablesTest, ARelationBetweenTablesIsPartOfTheAudit) {
  // Finished persons have no deadline: "n.v.t." >= afgerond + ontheffing.
  LinkedSet set;
  set.total = 40;
  set.tables.push_back({"STAGE", {{"in traject", 30}, {"afgerond", 8}, {"ontheffing", 2}}, {}});
  set.tables.push_back({"DEADLINE_BAND",
                        {{"binnen 6 maanden", 14}, {"later", 16}, {"niet van toepassing", 10}},
                        {}});
  set.relations.push_back({{{false, 1, 2, 1}, {false, 0, 1, -1}, {false, 0, 2, -1}}, 0, 1e9});
  const Protection protection = ProtectLinkedTables(set, FreshStates(set, kThreshold), kThreshold);
  ASSERT_TRUE(protection.audit.passed);
  ExpectProtected(set, protection.states, {{{{{1, 2}, 1}, {{0, 1}, -1}, {{0, 2}, -1}}, 0}});
}

// Random linked sets: tables of one population, with a relation between
// two of them and a group of cells that hold the same persons.
TEST(LinkedTablesTest, RandomLinkedSetsCannotBeTakenApart) {
  std::mt19937_64 random(20261208);
  for (int round = 0; round < 150; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    LinkedSet set;
    set.total = std::uniform_int_distribution<int64_t>(kThreshold, 90)(random);
    const int tables = std::uniform_int_distribution<int>(2, 4)(random);
    for (int t = 0; t < tables; ++t) {
      const int cells = std::uniform_int_distribution<int>(2, 6)(random);
      LinkedTable table{"T" + std::to_string(t), {}, {}};
      int64_t left = set.total;
      for (int c = 0; c < cells; ++c) {
        // Skewed to small counts, which is where the protection works.
        const int64_t most = c + 1 == cells ? left : std::min<int64_t>(left, 1 + left / 2);
        const int64_t count =
            c + 1 == cells ? left : std::uniform_int_distribution<int64_t>(0, most)(random);
        table.cells.push_back({"c" + std::to_string(c), count});
        left -= count;
      }
      set.tables.push_back(std::move(table));
    }
    // The first cells of tables 0 and 1 hold the same persons.
    const int64_t shared = std::min(set.tables[0].cells[0].count, set.tables[1].cells[0].count);
    const int64_t moved = set.tables[1].cells[0].count - shared;
    set.tables[1].cells[0].count = shared;
    set.tables[1].cells[1].count += moved;
    set.hidden_together.push_back({{0, 0}, {1, 0}});
    // And a relation the truth obeys: table 1's last cell at least table
    // 0's last, less what is known of it.
    const size_t last0 = set.tables[0].cells.size() - 1;
    const size_t last1 = set.tables[1].cells.size() - 1;
    const double slack =
        static_cast<double>(set.tables[1].cells[last1].count - set.tables[0].cells[last0].count);
    set.relations.push_back(
        {{{false, 1, last1, 1}, {false, 0, last0, -1}}, std::min(0.0, slack), 1e9});
    const Protection protection =
        ProtectLinkedTables(set, FreshStates(set, kThreshold), kThreshold);
    ASSERT_TRUE(protection.audit.passed);
    ExpectProtected(set, protection.states,
                    {{{{{1, last1}, 1}, {{0, last0}, -1}}, std::min(0.0, slack)}});
    if (::testing::Test::HasFailure()) return;
  }
}

// Six persons of six nationalities: each listed label is a person. The
// table goes without its labels, and says only its total.
TEST(LinkedTablesTest, LabelsListedOnlyWhenPresentAreWithheldWithTheirCells) {
  LinkedSet set;
  set.total = 6;
  LinkedTable nationalities{"NATIONALITY", {}, {}};
  for (int i = 0; i < 6; ++i) {
    nationalities.cells.push_back({"land-" + std::to_string(i), 1});
    nationalities.listed_only_when_present.push_back(true);
  }
  set.tables.push_back(nationalities);
  set.tables.push_back({"STAGE", {{"intake", 6}, {"in traject", 0}}, {}});
  const Protection protection = ProtectLinkedTables(set, FreshStates(set, kThreshold), kThreshold);
  ASSERT_TRUE(protection.audit.passed);
  for (const CellState& state : protection.states[0]) EXPECT_TRUE(state.unlisted);
  EXPECT_EQ(protection.states[1][0].disclosure, Disclosure::kShown);
  // As listed "<5" cells they would each be exactly 1.
  const States fresh = FreshStates(set, kThreshold);
  const AuditResult listed = AuditLinkedTables(set, fresh, kThreshold);
  EXPECT_FALSE(listed.passed);
  ASSERT_TRUE(listed.derived[0][0].has_value());
  EXPECT_EQ(listed.derived[0][0]->low, 1);
  EXPECT_EQ(listed.derived[0][0]->high, 1);
}

// A group member in a withheld table keeps its label withheld too.
TEST(LinkedTablesTest, AWithheldTableKeepsItsGroupMembersUnlisted) {
  LinkedSet set;
  set.total = 6;
  set.tables.push_back(
      {"EXAM_COMPONENT/lezen", {{"behaald", 4}, {"geen gegevens", 2}}, {false, true}});
  set.tables.push_back({"EXAM_COMPONENT/spreken",
                        {{"behaald", 3}, {"niet behaald", 1}, {"geen gegevens", 2}},
                        {false, false, true}});
  set.hidden_together.push_back({{0, 1}, {1, 2}});
  const Protection protection = ProtectLinkedTables(set, FreshStates(set, kThreshold), kThreshold);
  ASSERT_TRUE(protection.audit.passed);
  for (size_t t = 0; t < set.tables.size(); ++t) {
    const size_t no_data = set.tables[t].cells.size() - 1;
    EXPECT_TRUE(protection.states[t][no_data].together);
    EXPECT_TRUE(protection.states[t][no_data].unlisted) << set.tables[t].name;
  }
}

// Complements are chosen smallest first, so a reader knows none is above
// the smallest shown count: A=4, B=C=D=6 must not give A away.
TEST(LinkedTablesTest, TheOrderComplementsAreChosenInGivesNothingAway) {
  LinkedSet set;
  set.total = 52;
  set.tables.push_back({"NATIONALITY", {{"A", 4}, {"B", 6}, {"C", 6}, {"D", 6}, {"E", 30}}, {}});
  const Protection protection = ProtectLinkedTables(set, FreshStates(set, kThreshold), kThreshold);
  ASSERT_TRUE(protection.audit.passed);
  ExpectProtected(set, protection.states, {});
}

TEST(LinkedTablesTest, HeldCellsAreKnownOnlyToWithinTheThreshold) {
  EXPECT_EQ(ReaderBounds({.disclosure = Disclosure::kShown, .shown = 12, .held = true}, 100, 5).low,
            8);
  EXPECT_EQ(
      ReaderBounds({.disclosure = Disclosure::kShown, .shown = 12, .held = false}, 100, 5).high,
      12);
  const Bounds small = ReaderBounds({.disclosure = Disclosure::kBelowThreshold}, 100, 5);
  EXPECT_EQ(small.low, 1);
  EXPECT_EQ(small.high, 4);
  const Bounds withheld =
      ReaderBounds({.disclosure = Disclosure::kSuppressed, .together = true}, 100, 5);
  EXPECT_EQ(withheld.low, 0);
  EXPECT_EQ(withheld.high, 100);
}

}  // namespace
}  // namespace ketenpoort::inburgering
