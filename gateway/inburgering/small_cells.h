// Small-cell suppression for aggregates, so statistics never single out a
// person.
//
// Primary suppression: a count from 1 to threshold-1 is not shown; it is
// published as "<threshold" (e.g. "<5"). Zero is shown: it reveals no one.
//
// Complementary suppression: a reader who knows the total (and the total
// of persons linked to a municipality is known: it is the same in every
// dimension) can subtract the shown cells. So more cells are hidden, the
// smallest first, until no hidden small cell can be pinned to one value by
// anyone who knows the published cells, the total, that a "<5" cell holds
// 1-4 and that any other hidden cell holds at least the threshold. If no
// cell is left to hide, the total is hidden too. A population whose own
// total is below the threshold must not be tabulated at all: its total is
// known from elsewhere; that check belongs to the caller.
#ifndef KETENPOORT_GATEWAY_INBURGERING_SMALL_CELLS_H_
#define KETENPOORT_GATEWAY_INBURGERING_SMALL_CELLS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ketenpoort::inburgering {

struct CountCell {
  std::string label;
  int64_t count = 0;
};

enum class Disclosure {
  kShown,
  kBelowThreshold,  // primary: 1 .. threshold-1, published as "<threshold"
  kSuppressed,      // complementary: hidden so the small ones cannot be derived
};

struct PublishedCell {
  std::string label;
  Disclosure disclosure = Disclosure::kShown;
  int64_t count = 0;  // meaningful only when shown

  // "12", "<5" or "x".
  std::string Display(int threshold) const;
};

struct PublishedTable {
  std::vector<PublishedCell> cells;  // in the order given
  std::optional<int64_t> total;      // absent when it had to be hidden too
};

// `threshold` >= 2. Cells keep their order.
PublishedTable SuppressSmallCells(const std::vector<CountCell>& cells, int threshold);

// The same, for a table whose total is public anyway (the number of persons
// linked to a municipality is known, and every table of it shows it): where
// SuppressSmallCells would have to hide the total, every cell is hidden
// instead and the total is shown.
PublishedTable SuppressSmallCellsOfKnownTotal(const std::vector<CountCell>& cells, int threshold);

}  // namespace ketenpoort::inburgering

#endif  // KETENPOORT_GATEWAY_INBURGERING_SMALL_CELLS_H_
