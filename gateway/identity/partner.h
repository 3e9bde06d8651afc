// A chain partner as known to the gateway (policies/partners.yaml).
#ifndef KETENPOORT_GATEWAY_IDENTITY_PARTNER_H_
#define KETENPOORT_GATEWAY_IDENTITY_PARTNER_H_

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  kSubjectPortal,   // where the person signs in to see their own data
};
inline constexpr size_t kPartnerTypeCount = 11;

std::optional<PartnerType> ParsePartnerType(std::string_view name);
std::string_view PartnerTypeName(PartnerType type);

struct Partner {
  std::string id;    // stable short name, e.g. "gemeente-woerden"
  std::string name;  // display name
  std::string oin;   // 20-digit organisation identification number
  PartnerType type = PartnerType::kGemeente;
  // CBS municipality code ("0632") for partners bound to a municipality.
  std::string municipality_code;
  // For a regional partner (a GGD): the municipalities of its region.
  std::vector<std::string> region;
  // For a privacy officer: the partner id of the organisation it oversees.
  std::string organisation;
  // When not empty, the SHA-256 fingerprints (lower-case hex of the DER)
  // of the only certificates accepted for this OIN: another certificate
  // naming it, even from a trusted CA, is refused (CERTIFICATE_NOT_PINNED).
  std::vector<std::string> pinned_sha256;

  bool AcceptsCertificate(std::string_view sha256_hex) const {
    return pinned_sha256.empty() ||
           std::find(pinned_sha256.begin(), pinned_sha256.end(), sha256_hex) != pinned_sha256.end();
  }

  // Whether the subject of a koppeling to `code` is this partner's to serve:
  // its own municipality, or one in its region.
  bool Serves(std::string_view code) const {
    return (!municipality_code.empty() && code == municipality_code) ||
           std::find(region.begin(), region.end(), code) != region.end();
  }
};

}  // namespace ketenpoort::identity

#endif  // KETENPOORT_GATEWAY_IDENTITY_PARTNER_H_
