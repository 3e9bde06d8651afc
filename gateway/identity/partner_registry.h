// The partners the gateway knows, by OIN. Loaded once from
// policies/partners.yaml and immutable afterwards (thread-safe to read).
#ifndef KETENPOORT_GATEWAY_IDENTITY_PARTNER_REGISTRY_H_
#define KETENPOORT_GATEWAY_IDENTITY_PARTNER_REGISTRY_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/identity/partner.h"

namespace ketenpoort::identity {

class PartnerRegistry {
 public:
  // Validates every entry; errors name file and line.
  static absl::StatusOr<PartnerRegistry> LoadFile(const std::string& path);

  // nullptr when the OIN is not a known partner.
  const Partner* FindByOin(std::string_view oin) const;
  const Partner* FindById(std::string_view id) const;
  const std::vector<Partner>& partners() const { return partners_; }

 private:
  std::vector<Partner> partners_;
  std::map<std::string, size_t, std::less<>> by_oin_;
  std::map<std::string, size_t, std::less<>> by_id_;
};

bool IsWellFormedOin(std::string_view oin);

}  // namespace ketenpoort::identity

#endif  // KETENPOORT_GATEWAY_IDENTITY_PARTNER_REGISTRY_H_
