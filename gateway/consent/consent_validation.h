// Checks a consent offered to ConsentService.Grant before it is stored.
#ifndef KETENPOORT_GATEWAY_CONSENT_CONSENT_VALIDATION_H_
#define KETENPOORT_GATEWAY_CONSENT_CONSENT_VALIDATION_H_

#include "absl/status/status.h"
#include "gateway/identity/partner_registry.h"
#include "gateway/records/record_catalog.h"
#include "ketenpoort/v1/consent.pb.h"

namespace ketenpoort::consent {

// INVALID_ARGUMENT with reason INVALID_CONSENT naming the first problem.
absl::Status ValidateConsent(const v1::Consent& consent, const identity::PartnerRegistry& partners,
                             const records::RecordCatalog& catalog);

}  // namespace ketenpoort::consent

#endif  // KETENPOORT_GATEWAY_CONSENT_CONSENT_VALIDATION_H_
