#include "core/ops/validation.h"

#include <algorithm>

#include "core/common/api_error.h"

namespace stepd::ops {
namespace {

const Json& empty_object() {
  static const Json kEmpty = Json::object();
  return kEmpty;
}

std::string quoted_value(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// Decodes one code point; returns its length in bytes, or 0 when the bytes are not UTF-8.
size_t decode_utf8(std::string_view s, size_t i, uint32_t* cp) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t c;
  if (b < 0x80) {
    *cp = b;
    return 1;
  } else if ((b & 0xE0) == 0xC0) {
    n = 2;
    c = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    n = 3;
    c = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    n = 4;
    c = b & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto cb = static_cast<unsigned char>(s[i + k]);
    if ((cb & 0xC0) != 0x80) return 0;
    c = (c << 6) | (cb & 0x3F);
  }
  // Overlong forms hide forbidden characters; refuse them.
  if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF))) {
    return 0;
  }
  *cp = c;
  return n;
}

// The pattern [!-~]+: one or more ASCII characters from '!' to '~' (no space, no controls).
bool visible_ascii(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '!' && c <= '~'; });
}

}  // namespace

StringRule name_rule(bool required) {
  return {.required = required, .min = 1, .max = 80};
}
StringRule arn_rule(bool required) {
  return {.required = required, .min = 1, .max = 256};
}
StringRule payload_rule(bool required) {
  return {.required = required, .max = 262144, .count_bytes = true, .sensitive = true};
}
StringRule definition_rule(bool required) {
  return {.required = required, .min = 1, .max = 1048576, .sensitive = true};
}
StringRule error_rule() {
  return {.max = 256, .sensitive = true};
}
StringRule cause_rule() {
  return {.max = 32768, .sensitive = true};
}
StringRule token_rule(size_t max) {
  return {.min = 1, .max = max};
}
StringRule task_token_rule() {
  return {.required = true, .min = 1, .max = 2048};
}
StringRule client_token_rule() {
  return {.min = 1, .max = 64, .pattern = "[!-~]+", .matches = visible_ascii};
}

RequestReader::RequestReader(const Json& body) : body_(body.is_null() ? empty_object() : body) {
  if (!body_.is_object()) {
    throw ApiError("ValidationException", "The request body must be a JSON object");
  }
}

RequestReader::RequestReader(const Json& body, std::string prefix, RequestReader* parent)
    : body_(body.is_object() ? body : empty_object()),
      prefix_(std::move(prefix)),
      parent_(parent) {}

RequestReader RequestReader::nested(const Json& object, std::string path) {
  return RequestReader(object, this->path(path), this);
}

std::string RequestReader::path(std::string_view name) const {
  return prefix_.empty() ? std::string(name) : prefix_ + "." + std::string(name);
}

const Json* RequestReader::member(std::string_view name, bool required) {
  auto it = body_.find(std::string(name));
  if (it == body_.end() || it->is_null()) {
    if (required) {
      fail("Value null at '" + path(name) +
           "' failed to satisfy constraint: Member must not be null");
    }
    return nullptr;
  }
  return &*it;
}

void RequestReader::type_error(std::string_view name, const Json& value, const char* type) {
  fail("Value '" + quoted_value(value) + "' at '" + path(name) +
       "' failed to satisfy constraint: Member must be " + type);
}

std::optional<std::string> RequestReader::string(std::string_view name, const StringRule& rule) {
  const Json* v = member(name, rule.required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    type_error(name, *v, "a string");
    return std::nullopt;
  }
  std::string s = v->get<std::string>();
  size_t len = rule.count_bytes ? s.size() : utf8_length(s);
  std::string shown = rule.sensitive ? "Value at '" + path(name) + "'"
                                     : "Value '" + s + "' at '" + path(name) + "'";
  bool ok = true;
  if (len < rule.min) {
    fail(shown +
         " failed to satisfy constraint: Member must have length greater than or equal to " +
         std::to_string(rule.min));
    ok = false;
  }
  if (len > rule.max) {
    fail(shown + " failed to satisfy constraint: Member must have length less than or equal to " +
         std::to_string(rule.max));
    ok = false;
  }
  if (!rule.one_of.empty() &&
      std::find(rule.one_of.begin(), rule.one_of.end(), s) == rule.one_of.end()) {
    std::string set;
    for (auto e : rule.one_of) set += (set.empty() ? "" : ", ") + std::string(e);
    fail(shown + " failed to satisfy constraint: Member must satisfy enum value set: [" + set +
         "]");
    ok = false;
  }
  if (rule.matches != nullptr && !rule.matches(s)) {
    fail(shown + " failed to satisfy constraint: Member must satisfy regular expression pattern: " +
         std::string(rule.pattern));
    ok = false;
  }
  if (!ok) return std::nullopt;
  return s;
}

std::optional<int64_t> RequestReader::integer(std::string_view name, int64_t min, int64_t max) {
  const Json* v = member(name, false);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    type_error(name, *v, "an integer");
    return std::nullopt;
  }
  // Unsigned values above int64 range are simply too large.
  int64_t n = v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                  ? INT64_MAX
                  : v->get<int64_t>();
  std::string shown = "Value '" + v->dump() + "' at '" + path(name) + "'";
  if (n < min) {
    fail(shown + " failed to satisfy constraint: Member must have value greater than or equal to " +
         std::to_string(min));
    return std::nullopt;
  }
  if (n > max) {
    fail(shown + " failed to satisfy constraint: Member must have value less than or equal to " +
         std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> RequestReader::boolean(std::string_view name) {
  const Json* v = member(name, false);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    type_error(name, *v, "a boolean");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<Json> RequestReader::object(std::string_view name, bool required) {
  const Json* v = member(name, required);
  if (!v) return std::nullopt;
  if (!v->is_object()) {
    type_error(name, *v, "an object");
    return std::nullopt;
  }
  return *v;
}

std::optional<Json> RequestReader::list(std::string_view name, bool required, size_t max_items) {
  const Json* v = member(name, required);
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    type_error(name, *v, "a list");
    return std::nullopt;
  }
  if (v->size() > max_items) {
    fail("Value at '" + path(name) +
         "' failed to satisfy constraint: Member must have length less than or equal to " +
         std::to_string(max_items));
    return std::nullopt;
  }
  return *v;
}

void RequestReader::fail(std::string text) {
  if (parent_) {
    parent_->fail(std::move(text));
  } else {
    violations_.push_back(std::move(text));
  }
}

void RequestReader::done() const {
  if (violations_.empty()) return;
  std::string msg =
      std::to_string(violations_.size()) +
      (violations_.size() == 1 ? " validation error detected: " : " validation errors detected: ");
  for (size_t i = 0; i < violations_.size(); ++i) {
    if (i) msg += "; ";
    msg += violations_[i];
  }
  throw ApiError("ValidationException", msg);
}

size_t utf8_length(std::string_view text) {
  size_t n = 0;
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    size_t len = decode_utf8(text, i, &cp);
    i += len ? len : 1;
    ++n;
  }
  return n;
}

void check_name(const std::string& name) {
  auto invalid = [&] { throw ApiError("InvalidName", "Invalid Name: '" + name + "'"); };
  static constexpr std::string_view kForbidden = "<>{}[]?*\"#%\\^|~`$&,;:/";
  for (size_t i = 0; i < name.size();) {
    uint32_t c;
    size_t len = decode_utf8(name, i, &c);
    if (len == 0) invalid();
    i += len;
    if (c <= 0x20 || (c >= 0x7F && c <= 0x9F)) invalid();  // controls and the space
    if (c < 0x80 && kForbidden.find(static_cast<char>(c)) != std::string_view::npos) invalid();
    // Other Unicode whitespace, surrogates (never valid in UTF-8 anyway) and non-characters.
    if (c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
        c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF) {
      invalid();
    }
    if ((c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF) invalid();
  }
}

void check_json_text(const std::string& text, const char* error_type, const char* prefix) {
  // nlohmann stops reading at a NUL byte as if the text ended there; JSON text never holds one.
  if (text.find('\0') != std::string::npos) {
    throw ApiError(error_type, std::string(prefix) + ": 'the JSON text contains a NUL byte'");
  }
  // accept() checks without building a tree, so a deeply nested payload costs no memory.
  if (Json::accept(text)) {
    if (json_depth(text) <= kMaxPayloadDepth) return;
    throw ApiError(error_type, std::string(prefix) + ": 'the JSON is nested more than " +
                                   std::to_string(kMaxPayloadDepth) + " levels deep'");
  }
  std::string detail = "not valid JSON";
  try {
    Json ignored = Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for 1e400
    detail = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " tag; users need the rest only.
    if (auto pos = detail.find("] ");
        detail.starts_with("[json.exception") && pos != std::string::npos) {
      detail = detail.substr(pos + 2);
    }
  }
  throw ApiError(error_type, std::string(prefix) + ": '" + detail + "'");
}

// Tags are accepted (and not kept: stepd has no tag operations) but must be well formed.
// Returns how many there are.
size_t read_tags(RequestReader& r) {
  auto tags = r.list("tags");
  if (!tags) return 0;
  for (size_t i = 0; i < tags->size(); ++i) {
    const Json& t = (*tags)[i];
    std::string at = "tags." + std::to_string(i + 1);
    if (!t.is_object()) {
      r.fail("Value at '" + at + "' failed to satisfy constraint: Member must be an object");
      continue;
    }
    for (const char* m : {"key", "value"}) {
      auto it = t.find(m);
      if (it != t.end() && !it->is_null() && !it->is_string()) {
        r.fail("Value '" + it->dump() + "' at '" + at + ".member." + m +
               "' failed to satisfy constraint: Member must be a string");
      }
    }
  }
  return tags->size();
}

void check_tag_count(size_t count) {
  if (count > 50) throw ApiError("TooManyTags", "The number of tags exceeds the limit of 50.");
}

void check_encryption(const std::optional<Json>& enc) {
  if (!enc) return;
  auto type = enc->find("type");
  if (type != enc->end() && *type != "AWS_OWNED_KEY") {
    throw ApiError("InvalidEncryptionConfiguration",
                   "Invalid Encryption Configuration: stepd supports only AWS_OWNED_KEY");
  }
}

Json timestamp(int64_t epoch_ms) {
  return Json(static_cast<double>(epoch_ms) / 1000.0);
}

}  // namespace stepd::ops
