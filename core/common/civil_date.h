#pragma once
// Dates of the proleptic Gregorian calendar as days since 1970-01-01 and back, for the places
// that read and print timestamps (ASL's RFC 3339 timestamps, JSONata's date/time functions).
// Header-only: core/jsonata uses it without linking the rest of core/common.
#include <cstdint>

namespace stepd {

struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

constexpr bool is_leap_year(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

constexpr int days_in_month(int64_t y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to y-m-d. Counts in 400-year eras of 146,097 days with years starting
// in March, so that the leap day falls last; exact for dates before 1970 too.
constexpr int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

constexpr CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

// Whole days since the epoch of a millisecond timestamp, rounding towards minus infinity so
// that the time of day (ms - days * 86,400,000) is never negative.
constexpr int64_t days_from_millis(int64_t ms) {
  return ms >= 0 ? ms / 86400000 : -((-(ms + 1)) / 86400000) - 1;
}

// 1 (Monday) .. 7 (Sunday), as ISO 8601 numbers the days of the week. 1970-01-01 was a Thursday.
constexpr int iso_weekday(int64_t days) {
  const int64_t r = ((days % 7) + 7 + 3) % 7;  // 0 = Monday
  return static_cast<int>(r) + 1;
}

}  // namespace stepd
