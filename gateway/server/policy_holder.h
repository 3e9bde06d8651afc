// The active policy set, swapped atomically on reload. Readers take a
// snapshot (a shared_ptr copy) and keep using it for the whole request,
// so a reload never changes the rules under a request in flight.
#ifndef KETENPOORT_GATEWAY_SERVER_POLICY_HOLDER_H_
#define KETENPOORT_GATEWAY_SERVER_POLICY_HOLDER_H_

#include <memory>
#include <mutex>

#include "gateway/policy/policy_set.h"

namespace ketenpoort::server {

class PolicyHolder {
 public:
  explicit PolicyHolder(std::shared_ptr<const policy::PolicySet> initial)
      : current_(std::move(initial)) {}

  std::shared_ptr<const policy::PolicySet> Current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }
  void Replace(std::shared_ptr<const policy::PolicySet> next) {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const policy::PolicySet> current_;  // guarded by mutex_
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_POLICY_HOLDER_H_
