// Keeps a ProgressProjection current from the sources: a full build at
// start and then every `interval`, and a refresh of one person as soon as
// their koppeling changes. It reads DUO's InburgeringStatus and COA's
// Koppeling (for the nationality) through the configured sources, like a
// request would, but releases nothing: the projection never leaves the
// gateway except through the policy-checked, audited calls.
//
// A person DUO does not know is left out; a person whose source fails
// keeps the last projected values until the next attempt.
#ifndef KETENPOORT_GATEWAY_INBURGERING_PROGRESS_PROJECTOR_H_
#define KETENPOORT_GATEWAY_INBURGERING_PROGRESS_PROJECTOR_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/common/clock.h"
#include "gateway/inburgering/progress_projection.h"
#include "gateway/relationships/relationship_registry.h"
#include "gateway/sources/source_router.h"

namespace ketenpoort::inburgering {

struct ProjectorSettings {
  std::chrono::seconds interval{900};
  std::chrono::milliseconds fetch_timeout{2000};
};

struct BuildStats {
  size_t persons = 0;  // linked persons looked up
  size_t projected = 0;
  size_t unknown_at_duo = 0;
  size_t failed = 0;  // a source could not answer; old values kept
  std::chrono::milliseconds took{0};
};

class ProgressProjector {
 public:
  ProgressProjector(ProgressProjection* projection,
                    const relationships::RelationshipRegistry* relationships,
                    const sources::SourceRouter* sources, const Clock* clock,
                    ProjectorSettings settings)
      : projection_(projection),
        relationships_(relationships),
        sources_(sources),
        clock_(clock),
        settings_(settings) {}
  ~ProgressProjector();  // stops the background thread, mid-build if need be

  // Starts the background thread; its first act is a full build.
  void Start();
  // Queues one person for a refresh. Thread-safe; cheap.
  void Refresh(const std::string& subject_id);

  // One full build on the calling thread (start-up, tests, benchmarks).
  BuildStats BuildNow();

 private:
  enum class Outcome { kProjected, kUnknownAtDuo, kFailed, kNotLinked };
  Outcome Project(const std::string& subject_id);
  void Loop();
  bool stopping() const;

  ProgressProjection* const projection_;
  const relationships::RelationshipRegistry* const relationships_;
  const sources::SourceRouter* const sources_;
  const Clock* const clock_;
  const ProjectorSettings settings_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> refresh_;  // guarded by mutex_
  bool stopping_ = false;            // guarded by mutex_
  std::thread thread_;
};

}  // namespace ketenpoort::inburgering

#endif  // KETENPOORT_GATEWAY_INBURGERING_PROGRESS_PROJECTOR_H_
