// How an AuditEntry is stored: the query columns beside its bytes, and the
// guarantee that whatever is written can be read back.
//
// The writer derives the columns with ColumnsOf; the verifier recomputes
// them from the stored bytes and compares, so a column edited to hide an
// entry from a query, or to make retention empty it, shows.
#ifndef KETENPOORT_GATEWAY_AUDIT_ENTRY_ENCODING_H_
#define KETENPOORT_GATEWAY_AUDIT_ENTRY_ENCODING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::audit {

struct EntryColumns {
  int64_t time_unix_micros = 0;
  std::string partner_id;         // stored as NULL when empty
  std::string source_partner_id;  // stored as NULL when empty
  std::optional<int64_t> subject_key;

  bool operator==(const EntryColumns&) const = default;
};

EntryColumns ColumnsOf(const v1::AuditEntry& entry);

// Protobuf refuses to parse a string field that is not valid UTF-8, so an
// entry carrying one would be written but never read back: invisible to
// every reader. This replaces each invalid byte sequence in every string
// field with U+FFFD. Returns the number of fields it changed.
int MakeDecodable(v1::AuditEntry& entry);

// Replaces invalid UTF-8 sequences in `text` with U+FFFD; true if it
// changed anything.
bool RepairUtf8(std::string& text);

// The range a retention ADMIN entry signs for: its `retention` field, or
// for entries written before that field, the range in its detail text
// (cutoff then unknown: 0). nullopt if the entry is not a retention entry.
std::optional<v1::AuditEntry::Retention> SignedRetention(const v1::AuditEntry& entry);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_ENTRY_ENCODING_H_
