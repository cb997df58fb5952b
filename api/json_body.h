#pragma once
// Turning untrusted request bytes into a JSON object, with limits. nlohmann's parser recurses once
// per nesting level and its ordered objects find keys by linear search, so a hostile body can
// exhaust the stack or burn seconds of CPU. A cheap pre-scan rejects both shapes before parsing.
#include <cstddef>
#include <string_view>

#include "core/common/json.h"

namespace stepd::api {

struct JsonLimits {
  // AWS request bodies nest a handful of levels (definitions and inputs travel as strings); the
  // REST door accepts inline JSON values, which rarely pass 20. 128 leaves room and keeps the
  // parser's recursion far from the thread's stack limit.
  std::size_t max_depth = 128;
  // Members of one object. ordered_json finds keys by linear search, so parsing an object costs
  // the square of its member count: measured, 1,000 members take about 1 ms and 10,000 about
  // 200 ms, and a 3 MiB body could hold dozens of the latter. Arrays are linear and not limited.
  std::size_t max_object_members = 1000;
};

// Parses `body` as a JSON object; an empty body is `{}`. Throws ApiError SerializationException
// (400) for malformed JSON (including NUL bytes and numbers beyond double's range), a body that
// is not an object, or a body beyond the limits.
Json parse_json_object(std::string_view body, const JsonLimits& limits = {});

// The pre-scan alone: throws ApiError SerializationException when `text` nests deeper than
// `max_depth`, has an object with more than `max_object_members` members, or holds a NUL byte.
// Does not validate
// syntax; the parser does that afterwards.
void check_json_limits(std::string_view text, const JsonLimits& limits);

}  // namespace stepd::api
