// The in-memory projection behind ListProgress and Aggregate: for every
// person linked to a municipality, only what lists and counts need (stage,
// deadline, provider, exam component statuses, nationality), indexed per
// municipality in the order of a keyed per-person paging key.
//
// The paging key is an HMAC of the subject id under a gateway secret, so
// page tokens are stable (across restarts too) and reveal nothing; a person
// added or changed meanwhile never shifts the pages around it. Never
// written to disk: the projector rebuilds it from the sources.
// Thread-safe.
#ifndef KETENPOORT_GATEWAY_INBURGERING_PROGRESS_PROJECTION_H_
#define KETENPOORT_GATEWAY_INBURGERING_PROGRESS_PROJECTION_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/inburgering/deadline_band.h"
#include "gateway/inburgering/small_cells.h"
#include "records/v1/duo.pb.h"

namespace ketenpoort::inburgering {

// DUO's vocabularies, in the order tables are published. A value outside
// them is kept as "onbekend" (unknown).
inline constexpr std::array<std::string_view, 5> kStages = {"intake", "in traject", "examens",
                                                            "afgerond", "ontheffing"};
inline constexpr std::array<std::string_view, 7> kExamComponents = {
    "lezen", "luisteren", "schrijven", "spreken", "KNM", "ONA", "PVT"};
inline constexpr std::array<std::string_view, 5> kComponentStatuses = {
    "niet gestart", "ingeschreven", "behaald", "niet behaald", "vrijgesteld"};
inline constexpr std::string_view kUnknown = "onbekend";

enum class Dimension { kStage, kProvider, kExamComponent, kDeadlineBand, kNationality };

struct ListFilter {
  std::optional<std::string> stage;
  std::optional<DeadlineBand> deadline_band;
  std::optional<std::string> provider;
};

struct ListedPerson {
  std::string subject_id;
  // What the projection holds, as DUO's record type, so the policy's
  // filter decides what of it is released.
  records::v1::duo::InburgeringStatus record;
};

struct ListPage {
  std::vector<ListedPerson> persons;
  std::string next_page_token;  // empty on the last page
};

// One table of an aggregate: every table of a dimension partitions the
// same population (exam components give one table per component).
struct CountTable {
  std::string row;  // the exam component; empty otherwise
  std::vector<CountCell> cells;
};

// Exam results per provider, for pass rates.
struct ProviderResults {
  int64_t passed = 0;  // behaald
  int64_t failed = 0;  // niet behaald
};

// UNAVAILABLE PROJECTION_NOT_READY: asked before the first full build.
absl::Status ProjectionNotReady();

class ProgressProjection {
 public:
  // `paging_secret` keys the paging order; never logged.
  explicit ProgressProjection(std::string paging_secret)
      : paging_secret_(std::move(paging_secret)) {}

  // Adds or replaces a person, moving them when the municipality changed.
  void Upsert(const std::string& subject_id, const std::string& municipality_code,
              const records::v1::duo::InburgeringStatus& status, std::string_view nationality);
  void Remove(const std::string& subject_id);

  // When the last full build finished (Unix micros); nullopt before the
  // first, when lists and counts would be incomplete.
  std::optional<int64_t> built_at() const;
  void MarkBuilt(int64_t unix_micros);

  // Persons of `municipality_code` matching `filter`, after `page_token`
  // (empty: from the start), at most `limit`. INVALID_ARGUMENT for a token
  // this projection did not issue.
  absl::StatusOr<ListPage> List(std::string_view municipality_code, const ListFilter& filter,
                                std::string_view page_token, size_t limit, int64_t today) const;

  // The municipality's persons counted by `dimension`; every table sums to
  // all of them.
  std::vector<CountTable> Count(std::string_view municipality_code, Dimension dimension,
                                int64_t today) const;
  std::map<std::string, ProviderResults> ResultsByProvider(
      std::string_view municipality_code) const;

  // Every dimension's tables and the exam results by provider, counted
  // under one lock: one moment, so the tables all add up to one total.
  struct Snapshot {
    std::vector<std::pair<Dimension, std::vector<CountTable>>> tables;
    std::map<std::string, ProviderResults> results;
  };
  Snapshot CountEverything(std::string_view municipality_code, int64_t today) const;

  size_t size() const;

 private:
  using PagingKey = std::array<uint8_t, 16>;
  using Code = uint8_t;  // index into a vocabulary; its size means unknown or absent

  struct Entry {
    std::string subject_id;
    Code stage = 0;
    std::optional<int32_t> deadline;                        // days since the epoch
    uint16_t provider = 0;                                  // interned; 0 is none
    uint16_t nationality = 0;                               // interned; 0 is unknown
    std::array<Code, kExamComponents.size()> components{};  // kComponentStatuses index
  };
  struct Location {
    std::string municipality_code;
    PagingKey key{};
  };
  // Strings seen often (providers, nationalities) are stored once.
  struct Interned {
    std::vector<std::string> values{std::string()};
    std::unordered_map<std::string, uint16_t> index;
    uint16_t Intern(std::string_view value);
  };

  PagingKey KeyOf(std::string_view subject_id) const;
  // Count and ResultsByProvider with mutex_ held by the caller.
  std::vector<CountTable> CountLocked(std::string_view municipality_code, Dimension dimension,
                                      int64_t today) const;
  std::map<std::string, ProviderResults> ResultsLocked(std::string_view municipality_code) const;
  bool Matches(const Entry& entry, const ListFilter& filter, int64_t today) const;
  ListedPerson Listed(const Entry& entry) const;
  static DeadlineBand BandOfEntry(const Entry& entry, int64_t today);

  const std::string paging_secret_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Location> where_;  // by subject
  std::unordered_map<std::string, std::map<PagingKey, Entry>> by_municipality_;
  Interned providers_;
  Interned nationalities_;
  std::optional<int64_t> built_at_;
};

}  // namespace ketenpoort::inburgering

#endif  // KETENPOORT_GATEWAY_INBURGERING_PROGRESS_PROJECTION_H_
