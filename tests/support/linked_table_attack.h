// What a reader can work out from a published set of linked tables, by
// integer programming and independently of the protection code: the least
// and greatest count of every cell consistent with the published total
// (every table sums to it), the shown cells, what the marks mean ("<t"
// holds 1..t-1, "x" at least t and at most the smallest shown count of at
// least t, a withheld "x" anything; a label listed only when present at
// least 1) and the relations between tables a reader knows. Written from the published marks alone,
// for the property test of linked_tables.h and the end-to-end tests.
#ifndef KETENPOORT_TESTS_SUPPORT_LINKED_TABLE_ATTACK_H_
#define KETENPOORT_TESTS_SUPPORT_LINKED_TABLE_ATTACK_H_

#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "tests/support/small_cell_attack.h"

namespace ketenpoort::testing {

// sum(coefficient * cell) >= low, over (table, cell) pairs.
struct KnownInequality {
  std::vector<std::pair<std::pair<size_t, size_t>, double>> terms;
  double low = 0;
};

struct Range {
  int64_t low = 0;
  int64_t high = 0;
};

// Per table, per cell.
// `partial[t]`: table t may not list every cell (a withheld table leaves
// out labels that would say "at least 1"), so its cells add up to at most
// the total.
inline std::vector<std::vector<Range>> DerivableRanges(
    const std::vector<std::vector<SeenCell>>& tables, int64_t total, int threshold,
    const std::vector<KnownInequality>& known = {}, const std::vector<bool>& partial = {}) {
  glp_term_out(GLP_OFF);
  glp_prob* program = glp_create_prob();
  std::vector<std::vector<int>> column(tables.size());
  for (size_t t = 0; t < tables.size(); ++t) {
    // A complement is chosen smallest first: at most the smallest shown
    // count of at least the threshold in its table.
    double smallest_shown = static_cast<double>(total);
    for (const SeenCell& cell : tables[t]) {
      if (cell.marker == Marker::kShown && cell.count >= threshold) {
        smallest_shown = std::min(smallest_shown, static_cast<double>(cell.count));
      }
    }
    // This table's cells add up to the total.
    const int row = glp_add_rows(program, 1);
    const bool some_unlisted = t < partial.size() && partial[t];
    glp_set_row_bnds(program, row, some_unlisted ? GLP_UP : GLP_FX, static_cast<double>(total),
                     static_cast<double>(total));
    std::vector<int> indexes{0};
    std::vector<double> ones{0};
    for (const SeenCell& cell : tables[t]) {
      const int j = glp_add_cols(program, 1);
      column[t].push_back(j);
      glp_set_col_kind(program, j, GLP_IV);
      double low = 0, high = static_cast<double>(total);
      switch (cell.marker) {
        case Marker::kShown:
          low = high = static_cast<double>(cell.count);
          break;
        case Marker::kBelowThreshold:
          low = 1;
          high = threshold - 1;
          break;
        case Marker::kHidden:
          low = threshold;
          high = std::max(low, smallest_shown);
          break;
        case Marker::kAny:
          break;
      }
      if (cell.nonzero) low = std::max(low, 1.0);
      glp_set_col_bnds(program, j, low == high ? GLP_FX : GLP_DB, low, high);
      indexes.push_back(j);
      ones.push_back(1);
    }
    glp_set_mat_row(program, row, static_cast<int>(indexes.size()) - 1, indexes.data(),
                    ones.data());
  }
  for (const KnownInequality& inequality : known) {
    const int row = glp_add_rows(program, 1);
    glp_set_row_bnds(program, row, GLP_LO, inequality.low, 0);
    std::vector<int> indexes{0};
    std::vector<double> coefficients{0};
    for (const auto& [cell, coefficient] : inequality.terms) {
      indexes.push_back(column[cell.first][cell.second]);
      coefficients.push_back(coefficient);
    }
    glp_set_mat_row(program, row, static_cast<int>(indexes.size()) - 1, indexes.data(),
                    coefficients.data());
  }
  glp_iocp options;
  glp_init_iocp(&options);
  options.presolve = GLP_ON;  // solves the relaxation itself
  options.msg_lev = GLP_MSG_OFF;
  auto solve = [&](int j, int direction) -> int64_t {
    for (int k = 1; k <= glp_get_num_cols(program); ++k) glp_set_obj_coef(program, k, 0);
    glp_set_obj_coef(program, j, 1);
    glp_set_obj_dir(program, direction);
    if (glp_intopt(program, &options) != 0 || glp_mip_status(program) != GLP_OPT) return -1;
    return static_cast<int64_t>(std::llround(glp_mip_obj_val(program)));
  };
  std::vector<std::vector<Range>> ranges(tables.size());
  for (size_t t = 0; t < tables.size(); ++t) {
    for (int j : column[t]) ranges[t].push_back({solve(j, GLP_MIN), solve(j, GLP_MAX)});
  }
  glp_delete_prob(program);
  glp_free_env();  // GLPK's per-thread environment
  return ranges;
}

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_LINKED_TABLE_ATTACK_H_
