#pragma once
// Every (method, path) the server answers, as one table. The dispatcher matches requests against
// it, the REST adapter reads how to build each action's request from it, and a test checks that
// openapi.yaml documents exactly these routes. Adding a route is adding a row.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stepd::api {

enum class RouteKind {
  kAwsJson,  // POST /, the AWS JSON 1.0 door (X-Amz-Target names the action)
  kHealth,   // GET /healthz
  kMetrics,  // GET /metrics, Prometheus text format
  kRest,     // /v1/..., one AWS action per route
};

enum class QueryType { kString, kInteger, kBoolean };

// A query parameter of a REST route. Its name is the AWS request field it fills.
struct QueryParam {
  std::string_view name;
  QueryType type;
};

struct Route {
  std::string_view method;  // upper case, as on the wire
  std::string_view path;    // template; a "{name}" segment matches any one segment
  RouteKind kind;
  // The rest applies to kRest routes only.
  std::string_view action;        // the AWS action the route invokes
  bool has_body = false;          // a JSON object body supplies request fields
  std::vector<QueryParam> query;  // accepted query parameters; any other is rejected
  // Body fields that AWS types as strings holding JSON text (input, output, definition). Over
  // REST they may also be given as JSON values, which are serialised into the string.
  std::vector<std::string_view> json_text_fields;
  bool supports_wait = false;  // ?wait=SECONDS waits for the execution to finish
};

// The table, in the order the routes are documented.
const std::vector<Route>& route_table();

struct RouteMatch {
  const Route* route = nullptr;  // null when the path is known but not for this method
  // Path parameters by template name, percent-decoded ("{executionArn}" -> "arn:aws:...").
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string_view> allowed_methods;  // every method the path accepts
};

// Matches a raw (still percent-encoded) request path, without its query string. nullopt when
// no route has this path under any method. A single trailing slash is ignored.
std::optional<RouteMatch> match_route(std::string_view method, std::string_view raw_path);

// Percent-decoding of one path segment or query component; nullopt for a malformed escape.
// '+' stays '+': pagination tokens are base64 and clients rarely escape it.
std::optional<std::string> percent_decode(std::string_view encoded);

}  // namespace stepd::api
