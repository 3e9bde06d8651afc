// Koppelingen (subject -> municipality, with the expected move date) and GP
// registrations (subject -> practice), in a SQLite store and in memory for
// decisions. Writes go to the store first, then to memory, under one lock.
// Thread-safe.
#ifndef KETENPOORT_GATEWAY_RELATIONSHIPS_RELATIONSHIP_REGISTRY_H_
#define KETENPOORT_GATEWAY_RELATIONSHIPS_RELATIONSHIP_REGISTRY_H_

#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/policy/facts.h"
#include "gateway/store/sqlite_database.h"
#include "ketenpoort/v1/relationship.pb.h"

namespace ketenpoort::relationships {

class RelationshipRegistry {
 public:
  static absl::StatusOr<std::unique_ptr<RelationshipRegistry>> Open(const std::string& path);

  // Validated input only (see ValidateKoppeling / ValidateGpRegistration).
  absl::Status SetKoppeling(const v1::Koppeling& koppeling);
  // Several at once (e.g. COA's initial load), in one transaction: all or
  // none.
  absl::Status SetKoppelingen(const std::vector<v1::Koppeling>& koppelingen);
  // Registers the subject with a practice, replacing any other (the
  // caller audits the end of the previous one first).
  absl::Status SetGpRegistration(const v1::GpRegistration& registration);
  // Ends the subject's registration with `registration.practice_partner_id`;
  // FAILED_PRECONDITION GP_REGISTRATION_NOT_CURRENT, changing nothing, when
  // that is not the subject's current practice.
  absl::Status EndGpRegistration(const v1::GpRegistration& registration);

  std::optional<policy::KoppelingFact> KoppelingOf(std::string_view subject_id) const;
  bool IsRegisteredWithGp(std::string_view subject_id, std::string_view practice_id) const;
  // The practice the subject is registered with, if any.
  std::optional<std::string> GpPracticeOf(std::string_view subject_id) const;

  // Every linked subject with its municipality code: a snapshot.
  std::vector<std::pair<std::string, std::string>> Koppelingen() const;
  // Called with the subject after each koppeling change, outside the lock.
  // Set once, before the registry is shared between threads.
  void OnKoppelingChanged(std::function<void(const std::string& subject_id)> listener) {
    koppeling_changed_ = std::move(listener);
  }

 private:
  explicit RelationshipRegistry(std::unique_ptr<store::SqliteDatabase> db) : db_(std::move(db)) {}
  absl::Status Load();
  absl::Status Persist(std::string_view kind, const std::string& subject_id,
                       const google::protobuf::Message& record);
  void Remember(const v1::Koppeling& koppeling);

  mutable std::shared_mutex mutex_;
  std::unique_ptr<store::SqliteDatabase> db_;                           // guarded by mutex_
  std::unordered_map<std::string, policy::KoppelingFact> koppelingen_;  // guarded by mutex_
  std::unordered_map<std::string, std::string> gp_practice_;            // guarded by mutex_
  std::function<void(const std::string&)> koppeling_changed_;
};

absl::Status ValidateKoppeling(const v1::Koppeling& koppeling);
absl::Status ValidateGpRegistration(const v1::GpRegistration& registration);

}  // namespace ketenpoort::relationships

#endif  // KETENPOORT_GATEWAY_RELATIONSHIPS_RELATIONSHIP_REGISTRY_H_
