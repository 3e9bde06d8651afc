// Consent matching and conflict resolution, independent of storage.
//
// A consent covers a release when the recipient, purpose and validity
// period match and its scope covers the release. The scope is record
// types, categories, or both (then both must match): a record type covers
// when it is listed; categories cover, for a permission, when every
// released category is listed, for an objection when any is (an objection
// to HEALTH blocks every release that includes HEALTH).
//
// Conflicts (decision 0019): an objection holds. Any objection in force
// that covers the release denies it, however specific a permission is; it
// is lifted only by revoking it.
#ifndef KETENPOORT_GATEWAY_CONSENT_CONSENT_MATCHER_H_
#define KETENPOORT_GATEWAY_CONSENT_CONSENT_MATCHER_H_

#include <optional>
#include <string>
#include <vector>

#include "gateway/identity/partner.h"
#include "gateway/policy/facts.h"
#include "ketenpoort/v1/consent.pb.h"

namespace ketenpoort::consent {

// A consent reduced to what matching needs.
struct CompiledConsent {
  std::string consent_id;
  std::string recipient_partner_id;  // empty for a type-in-municipality recipient
  std::optional<identity::PartnerType> recipient_type;
  std::string recipient_municipality;
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  uint32_t category_mask = 0;
  std::vector<std::string> record_types;
  int64_t valid_from = 0;
  int64_t valid_until = 0;
  bool objection = false;
  bool revoked = false;
};

// Assumes `consent` was validated (ValidateConsent).
CompiledConsent Compile(const v1::Consent& consent);

policy::ConsentVerdict Evaluate(const std::vector<CompiledConsent>& consents,
                                const policy::ConsentQuery& query);

// Whether a permission in force on `today` names `recipient`.
bool HasPermitFor(const std::vector<CompiledConsent>& consents, const identity::Partner& recipient,
                  int64_t today);

}  // namespace ketenpoort::consent

#endif  // KETENPOORT_GATEWAY_CONSENT_CONSENT_MATCHER_H_
