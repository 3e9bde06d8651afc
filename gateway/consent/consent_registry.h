// The consent registry: every consent in a SQLite store, and in memory for
// decisions. A change is written to the store first and then to memory,
// under one lock, so the very next decision sees it. Thread-safe: decisions
// take a shared lock; changes an exclusive one.
//
// Consents stay under the identifier they were recorded for; every read
// answers for the person (identity/person.h): a consent or objection
// recorded for a BSN holds for requests by the linked V-nummer, and the
// reverse.
#ifndef KETENPOORT_GATEWAY_CONSENT_CONSENT_REGISTRY_H_
#define KETENPOORT_GATEWAY_CONSENT_CONSENT_REGISTRY_H_

#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/consent/consent_matcher.h"
#include "gateway/identity/person.h"
#include "gateway/store/sqlite_database.h"
#include "ketenpoort/v1/consent.pb.h"

namespace ketenpoort::consent {

class ConsentRegistry {
 public:
  // `persons` (not owned, outlives the registry) says which identifiers
  // are one person.
  static absl::StatusOr<std::unique_ptr<ConsentRegistry>> Open(
      const std::string& path, const identity::PersonDirectory* persons);

  // Stores a validated consent; `consent.consent_id` must be set and new.
  absl::Status Add(const v1::Consent& consent);
  // Marks a consent revoked; FAILED_PRECONDITION if already revoked.
  absl::StatusOr<v1::Consent> Revoke(const std::string& consent_id, const std::string& by_partner,
                                     const std::string& reason, int64_t now_unix_micros);

  std::optional<v1::Consent> Find(const std::string& consent_id) const;
  // Every consent of the person `subject_id` belongs to.
  std::vector<v1::Consent> ForSubject(const std::string& subject_id) const;

  policy::ConsentVerdict Evaluate(const policy::ConsentQuery& query) const;
  bool HasPermitFor(std::string_view subject_id, const identity::Partner& recipient,
                    int64_t today) const;

 private:
  ConsentRegistry(std::unique_ptr<store::SqliteDatabase> db,
                  const identity::PersonDirectory* persons)
      : persons_(persons), db_(std::move(db)) {}
  absl::Status Load();
  absl::Status Persist(const v1::Consent& consent);  // requires mutex_ held exclusively
  void Remember(const v1::Consent& consent);         // requires mutex_ held exclusively

  const identity::PersonDirectory* persons_;
  mutable std::shared_mutex mutex_;
  std::unique_ptr<store::SqliteDatabase> db_;           // guarded by mutex_
  std::unordered_map<std::string, v1::Consent> by_id_;  // guarded by mutex_
  // subject id -> compiled consents; guarded by mutex_
  std::unordered_map<std::string, std::vector<CompiledConsent>> by_subject_;
};

}  // namespace ketenpoort::consent

#endif  // KETENPOORT_GATEWAY_CONSENT_CONSENT_REGISTRY_H_
