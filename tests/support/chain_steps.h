// Steps the integration tests take through the real gateway again and
// again: COA linking a person to a municipality, and reading back the
// audit entry a request left.
#ifndef KETENPOORT_TESTS_SUPPORT_CHAIN_STEPS_H_
#define KETENPOORT_TESTS_SUPPORT_CHAIN_STEPS_H_

#include <sqlite3.h>

#include <chrono>
#include <string>

#include "gateway/common/civil_date.h"
#include "ketenpoort/v1/audit_entry.pb.h"
#include "ketenpoort/v1/relationship.grpc.pb.h"
#include "tests/support/gateway_env.h"

namespace ketenpoort::testing {

// Today (UTC) plus `days`, as YYYY-MM-DD: the gateway's policy clock.
inline std::string DateFromToday(int days) {
  const int64_t today = std::chrono::duration_cast<std::chrono::hours>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() /
                        24;
  return FormatCivilDate(today + days);
}

// COA records the koppeling of `subject` to `municipality_code` through the
// gateway at `address`. Dates are YYYY-MM-DD.
inline grpc::Status LinkToMunicipality(const std::string& address, const std::string& subject,
                                       const std::string& municipality_code,
                                       const std::string& linked_on,
                                       const std::string& expected_move_date) {
  v1::SetKoppelingRequest request;
  request.mutable_koppeling()->set_subject_id(subject);
  request.mutable_koppeling()->set_municipality_code(municipality_code);
  request.mutable_koppeling()->set_linked_on(linked_on);
  request.mutable_koppeling()->set_expected_move_date(expected_move_date);
  grpc::ClientContext context;
  context.AddMetadata("x-actor-role", "casemanager");
  v1::Koppeling stored;
  return v1::RelationshipService::NewStub(ChannelAs(address, "coa"))
      ->SetKoppeling(&context, request, &stored);
}

// The social guidance of Woerden (gemeente-woerden, role
// maatschappelijk-begeleider) registers `subject`, linked to Woerden, with
// GP practice `practice`: who may, per policies/assertions.yaml.
inline grpc::Status RegisterWithGp(const std::string& address, const std::string& subject,
                                   const std::string& practice = "huisartsenpraktijk-woerden") {
  v1::SetGpRegistrationRequest request;
  request.mutable_registration()->set_subject_id(subject);
  request.mutable_registration()->set_practice_partner_id(practice);
  request.mutable_registration()->set_registered_on(DateFromToday(0));
  request.mutable_registration()->set_evidence_reference("inschrijfformulier-1");
  grpc::ClientContext context;
  context.AddMetadata("x-actor-role", "maatschappelijk-begeleider");
  v1::GpRegistration stored;
  return v1::RelationshipService::NewStub(ChannelAs(address, "gemeente-woerden"))
      ->SetGpRegistration(&context, request, &stored);
}

// The audit entry at `index` of the live store at `audit_db` (WAL: safe
// while the gateway writes), or the newest one for index 0. Empty if none.
inline v1::AuditEntry ReadAuditEntry(const std::string& audit_db, uint64_t index = 0) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(audit_db.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     index == 0 ? "SELECT entry FROM audit_entry ORDER BY idx DESC LIMIT 1"
                                : "SELECT entry FROM audit_entry WHERE idx = ?1",
                     -1, &stmt, nullptr);
  if (index != 0) sqlite3_bind_int64(stmt, 1, static_cast<sqlite3_int64>(index));
  v1::AuditEntry entry;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    entry.ParseFromArray(sqlite3_column_blob(stmt, 0), sqlite3_column_bytes(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return entry;
}

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_CHAIN_STEPS_H_
