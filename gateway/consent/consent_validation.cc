#include "gateway/consent/consent_validation.h"

#include "gateway/common/civil_date.h"
#include "gateway/common/error.h"
#include "gateway/validate/subject_id.h"

namespace ketenpoort::consent {
namespace {

absl::Status Invalid(std::string message) {
  return MakeError(absl::StatusCode::kInvalidArgument, "INVALID_CONSENT", message);
}

}  // namespace

absl::Status ValidateConsent(const v1::Consent& consent, const identity::PartnerRegistry& partners,
                             const records::RecordCatalog& catalog) {
  if (absl::Status subject = validate::ValidateSubjectId(consent.subject_id()); !subject.ok()) {
    return subject;
  }
  const v1::ConsentRecipient& recipient = consent.recipient();
  if (!recipient.partner_id().empty()) {
    if (partners.FindById(recipient.partner_id()) == nullptr) {
      return Invalid("recipient partner '" + recipient.partner_id() + "' is unknown");
    }
    if (!recipient.partner_type().empty() || !recipient.municipality_code().empty()) {
      return Invalid(
          "name a recipient partner_id, or a partner_type with municipality_code, "
          "not both");
    }
  } else {
    if (!identity::ParsePartnerType(recipient.partner_type())) {
      return Invalid("recipient partner_type '" + recipient.partner_type() + "' is unknown");
    }
    if (recipient.municipality_code().size() != 4) {
      return Invalid("a recipient partner_type needs a 4-digit municipality_code");
    }
  }
  if (!v1::Purpose_IsValid(consent.purpose()) || consent.purpose() == v1::PURPOSE_UNSPECIFIED) {
    return Invalid("purpose is missing or unknown");
  }
  if (consent.categories().empty() && consent.record_types().empty()) {
    return Invalid("scope is empty: list categories or record types");
  }
  for (int category : consent.categories()) {
    if (!DataCategory_IsValid(category) || category == DATA_CATEGORY_UNSPECIFIED) {
      return Invalid("unknown data category " + std::to_string(category));
    }
  }
  for (const std::string& record_type : consent.record_types()) {
    if (catalog.Find(record_type) == nullptr) {
      return Invalid("unknown record type '" + record_type + "'");
    }
  }
  const auto from = ParseCivilDate(consent.valid_from());
  const auto until = ParseCivilDate(consent.valid_until());
  if (!from || !until) return Invalid("valid_from and valid_until must be YYYY-MM-DD dates");
  if (*until < *from) return Invalid("valid_until is before valid_from");
  if (consent.effect() != v1::PERMIT && consent.effect() != v1::OBJECTION) {
    return Invalid("effect must be PERMIT or OBJECTION");
  }
  if (consent.evidence_reference().empty()) {
    return Invalid("evidence_reference is required (e.g. the signed form's document id)");
  }
  if (consent.language().empty()) {
    return Invalid("language is required: the language the person was informed in");
  }
  for (const std::string* text :
       {&consent.evidence_reference(), &consent.language(), &consent.interpreter_reference()}) {
    if (text->size() > 256) return Invalid("text fields are limited to 256 bytes");
  }
  return absl::OkStatus();
}

}  // namespace ketenpoort::consent
