#include "gateway/inburgering/small_cells.h"

#include <algorithm>
#include <numeric>

namespace ketenpoort::inburgering {
namespace {

// Whether every hidden small cell still has at least two possible values
// for a reader who knows the total, the shown cells and the kinds of the
// hidden ones. Every hidden cell's possible values form an interval, and
// so does any sum of them, so the check is exact.
bool SmallCellsAreAmbiguous(const std::vector<CountCell>& cells,
                            const std::vector<Disclosure>& disclosure, int threshold) {
  int64_t hidden_sum = 0;
  int64_t low_sum = 0;
  int64_t high_sum = 0;
  bool unbounded = false;  // a complementary cell has no upper bound but the total
  for (size_t i = 0; i < cells.size(); ++i) {
    if (disclosure[i] == Disclosure::kShown) continue;
    hidden_sum += cells[i].count;
    if (disclosure[i] == Disclosure::kBelowThreshold) {
      low_sum += 1;
      high_sum += threshold - 1;
    } else {
      low_sum += threshold;
      unbounded = true;
    }
  }
  for (size_t i = 0; i < cells.size(); ++i) {
    if (disclosure[i] != Disclosure::kBelowThreshold) continue;
    // The others hold between others_low and others_high together.
    const int64_t others_low = low_sum - 1;
    const int64_t others_high = unbounded ? hidden_sum : high_sum - (threshold - 1);
    const int64_t low = std::max<int64_t>(1, hidden_sum - others_high);
    const int64_t high = std::min<int64_t>(threshold - 1, hidden_sum - others_low);
    if (low >= high) return false;
  }
  return true;
}

}  // namespace

std::string PublishedCell::Display(int threshold) const {
  switch (disclosure) {
    case Disclosure::kShown:
      return std::to_string(count);
    case Disclosure::kBelowThreshold:
      return "<" + std::to_string(threshold);
    case Disclosure::kSuppressed:
      return "x";
  }
  return "x";
}

PublishedTable SuppressSmallCells(const std::vector<CountCell>& cells, int threshold) {
  threshold = std::max(threshold, 2);
  std::vector<Disclosure> disclosure(cells.size(), Disclosure::kShown);
  bool any_small = false;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].count > 0 && cells[i].count < threshold) {
      disclosure[i] = Disclosure::kBelowThreshold;
      any_small = true;
    }
  }
  bool total_hidden = false;
  if (any_small) {
    // Hide the smallest shown non-zero cells until the small ones are safe.
    std::vector<size_t> candidates;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (disclosure[i] == Disclosure::kShown && cells[i].count > 0) candidates.push_back(i);
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](size_t a, size_t b) { return cells[a].count < cells[b].count; });
    size_t next = 0;
    while (!SmallCellsAreAmbiguous(cells, disclosure, threshold)) {
      if (next == candidates.size()) {
        total_hidden = true;
        break;
      }
      disclosure[candidates[next++]] = Disclosure::kSuppressed;
    }
  }
  PublishedTable table;
  int64_t total = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    PublishedCell cell{cells[i].label, disclosure[i],
                       disclosure[i] == Disclosure::kShown ? cells[i].count : 0};
    table.cells.push_back(std::move(cell));
    total += cells[i].count;
  }
  if (!total_hidden) table.total = total;
  return table;
}

PublishedTable SuppressSmallCellsOfKnownTotal(const std::vector<CountCell>& cells, int threshold) {
  PublishedTable table = SuppressSmallCells(cells, threshold);
  if (table.total) return table;
  int64_t total = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    table.cells[i].disclosure = Disclosure::kSuppressed;
    table.cells[i].count = 0;
    total += cells[i].count;
  }
  table.total = total;
  return table;
}

}  // namespace ketenpoort::inburgering
