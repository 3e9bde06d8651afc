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

// 0 when the consent does not cover the query; otherwise its specificity.
int Coverage(const CompiledConsent& consent, const policy::ConsentQuery& query) {
  if (consent.purpose != query.purpose) return 0;
  if (query.today < consent.valid_from || query.today > consent.valid_until) return 0;
  if (!RecipientMatches(consent, *query.recipient)) return 0;
  const bool by_record_type = std::find(consent.record_types.begin(), consent.record_types.end(),
                                        query.record_type) != consent.record_types.end();
  const uint32_t overlap = consent.category_mask & query.category_mask;
  const bool by_category =
      consent.objection ? overlap != 0 : query.category_mask != 0 && overlap == query.category_mask;
  if (!by_record_type && !by_category) return 0;
  const int recipient_specificity = consent.recipient_partner_id.empty() ? 1 : 2;
  return recipient_specificity * 2 + (by_record_type ? 1 : 0);
}

}  // namespace

policy::ConsentVerdict Evaluate(const std::vector<CompiledConsent>& consents,
                                const policy::ConsentQuery& query) {
  int best = 0;
  bool best_is_objection = false;
  bool revoked_would_cover = false;
  for (const CompiledConsent& consent : consents) {
    const int specificity = Coverage(consent, query);
    if (specificity == 0) continue;
    if (consent.revoked) {
      revoked_would_cover = revoked_would_cover || !consent.objection;
      continue;
    }
    if (specificity > best) {
      best = specificity;
      best_is_objection = consent.objection;
    } else if (specificity == best) {
      best_is_objection = best_is_objection || consent.objection;
    }
  }
  if (best > 0) {
    return best_is_objection ? policy::ConsentVerdict::kObjection : policy::ConsentVerdict::kPermit;
  }
  return revoked_would_cover ? policy::ConsentVerdict::kRevoked : policy::ConsentVerdict::kNone;
}

}  // namespace ketenpoort::consent
