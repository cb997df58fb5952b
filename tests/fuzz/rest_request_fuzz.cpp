// The REST door's request preparation: "METHOD /path?query" on the first line, the body after
// it. Routing, percent-decoding, query parsing and building the AWS request from path, query and
// body, as the server does before any operation runs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/rest_adapter.h"
#include "api/route_table.h"
#include "core/common/api_error.h"
#include "tests/fuzz/fuzz_input.h"

using namespace stepd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  size_t line_end = text.find('\n');
  std::string_view line = text.substr(0, line_end);
  std::string_view body =
      line_end == std::string_view::npos ? std::string_view{} : text.substr(line_end + 1);
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  std::string_view method = line.substr(0, space);
  std::string_view target = line.substr(space + 1);
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

  (void)api::percent_decode(path);
  try {
    (void)api::parse_query(query);
  } catch (const ApiError&) {
  }

  std::optional<api::RouteMatch> match = api::match_route(method, path);
  if (!match || !match->route || match->route->kind != api::RouteKind::kRest) return 0;
  api::ArnScope scope;
  try {
    api::RestCall call = api::prepare_rest_call(*match, query, body, scope, {});
    if (!call.request.is_object() || call.action != match->route->action) std::abort();
    if (call.wait_seconds) {
      // What the server then reads without further checks (http_server.cpp, serve_rest).
      if (*call.wait_seconds < 0 || *call.wait_seconds > api::kMaxWaitSeconds) std::abort();
      if (call.action != "StartExecution") {
        auto arn = call.request.find("executionArn");
        if (arn == call.request.end() || !arn->is_string()) std::abort();
      }
    }
  } catch (const ApiError&) {
  }
  for (std::string_view segment : {path, query}) {
    try {
      (void)api::state_machine_arn(segment, scope);
      (void)api::activity_arn(segment, scope);
      (void)api::execution_arn(segment, scope);
    } catch (const ApiError&) {  // a name that is no execution name is a ValidationException
    }
  }
  return 0;
}
