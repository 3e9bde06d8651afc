// The consent matcher over arbitrary consents that pass validation and
// arbitrary queries: never a crash, and an objection in force that
// covers a query always wins over any permission.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "gateway/common/civil_date.h"
#include "gateway/consent/consent_matcher.h"
#include "gateway/consent/consent_validation.h"

using ketenpoort::policy::ConsentVerdict;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto policies = ketenpoort::fuzz::ShippedPolicies();
  const auto& partners = policies->partners().partners();
  const auto& catalog = ketenpoort::records::RecordCatalog::Builtin();
  FuzzedDataProvider input(data, size);
  std::vector<ketenpoort::consent::CompiledConsent> consents;
  const size_t count = input.ConsumeIntegralInRange<size_t>(0, 8);
  const std::vector<std::string> types = catalog.RecordTypes();
  const std::string subject = input.ConsumeBool() ? "1234567890" : "111222333";
  auto pick_type = [&] { return types[input.ConsumeIntegralInRange<size_t>(0, types.size() - 1)]; };
  auto pick_partner = [&]() -> const ketenpoort::identity::Partner& {
    return partners[input.ConsumeIntegralInRange<size_t>(0, partners.size() - 1)];
  };
  // Consents built from choices, so that most pass validation and the
  // matcher sees many shapes; the rest are whatever validation refuses.
  for (size_t i = 0; i < count && input.remaining_bytes() > 0; ++i) {
    ketenpoort::v1::Consent consent;
    consent.set_subject_id(input.ConsumeBool() ? subject : input.ConsumeRandomLengthString(12));
    if (input.ConsumeBool()) {
      consent.mutable_recipient()->set_partner_id(pick_partner().id);
    } else {
      const auto& partner = pick_partner();
      consent.mutable_recipient()->set_partner_type(
          std::string(ketenpoort::identity::PartnerTypeName(partner.type)));
      consent.mutable_recipient()->set_municipality_code(
          input.ConsumeBool() ? partner.municipality_code : input.ConsumeRandomLengthString(5));
    }
    consent.set_purpose(
        static_cast<ketenpoort::v1::Purpose>(input.ConsumeIntegralInRange<int>(0, 12)));
    for (int n = input.ConsumeIntegralInRange<int>(0, 2); n > 0; --n)
      consent.add_record_types(pick_type());
    for (int n = input.ConsumeIntegralInRange<int>(0, 2); n > 0; --n) {
      consent.add_categories(
          static_cast<ketenpoort::DataCategory>(input.ConsumeIntegralInRange<int>(0, 20)));
    }
    const int64_t from = input.ConsumeIntegralInRange<int64_t>(19'000, 22'000);
    consent.set_valid_from(ketenpoort::FormatCivilDate(from));
    consent.set_valid_until(
        ketenpoort::FormatCivilDate(from + input.ConsumeIntegralInRange<int64_t>(-5, 800)));
    consent.set_effect(
        static_cast<ketenpoort::v1::ConsentEffect>(input.ConsumeIntegralInRange<int>(0, 3)));
    consent.set_evidence_reference("fuzz");
    consent.set_language("nl");
    if (input.ConsumeBool()) consent.set_revoked_at_unix_micros(1);
    if (!ketenpoort::consent::ValidateConsent(consent, policies->partners(), catalog).ok()) {
      continue;
    }
    consents.push_back(ketenpoort::consent::Compile(consent));
  }
  const std::string record_type = types[input.ConsumeIntegralInRange<size_t>(0, types.size() - 1)];
  ketenpoort::policy::ConsentQuery query;
  query.subject_id = subject;
  query.recipient = &partners[input.ConsumeIntegralInRange<size_t>(0, partners.size() - 1)];
  query.purpose = static_cast<ketenpoort::v1::Purpose>(input.ConsumeIntegralInRange<int>(0, 12));
  query.record_type = record_type;
  query.category_mask = input.ConsumeIntegral<uint32_t>();
  query.today = input.ConsumeIntegralInRange<int64_t>(19'000, 22'800);
  const ConsentVerdict verdict = ketenpoort::consent::Evaluate(consents, query);
  // Dropping every permission can never turn an objection into anything
  // else, nor create a permit.
  std::vector<ketenpoort::consent::CompiledConsent> objections;
  for (const auto& consent : consents) {
    if (consent.objection) objections.push_back(consent);
  }
  const ConsentVerdict without_permits = ketenpoort::consent::Evaluate(objections, query);
  if (without_permits == ConsentVerdict::kPermit) std::abort();
  if (without_permits == ConsentVerdict::kObjection && verdict != ConsentVerdict::kObjection) {
    std::abort();
  }
  (void)ketenpoort::consent::HasPermitFor(consents, *query.recipient, query.today);
  return 0;
}
