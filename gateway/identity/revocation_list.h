// The certificates the partner CAs have revoked, from CRL files (PEM or
// DER, one or more CRLs per file). Each CRL must be signed by a CA in the
// client CA bundle, or the list does not load. Immutable once loaded: the
// gateway swaps in a new list on SIGHUP, and every call checks its caller
// against the list current when it was identified.
#ifndef KETENPOORT_GATEWAY_IDENTITY_REVOCATION_LIST_H_
#define KETENPOORT_GATEWAY_IDENTITY_REVOCATION_LIST_H_

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/identity/peer_certificate.h"

namespace ketenpoort::identity {

class RevocationList {
 public:
  // FAILED_PRECONDITION BAD_CRL naming the file when one cannot be read,
  // parsed, or is not signed by a CA in `ca_bundle_pem`.
  static absl::StatusOr<std::shared_ptr<const RevocationList>> Load(
      const std::vector<std::string>& files, const std::string& ca_bundle_pem);

  bool IsRevoked(const PeerCertificate& certificate) const {
    return revoked_.contains({certificate.issuer_key, certificate.serial_key});
  }
  size_t size() const { return revoked_.size(); }
  // CRLs whose nextUpdate has passed: still applied (a revocation stays
  // true), but the operator should fetch fresh ones.
  const std::vector<std::string>& stale_files() const { return stale_files_; }

 private:
  std::set<std::pair<std::string, std::string>> revoked_;  // (issuer, serial) keys
  std::vector<std::string> stale_files_;
};

// The current list, swapped whole on reload.
class RevocationHolder {
 public:
  explicit RevocationHolder(std::shared_ptr<const RevocationList> initial)
      : current_(std::move(initial)) {}
  std::shared_ptr<const RevocationList> Current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }
  void Replace(std::shared_ptr<const RevocationList> next) {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const RevocationList> current_;  // guarded by mutex_
};

}  // namespace ketenpoort::identity

#endif  // KETENPOORT_GATEWAY_IDENTITY_REVOCATION_LIST_H_
