#include "core/jsonata/pictures.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <map>

#include "core/common/civil_date.h"
#include "core/common/utf8.h"
#include "core/jsonata/jsonata.h"
#include "core/jsonata/regex.h"

namespace stepd::jsonata::pictures {
namespace {

[[noreturn]] void fail(const char* code, size_t position, std::string message) {
  throw Error(code, position, std::move(message));
}

// ---- integers ----------------------------------------------------------------------------------

const char* const kFew[] = {"zero",    "one",     "two",       "three",    "four",
                            "five",    "six",     "seven",     "eight",    "nine",
                            "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                            "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
const char* const kFewOrdinal[] = {
    "zeroth",     "first",     "second",    "third",       "fourth",     "fifth",     "sixth",
    "seventh",    "eighth",    "ninth",     "tenth",       "eleventh",   "twelfth",   "thirteenth",
    "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"};
const char* const kTens[] = {"twenty", "thirty",  "forty",  "fifty",
                             "sixty",  "seventy", "eighty", "ninety"};
const char* const kScales[] = {"thousand", "million", "billion", "trillion"};

// The zeros of Unicode's decimal digit families (general category Nd) in the Basic Multilingual
// Plane; a digit pattern may use any one of them.
constexpr char32_t kDigitZeros[] = {0x30,   0x660,  0x6F0,  0x7C0,  0x966,  0x9E6,  0xA66,  0xAE6,
                                    0xB66,  0xBE6,  0xC66,  0xCE6,  0xD66,  0xDE6,  0xE50,  0xED0,
                                    0xF20,  0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
                                    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900,
                                    0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};

// The family zero of a digit, or 0 when `c` is not a digit. Circled digits (U+2460 ① …
// U+2468 ⑨) count as a family whose zero would sit at U+245F.
char32_t digit_zero(char32_t c) {
  for (char32_t z : kDigitZeros) {
    if (c >= z && c <= z + 9) return z;
  }
  if (c >= 0x2460 && c <= 0x2468) return 0x245F;
  return 0;
}

// English words as JSONata writes them: "two thousand, seven hundred and eighty-nine".
std::string integer_words(uint64_t n, bool ordinal, bool after) {
  std::string w;
  if (n < 20) {
    w = std::string(after ? " and " : "") + (ordinal ? kFewOrdinal[n] : kFew[n]);
  } else if (n < 100) {
    w = std::string(after ? " and " : "") + kTens[n / 10 - 2];
    if (n % 10 != 0) {
      w += "-" + integer_words(n % 10, ordinal, false);
    } else if (ordinal) {
      w = w.substr(0, w.size() - 1) + "ieth";
    }
  } else if (n < 1000) {
    w = std::string(after ? ", " : "") + kFew[n / 100] + " hundred";
    if (n % 100 != 0) {
      w += integer_words(n % 100, ordinal, true);
    } else if (ordinal) {
      w += "th";
    }
  } else {
    int scale = 0;
    uint64_t factor = 1000;
    while (scale + 1 < 4 && n / factor >= 1000) {
      factor *= 1000;
      ++scale;
    }
    uint64_t high = n / factor, rest = n % factor;
    w = std::string(after ? ", " : "") + integer_words(high, false, false) + " " + kScales[scale];
    if (rest != 0) {
      w += integer_words(rest, ordinal, true);
    } else if (ordinal) {
      w += "th";
    }
  }
  return w;
}

std::string roman(uint64_t n) {
  static const std::pair<uint64_t, const char*> kSymbols[] = {
      {1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"},
      {40, "XL"},  {10, "X"},   {9, "IX"},  {5, "V"},    {4, "IV"},  {1, "I"}};
  std::string out;
  for (const auto& [value, symbol] : kSymbols) {
    while (n >= value) {
      out += symbol;
      n -= value;
    }
  }
  return out;
}

std::string letters(uint64_t n, char base) {  // 1 -> a, 26 -> z, 27 -> aa
  std::string out;
  while (n > 0) {
    --n;
    out.insert(out.begin(), static_cast<char>(base + n % 26));
    n /= 26;
  }
  return out;
}

std::string ordinal_suffix(uint64_t n) {
  if (n % 100 >= 11 && n % 100 <= 13) return "th";
  switch (n % 10) {
    case 1:
      return "st";
    case 2:
      return "nd";
    case 3:
      return "rd";
    default:
      return "th";
  }
}

std::string upper(std::string w) {
  for (char& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return w;
}

std::string lower(std::string w) {
  for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return w;
}

// Each word's first letter in capitals ("Twenty-One", "March").
std::string title(std::string w) {
  bool start = true;
  for (char& c : w) {
    if (start && std::isalpha(static_cast<unsigned char>(c))) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    start = c == ' ' || c == '-';
  }
  return w;
}

uint64_t words_value(const std::string& text, bool& ok) {
  // Words, with "and", commas and hyphens as separators; a scale word multiplies what came
  // since the last larger scale.
  std::string flat;
  for (char c : text) {
    flat += (c == ',' || c == '-') ? ' '
                                   : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  uint64_t total = 0, current = 0;
  size_t at = 0;
  bool any = false;
  ok = false;
  while (at < flat.size()) {
    size_t end = flat.find(' ', at);
    if (end == std::string::npos) end = flat.size();
    std::string word = flat.substr(at, end - at);
    at = end + 1;
    if (word.empty() || word == "and") continue;
    any = true;
    bool found = false;
    for (uint64_t k = 0; k < 20 && !found; ++k) {
      if (word == kFew[k] || word == kFewOrdinal[k]) {
        current += k;
        found = true;
      }
    }
    for (uint64_t k = 0; k < 8 && !found; ++k) {
      std::string tens = kTens[k];
      if (word == tens || word == tens.substr(0, tens.size() - 1) + "ieth") {
        current += (k + 2) * 10;
        found = true;
      }
    }
    if (!found && (word == "hundred" || word == "hundredth")) {
      current *= 100;
      found = true;
    }
    uint64_t factor = 1000;
    for (int k = 0; k < 4 && !found; ++k, factor *= 1000) {
      std::string scale = kScales[k];
      if (word == scale || word == scale + "th") {
        total += current * factor;
        current = 0;
        found = true;
      }
    }
    if (!found) return 0;
  }
  ok = any;
  return total + current;
}

uint64_t roman_value(char c) {
  switch (std::toupper(static_cast<unsigned char>(c))) {
    case 'I':
      return 1;
    case 'V':
      return 5;
    case 'X':
      return 10;
    case 'L':
      return 50;
    case 'C':
      return 100;
    case 'D':
      return 500;
    case 'M':
      return 1000;
    default:
      return 0;
  }
}

}  // namespace

IntegerPicture parse_integer_picture(std::string_view picture, size_t position) {
  IntegerPicture p;
  std::string_view primary = picture, modifier;
  size_t semi = picture.rfind(';');
  if (semi != std::string_view::npos) {
    primary = picture.substr(0, semi);
    modifier = picture.substr(semi + 1);
  }
  p.ordinal = !modifier.empty() && modifier[0] == 'o';
  if (primary == "a" || primary == "A") {
    p.kind = IntegerPicture::Kind::kLetters;
    p.upper = primary == "A";
  } else if (primary == "i" || primary == "I") {
    p.kind = IntegerPicture::Kind::kRoman;
    p.upper = primary == "I";
  } else if (primary == "w" || primary == "W" || primary == "Ww") {
    p.kind = IntegerPicture::Kind::kWords;
    p.upper = primary == "W";
    p.title = primary == "Ww";
  } else {
    std::u32string pattern = to_utf32(primary);
    char32_t zero = 0;
    int right = 0;  // digits to the right of the current character
    for (size_t i = pattern.size(); i-- > 0;) {
      char32_t c = pattern[i];
      if (char32_t z = digit_zero(c); z != 0) {
        if (zero != 0 && z != zero) {
          fail("D3131", position,
               "In a decimal digit pattern, all digits must be from the same decimal group");
        }
        zero = z;
        ++p.min_digits;
        ++right;
      } else if (c == U'#') {
        ++p.optional_digits;
        ++right;
      } else {
        p.groups.push_back({right, c});
      }
    }
    if (p.min_digits == 0) {
      fail("D3130", position,
           "Formatting or parsing an integer as a sequence starting with " + std::string(primary) +
               " is not supported by this implementation");
    }
    p.zero = zero;
    if (!p.groups.empty() && p.groups[0].first > 0) {
      bool regular = true;
      for (size_t k = 0; regular && k < p.groups.size(); ++k) {
        regular = p.groups[k].first == p.groups[0].first * static_cast<int>(k + 1) &&
                  p.groups[k].second == p.groups[0].second;
      }
      if (regular) p.interval = p.groups[0].first;
    }
  }
  return p;
}

std::string format_integer(int64_t value, const IntegerPicture& p) {
  const bool negative = value < 0;
  const uint64_t n = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  std::string out;
  switch (p.kind) {
    case IntegerPicture::Kind::kLetters:
      out = letters(n, p.upper ? 'A' : 'a');
      break;
    case IntegerPicture::Kind::kRoman:
      out = roman(n);
      if (!p.upper) out = lower(out);
      break;
    case IntegerPicture::Kind::kWords:
      out = integer_words(n, p.ordinal, false);
      out = p.upper ? upper(out) : p.title ? title(out) : out;
      break;
    case IntegerPicture::Kind::kDecimal: {
      std::string digits = std::to_string(n);
      if (static_cast<int>(digits.size()) < p.min_digits) {
        digits.insert(0, static_cast<size_t>(p.min_digits) - digits.size(), '0');
      }
      std::u32string text;
      for (size_t i = 0; i < digits.size(); ++i) {
        text += static_cast<char32_t>(p.zero + static_cast<char32_t>(digits[i] - '0'));
        const size_t left = digits.size() - i - 1;
        if (left == 0) continue;
        if (p.interval > 0) {
          if (left % static_cast<size_t>(p.interval) == 0) text += p.groups[0].second;
        } else {
          for (const auto& [pos, sep] : p.groups) {
            if (static_cast<size_t>(pos) == left) text += sep;
          }
        }
      }
      out = to_utf8(text);
      if (p.ordinal) out += ordinal_suffix(n);
      break;
    }
  }
  return negative ? "-" + out : out;
}

std::optional<int64_t> parse_integer(std::string_view text, const IntegerPicture& p) {
  std::string t(text);
  const bool negative = !t.empty() && t[0] == '-';
  if (negative) t.erase(0, 1);
  uint64_t n = 0;
  switch (p.kind) {
    case IntegerPicture::Kind::kLetters:
      if (t.empty() || t.size() > 12) return std::nullopt;
      for (char c : t) {
        const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (l < 'a' || l > 'z') return std::nullopt;
        n = n * 26 + static_cast<uint64_t>(l - 'a' + 1);
      }
      break;
    case IntegerPicture::Kind::kRoman:
      if (t.empty() || t.size() > 64) return std::nullopt;
      for (size_t i = 0; i < t.size(); ++i) {
        const uint64_t v = roman_value(t[i]);
        if (v == 0) return std::nullopt;
        const uint64_t next = i + 1 < t.size() ? roman_value(t[i + 1]) : 0;
        if (next > v) {
          n += next - v;
          ++i;
        } else {
          n += v;
        }
      }
      break;
    case IntegerPicture::Kind::kWords: {
      bool ok = false;
      n = words_value(t, ok);
      if (!ok) return std::nullopt;
      break;
    }
    case IntegerPicture::Kind::kDecimal: {
      std::string digits;
      std::u32string u = to_utf32(t);
      for (size_t i = 0; i < u.size(); ++i) {
        const char32_t c = u[i];
        if (c >= p.zero && c <= p.zero + 9) {
          digits += static_cast<char>('0' + (c - p.zero));
        } else if (p.ordinal && i + 2 == u.size() && c < 0x80 &&
                   std::isalpha(static_cast<int>(c))) {
          break;  // 1st, 2nd ... (the suffix is the last two letters)
        } else if (std::none_of(p.groups.begin(), p.groups.end(),
                                [c](const auto& g) { return g.second == c; })) {
          return std::nullopt;  // only the picture's separators may appear
        }
      }
      if (digits.empty() || digits.size() > 18) return std::nullopt;
      n = std::stoull(digits);
      break;
    }
  }
  if (n > 999'999'999'999'999'999ULL) return std::nullopt;
  const auto v = static_cast<int64_t>(n);
  return negative ? -v : v;
}

// ---- dates and times ---------------------------------------------------------------------------

namespace {

const char* const kMonths[] = {"January",   "February", "March",    "April",
                               "May",       "June",     "July",     "August",
                               "September", "October",  "November", "December"};
const char* const kDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                             "Friday", "Saturday", "Sunday"};

enum class Names { kNone, kLower, kUpper, kTitle };

// One part of an analysed date/time picture: a literal, or a variable marker like [D1o].
struct Part {
  bool literal = false;
  std::string text;  // the literal
  char component = 0;
  std::string modifier;  // the first presentation modifier ("01", "Nn", "w" ...)
  char second = 0;       // the second presentation modifier (a, t, c or o), or 0
  Names names = Names::kNone;
  std::optional<IntegerPicture> integer;
  std::optional<int> min_width, max_width;
  int year_digits = -1;  // Y: keep this many low-order digits
};

constexpr std::string_view kDateTimeComponents = "YMDdFWwXxHhPmsfZzCE";
constexpr std::string_view kIntegerComponents = "YMDdFWwXxHhmsf";

const char* default_modifier(char component) {
  switch (component) {
    case 'F':
    case 'P':
    case 'C':
    case 'E':
      return "n";
    case 'm':
    case 's':
      return "01";
    case 'Z':
    case 'z':
      return "01:01";
    default:
      return "1";
  }
}

std::optional<int> width_value(std::string_view w) {
  if (w.empty() || w == "*") return std::nullopt;
  int v = 0;
  for (char c : w) {
    if (c < '0' || c > '9' || v > 1000) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

Part analyse_marker(std::string_view body, size_t position) {
  // Whitespace inside a marker is not significant.
  std::string marker;
  for (char c : body) {
    if (!std::isspace(static_cast<unsigned char>(c))) marker += c;
  }
  Part part;
  if (marker.empty() || kDateTimeComponents.find(marker[0]) == std::string_view::npos) {
    fail("D3132", position,
         "Unknown component specifier " + marker.substr(0, 1) + " in date/time picture string");
  }
  part.component = marker[0];
  std::string presentation = marker.substr(1);
  if (size_t comma = marker.rfind(','); comma != std::string::npos) {
    std::string width = marker.substr(comma + 1);
    presentation = marker.substr(1, comma - 1);
    size_t dash = width.find('-');
    part.min_width = width_value(std::string_view(width).substr(0, dash));
    if (dash != std::string::npos)
      part.max_width = width_value(std::string_view(width).substr(dash + 1));
  }
  if (presentation.size() > 1 &&
      std::string_view("atco").find(presentation.back()) != std::string_view::npos) {
    part.second = presentation.back();
    presentation.pop_back();
  }
  part.modifier = presentation.empty() ? default_modifier(part.component) : presentation;
  if (part.modifier[0] == 'n') {
    part.names = Names::kLower;
  } else if (part.modifier[0] == 'N') {
    part.names =
        part.modifier.size() > 1 && part.modifier[1] == 'n' ? Names::kTitle : Names::kUpper;
  }
  if (part.names != Names::kNone) {
    if (std::string_view("MxFPCE").find(part.component) == std::string_view::npos) {
      fail("D3133", position,
           std::string("The 'name' modifier can only be applied to months and days in the "
                       "date/time picture string, not ") +
               part.component);
    }
  } else if (kIntegerComponents.find(part.component) != std::string_view::npos) {
    std::string picture = part.modifier;
    if (part.second != 0) picture += std::string(";") + part.second;
    part.integer = parse_integer_picture(picture, position);
    if (part.min_width && part.integer->min_digits < *part.min_width) {
      part.integer->min_digits = *part.min_width;
    }
    if (part.component == 'Y') {
      if (part.max_width) {
        part.year_digits = *part.max_width;
        part.integer->min_digits = *part.max_width;
      } else if (int w = part.integer->min_digits + part.integer->optional_digits; w >= 2) {
        part.year_digits = w;
      }
    }
  } else if (part.component == 'Z' || part.component == 'z') {
    part.integer = parse_integer_picture(part.modifier, position);
    const int digits = part.integer->min_digits;
    if (part.integer->interval == 0 && (digits < 1 || digits > 4)) {
      fail("D3134", position,
           "The timezone integer format specifier cannot have more than four digits");
    }
  } else {
    // C and E take names only.
    fail("D3133", position, std::string("The component ") + part.component + " takes names only");
  }
  return part;
}

constexpr size_t kMaxParts = 200;  // markers and the literals between them

std::vector<Part> analyse(std::string_view picture, size_t position) {
  std::vector<Part> parts;
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    Part p;
    p.literal = true;
    p.text = std::move(literal);
    literal.clear();
    parts.push_back(std::move(p));
  };
  for (size_t i = 0; i < picture.size(); ++i) {
    const char c = picture[i];
    if (c == '[' && i + 1 < picture.size() && picture[i + 1] == '[') {
      literal += '[';
      ++i;
    } else if (c == ']' && i + 1 < picture.size() && picture[i + 1] == ']') {
      literal += ']';
      ++i;
    } else if (c == '[') {
      size_t close = picture.find(']', i);
      if (close == std::string_view::npos) {
        fail("D3135", position, "No matching closing bracket ']' in date/time picture string");
      }
      flush();
      // Real pictures have a dozen markers; parsing builds a regular expression of up to ~1 KB
      // per marker, so a hostile picture must not have thousands.
      if (parts.size() >= kMaxParts) {
        fail("U1003", position,
             "A date/time picture string may have at most " + std::to_string(kMaxParts / 2) +
                 " components");
      }
      parts.push_back(analyse_marker(picture.substr(i + 1, close - i - 1), position));
      i = close;
    } else {
      literal += c;
    }
  }
  flush();
  return parts;
}

// The first day of week 1 of a month (or, with month 1, of a year): ISO 8601's week 1 is the one
// that holds the first Thursday, and F&O counts the weeks of a month the same way.
int64_t first_week_start(int64_t year, int month) {
  const int64_t first = days_from_civil(year, month, 1);
  const int dow = iso_weekday(first);
  return dow > 4 ? first + (8 - dow) : first - (dow - 1);
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// The integer value of a component at local time `local_ms`.
int64_t component_value(char component, int64_t local_ms) {
  const int64_t days = days_from_millis(local_ms);
  const int64_t tod = local_ms - days * 86400000;
  const CivilDate date = civil_from_days(days);
  auto next_month = [](int64_t y, int m) {
    return m == 12 ? std::pair<int64_t, int>{y + 1, 1} : std::pair<int64_t, int>{y, m + 1};
  };
  auto previous_month = [](int64_t y, int m) {
    return m == 1 ? std::pair<int64_t, int>{y - 1, 12} : std::pair<int64_t, int>{y, m - 1};
  };
  switch (component) {
    case 'Y':
      return date.year;
    case 'M':
      return date.month;
    case 'D':
      return date.day;
    case 'd':
      return days - days_from_civil(date.year, 1, 1) + 1;
    case 'F':
      return iso_weekday(days);
    case 'W': {
      int64_t week = floor_div(days - first_week_start(date.year, 1), 7) + 1;
      if (week > 52 && days >= first_week_start(date.year + 1, 1)) {
        week = 1;
      } else if (week < 1) {
        week = floor_div(days - first_week_start(date.year - 1, 1), 7) + 1;
      }
      return week;
    }
    case 'w': {
      int64_t week = floor_div(days - first_week_start(date.year, date.month), 7) + 1;
      auto [ny, nm] = next_month(date.year, date.month);
      auto [py, pm] = previous_month(date.year, date.month);
      if (week > 4 && days >= first_week_start(ny, nm)) {
        week = 1;
      } else if (week < 1) {
        week = floor_div(days - first_week_start(py, pm), 7) + 1;
      }
      return week;
    }
    case 'X':
      if (days < first_week_start(date.year, 1)) return date.year - 1;
      if (days >= first_week_start(date.year + 1, 1)) return date.year + 1;
      return date.year;
    case 'x': {
      auto [ny, nm] = next_month(date.year, date.month);
      if (days < first_week_start(date.year, date.month))
        return previous_month(date.year, date.month).second;
      if (days >= first_week_start(ny, nm)) return nm;
      return date.month;
    }
    case 'H':
      return tod / 3600000;
    case 'h': {
      const int64_t h = tod / 3600000 % 12;
      return h == 0 ? 12 : h;
    }
    case 'P':
      return tod / 3600000 >= 12 ? 1 : 0;
    case 'm':
      return tod / 60000 % 60;
    case 's':
      return tod / 1000 % 60;
    case 'f':
      return tod % 1000;
    default:
      return 0;
  }
}

std::string apply_names(std::string name, const Part& part) {
  switch (part.names) {
    case Names::kUpper:
      name = upper(name);
      break;
    case Names::kLower:
      name = lower(name);
      break;
    default:
      break;
  }
  if (part.max_width && name.size() > static_cast<size_t>(*part.max_width)) {
    name.resize(static_cast<size_t>(*part.max_width));
  }
  return name;
}

// Fractional seconds are a fraction, not a count: [f001] gives milliseconds, [f01] hundredths,
// [f1] as many digits as needed (F&O §9.8.4.5).
std::string format_fraction(int64_t ms, const Part& part) {
  const IntegerPicture& p = *part.integer;
  if (p.kind != IntegerPicture::Kind::kDecimal) return format_integer(ms, p);
  const int mandatory = std::max(p.min_digits, 1);
  int most = p.optional_digits > 0 ? mandatory + p.optional_digits : mandatory == 1 ? 3 : mandatory;
  if (part.max_width) most = std::max(*part.max_width, mandatory);
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03d", static_cast<int>(ms));
  std::string digits = buf;
  if (static_cast<int>(digits.size()) > most) digits.resize(static_cast<size_t>(most));
  while (static_cast<int>(digits.size()) > mandatory && digits.back() == '0') digits.pop_back();
  while (static_cast<int>(digits.size()) < mandatory) digits += '0';
  std::u32string out;
  for (char d : digits) out += static_cast<char32_t>(p.zero + static_cast<char32_t>(d - '0'));
  return to_utf8(out);
}

std::string format_timezone(int offset_minutes, const Part& part) {
  if (offset_minutes == 0 && part.second == 't') return "Z";
  const IntegerPicture& p = *part.integer;
  const int magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  const int hours = magnitude / 60, minutes = magnitude % 60;
  std::string text;
  if (p.interval > 0 || p.min_digits > 2) {
    text = format_integer(hours * 100 + minutes, p);  // "05:30", "0530"
  } else {
    text = format_integer(hours, p);  // "5", "05", and the minutes only when there are some
    if (minutes != 0) {
      char buf[8];
      std::snprintf(buf, sizeof buf, ":%02d", minutes);
      text += buf;
    }
  }
  text = (offset_minutes < 0 ? "-" : "+") + text;
  return part.component == 'z' ? "GMT" + text : text;
}

std::string format_part(const Part& part, int64_t local_ms, int offset_minutes) {
  const char c = part.component;
  if (c == 'Z' || c == 'z') return format_timezone(offset_minutes, part);
  if (c == 'C' || c == 'E') return "ISO";
  int64_t value = component_value(c, local_ms);
  if (part.names != Names::kNone) {
    if (c == 'M' || c == 'x') return apply_names(kMonths[value - 1], part);
    if (c == 'F') return apply_names(kDays[value - 1], part);
    return apply_names(value == 1 ? "Pm" : "Am", part);  // am, AM or Am
  }
  if (c == 'f') return format_fraction(value, part);
  if (c == 'Y' && part.year_digits > 0) {
    int64_t mod = 1;
    for (int i = 0; i < part.year_digits && mod < 1'000'000'000'000'000'000LL / 10; ++i) mod *= 10;
    value %= mod;
  }
  return format_integer(value, *part.integer);
}

// A regular expression for what a part can look like in a timestamp.
std::string escape_regex(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::string_view(".*+?^${}()|[]\\/-").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string unicode_escape(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(c));
  return buf;
}

std::string integer_regex(const IntegerPicture& p, int exact_digits) {
  if (exact_digits > 18) exact_digits = 0;  // no year has that many digits: any number will do
  switch (p.kind) {
    case IntegerPicture::Kind::kLetters:
      return "[a-z]+";
    case IntegerPicture::Kind::kRoman:
      return "[mdclxvi]+";
    case IntegerPicture::Kind::kWords: {
      std::string alternatives;
      auto add = [&](const std::string& w) {
        alternatives += (alternatives.empty() ? "" : "|") + w;
      };
      for (const char* w : kFew) add(w);
      for (const char* w : kFewOrdinal) add(w);
      for (const char* w : kTens) {
        std::string tens = w;
        add(tens);
        add(tens.substr(0, tens.size() - 1) + "ieth");
      }
      add("hundredth");
      add("hundred");
      for (const char* w : kScales) {
        add(std::string(w) + "th");
        add(w);
      }
      return "(?:" + alternatives + "|and|[\\-, ])+";
    }
    case IntegerPicture::Kind::kDecimal: {
      std::string cls = "[" + unicode_escape(p.zero) + "-" + unicode_escape(p.zero + 9);
      if (exact_digits <= 0) {
        for (const auto& g : p.groups) cls += unicode_escape(g.second);
      }
      cls += "]";
      std::string re =
          exact_digits > 0 ? cls + "{" + std::to_string(exact_digits) + "}" : cls + "+";
      if (p.ordinal) re += "(?:th|st|nd|rd)";
      return re;
    }
  }
  return "";
}

std::string part_regex(const Part& part) {
  if (part.literal) return escape_regex(part.text);
  if (part.component == 'Z' || part.component == 'z') {
    std::string re = "[-+][0-9]+";
    if (part.integer->interval > 0)
      re += escape_regex(to_utf8(std::u32string(1, part.integer->groups[0].second))) + "[0-9]+";
    if (part.component == 'z') re = "GMT" + re;
    return part.second == 't' ? "(?:" + re + "|Z)" : re;
  }
  if (part.names != Names::kNone) {
    if (part.component == 'C' || part.component == 'E') {
      fail("D3133", 0, std::string("The component ") + part.component + " cannot be parsed");
    }
    return "[a-z]+";
  }
  return integer_regex(*part.integer, part.component == 'Y' ? part.year_digits : 0);
}

std::optional<int64_t> name_value(std::string_view text, const Part& part) {
  const std::string wanted = lower(std::string(text));
  auto matches = [&](std::string name) {
    name = lower(std::move(name));
    if (part.max_width && name.size() > static_cast<size_t>(*part.max_width))
      name.resize(static_cast<size_t>(*part.max_width));
    return name == wanted;
  };
  if (part.component == 'M' || part.component == 'x') {
    for (int i = 0; i < 12; ++i) {
      if (matches(kMonths[i])) return i + 1;
    }
  } else if (part.component == 'F') {
    for (int i = 0; i < 7; ++i) {
      if (matches(kDays[i])) return i + 1;
    }
  } else if (part.component == 'P') {
    if (wanted == "am") return 0;
    if (wanted == "pm") return 1;
  }
  return std::nullopt;
}

std::optional<int64_t> timezone_value(std::string_view text, const Part& part) {
  if (part.component == 'z') text.remove_prefix(3);  // GMT
  if (text == "Z" || text == "z") return 0;
  const int sign = text[0] == '-' ? -1 : 1;
  text.remove_prefix(1);
  std::string hours, minutes;
  size_t sep = text.find_first_not_of("0123456789");
  if (sep != std::string_view::npos) {
    hours = text.substr(0, sep);
    minutes = text.substr(sep + 1);
  } else if (text.size() <= 2) {
    hours = text;
  } else {
    hours = text.substr(0, text.size() - 2);
    minutes = text.substr(text.size() - 2);
  }
  if (hours.size() > 2 || minutes.size() > 2) return std::nullopt;
  return sign * (std::stoi(hours) * 60 + (minutes.empty() ? 0 : std::stoi(minutes)));
}

}  // namespace

std::string format_date_time(int64_t millis, std::optional<std::string_view> picture,
                             int offset_minutes, size_t position) {
  if (!picture && offset_minutes == 0) return iso_from_millis(millis);
  const std::vector<Part> parts =
      analyse(picture.value_or("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"), position);
  const int64_t local = millis + int64_t{offset_minutes} * 60000;
  std::string out;
  for (const Part& part : parts) {
    out += part.literal ? part.text : format_part(part, local, offset_minutes);
  }
  return out;
}

std::optional<int64_t> parse_date_time(std::string_view text, std::string_view picture,
                                       int64_t now_ms, size_t position) {
  const std::vector<Part> parts = analyse(picture, position);
  std::string pattern = "^";
  for (const Part& part : parts) pattern += "(" + part_regex(part) + ")";
  pattern += "$";
  const auto re = Regex::compile(pattern, "i");
  const auto match = re->search(text);
  if (!match) return std::nullopt;

  std::map<char, int64_t> got;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Part& part = parts[i];
    if (part.literal) continue;
    const auto& range = match->groups[i];
    if (!range) return std::nullopt;
    const std::string_view piece = text.substr(range->first, range->second - range->first);
    std::optional<int64_t> value;
    if (part.component == 'Z' || part.component == 'z') {
      value = timezone_value(piece, part);
    } else if (part.names != Names::kNone) {
      value = name_value(piece, part);
    } else if (part.component == 'f' && part.integer->kind == IntegerPicture::Kind::kDecimal) {
      // A fraction of a second: "5" is 500 ms, "05" 50 ms, "1234" 123 ms.
      std::string digits;
      for (char32_t ch : to_utf32(piece)) {
        if (ch >= part.integer->zero && ch <= part.integer->zero + 9) {
          digits += static_cast<char>('0' + (ch - part.integer->zero));
        }
      }
      value = std::stoll((digits + "000").substr(0, 3));
    } else {
      value = parse_integer(piece, *part.integer);
    }
    if (!value) return std::nullopt;
    if (part.component == 'Y' && part.year_digits == 2) {
      // A two-digit year is one of the current century.
      const int64_t this_year = component_value('Y', now_ms);
      *value += this_year - this_year % 100;
    }
    got[part.component] = *value;
  }
  if (got.empty()) return std::nullopt;

  // Which sets of components name a date and a time (F&O leaves parsing to implementations;
  // these are JSONata's): {Y, M, D} or {Y, d}; {H, m, s, f} or {P, h, m, s, f}. Week-based
  // dates ({X, x, w} and {X, W}) cannot be read, as in JSONata.
  auto mask_of = [&](std::string_view comps) {
    unsigned mask = 0;
    for (char c : comps) mask = (mask << 1) | (got.count(c) != 0 ? 1u : 0u);
    return mask;
  };
  auto is = [](unsigned mask, unsigned type) { return (mask & ~type) == 0 && (mask & type) != 0; };
  const unsigned date = mask_of("YXMxWwdD");  // bit 7 = Y … bit 0 = D
  const bool date_ymd = is(date, 0b10100001), date_yd = !date_ymd && is(date, 0b10000010);
  const unsigned time = mask_of("PHhmsf");  // bit 5 = P … bit 0 = f
  const bool time_24 = is(time, 0b010111), time_12 = !time_24 && is(time, 0b101111);
  const auto missing = [&] {
    fail("D3136", position,
         "The date/time picture string is missing specifiers required to parse the timestamp");
  };
  if ((date != 0 && !date_ymd && !date_yd) || (time != 0 && !time_24 && !time_12)) missing();

  // From the most significant component to the least: those before the first one given come
  // from now, those after the last one given are zero (the first month/day), none may be
  // missing in between.
  const std::string order = std::string(date_yd ? "Yd" : "YMD") + (time_12 ? "Phmsf" : "Hmsf");
  bool started = false, ended = false;
  for (char c : order) {
    if (got.count(c) != 0) {
      if (ended) missing();
      started = true;
    } else if (started) {
      got[c] = (c == 'M' || c == 'D' || c == 'd') ? 1 : 0;
      ended = true;
    } else {
      got[c] = component_value(c, now_ms);
    }
  }
  // Keep the arithmetic below far from overflow; no timestamp has such components.
  for (const auto& [c, v] : got) {
    const int64_t limit = c == 'Y' ? 300'000 : 1'000'000'000;
    if (v > limit || v < -limit) return std::nullopt;
  }
  int64_t year = got['Y'];
  int64_t days;
  if (date_yd) {
    days = days_from_civil(year, 1, 1) + got['d'] - 1;
  } else {
    // Out-of-range months and days roll over, as JavaScript's Date.UTC does.
    const int64_t month0 = got['M'] - 1;
    year += floor_div(month0, 12);
    const int month = static_cast<int>(month0 - floor_div(month0, 12) * 12) + 1;
    days = days_from_civil(year, month, 1) + got['D'] - 1;
  }
  int64_t hour = got['H'];
  if (time_12) hour = (got['h'] == 12 ? 0 : got['h']) + (got['P'] == 1 ? 12 : 0);
  const int64_t offset = got.count('Z') != 0 ? got['Z'] : got.count('z') != 0 ? got['z'] : 0;
  const int64_t ms =
      ((days * 24 + hour) * 60 + got['m'] - offset) * 60000 + got['s'] * 1000 + got['f'];
  if (ms > 8'640'000'000'000'000LL || ms < -8'640'000'000'000'000LL) return std::nullopt;
  return ms;
}

std::optional<int> parse_timezone(std::string_view tz) {
  int sign = 1;
  if (!tz.empty() && (tz[0] == '+' || tz[0] == '-')) {
    sign = tz[0] == '-' ? -1 : 1;
    tz.remove_prefix(1);
  }
  std::string digits;
  for (size_t i = 0; i < tz.size(); ++i) {
    if (tz[i] >= '0' && tz[i] <= '9') {
      digits += tz[i];
    } else if (!(tz[i] == ':' && i == 2)) {
      return std::nullopt;
    }
  }
  if (digits.size() != 4) return std::nullopt;
  const int hours = std::stoi(digits.substr(0, 2)), minutes = std::stoi(digits.substr(2));
  if (hours > 23 || minutes > 59) return std::nullopt;
  return sign * (hours * 60 + minutes);
}

std::string iso_from_millis(int64_t millis) {
  const int64_t days = days_from_millis(millis);
  const int64_t rem = millis - days * 86400000;
  const CivilDate d = civil_from_days(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(d.year), d.month, d.day,
                static_cast<long long>(rem / 3600000), static_cast<long long>(rem / 60000 % 60),
                static_cast<long long>(rem / 1000 % 60), static_cast<long long>(rem % 1000));
  return buf;
}

std::optional<int64_t> millis_from_iso(std::string_view t) {
  size_t i = 0;
  auto digits = [&](size_t n, int64_t& out) {
    if (i + n > t.size()) return false;
    out = 0;
    for (size_t k = 0; k < n; ++k) {
      const char c = t[i + k];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    i += n;
    return true;
  };
  auto lit = [&](char c) {
    if (i < t.size() && t[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  int64_t y = 0, mo = 1, d = 1, h = 0, mi = 0, sec = 0, ms = 0;
  if (!digits(4, y)) return std::nullopt;
  if (lit('-')) {
    if (!digits(2, mo)) return std::nullopt;
    if (lit('-') && !digits(2, d)) return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, static_cast<int>(mo))) return std::nullopt;
  int64_t offset_min = 0;
  if (lit('T')) {
    if (!digits(2, h) || !lit(':') || !digits(2, mi)) return std::nullopt;
    if (lit(':')) {
      if (!digits(2, sec)) return std::nullopt;
      if (lit('.')) {
        const size_t start = i;
        int64_t frac = 0, scale = 1;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
          if (i - start < 3) {
            frac = frac * 10 + (t[i] - '0');
            scale *= 10;
          }
          ++i;
        }
        if (i == start) return std::nullopt;
        ms = frac * 1000 / scale;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    if (lit('Z')) {
    } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
      const int sign = t[i] == '-' ? -1 : 1;
      ++i;
      int64_t oh = 0, om = 0;
      if (!digits(2, oh)) return std::nullopt;
      lit(':');
      if (!digits(2, om)) return std::nullopt;
      offset_min = sign * (oh * 60 + om);
    }
  }
  if (i != t.size()) return std::nullopt;
  return ((days_from_civil(y, static_cast<int>(mo), static_cast<int>(d)) * 24 + h) * 60 + mi -
          offset_min) *
             60000 +
         sec * 1000 + ms;
}

}  // namespace stepd::jsonata::pictures
