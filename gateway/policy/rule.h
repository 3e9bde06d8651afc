// One compiled policy rule.
#ifndef KETENPOORT_GATEWAY_POLICY_RULE_H_
#define KETENPOORT_GATEWAY_POLICY_RULE_H_

#include <google/protobuf/descriptor.h>

#include <optional>
#include <string>
#include <vector>

#include "gateway/filter/field_selection.h"
#include "gateway/filter/transforms.h"
#include "gateway/identity/partner.h"
#include "ketenpoort/v1/purpose.pb.h"

namespace ketenpoort::policy {

enum class LegalBasisKind { kConsent, kStatutory, kVitalInterest };

struct LegalBasis {
  LegalBasisKind kind = LegalBasisKind::kStatutory;
  std::string law_reference;  // e.g. "Wpg art. 6"; required for statutory
};

std::string_view LegalBasisName(LegalBasisKind kind);

// Time window around the subject's expected move date, inclusive.
struct MoveWindow {
  int64_t days_before = 0;
  int64_t days_after = 0;
};

struct Conditions {
  bool linked_to_requester_municipality = false;
  bool registered_with_requesting_gp = false;
  // The request is about the person who is signed in (subject access).
  bool requester_is_subject = false;
  std::optional<MoveWindow> window;
  // Implied by a consent basis: a valid consent must cover recipient,
  // purpose and the released categories.
  bool consent = false;
};

struct ReleasedFieldSpec {
  std::string path;       // field path, "category:WORK", or a derived field
  std::string transform;  // "keep", "redact", "derive:care_signal", ...
};

struct Rule {
  std::string id;
  std::string description;
  std::string location;  // "file:line" of the rule, for explanations

  // Requester: a partner type, optionally narrowed to partner ids.
  std::optional<identity::PartnerType> partner_type;
  std::vector<std::string> partner_ids;
  // Empty means any actor role.
  std::vector<std::string> actor_roles;

  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  std::string record_type;
  const google::protobuf::Descriptor* record_descriptor = nullptr;
  LegalBasis legal_basis;
  Conditions conditions;

  std::vector<ReleasedFieldSpec> release;
  filter::FieldSelection selection;                // fields copied from the source
  std::vector<filter::FieldTransform> transforms;  // applied after the copy
  std::vector<std::string> released_categories;
  uint32_t category_mask = 0;  // bit (1 << DataCategory) per released category

  bool break_glass() const { return legal_basis.kind == LegalBasisKind::kVitalInterest; }
};

}  // namespace ketenpoort::policy

#endif  // KETENPOORT_GATEWAY_POLICY_RULE_H_
