#include "gateway/consent/consent_registry.h"

#include <sqlite3.h>

#include <mutex>

#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::consent {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS consent (
  consent_id TEXT PRIMARY KEY,
  subject_id TEXT NOT NULL,
  record     BLOB NOT NULL
) WITHOUT ROWID;
)sql";

}  // namespace

absl::StatusOr<std::unique_ptr<ConsentRegistry>> ConsentRegistry::Open(
    const std::string& path, const identity::PersonDirectory* persons) {
  ASSIGN_OR_RETURN(auto db, store::SqliteDatabase::Open("consent store", path, kSchema));
  std::unique_ptr<ConsentRegistry> registry(new ConsentRegistry(std::move(db), persons));
  RETURN_IF_ERROR(registry->Load());
  return registry;
}

absl::Status ConsentRegistry::Load() {
  ASSIGN_OR_RETURN(store::Statement select, db_->Prepare("SELECT record FROM consent"));
  std::unique_lock lock(mutex_);
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    v1::Consent consent;
    const std::string_view bytes = select.ColumnBlob(0);
    if (!consent.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return MakeError(absl::StatusCode::kDataLoss, "CONSENT_STORE_CORRUPT",
                       "consent store holds a record that does not decode");
    }
    Remember(consent);
  }
  if (rc != SQLITE_DONE) return db_->Error("load consents");
  return absl::OkStatus();
}

absl::Status ConsentRegistry::Persist(const v1::Consent& consent) {
  ASSIGN_OR_RETURN(store::Statement upsert,
                   db_->Prepare("INSERT INTO consent (consent_id, subject_id, record) "
                                "VALUES (?1, ?2, ?3) ON CONFLICT(consent_id) DO UPDATE "
                                "SET record = excluded.record"));
  upsert.BindText(1, consent.consent_id());
  upsert.BindText(2, consent.subject_id());
  upsert.BindBlob(3, consent.SerializeAsString());
  if (upsert.Step() != SQLITE_DONE) return db_->Error("write consent");
  return absl::OkStatus();
}

void ConsentRegistry::Remember(const v1::Consent& consent) {
  auto& compiled = by_subject_[consent.subject_id()];
  auto it = std::find_if(compiled.begin(), compiled.end(), [&](const CompiledConsent& c) {
    return c.consent_id == consent.consent_id();
  });
  if (it == compiled.end()) {
    compiled.push_back(Compile(consent));
  } else {
    *it = Compile(consent);
  }
  by_id_[consent.consent_id()] = consent;
}

absl::Status ConsentRegistry::Add(const v1::Consent& consent) {
  std::unique_lock lock(mutex_);
  if (by_id_.count(consent.consent_id()) != 0) {
    return MakeError(absl::StatusCode::kAlreadyExists, "CONSENT_EXISTS",
                     "consent " + consent.consent_id() + " already exists");
  }
  RETURN_IF_ERROR(Persist(consent));
  Remember(consent);
  return absl::OkStatus();
}

absl::StatusOr<v1::Consent> ConsentRegistry::Revoke(const std::string& consent_id,
                                                    const std::string& by_partner,
                                                    const std::string& reason,
                                                    int64_t now_unix_micros) {
  std::unique_lock lock(mutex_);
  auto it = by_id_.find(consent_id);
  if (it == by_id_.end()) {
    return MakeError(absl::StatusCode::kNotFound, "CONSENT_NOT_FOUND",
                     "no consent with id " + consent_id);
  }
  if (it->second.revoked_at_unix_micros() != 0) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "CONSENT_ALREADY_REVOKED",
                     "consent " + consent_id + " was already revoked");
  }
  v1::Consent revoked = it->second;
  revoked.set_revoked_at_unix_micros(now_unix_micros);
  revoked.set_revoked_by_partner(by_partner);
  revoked.set_revocation_reason(reason);
  RETURN_IF_ERROR(Persist(revoked));
  Remember(revoked);
  return revoked;
}

std::optional<v1::Consent> ConsentRegistry::Find(const std::string& consent_id) const {
  std::shared_lock lock(mutex_);
  auto it = by_id_.find(consent_id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::vector<v1::Consent> ConsentRegistry::ForSubject(const std::string& subject_id) const {
  // Resolved before the lock: the directory has a lock of its own.
  const identity::Person person = persons_->PersonOf(subject_id);
  std::shared_lock lock(mutex_);
  std::vector<v1::Consent> out;
  for (const std::string& id : person.ids) {
    auto it = by_subject_.find(id);
    if (it == by_subject_.end()) continue;
    for (const CompiledConsent& compiled : it->second) {
      out.push_back(by_id_.at(compiled.consent_id));
    }
  }
  return out;
}

policy::ConsentVerdict ConsentRegistry::Evaluate(const policy::ConsentQuery& query) const {
  const identity::Person person = persons_->PersonOf(query.subject_id);
  std::shared_lock lock(mutex_);
  // The person's verdict is the strongest of their identifiers': an
  // objection under either holds over a permission under the other.
  auto rank = [](policy::ConsentVerdict verdict) {
    switch (verdict) {
      case policy::ConsentVerdict::kObjection:
        return 3;
      case policy::ConsentVerdict::kPermit:
        return 2;
      case policy::ConsentVerdict::kRevoked:
        return 1;
      case policy::ConsentVerdict::kNone:
        break;
    }
    return 0;
  };
  policy::ConsentVerdict verdict = policy::ConsentVerdict::kNone;
  for (const std::string& id : person.ids) {
    auto it = by_subject_.find(id);
    if (it == by_subject_.end()) continue;
    const policy::ConsentVerdict own = consent::Evaluate(it->second, query);
    if (rank(own) > rank(verdict)) verdict = own;
  }
  return verdict;
}

bool ConsentRegistry::HasPermitFor(std::string_view subject_id, const identity::Partner& recipient,
                                   int64_t today) const {
  const identity::Person person = persons_->PersonOf(subject_id);
  std::shared_lock lock(mutex_);
  for (const std::string& id : person.ids) {
    auto it = by_subject_.find(id);
    if (it != by_subject_.end() && consent::HasPermitFor(it->second, recipient, today)) {
      return true;
    }
  }
  return false;
}

}  // namespace ketenpoort::consent
