// Step 5 of the request path, shared by GetRecord and the hand-over: build
// the released record from the granted fields only, then transform it.
#ifndef KETENPOORT_GATEWAY_SERVER_RELEASE_H_
#define KETENPOORT_GATEWAY_SERVER_RELEASE_H_

#include <google/protobuf/message.h>

#include <initializer_list>
#include <memory>
#include <string>

#include "gateway/filter/transforms.h"
#include "gateway/policy/rule.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "ketenpoort/v1/audit_entry.pb.h"
#include "ketenpoort/v1/dossier.pb.h"

namespace ketenpoort::server {

// A new record of the same type holding only what `rule` releases: a field
// not granted is absent, not empty.
std::unique_ptr<google::protobuf::Message> FilterRecord(const policy::Rule& rule,
                                                        const google::protobuf::Message& record,
                                                        const filter::TransformContext& context);

// Whether `rule` releases the field at `path` as the source holds it: all
// of it, untransformed. Lists filter and aggregates count only on such
// fields, so neither reveals more than the rule releases.
bool ReleasesUnchanged(const policy::Rule& rule,
                       std::initializer_list<const google::protobuf::FieldDescriptor*> path);

// A record released earlier under another rule or policy set (a hand-over
// package sealed at Send), cut down to what `rule` releases now: only the
// fields `rule` selects; a field `rule` transforms only if `sent` lists it
// with that same transform (the value is then already transformed), a
// derived value only if it was derived the same way. Everything else is
// absent, so nothing leaves that the current rule does not release.
std::unique_ptr<google::protobuf::Message> NarrowToRule(
    const policy::Rule& rule, const google::protobuf::Message& released_before,
    const google::protobuf::RepeatedPtrField<v1::ReleasedField>& sent);

// The rule's released fields, as a response lists them.
void ListReleasedFields(const policy::Rule& rule,
                        google::protobuf::RepeatedPtrField<v1::ReleasedField>* fields);

// What the audit entry of a release records: rule, basis, released fields
// and categories, and the digest of the released bytes `packed`.
void RecordRelease(const policy::Rule& rule, const std::string& packed, v1::AuditEntry* entry);

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_RELEASE_H_
