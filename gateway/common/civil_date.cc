#include "gateway/common/civil_date.h"

#include <cstdio>

namespace ketenpoort {

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDay CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return {static_cast<int>(year), static_cast<int>(month), static_cast<int>(day)};
}

std::string FormatCivilDate(int64_t days) {
  const CivilDay civil = CivilFromDays(days);
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", civil.year, civil.month, civil.day);
  return buffer;
}

std::optional<int64_t> ParseCivilDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&](size_t from, size_t count) -> int {
    int value = 0;
    for (size_t i = from; i < from + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  const int64_t days = DaysFromCivil(year, month, day);
  // Reject 2026-02-30 and the like: the round trip must be exact.
  if (FormatCivilDate(days) != text) return std::nullopt;
  return days;
}

namespace {

int64_t LastSundayOf(int year, int month) {
  const int64_t last_day =
      DaysFromCivil(month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1, 1) - 1;
  const int64_t weekday = (last_day + 4) % 7;  // 1970-01-01 was a Thursday (4); 0 is Sunday
  return last_day - weekday;
}

}  // namespace

int64_t AmsterdamUtcOffsetSeconds(int64_t unix_seconds) {
  const int year = CivilFromDays(unix_seconds / 86'400).year;
  // Summer time from 01:00 UTC on the last Sunday of March to 01:00 UTC on
  // the last Sunday of October.
  const int64_t summer_start = LastSundayOf(year, 3) * 86'400 + 3'600;
  const int64_t summer_end = LastSundayOf(year, 10) * 86'400 + 3'600;
  return unix_seconds >= summer_start && unix_seconds < summer_end ? 7'200 : 3'600;
}

}  // namespace ketenpoort
