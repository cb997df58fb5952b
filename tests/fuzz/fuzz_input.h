#pragma once
// What the fuzz targets share: how one input is cut into parts, and the documents an expression
// is evaluated against when the input brings none.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "core/common/json.h"

namespace stepd::fuzz {

// Targets that take two texts (a path and a document, a rule and an input ...) read them from
// one input cut at the first separator line, so that seeds stay readable text files.
inline constexpr std::string_view kPartSeparator = "\n---\n";

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// {before, after} the first separator; `after` is empty when there is none.
inline std::pair<std::string_view, std::string_view> split_parts(std::string_view text) {
  size_t at = text.find(kPartSeparator);
  if (at == std::string_view::npos) return {text, {}};
  return {text.substr(0, at), text.substr(at + kPartSeparator.size())};
}

// An execution input, parsed as the server accepts one: nested at most as deep as StartExecution
// allows (kMaxPayloadDepth in core/ops/validation.h), nullopt when it is not JSON.
inline std::optional<Json> parse_document(std::string_view text) {
  constexpr size_t kMaxPayloadDepth = 1000;
  if (json_depth(text) > kMaxPayloadDepth) return std::nullopt;
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::nullopt;
  return doc;
}

// The document used when an input has no second part: every JSON type, nesting, arrays of
// objects, numbers that are integers, doubles and large, timestamps and strings with escapes.
inline const Json& sample_document() {
  static const Json doc = Json::parse(R"({
    "name": "Ada", "count": 3, "ratio": 0.5, "big": 9007199254740993, "neg": -7,
    "flag": true, "nothing": null, "when": "2024-02-29T12:00:00Z", "text": "a{}b\\'c",
    "items": [1, 2, 3, 4, 5], "empty": [], "obj": {},
    "store": {"book": [{"title": "A", "price": 8.95, "tags": ["x"]},
                       {"title": "B", "price": 12, "isbn": "0-1"}],
              "bicycle": {"color": "red", "price": 19.95}},
    "json": "{\"a\": [1, {\"b\": null}]}",
    "nested": {"a": {"b": {"c": [[1, 2], [3, [4, {"d": "e"}]]]}}}
  })");
  return doc;
}

// The document an input's second part names: that part parsed (kept in `storage`), or the sample
// document when there is no second part; null when the part is not a document the server would
// accept, and the input is skipped.
inline const Json* document_or_sample(std::string_view text, std::optional<Json>& storage) {
  if (text.empty()) return &sample_document();
  storage = parse_document(text);
  return storage ? &*storage : nullptr;
}

// A context object shaped like the engine's ($$).
inline const Json& sample_context() {
  static const Json ctx = Json::parse(R"({
    "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:m:e", "Name": "e",
                  "Input": {"k": 1}, "StartTime": "2024-01-01T00:00:00.000Z",
                  "RoleArn": "arn:aws:iam::123456789012:role/r", "RedriveCount": 0},
    "State": {"Name": "S", "EnteredTime": "2024-01-01T00:00:01.000Z", "RetryCount": 0},
    "StateMachine": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:m", "Name": "m"},
    "Task": {"Token": "AQAAAAAAAAAB"},
    "Map": {"Item": {"Index": 2, "Value": {"v": [1, 2]}}}
  })");
  return ctx;
}

// Workflow variables ($name).
inline const Json& sample_variables() {
  static const Json vars = Json::parse(R"({"x": 1, "list": [1, "two", null], "o": {"k": "v"}})");
  return vars;
}

}  // namespace stepd::fuzz
