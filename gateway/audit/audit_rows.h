// Row <-> struct helpers shared by the audit store's writer and readers.
#ifndef KETENPOORT_GATEWAY_AUDIT_AUDIT_ROWS_H_
#define KETENPOORT_GATEWAY_AUDIT_AUDIT_ROWS_H_

#include "gateway/audit/audit_store.h"
#include "gateway/store/sqlite_database.h"

namespace ketenpoort::audit {

// A 32-byte hash column; all zeros if the column is not 32 bytes (which
// the schema's CHECK constraints, or the verifier, reject).
merkle::Hash HashColumn(const store::Statement& statement, int column);
// Reads a row selected with kEntryColumns.
StoredEntry EntryFromRow(const store::Statement& statement);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_AUDIT_ROWS_H_
