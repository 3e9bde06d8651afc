#include "gateway/relationships/relationship_registry.h"

#include <sqlite3.h>

#include <mutex>
#include <set>

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
CREATE TABLE IF NOT EXISTS identifier_link (
  v_number TEXT PRIMARY KEY,
  bsn      TEXT NOT NULL UNIQUE,
  record   BLOB NOT NULL
) WITHOUT ROWID;
)sql";

constexpr std::string_view kKoppeling = "koppeling";
constexpr std::string_view kGpRegistration = "gp_registration";

absl::Status Conflict(std::string message) {
  return MakeError(absl::StatusCode::kFailedPrecondition, "IDENTIFIER_CONFLICT",
                   std::move(message));
}

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

absl::Status ValidateIdentifierLink(const v1::IdentifierLink& link) {
  if (!validate::IsVNumber(link.v_number())) {
    return MakeError(absl::StatusCode::kInvalidArgument, "INVALID_SUBJECT_ID",
                     "v_number must be a V-nummer (10 digits)");
  }
  if (!validate::IsBsn(link.bsn())) {
    return MakeError(absl::StatusCode::kInvalidArgument, "INVALID_SUBJECT_ID",
                     "bsn must be a BSN (9 digits passing the elfproef)");
  }
  if (!ParseCivilDate(link.linked_on())) return Invalid("linked_on must be YYYY-MM-DD");
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

std::string RelationshipRegistry::KeyLocked(std::string_view subject_id) const {
  auto it = v_number_by_bsn_.find(std::string(subject_id));
  return it == v_number_by_bsn_.end() ? std::string(subject_id) : it->second;
}

identity::Person RelationshipRegistry::PersonLocked(std::string_view subject_id) const {
  identity::Person person{KeyLocked(subject_id), {}};
  person.ids.push_back(person.key);
  if (auto link = link_by_v_number_.find(person.key); link != link_by_v_number_.end()) {
    person.ids.push_back(link->second.bsn());
  }
  return person;
}

identity::Person RelationshipRegistry::PersonOf(std::string_view subject_id) const {
  std::shared_lock lock(mutex_);
  return PersonLocked(subject_id);
}

std::optional<v1::IdentifierLink> RelationshipRegistry::LinkOf(std::string_view subject_id) const {
  std::shared_lock lock(mutex_);
  auto it = link_by_v_number_.find(KeyLocked(subject_id));
  if (it == link_by_v_number_.end()) return std::nullopt;
  return it->second;
}

void RelationshipRegistry::Remember(const std::string& key, const v1::Koppeling& koppeling) {
  policy::KoppelingFact fact;
  fact.municipality_code = koppeling.municipality_code();
  fact.move_day = ParseCivilDate(koppeling.expected_move_date());
  koppelingen_[key] = std::move(fact);
}

absl::Status RelationshipRegistry::LoadLinks() {
  ASSIGN_OR_RETURN(store::Statement select, db_->Prepare("SELECT record FROM identifier_link"));
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    const std::string_view bytes = select.ColumnBlob(0);
    v1::IdentifierLink link;
    if (!link.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return db_->Error("an identifier link does not decode");
    }
    v_number_by_bsn_[link.bsn()] = link.v_number();
    link_by_v_number_[link.v_number()] = std::move(link);
  }
  if (rc != SQLITE_DONE) return db_->Error("load identifier links");
  return absl::OkStatus();
}

absl::Status RelationshipRegistry::Load() {
  std::unique_lock lock(mutex_);
  RETURN_IF_ERROR(LoadLinks());
  struct Row {
    std::string kind;
    std::string subject_id;
    std::string record;
  };
  std::vector<Row> rows;
  ASSIGN_OR_RETURN(store::Statement select,
                   db_->Prepare("SELECT kind, subject_id, record FROM relationship"));
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    rows.push_back({std::string(select.ColumnBlob(0)), std::string(select.ColumnBlob(1)),
                    std::string(select.ColumnBlob(2))});
  }
  if (rc != SQLITE_DONE) return db_->Error("load relationships");
  // A store from before identifier links may hold a fact under each of a
  // linked pair: the V-nummer's holds, as it does for every later write.
  std::set<std::pair<std::string, std::string>> own;  // (kind, key) stored under the key
  for (const Row& row : rows) {
    if (KeyLocked(row.subject_id) == row.subject_id) own.emplace(row.kind, row.subject_id);
  }
  for (const Row& row : rows) {
    const std::string key = KeyLocked(row.subject_id);
    if (key != row.subject_id && own.count({row.kind, key}) != 0) continue;
    if (row.kind == kKoppeling) {
      v1::Koppeling koppeling;
      if (!koppeling.ParseFromString(row.record)) return db_->Error("a koppeling does not decode");
      Remember(key, koppeling);
    } else if (row.kind == kGpRegistration) {
      v1::GpRegistration registration;
      if (!registration.ParseFromString(row.record)) {
        return db_->Error("a GP registration does not decode");
      }
      if (!registration.ended()) gp_practice_[key] = registration.practice_partner_id();
    }
  }
  return absl::OkStatus();
}

absl::Status RelationshipRegistry::Delete(std::string_view kind, const std::string& subject_id) {
  ASSIGN_OR_RETURN(store::Statement erase,
                   db_->Prepare("DELETE FROM relationship WHERE kind = ?1 AND subject_id = ?2"));
  erase.BindText(1, kind);
  erase.BindText(2, subject_id);
  if (erase.Step() != SQLITE_DONE) return db_->Error("write relationship");
  return absl::OkStatus();
}

absl::Status RelationshipRegistry::Persist(std::string_view kind, const identity::Person& person,
                                           const google::protobuf::Message& record) {
  ASSIGN_OR_RETURN(store::Statement upsert,
                   db_->Prepare("INSERT INTO relationship (kind, subject_id, record) "
                                "VALUES (?1, ?2, ?3) ON CONFLICT(kind, subject_id) DO UPDATE "
                                "SET record = excluded.record"));
  upsert.BindText(1, kind);
  upsert.BindText(2, person.key);
  upsert.BindBlob(3, record.SerializeAsString());
  if (upsert.Step() != SQLITE_DONE) return db_->Error("write relationship");
  for (const std::string& id : person.ids) {
    if (id != person.key) RETURN_IF_ERROR(Delete(kind, id));
  }
  return absl::OkStatus();
}

absl::Status RelationshipRegistry::InTransaction(const std::function<absl::Status()>& writes) {
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  absl::Status written = writes();
  if (written.ok()) written = db_->Exec("COMMIT");
  if (!written.ok()) (void)db_->Exec("ROLLBACK");
  return written;
}

absl::Status RelationshipRegistry::SetKoppeling(const v1::Koppeling& koppeling) {
  return SetKoppelingen({koppeling});
}

absl::Status RelationshipRegistry::SetKoppelingen(const std::vector<v1::Koppeling>& koppelingen) {
  std::vector<std::string> changed;
  {
    std::unique_lock lock(mutex_);
    const absl::Status written = InTransaction([&]() -> absl::Status {
      for (const v1::Koppeling& koppeling : koppelingen) {
        RETURN_IF_ERROR(Persist(kKoppeling, PersonLocked(koppeling.subject_id()), koppeling));
      }
      return absl::OkStatus();
    });
    if (!written.ok()) return written;
    for (const v1::Koppeling& koppeling : koppelingen) {
      changed.push_back(KeyLocked(koppeling.subject_id()));
      Remember(changed.back(), koppeling);
    }
  }
  if (koppeling_changed_) {
    for (const std::string& key : changed) koppeling_changed_(key);
  }
  return absl::OkStatus();
}

absl::Status RelationshipRegistry::ConflictLocked(const v1::IdentifierLink& link) const {
  const std::string& v_number = link.v_number();
  const std::string& bsn = link.bsn();
  if (auto linked = link_by_v_number_.find(v_number); linked != link_by_v_number_.end()) {
    if (linked->second.bsn() == bsn) return absl::OkStatus();
    return Conflict("this V-nummer is already linked to another BSN");
  }
  if (v_number_by_bsn_.count(bsn) != 0) {
    return Conflict("this BSN is already linked to another V-nummer");
  }
  // Unlinked, each identifier is its own key.
  const auto koppeling_v = koppelingen_.find(v_number);
  const auto koppeling_b = koppelingen_.find(bsn);
  if (koppeling_v != koppelingen_.end() && koppeling_b != koppelingen_.end() &&
      (koppeling_v->second.municipality_code != koppeling_b->second.municipality_code ||
       koppeling_v->second.move_day != koppeling_b->second.move_day)) {
    return Conflict("the V-nummer and the BSN have different koppelingen");
  }
  const auto practice_v = gp_practice_.find(v_number);
  const auto practice_b = gp_practice_.find(bsn);
  if (practice_v != gp_practice_.end() && practice_b != gp_practice_.end() &&
      practice_v->second != practice_b->second) {
    return Conflict("the V-nummer and the BSN are registered with different GP practices");
  }
  return absl::OkStatus();
}

absl::Status RelationshipRegistry::CheckLink(const v1::IdentifierLink& link) const {
  std::shared_lock lock(mutex_);
  return ConflictLocked(link);
}

absl::StatusOr<bool> RelationshipRegistry::LinkIdentifiers(const v1::IdentifierLink& link) {
  ASSIGN_OR_RETURN(const size_t linked, LinkAll({link}));
  return linked == 1;
}

absl::Status RelationshipRegistry::WriteLinkLocked(const v1::IdentifierLink& link) {
  ASSIGN_OR_RETURN(store::Statement insert,
                   db_->Prepare("INSERT INTO identifier_link (v_number, bsn, record) "
                                "VALUES (?1, ?2, ?3)"));
  insert.BindText(1, link.v_number());
  insert.BindText(2, link.bsn());
  insert.BindBlob(3, link.SerializeAsString());
  if (insert.Step() != SQLITE_DONE) return db_->Error("write identifier link");
  // Move the BSN's stored facts to the V-nummer, unless it has its own
  // (then equal: ConflictLocked checked).
  for (const std::string_view kind : {kKoppeling, kGpRegistration}) {
    const bool v_has_own = kind == kKoppeling ? koppelingen_.count(link.v_number()) != 0
                                              : gp_practice_.count(link.v_number()) != 0;
    ASSIGN_OR_RETURN(store::Statement move,
                     db_->Prepare(v_has_own ? "DELETE FROM relationship WHERE kind = ?1 AND "
                                              "subject_id = ?2"
                                            : "UPDATE OR REPLACE relationship SET subject_id = ?3 "
                                              "WHERE kind = ?1 AND subject_id = ?2"));
    move.BindText(1, kind);
    move.BindText(2, link.bsn());
    if (!v_has_own) move.BindText(3, link.v_number());
    if (move.Step() != SQLITE_DONE) return db_->Error("write relationship");
  }
  return absl::OkStatus();
}

bool RelationshipRegistry::RememberLinkLocked(const v1::IdentifierLink& link) {
  const std::string& v_number = link.v_number();
  const std::string& bsn = link.bsn();
  bool moved_koppeling = false;
  if (auto koppeling = koppelingen_.find(bsn); koppeling != koppelingen_.end()) {
    moved_koppeling = true;
    koppelingen_.try_emplace(v_number, koppeling->second);
    koppelingen_.erase(bsn);
  }
  if (auto practice = gp_practice_.find(bsn); practice != gp_practice_.end()) {
    gp_practice_.try_emplace(v_number, practice->second);
    gp_practice_.erase(bsn);
  }
  v_number_by_bsn_[bsn] = v_number;
  link_by_v_number_[v_number] = link;
  return moved_koppeling;
}

absl::StatusOr<size_t> RelationshipRegistry::LinkAll(const std::vector<v1::IdentifierLink>& links) {
  std::vector<const v1::IdentifierLink*> fresh;
  std::vector<std::string> moved;  // BSNs whose koppeling moved
  {
    std::unique_lock lock(mutex_);
    // Links in one call must not touch each other: each is checked
    // against the registry as it was before the call.
    std::set<std::string> seen;
    for (const v1::IdentifierLink& link : links) {
      RETURN_IF_ERROR(ConflictLocked(link));
      if (link_by_v_number_.count(link.v_number()) != 0) continue;  // the same link again
      if (!seen.insert(link.v_number()).second || !seen.insert(link.bsn()).second) {
        return Conflict("an identifier appears in two links of one call");
      }
      fresh.push_back(&link);
    }
    const absl::Status written = InTransaction([&]() -> absl::Status {
      for (const v1::IdentifierLink* link : fresh) RETURN_IF_ERROR(WriteLinkLocked(*link));
      return absl::OkStatus();
    });
    if (!written.ok()) return written;
    for (const v1::IdentifierLink* link : fresh) {
      if (RememberLinkLocked(*link)) moved.push_back(link->bsn());
    }
  }
  if (koppeling_changed_) {
    for (const std::string& bsn : moved) koppeling_changed_(bsn);
  }
  return fresh.size();
}

std::vector<std::pair<std::string, std::string>> RelationshipRegistry::Koppelingen() const {
  std::shared_lock lock(mutex_);
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(koppelingen_.size());
  for (const auto& [key, fact] : koppelingen_) out.emplace_back(key, fact.municipality_code);
  return out;
}

absl::Status RelationshipRegistry::SetGpRegistration(const v1::GpRegistration& registration) {
  std::unique_lock lock(mutex_);
  const identity::Person person = PersonLocked(registration.subject_id());
  RETURN_IF_ERROR(InTransaction([&] { return Persist(kGpRegistration, person, registration); }));
  gp_practice_[person.key] = registration.practice_partner_id();
  return absl::OkStatus();
}

absl::Status RelationshipRegistry::EndGpRegistration(const v1::GpRegistration& registration) {
  std::unique_lock lock(mutex_);
  const identity::Person person = PersonLocked(registration.subject_id());
  // Checked and written under one lock: the store and memory never disagree.
  auto it = gp_practice_.find(person.key);
  if (it == gp_practice_.end() || it->second != registration.practice_partner_id()) {
    return MakeError(
        absl::StatusCode::kFailedPrecondition, "GP_REGISTRATION_NOT_CURRENT",
        "the person is not registered with practice " + registration.practice_partner_id());
  }
  v1::GpRegistration ended = registration;
  ended.set_ended(true);
  RETURN_IF_ERROR(InTransaction([&] { return Persist(kGpRegistration, person, ended); }));
  gp_practice_.erase(it);
  return absl::OkStatus();
}

std::optional<std::string> RelationshipRegistry::GpPracticeOf(std::string_view subject_id) const {
  std::shared_lock lock(mutex_);
  auto it = gp_practice_.find(KeyLocked(subject_id));
  if (it == gp_practice_.end()) return std::nullopt;
  return it->second;
}

std::optional<policy::KoppelingFact> RelationshipRegistry::KoppelingOf(
    std::string_view subject_id) const {
  std::shared_lock lock(mutex_);
  auto it = koppelingen_.find(KeyLocked(subject_id));
  if (it == koppelingen_.end()) return std::nullopt;
  return it->second;
}

bool RelationshipRegistry::IsRegisteredWithGp(std::string_view subject_id,
                                              std::string_view practice_id) const {
  std::shared_lock lock(mutex_);
  auto it = gp_practice_.find(KeyLocked(subject_id));
  return it != gp_practice_.end() && it->second == practice_id;
}

}  // namespace ketenpoort::relationships
