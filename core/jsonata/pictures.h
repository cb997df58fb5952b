#pragma once
// Picture strings of XPath F&O 3.1 as JSONata 2.0 uses them: integers ($formatInteger,
// $parseInteger; F&O §4.6.1) and dates/times ($fromMillis, $toMillis, $now; F&O §9.8), and the
// ISO 8601 text those functions default to. Internal to core/jsonata. Errors are thrown as
// Error with the position of the calling function.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stepd::jsonata::pictures {

// An integer picture ("#,##0", "001", "a", "I", "w", "Ww", "1;o" ...), read once.
struct IntegerPicture {
  enum class Kind { kDecimal, kLetters, kRoman, kWords } kind = Kind::kDecimal;
  bool upper = false, title = false, ordinal = false;
  // kDecimal only:
  char32_t zero = U'0';  // the zero of the picture's digit family
  int min_digits = 0;    // mandatory digits
  int optional_digits = 0;
  // Grouping separators as (digits to their right, character). When they repeat at a regular
  // interval, `interval` is that interval and groups[0] gives the character.
  std::vector<std::pair<int, char32_t>> groups;
  int interval = 0;
};

IntegerPicture parse_integer_picture(std::string_view picture, size_t position);
// |value| < 10^18.
std::string format_integer(int64_t value, const IntegerPicture& p);
// nullopt when `text` is not a number written the way the picture writes them.
std::optional<int64_t> parse_integer(std::string_view text, const IntegerPicture& p);

// `millis` formatted in the zone `offset_minutes` east of UTC. Without a picture: ISO 8601 with
// milliseconds ("Z" in UTC, "+hh:mm" otherwise).
std::string format_date_time(int64_t millis, std::optional<std::string_view> picture,
                             int offset_minutes, size_t position);
// Reads a timestamp written with `picture`: nullopt when the text does not match it. Components
// the picture leaves out are taken from `now_ms` when they are more significant than the ones it
// gives, and are zero (or the first month/day) when less significant; a gap in between is D3136.
std::optional<int64_t> parse_date_time(std::string_view text, std::string_view picture,
                                       int64_t now_ms, size_t position);
// A zone offset "+hhmm", "-hhmm" or "hhmm" (a colon between is allowed) in minutes east of UTC.
std::optional<int> parse_timezone(std::string_view tz);

// ISO 8601 in UTC with milliseconds: 2018-03-23T10:33:36.617Z.
std::string iso_from_millis(int64_t millis);
// YYYY[-MM[-DD[THH:MM[:SS[.fff]]]]][Z|±HH[:]MM]; nullopt when the text is not of that form.
std::optional<int64_t> millis_from_iso(std::string_view text);

}  // namespace stepd::jsonata::pictures
