#pragma once
// One JSON type for the whole server. ordered_json keeps object members in insertion order,
// which Step Functions preserves too: States.JsonToString, States.Format and execution output
// text must come out with keys in the order the user wrote them.
#include <nlohmann/json.hpp>

namespace stepd {
using Json = nlohmann::ordered_json;
}  // namespace stepd
