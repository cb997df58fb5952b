// The standard function library (a first slice of JSONata 2.0's; see README.md for the list).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/common/utf8.h"
#include "core/jsonata/evaluator.h"
#include "core/jsonata/pictures.h"

namespace stepd::jsonata {
namespace {

using Args = std::vector<Value>;

[[noreturn]] void bad_arg(const CallSite& s, size_t index) {
  if (index == 0 && s.context_arg) {
    Evaluator::fail(
        "T0411", s.position,
        "Context value is not a compatible type with argument 1 of function $" + s.name);
  }
  Evaluator::fail("T0410", s.position,
                  "Argument " + std::to_string(index + 1) + " of function $" + s.name +
                      " does not match function signature");
}

// Argument accessors. An undefined argument is let through as nullptr/nullopt: most functions
// return undefined for it.
const std::string* str_arg(const Args& a, size_t i, const CallSite& s) {
  if (i >= a.size() || a[i].undefined()) return nullptr;
  if (!a[i].is_string()) bad_arg(s, i);
  return &a[i].json.get_ref<const std::string&>();
}

std::optional<double> num_arg(const Args& a, size_t i, const CallSite& s) {
  if (i >= a.size() || a[i].undefined()) return std::nullopt;
  if (!a[i].is_number()) bad_arg(s, i);
  return a[i].json.get<double>();
}

const Value& fn_arg(const Args& a, size_t i, const CallSite& s) {
  if (i >= a.size() || !a[i].is_function()) bad_arg(s, i);
  return a[i];
}

std::vector<Value> numbers_arg(const Args& a, size_t i, const CallSite& s) {
  std::vector<Value> items = to_items(a[i]);
  for (const auto& v : items) {
    if (!v.is_number()) bad_arg(s, i);
  }
  return items;
}

Value str(std::string s) {
  return Value(Json(std::move(s)));
}
Value num(double d) {
  return Value(make_number(d));
}
Value boolean(bool b) {
  return Value(Json(b));
}

// Strings are indexed by code point, as JSONata does.
std::vector<size_t> code_point_offsets(const std::string& s) {
  std::vector<size_t> offs;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offs.push_back(i);
  }
  return offs;
}

// Calls a function with as many of (value, index, array) as it takes.
Value call_with(const CallSite& s, const Value& fn, const Value& value, size_t index,
                const Value& whole) {
  std::vector<Value> args{value};
  size_t arity = fn.fn->arity();
  if (arity >= 2) args.push_back(num(static_cast<double>(index)));
  if (arity >= 3) args.push_back(whole);
  return s.ev.apply(fn, std::move(args), s.context, s.position);
}

Value array_of(std::vector<Value> items) {
  Json arr = Json::array();
  for (auto& v : items) arr.push_back(to_json(v));
  return Value(std::move(arr));
}

// --- strings ------------------------------------------------------------------------------------

Value f_string(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  bool pretty = a.size() > 1 && truthy(a[1]);
  if (a[0].is_string()) return a[0];
  if (a[0].is_number() && !std::isfinite(a[0].json.get<double>())) {
    Evaluator::fail("D3001", s.position, "Attempting to invoke string function on Infinity or NaN");
  }
  std::string out = stringify(a[0], pretty);
  s.ev.check_size(out.size(), s.position);
  return str(std::move(out));
}

Value f_length(Args& a, const CallSite& s) {
  const std::string* t = str_arg(a, 0, s);
  if (t == nullptr) return Value();
  return num(static_cast<double>(code_point_offsets(*t).size()));
}

Value f_substring(Args& a, const CallSite& s) {
  const std::string* t = str_arg(a, 0, s);
  auto start = num_arg(a, 1, s);
  auto length = num_arg(a, 2, s);
  if (t == nullptr || !start) return Value();
  std::vector<size_t> offs = code_point_offsets(*t);
  auto n = static_cast<int64_t>(offs.size());
  int64_t b = to_int(*start);
  if (b < 0) b = std::max<int64_t>(0, n + b);
  b = std::min(b, n);
  int64_t e = n;
  if (length) e = *length <= 0 ? b : std::min(n, b + std::min<int64_t>(n, to_int(*length)));
  size_t from = b < n ? offs[static_cast<size_t>(b)] : t->size();
  size_t to = e < n ? offs[static_cast<size_t>(e)] : t->size();
  return str(t->substr(from, to - from));
}

Value f_case(Args& a, const CallSite& s, bool upper) {
  const std::string* t = str_arg(a, 0, s);
  if (t == nullptr) return Value();
  std::string out = *t;
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return str(std::move(out));
}
Value f_uppercase(Args& a, const CallSite& s) {
  return f_case(a, s, true);
}
Value f_lowercase(Args& a, const CallSite& s) {
  return f_case(a, s, false);
}

Value f_join(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  const std::string* sep = str_arg(a, 1, s);
  std::string out;
  bool first = true;
  for (const auto& v : to_items(a[0])) {
    if (!v.is_string()) bad_arg(s, 0);
    const size_t before = out.size();
    if (!first && sep != nullptr) out += *sep;
    first = false;
    out += v.json.get_ref<const std::string&>();
    s.ev.check_growth(out.size(), out.size() - before, s.position);
  }
  return str(std::move(out));
}

// Argument i as a regular expression, or null when it is not a function; another function
// there is a wrong argument.
const Regex* regex_arg(Args& a, size_t i, const CallSite& s) {
  if (a.size() <= i || !a[i].is_function()) return nullptr;
  if (a[i].fn->regex == nullptr) bad_arg(s, i);
  return a[i].fn->regex.get();
}

// The next match at or after byte `from`; one of zero length would never advance, which JSONata
// refuses (D1004).
std::optional<Regex::Match> next_match(const Regex& re, const std::string& t, size_t from,
                                       const CallSite& s) {
  if (from > t.size()) return std::nullopt;
  std::optional<Regex::Match> m = re.search(t, from);
  if (m && m->end == m->begin) {
    Evaluator::fail("D1004", s.position, "Regular expression matches zero length string");
  }
  return m;
}

// $match(str, regex[, limit]): the match objects, in order.
Value f_match(Args& a, const CallSite& s) {
  const std::string* t = str_arg(a, 0, s);
  const Regex* re = regex_arg(a, 1, s);
  if (re == nullptr) bad_arg(s, 1);
  auto limit = num_arg(a, 2, s);
  if (t == nullptr) return Value();
  if (limit && *limit < 0) {
    Evaluator::fail("D3040", s.position,
                    "Third argument of match function must evaluate to a positive number");
  }
  const int64_t max = limit ? to_int(*limit) : INT64_MAX;
  std::vector<Value> out;
  size_t from = 0;
  for (int64_t done = 0; done < max; ++done) {
    std::optional<Regex::Match> m = next_match(*re, *t, from, s);
    if (!m) break;
    out.push_back(Value(match_object(*t, *m)));
    from = m->end;
    s.ev.check_growth(out.size(), m->end - m->begin + 1, s.position);
  }
  return Value::sequence(std::move(out));
}

Value f_split(Args& a, const CallSite& s) {
  const std::string* t = str_arg(a, 0, s);
  const Regex* re = regex_arg(a, 1, s);
  const std::string* sep = re ? nullptr : str_arg(a, 1, s);
  auto limit = num_arg(a, 2, s);
  if (t == nullptr) return Value();
  if (sep == nullptr && re == nullptr) bad_arg(s, 1);
  if (limit && *limit < 0) {
    Evaluator::fail("D3020", s.position,
                    "Third argument of split function must evaluate to a positive number");
  }
  Json out = Json::array();
  size_t max = limit ? static_cast<size_t>(to_int(*limit)) : SIZE_MAX;
  if (re != nullptr) {
    size_t from = 0;
    while (out.size() < max) {
      std::optional<Regex::Match> m = next_match(*re, *t, from, s);
      if (!m) {
        out.push_back(t->substr(from));
        break;
      }
      out.push_back(t->substr(from, m->begin - from));
      from = m->end;
    }
  } else if (sep->empty()) {
    std::vector<size_t> offs = code_point_offsets(*t);
    for (size_t i = 0; i < offs.size() && out.size() < max; ++i) {
      size_t end = i + 1 < offs.size() ? offs[i + 1] : t->size();
      out.push_back(t->substr(offs[i], end - offs[i]));
    }
  } else {
    size_t from = 0;
    while (out.size() < max) {
      size_t at = t->find(*sep, from);
      if (at == std::string::npos) {
        out.push_back(t->substr(from));
        break;
      }
      out.push_back(t->substr(from, at - from));
      from = at + sep->size();
    }
  }
  s.ev.check_size(out.size(), s.position);
  return Value(std::move(out));
}

Value f_contains(Args& a, const CallSite& s) {
  const std::string* t = str_arg(a, 0, s);
  if (const Regex* re = regex_arg(a, 1, s)) {
    if (t == nullptr) return Value();
    return boolean(re->search(*t).has_value());
  }
  const std::string* part = str_arg(a, 1, s);
  if (t == nullptr) return Value();
  if (part == nullptr) bad_arg(s, 1);
  return boolean(t->find(*part) != std::string::npos);
}

// --- numbers ------------------------------------------------------------------------------------

// JSON number syntax, plus the 0x / 0o / 0b integer forms JSONata 2.0 accepts.
std::optional<double> parse_number(const std::string& t) {
  if (t.size() > 2 && t[0] == '0' &&
      (t[1] == 'x' || t[1] == 'X' || t[1] == 'o' || t[1] == 'O' || t[1] == 'b' || t[1] == 'B')) {
    int base = (t[1] == 'x' || t[1] == 'X') ? 16 : (t[1] == 'o' || t[1] == 'O') ? 8 : 2;
    uint64_t v = 0;
    auto r = std::from_chars(t.data() + 2, t.data() + t.size(), v, base);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
    return static_cast<double>(v);
  }
  try {
    Json j = Json::parse(t);
    if (j.is_number()) return j.get<double>();
  } catch (const Json::exception&) {
  }
  return std::nullopt;
}

Value f_number(Args& a, const CallSite& s) {
  const Value& v = a[0];
  if (v.undefined()) return Value();
  if (v.is_number()) return v;
  if (v.is_json() && v.json.is_boolean()) return num(v.json.get<bool>() ? 1 : 0);
  if (v.is_string()) {
    auto d = parse_number(v.json.get<std::string>());
    if (d && std::isfinite(*d)) return num(*d);
  }
  Evaluator::fail("D3030", s.position, "Unable to cast value to a number: " + stringify(v, false));
}

Value f_abs(Args& a, const CallSite& s) {
  auto d = num_arg(a, 0, s);
  return d ? num(std::fabs(*d)) : Value();
}
Value f_floor(Args& a, const CallSite& s) {
  auto d = num_arg(a, 0, s);
  return d ? num(std::floor(*d)) : Value();
}
Value f_ceil(Args& a, const CallSite& s) {
  auto d = num_arg(a, 0, s);
  return d ? num(std::ceil(*d)) : Value();
}

// Moves the decimal point by `places` through the shortest decimal text, so that 2.675 shifted
// by 2 is exactly 267.5 rather than 267.49999999999997.
double shift_decimal(double d, int places) {
  char buf[64];
  auto r = std::to_chars(buf, buf + 40, d);
  std::string text(buf, r.ptr);
  int exp = 0;
  auto e = text.find('e');
  if (e != std::string::npos) {
    exp = std::stoi(text.substr(e + 1));
    text = text.substr(0, e);
  }
  text += "e" + std::to_string(exp + places);
  return std::strtod(text.c_str(), nullptr);
}

Value f_round(Args& a, const CallSite& s) {
  auto d = num_arg(a, 0, s);
  auto p = num_arg(a, 1, s);
  if (!d) return Value();
  int places = p ? static_cast<int>(std::clamp<int64_t>(to_int(*p), -400, 400)) : 0;
  double v = shift_decimal(*d, places);
  double r = std::round(v);
  if (std::fabs(v - std::trunc(v)) == 0.5) r = 2 * std::round(v / 2);  // half to even
  if (r == 0) r = 0;                                                   // no negative zero
  double out = shift_decimal(r, -places);
  return num(std::isfinite(out) ? out : *d);
}

// ---- $formatNumber: XPath F&O 3.1 format-number pictures ---------------------------------------

struct DecimalFormat {
  char32_t decimal = U'.', grouping = U',', exponent = U'e', zero = U'0', digit = U'#',
           pattern = U';';
  // Passive markers, written in the prefix or suffix; JSONata lets them be longer than one
  // character ({'per-mille': 'pm'}).
  std::u32string percent = U"%", per_mille = U"\u2030";
  std::u32string minus = U"-", infinity = U"Infinity", nan = U"NaN";
};

// One sub-picture (the positive or the negative one), split into its parts.
struct SubPicture {
  std::u32string prefix, integer, fraction, exponent, suffix;
  bool has_decimal = false, has_exponent = false, percent = false, per_mille = false;
};

[[noreturn]] void picture_error(const CallSite& s, const char* code, const std::string& what) {
  Evaluator::fail(code, s.position, "The picture string of $formatNumber " + what);
}

SubPicture split_sub_picture(const std::u32string& p, const DecimalFormat& f, const CallSite& s) {
  auto is_digit = [&](char32_t c) { return c >= f.zero && c <= f.zero + 9; };
  auto active = [&](char32_t c) {
    return is_digit(c) || c == f.digit || c == f.decimal || c == f.grouping;
  };
  size_t first = 0;
  while (first < p.size() && !active(p[first])) ++first;
  size_t last = p.size();
  while (last > first && !active(p[last - 1])) --last;
  SubPicture sp;
  sp.prefix = p.substr(0, first);
  std::u32string body = p.substr(first, last - first);
  sp.suffix = p.substr(last);
  // An exponent separator inside the body, followed by digits only, starts the exponent.
  size_t exp = std::u32string::npos;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == f.exponent && i + 1 < body.size()) {
      bool digits = true;
      for (size_t k = i + 1; k < body.size(); ++k) digits = digits && is_digit(body[k]);
      if (digits) {
        exp = i;
        break;
      }
    }
  }
  if (exp == std::u32string::npos && !sp.suffix.empty() && sp.suffix[0] == f.exponent) {
    size_t k = 1;
    while (k < sp.suffix.size() && is_digit(sp.suffix[k])) ++k;
    if (k > 1) {
      body += sp.suffix.substr(0, k);
      exp = body.size() - k;
      sp.suffix = sp.suffix.substr(k);
    }
  }
  std::u32string mantissa = body;
  if (exp != std::u32string::npos) {
    sp.has_exponent = true;
    sp.exponent = body.substr(exp + 1);
    mantissa = body.substr(0, exp);
  }
  size_t dot = mantissa.find(f.decimal);
  if (dot != std::u32string::npos) {
    if (mantissa.find(f.decimal, dot + 1) != std::u32string::npos) {
      picture_error(s, "D3081", "has more than one decimal separator");
    }
    sp.has_decimal = true;
    sp.integer = mantissa.substr(0, dot);
    sp.fraction = mantissa.substr(dot + 1);
  } else {
    sp.integer = mantissa;
  }
  auto occurrences = [&](const std::u32string& marker) {
    size_t n = 0;
    for (const std::u32string* part : {&sp.prefix, &sp.suffix}) {
      for (size_t at = part->find(marker); !marker.empty() && at != std::u32string::npos;
           at = part->find(marker, at + marker.size())) {
        ++n;
      }
    }
    return n;
  };
  size_t percents = occurrences(f.percent), per_milles = occurrences(f.per_mille);
  if (percents > 1) picture_error(s, "D3082", "has more than one percent sign");
  if (per_milles > 1) picture_error(s, "D3083", "has more than one per-mille sign");
  sp.percent = percents == 1;
  sp.per_mille = per_milles == 1;
  if (sp.percent && sp.per_mille) {
    picture_error(s, "D3084", "has both a percent and a per-mille sign");
  }
  bool any_digit = false;
  for (char32_t c : mantissa) any_digit = any_digit || is_digit(c) || c == f.digit;
  if (!any_digit) picture_error(s, "D3085", "has no digit or optional digit in its mantissa");
  for (char32_t c : mantissa) {
    if (!active(c)) picture_error(s, "D3086", "has a passive character between active ones");
  }
  if (!sp.integer.empty() && sp.integer.back() == f.grouping) {
    picture_error(s, "D3088", "has a grouping separator at the end of the integer part");
  }
  if (mantissa.find(std::u32string{f.grouping, f.grouping}) != std::u32string::npos ||
      (sp.has_decimal && ((!sp.integer.empty() && sp.integer.back() == f.grouping) ||
                          (!sp.fraction.empty() && sp.fraction.front() == f.grouping)))) {
    picture_error(s, "D3087", "has a grouping separator next to another or the decimal one");
  }
  bool seen_digit = false;
  for (char32_t c : sp.integer) {
    if (is_digit(c)) seen_digit = true;
    if (c == f.digit && seen_digit) {
      picture_error(s, "D3090", "has an optional digit after a digit in the integer part");
    }
  }
  bool seen_optional = false;
  for (char32_t c : sp.fraction) {
    if (c == f.digit) seen_optional = true;
    if (is_digit(c) && seen_optional) {
      picture_error(s, "D3091", "has a digit after an optional digit in the fraction part");
    }
  }
  if (sp.has_exponent && (sp.percent || sp.per_mille)) {
    picture_error(s, "D3092", "has an exponent and a percent or per-mille sign");
  }
  return sp;
}

std::string format_with_picture(double value, const SubPicture& sp, const SubPicture* negative,
                                const DecimalFormat& f) {
  auto is_digit = [&](char32_t c) { return c >= f.zero && c <= f.zero + 9; };
  int min_int = 0, max_frac = 0, min_frac = 0, min_exp = 0;
  std::vector<int> groups;  // grouping positions, counted in digits from the decimal point
  int digits_right = 0;
  for (size_t i = sp.integer.size(); i-- > 0;) {
    char32_t c = sp.integer[i];
    if (c == f.grouping) {
      groups.push_back(digits_right);
    } else {
      ++digits_right;
      if (is_digit(c)) ++min_int;
    }
  }
  for (char32_t c : sp.fraction) {
    if (is_digit(c)) ++min_frac;
    if (is_digit(c) || c == f.digit) ++max_frac;
  }
  for (char32_t c : sp.exponent) {
    if (is_digit(c)) ++min_exp;
  }
  if (min_int == 0 && max_frac == 0) {
    if (sp.has_exponent) {
      min_frac = max_frac = 1;
    } else {
      min_int = 1;
    }
  }
  // Regular grouping: every position a multiple of the first, with none missing.
  int interval = 0;
  if (!groups.empty()) {
    std::sort(groups.begin(), groups.end());
    bool regular = groups[0] > 0;
    for (size_t k = 0; regular && k < groups.size(); ++k) {
      regular = groups[k] == groups[0] * static_cast<int>(k + 1);
    }
    if (regular) interval = groups[0];
  }

  double v = std::fabs(value);
  if (sp.percent) v = shift_decimal(v, 2);
  if (sp.per_mille) v = shift_decimal(v, 3);
  int exponent = 0;
  auto round_to = [&](double x) {
    double shifted = shift_decimal(x, max_frac);
    double r = std::round(shifted);
    if (std::fabs(shifted - std::trunc(shifted)) == 0.5) r = 2 * std::round(shifted / 2);
    return shift_decimal(r, -max_frac);
  };
  if (sp.has_exponent && v != 0) {
    exponent = static_cast<int>(std::floor(std::log10(v))) + 1 - min_int;
    double m = round_to(shift_decimal(v, -exponent));
    if (m >= std::pow(10.0, std::max(min_int, 1)) && min_int > 0) {
      ++exponent;
      m = round_to(shift_decimal(v, -exponent));
    }
    v = m;
  } else {
    v = round_to(v);
  }
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*f", max_frac, v);
  std::string text = buf;
  size_t dot = text.find('.');
  std::string int_part = dot == std::string::npos ? text : text.substr(0, dot);
  std::string frac_part = dot == std::string::npos ? "" : text.substr(dot + 1);
  while (static_cast<int>(frac_part.size()) > min_frac && !frac_part.empty() &&
         frac_part.back() == '0') {
    frac_part.pop_back();
  }
  if (int_part == "0" && min_int == 0) int_part.clear();
  while (static_cast<int>(int_part.size()) < min_int) int_part.insert(int_part.begin(), '0');

  std::u32string out_int;
  for (size_t i = 0; i < int_part.size(); ++i) {
    size_t from_right = int_part.size() - i;
    out_int += static_cast<char32_t>(f.zero + (int_part[i] - '0'));
    size_t left = from_right - 1;
    bool group = left > 0 && (interval > 0 ? left % static_cast<size_t>(interval) == 0
                                           : std::find(groups.begin(), groups.end(),
                                                       static_cast<int>(left)) != groups.end());
    if (group) out_int += f.grouping;
  }
  std::u32string number = out_int;
  if (!frac_part.empty()) {
    number += f.decimal;
    for (char ch : frac_part) number += static_cast<char32_t>(f.zero + (ch - '0'));
  }
  if (sp.has_exponent) {
    number += f.exponent;
    if (exponent < 0) number += f.minus;
    std::string e = std::to_string(std::abs(exponent));
    while (static_cast<int>(e.size()) < min_exp) e.insert(e.begin(), '0');
    for (char ch : e) number += static_cast<char32_t>(f.zero + (ch - '0'));
  }
  if (value < 0 && (number.find_first_not_of(std::u32string{f.zero, f.decimal, f.grouping}) !=
                    std::u32string::npos)) {
    if (negative) return to_utf8(negative->prefix + number + negative->suffix);
    return to_utf8(f.minus + sp.prefix + number + sp.suffix);
  }
  return to_utf8(sp.prefix + number + sp.suffix);
}

Value f_format_number(Args& a, const CallSite& s) {
  auto d = num_arg(a, 0, s);
  const std::string* picture = str_arg(a, 1, s);
  if (!d) return Value();
  if (picture == nullptr) bad_arg(s, 1);
  DecimalFormat f;
  if (a.size() > 2 && !a[2].undefined()) {
    if (!a[2].is_json() || !a[2].json.is_object()) bad_arg(s, 2);
    for (const auto& [key, val] : a[2].json.items()) {
      if (!val.is_string()) bad_arg(s, 2);
      std::u32string v = to_utf32(val.get<std::string>());
      auto one = [&](char32_t& into) {
        if (v.size() != 1) bad_arg(s, 2);
        into = v[0];
      };
      if (key == "decimal-separator")
        one(f.decimal);
      else if (key == "grouping-separator")
        one(f.grouping);
      else if (key == "exponent-separator")
        one(f.exponent);
      else if (key == "percent")
        f.percent = v;
      else if (key == "per-mille")
        f.per_mille = v;
      else if (key == "zero-digit")
        one(f.zero);
      else if (key == "digit")
        one(f.digit);
      else if (key == "pattern-separator")
        one(f.pattern);
      else if (key == "minus-sign")
        f.minus = v;
      else if (key == "infinity")
        f.infinity = v;
      else if (key == "NaN")
        f.nan = v;
    }
  }
  std::u32string p = to_utf32(*picture);
  size_t sep = p.find(f.pattern);
  if (sep != std::u32string::npos && p.find(f.pattern, sep + 1) != std::u32string::npos) {
    picture_error(s, "D3080", "has more than two sub-pictures");
  }
  SubPicture positive = split_sub_picture(p.substr(0, sep), f, s);
  std::optional<SubPicture> negative;
  if (sep != std::u32string::npos) negative = split_sub_picture(p.substr(sep + 1), f, s);
  if (!std::isfinite(*d)) return str(to_utf8(std::isnan(*d) ? f.nan : f.infinity));
  std::string out = format_with_picture(*d, positive, negative ? &*negative : nullptr, f);
  s.ev.check_size(out.size(), s.position);
  return str(std::move(out));
}

// ---- $formatInteger / $parseInteger: XPath F&O 3.1 format-integer pictures --------------------

Value f_format_integer(Args& a, const CallSite& s) {
  auto d = num_arg(a, 0, s);
  const std::string* picture = str_arg(a, 1, s);
  if (!d) return Value();
  if (picture == nullptr) bad_arg(s, 1);
  const pictures::IntegerPicture p = pictures::parse_integer_picture(*picture, s.position);
  const double v = std::trunc(*d);
  if (std::fabs(v) >= 1e18) {
    Evaluator::fail("D3001", s.position, "The number is too large to format as an integer");
  }
  std::string out = pictures::format_integer(static_cast<int64_t>(v), p);
  s.ev.check_size(out.size(), s.position);
  return str(std::move(out));
}

Value f_parse_integer(Args& a, const CallSite& s) {
  const std::string* text = str_arg(a, 0, s);
  const std::string* picture = str_arg(a, 1, s);
  if (text == nullptr) return Value();
  if (picture == nullptr) bad_arg(s, 1);
  const pictures::IntegerPicture p = pictures::parse_integer_picture(*picture, s.position);
  const auto n = pictures::parse_integer(*text, p);
  if (!n) {
    Evaluator::fail("D3137", s.position,
                    "Cannot parse '" + *text + "' with the picture '" + *picture + "'");
  }
  return num(static_cast<double>(*n));
}

Value f_sum(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  double t = 0;
  for (const auto& v : numbers_arg(a, 0, s)) t += v.json.get<double>();
  return num(t);
}

Value f_count(Args& a, const CallSite&) {
  return num(static_cast<double>(to_items(a[0]).size()));
}

Value f_extreme(Args& a, const CallSite& s, bool want_max) {
  if (a[0].undefined()) return Value();
  std::vector<Value> items = numbers_arg(a, 0, s);
  if (items.empty()) return Value();
  double best = items[0].json.get<double>();
  for (const auto& v : items) {
    double d = v.json.get<double>();
    best = want_max ? std::max(best, d) : std::min(best, d);
  }
  return num(best);
}
Value f_max(Args& a, const CallSite& s) {
  return f_extreme(a, s, true);
}
Value f_min(Args& a, const CallSite& s) {
  return f_extreme(a, s, false);
}

Value f_average(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  std::vector<Value> items = numbers_arg(a, 0, s);
  if (items.empty()) return Value();
  double t = 0;
  for (const auto& v : items) t += v.json.get<double>();
  return num(t / static_cast<double>(items.size()));
}

// --- booleans and types ---------------------------------------------------------------------

Value f_boolean(Args& a, const CallSite&) {
  if (a[0].undefined()) return Value();
  return boolean(truthy(a[0]));
}
Value f_not(Args& a, const CallSite&) {
  if (a[0].undefined()) return Value();
  return boolean(!truthy(a[0]));
}
Value f_exists(Args& a, const CallSite&) {
  return boolean(!a[0].undefined());
}
Value f_type(Args& a, const CallSite&) {
  if (a[0].undefined()) return Value();
  return str(type_name(a[0]));
}

// --- objects -----------------------------------------------------------------------------------

Value f_keys(Args& a, const CallSite&) {
  std::vector<Value> keys;
  std::unordered_set<std::string> seen;
  for (const auto& item : to_items(a[0])) {
    if (!item.is_json() || !item.json.is_object()) continue;
    for (auto it = item.json.begin(); it != item.json.end(); ++it) {
      if (seen.insert(it.key()).second) keys.push_back(str(it.key()));
    }
  }
  return Value::sequence(std::move(keys));
}

Value f_lookup(Args& a, const CallSite& s) {
  const std::string* key = str_arg(a, 1, s);
  if (key == nullptr) bad_arg(s, 1);
  std::vector<Value> out;
  for (const auto& item : to_items(a[0])) {
    if (!item.is_json() || !item.json.is_object()) continue;
    auto it = item.json.find(*key);
    if (it == item.json.end()) continue;
    if (it->is_array()) {
      for (const auto& e : *it) out.emplace_back(e);
    } else {
      out.emplace_back(*it);
    }
  }
  return Value::sequence(std::move(out));
}

Value f_merge(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  Json out = Json::object();
  std::unordered_map<std::string, size_t> position;  // of each key among out's members
  auto& members = static_cast<Json::object_t::Container&>(out.get_ref<Json::object_t&>());
  for (const auto& item : to_items(a[0])) {
    if (!item.is_json() || !item.json.is_object()) bad_arg(s, 0);
    for (auto it = item.json.begin(); it != item.json.end(); ++it) {
      auto [at, fresh] = position.emplace(it.key(), members.size());
      if (fresh) {
        append_member(out, it.key(), it.value());
      } else {
        members[at->second].second = it.value();  // a later object wins, in the first place
      }
    }
  }
  return Value(std::move(out));
}

Value f_each(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  if (!a[0].is_json() || !a[0].json.is_object()) bad_arg(s, 0);
  const Value& fn = fn_arg(a, 1, s);
  std::vector<Value> out;
  for (auto it = a[0].json.begin(); it != a[0].json.end(); ++it) {
    std::vector<Value> args{Value(it.value())};
    if (fn.fn->arity() >= 2) args.push_back(str(it.key()));
    if (fn.fn->arity() >= 3) args.push_back(a[0]);
    Value r = s.ev.apply(fn, std::move(args), s.context, s.position);
    if (!r.undefined()) out.push_back(std::move(r));
  }
  return Value::sequence(std::move(out));
}

Value f_sift(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  if (!a[0].is_json() || !a[0].json.is_object()) bad_arg(s, 0);
  const Value& fn = fn_arg(a, 1, s);
  Json out = Json::object();
  for (auto it = a[0].json.begin(); it != a[0].json.end(); ++it) {
    std::vector<Value> args{Value(it.value())};
    if (fn.fn->arity() >= 2) args.push_back(str(it.key()));
    if (fn.fn->arity() >= 3) args.push_back(a[0]);
    if (truthy(s.ev.apply(fn, std::move(args), s.context, s.position))) {
      append_member(out, it.key(), it.value());
    }
  }
  if (out.empty()) return Value();
  return Value(std::move(out));
}

// --- arrays and higher-order functions -----------------------------------------------------

Value f_append(Args& a, const CallSite& s) {
  if (a[0].undefined()) return a[1];
  if (a[1].undefined()) return a[0];
  std::vector<Value> items = to_items(a[0]);
  for (auto& v : to_items(a[1])) items.push_back(std::move(v));
  s.ev.check_size(items.size(), s.position);
  return array_of(std::move(items));
}

Value f_map(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  const Value& fn = fn_arg(a, 1, s);
  std::vector<Value> items = to_items(a[0]);
  Value whole = array_of(items);
  std::vector<Value> out;
  for (size_t i = 0; i < items.size(); ++i) {
    Value r = call_with(s, fn, items[i], i, whole);
    if (!r.undefined()) out.push_back(std::move(r));
  }
  return Value::sequence(std::move(out));
}

Value f_filter(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  const Value& fn = fn_arg(a, 1, s);
  std::vector<Value> items = to_items(a[0]);
  Value whole = array_of(items);
  std::vector<Value> out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (truthy(call_with(s, fn, items[i], i, whole))) out.push_back(items[i]);
  }
  return Value::sequence(std::move(out));
}

Value f_reduce(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  const Value& fn = fn_arg(a, 1, s);
  if (fn.fn->arity() < 2) {
    Evaluator::fail(
        "D3050", s.position,
        "The second argument of reduce function must be a function with at least two arguments");
  }
  std::vector<Value> items = to_items(a[0]);
  Value whole = array_of(items);
  size_t i = 0;
  Value acc;
  if (a.size() > 2 && !a[2].undefined()) {
    acc = a[2];
  } else if (!items.empty()) {
    acc = items[0];
    i = 1;
  }
  for (; i < items.size(); ++i) {
    std::vector<Value> args{acc, items[i]};
    if (fn.fn->arity() >= 3) args.push_back(num(static_cast<double>(i)));
    if (fn.fn->arity() >= 4) args.push_back(whole);
    acc = s.ev.apply(fn, std::move(args), s.context, s.position);
  }
  return acc;
}

// Merge sort: `after(x, y)` true means x must come after y. A hand-written merge keeps the
// order well defined even for a user function that is not a strict weak ordering.
void merge_sort(std::vector<Value>& v,
                const std::function<bool(const Value&, const Value&)>& after) {
  if (v.size() < 2) return;
  std::vector<Value> left(v.begin(), v.begin() + static_cast<ptrdiff_t>(v.size() / 2));
  std::vector<Value> right(v.begin() + static_cast<ptrdiff_t>(v.size() / 2), v.end());
  merge_sort(left, after);
  merge_sort(right, after);
  size_t i = 0, j = 0, k = 0;
  while (i < left.size() && j < right.size()) {
    if (after(left[i], right[j])) {
      v[k++] = std::move(right[j++]);
    } else {
      v[k++] = std::move(left[i++]);
    }
  }
  while (i < left.size()) v[k++] = std::move(left[i++]);
  while (j < right.size()) v[k++] = std::move(right[j++]);
}

Value f_sort(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  std::vector<Value> items = to_items(a[0]);
  if (a.size() > 1 && !a[1].undefined()) {
    const Value& fn = fn_arg(a, 1, s);
    merge_sort(items, [&](const Value& x, const Value& y) {
      return truthy(s.ev.apply(fn, {x, y}, s.context, s.position));
    });
  } else {
    bool all_num =
        std::all_of(items.begin(), items.end(), [](const Value& v) { return v.is_number(); });
    bool all_str =
        std::all_of(items.begin(), items.end(), [](const Value& v) { return v.is_string(); });
    if (!all_num && !all_str) {
      Evaluator::fail("D3070", s.position,
                      "The single argument form of the sort function can only be applied to an "
                      "array of strings or an array of numbers");
    }
    merge_sort(items, [&](const Value& x, const Value& y) {
      if (all_num) return x.json.get<double>() > y.json.get<double>();
      return x.json.get_ref<const std::string&>() > y.json.get_ref<const std::string&>();
    });
  }
  return array_of(std::move(items));
}

Value f_reverse(Args& a, const CallSite&) {
  if (a[0].undefined()) return Value();
  std::vector<Value> items = to_items(a[0]);
  std::reverse(items.begin(), items.end());
  return array_of(std::move(items));
}

Value f_distinct(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  if (!a[0].is_array()) return a[0];
  // Scalars are looked up in sets; objects and arrays are compared pairwise, which is quadratic
  // and therefore counted as steps.
  std::vector<Value> out;
  std::set<double> numbers;
  std::unordered_set<std::string> strings;
  std::set<int> others;            // false, true, null
  std::vector<size_t> structured;  // indexes into `out` of the objects and arrays kept
  for (auto& v : to_items(a[0])) {
    bool fresh = false;
    bool is_structured = false;
    if (v.is_number()) {
      fresh = numbers.insert(v.json.get<double>()).second;
    } else if (v.is_string()) {
      fresh = strings.insert(v.json.get<std::string>()).second;
    } else if (v.is_json() && (v.json.is_boolean() || v.json.is_null())) {
      fresh = others.insert(v.json.is_null() ? 2 : static_cast<int>(v.json.get<bool>())).second;
    } else {
      s.ev.count_steps(structured.size(), s.position);
      fresh = std::none_of(structured.begin(), structured.end(),
                           [&](size_t i) { return deep_equal(out[i], v); });
      is_structured = true;
    }
    if (!fresh) continue;
    if (is_structured) structured.push_back(out.size());
    out.push_back(std::move(v));
  }
  return array_of(std::move(out));
}

// --- date and time ------------------------------------------------------------------------------

// The optional (picture, timezone) arguments of $fromMillis and $now, from index i.
std::string format_millis(int64_t ms, Args& a, size_t i, const CallSite& s) {
  const std::string* picture = str_arg(a, i, s);
  const std::string* zone = str_arg(a, i + 1, s);
  int offset = 0;
  if (zone != nullptr) {
    auto parsed = pictures::parse_timezone(*zone);
    if (!parsed) {
      Evaluator::fail("D3134", s.position,
                      "The timezone \"" + *zone + "\" of $" + s.name + " is not of the form +hhmm");
    }
    offset = *parsed;
  }
  std::optional<std::string_view> pic;
  if (picture != nullptr) pic = *picture;
  std::string out = pictures::format_date_time(ms, pic, offset, s.position);
  s.ev.check_size(out.size(), s.position);
  return out;
}

Value f_now(Args& a, const CallSite& s) {
  return str(format_millis(s.ev.now_ms(), a, 0, s));
}
Value f_millis(Args&, const CallSite& s) {
  return num(static_cast<double>(s.ev.now_ms()));
}

Value f_from_millis(Args& a, const CallSite& s) {
  auto ms = num_arg(a, 0, s);
  if (!ms) return Value();
  // JavaScript dates span +-8.64e15 ms; beyond that there is no date to print
  if (std::fabs(*ms) > 8.64e15) {
    Evaluator::fail("D3110", s.position, "$fromMillis: the number is outside the range of dates");
  }
  return str(format_millis(to_int(std::floor(*ms)), a, 1, s));
}

Value f_to_millis(Args& a, const CallSite& s) {
  const std::string* t = str_arg(a, 0, s);
  if (t == nullptr) return Value();
  if (const std::string* picture = str_arg(a, 1, s); picture != nullptr) {
    auto ms = pictures::parse_date_time(*t, *picture, s.ev.now_ms(), s.position);
    return ms ? num(static_cast<double>(*ms)) : Value();
  }
  auto ms = pictures::millis_from_iso(*t);
  if (!ms) Evaluator::fail("D3110", s.position, "The timestamp \"" + *t + "\" is not ISO 8601");
  return num(static_cast<double>(*ms));
}

// --- more strings and numbers -----------------------------------------------------------------

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

Value f_trim(Args& a, const CallSite& s) {
  const std::string* t = str_arg(a, 0, s);
  if (t == nullptr) return Value();
  std::string out;
  bool gap = false;
  for (char c : *t) {
    if (is_ws(c)) {
      gap = true;
      continue;
    }
    if (gap && !out.empty()) out += ' ';
    gap = false;
    out += c;
  }
  return str(std::move(out));
}

Value f_pad(Args& a, const CallSite& s) {
  const std::string* t = str_arg(a, 0, s);
  auto width = num_arg(a, 1, s);
  const std::string* fill = str_arg(a, 2, s);
  if (t == nullptr) return Value();
  if (!width) bad_arg(s, 1);
  std::string with = (fill == nullptr || fill->empty()) ? std::string(" ") : *fill;
  const int64_t want = std::min<int64_t>(std::llabs(to_int(*width)), 1 << 30);
  const auto have = static_cast<int64_t>(code_point_offsets(*t).size());
  if (want <= have) return a[0];
  s.ev.check_size(static_cast<size_t>(want - have) * with.size() + t->size(), s.position);
  std::vector<size_t> fill_offs = code_point_offsets(with);
  std::string padding;
  for (int64_t i = 0; i < want - have; ++i) {
    size_t k = static_cast<size_t>(i) % fill_offs.size();
    size_t end = k + 1 < fill_offs.size() ? fill_offs[k + 1] : with.size();
    padding += with.substr(fill_offs[k], end - fill_offs[k]);
  }
  return str(*width < 0 ? padding + *t : *t + padding);
}

// $replace with a regular expression: the replacement is a string in which $0 … $9 stand for
// the match and its groups ($$ for a dollar), or a function given each match object.
Value replace_regex(Args& a, const CallSite& s, const Regex& re) {
  const std::string* t = str_arg(a, 0, s);
  auto limit = num_arg(a, 3, s);
  if (t == nullptr) return Value();
  const bool by_function = a.size() > 2 && a[2].is_function();
  const std::string* replacement = by_function ? nullptr : str_arg(a, 2, s);
  if (!by_function && replacement == nullptr) bad_arg(s, 2);
  if (limit && *limit < 0) {
    Evaluator::fail("D3011", s.position,
                    "Fourth argument of replace function must evaluate to a positive number");
  }
  const int64_t max = limit ? to_int(*limit) : INT64_MAX;
  std::string out;
  size_t from = 0;
  for (int64_t done = 0; done < max; ++done) {
    const size_t before = out.size();
    std::optional<Regex::Match> m = next_match(re, *t, from, s);
    if (!m) break;
    out.append(*t, from, m->begin - from);
    if (by_function) {
      Value r = s.ev.apply(a[2], {Value(match_object(*t, *m))}, s.context, s.position);
      if (!r.is_string()) {
        Evaluator::fail("D3012", s.position,
                        "Attempted to replace a matched string with a non-string value");
      }
      out += r.json.get_ref<const std::string&>();
    } else {
      const std::string& r = *replacement;
      for (size_t i = 0; i < r.size(); ++i) {
        if (r[i] != '$' || i + 1 >= r.size()) {
          out += r[i];
        } else if (r[i + 1] == '$') {
          out += '$';
          ++i;
        } else if (r[i + 1] >= '0' && r[i + 1] <= '9') {
          size_t g = static_cast<size_t>(r[i + 1] - '0');
          if (g == 0) {
            out.append(*t, m->begin, m->end - m->begin);
          } else if (g <= m->groups.size() && m->groups[g - 1]) {
            out.append(*t, m->groups[g - 1]->first,
                       m->groups[g - 1]->second - m->groups[g - 1]->first);
          }
          ++i;
        } else {
          out += '$';
        }
      }
    }
    from = m->end;
    s.ev.check_growth(out.size(), out.size() - before + 1, s.position);
  }
  out.append(*t, from, std::string::npos);
  s.ev.check_size(out.size(), s.position);
  return str(std::move(out));
}

Value f_replace(Args& a, const CallSite& s) {
  if (const Regex* re = regex_arg(a, 1, s)) return replace_regex(a, s, *re);
  const std::string* t = str_arg(a, 0, s);
  const std::string* pattern = str_arg(a, 1, s);
  const std::string* replacement = str_arg(a, 2, s);
  auto limit = num_arg(a, 3, s);
  if (t == nullptr) return Value();
  if (pattern == nullptr) bad_arg(s, 1);
  if (replacement == nullptr) bad_arg(s, 2);
  if (pattern->empty()) {
    Evaluator::fail("D3010", s.position,
                    "Second argument of replace function cannot be an empty string");
  }
  if (limit && *limit < 0) {
    Evaluator::fail("D3011", s.position,
                    "Fourth argument of replace function must evaluate to a positive number");
  }
  const int64_t max = limit ? to_int(*limit) : INT64_MAX;
  std::string out;
  size_t from = 0;
  for (int64_t done = 0; done < max; ++done) {
    size_t at = t->find(*pattern, from);
    if (at == std::string::npos) break;
    const size_t before = out.size();
    out.append(*t, from, at - from);
    out += *replacement;
    from = at + pattern->size();
    s.ev.check_growth(out.size(), out.size() - before + 1, s.position);
  }
  out.append(*t, from, std::string::npos);
  s.ev.check_size(out.size(), s.position);
  return str(std::move(out));
}

Value f_power(Args& a, const CallSite& s) {
  auto base = num_arg(a, 0, s);
  auto exp = num_arg(a, 1, s);
  if (!base) return Value();
  if (!exp) bad_arg(s, 1);
  double r = std::pow(*base, *exp);
  if (!std::isfinite(r)) {
    Evaluator::fail(
        "D3061", s.position,
        "The power function has resulted in a value that cannot be represented as a JSON number");
  }
  return num(r);
}

Value f_sqrt(Args& a, const CallSite& s) {
  auto d = num_arg(a, 0, s);
  if (!d) return Value();
  if (*d < 0)
    Evaluator::fail("D3060", s.position,
                    "The sqrt function cannot be applied to a negative number");
  return num(std::sqrt(*d));
}

Value f_error(Args& a, const CallSite& s) {
  const std::string* m = str_arg(a, 0, s);
  Evaluator::fail("D3137", s.position, m != nullptr ? *m : "$error() function evaluated");
}

Value f_assert(Args& a, const CallSite& s) {
  if (!a[0].is_json() || !a[0].json.is_boolean()) bad_arg(s, 0);
  const std::string* m = str_arg(a, 1, s);
  if (!a[0].json.get<bool>()) {
    Evaluator::fail("D3141", s.position, m != nullptr ? *m : "$assert() statement failed");
  }
  return Value();
}

Value f_single(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  std::vector<Value> items = to_items(a[0]);
  Value whole = array_of(items);
  std::optional<Value> found;
  for (size_t i = 0; i < items.size(); ++i) {
    bool match = a.size() < 2 || truthy(call_with(s, fn_arg(a, 1, s), items[i], i, whole));
    if (!match) continue;
    if (found) {
      Evaluator::fail(
          "D3138", s.position,
          "The $single() function expected exactly 1 matching result. Instead it matched more.");
    }
    found = items[i];
  }
  if (!found)
    Evaluator::fail(
        "D3139", s.position,
        "The $single() function expected exactly 1 matching result. Instead it matched 0.");
  return *found;
}

Value f_zip(Args& a, const CallSite& s) {
  std::vector<std::vector<Value>> lists;
  size_t n = SIZE_MAX;
  for (const auto& arg : a) {
    lists.push_back(to_items(arg));
    n = std::min(n, lists.back().size());
  }
  if (lists.empty()) n = 0;
  Json out = Json::array();
  for (size_t i = 0; i < n; ++i) {
    Json tuple = Json::array();
    for (const auto& l : lists) tuple.push_back(to_json(l[i]));
    out.push_back(std::move(tuple));
  }
  s.ev.check_size(out.size(), s.position);
  return Value(std::move(out));
}

Value f_spread(Args& a, const CallSite&) {
  if (a[0].undefined()) return Value();
  std::vector<Value> out;
  for (const auto& item : to_items(a[0])) {
    if (item.is_json() && item.json.is_object()) {
      for (auto it = item.json.begin(); it != item.json.end(); ++it) {
        out.emplace_back(Json{{it.key(), it.value()}});
      }
    } else {
      out.push_back(item);
    }
  }
  return Value::sequence(std::move(out));
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Value f_base64encode(Args& a, const CallSite& s) {
  const std::string* t = str_arg(a, 0, s);
  if (t == nullptr) return Value();
  std::string out;
  size_t i = 0;
  for (; i + 2 < t->size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>((*t)[i]) << 16) | (static_cast<uint8_t>((*t)[i + 1]) << 8) |
                 static_cast<uint8_t>((*t)[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kBase64[(v >> k) & 63];
  }
  if (i < t->size()) {
    uint32_t v = static_cast<uint8_t>((*t)[i]) << 16;
    if (i + 1 < t->size()) v |= static_cast<uint8_t>((*t)[i + 1]) << 8;
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < t->size() ? kBase64[(v >> 6) & 63] : '=';
    out += '=';
  }
  s.ev.check_size(out.size(), s.position);
  return str(std::move(out));
}

Value f_base64decode(Args& a, const CallSite& s) {
  const std::string* t = str_arg(a, 0, s);
  if (t == nullptr) return Value();
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : *t) {
    const char* p = c == '\0' ? nullptr : std::strchr(kBase64, c);
    if (p == nullptr) continue;  // padding and whitespace
    acc = (acc << 6) | static_cast<uint32_t>(p - kBase64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return str(std::move(out));
}

Value f_format_base(Args& a, const CallSite& s) {
  auto d = num_arg(a, 0, s);
  auto radix = num_arg(a, 1, s);
  if (!d) return Value();
  int64_t r = radix ? to_int(*radix) : 10;
  if (r < 2 || r > 36) {
    Evaluator::fail("D3100", s.position,
                    "The radix of the formatBase function must be between 2 and 36");
  }
  int64_t v = to_int(std::round(*d));
  bool neg = v < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string out;
  do {
    out += "0123456789abcdefghijklmnopqrstuvwxyz"[u % static_cast<uint64_t>(r)];
    u /= static_cast<uint64_t>(r);
  } while (u != 0);
  if (neg) out += '-';
  std::reverse(out.begin(), out.end());
  return str(std::move(out));
}

Value f_clone(Args& a, const CallSite&) {
  return a[0].undefined() ? Value() : Value(to_json(a[0]));
}

Value f_random(Args&, const CallSite& s) {
  return num(s.ev.random());
}

Value f_shuffle(Args& a, const CallSite& s) {
  if (a[0].undefined()) return Value();
  std::vector<Value> items = to_items(a[0]);
  for (size_t i = items.size(); i > 1; --i) {  // Fisher-Yates
    auto j = static_cast<size_t>(s.ev.random() * static_cast<double>(i));
    std::swap(items[i - 1], items[std::min(j, i - 1)]);
  }
  return array_of(std::move(items));
}

// Percent-encoding as JavaScript's encodeURIComponent / encodeURI do: UTF-8 bytes of every
// character outside the unreserved set (and, for whole URLs, the reserved one) become %XX.
Value encode_url(Args& a, const CallSite& s, bool component) {
  const std::string* t = str_arg(a, 0, s);
  if (t == nullptr) return Value();
  const std::string_view keep = component ? "-_.!~*'()" : "-_.!~*'();/?:@&=+$,#";
  std::string out;
  for (size_t i = 0; i < t->size(); ++i) {
    unsigned char c = static_cast<unsigned char>((*t)[i]);
    // a lone surrogate cannot be encoded (JavaScript throws URIError)
    if (c == 0xED && i + 1 < t->size() &&
        (static_cast<unsigned char>((*t)[i + 1]) & 0xE0) == 0xA0) {
      Evaluator::fail("D3140", s.position, "Malformed URL passed to $" + s.name);
    }
    if (std::isalnum(c) || keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  s.ev.check_size(out.size(), s.position);
  return str(std::move(out));
}
Value f_encode_url_component(Args& a, const CallSite& s) {
  return encode_url(a, s, true);
}
Value f_encode_url(Args& a, const CallSite& s) {
  return encode_url(a, s, false);
}

// Decoded bytes must form UTF-8 (JavaScript throws URIError otherwise), or the result could
// not be written out as JSON.
bool valid_utf8(const std::string& t) {
  for (size_t i = 0; i < t.size();) {
    auto c = static_cast<unsigned char>(t[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > t.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(t[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

Value decode_url(Args& a, const CallSite& s, bool component) {
  const std::string* t = str_arg(a, 0, s);
  if (t == nullptr) return Value();
  // decodeURI leaves escapes of reserved characters as they are
  const std::string_view reserved = ";/?:@&=+$,#";
  std::string out;
  for (size_t i = 0; i < t->size(); ++i) {
    if ((*t)[i] != '%') {
      out += (*t)[i];
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= t->size() || std::sscanf(t->c_str() + i + 1, "%2x", &v) != 1 ||
        !std::isxdigit(static_cast<unsigned char>((*t)[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>((*t)[i + 2]))) {
      Evaluator::fail("D3140", s.position, "Malformed URL passed to $" + s.name);
    }
    if (!component && reserved.find(static_cast<char>(v)) != std::string_view::npos) {
      out.append(*t, i, 3);
    } else {
      out += static_cast<char>(v);
    }
    i += 2;
  }
  if (!valid_utf8(out)) Evaluator::fail("D3140", s.position, "Malformed URL passed to $" + s.name);
  return str(std::move(out));
}
Value f_decode_url_component(Args& a, const CallSite& s) {
  return decode_url(a, s, true);
}
Value f_decode_url(Args& a, const CallSite& s) {
  return decode_url(a, s, false);
}

const std::map<std::string, Builtin, std::less<>>& library() {
  static const auto* lib = [] {
    auto* m = new std::map<std::string, Builtin, std::less<>>();
    auto add = [&](const char* name, Value (*impl)(Args&, const CallSite&), size_t min, size_t max,
                   bool ctx) {
      (*m)[name] = Builtin{name, impl, min, max, ctx};
    };
    add("string", f_string, 1, 2, true);
    add("length", f_length, 1, 1, true);
    add("substring", f_substring, 2, 3, true);
    add("uppercase", f_uppercase, 1, 1, true);
    add("lowercase", f_lowercase, 1, 1, true);
    add("join", f_join, 1, 2, false);
    add("split", f_split, 2, 3, true);
    add("contains", f_contains, 2, 2, true);
    add("number", f_number, 1, 1, true);
    add("abs", f_abs, 1, 1, true);
    add("floor", f_floor, 1, 1, true);
    add("ceil", f_ceil, 1, 1, true);
    add("round", f_round, 1, 2, true);
    add("sum", f_sum, 1, 1, false);
    add("count", f_count, 1, 1, false);
    add("max", f_max, 1, 1, false);
    add("min", f_min, 1, 1, false);
    add("average", f_average, 1, 1, false);
    add("boolean", f_boolean, 1, 1, true);
    add("not", f_not, 1, 1, true);
    add("exists", f_exists, 1, 1, false);
    add("type", f_type, 1, 1, false);
    add("keys", f_keys, 1, 1, true);
    add("lookup", f_lookup, 2, 2, true);
    add("merge", f_merge, 1, 1, false);
    add("each", f_each, 2, 2, true);
    add("sift", f_sift, 2, 2, true);
    add("append", f_append, 2, 2, false);
    add("map", f_map, 2, 2, false);
    add("filter", f_filter, 2, 2, false);
    add("reduce", f_reduce, 2, 3, false);
    add("sort", f_sort, 1, 2, false);
    add("reverse", f_reverse, 1, 1, false);
    add("distinct", f_distinct, 1, 1, false);
    add("now", f_now, 0, 2, false);
    add("millis", f_millis, 0, 0, false);
    add("fromMillis", f_from_millis, 1, 3, true);
    add("toMillis", f_to_millis, 1, 2, true);
    add("trim", f_trim, 1, 1, true);
    add("pad", f_pad, 2, 3, true);
    add("replace", f_replace, 3, 4, true);
    add("match", f_match, 2, 3, true);
    add("power", f_power, 2, 2, false);
    add("sqrt", f_sqrt, 1, 1, true);
    add("error", f_error, 0, 1, false);
    add("assert", f_assert, 1, 2, false);
    add("single", f_single, 1, 2, false);
    add("zip", f_zip, 0, 64, false);
    add("spread", f_spread, 1, 1, true);
    add("base64encode", f_base64encode, 1, 1, true);
    add("base64decode", f_base64decode, 1, 1, true);
    add("formatBase", f_format_base, 1, 2, false);
    add("formatNumber", f_format_number, 2, 3, false);
    add("formatInteger", f_format_integer, 2, 2, false);
    add("parseInteger", f_parse_integer, 2, 2, false);
    add("clone", f_clone, 1, 1, false);
    add("random", f_random, 0, 0, false);
    add("shuffle", f_shuffle, 1, 1, false);
    add("encodeUrlComponent", f_encode_url_component, 1, 1, true);
    add("encodeUrl", f_encode_url, 1, 1, true);
    add("decodeUrlComponent", f_decode_url_component, 1, 1, true);
    add("decodeUrl", f_decode_url, 1, 1, true);
    return m;
  }();
  return *lib;
}

}  // namespace

const Builtin* find_builtin(std::string_view name) {
  const auto& lib = library();
  auto it = lib.find(name);
  return it == lib.end() ? nullptr : &it->second;
}

}  // namespace stepd::jsonata
