#include "gateway/inburgering/publication.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "gateway/common/civil_date.h"
#include "gateway/common/error.h"

namespace ketenpoort::inburgering {
namespace {

constexpr int64_t kMicros = 1'000'000;
constexpr double kUnbounded = std::numeric_limits<double>::infinity();

std::optional<size_t> CellNamed(const LinkedTable& table, std::string_view label) {
  for (size_t c = 0; c < table.cells.size(); ++c) {
    if (table.cells[c].label == label) return c;
  }
  return std::nullopt;
}

std::optional<size_t> TableOf(const std::vector<Dimension>& dimension_of, Dimension dimension) {
  for (size_t t = 0; t < dimension_of.size(); ++t) {
    if (dimension_of[t] == dimension) return t;
  }
  return std::nullopt;
}

// The least number of persons that entered, left or moved between two
// counts of one table: each moved person shifts two cells by one, each
// who entered or left one cell and the total.
int64_t PersonsChanged(const LinkedTable& before, int64_t total_before, const LinkedTable& after,
                       int64_t total_after) {
  int64_t moved = std::llabs(total_after - total_before);
  for (const CountCell& cell : after.cells) {
    const std::optional<size_t> was = CellNamed(before, cell.label);
    moved += std::llabs(cell.count - (was ? before.cells[*was].count : 0));
  }
  for (const CountCell& cell : before.cells) {
    if (!CellNamed(after, cell.label)) moved += cell.count;
  }
  return (moved + 1) / 2;
}

int64_t PersonsChanged(const LinkedSet& before, const LinkedSet& after) {
  int64_t changed = std::llabs(after.total - before.total);
  for (const LinkedTable& table : after.tables) {
    const auto was = std::find_if(before.tables.begin(), before.tables.end(),
                                  [&](const LinkedTable& t) { return t.name == table.name; });
    if (was == before.tables.end()) {
      changed = std::max(changed, after.total);
      continue;
    }
    changed = std::max(changed, PersonsChanged(*was, before.total, table, after.total));
  }
  return changed;
}

// Pass rates as the reader sees them: a provider's share of passes, from
// counts the tables do not show, which add up to the exam tables' passes
// and failures. Latent counts: a pass count and a failure count per rated
// provider.
void AddPassRateRelations(LinkedSet& set, const std::vector<Dimension>& dimension_of,
                          const std::map<std::string, int32_t>& rates, int threshold) {
  std::vector<Term> passes, failures;
  const double most = static_cast<double>(set.total) * static_cast<double>(kExamComponents.size());
  for (const auto& [provider, rate] : rates) {
    const size_t passed = set.latent.size();
    const size_t failed = passed + 1;
    set.latent.push_back({0, static_cast<int64_t>(most)});
    set.latent.push_back({0, static_cast<int64_t>(most)});
    const double r = rate;
    // lround(100 p / (p + f)) == r: 100 p within (r +- 0.5)(p + f).
    set.relations.push_back(
        {{{true, passed, 0, 100 - r + 0.5}, {true, failed, 0, -(r - 0.5)}}, 0, kUnbounded});
    set.relations.push_back(
        {{{true, passed, 0, 100 - r - 0.5}, {true, failed, 0, -(r + 0.5)}}, -kUnbounded, 0});
    // Rated only over at least `threshold` results.
    set.relations.push_back(
        {{{true, passed, 0, 1}, {true, failed, 0, 1}}, static_cast<double>(threshold), kUnbounded});
    passes.push_back({true, passed, 0, 1});
    failures.push_back({true, failed, 0, 1});
  }
  // No more passes (failures) at rated providers than in the exam tables.
  for (size_t t = 0; t < set.tables.size(); ++t) {
    if (dimension_of[t] != Dimension::kExamComponent) continue;
    if (std::optional<size_t> cell = CellNamed(set.tables[t], "behaald")) {
      passes.push_back({false, t, *cell, -1});
    }
    if (std::optional<size_t> cell = CellNamed(set.tables[t], "niet behaald")) {
      failures.push_back({false, t, *cell, -1});
    }
  }
  set.relations.push_back({passes, -kUnbounded, 0});
  set.relations.push_back({failures, -kUnbounded, 0});
}

// Rates for shown provider cells over at least `threshold` results, with
// no small number of passes or failures ("1 of 40 failed" would single one
// out).
std::map<std::string, int32_t> PassRates(const std::map<std::string, ProviderResults>& results,
                                         const LinkedSet& set, const States& states,
                                         const std::vector<Dimension>& dimension_of,
                                         int threshold) {
  std::map<std::string, int32_t> rates;
  const std::optional<size_t> table = TableOf(dimension_of, Dimension::kProvider);
  if (!table) return rates;
  // Only while every exam table shows its passes and failures: a rate
  // against a hidden count of them could pin it.
  for (size_t t = 0; t < set.tables.size(); ++t) {
    if (dimension_of[t] != Dimension::kExamComponent) continue;
    for (std::string_view label : {"behaald", "niet behaald"}) {
      const std::optional<size_t> cell = CellNamed(set.tables[t], label);
      if (cell && states[t][*cell].disclosure != Disclosure::kShown) return rates;
    }
  }
  for (size_t c = 0; c < set.tables[*table].cells.size(); ++c) {
    if (states[*table][c].disclosure != Disclosure::kShown) continue;
    auto found = results.find(set.tables[*table].cells[c].label);
    if (found == results.end()) continue;
    const ProviderResults& provider = found->second;
    const auto small = [threshold](int64_t n) { return n > 0 && n < threshold; };
    if (provider.passed + provider.failed < threshold || small(provider.passed) ||
        small(provider.failed)) {
      continue;
    }
    const double taken = static_cast<double>(provider.passed + provider.failed);
    rates[found->first] =
        static_cast<int32_t>(std::lround(100.0 * static_cast<double>(provider.passed) / taken));
  }
  return rates;
}

}  // namespace

Period PeriodOf(const PublicationSchedule& schedule, int64_t unix_micros) {
  const int64_t every = std::max<int64_t>(1, schedule.every.count());
  const int64_t seconds = unix_micros / kMicros;
  const int64_t offset = AmsterdamUtcOffsetSeconds(seconds);
  // Local time, then the period start in it, then back to UTC (with the
  // offset of that moment: a period never starts in the hour a clock
  // change skips or repeats at 00:00).
  const int64_t local = seconds + offset;
  const int64_t anchor = (local / 86'400) * 86'400 + schedule.at_minutes * 60;
  int64_t start = anchor + ((local - anchor) / every) * every;
  if (local < anchor) start = anchor - ((anchor - local + every - 1) / every) * every;
  // Back to UTC with the offset in force at each boundary itself, so a
  // request on the day the clocks change finds the same period as any
  // other that day.
  const auto utc = [](int64_t local_seconds) {
    const int64_t guess = local_seconds - AmsterdamUtcOffsetSeconds(local_seconds - 3'600);
    return local_seconds - AmsterdamUtcOffsetSeconds(guess);
  };
  return {utc(start) * kMicros, utc(start + every) * kMicros};
}

namespace {

LinkedSet LinkedSetOf(ProgressProjection::Snapshot snapshot, std::vector<Dimension>* dimension_of) {
  LinkedSet set;
  dimension_of->clear();
  const std::map<Dimension, std::string> names = {{Dimension::kStage, "STAGE"},
                                                  {Dimension::kProvider, "PROVIDER"},
                                                  {Dimension::kExamComponent, "EXAM_COMPONENT"},
                                                  {Dimension::kDeadlineBand, "DEADLINE_BAND"},
                                                  {Dimension::kNationality, "NATIONALITY"}};
  for (auto& [dimension, tables] : snapshot.tables) {
    // Providers and nationalities are listed only when present, and so are
    // "onbekend" and "geen gegevens" elsewhere: a listed label is at least 1.
    const bool open = dimension == Dimension::kProvider || dimension == Dimension::kNationality;
    for (CountTable& counted : tables) {
      LinkedTable table{
          counted.row.empty() ? names.at(dimension) : names.at(dimension) + "/" + counted.row,
          std::move(counted.cells),
          {}};
      for (const CountCell& cell : table.cells) {
        table.listed_only_when_present.push_back(open || cell.label == kUnknown ||
                                                 cell.label == "geen gegevens");
      }
      set.tables.push_back(std::move(table));
      dimension_of->push_back(dimension);
    }
  }
  for (const CountCell& cell : set.tables.front().cells) set.total += cell.count;
  // A relation a reader may take as exact wherever the data makes it so.
  // (The truth decides only which of two true statements is made: "at
  // least" by the rules, or "exactly" where the data is so.)
  const auto relation = [&](std::vector<Term> terms, bool at_least) {
    double value = 0;
    for (const Term& term : terms) {
      value +=
          term.coefficient * static_cast<double>(set.tables[term.table].cells[term.cell].count);
    }
    if (value == 0) {
      set.relations.push_back({std::move(terms), 0, 0});
    } else if (at_least) {
      set.relations.push_back({std::move(terms), 0, kUnbounded});
    }
  };
  // Finished persons (afgerond, ontheffing) have no deadline to count.
  const std::optional<size_t> stage = TableOf(*dimension_of, Dimension::kStage);
  const std::optional<size_t> band = TableOf(*dimension_of, Dimension::kDeadlineBand);
  if (stage && band) {
    if (std::optional<size_t> none = CellNamed(set.tables[*band], "niet van toepassing")) {
      std::vector<Term> finished{{false, *band, *none, 1}};
      for (std::string_view label : {"afgerond", "ontheffing"}) {
        if (std::optional<size_t> cell = CellNamed(set.tables[*stage], label)) {
          finished.push_back({false, *stage, *cell, -1});
        }
      }
      relation(std::move(finished), /*at_least=*/true);
    }
  }
  // A person DUO has no exam data for counts as "geen gegevens" in every
  // component, and often has no provider: those cells hold (nearly) the
  // same persons. Shown or withheld together; equal, where they are.
  std::vector<CellRef> no_data;
  for (size_t t = 0; t < set.tables.size(); ++t) {
    const bool exam = (*dimension_of)[t] == Dimension::kExamComponent;
    const bool provider = (*dimension_of)[t] == Dimension::kProvider;
    if (!exam && !provider) continue;
    if (std::optional<size_t> cell =
            CellNamed(set.tables[t], exam ? "geen gegevens" : "geen aanbieder")) {
      no_data.push_back({t, *cell});
    }
  }
  for (size_t i = 1; i < no_data.size(); ++i) {
    relation({{false, no_data[i].table, no_data[i].cell, 1},
              {false, no_data[0].table, no_data[0].cell, -1}},
             /*at_least=*/false);
  }
  if (no_data.size() > 1) set.hidden_together.push_back(std::move(no_data));
  return set;
}

}  // namespace

std::shared_ptr<const Publication> AggregatePublisher::Publish(const std::string& municipality_code,
                                                               Period period,
                                                               const Publication* previous) const {
  const int64_t now = clock_->NowUnixMicros();
  auto publication = std::make_shared<Publication>();
  publication->municipality_code = municipality_code;
  publication->period = period;
  publication->threshold = threshold_;
  publication->as_of_unix_micros = now;
  ProgressProjection::Snapshot snapshot =
      projection_->CountEverything(municipality_code, now / (86'400 * kMicros));
  const std::map<std::string, ProviderResults> results = snapshot.results;
  publication->set = LinkedSetOf(std::move(snapshot), &publication->dimension_of);
  // Only a publication that went out is carried: one refused (too few
  // persons, or an audit that could not pass) is tried afresh.
  if (previous != nullptr && previous->audit.passed) {
    publication->changed_persons = PersonsChanged(previous->set, publication->set);
    if (publication->changed_persons < threshold_) {
      // Too few changed to show any of it: the one in force stands.
      auto carried = std::make_shared<Publication>(*previous);
      carried->period = period;
      carried->carried_forward = true;
      carried->changed_persons = publication->changed_persons;
      return carried;
    }
  }
  if (publication->set.total < threshold_) return publication;
  Protection protection =
      ProtectLinkedTables(publication->set, FreshStates(publication->set, threshold_), threshold_);
  publication->states = std::move(protection.states);
  publication->audit = std::move(protection.audit);
  publication->primary = protection.primary;
  publication->complementary = protection.complementary;
  publication->audit_rounds = protection.rounds;
  // Pass rates go out only if the audit still passes with them known.
  std::map<std::string, int32_t> rates = PassRates(results, publication->set, publication->states,
                                                   publication->dimension_of, threshold_);
  if (!rates.empty() && publication->audit.passed) {
    LinkedSet with_rates = publication->set;
    AddPassRateRelations(with_rates, publication->dimension_of, rates, threshold_);
    AuditResult audit = AuditLinkedTables(with_rates, publication->states, threshold_);
    ++publication->audit_rounds;
    if (audit.passed) {
      audit.programs += publication->audit.programs;
      publication->audit = std::move(audit);
      publication->set = std::move(with_rates);
      publication->pass_rate = std::move(rates);
    }
  }
  publication->relation_kinds = 2 + (publication->pass_rate.empty() ? 0 : 1);
  return publication;
}

AggregatePublisher::~AggregatePublisher() {
  if (timer_.joinable()) {
    timer_.request_stop();
    timer_.join();
  }
}

void AggregatePublisher::Start() {
  timer_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
}

void AggregatePublisher::Loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    // Until the projection's first build, look again shortly; then at
    // each period's start.
    std::chrono::milliseconds wait(200);
    if (projection_->built_at()) {
      PublishDue();
      const int64_t now = clock_->NowUnixMicros();
      const int64_t next = PeriodOf(schedule_, now).next_unix_micros;
      wait = std::chrono::milliseconds(std::max<int64_t>(1, (next - now) / 1000));
    }
    std::unique_lock lock(wait_mutex_);
    wake_.wait_for(lock, stop, wait, [] { return false; });
  }
}

void AggregatePublisher::PublishDue() {
  if (!projection_->built_at()) return;
  const Period period = PeriodOf(schedule_, clock_->NowUnixMicros());
  // Every series already begun: its next publication is not a requester's
  // to time. (A first publication has nothing before it to compare with.)
  std::vector<std::string> municipalities;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [code, publication] : in_force_) municipalities.push_back(code);
  }
  for (const std::string& code : municipalities) InForce(code, period);
}

std::shared_ptr<const Publication> AggregatePublisher::InForce(std::string_view municipality_code,
                                                               Period period) {
  std::lock_guard lock(mutex_);
  auto found = in_force_.find(municipality_code);
  if (found != in_force_.end() &&
      found->second->period.start_unix_micros == period.start_unix_micros) {
    return found->second;
  }
  std::shared_ptr<const Publication> publication =
      Publish(std::string(municipality_code), period,
              found == in_force_.end() ? nullptr : found->second.get());
  in_force_[std::string(municipality_code)] = publication;
  return publication;
}

absl::StatusOr<std::shared_ptr<const Publication>> AggregatePublisher::Current(
    std::string_view municipality_code) {
  if (!projection_->built_at()) return ProjectionNotReady();
  const std::shared_ptr<const Publication> publication =
      InForce(municipality_code, PeriodOf(schedule_, clock_->NowUnixMicros()));
  if (publication->set.total < threshold_) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "POPULATION_BELOW_THRESHOLD",
                     "fewer than " + std::to_string(threshold_) +
                         " persons in inburgering are linked to the municipality; any count "
                         "would single them out");
  }
  if (!publication->audit.passed) {
    return MakeError(absl::StatusCode::kInternal, "AGGREGATE_NOT_PROTECTED",
                     "the aggregates could not be protected; nothing is published");
  }
  return publication;
}

}  // namespace ketenpoort::inburgering
