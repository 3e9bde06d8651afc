// Koppelingen (subject -> municipality, with the expected move date), GP
// registrations (subject -> practice) and identifier links (V-nummer <->
// BSN), in a SQLite store and in memory for decisions. Writes go to the
// store first, then to memory, under one lock. Thread-safe.
//
// Facts are kept per person (identity/person.h): asked by either of a
// linked pair, every method answers for the one person, and a write by
// either replaces the person's fact. Linking moves the BSN's facts to the
// V-nummer in the same transaction, so the store never holds two facts of
// one kind for one person.
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
#include "gateway/identity/person.h"
#include "gateway/policy/facts.h"
#include "gateway/store/sqlite_database.h"
#include "ketenpoort/v1/relationship.pb.h"

namespace ketenpoort::relationships {

class RelationshipRegistry final : public identity::PersonDirectory {
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

  // Links a V-nummer and a BSN (validated, see ValidateIdentifierLink).
  // True when the link is new, false when it was already there.
  // FAILED_PRECONDITION IDENTIFIER_CONFLICT, changing nothing, when either
  // is linked to another identifier, or when the two have koppelingen to
  // different municipalities or are registered with different practices:
  // a conflicting claim is refused, never merged.
  absl::StatusOr<bool> LinkIdentifiers(const v1::IdentifierLink& link);
  // Several at once (e.g. an initial load), in one transaction: all or
  // none. How many were new.
  absl::StatusOr<size_t> LinkAll(const std::vector<v1::IdentifierLink>& links);
  // The IDENTIFIER_CONFLICT LinkIdentifiers would answer now, or OK.
  absl::Status CheckLink(const v1::IdentifierLink& link) const;
  identity::Person PersonOf(std::string_view subject_id) const override;
  // The stored link of the person `subject_id` belongs to, if any.
  std::optional<v1::IdentifierLink> LinkOf(std::string_view subject_id) const;

  std::optional<policy::KoppelingFact> KoppelingOf(std::string_view subject_id) const;
  bool IsRegisteredWithGp(std::string_view subject_id, std::string_view practice_id) const;
  // The practice the subject is registered with, if any.
  std::optional<std::string> GpPracticeOf(std::string_view subject_id) const;

  // Every linked person (by key) with its municipality code: a snapshot.
  std::vector<std::pair<std::string, std::string>> Koppelingen() const;
  // Called with the person's key after each koppeling change, and with a
  // BSN whose facts a link moved to its V-nummer, outside the lock.
  // Set once, before the registry is shared between threads.
  void OnKoppelingChanged(std::function<void(const std::string& subject_id)> listener) {
    koppeling_changed_ = std::move(listener);
  }

 private:
  explicit RelationshipRegistry(std::unique_ptr<store::SqliteDatabase> db) : db_(std::move(db)) {}
  // Require mutex_ held (shared or exclusive).
  std::string KeyLocked(std::string_view subject_id) const;
  absl::Status ConflictLocked(const v1::IdentifierLink& link) const;
  // Require mutex_ held exclusively; the first inside a transaction.
  absl::Status WriteLinkLocked(const v1::IdentifierLink& link);
  bool RememberLinkLocked(const v1::IdentifierLink& link);  // true: a koppeling moved
  identity::Person PersonLocked(std::string_view subject_id) const;

  absl::Status Load();
  absl::Status LoadLinks();
  // Stores `record` as the person's fact of `kind`, and drops the facts
  // of that kind stored under the person's other identifiers. Requires
  // mutex_ held exclusively, inside a transaction.
  absl::Status Persist(std::string_view kind, const identity::Person& person,
                       const google::protobuf::Message& record);
  absl::Status Delete(std::string_view kind, const std::string& subject_id);
  absl::Status InTransaction(const std::function<absl::Status()>& writes);
  void Remember(const std::string& key, const v1::Koppeling& koppeling);

  mutable std::shared_mutex mutex_;
  std::unique_ptr<store::SqliteDatabase> db_;  // guarded by mutex_
  // By person key; guarded by mutex_.
  std::unordered_map<std::string, policy::KoppelingFact> koppelingen_;
  std::unordered_map<std::string, std::string> gp_practice_;
  std::unordered_map<std::string, v1::IdentifierLink> link_by_v_number_;
  std::unordered_map<std::string, std::string> v_number_by_bsn_;
  std::function<void(const std::string&)> koppeling_changed_;
};

absl::Status ValidateKoppeling(const v1::Koppeling& koppeling);
absl::Status ValidateGpRegistration(const v1::GpRegistration& registration);
// A V-nummer, a BSN and a linked_on date; INVALID_ARGUMENT otherwise.
absl::Status ValidateIdentifierLink(const v1::IdentifierLink& link);

}  // namespace ketenpoort::relationships

#endif  // KETENPOORT_GATEWAY_RELATIONSHIPS_RELATIONSHIP_REGISTRY_H_
