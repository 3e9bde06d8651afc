#include "gateway/identity/partner_registry.h"

#include <algorithm>
#include <cctype>

#include "gateway/common/status_macros.h"
#include "gateway/common/yaml_file.h"

namespace ketenpoort::identity {

bool IsWellFormedOin(std::string_view oin) {
  return oin.size() == 20 && std::all_of(oin.begin(), oin.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c));
         });
}

absl::StatusOr<PartnerRegistry> PartnerRegistry::LoadFile(const std::string& path) {
  ASSIGN_OR_RETURN(YamlFile file, YamlFile::Load(path));
  const YAML::Node& root = file.root();
  if (!root.IsMap()) return file.ErrorAt(root, "expected a mapping with key 'partners'");
  RETURN_IF_ERROR(file.OnlyKeys(root, {"partners"}));
  const YAML::Node list = root["partners"];
  if (!list || !list.IsSequence()) {
    return file.ErrorAt(root, "'partners' must be a list");
  }

  PartnerRegistry registry;
  for (const YAML::Node& node : list) {
    RETURN_IF_ERROR(file.OnlyKeys(node, {"id", "name", "oin", "type", "municipality_code", "region",
                                         "organisation", "certificate_sha256"}));
    Partner partner;
    ASSIGN_OR_RETURN(partner.id, file.RequiredString(node, "id"));
    ASSIGN_OR_RETURN(partner.name, file.RequiredString(node, "name"));
    ASSIGN_OR_RETURN(partner.oin, file.RequiredString(node, "oin"));
    if (!IsWellFormedOin(partner.oin)) {
      return file.ErrorAt(node["oin"], "OIN must be exactly 20 digits");
    }
    ASSIGN_OR_RETURN(std::string type_name, file.RequiredString(node, "type"));
    std::optional<PartnerType> type = ParsePartnerType(type_name);
    if (!type) return file.ErrorAt(node["type"], "unknown partner type '" + type_name + "'");
    partner.type = *type;
    ASSIGN_OR_RETURN(partner.municipality_code, file.OptionalString(node, "municipality_code"));
    ASSIGN_OR_RETURN(partner.organisation, file.OptionalString(node, "organisation"));
    ASSIGN_OR_RETURN(partner.region, file.StringList(node, "region"));
    ASSIGN_OR_RETURN(partner.pinned_sha256, file.StringList(node, "certificate_sha256"));
    for (std::string& pin : partner.pinned_sha256) {
      // As `openssl x509 -fingerprint -sha256` prints it, or plain hex.
      std::erase(pin, ':');
      for (char& c : pin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (pin.size() != 64 || !std::all_of(pin.begin(), pin.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c));
          })) {
        return file.ErrorAt(node["certificate_sha256"],
                            "certificate_sha256 holds SHA-256 fingerprints (64 hex digits)");
      }
    }
    if (!partner.region.empty() && partner.type != PartnerType::kGgd) {
      return file.ErrorAt(node["region"], "only a GGD serves a region of municipalities");
    }
    for (const std::string& code : partner.region) {
      if (code.size() != 4 || !std::all_of(code.begin(), code.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
          })) {
        return file.ErrorAt(node["region"], "region holds 4-digit CBS municipality codes; '" +
                                                code + "' is not one");
      }
    }
    const bool bound_to_municipality = partner.type == PartnerType::kGemeente ||
                                       partner.type == PartnerType::kHuisarts ||
                                       partner.type == PartnerType::kJgz;
    if (bound_to_municipality && partner.municipality_code.empty()) {
      return file.ErrorAt(
          node, "partner '" + partner.id + "' of type " + type_name + " needs a municipality_code");
    }
    if (partner.type == PartnerType::kPrivacyOfficer && partner.organisation.empty()) {
      return file.ErrorAt(
          node, "privacy officer '" + partner.id + "' needs the 'organisation' it oversees");
    }
    if (registry.by_oin_.count(partner.oin) != 0) {
      return file.ErrorAt(node["oin"], "OIN " + partner.oin + " is listed twice");
    }
    if (registry.by_id_.count(partner.id) != 0) {
      return file.ErrorAt(node["id"], "partner id '" + partner.id + "' is listed twice");
    }
    registry.by_oin_.emplace(partner.oin, registry.partners_.size());
    registry.by_id_.emplace(partner.id, registry.partners_.size());
    registry.partners_.push_back(std::move(partner));
  }
  for (size_t i = 0; i < registry.partners_.size(); ++i) {
    const Partner& partner = registry.partners_[i];
    if (!partner.organisation.empty() && !registry.FindById(partner.organisation)) {
      return file.ErrorAt(list[i]["organisation"],
                          "unknown organisation '" + partner.organisation + "'");
    }
  }
  return registry;
}

const Partner* PartnerRegistry::FindByOin(std::string_view oin) const {
  auto it = by_oin_.find(oin);
  return it == by_oin_.end() ? nullptr : &partners_[it->second];
}

const Partner* PartnerRegistry::FindById(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &partners_[it->second];
}

}  // namespace ketenpoort::identity
