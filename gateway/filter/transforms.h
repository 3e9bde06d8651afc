// Field transforms applied to a released record after the allowlist copy:
//   redact        the field stays present, its value becomes "[REDACTED]"
//   generalize    a date becomes its year ("2026"), or a birth date an age
//                 band ("30-39") on the day of the request
//   pseudonymize  an identifier becomes a keyed pseudonym that differs per
//                 recipient, so two recipients cannot link their records
//   derive        a named derivation (derivations.h) computed from the source
// Redact, generalize and pseudonymize apply to string fields (validated at
// policy load). A value that is not a date is dropped by generalize rather
// than released as-is. Thread-safe (stateless).
#ifndef KETENPOORT_GATEWAY_FILTER_TRANSFORMS_H_
#define KETENPOORT_GATEWAY_FILTER_TRANSFORMS_H_

#include <google/protobuf/message.h>

#include <string>
#include <string_view>
#include <vector>

#include "gateway/filter/derivations.h"
#include "gateway/records/record_catalog.h"

namespace ketenpoort::filter {

enum class TransformKind {
  kKeep,
  kRedact,
  kGeneralizeYear,
  kGeneralizeAgeBand,
  kPseudonymize,
  kDerive
};

std::string_view TransformName(TransformKind kind);

struct FieldTransform {
  TransformKind kind = TransformKind::kKeep;
  records::FieldPath path;                 // not used by kDerive
  const Derivation* derivation = nullptr;  // kDerive only
  DerivationParams params;                 // kDerive only
};

struct TransformContext {
  std::string_view recipient_partner_id;
  std::string_view pseudonym_key;
  int64_t today = 0;  // days since epoch
};

void ApplyTransforms(const std::vector<FieldTransform>& transforms,
                     const google::protobuf::Message& source, google::protobuf::Message* released,
                     const TransformContext& context);

// Removes every string value at `path` (through repeated messages).
void DropStrings(google::protobuf::Message* message, const records::FieldPath& path);

// Exposed for tests.
std::string AgeBand(int64_t birth_day, int64_t today);

}  // namespace ketenpoort::filter

#endif  // KETENPOORT_GATEWAY_FILTER_TRANSFORMS_H_
