// Holds an audit store's SQLite schema to the one this version creates.
//
// The schema is part of what a reader trusts without knowing it: an index
// the gateway did not create can answer a query with rows the table does
// not hold (a partial index rewritten to look whole, a covering index with
// other bytes), and a trigger can divert or silently ignore a write. So a
// store whose sqlite_master holds anything else (an extra or altered table,
// index, view or trigger, two objects sharing a b-tree, planner statistics)
// is refused, and each connection re-checks whenever the schema cookie moves.
// A missing trigger is not a difference: triggers stop honest mistakes only,
// and the writer recreates them on open.
#ifndef KETENPOORT_GATEWAY_AUDIT_SCHEMA_GUARD_H_
#define KETENPOORT_GATEWAY_AUDIT_SCHEMA_GUARD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/store/sqlite_database.h"

namespace ketenpoort::audit {

// What differs between `db`'s schema and kAuditSchema, in words an operator
// can act on; empty if they are the same. Object names are quoted as
// printable ASCII only, whatever a tamperer chose.
absl::StatusOr<std::vector<std::string>> SchemaProblems(store::SqliteDatabase& db);

class SchemaGuard {
 public:
  explicit SchemaGuard(store::SqliteDatabase& db) : db_(db) {}

  // OK if the schema is this version's; otherwise DATA_LOSS
  // AUDIT_STORE_TAMPERED naming the first difference. Cheap when nothing
  // changed since the last check: it reads the schema cookie only. Call it
  // inside the transaction whose statements it protects, so that what it
  // checked is what they see.
  absl::Status Check();

 private:
  store::SqliteDatabase& db_;
  std::optional<int64_t> checked_version_;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_SCHEMA_GUARD_H_
