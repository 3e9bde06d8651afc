#include "gateway/inburgering/linked_tables.h"

#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <set>

namespace ketenpoort::inburgering {

// The bounds of the mark alone (ReaderBounds adds what the label says).
Bounds ReaderBoundsOfMark(const CellState& state, int64_t total, int threshold);

namespace {

// GLPK keeps per-thread state and prints by default; one program at a time.
std::mutex& GlpkMutex() {
  static std::mutex mutex;
  return mutex;
}

// The integer program of what a reader knows: one column per cell, then
// one per latent count; one row per table (it sums to the total) and one
// per relation. Columns are bounded by what the reader knows of each cell.
class ReaderProgram {
 public:
  ReaderProgram(const LinkedSet& set, const States& states, int threshold) {
    glp_term_out(GLP_OFF);
    problem_ = glp_create_prob();
    std::vector<int> rows{0};
    std::vector<int> columns{0};
    std::vector<double> values{0};
    for (size_t t = 0; t < set.tables.size(); ++t) {
      first_column_.push_back(columns_);
      columns_ += set.tables[t].cells.size();
    }
    const int latent_first = static_cast<int>(columns_) + 1;
    columns_ += set.latent.size();
    glp_add_cols(problem_, static_cast<int>(columns_));
    for (size_t t = 0; t < set.tables.size(); ++t) {
      // Complements are chosen smallest first: none exceeds the smallest
      // shown count of at least the threshold.
      std::optional<int64_t> smallest_shown;
      for (const CellState& state : states[t]) {
        if (state.disclosure == Disclosure::kShown && !state.held && state.shown >= threshold &&
            (!smallest_shown || state.shown < *smallest_shown)) {
          smallest_shown = state.shown;
        }
      }
      const std::vector<bool>& listed = set.tables[t].listed_only_when_present;
      for (size_t c = 0; c < set.tables[t].cells.size(); ++c) {
        const CellState& state = states[t][c];
        Bounds bounds = ReaderBounds(state, set.total, threshold, c < listed.size() && listed[c]);
        if (state.disclosure == Disclosure::kSuppressed && !state.together && !state.held &&
            smallest_shown) {
          bounds.high = std::max(bounds.low, std::min(bounds.high, *smallest_shown));
        }
        Bound(Column({t, c}), bounds);
      }
    }
    for (size_t l = 0; l < set.latent.size(); ++l) {
      Bound(latent_first + static_cast<int>(l), set.latent[l]);
    }
    const int row_count = static_cast<int>(set.tables.size() + set.relations.size());
    glp_add_rows(problem_, row_count);
    int row = 1;
    for (size_t t = 0; t < set.tables.size(); ++t, ++row) {
      glp_set_row_bnds(problem_, row, GLP_FX, static_cast<double>(set.total),
                       static_cast<double>(set.total));
      for (size_t c = 0; c < set.tables[t].cells.size(); ++c) {
        rows.push_back(row);
        columns.push_back(Column({t, c}));
        values.push_back(1);
      }
    }
    for (const Relation& relation : set.relations) {
      const bool low = std::isfinite(relation.low);
      const bool high = std::isfinite(relation.high);
      const int kind = low && high ? (relation.low == relation.high ? GLP_FX : GLP_DB)
                       : low       ? GLP_LO
                       : high      ? GLP_UP
                                   : GLP_FR;
      glp_set_row_bnds(problem_, row, kind, low ? relation.low : 0, high ? relation.high : 0);
      for (const Term& term : relation.terms) {
        rows.push_back(row);
        columns.push_back(term.latent ? latent_first + static_cast<int>(term.table)
                                      : Column({term.table, term.cell}));
        values.push_back(term.coefficient);
      }
      ++row;
    }
    glp_load_matrix(problem_, static_cast<int>(rows.size()) - 1, rows.data(), columns.data(),
                    values.data());
    glp_init_smcp(&simplex_);
    simplex_.msg_lev = GLP_MSG_OFF;
    glp_init_iocp(&integer_);
    integer_.msg_lev = GLP_MSG_OFF;
  }
  ~ReaderProgram() { glp_delete_prob(problem_); }
  ReaderProgram(const ReaderProgram&) = delete;
  ReaderProgram& operator=(const ReaderProgram&) = delete;

  // The least and greatest count of the cell consistent with everything;
  // nullopt if the program cannot be solved (the audit then fails).
  std::optional<Bounds> Range(CellRef cell) {
    const int column = Column(cell);
    glp_set_obj_coef(problem_, column, 1);
    const std::optional<double> low = Solve(GLP_MIN);
    const std::optional<double> high = Solve(GLP_MAX);
    glp_set_obj_coef(problem_, column, 0);
    if (!low || !high) return std::nullopt;
    return Bounds{static_cast<int64_t>(std::llround(*low)),
                  static_cast<int64_t>(std::llround(*high))};
  }
  size_t programs() const { return programs_; }

 private:
  int Column(CellRef cell) const {
    return static_cast<int>(first_column_[cell.table] + cell.cell) + 1;
  }
  void Bound(int column, Bounds bounds) {
    glp_set_col_kind(problem_, column, GLP_IV);
    glp_set_col_bnds(problem_, column, bounds.low == bounds.high ? GLP_FX : GLP_DB,
                     static_cast<double>(bounds.low), static_cast<double>(bounds.high));
  }
  std::optional<double> Solve(int direction) {
    ++programs_;
    glp_set_obj_dir(problem_, direction);
    if (glp_simplex(problem_, &simplex_) != 0 || glp_get_status(problem_) != GLP_OPT) {
      return std::nullopt;
    }
    if (glp_intopt(problem_, &integer_) != 0 || glp_mip_status(problem_) != GLP_OPT) {
      return std::nullopt;
    }
    return glp_mip_obj_val(problem_);
  }

  glp_prob* problem_ = nullptr;
  glp_smcp simplex_{};
  glp_iocp integer_{};
  std::vector<size_t> first_column_;
  size_t columns_ = 0;
  size_t programs_ = 0;
};

int64_t Values(Bounds bounds) { return bounds.high - bounds.low + 1; }

bool IsHidden(const CellState& state) { return state.disclosure != Disclosure::kShown; }

// Whether what a reader derives for a cell breaks a rule.
bool Breaks(const CellState& state, int64_t truth, Bounds derived, int64_t total, int threshold) {
  // A small count is never pinned down, whatever its mark says.
  if (truth >= 1 && truth < threshold && derived.low == derived.high) return true;
  if (!IsHidden(state)) return false;
  // A hidden cell keeps `threshold` possible counts, or all its mark allows
  // when that is fewer ("<5": 1..4).
  const Bounds marked = ReaderBounds(state, total, threshold);
  return Values(derived) < std::min<int64_t>(threshold, Values(marked));
}

}  // namespace

Bounds ReaderBounds(const CellState& state, int64_t total, int threshold,
                    bool listed_only_when_present) {
  if (state.unlisted) return {0, total};
  Bounds bounds = ReaderBoundsOfMark(state, total, threshold);
  if (listed_only_when_present) bounds.low = std::min(std::max<int64_t>(bounds.low, 1), total);
  return bounds;
}

Bounds ReaderBoundsOfMark(const CellState& state, int64_t total, int threshold) {
  const int64_t margin = state.held ? threshold - 1 : 0;
  switch (state.disclosure) {
    case Disclosure::kShown:
      return {std::max<int64_t>(0, state.shown - margin),
              std::min<int64_t>(total, state.shown + margin)};
    case Disclosure::kBelowThreshold:
      return {std::max<int64_t>(0, 1 - margin), std::min<int64_t>(total, threshold - 1 + margin)};
    case Disclosure::kSuppressed:
      if (state.together) return {0, total};
      return {std::min<int64_t>(total, std::max<int64_t>(0, threshold - margin)), total};
  }
  return {0, total};
}

States FreshStates(const LinkedSet& set, int threshold) {
  States states(set.tables.size());
  for (size_t t = 0; t < set.tables.size(); ++t) {
    for (const CountCell& cell : set.tables[t].cells) {
      const bool small = cell.count > 0 && cell.count < threshold;
      states[t].push_back({.disclosure = small ? Disclosure::kBelowThreshold : Disclosure::kShown,
                           .shown = small ? 0 : cell.count,
                           .held = false,
                           .together = false});
    }
  }
  return states;
}

namespace {

AuditResult AuditUnlocked(const LinkedSet& set, const States& states, int threshold) {
  AuditResult result;
  result.derived.resize(set.tables.size());
  ReaderProgram program(set, states, threshold);
  for (size_t t = 0; t < set.tables.size(); ++t) {
    result.derived[t].resize(set.tables[t].cells.size());
    for (size_t c = 0; c < set.tables[t].cells.size(); ++c) {
      const CellState& state = states[t][c];
      const int64_t truth = set.tables[t].cells[c].count;
      const bool small = truth >= 1 && truth < threshold;
      if (!IsHidden(state) && !state.held) {
        // Shown exactly: a small count must never be shown so.
        if (small) result.failing.push_back({t, c});
        continue;
      }
      if (!IsHidden(state) && !small) continue;  // held, and not small: nothing to protect
      const std::optional<Bounds> derived = program.Range({t, c});
      result.derived[t][c] = derived;
      if (!derived || Breaks(state, truth, *derived, set.total, threshold)) {
        result.failing.push_back({t, c});
      }
    }
  }
  result.programs = program.programs();
  result.passed = result.failing.empty();
  return result;
}

// GLPK keeps an environment per thread until it is freed; the audit runs
// on the gateway's worker threads, which it must not leave holding one.
struct GlpkEnvironmentRelease {
  ~GlpkEnvironmentRelease() { glp_free_env(); }
};

}  // namespace

AuditResult AuditLinkedTables(const LinkedSet& set, const States& states, int threshold) {
  std::lock_guard lock(GlpkMutex());
  const GlpkEnvironmentRelease release;  // after the program is deleted
  return AuditUnlocked(set, states, threshold);
}

namespace {

// Withholds every member of a group one of whose members is hidden: a
// member marked "<5", say, would let a reader assume it of the others.
void HideGroups(const LinkedSet& set, States& states) {
  for (const std::vector<CellRef>& group : set.hidden_together) {
    const bool any = std::any_of(group.begin(), group.end(), [&](CellRef cell) {
      return IsHidden(states[cell.table][cell.cell]);
    });
    if (!any) continue;
    for (CellRef cell : group) {
      CellState& state = states[cell.table][cell.cell];
      if (state.together) continue;  // withheld already, perhaps with its label
      state = {.disclosure = Disclosure::kSuppressed, .shown = 0, .held = false, .together = true};
    }
  }
}

// The smallest shown cell of the table that can be hidden as a
// complement: "x" then truthfully means at least the threshold.
std::optional<size_t> Complement(const LinkedSet& set, const States& states, size_t table,
                                 int threshold) {
  std::optional<size_t> best;
  const std::vector<CountCell>& cells = set.tables[table].cells;
  for (size_t c = 0; c < cells.size(); ++c) {
    if (IsHidden(states[table][c]) || cells[c].count < threshold) continue;
    if (!best || cells[c].count < cells[*best].count) best = c;
  }
  return best;
}

// Withholds a table: every cell "x" that may hold anything, small ones
// too (a "<5" beside cells that may hold anything would still narrow
// them). A table of one cell is its total, which is published anyway.
void Withhold(const LinkedSet& set, States& states, size_t table) {
  if (states[table].size() < 2) return;
  const std::vector<bool>& listed = set.tables[table].listed_only_when_present;
  for (size_t c = 0; c < states[table].size(); ++c) {
    // A label listed only when present would say "at least 1": it goes too.
    states[table][c] = {.disclosure = Disclosure::kSuppressed,
                        .shown = 0,
                        .held = false,
                        .together = true,
                        .unlisted = c < listed.size() && listed[c]};
  }
}

}  // namespace

Protection ProtectLinkedTables(const LinkedSet& set, States initial, int threshold) {
  threshold = std::max(threshold, 2);
  Protection protection;
  protection.states = std::move(initial);
  HideGroups(set, protection.states);
  std::set<size_t> withheld;
  for (;;) {
    ++protection.rounds;
    protection.audit = AuditLinkedTables(set, protection.states, threshold);
    if (protection.audit.passed) break;
    // One more complement in each table with a failing cell, or the whole
    // table withheld when it has none left.
    std::set<size_t> failing_tables;
    for (CellRef cell : protection.audit.failing) failing_tables.insert(cell.table);
    bool changed = false;
    for (size_t table : failing_tables) {
      if (std::optional<size_t> cell = Complement(set, protection.states, table, threshold)) {
        protection.states[table][*cell] = {
            .disclosure = Disclosure::kSuppressed, .shown = 0, .held = false, .together = false};
        changed = true;
      } else if (withheld.insert(table).second) {
        Withhold(set, protection.states, table);
        changed = true;
      }
    }
    // Only withheld tables fail: what narrows them are their relations to
    // the others, so every table is withheld. If even that fails, the
    // audit says so and nothing may be published.
    if (!changed) {
      for (size_t table = 0; table < set.tables.size(); ++table) {
        if (withheld.insert(table).second) {
          Withhold(set, protection.states, table);
          changed = true;
        }
      }
      if (!changed) break;
    }
    HideGroups(set, protection.states);
  }
  for (size_t t = 0; t < set.tables.size(); ++t) {
    for (size_t c = 0; c < set.tables[t].cells.size(); ++c) {
      const CellState& state = protection.states[t][c];
      if (state.disclosure == Disclosure::kBelowThreshold) ++protection.primary;
      if (state.disclosure == Disclosure::kSuppressed) ++protection.complementary;
    }
  }
  return protection;
}

}  // namespace ketenpoort::inburgering
