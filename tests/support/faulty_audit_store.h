// An AuditStore that forwards to a real one, and fails every write while
// told to: the seam for proving that the gateway fails closed.
#ifndef KETENPOORT_TESTS_SUPPORT_FAULTY_AUDIT_STORE_H_
#define KETENPOORT_TESTS_SUPPORT_FAULTY_AUDIT_STORE_H_

#include <atomic>

#include "gateway/audit/audit_store.h"
#include "gateway/common/error.h"

namespace ketenpoort::testing {

class FaultyAuditStore final : public audit::AuditStore {
 public:
  explicit FaultyAuditStore(audit::AuditStorePtr inner) : inner_(std::move(inner)) {}

  void set_failing(bool failing) { failing_.store(failing); }

  absl::StatusOr<std::optional<audit::StoredEntry>> Tail() override {
    if (failing_) return Failure();
    return inner_->Tail();
  }
  absl::Status AppendBatch(const std::vector<audit::StoredEntry>& entries) override {
    if (failing_) return Failure();
    return inner_->AppendBatch(entries);
  }
  absl::Status Scan(uint64_t from,
                    const std::function<bool(const audit::StoredEntry&)>& visit) override {
    return inner_->Scan(from, visit);
  }

 private:
  static absl::Status Failure() {
    return MakeError(absl::StatusCode::kUnavailable, "AUDIT_STORE_UNAVAILABLE",
                     "injected fault: disk full");
  }

  audit::AuditStorePtr inner_;
  std::atomic<bool> failing_{false};
};

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_FAULTY_AUDIT_STORE_H_
