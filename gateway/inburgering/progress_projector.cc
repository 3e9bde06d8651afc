#include "gateway/inburgering/progress_projector.h"

#include "gateway/common/log.h"
#include "records/v1/coa.pb.h"

namespace ketenpoort::inburgering {
namespace {

constexpr std::string_view kStatusType = "duo.InburgeringStatus";
constexpr std::string_view kKoppelingType = "coa.Koppeling";

// Fetches one record of `type` through its configured source.
adapters::FetchResult FetchFrom(const sources::SourceRouter& sources, std::string_view type,
                                const google::protobuf::Descriptor* descriptor,
                                const std::string& subject_id, std::chrono::milliseconds timeout) {
  const sources::SourceRouter::Route* route = sources.Find(type);
  if (route == nullptr) return absl::UnavailableError("no source");
  adapters::FetchRequest request;
  request.subject_id = subject_id;
  request.record_type = type;
  request.descriptor = descriptor;
  request.deadline = std::chrono::system_clock::now() + timeout;
  request.request_id = "inburgering-projection";
  return route->source->Fetch(request);
}

}  // namespace

ProgressProjector::~ProgressProjector() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ProgressProjector::stopping() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

void ProgressProjector::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ProgressProjector::Refresh(const std::string& subject_id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    refresh_.push_back(subject_id);
  }
  wake_.notify_all();
}

ProgressProjector::Outcome ProgressProjector::Project(const std::string& asked) {
  // One row per person, under the person's key: a BSN linked to a
  // V-nummer since it was projected moves to the V-nummer's row.
  const identity::Person person = relationships_->PersonOf(asked);
  const std::string& subject_id = person.key;
  if (subject_id != asked) projection_->Remove(asked);
  const std::optional<policy::KoppelingFact> koppeling = relationships_->KoppelingOf(subject_id);
  if (!koppeling) {
    projection_->Remove(subject_id);
    return Outcome::kNotLinked;
  }
  // DUO may know the person by either identifier: ask by each in turn.
  adapters::FetchResult status = absl::NotFoundError("no identifier");
  for (const std::string& id : person.ids) {
    status = FetchFrom(*sources_, kStatusType, records::v1::duo::InburgeringStatus::descriptor(),
                       id, settings_.fetch_timeout);
    if (!absl::IsNotFound(status.status())) break;
  }
  if (!status.ok()) {
    if (absl::IsNotFound(status.status())) {
      projection_->Remove(subject_id);
      return Outcome::kUnknownAtDuo;
    }
    return Outcome::kFailed;
  }
  records::v1::duo::InburgeringStatus record;
  record.CopyFrom(**status);
  // The nationality is only for counts; without it the person counts as
  // "onbekend" rather than not at all.
  std::string nationality;
  adapters::FetchResult linked =
      FetchFrom(*sources_, kKoppelingType, records::v1::coa::Koppeling::descriptor(), subject_id,
                settings_.fetch_timeout);
  if (linked.ok()) {
    records::v1::coa::Koppeling coa;
    coa.CopyFrom(**linked);
    nationality = coa.nationality();
  }
  projection_->Upsert(subject_id, koppeling->municipality_code, record, nationality);
  return Outcome::kProjected;
}

BuildStats ProgressProjector::BuildNow() {
  const auto started = std::chrono::steady_clock::now();
  BuildStats stats;
  for (const auto& [subject_id, municipality] : relationships_->Koppelingen()) {
    if (stopping()) return stats;
    ++stats.persons;
    switch (Project(subject_id)) {
      case Outcome::kProjected:
        ++stats.projected;
        break;
      case Outcome::kUnknownAtDuo:
        ++stats.unknown_at_duo;
        break;
      case Outcome::kFailed:
        ++stats.failed;
        break;
      case Outcome::kNotLinked:
        break;
    }
  }
  stats.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  projection_->MarkBuilt(clock_->NowUnixMicros());
  // Counts only: never a subject.
  log::Info("inburgering_projection_built", {{"persons", stats.persons},
                                             {"projected", stats.projected},
                                             {"unknown_at_duo", stats.unknown_at_duo},
                                             {"failed", stats.failed},
                                             {"millis", stats.took.count()}});
  return stats;
}

void ProgressProjector::Loop() {
  auto next_build = std::chrono::steady_clock::now();
  while (true) {
    std::deque<std::string> refresh;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_until(lock, next_build, [this] { return stopping_ || !refresh_.empty(); });
      if (stopping_) return;
      refresh.swap(refresh_);
    }
    for (const std::string& subject_id : refresh) Project(subject_id);
    if (std::chrono::steady_clock::now() >= next_build) {
      BuildNow();
      next_build = std::chrono::steady_clock::now() + settings_.interval;
    }
  }
}

}  // namespace ketenpoort::inburgering
