// One compiled policy rule.
#ifndef KETENPOORT_GATEWAY_POLICY_RULE_H_
#define KETENPOORT_GATEWAY_POLICY_RULE_H_

#include <google/protobuf/descriptor.h>

#include <optional>
#include <string>
#include <vector>

#include "gateway/filter/field_selection.h"
#include "gateway/identity/partner.h"
#include "ketenpoort/v1/purpose.pb.h"

namespace ketenpoort::policy {

enum class LegalBasisKind { kConsent, kStatutory, kVitalInterest };

struct LegalBasis {
  LegalBasisKind kind = LegalBasisKind::kStatutory;
  std::string law_reference;  // e.g. "Wpg art. 6"; required for statutory
};

std::string_view LegalBasisName(LegalBasisKind kind);

struct ReleasedFieldSpec {
  std::string path;       // field path, or "category:WORK"
  std::string transform;  // "keep"
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

  std::vector<ReleasedFieldSpec> release;
  filter::FieldSelection selection;
  std::vector<std::string> released_categories;
};

}  // namespace ketenpoort::policy

#endif  // KETENPOORT_GATEWAY_POLICY_RULE_H_
