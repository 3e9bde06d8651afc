#include "gateway/filter/derivations.h"

#include <google/protobuf/generated_message_reflection.h>

#include <array>

#include "records/v1/duo.pb.h"
#include "records/v1/noa.pb.h"

namespace ketenpoort::filter {
namespace {

using records::v1::noa::Assessment;

void CareSignal(const google::protobuf::Message& source, google::protobuf::Message* released,
                const DerivationParams& params) {
  const auto* from = google::protobuf::DynamicCastToGenerated<Assessment>(&source);
  auto* to = google::protobuf::DynamicCastToGenerated<Assessment>(released);
  if (from == nullptr || to == nullptr) return;
  if (!from->has_ptsd_score() && !from->has_emotional_stability_score()) return;
  const bool signal =
      (from->has_ptsd_score() && from->ptsd_score() >= Param(params, "ptsd_threshold")) ||
      (from->has_emotional_stability_score() &&
       from->emotional_stability_score() >= Param(params, "emotional_stability_threshold"));
  to->set_care_signal(signal);
}

void WorkCapabilityCategory(const google::protobuf::Message& source,
                            google::protobuf::Message* released, const DerivationParams&) {
  const auto* from = google::protobuf::DynamicCastToGenerated<Assessment>(&source);
  auto* to = google::protobuf::DynamicCastToGenerated<Assessment>(released);
  if (from == nullptr || to == nullptr) return;
  if (!from->occupational_health().has_capacity_hours_per_week()) return;
  const int hours = from->occupational_health().capacity_hours_per_week();
  to->set_work_capability_category(hours >= 32 ? 1 : hours >= 16 ? 2 : hours >= 1 ? 3 : 4);
}

void LoanUseBand(const google::protobuf::Message& source, google::protobuf::Message* released,
                 const DerivationParams&) {
  using records::v1::duo::InburgeringStatus;
  const auto* from = google::protobuf::DynamicCastToGenerated<InburgeringStatus>(&source);
  auto* to = google::protobuf::DynamicCastToGenerated<InburgeringStatus>(released);
  if (from == nullptr || to == nullptr) return;
  if (!from->has_loan_used_eur() || from->loan_granted_eur() <= 0) return;
  const int64_t used = from->loan_used_eur();
  const int64_t granted = from->loan_granted_eur();
  // Compared in whole euros times four, so no rounding decides a band.
  to->set_loan_use_band(used <= 0                 ? "geen"
                        : used * 4 <= granted     ? "tot 25%"
                        : used * 4 <= granted * 2 ? "25-50%"
                        : used * 4 <= granted * 3 ? "50-75%"
                                                  : "meer dan 75%");
}

const std::array<Derivation, 3>& All() {
  static const std::array<Derivation, 3> derivations{{
      {"care_signal",
       "noa.Assessment",
       "care_signal",
       {{"ptsd_threshold", 33}, {"emotional_stability_threshold", 60}},
       &CareSignal},
      {"work_capability_category",
       "noa.Assessment",
       "work_capability_category",
       {},
       &WorkCapabilityCategory},
      {"loan_use_band", "duo.InburgeringStatus", "loan_use_band", {}, &LoanUseBand},
  }};
  return derivations;
}

}  // namespace

const Derivation* FindDerivation(std::string_view name) {
  for (const Derivation& derivation : All()) {
    if (derivation.name == name) return &derivation;
  }
  return nullptr;
}

std::vector<std::string_view> DerivationNames() {
  std::vector<std::string_view> names;
  for (const Derivation& derivation : All()) names.push_back(derivation.name);
  return names;
}

int64_t Param(const DerivationParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return 0;
}

}  // namespace ketenpoort::filter
