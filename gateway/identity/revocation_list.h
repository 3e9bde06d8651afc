// The certificates the partner CAs have revoked, from CRL files (PEM or
// DER, one or more CRLs per file). Each CRL must be signed by a CA in the
// client CA bundle, or the list does not load. Immutable once loaded: the
// gateway swaps in a new list on SIGHUP, and every call checks its caller
// against the list current when it was identified.
#ifndef KETENPOORT_GATEWAY_IDENTITY_REVOCATION_LIST_H_
#define KETENPOORT_GATEWAY_IDENTITY_REVOCATION_LIST_H_

#include <map>
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
  // FAILED_PRECONDITION BAD_CRL naming the file when one cannot be read or
  // parsed whole, is not signed by a CA in `ca_bundle_pem`, is a delta or
  // indirect CRL or carries a critical extension we do not apply, or (with
  // `in_force`, on reload) is older than the CRL of the same CA in force or
  // leaves out a CA that list had: a replayed old CRL would un-revoke.
  // With `skip_foreign`, a CRL whose issuer is no CA of the bundle at all is
  // left out (skipped_files()) instead: for lists held to the bundle in
  // force while a new bundle, which has that CA, was refused.
  static absl::StatusOr<std::shared_ptr<const RevocationList>> Load(
      const std::vector<std::string>& files, const std::string& ca_bundle_pem,
      const RevocationList* in_force = nullptr, bool skip_foreign = false);

  // The certificate is revoked, or a CA above it: one it was sent with, or
  // one on its path up through the client CA bundle (whether the peer sent
  // that CA or not).
  bool IsRevoked(const PeerCertificate& certificate) const {
    if (revoked_.contains({certificate.issuer_key, certificate.serial_key})) return true;
    for (const auto& key : certificate.chain_keys) {
      if (revoked_.contains(key)) return true;
    }
    std::string name = certificate.issuer_key;
    for (int depth = 0; depth < 8; ++depth) {  // bundles are shallow; a loop ends here
      auto up = issued_by_.find(name);
      if (up == issued_by_.end()) break;
      if (revoked_.contains(up->second)) return true;
      name = up->second.first;
    }
    return false;
  }
  size_t size() const { return revoked_.size(); }
  // CRLs whose nextUpdate has passed: still applied (a revocation stays
  // true), but the operator should fetch fresh ones.
  const std::vector<std::string>& stale_files() const { return stale_files_; }
  const std::vector<std::string>& skipped_files() const { return skipped_files_; }

 private:
  std::set<std::pair<std::string, std::string>> revoked_;  // (issuer, serial) keys
  std::map<std::string, uint64_t> crl_numbers_;            // per issuer key
  std::map<std::string, int64_t> issued_at_;               // thisUpdate, per issuer key
  // Bundle CAs that another CA issued: name key -> (issuer key, serial key).
  std::map<std::string, std::pair<std::string, std::string>> issued_by_;
  std::vector<std::string> stale_files_;
  std::vector<std::string> skipped_files_;
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
