// Linked-table protection (issue 25, decision 0030): everything one
// municipality can obtain at one moment (every dimension, every table, the
// totals) is protected as one set, the way statistics offices protect
// linked tables (Statistics Netherlands' tau-ARGUS).
//
// Every table partitions the same population, whose total is published.
// A reader who knows every published cell, the total, the rules below and
// the relations the data obeys (LinkedSet::relations) can still work out
// what a hidden cell holds. The audit computes exactly that: for every
// hidden cell, the least and greatest count consistent with everything
// published, by integer linear programming (GLPK, exact for these integer
// counts). Complementary suppression then hides more, until:
//   - no count from 1 to threshold-1 can be derived, whatever its mark;
//   - a "<threshold" cell can be narrowed to nothing less than 1..t-1;
//   - any other hidden cell keeps at least `threshold` possible counts.
//
// What a reader knows a mark means (the rules, published in the README):
// a shown count is exact; "<t" holds 1..t-1; "x" holds at least t, unless
// it is hidden with its group (LinkedSet::hidden_together) or table, when
// it may hold anything; "x" chosen as a complement is also at most the
// smallest shown count of at least t in its table (complements are chosen
// smallest first); a label listed only when present is at least 1. A cell held from an earlier
// publication (publication.h) is known only to within threshold-1 of what it says.
#ifndef KETENPOORT_GATEWAY_INBURGERING_LINKED_TABLES_H_
#define KETENPOORT_GATEWAY_INBURGERING_LINKED_TABLES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/inburgering/small_cells.h"

namespace ketenpoort::inburgering {

struct CellRef {
  size_t table = 0;
  size_t cell = 0;
  bool operator==(const CellRef&) const = default;
};

// One term of a relation: a cell, or a count no table shows (`latent`).
struct Term {
  bool latent = false;
  size_t table = 0;  // the latent count's index when latent
  size_t cell = 0;
  double coefficient = 1;
};

// low <= sum of the terms <= high (either may be infinite), known to every
// reader from the rules that make the tables.
struct Relation {
  std::vector<Term> terms;
  double low = 0;
  double high = 0;
};

struct Bounds {
  int64_t low = 0;
  int64_t high = 0;
};

struct LinkedTable {
  std::string name;              // e.g. "EXAM_COMPONENT/lezen"
  std::vector<CountCell> cells;  // true counts; they sum to LinkedSet::total
  // Per cell (or empty: none): listed only when someone is in it (a
  // nationality, "onbekend"), so its label alone says at least 1.
  std::vector<bool> listed_only_when_present;
};

struct LinkedSet {
  int64_t total = 0;  // published: every table sums to it
  std::vector<LinkedTable> tables;
  std::vector<Bounds> latent;  // what a reader knows of each latent count
  std::vector<Relation> relations;
  // Cells that hold (nearly) the same persons by the data's nature: all
  // are hidden when one is, or a reader would take the shown one's count.
  std::vector<std::vector<CellRef>> hidden_together;
};

// How one cell is published.
struct CellState {
  Disclosure disclosure = Disclosure::kShown;
  int64_t shown = 0;      // the count shown, when kShown
  bool held = false;      // carried from an earlier publication
  bool together = false;  // hidden for its group, so it may hold any count
  bool unlisted = false;  // withheld with its label: not published at all
};
using States = std::vector<std::vector<CellState>>;  // per table, per cell

// What a reader knows one cell holds from its state alone (and that a
// listed label of a cell listed only when present is at least 1).
Bounds ReaderBounds(const CellState& state, int64_t total, int threshold,
                    bool listed_only_when_present = false);

struct AuditResult {
  bool passed = false;
  // Per table and cell: what a reader can derive; set for every hidden
  // cell and every held one.
  std::vector<std::vector<std::optional<Bounds>>> derived;
  std::vector<CellRef> failing;  // the cells that broke a rule
  size_t programs = 0;           // integer programs solved
};

// The audit alone: derives every hidden and held cell's interval from
// `states` over the whole set, and checks the rules above.
AuditResult AuditLinkedTables(const LinkedSet& set, const States& states, int threshold);

struct Protection {
  States states;
  AuditResult audit;         // of the final states: passed
  size_t primary = 0;        // cells below the threshold
  size_t complementary = 0;  // hidden so the small ones stay hidden
  size_t rounds = 0;         // audits run
};

// Every cell fresh: 0 and >= threshold shown, 1..threshold-1 "<threshold".
States FreshStates(const LinkedSet& set, int threshold);

// Starts from `initial` and hides more, smallest first, within the failing
// cell's table first, until the audit passes; as a last resort whole
// tables are withheld (every cell "x" that may hold anything). `threshold`
// >= 2. Never fails: withholding everything always passes.
Protection ProtectLinkedTables(const LinkedSet& set, States initial, int threshold);

}  // namespace ketenpoort::inburgering

#endif  // KETENPOORT_GATEWAY_INBURGERING_LINKED_TABLES_H_
