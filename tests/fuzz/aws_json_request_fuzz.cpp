// The AWS JSON door's request decoding: an X-Amz-Target header (first line; an empty first line
// is a request without the header) and a body (the rest), as the server's limits allow them.
// The body is also given to parse_json_object alone, with the server's limits and tight ones.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_set>

#include "api/aws_json_adapter.h"
#include "api/json_body.h"
#include "api/route_table.h"
#include "core/common/api_error.h"
#include "tests/fuzz/fuzz_input.h"

using namespace stepd;

namespace {

// Every action the REST door names, and the Redshift Data API's: the server's set is the same.
const std::unordered_set<std::string>& known_actions() {
  static const std::unordered_set<std::string> actions = [] {
    std::unordered_set<std::string> out = {"RedshiftData.ExecuteStatement",
                                           "RedshiftData.DescribeStatement",
                                           "RedshiftData.GetStatementResult"};
    for (const api::Route& route : api::route_table()) {
      if (!route.action.empty()) out.emplace(route.action);
    }
    return out;
  }();
  return actions;
}

void check_object(const Json& request) {
  if (!request.is_object()) std::abort();  // the door promises an object or an ApiError
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  size_t line_end = text.find('\n');
  std::optional<std::string> target;
  std::string_view body = text;
  if (line_end != std::string_view::npos) {
    if (line_end > 0) target = std::string(text.substr(0, line_end));
    body = text.substr(line_end + 1);
  }

  try {
    api::AwsJsonCall call = api::prepare_aws_json_call(target, body, known_actions(), {});
    if (!known_actions().contains(call.action)) std::abort();
    check_object(call.request);
  } catch (const ApiError&) {
  }

  api::JsonLimits tight;
  tight.max_depth = 4;
  tight.max_object_members = 3;
  for (const api::JsonLimits& limits : {api::JsonLimits{}, tight}) {
    try {
      check_object(api::parse_json_object(text, limits));
    } catch (const ApiError&) {
    }
  }
  return 0;
}
