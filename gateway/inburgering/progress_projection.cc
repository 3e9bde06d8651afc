#include "gateway/inburgering/progress_projection.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "gateway/common/civil_date.h"
#include "gateway/common/crypto.h"
#include "gateway/common/error.h"

namespace ketenpoort::inburgering {
namespace {

constexpr uint8_t kUnknownCode = kComponentStatuses.size();  // also kStages.size()
constexpr uint8_t kAbsentCode = kUnknownCode + 1;
static_assert(kStages.size() == kComponentStatuses.size());
constexpr std::string_view kNoData = "geen gegevens";
constexpr std::string_view kNoProvider = "geen aanbieder";

template <size_t N>
uint8_t CodeOf(const std::array<std::string_view, N>& vocabulary, std::string_view value) {
  auto it = std::find(vocabulary.begin(), vocabulary.end(), value);
  return static_cast<uint8_t>(it - vocabulary.begin());  // N when unknown
}

bool Finished(uint8_t stage) {
  return stage == CodeOf(kStages, "afgerond") || stage == CodeOf(kStages, "ontheffing");
}

// Cells for a fixed vocabulary, then "onbekend" and `absent_label` only when
// someone falls in them.
template <size_t N>
std::vector<CountCell> VocabularyCells(const std::array<std::string_view, N>& vocabulary,
                                       const std::array<int64_t, N + 2>& counts,
                                       std::string_view absent_label) {
  std::vector<CountCell> cells;
  for (size_t i = 0; i < N; ++i) cells.push_back({std::string(vocabulary[i]), counts[i]});
  if (counts[N] > 0) cells.push_back({std::string(kUnknown), counts[N]});
  if (counts[N + 1] > 0) cells.push_back({std::string(absent_label), counts[N + 1]});
  return cells;
}

}  // namespace

absl::Status ProjectionNotReady() {
  return MakeError(absl::StatusCode::kUnavailable, "PROJECTION_NOT_READY",
                   "the inburgering overview is still being built from DUO's records; retry in "
                   "a moment");
}

uint16_t ProgressProjection::Interned::Intern(std::string_view value) {
  if (value.empty()) return 0;
  auto it = index.find(std::string(value));
  if (it != index.end()) return it->second;
  if (values.size() > UINT16_MAX) return 0;  // beyond any real vocabulary: unknown
  const auto code = static_cast<uint16_t>(values.size());
  values.emplace_back(value);
  index.emplace(std::string(value), code);
  return code;
}

ProgressProjection::PagingKey ProgressProjection::KeyOf(std::string_view subject_id) const {
  // 128 bits of an HMAC: collisions among millions of persons are
  // negligible, and the order is stable for as long as the secret is.
  const crypto::Sha256Digest digest = crypto::HmacSha256(paging_secret_, subject_id);
  PagingKey key;
  std::memcpy(key.data(), digest.data(), key.size());
  return key;
}

void ProgressProjection::Upsert(const std::string& subject_id, const std::string& municipality_code,
                                const records::v1::duo::InburgeringStatus& status,
                                std::string_view nationality) {
  Entry entry;
  entry.subject_id = subject_id;
  entry.stage = status.has_stage() ? CodeOf(kStages, status.stage()) : kUnknownCode;
  if (std::optional<int64_t> day = ParseCivilDate(status.deadline())) {
    entry.deadline = static_cast<int32_t>(*day);
  }
  entry.components.fill(kAbsentCode);
  for (const auto& exam : status.exam_components()) {
    const uint8_t component = CodeOf(kExamComponents, exam.component());
    if (component < kExamComponents.size()) {
      entry.components[component] = CodeOf(kComponentStatuses, exam.status());
    }
  }
  const PagingKey key = KeyOf(subject_id);

  std::unique_lock lock(mutex_);
  entry.provider = providers_.Intern(status.provider());
  entry.nationality = nationalities_.Intern(nationality);
  auto [where, added] = where_.try_emplace(subject_id);
  if (!added && where->second.municipality_code != municipality_code) {
    auto old = by_municipality_.find(where->second.municipality_code);
    if (old != by_municipality_.end()) old->second.erase(where->second.key);
  }
  where->second = {municipality_code, key};
  by_municipality_[municipality_code][key] = std::move(entry);
}

void ProgressProjection::Remove(const std::string& subject_id) {
  std::unique_lock lock(mutex_);
  auto where = where_.find(subject_id);
  if (where == where_.end()) return;
  auto municipality = by_municipality_.find(where->second.municipality_code);
  if (municipality != by_municipality_.end()) municipality->second.erase(where->second.key);
  where_.erase(where);
}

std::optional<int64_t> ProgressProjection::built_at() const {
  std::shared_lock lock(mutex_);
  return built_at_;
}

void ProgressProjection::MarkBuilt(int64_t unix_micros) {
  std::unique_lock lock(mutex_);
  built_at_ = unix_micros;
}

size_t ProgressProjection::size() const {
  std::shared_lock lock(mutex_);
  return where_.size();
}

DeadlineBand ProgressProjection::BandOfEntry(const Entry& entry, int64_t today) {
  return BandOf(Finished(entry.stage),
                entry.deadline ? std::optional<int64_t>(*entry.deadline) : std::nullopt, today);
}

bool ProgressProjection::Matches(const Entry& entry, const ListFilter& filter,
                                 int64_t today) const {
  if (filter.stage && (entry.stage >= kStages.size() || kStages[entry.stage] != *filter.stage)) {
    return false;
  }
  if (filter.provider && providers_.values[entry.provider] != *filter.provider) return false;
  if (filter.deadline_band && BandOfEntry(entry, today) != *filter.deadline_band) return false;
  return true;
}

ListedPerson ProgressProjection::Listed(const Entry& entry) const {
  ListedPerson person;
  person.subject_id = entry.subject_id;
  records::v1::duo::InburgeringStatus& record = person.record;
  record.set_subject_id(entry.subject_id);
  record.set_stage(std::string(entry.stage < kStages.size() ? kStages[entry.stage] : kUnknown));
  if (entry.deadline) record.set_deadline(FormatCivilDate(*entry.deadline));
  if (entry.provider != 0) record.set_provider(providers_.values[entry.provider]);
  for (size_t i = 0; i < kExamComponents.size(); ++i) {
    if (entry.components[i] == kAbsentCode) continue;
    auto* exam = record.add_exam_components();
    exam->set_component(std::string(kExamComponents[i]));
    exam->set_status(std::string(entry.components[i] < kComponentStatuses.size()
                                     ? kComponentStatuses[entry.components[i]]
                                     : kUnknown));
  }
  return person;
}

absl::StatusOr<ListPage> ProgressProjection::List(std::string_view municipality_code,
                                                  const ListFilter& filter,
                                                  std::string_view page_token, size_t limit,
                                                  int64_t today) const {
  std::optional<PagingKey> after;
  if (!page_token.empty()) {
    absl::StatusOr<std::string> bytes = crypto::Base64Decode(page_token);
    if (!bytes.ok() || bytes->size() != sizeof(PagingKey)) {
      return MakeError(absl::StatusCode::kInvalidArgument, "BAD_PAGE_TOKEN",
                       "page_token is not one this gateway issued");
    }
    after.emplace();
    std::memcpy(after->data(), bytes->data(), after->size());
  }
  ListPage page;
  std::shared_lock lock(mutex_);
  auto municipality = by_municipality_.find(std::string(municipality_code));
  if (municipality == by_municipality_.end()) return page;
  const auto& persons = municipality->second;
  const PagingKey* last = nullptr;
  for (auto it = after ? persons.upper_bound(*after) : persons.begin(); it != persons.end(); ++it) {
    if (!Matches(it->second, filter, today)) continue;
    if (page.persons.size() == limit) {
      // Someone follows: the token points after the last one returned.
      page.next_page_token = crypto::Base64Encode(
          std::string_view(reinterpret_cast<const char*>(last->data()), last->size()));
      break;
    }
    page.persons.push_back(Listed(it->second));
    last = &it->first;
  }
  return page;
}

std::vector<CountTable> ProgressProjection::Count(std::string_view municipality_code,
                                                  Dimension dimension, int64_t today) const {
  std::shared_lock lock(mutex_);
  return CountLocked(municipality_code, dimension, today);
}

ProgressProjection::Snapshot ProgressProjection::CountEverything(std::string_view municipality_code,
                                                                 int64_t today) const {
  std::shared_lock lock(mutex_);
  Snapshot snapshot;
  for (Dimension dimension : {Dimension::kStage, Dimension::kProvider, Dimension::kExamComponent,
                              Dimension::kDeadlineBand, Dimension::kNationality}) {
    snapshot.tables.emplace_back(dimension, CountLocked(municipality_code, dimension, today));
  }
  snapshot.results = ResultsLocked(municipality_code);
  return snapshot;
}

std::vector<CountTable> ProgressProjection::CountLocked(std::string_view municipality_code,
                                                        Dimension dimension, int64_t today) const {
  static const std::map<PagingKey, Entry> kNobody;
  auto found = by_municipality_.find(std::string(municipality_code));
  const auto& persons = found == by_municipality_.end() ? kNobody : found->second;

  switch (dimension) {
    case Dimension::kStage: {
      std::array<int64_t, kStages.size() + 2> counts{};
      for (const auto& [key, entry] : persons) ++counts[entry.stage];
      return {{"", VocabularyCells(kStages, counts, kNoData)}};
    }
    case Dimension::kExamComponent: {
      std::array<std::array<int64_t, kComponentStatuses.size() + 2>, kExamComponents.size()>
          counts{};
      for (const auto& [key, entry] : persons) {
        for (size_t i = 0; i < kExamComponents.size(); ++i) ++counts[i][entry.components[i]];
      }
      std::vector<CountTable> tables;
      for (size_t i = 0; i < kExamComponents.size(); ++i) {
        tables.push_back({std::string(kExamComponents[i]),
                          VocabularyCells(kComponentStatuses, counts[i], kNoData)});
      }
      return tables;
    }
    case Dimension::kDeadlineBand: {
      std::array<int64_t, kDeadlineBandCount> counts{};
      for (const auto& [key, entry] : persons) {
        ++counts[static_cast<size_t>(BandOfEntry(entry, today))];
      }
      CountTable table;
      for (size_t i = 0; i < kDeadlineBandCount; ++i) {
        table.cells.push_back({std::string(kDeadlineBandLabels[i]), counts[i]});
      }
      return {table};
    }
    case Dimension::kProvider:
    case Dimension::kNationality: {
      const bool by_provider = dimension == Dimension::kProvider;
      const Interned& values = by_provider ? providers_ : nationalities_;
      std::vector<int64_t> counts(values.values.size());
      for (const auto& [key, entry] : persons) {
        ++counts[by_provider ? entry.provider : entry.nationality];
      }
      // Only values present here, by name: listing every provider in the
      // country would say nothing about this municipality.
      CountTable table;
      for (size_t i = 1; i < counts.size(); ++i) {
        if (counts[i] > 0) table.cells.push_back({values.values[i], counts[i]});
      }
      std::sort(table.cells.begin(), table.cells.end(),
                [](const CountCell& a, const CountCell& b) { return a.label < b.label; });
      if (counts[0] > 0) {
        table.cells.push_back({std::string(by_provider ? kNoProvider : kUnknown), counts[0]});
      }
      return {table};
    }
  }
  return {};
}

std::map<std::string, ProviderResults> ProgressProjection::ResultsByProvider(
    std::string_view municipality_code) const {
  std::shared_lock lock(mutex_);
  return ResultsLocked(municipality_code);
}

std::map<std::string, ProviderResults> ProgressProjection::ResultsLocked(
    std::string_view municipality_code) const {
  std::map<std::string, ProviderResults> results;
  auto found = by_municipality_.find(std::string(municipality_code));
  if (found == by_municipality_.end()) return results;
  const uint8_t passed = CodeOf(kComponentStatuses, "behaald");
  const uint8_t failed = CodeOf(kComponentStatuses, "niet behaald");
  for (const auto& [key, entry] : found->second) {
    if (entry.provider == 0) continue;
    ProviderResults& provider = results[providers_.values[entry.provider]];
    for (uint8_t status : entry.components) {
      if (status == passed) ++provider.passed;
      if (status == failed) ++provider.failed;
    }
  }
  return results;
}

}  // namespace ketenpoort::inburgering
