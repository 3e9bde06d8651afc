// ISO 8601 calendar dates ("2026-03-14") as day numbers, without time
// zones: the domain's dates (move date, linked on, birth date) are days.
#ifndef KETENPOORT_GATEWAY_COMMON_CIVIL_DATE_H_
#define KETENPOORT_GATEWAY_COMMON_CIVIL_DATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ketenpoort {

// Days since 1970-01-01 (proleptic Gregorian).
int64_t DaysFromCivil(int year, int month, int day);
struct CivilDay {
  int year;
  int month;  // 1-12
  int day;    // 1-31
};
CivilDay CivilFromDays(int64_t days);
std::string FormatCivilDate(int64_t days);
// nullopt unless `text` is a valid YYYY-MM-DD date.
std::optional<int64_t> ParseCivilDate(std::string_view text);

// Dutch civil time (CET/CEST, the EU summer-time rule): seconds to add to
// UTC at that moment, 3600 or 7200.
int64_t AmsterdamUtcOffsetSeconds(int64_t unix_seconds);

}  // namespace ketenpoort

#endif  // KETENPOORT_GATEWAY_COMMON_CIVIL_DATE_H_
