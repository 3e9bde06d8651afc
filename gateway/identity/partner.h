// A chain partner as known to the gateway (policies/partners.yaml).
#ifndef KETENPOORT_GATEWAY_IDENTITY_PARTNER_H_
#define KETENPOORT_GATEWAY_IDENTITY_PARTNER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ketenpoort::identity {

enum class PartnerType {
  kCoa,             // Centraal Orgaan opvang asielzoekers
  kGca,             // Gezondheidscentrum Asielzoekers
  kGgd,             // public health service, incl. TBC and JGZ at the AZC
  kDuo,             // Dienst Uitvoering Onderwijs: inburgering
  kVwn,             // VluchtelingenWerk Nederland
  kGemeente,        // municipality
  kHuisarts,        // GP practice
  kJgz,             // youth health care of a municipality
  kPrivacyOfficer,  // functionaris gegevensbescherming of a partner
  kSupervisor,      // supervisory authority
};
inline constexpr size_t kPartnerTypeCount = 10;

std::optional<PartnerType> ParsePartnerType(std::string_view name);
std::string_view PartnerTypeName(PartnerType type);

struct Partner {
  std::string id;    // stable short name, e.g. "gemeente-woerden"
  std::string name;  // display name
  std::string oin;   // 20-digit organisation identification number
  PartnerType type = PartnerType::kGemeente;
  // CBS municipality code ("0632") for partners bound to a municipality.
  std::string municipality_code;
  // For a privacy officer: the partner id of the organisation it oversees.
  std::string organisation;
};

}  // namespace ketenpoort::identity

#endif  // KETENPOORT_GATEWAY_IDENTITY_PARTNER_H_
