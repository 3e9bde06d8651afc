#include "gateway/consent/consent_matcher.h"

#include <algorithm>

#include "gateway/common/civil_date.h"

namespace ketenpoort::consent {

CompiledConsent Compile(const v1::Consent& consent) {
  CompiledConsent compiled;
  compiled.consent_id = consent.consent_id();
  compiled.recipient_partner_id = consent.recipient().partner_id();
  if (compiled.recipient_partner_id.empty()) {
    compiled.recipient_type = identity::ParsePartnerType(consent.recipient().partner_type());
    compiled.recipient_municipality = consent.recipient().municipality_code();
  }
  compiled.purpose = consent.purpose();
  for (int category : consent.categories()) compiled.category_mask |= 1u << category;
  compiled.record_types.assign(consent.record_types().begin(), consent.record_types().end());
  compiled.valid_from = ParseCivilDate(consent.valid_from()).value_or(0);
  compiled.valid_until = ParseCivilDate(consent.valid_until()).value_or(-1);
  compiled.objection = consent.effect() == v1::OBJECTION;
  compiled.revoked = consent.revoked_at_unix_micros() != 0;
  return compiled;
}

namespace {

bool RecipientMatches(const CompiledConsent& consent, const identity::Partner& partner) {
  if (!consent.recipient_partner_id.empty()) return consent.recipient_partner_id == partner.id;
  return consent.recipient_type == partner.type && partner.Serves(consent.recipient_municipality);
}

bool Covers(const CompiledConsent& consent, const policy::ConsentQuery& query) {
  if (consent.purpose != query.purpose) return false;
  if (query.today < consent.valid_from || query.today > consent.valid_until) return false;
  if (!RecipientMatches(consent, *query.recipient)) return false;
  if (!consent.record_types.empty() &&
      std::find(consent.record_types.begin(), consent.record_types.end(), query.record_type) ==
          consent.record_types.end()) {
    return false;
  }
  if (consent.category_mask == 0) return true;  // a record-type scope alone
  const uint32_t overlap = consent.category_mask & query.category_mask;
  return consent.objection ? overlap != 0
                           : query.category_mask != 0 && overlap == query.category_mask;
}

}  // namespace

policy::ConsentVerdict Evaluate(const std::vector<CompiledConsent>& consents,
                                const policy::ConsentQuery& query) {
  bool permitted = false;
  bool revoked_would_cover = false;
  for (const CompiledConsent& consent : consents) {
    if (!Covers(consent, query)) continue;
    if (consent.revoked) {
      revoked_would_cover = revoked_would_cover || !consent.objection;
      continue;
    }
    // An objection holds, whatever permits beside it.
    if (consent.objection) return policy::ConsentVerdict::kObjection;
    permitted = true;
  }
  if (permitted) return policy::ConsentVerdict::kPermit;
  return revoked_would_cover ? policy::ConsentVerdict::kRevoked : policy::ConsentVerdict::kNone;
}

bool HasPermitFor(const std::vector<CompiledConsent>& consents, const identity::Partner& recipient,
                  int64_t today) {
  return std::any_of(consents.begin(), consents.end(), [&](const CompiledConsent& consent) {
    return !consent.objection && !consent.revoked && today >= consent.valid_from &&
           today <= consent.valid_until && RecipientMatches(consent, recipient);
  });
}

}  // namespace ketenpoort::consent
