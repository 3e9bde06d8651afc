// The values an audit Query can filter on, as 64-bit keys for the facet
// index (decision 0027).
//
// Each entry is listed in `audit_facet` under one key per filterable value
// it has: every partner it involves (requester or source: one key serves
// both the partner filter and a privacy officer's own-organisation scope),
// its purpose, decision, reason and record type, and whether it awaits
// review. A Query then walks the posting lists of its filters instead of
// the log. Keys are hashes of non-personal values only; a collision costs
// a wasted row read, never a wrong answer, because readers check each
// entry they return against the request itself.
#ifndef KETENPOORT_GATEWAY_AUDIT_ENTRY_FACETS_H_
#define KETENPOORT_GATEWAY_AUDIT_ENTRY_FACETS_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "ketenpoort/v1/audit_entry.pb.h"

namespace ketenpoort::audit {

enum class Facet { kInvolves, kPurpose, kDecision, kReason, kRecordType, kReviewRequired };

int64_t FacetKey(Facet facet, std::string_view value);
int64_t FacetKey(Facet facet, int64_t value);

// The keys an entry is listed under, without duplicates, in ascending order.
std::vector<int64_t> FacetsOf(const v1::AuditEntry& entry);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_ENTRY_FACETS_H_
