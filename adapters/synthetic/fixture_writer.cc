// Writes a population into a fixture database (fixture_schema.h).
#include <sqlite3.h>

#include <filesystem>

#include "adapters/fixture/fixture_schema.h"
#include "adapters/synthetic/synthetic_population.h"
#include "gateway/common/error.h"

namespace ketenpoort::synthetic {

absl::Status WriteFixtureDatabase(const std::string& path, uint64_t seed, uint64_t count) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  std::filesystem::remove(path + "-wal", ignored);
  std::filesystem::remove(path + "-shm", ignored);
  sqlite3* db = nullptr;
  auto fail = [&](std::string_view what) {
    absl::Status status = MakeError(absl::StatusCode::kUnavailable, "FIXTURE_WRITE_FAILED",
                                    "writing " + path + ": " + std::string(what) + ": " +
                                        (db ? sqlite3_errmsg(db) : "cannot open"));
    sqlite3_close(db);
    return status;
  };
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return fail("open");
  if (sqlite3_exec(db, adapters::kFixtureSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("schema");
  }
  if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("begin");
  sqlite3_stmt* subject = nullptr;
  sqlite3_stmt* record = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO subject VALUES (?1, ?2)", -1, &subject, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO record VALUES (?1, ?2, ?3)", -1, &record, nullptr);
  const SyntheticPopulation population(seed);
  bool ok = subject != nullptr && record != nullptr;
  std::string payload;
  auto insert_subject = [&](const std::string& id, uint64_t person) {
    sqlite3_reset(subject);
    sqlite3_bind_text(subject, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(subject, 2, static_cast<sqlite3_int64>(person));
    return sqlite3_step(subject) == SQLITE_DONE;
  };
  auto insert_record = [&](uint64_t person, const char* type,
                           const google::protobuf::Message& message) {
    message.SerializeToString(&payload);
    sqlite3_reset(record);
    sqlite3_bind_int64(record, 1, static_cast<sqlite3_int64>(person));
    sqlite3_bind_text(record, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_blob(record, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
    return sqlite3_step(record) == SQLITE_DONE;
  };
  for (uint64_t i = 0; ok && i < count; ++i) {
    const SyntheticPerson person = population.Person(i);
    ok = insert_subject(person.v_number, i) &&
         (person.bsn.empty() || insert_subject(person.bsn, i)) &&
         insert_record(i, "coa.Koppeling", person.koppeling) &&
         insert_record(i, "noa.Assessment", person.assessment) &&
         insert_record(i, "coa.Voorinburgering", person.voorinburgering) &&
         insert_record(i, "gca.MedicalDossier", person.medical) &&
         insert_record(i, "ggd.TbcScreening", person.tbc) &&
         insert_record(i, "ggd.Vaccinations", person.vaccinations) &&
         insert_record(i, "duo.InburgeringStatus", person.inburgering) &&
         (!person.risk_signals || insert_record(i, "coa.RiskSignal", *person.risk_signals)) &&
         (!person.jgz || insert_record(i, "ggd.JgzDossier", *person.jgz)) &&
         (!person.social_guidance ||
          insert_record(i, "vwn.SocialGuidanceDossier", *person.social_guidance));
  }
  sqlite3_finalize(subject);
  sqlite3_finalize(record);
  if (!ok) return fail("insert");
  const std::string meta = "INSERT INTO meta VALUES ('seed', '" + std::to_string(seed) +
                           "'), ('persons', '" + std::to_string(count) + "')";
  if (sqlite3_exec(db, meta.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("meta");
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("commit");
  sqlite3_close(db);
  return absl::OkStatus();
}

}  // namespace ketenpoort::synthetic
