// What a reader can work out from a published table, by brute force and
// independently of the suppression code: every assignment of the hidden
// cells that agrees with the published total, the shown cells and what the
// markers mean ("<t" holds 1..t-1, "x" at least t, a withheld "x"
// anything). Used by the unit test
// of the suppression and by the end-to-end test of Aggregate.
#ifndef KETENPOORT_TESTS_SUPPORT_SMALL_CELL_ATTACK_H_
#define KETENPOORT_TESTS_SUPPORT_SMALL_CELL_ATTACK_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <vector>

namespace ketenpoort::testing {

// kAny: withheld with its group or table, so it may hold any count.
enum class Marker { kShown, kBelowThreshold, kHidden, kAny };

struct SeenCell {
  Marker marker = Marker::kShown;
  int64_t count = 0;  // when shown
  // Its label is listed only when someone is in it: at least 1.
  bool nonzero = false;
};

// The possible values of each cell (a shown cell: its count). Empty sets
// when no total is known, as nothing can then be subtracted.
inline std::vector<std::set<int64_t>> PossibleValues(const std::vector<SeenCell>& cells,
                                                     std::optional<int64_t> total, int threshold) {
  std::vector<std::set<int64_t>> possible(cells.size());
  if (!total) return possible;
  int64_t hidden_sum = *total;
  std::vector<size_t> hidden;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].marker == Marker::kShown) {
      hidden_sum -= cells[i].count;
      possible[i].insert(cells[i].count);
    } else {
      hidden.push_back(i);
    }
  }
  std::vector<int64_t> value(cells.size(), 0);
  std::function<void(size_t, int64_t)> assign = [&](size_t k, int64_t left) {
    if (k == hidden.size()) {
      if (left != 0) return;
      for (size_t i : hidden) possible[i].insert(value[i]);
      return;
    }
    const size_t i = hidden[k];
    const bool small = cells[i].marker == Marker::kBelowThreshold;
    const int64_t low = small ? 1 : cells[i].marker == Marker::kAny ? 0 : threshold;
    const int64_t high = small ? threshold - 1 : left;
    for (int64_t v = low; v <= high && v <= left; ++v) {
      value[i] = v;
      assign(k + 1, left - v);
    }
  };
  assign(0, hidden_sum);
  return possible;
}

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_SMALL_CELL_ATTACK_H_
