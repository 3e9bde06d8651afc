#include "gateway/inburgering/small_cells.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/support/small_cell_attack.h"

namespace ketenpoort::inburgering {
namespace {

std::vector<CountCell> Cells(std::initializer_list<int64_t> counts) {
  std::vector<CountCell> cells;
  for (int64_t count : counts) cells.push_back({"c" + std::to_string(cells.size()), count});
  return cells;
}

// What a reader can work out from `table`, by brute force.
std::vector<std::set<int64_t>> Reconstruct(const PublishedTable& table, int threshold) {
  std::vector<testing::SeenCell> seen;
  for (const PublishedCell& cell : table.cells) {
    seen.push_back({cell.disclosure == Disclosure::kShown ? testing::Marker::kShown
                    : cell.disclosure == Disclosure::kBelowThreshold
                        ? testing::Marker::kBelowThreshold
                        : testing::Marker::kHidden,
                    cell.count});
  }
  return testing::PossibleValues(seen, table.total, threshold);
}

void ExpectNoSmallCellCanBeReconstructed(const std::vector<CountCell>& cells, int threshold) {
  const PublishedTable table = SuppressSmallCells(cells, threshold);
  const std::vector<std::set<int64_t>> possible = Reconstruct(table, threshold);
  for (size_t i = 0; i < cells.size(); ++i) {
    const bool small = cells[i].count > 0 && cells[i].count < threshold;
    if (cells[i].count == 0) {
      EXPECT_EQ(table.cells[i].disclosure, Disclosure::kShown) << "zero reveals no one";
    }
    if (table.cells[i].disclosure == Disclosure::kShown) {
      EXPECT_EQ(table.cells[i].count, cells[i].count);
    }
    if (!small) continue;
    EXPECT_EQ(table.cells[i].disclosure, Disclosure::kBelowThreshold);
    EXPECT_EQ(table.cells[i].Display(threshold), "<" + std::to_string(threshold));
    if (table.total) {
      EXPECT_GE(possible[i].size(), 2u)
          << "cell " << i << " (" << cells[i].count << ") can be reconstructed";
      EXPECT_EQ(possible[i].count(cells[i].count), 1u) << "the truth must stay possible";
    }
  }
}

TEST(SmallCellsTest, NothingSmallShowsEverythingWithTheTotal) {
  const PublishedTable table = SuppressSmallCells(Cells({12, 5, 0, 40}), 5);
  for (const PublishedCell& cell : table.cells) EXPECT_EQ(cell.disclosure, Disclosure::kShown);
  EXPECT_EQ(table.cells[2].Display(5), "0");
  ASSERT_TRUE(table.total.has_value());
  EXPECT_EQ(*table.total, 57);
}

TEST(SmallCellsTest, ASingleSmallCellTakesAComplementaryCellWithIt) {
  const PublishedTable table = SuppressSmallCells(Cells({3, 40, 12, 9}), 5);
  EXPECT_EQ(table.cells[0].Display(5), "<5");
  // The smallest other cell is hidden too, so 64 - 40 - 12 no longer gives the 3.
  EXPECT_EQ(table.cells[3].disclosure, Disclosure::kSuppressed);
  EXPECT_EQ(table.cells[3].Display(5), "x");
  EXPECT_EQ(table.cells[1].disclosure, Disclosure::kShown);
  ASSERT_TRUE(table.total.has_value());
  ExpectNoSmallCellCanBeReconstructed(Cells({3, 40, 12, 9}), 5);
}

TEST(SmallCellsTest, ComplementaryCellJustAboveTheThresholdIsNotEnough) {
  // Hiding the 5 alone would leave 1 + 5 = 6 with x >= 5: the small cell is 1.
  const PublishedTable table = SuppressSmallCells(Cells({1, 5, 30, 31}), 5);
  EXPECT_EQ(table.cells[1].disclosure, Disclosure::kSuppressed);
  EXPECT_EQ(table.cells[2].disclosure, Disclosure::kSuppressed);
  ExpectNoSmallCellCanBeReconstructed(Cells({1, 5, 30, 31}), 5);
}

TEST(SmallCellsTest, TwoOnesAreNotSafeTogether) {
  ExpectNoSmallCellCanBeReconstructed(Cells({1, 1, 20}), 5);
  const PublishedTable table = SuppressSmallCells(Cells({1, 1, 20}), 5);
  EXPECT_EQ(table.cells[2].disclosure, Disclosure::kSuppressed);
}

TEST(SmallCellsTest, WhenNothingIsLeftToHideTheTotalGoesToo) {
  const PublishedTable table = SuppressSmallCells(Cells({2, 0, 0}), 5);
  EXPECT_EQ(table.cells[0].disclosure, Disclosure::kBelowThreshold);
  EXPECT_FALSE(table.total.has_value());
}

TEST(SmallCellsTest, AKnownTotalWithholdsATableItCannotProtect) {
  // Two "<5" cells of a known total 8 can only be 4 and 4: hiding the total
  // does not help when everyone knows it, so every cell is hidden instead.
  EXPECT_FALSE(SuppressSmallCells(Cells({4, 4, 0}), 5).total.has_value());
  const PublishedTable table = SuppressSmallCellsOfKnownTotal(Cells({4, 4, 0}), 5);
  ASSERT_TRUE(table.total.has_value());
  EXPECT_EQ(*table.total, 8);
  for (const PublishedCell& cell : table.cells) {
    EXPECT_EQ(cell.disclosure, Disclosure::kSuppressed);
    EXPECT_EQ(cell.Display(5), "x");
  }
}

TEST(SmallCellsTest, AKnownTotalChangesNothingWhereTheTotalCanBeShown) {
  const PublishedTable plain = SuppressSmallCells(Cells({3, 40, 12, 9}), 5);
  const PublishedTable known = SuppressSmallCellsOfKnownTotal(Cells({3, 40, 12, 9}), 5);
  ASSERT_EQ(known.cells.size(), plain.cells.size());
  for (size_t i = 0; i < plain.cells.size(); ++i) {
    EXPECT_EQ(known.cells[i].disclosure, plain.cells[i].disclosure);
  }
  EXPECT_EQ(known.total, plain.total);
}

TEST(SmallCellsTest, ThresholdIsConfigurable) {
  const PublishedTable table = SuppressSmallCells(Cells({7, 30, 12}), 10);
  EXPECT_EQ(table.cells[0].Display(10), "<10");
  EXPECT_EQ(table.cells[2].disclosure, Disclosure::kSuppressed);
  ExpectNoSmallCellCanBeReconstructed(Cells({7, 30, 12}), 10);
}

TEST(SmallCellsTest, NoSmallCellOfAnyTableCanBeReconstructed) {
  // Deterministic pseudo-random tables, checked by brute force.
  uint64_t state = 12345;
  auto next = [&state](int bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int64_t>((state >> 33) % static_cast<uint64_t>(bound));
  };
  for (int round = 0; round < 400; ++round) {
    const int threshold = 3 + static_cast<int>(next(4));  // 3..6
    std::vector<CountCell> cells;
    const int size = 1 + static_cast<int>(next(4));  // 1..4 cells
    for (int i = 0; i < size; ++i) {
      cells.push_back({"c" + std::to_string(i), next(3) == 0 ? 0 : next(16)});
    }
    SCOPED_TRACE("round " + std::to_string(round));
    ExpectNoSmallCellCanBeReconstructed(cells, threshold);
  }
}

}  // namespace
}  // namespace ketenpoort::inburgering
