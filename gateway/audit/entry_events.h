// What an audit entry records, as one closed list (AuditEntry.Event): the
// access report tells each event in its own words, and every catalogue
// must have a text for each (access_report.h).
//
// Writers set the event through CallAudit from the method (DefaultEvent),
// and refine it where one method records several (a consent or an
// objection; a GP registration or its end). Entries from before the field
// are told by the same table, with the detail they carry.
#ifndef KETENPOORT_GATEWAY_AUDIT_ENTRY_EVENTS_H_
#define KETENPOORT_GATEWAY_AUDIT_ENTRY_EVENTS_H_

#include <string_view>

#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::audit {

// The event `method` (a full gRPC method name, or the hand-over sweep's
// "/ketenpoort.v1.HandoverService/Expire" and ".../Purge") records for an
// entry of `kind`; EVENT_UNSPECIFIED for one with no event of a person
// (start-up, policy reloads, aggregates).
v1::AuditEntry::Event DefaultEvent(v1::AuditEntry::Kind kind, std::string_view method);

// The entry's event: its own, or for an older entry, what its kind,
// method, detail and purpose say. Never EVENT_UNSPECIFIED: an entry about
// a person that names no known method is told as a request for a record.
v1::AuditEntry::Event EventOf(const v1::AuditEntry& entry);

// The law an event rests on when no access rule decided it (a report, an
// audit read, a change of facts), for the report's "why"; empty for an
// event whose entry names its own basis (a record released by a rule).
std::string_view DefaultLaw(v1::AuditEntry::Event event);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_ENTRY_EVENTS_H_
