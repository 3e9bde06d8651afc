// Inburgering aggregates are published, not computed live (issue 25,
// decision 0030). At fixed moments (a schedule in Dutch local time, daily
// at 00:00 by default) every table of a municipality (stage, provider with
// pass rates, exam components, deadline bands, nationality) is counted
// from the projection and protected as one set of linked tables
// (linked_tables.h). Every answer in a period comes from that publication,
// so the same request in the same period gets the same answer.
//
// Against differencing two publications: a municipality's publication is
// renewed only when at least `threshold` persons changed since the one in
// force (entered, left, or moved in any table: the least number of persons
// the differences between the two sets of tables need). Otherwise the one
// in force is carried into the new period unchanged, so the arrival or
// change of a few known persons never shows.
//
// Thread-safe. The true counts never leave this class except through the
// protected states.
#ifndef KETENPOORT_GATEWAY_INBURGERING_PUBLICATION_H_
#define KETENPOORT_GATEWAY_INBURGERING_PUBLICATION_H_

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "gateway/common/clock.h"
#include "gateway/inburgering/linked_tables.h"
#include "gateway/inburgering/progress_projection.h"

namespace ketenpoort::inburgering {

struct PublicationSchedule {
  // The period; it divides a day. Periods start at `at` (minutes after
  // local midnight, Europe/Amsterdam) and every `every` after it.
  std::chrono::seconds every{86'400};
  int at_minutes = 0;
};

// The start of the period `unix_micros` falls in, and of the next one.
struct Period {
  int64_t start_unix_micros = 0;
  int64_t next_unix_micros = 0;
};
Period PeriodOf(const PublicationSchedule& schedule, int64_t unix_micros);

struct Publication {
  std::string municipality_code;
  Period period;
  int64_t as_of_unix_micros = 0;  // when the counts were taken
  bool carried_forward = false;   // fewer than threshold persons changed since
  int64_t changed_persons = 0;    // at least this many, since the one before
  int threshold = 0;
  LinkedSet set;  // the true counts; only `states` of them is ever shown
  States states;
  std::vector<Dimension> dimension_of;       // per table
  std::map<std::string, int32_t> pass_rate;  // provider -> whole percent
  AuditResult audit;                         // the final one: passed
  size_t primary = 0;
  size_t complementary = 0;
  size_t audit_rounds = 0;
  // Kinds of relation between tables the audit assumed known: finished
  // persons have no deadline; "geen gegevens" across the components and
  // providers; pass rates against the exam tables.
  size_t relation_kinds = 0;
};

class AggregatePublisher {
 public:
  AggregatePublisher(const ProgressProjection* projection, const Clock* clock, int threshold,
                     PublicationSchedule schedule)
      : projection_(projection), clock_(clock), threshold_(threshold), schedule_(schedule) {}
  ~AggregatePublisher();  // stops the timer

  // Starts the timer: once a municipality's series of publications has
  // begun (at its first request), each next one is made (or carried) at
  // the start of its period, so no requester chooses the moment its counts
  // are taken.
  void Start();
  // Makes (or carries) this period's publication of every series begun.
  // The timer's work; tests call it directly.
  void PublishDue();

  // The publication in force for the municipality now; the first of its
  // series is made at its first request.
  // UNAVAILABLE PROJECTION_NOT_READY before the projection's
  // first build; FAILED_PRECONDITION POPULATION_BELOW_THRESHOLD for fewer
  // persons than the threshold.
  absl::StatusOr<std::shared_ptr<const Publication>> Current(std::string_view municipality_code);

  int threshold() const { return threshold_; }
  const PublicationSchedule& schedule() const { return schedule_; }

 private:
  std::shared_ptr<const Publication> Publish(const std::string& municipality_code, Period period,
                                             const Publication* previous) const;

  // This period's publication for the municipality, made if need be.
  std::shared_ptr<const Publication> InForce(std::string_view municipality_code, Period period);
  void Loop(std::stop_token stop);

  const ProgressProjection* const projection_;
  const Clock* const clock_;
  const int threshold_;
  const PublicationSchedule schedule_;
  std::mutex mutex_;  // one publication is made at a time
  std::map<std::string, std::shared_ptr<const Publication>, std::less<>> in_force_;
  std::mutex wait_mutex_;
  std::condition_variable_any wake_;
  std::jthread timer_;  // last: stopped and joined before the rest goes
};

}  // namespace ketenpoort::inburgering

#endif  // KETENPOORT_GATEWAY_INBURGERING_PUBLICATION_H_
