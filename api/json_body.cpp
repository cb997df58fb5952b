#include "api/json_body.h"

#include <string>
#include <vector>

#include "core/common/api_error.h"

namespace stepd::api {

namespace {

ApiError serialization_error(std::string message) {
  return ApiError("SerializationException", std::move(message), 400);
}

bool only_whitespace(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

void check_json_limits(std::string_view text, const JsonLimits& limits) {
  // Members per open container (arrays are counted as 0 and never grow): a comma outside
  // strings separates two entries of the innermost container, so counting commas needs no parse.
  constexpr std::size_t kArray = 0;
  std::vector<std::size_t> entries;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        if (entries.size() >= limits.max_depth) {
          throw serialization_error("JSON nests deeper than " + std::to_string(limits.max_depth) +
                                    " levels");
        }
        entries.push_back(c == '{' ? 1 : kArray);
        break;
      case '}':
      case ']':
        if (!entries.empty()) entries.pop_back();
        break;
      case ',':
        if (!entries.empty() && entries.back() != kArray &&
            ++entries.back() > limits.max_object_members) {
          throw serialization_error("a JSON object has more than " +
                                    std::to_string(limits.max_object_members) + " members");
        }
        break;
      default:
        break;
    }
  }
}

Json parse_json_object(std::string_view body, const JsonLimits& limits) {
  if (only_whitespace(body)) return Json::object();
  check_json_limits(body, limits);
  Json parsed;
  try {
    parsed = Json::parse(body);
  } catch (const Json::exception& e) {
    // nlohmann's message names the byte offset and what it expected, which is what a person
    // fixing a hand-written body needs. Not only parse_error: a number beyond a double's range
    // (1e400) is out_of_range.
    throw serialization_error(std::string("request body is not valid JSON: ") + e.what());
  }
  if (!parsed.is_object()) {
    throw serialization_error("request body must be a JSON object");
  }
  return parsed;
}

}  // namespace stepd::api
