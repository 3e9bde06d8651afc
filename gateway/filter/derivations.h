// Named derivations: values computed from a source record and released
// instead of the sensitive fields they come from.
//
//   care_signal               noa.Assessment -> care_signal (SIGNAL)
//       true when ptsd_score >= ptsd_threshold (default 33) or
//       emotional_stability_score >= emotional_stability_threshold
//       (default 60); neither score is released.
//   work_capability_category  noa.Assessment -> work_capability_category (SIGNAL)
//       1..4 from occupational_health.capacity_hours_per_week
//       (>= 32: 1, >= 16: 2, >= 1: 3, 0: 4 = exempt from the work
//       obligation); no diagnosis is released.
//   loan_use_band             duo.InburgeringStatus -> loan_use_band (INBURGERING)
//       share of loan_granted_eur used, in quarters ("geen", "tot 25%",
//       "25-50%", "50-75%", "meer dan 75%"); neither amount is released.
#ifndef KETENPOORT_GATEWAY_FILTER_DERIVATIONS_H_
#define KETENPOORT_GATEWAY_FILTER_DERIVATIONS_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace ketenpoort::filter {

// Parameter name -> value; defaults filled in at load.
using DerivationParams = std::vector<std::pair<std::string, int64_t>>;

struct Derivation {
  std::string_view name;
  std::string_view record_type;
  std::string_view output_field;
  std::vector<std::pair<std::string_view, int64_t>> defaults;
  // Sets the output field on `released` from `source` (same type); leaves
  // it absent when the source lacks what it needs.
  void (*apply)(const google::protobuf::Message& source, google::protobuf::Message* released,
                const DerivationParams& params);
};

// nullptr when unknown.
const Derivation* FindDerivation(std::string_view name);
std::vector<std::string_view> DerivationNames();

int64_t Param(const DerivationParams& params, std::string_view name);

}  // namespace ketenpoort::filter

#endif  // KETENPOORT_GATEWAY_FILTER_DERIVATIONS_H_
