#include "gateway/relationships/relationship_registry.h"

#include <sqlite3.h>

#include <mutex>

#include "gateway/common/civil_date.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/validate/subject_id.h"

namespace ketenpoort::relationships {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS relationship (
  kind       TEXT NOT NULL,   -- 'koppeling' or 'gp_registration'
  subject_id TEXT NOT NULL,
  record     BLOB NOT NULL,
  PRIMARY KEY (kind, subject_id)
) WITHOUT ROWID;
)sql";

absl::Status Invalid(std::string message) {
  return MakeError(absl::StatusCode::kInvalidArgument, "INVALID_RELATIONSHIP", message);
}

}  // namespace

absl::Status ValidateKoppeling(const v1::Koppeling& koppeling) {
  if (absl::Status subject = validate::ValidateSubjectId(koppeling.subject_id()); !subject.ok()) {
    return subject;
  }
  const std::string& code = koppeling.municipality_code();
  if (code.size() != 4 || code.find_first_not_of("0123456789") != std::string::npos) {
    return Invalid("municipality_code must be a 4-digit CBS code");
  }
  if (!ParseCivilDate(koppeling.linked_on())) return Invalid("linked_on must be YYYY-MM-DD");
  if (!koppeling.expected_move_date().empty() && !ParseCivilDate(koppeling.expected_move_date())) {
    return Invalid("expected_move_date must be YYYY-MM-DD");
  }
  return absl::OkStatus();
}

absl::Status ValidateGpRegistration(const v1::GpRegistration& registration) {
  if (absl::Status subject = validate::ValidateSubjectId(registration.subject_id());
      !subject.ok()) {
    return subject;
  }
  if (registration.practice_partner_id().empty()) return Invalid("practice_partner_id is required");
  if (!ParseCivilDate(registration.registered_on())) {
    return Invalid("registered_on must be YYYY-MM-DD");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RelationshipRegistry>> RelationshipRegistry::Open(
    const std::string& path) {
  ASSIGN_OR_RETURN(auto db, store::SqliteDatabase::Open("relationship store", path, kSchema));
  std::unique_ptr<RelationshipRegistry> registry(new RelationshipRegistry(std::move(db)));
  RETURN_IF_ERROR(registry->Load());
  return registry;
}

void RelationshipRegistry::Remember(const v1::Koppeling& koppeling) {
  policy::KoppelingFact fact;
  fact.municipality_code = koppeling.municipality_code();
  fact.move_day = ParseCivilDate(koppeling.expected_move_date());
  koppelingen_[koppeling.subject_id()] = std::move(fact);
}

absl::Status RelationshipRegistry::Load() {
  ASSIGN_OR_RETURN(store::Statement select, db_->Prepare("SELECT kind, record FROM relationship"));
  std::unique_lock lock(mutex_);
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    const std::string_view kind = select.ColumnBlob(0);
    const std::string_view bytes = select.ColumnBlob(1);
    if (kind == "koppeling") {
      v1::Koppeling koppeling;
      if (!koppeling.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return db_->Error("a koppeling does not decode");
      }
      Remember(koppeling);
    } else if (kind == "gp_registration") {
      v1::GpRegistration registration;
      if (!registration.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return db_->Error("a GP registration does not decode");
      }
      if (!registration.ended()) {
        gp_practice_[registration.subject_id()] = registration.practice_partner_id();
      }
    }
  }
  if (rc != SQLITE_DONE) return db_->Error("load relationships");
  return absl::OkStatus();
}

absl::Status RelationshipRegistry::Persist(std::string_view kind, const std::string& subject_id,
                                           const google::protobuf::Message& record) {
  ASSIGN_OR_RETURN(store::Statement upsert,
                   db_->Prepare("INSERT INTO relationship (kind, subject_id, record) "
                                "VALUES (?1, ?2, ?3) ON CONFLICT(kind, subject_id) DO UPDATE "
                                "SET record = excluded.record"));
  upsert.BindText(1, kind);
  upsert.BindText(2, subject_id);
  upsert.BindBlob(3, record.SerializeAsString());
  if (upsert.Step() != SQLITE_DONE) return db_->Error("write relationship");
  return absl::OkStatus();
}

absl::Status RelationshipRegistry::SetKoppeling(const v1::Koppeling& koppeling) {
  return SetKoppelingen({koppeling});
}

absl::Status RelationshipRegistry::SetKoppelingen(const std::vector<v1::Koppeling>& koppelingen) {
  {
    std::unique_lock lock(mutex_);
    RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
    for (const v1::Koppeling& koppeling : koppelingen) {
      if (absl::Status written = Persist("koppeling", koppeling.subject_id(), koppeling);
          !written.ok()) {
        (void)db_->Exec("ROLLBACK");
        return written;
      }
    }
    if (absl::Status committed = db_->Exec("COMMIT"); !committed.ok()) {
      (void)db_->Exec("ROLLBACK");
      return committed;
    }
    for (const v1::Koppeling& koppeling : koppelingen) Remember(koppeling);
  }
  if (koppeling_changed_) {
    for (const v1::Koppeling& koppeling : koppelingen) koppeling_changed_(koppeling.subject_id());
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> RelationshipRegistry::Koppelingen() const {
  std::shared_lock lock(mutex_);
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(koppelingen_.size());
  for (const auto& [subject, fact] : koppelingen_)
    out.emplace_back(subject, fact.municipality_code);
  return out;
}

absl::Status RelationshipRegistry::SetGpRegistration(const v1::GpRegistration& registration) {
  std::unique_lock lock(mutex_);
  RETURN_IF_ERROR(Persist("gp_registration", registration.subject_id(), registration));
  gp_practice_[registration.subject_id()] = registration.practice_partner_id();
  return absl::OkStatus();
}

absl::Status RelationshipRegistry::EndGpRegistration(const v1::GpRegistration& registration) {
  std::unique_lock lock(mutex_);
  // Checked and written under one lock: the store and memory never disagree.
  auto it = gp_practice_.find(registration.subject_id());
  if (it == gp_practice_.end() || it->second != registration.practice_partner_id()) {
    return MakeError(
        absl::StatusCode::kFailedPrecondition, "GP_REGISTRATION_NOT_CURRENT",
        "the person is not registered with practice " + registration.practice_partner_id());
  }
  v1::GpRegistration ended = registration;
  ended.set_ended(true);
  RETURN_IF_ERROR(Persist("gp_registration", registration.subject_id(), ended));
  gp_practice_.erase(it);
  return absl::OkStatus();
}

std::optional<std::string> RelationshipRegistry::GpPracticeOf(std::string_view subject_id) const {
  std::shared_lock lock(mutex_);
  auto it = gp_practice_.find(std::string(subject_id));
  if (it == gp_practice_.end()) return std::nullopt;
  return it->second;
}

std::optional<policy::KoppelingFact> RelationshipRegistry::KoppelingOf(
    std::string_view subject_id) const {
  std::shared_lock lock(mutex_);
  auto it = koppelingen_.find(std::string(subject_id));
  if (it == koppelingen_.end()) return std::nullopt;
  return it->second;
}

bool RelationshipRegistry::IsRegisteredWithGp(std::string_view subject_id,
                                              std::string_view practice_id) const {
  std::shared_lock lock(mutex_);
  auto it = gp_practice_.find(std::string(subject_id));
  return it != gp_practice_.end() && it->second == practice_id;
}

}  // namespace ketenpoort::relationships
