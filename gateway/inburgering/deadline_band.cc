#include "gateway/inburgering/deadline_band.h"

#include "gateway/common/civil_date.h"

namespace ketenpoort::inburgering {

int32_t MonthsBetween(int64_t today, int64_t deadline) {
  const CivilDay from = CivilFromDays(today);
  const CivilDay to = CivilFromDays(deadline);
  int32_t months = (to.year - from.year) * 12 + (to.month - from.month);
  if (deadline >= today && to.day < from.day) --months;  // not yet a whole month
  if (deadline < today && to.day > from.day) ++months;
  return months;
}

DeadlineBand BandOf(bool finished, std::optional<int64_t> deadline, int64_t today) {
  if (finished || !deadline) return DeadlineBand::kNotApplicable;
  if (*deadline < today) return DeadlineBand::kPassed;
  const int32_t months = MonthsBetween(today, *deadline);
  if (months < 6) return DeadlineBand::kWithin6Months;
  if (months < 12) return DeadlineBand::k6To12Months;
  if (months < 24) return DeadlineBand::k12To24Months;
  return DeadlineBand::kOver24Months;
}

std::optional<DeadlineBand> ParseDeadlineBand(std::string_view label) {
  for (size_t i = 0; i < kDeadlineBandLabels.size(); ++i) {
    if (kDeadlineBandLabels[i] == label) return static_cast<DeadlineBand>(i);
  }
  return std::nullopt;
}

}  // namespace ketenpoort::inburgering
