#include "gateway/identity/partner.h"

#include <array>
#include <utility>

namespace ketenpoort::identity {
namespace {

constexpr std::array<std::pair<std::string_view, PartnerType>, kPartnerTypeCount> kTypeNames{{
    {"coa", PartnerType::kCoa},
    {"gca", PartnerType::kGca},
    {"ggd", PartnerType::kGgd},
    {"duo", PartnerType::kDuo},
    {"vwn", PartnerType::kVwn},
    {"gemeente", PartnerType::kGemeente},
    {"huisarts", PartnerType::kHuisarts},
    {"jgz", PartnerType::kJgz},
    {"privacy_officer", PartnerType::kPrivacyOfficer},
    {"supervisor", PartnerType::kSupervisor},
    {"subject_portal", PartnerType::kSubjectPortal},
}};

}  // namespace

std::optional<PartnerType> ParsePartnerType(std::string_view name) {
  for (const auto& [text, type] : kTypeNames) {
    if (text == name) return type;
  }
  return std::nullopt;
}

std::string_view PartnerTypeName(PartnerType type) {
  for (const auto& [text, t] : kTypeNames) {
    if (t == type) return text;
  }
  return "unknown";
}

}  // namespace ketenpoort::identity
