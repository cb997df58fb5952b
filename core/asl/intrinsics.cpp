#include "core/asl/intrinsics.h"

#include <openssl/evp.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "core/asl/json_path.h"
#include "core/common/states_error.h"

namespace stepd::asl {

namespace {

// ---------------------------------------------------------------------------------------------
// Syntax tree

struct Call;

struct Arg {
  enum class Kind { kString, kNumber, kBool, kNull, kPath, kCall };
  Kind kind = Kind::kNull;
  std::string raw;  // kString: the text between the quotes, escapes untouched; kPath: the path
  Json literal;     // kString (decoded), kNumber, kBool, kNull
  std::shared_ptr<Call> call;
};

struct Call {
  std::string name;  // "States.Format"
  std::vector<Arg> args;
};

// Reserved characters of a literal (' { } \) are written with a backslash in front. The parser
// has already refused a backslash before any other character, so every escape here is one of
// the four.
bool is_escapable(char c) {
  return c == '\'' || c == '{' || c == '}' || c == '\\';
}

std::string decode_literal(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      char n = raw[i + 1];
      if (is_escapable(n)) {
        out += n;
        ++i;
        continue;
      }
    }
    out += c;
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Call parse() {
    skip_spaces();
    Call call = parse_call(1);
    skip_spaces();
    if (pos_ != s_.size()) fail("unexpected text after the closing parenthesis");
    return call;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument("Invalid intrinsic function call '" + std::string(s_) +
                                "': " + why + " (at index " + std::to_string(pos_) + ")");
  }

  void skip_spaces() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  bool starts_with(std::string_view p) const { return s_.substr(pos_, p.size()) == p; }

  Call parse_call(int depth) {
    if (depth > kMaxIntrinsicDepth) {
      fail("intrinsic functions can be nested at most " + std::to_string(kMaxIntrinsicDepth - 1) +
           " levels deep");
    }
    if (!starts_with("States.")) fail("expected 'States.'");
    size_t start = pos_;
    pos_ += 7;
    while (pos_ < s_.size() && std::isalnum(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    Call call;
    call.name = std::string(s_.substr(start, pos_ - start));
    skip_spaces();
    if (pos_ >= s_.size() || s_[pos_] != '(') fail("expected '(' after " + call.name);
    ++pos_;
    skip_spaces();
    if (pos_ < s_.size() && s_[pos_] == ')') {
      ++pos_;
      return call;
    }
    for (;;) {
      call.args.push_back(parse_arg(depth));
      skip_spaces();
      if (pos_ >= s_.size()) fail("missing ')'");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ')') {
        ++pos_;
        return call;
      }
      fail(std::string("unexpected character '") + s_[pos_] + "'");
    }
  }

  Arg parse_arg(int depth) {
    skip_spaces();
    if (pos_ >= s_.size()) fail("missing argument");
    Arg arg;
    char c = s_[pos_];
    if (c == '\'') {
      ++pos_;
      size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] != '\'') {
        if (s_[pos_] == '\\') {
          // A backslash that escapes nothing reserved is an error on AWS (documented; seen to
          // be refused when the state machine is created), so it is a syntax error here.
          if (pos_ + 1 < s_.size() && !is_escapable(s_[pos_ + 1])) {
            ++pos_;
            fail(std::string("invalid escape sequence '\\") + s_[pos_] +
                 "' in a string literal (only \\' \\{ \\} and \\\\ are allowed)");
          }
          ++pos_;
        }
        ++pos_;
      }
      if (pos_ >= s_.size()) fail("unterminated string literal");
      arg.kind = Arg::Kind::kString;
      arg.raw = std::string(s_.substr(start, pos_ - start));
      arg.literal = decode_literal(arg.raw);
      ++pos_;
      return arg;
    }
    if (c == '$') {
      arg.kind = Arg::Kind::kPath;
      arg.raw = scan_path();
      return arg;
    }
    if (starts_with("States.")) {
      arg.kind = Arg::Kind::kCall;
      arg.call = std::make_shared<Call>(parse_call(depth + 1));
      return arg;
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (starts_with(word) && !is_word_char(pos_ + word.size())) {
        pos_ += word.size();
        arg.kind = word == "null" ? Arg::Kind::kNull : Arg::Kind::kBool;
        arg.literal = word == "null" ? Json(nullptr) : Json(word == "true");
        return arg;
      }
    }
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-' ||
            s_[pos_] == '+' || s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
    }
    if (pos_ == start) fail(std::string("unexpected character '") + c + "'");
    Json number = Json::parse(s_.substr(start, pos_ - start), nullptr, /*allow_exceptions=*/false);
    if (!number.is_number()) fail("bad number literal");
    arg.kind = Arg::Kind::kNumber;
    arg.literal = std::move(number);
    return arg;
  }

  bool is_word_char(size_t at) const {
    return at < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[at])) || s_[at] == '_');
  }

  // A path argument runs to the next ',' or ')' that is not inside brackets, a filter's
  // parentheses or quotes.
  std::string scan_path() {
    size_t start = pos_;
    int brackets = 0;
    int parens = 0;
    char quote = 0;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (quote) {
        if (c == '\\' && pos_ + 1 < s_.size()) {  // a last backslash escapes nothing
          ++pos_;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (brackets > 0 && (c == '\'' || c == '"')) {
        quote = c;
      } else if (c == '[') {
        ++brackets;
      } else if (c == ']') {
        --brackets;
      } else if (c == '(' && brackets > 0) {
        ++parens;
      } else if (c == ')' && parens > 0) {
        --parens;
      } else if (brackets == 0 && (c == ',' || c == ')')) {
        break;
      }
      ++pos_;
    }
    size_t end = pos_;
    while (end > start && std::isspace(static_cast<unsigned char>(s_[end - 1]))) --end;
    return std::string(s_.substr(start, end - start));
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Helpers for the functions

[[noreturn]] void intrinsic_failure(const std::string& cause) {
  throw StatesException(errors::kIntrinsicFailure, cause);
}

std::string type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::array:
      return "array";
    default:
      return "object";
  }
}

// Step Functions (Java) counts characters in UTF-16 code units.
size_t utf16_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) n += (c >= 0xF0) ? 2 : 1;
  }
  return n;
}

// Splits UTF-8 text into code points (each kept as its UTF-8 bytes).
std::vector<std::string_view> code_points(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 1;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0) {
      len = 4;
    } else if (c >= 0xE0) {
      len = 3;
    } else if (c >= 0xC0) {
      len = 2;
    }
    len = std::min(len, s.size() - i);
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

// Java's new String(bytes, UTF_8): malformed sequences become U+FFFD instead of failing.
std::string sanitize_utf8(const std::string& bytes) {
  std::string out;
  size_t i = 0;
  const std::string kReplacement = "\xEF\xBF\xBD";
  while (i < bytes.size()) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    bool ok = len > 0 && i + len <= bytes.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(bytes[i + k]) & 0xC0) == 0x80;
    }
    if (ok) {
      out.append(bytes, i, len);
      i += len;
    } else {
      out += kReplacement;
      ++i;
    }
  }
  return out;
}

const std::string& want_string(const Json& v, const std::string& fn, int position) {
  if (!v.is_string()) {
    intrinsic_failure("Invalid arguments in " + fn + ": argument " + std::to_string(position) +
                      " must be a string, but was " + type_name(v));
  }
  return v.get_ref<const std::string&>();
}

const Json& want_array(const Json& v, const std::string& fn, int position) {
  if (!v.is_array()) {
    intrinsic_failure("Invalid arguments in " + fn + ": argument " + std::to_string(position) +
                      " must be an array, but was " + type_name(v));
  }
  return v;
}

// An integer argument (a MathRandom seed). A number with a fraction is refused; the size, bound
// and index arguments go through truncated_integer() instead.
int64_t want_integer(const Json& v, const std::string& fn, int position) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      intrinsic_failure("Invalid arguments in " + fn + ": argument " + std::to_string(position) +
                        " is out of range");
    }
    return static_cast<int64_t>(u);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18) {
      return static_cast<int64_t>(d);
    }
  }
  intrinsic_failure("Invalid arguments in " + fn + ": argument " + std::to_string(position) +
                    " must be an integer, but was " + to_compact_json(v));
}

// A number argument cut to an integer by dropping its fraction (2.6 -> 2, -0.6 -> 0), as Step
// Functions does for the sizes, bounds and indexes of ArrayPartition, ArrayRange, ArrayGetItem
// and MathRandom. Anything but a number is refused.
int64_t truncated_integer(const Json& v, const std::string& fn, int position) {
  if (!v.is_number()) {
    intrinsic_failure("Invalid arguments in " + fn + ": argument " + std::to_string(position) +
                      " must be a number, but was " + type_name(v));
  }
  if (!v.is_number_float()) return want_integer(v, fn, position);
  double d = std::trunc(v.get<double>());
  if (!std::isfinite(d) || std::fabs(d) >= 9.0e18) {
    intrinsic_failure("Invalid arguments in " + fn + ": argument " + std::to_string(position) +
                      " is out of range");
  }
  return static_cast<int64_t>(d);
}

// Java's Math.round: halves go towards positive infinity (-1.5 -> -1, 2.5 -> 3).
int64_t java_round(double d) {
  double f = std::floor(d);
  return static_cast<int64_t>(d - f >= 0.5 ? f + 1 : f);
}

// Java's Random(seed).nextInt(bound): the same seed must give the same value as on AWS.
class JavaRandom {
 public:
  explicit JavaRandom(int64_t seed) : seed_((static_cast<uint64_t>(seed) ^ kMultiplier) & kMask) {}

  int32_t next_int(int32_t bound) {
    int32_t r = next(31);
    int32_t m = bound - 1;
    if ((bound & m) == 0) {
      return static_cast<int32_t>((static_cast<int64_t>(bound) * r) >> 31);
    }
    for (int32_t u = r;
         static_cast<int32_t>(static_cast<uint32_t>(u) - static_cast<uint32_t>(r = u % bound) +
                              static_cast<uint32_t>(m)) < 0;
         u = next(31)) {
    }
    return r;
  }

  // Java's Random.nextDouble(): 53 random bits in [0, 1).
  double next_double() {
    int64_t high = next(26);
    int64_t low = next(27);
    return static_cast<double>((high << 27) + low) * 0x1.0p-53;
  }

 private:
  static constexpr uint64_t kMultiplier = 0x5DEECE66DULL;
  static constexpr uint64_t kMask = (1ULL << 48) - 1;

  int32_t next(int bits) {
    seed_ = (seed_ * kMultiplier + 0xBULL) & kMask;
    return static_cast<int32_t>(seed_ >> (48 - bits));
  }

  uint64_t seed_;
};

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t n = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
    i += 3;
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// MIME-style decoding (RFC 2045), the scheme the AWS guide names for States.Base64Decode:
// characters outside the alphabet (spaces, line breaks, '!') are skipped, the first '=' ends
// the data, and trailing bits too few to make a byte are dropped. Observed on AWS: ' YWJjZA== ',
// 'abc', 'ab==cd' and '!!!invalid!!!' all decode rather than fail. It never fails.
std::string base64_decode(std::string_view in) {
  auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = value_of(c);
    if (v < 0) continue;
    acc = ((acc << 6) | static_cast<uint32_t>(v)) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::optional<std::string> hash_hex(const std::string& algorithm, std::string_view data) {
  const EVP_MD* md = nullptr;
  if (algorithm == "MD5") {
    md = EVP_md5();
  } else if (algorithm == "SHA-1") {
    md = EVP_sha1();
  } else if (algorithm == "SHA-256") {
    md = EVP_sha256();
  } else if (algorithm == "SHA-384") {
    md = EVP_sha384();
  } else if (algorithm == "SHA-512") {
    md = EVP_sha512();
  } else {
    return std::nullopt;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &digest_len, md, nullptr) != 1) {
    throw StatesException(errors::kRuntime, "The hash function " + algorithm + " failed");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < digest_len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// How States.Format prints a value: strings bare; objects and arrays the way Java prints a Map
// or a List ({a=1, b=[x, y]}), which is what AWS produces; numbers, booleans, null as JSON.
std::string format_value(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string:
      return v.get<std::string>();
    case Json::value_t::array: {
      std::string out = "[";
      bool first = true;
      for (const Json& e : v) {
        if (!first) out += ", ";
        first = false;
        out += format_value(e);
      }
      return out + "]";
    }
    case Json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        out += it.key() + "=" + format_value(it.value());
      }
      return out + "}";
    }
    default:
      return to_compact_json(v);
  }
}

// Fills the {} of a template. A template written as a literal still carries its escapes (\{ \}
// \' \\), so an escaped brace is never taken for a placeholder and an unescaped one outside {}
// is an error; a template read from a path is data: it has no escapes and its lone braces are
// ordinary characters.
std::string format_template(std::string_view tmpl, bool has_escapes,
                            const std::vector<Json>& values, const std::string& fn) {
  std::string out;
  size_t next_value = 0;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (has_escapes && c == '\\' && i + 1 < tmpl.size()) {
      char n = tmpl[i + 1];
      if (is_escapable(n)) {
        out += n;
        ++i;
        continue;
      }
    }
    if (c == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
      if (next_value >= values.size()) {
        intrinsic_failure("Invalid arguments in " + fn +
                          ": the number of arguments does not match the number of {} placeholders");
      }
      out += format_value(values[next_value++]);
      ++i;
      continue;
    }
    if (has_escapes && (c == '{' || c == '}')) {
      // In a literal, a brace is either half of {} or escaped (AWS fails 'Hello {', '}' and
      // 'Hello {{}}' at run time).
      intrinsic_failure("Invalid arguments in " + fn + ": the template has an unescaped '" +
                        std::string(1, c) + "' that is not part of a {} placeholder");
    }
    out += c;
  }
  if (next_value != values.size()) {
    intrinsic_failure("Invalid arguments in " + fn +
                      ": the number of arguments does not match the number of {} placeholders");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The functions

struct Evaluator;

struct Function {
  int min_args;
  int max_args;  // -1: no limit
  std::function<Json(const Call&, const std::vector<Json>&, Evaluator&)> run;
};

const std::unordered_map<std::string, Function>& functions();

struct Evaluator {
  const EvalScope& scope;
  std::string_view field;

  Json arg_value(const Arg& arg) {
    switch (arg.kind) {
      case Arg::Kind::kString:
      case Arg::Kind::kNumber:
      case Arg::Kind::kBool:
      case Arg::Kind::kNull:
        return arg.literal;
      case Arg::Kind::kPath: {
        std::optional<Json> v = resolve_path(arg.raw, scope);
        if (!v) {
          std::string cause = "The JSONPath '" + arg.raw + "'";
          if (!field.empty()) cause += " specified for the field '" + std::string(field) + "'";
          cause += " could not be found in the input '" + to_compact_json(scope.input) + "'";
          throw StatesException(errors::kRuntime, cause);
        }
        return std::move(*v);
      }
      case Arg::Kind::kCall:
        return call(*arg.call);
    }
    return nullptr;
  }

  Json call(const Call& c) {
    const auto& table = functions();
    auto it = table.find(c.name);
    if (it == table.end()) {
      throw std::invalid_argument("Unknown intrinsic function '" + c.name + "'");
    }
    std::vector<Json> values;
    values.reserve(c.args.size());
    for (const Arg& a : c.args) values.push_back(arg_value(a));
    return it->second.run(c, values, *this);
  }
};

constexpr size_t kMaxStringChars = 10000;  // Base64Encode/Decode and Hash inputs
constexpr int64_t kMaxRangeItems = 1000;

Json fn_format(const Call& c, const std::vector<Json>& v, Evaluator&) {
  const std::string& tmpl = want_string(v[0], c.name, 1);
  std::vector<Json> values(v.begin() + 1, v.end());
  bool literal = c.args[0].kind == Arg::Kind::kString;
  return format_template(literal ? c.args[0].raw : tmpl, literal, values, c.name);
}

Json fn_string_to_json(const Call& c, const std::vector<Json>& v, Evaluator&) {
  const std::string& s = want_string(v[0], c.name, 1);
  bool blank = std::all_of(s.begin(), s.end(),
                           [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); });
  if (blank) return nullptr;  // AWS turns "" and " " into null
  Json parsed = Json::parse(s, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    intrinsic_failure("Invalid arguments in " + c.name + ": the argument is not valid JSON: " + s);
  }
  return parsed;
}

Json fn_json_to_string(const Call&, const std::vector<Json>& v, Evaluator&) {
  return to_compact_json(v[0]);
}

Json fn_array(const Call&, const std::vector<Json>& v, Evaluator&) {
  Json out = Json::array();
  for (const Json& e : v) out.push_back(e);
  return out;
}

Json fn_array_partition(const Call& c, const std::vector<Json>& v, Evaluator&) {
  const Json& arr = want_array(v[0], c.name, 1);
  int64_t size = truncated_integer(v[1], c.name, 2);
  if (size <= 0) {
    intrinsic_failure("Invalid arguments in " + c.name +
                      ": the chunk size must be greater than 0, but was " + std::to_string(size));
  }
  Json out = Json::array();
  Json chunk = Json::array();
  for (const Json& e : arr) {
    chunk.push_back(e);
    if (static_cast<int64_t>(chunk.size()) == size) {
      out.push_back(std::move(chunk));
      chunk = Json::array();
    }
  }
  if (!chunk.empty()) out.push_back(std::move(chunk));
  return out;
}

bool json_equal(const Json& a, const Json& b) {
  // Java's JsonNode.equals tells 1 from 1.0; nlohmann would not.
  if (a.is_number() && b.is_number() && a.is_number_float() != b.is_number_float()) return false;
  return a == b;
}

Json fn_array_contains(const Call& c, const std::vector<Json>& v, Evaluator&) {
  const Json& arr = want_array(v[0], c.name, 1);
  for (const Json& e : arr) {
    if (json_equal(e, v[1])) return true;
  }
  return false;
}

Json fn_array_range(const Call& c, const std::vector<Json>& v, Evaluator&) {
  int64_t start = truncated_integer(v[0], c.name, 1);
  int64_t end = truncated_integer(v[1], c.name, 2);
  int64_t step = truncated_integer(v[2], c.name, 3);
  if (step == 0) intrinsic_failure("Invalid arguments in " + c.name + ": the step cannot be 0");
  int64_t count = 0;
  if ((step > 0 && start <= end) || (step < 0 && start >= end)) {
    // The distance fits in an unsigned 64-bit value even when end - start would overflow.
    uint64_t distance = step > 0 ? static_cast<uint64_t>(end) - static_cast<uint64_t>(start)
                                 : static_cast<uint64_t>(start) - static_cast<uint64_t>(end);
    uint64_t stride = step > 0 ? static_cast<uint64_t>(step) : 0 - static_cast<uint64_t>(step);
    uint64_t n = distance / stride;
    count = n >= static_cast<uint64_t>(kMaxRangeItems) ? kMaxRangeItems + 1
                                                       : static_cast<int64_t>(n) + 1;
  }
  if (count > kMaxRangeItems) {
    intrinsic_failure("Invalid arguments in " + c.name + ": the array cannot contain more than " +
                      std::to_string(kMaxRangeItems) + " items");
  }
  Json out = Json::array();
  for (int64_t k = 0; k < count; ++k) out.push_back(start + k * step);
  return out;
}

Json fn_array_get_item(const Call& c, const std::vector<Json>& v, Evaluator&) {
  const Json& arr = want_array(v[0], c.name, 1);
  int64_t index = truncated_integer(v[1], c.name, 2);
  if (index < 0 || index >= static_cast<int64_t>(arr.size())) {
    intrinsic_failure("Invalid arguments in " + c.name + ": the index " + std::to_string(index) +
                      " is out of bounds for an array of length " + std::to_string(arr.size()));
  }
  return arr[static_cast<size_t>(index)];
}

Json fn_array_length(const Call& c, const std::vector<Json>& v, Evaluator&) {
  return want_array(v[0], c.name, 1).size();
}

Json fn_array_unique(const Call& c, const std::vector<Json>& v, Evaluator&) {
  const Json& arr = want_array(v[0], c.name, 1);
  Json out = Json::array();
  for (const Json& e : arr) {
    bool seen =
        std::any_of(out.begin(), out.end(), [&](const Json& o) { return json_equal(o, e); });
    if (!seen) out.push_back(e);
  }
  return out;
}

void check_length(const std::string& s, const std::string& fn) {
  if (utf16_length(s) > kMaxStringChars) {
    intrinsic_failure("Invalid arguments in " + fn + ": the input string cannot be longer than " +
                      std::to_string(kMaxStringChars) + " characters");
  }
}

Json fn_base64_encode(const Call& c, const std::vector<Json>& v, Evaluator&) {
  const std::string& s = want_string(v[0], c.name, 1);
  check_length(s, c.name);
  return base64_encode(s);
}

Json fn_base64_decode(const Call& c, const std::vector<Json>& v, Evaluator&) {
  const std::string& s = want_string(v[0], c.name, 1);
  check_length(s, c.name);
  return sanitize_utf8(base64_decode(s));
}

Json fn_hash(const Call& c, const std::vector<Json>& v, Evaluator&) {
  if (v[0].is_null()) {
    intrinsic_failure("Invalid arguments in " + c.name + ": the data to hash cannot be null");
  }
  // Non-string data is hashed as its JSON text.
  std::string data = v[0].is_string() ? v[0].get<std::string>() : to_compact_json(v[0]);
  const std::string& algorithm = want_string(v[1], c.name, 2);
  check_length(data, c.name);
  std::optional<std::string> hex = hash_hex(algorithm, data);
  if (!hex) {
    intrinsic_failure("Invalid arguments in " + c.name + ": the hash algorithm '" + algorithm +
                      "' is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512");
  }
  return *hex;
}

Json fn_json_merge(const Call& c, const std::vector<Json>& v, Evaluator&) {
  for (int i = 0; i < 2; ++i) {
    if (!v[i].is_object()) {
      intrinsic_failure("Invalid arguments in " + c.name + ": argument " + std::to_string(i + 1) +
                        " must be a JSON object, but was " + type_name(v[i]));
    }
  }
  if (!v[2].is_boolean()) {
    intrinsic_failure("Invalid arguments in " + c.name +
                      ": argument 3 must be a boolean, but was " + type_name(v[2]));
  }
  if (v[2].get<bool>()) {
    intrinsic_failure("Invalid arguments in " + c.name +
                      ": deep merge is not supported; the third argument must be false");
  }
  // Shallow: a key of the second object replaces the same key of the first, in place.
  Json out = v[0];
  for (auto it = v[1].begin(); it != v[1].end(); ++it) out[it.key()] = it.value();
  return out;
}

// A MathRandom bound: truncated like the other integer arguments, and within Java's int.
int32_t want_int32(const Json& v, const std::string& fn, int position) {
  int64_t x = truncated_integer(v, fn, position);
  if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max()) {
    intrinsic_failure("Invalid arguments in " + fn + ": argument " + std::to_string(position) +
                      " must be between -2147483648 and 2147483647, but was " + std::to_string(x));
  }
  return static_cast<int32_t>(x);
}

Json fn_math_random(const Call& c, const std::vector<Json>& v, Evaluator& ev) {
  int32_t start = want_int32(v[0], c.name, 1);
  int32_t end = want_int32(v[1], c.name, 2);
  if (start >= end) {
    intrinsic_failure("Invalid arguments in " + c.name +
                      ": the start must be less than the end, but got " + std::to_string(start) +
                      " and " + std::to_string(end));
  }
  int64_t span = static_cast<int64_t>(end) - start;  // the end is exclusive
  if (v.size() == 3) {
    int64_t seed = want_integer(v[2], c.name, 3);
    if (span > std::numeric_limits<int32_t>::max()) {
      intrinsic_failure("Invalid arguments in " + c.name + ": the range is too large");
    }
    JavaRandom rng(seed);
    return static_cast<int64_t>(start) + rng.next_int(static_cast<int32_t>(span));
  }
  if (ev.scope.ids == nullptr) {
    throw StatesException(errors::kRuntime, c.name + " needs a random source, and none is set");
  }
  return static_cast<int64_t>(start) +
         static_cast<int64_t>(ev.scope.ids->random_u64() % static_cast<uint64_t>(span));
}

int64_t rounded_int32(const Json& v, const std::string& fn, int position) {
  if (!v.is_number()) {
    intrinsic_failure("Invalid arguments in " + fn + ": argument " + std::to_string(position) +
                      " must be a number, but was " + type_name(v));
  }
  auto out_of_range = [&]() {
    intrinsic_failure("Invalid arguments in " + fn + ": argument " + std::to_string(position) +
                      " must be between -2147483648 and 2147483647, but was " + to_compact_json(v));
  };
  int64_t x = 0;
  if (v.is_number_float()) {
    // AWS rounds a fractional operand to the nearest integer, halves upwards (Java Math.round).
    // Far-off and non-finite values are refused before the cast can overflow.
    double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 4.0e9) out_of_range();
    x = java_round(d);
  } else {
    x = want_integer(v, fn, position);
  }
  if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max()) {
    out_of_range();
  }
  return x;
}

// The operands and the sum are Java ints: a sum past either end is refused rather than wrapped
// or widened (observed on AWS: MathAdd(2147483647, 1) fails, MathAdd(2147483646, 1) does not).
Json fn_math_add(const Call& c, const std::vector<Json>& v, Evaluator&) {
  int64_t sum = rounded_int32(v[0], c.name, 1) + rounded_int32(v[1], c.name, 2);
  if (sum < std::numeric_limits<int32_t>::min() || sum > std::numeric_limits<int32_t>::max()) {
    intrinsic_failure("Invalid arguments in " + c.name + ": the sum " + std::to_string(sum) +
                      " is outside the range -2147483648 to 2147483647");
  }
  return sum;
}

Json fn_string_split(const Call& c, const std::vector<Json>& v, Evaluator&) {
  const std::string& s = want_string(v[0], c.name, 1);
  const std::string& delimiters = want_string(v[1], c.name, 2);
  std::vector<std::string_view> delims = code_points(delimiters);
  Json out = Json::array();
  std::string piece;
  // Every character of the second argument separates pieces; empty pieces are dropped.
  for (std::string_view cp : code_points(s)) {
    if (std::find(delims.begin(), delims.end(), cp) != delims.end()) {
      if (!piece.empty()) out.push_back(std::move(piece));
      piece.clear();
    } else {
      piece += cp;
    }
  }
  if (!piece.empty()) out.push_back(std::move(piece));
  return out;
}

Json fn_uuid(const Call& c, const std::vector<Json>&, Evaluator& ev) {
  if (ev.scope.ids == nullptr) {
    throw StatesException(errors::kRuntime, c.name + " needs an id source, and none is set");
  }
  return ev.scope.ids->uuid();
}

const std::unordered_map<std::string, Function>& functions() {
  static const std::unordered_map<std::string, Function> kTable = {
      {"States.Format", {1, -1, fn_format}},
      {"States.StringToJson", {1, 1, fn_string_to_json}},
      {"States.JsonToString", {1, 1, fn_json_to_string}},
      {"States.Array", {0, -1, fn_array}},
      {"States.ArrayPartition", {2, 2, fn_array_partition}},
      {"States.ArrayContains", {2, 2, fn_array_contains}},
      {"States.ArrayRange", {3, 3, fn_array_range}},
      {"States.ArrayGetItem", {2, 2, fn_array_get_item}},
      {"States.ArrayLength", {1, 1, fn_array_length}},
      {"States.ArrayUnique", {1, 1, fn_array_unique}},
      {"States.Base64Encode", {1, 1, fn_base64_encode}},
      {"States.Base64Decode", {1, 1, fn_base64_decode}},
      {"States.Hash", {2, 2, fn_hash}},
      {"States.JsonMerge", {3, 3, fn_json_merge}},
      {"States.MathRandom", {2, 3, fn_math_random}},
      {"States.MathAdd", {2, 2, fn_math_add}},
      {"States.StringSplit", {2, 2, fn_string_split}},
      {"States.UUID", {0, 0, fn_uuid}},
  };
  return kTable;
}

std::string arity_text(const Function& f) {
  if (f.max_args < 0) return "at least " + std::to_string(f.min_args);
  if (f.min_args == f.max_args) return std::to_string(f.min_args);
  return std::to_string(f.min_args) + " or " + std::to_string(f.max_args);
}

void check_call(const Call& c) {
  const auto& table = functions();
  auto it = table.find(c.name);
  if (it == table.end()) throw std::invalid_argument("Unknown intrinsic function '" + c.name + "'");
  const Function& f = it->second;
  int n = static_cast<int>(c.args.size());
  if (n < f.min_args || (f.max_args >= 0 && n > f.max_args)) {
    throw std::invalid_argument("The intrinsic function " + c.name + " takes " + arity_text(f) +
                                " argument(s), but " + std::to_string(n) + " were given");
  }
  for (const Arg& a : c.args) {
    if (a.kind == Arg::Kind::kPath) validate_path(a.raw);
    if (a.kind == Arg::Kind::kCall) check_call(*a.call);
  }
}

}  // namespace

bool looks_like_intrinsic(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  if (s.substr(i, 7) != "States.") return false;
  i += 7;
  size_t name_start = i;
  while (i < s.size() && std::isalnum(static_cast<unsigned char>(s[i]))) ++i;
  if (i == name_start) return false;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i < s.size() && s[i] == '(';
}

Json evaluate_intrinsic(std::string_view expr, const EvalScope& scope, std::string_view field) {
  Call call = Parser(expr).parse();
  check_call(call);
  Evaluator ev{scope, field};
  return ev.call(call);
}

void validate_intrinsic(std::string_view expr) {
  Call call = Parser(expr).parse();
  check_call(call);
}

std::optional<std::string> hash_hex_digest(const std::string& algorithm, std::string_view data) {
  return hash_hex(algorithm, data);
}

double seeded_random_double(int64_t seed) {
  return JavaRandom(seed).next_double();
}

}  // namespace stepd::asl
