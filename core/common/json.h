#pragma once
// One JSON type for the whole server. ordered_json keeps object members in insertion order,
// which Step Functions preserves too: States.JsonToString, States.Format and execution output
// text must come out with keys in the order the user wrote them.
#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace stepd {
using Json = nlohmann::ordered_json;

// Deepest nesting of objects and arrays in JSON text, counted without building anything, so
// that hostile input is refused before any recursive code (the parser, the engine) sees it.
size_t json_depth(std::string_view text);
}  // namespace stepd
