// How far away a person's inburgering deadline is, in whole calendar
// months, and the bands lists filter on and aggregates count by.
#ifndef KETENPOORT_GATEWAY_INBURGERING_DEADLINE_BAND_H_
#define KETENPOORT_GATEWAY_INBURGERING_DEADLINE_BAND_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ketenpoort::inburgering {

// Whole months from `today` to `deadline` (both days since the epoch),
// counted on the calendar: negative once the deadline has passed.
int32_t MonthsBetween(int64_t today, int64_t deadline);

enum class DeadlineBand : uint8_t {
  kPassed,         // the deadline lies behind
  kWithin6Months,  // 0-5 whole months left
  k6To12Months,    // 6-11
  k12To24Months,   // 12-23
  kOver24Months,   // 24 or more
  kNotApplicable,  // finished (afgerond, ontheffing) or no deadline known
};
inline constexpr size_t kDeadlineBandCount = 6;

// Labels as published, in band order.
inline constexpr std::array<std::string_view, kDeadlineBandCount> kDeadlineBandLabels = {
    "verlopen",          "binnen 6 maanden",   "6 tot 12 maanden",
    "12 tot 24 maanden", "24 maanden of meer", "niet van toepassing"};

// `finished`: the stage is afgerond or ontheffing.
DeadlineBand BandOf(bool finished, std::optional<int64_t> deadline, int64_t today);

// By label; nullopt for anything else.
std::optional<DeadlineBand> ParseDeadlineBand(std::string_view label);

}  // namespace ketenpoort::inburgering

#endif  // KETENPOORT_GATEWAY_INBURGERING_DEADLINE_BAND_H_
