#include "api/route_table.h"

namespace stepd::api {

namespace {

constexpr QueryParam kMaxResults{"maxResults", QueryType::kInteger};
constexpr QueryParam kNextToken{"nextToken", QueryType::kString};
constexpr QueryParam kIncludedData{"includedData", QueryType::kString};

std::vector<Route> make_table() {
  using K = RouteKind;
  return {
      {"POST", "/", K::kAwsJson, {}, false, {}, {}, false},
      {"GET", "/healthz", K::kHealth, {}, false, {}, {}, false},
      {"GET", "/metrics", K::kMetrics, {}, false, {}, {}, false},

      {"POST",
       "/v1/state-machines",
       K::kRest,
       "CreateStateMachine",
       true,
       {},
       {"definition"},
       false},
      {"GET",
       "/v1/state-machines",
       K::kRest,
       "ListStateMachines",
       false,
       {kMaxResults, kNextToken},
       {},
       false},
      {"GET",
       "/v1/state-machines/{stateMachine}",
       K::kRest,
       "DescribeStateMachine",
       false,
       {kIncludedData},
       {},
       false},
      {"PUT",
       "/v1/state-machines/{stateMachine}",
       K::kRest,
       "UpdateStateMachine",
       true,
       {},
       {"definition"},
       false},
      {"PATCH",
       "/v1/state-machines/{stateMachine}",
       K::kRest,
       "UpdateStateMachine",
       true,
       {},
       {"definition"},
       false},
      {"DELETE",
       "/v1/state-machines/{stateMachine}",
       K::kRest,
       "DeleteStateMachine",
       false,
       {},
       {},
       false},
      {"POST",
       "/v1/state-machines/{stateMachine}/executions",
       K::kRest,
       "StartExecution",
       true,
       {},
       {"input"},
       true},
      {"GET",
       "/v1/state-machines/{stateMachine}/executions",
       K::kRest,
       "ListExecutions",
       false,
       {{"statusFilter", QueryType::kString},
        {"redriveFilter", QueryType::kString},
        kMaxResults,
        kNextToken},
       {},
       false},

      {"GET",
       "/v1/executions/{executionArn}",
       K::kRest,
       "DescribeExecution",
       false,
       {kIncludedData},
       {},
       true},
      {"POST",
       "/v1/executions/{executionArn}/stop",
       K::kRest,
       "StopExecution",
       true,
       {},
       {},
       false},
      {"POST",
       "/v1/executions/{executionArn}/redrive",
       K::kRest,
       "RedriveExecution",
       true,
       {},
       {},
       false},
      {"GET",
       "/v1/executions/{executionArn}/history",
       K::kRest,
       "GetExecutionHistory",
       false,
       {kMaxResults,
        kNextToken,
        {"reverseOrder", QueryType::kBoolean},
        {"includeExecutionData", QueryType::kBoolean}},
       {},
       false},
      {"GET",
       "/v1/executions/{executionArn}/state-machine",
       K::kRest,
       "DescribeStateMachineForExecution",
       false,
       {kIncludedData},
       {},
       false},

      {"POST", "/v1/tasks/success", K::kRest, "SendTaskSuccess", true, {}, {"output"}, false},
      {"POST", "/v1/tasks/failure", K::kRest, "SendTaskFailure", true, {}, {}, false},
      {"POST", "/v1/tasks/heartbeat", K::kRest, "SendTaskHeartbeat", true, {}, {}, false},

      {"POST", "/v1/activities", K::kRest, "CreateActivity", true, {}, {}, false},
      {"GET",
       "/v1/activities",
       K::kRest,
       "ListActivities",
       false,
       {kMaxResults, kNextToken},
       {},
       false},
      {"GET", "/v1/activities/{activity}", K::kRest, "DescribeActivity", false, {}, {}, false},
      {"DELETE", "/v1/activities/{activity}", K::kRest, "DeleteActivity", false, {}, {}, false},
      {"POST", "/v1/activities/{activity}/tasks", K::kRest, "GetActivityTask", true, {}, {}, false},

      {"POST",
       "/v1/validate",
       K::kRest,
       "ValidateStateMachineDefinition",
       true,
       {},
       {"definition"},
       false},
      {"POST",
       "/v1/test-state",
       K::kRest,
       "TestState",
       true,
       {},
       {"definition", "input", "variables", "context"},
       false},
  };
}

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::vector<Route>& route_table() {
  static const std::vector<Route> table = make_table();
  return table;
}

std::optional<std::string> percent_decode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= encoded.size()) return std::nullopt;
    int hi = hex_value(encoded[i + 1]);
    int lo = hex_value(encoded[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::optional<RouteMatch> match_route(std::string_view method, std::string_view raw_path) {
  if (raw_path.size() > 1 && raw_path.back() == '/') raw_path.remove_suffix(1);
  const auto segments = split_segments(raw_path);
  if (segments.empty()) return std::nullopt;

  std::optional<RouteMatch> result;
  for (const Route& route : route_table()) {
    const auto pattern = split_segments(route.path);
    if (pattern.size() != segments.size()) continue;
    std::vector<std::pair<std::string, std::string>> params;
    bool ok = true;
    for (std::size_t i = 0; i < pattern.size() && ok; ++i) {
      const auto p = pattern[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        auto value = percent_decode(segments[i]);
        if (segments[i].empty() || !value) {
          ok = false;
        } else {
          params.emplace_back(std::string(p.substr(1, p.size() - 2)), std::move(*value));
        }
      } else {
        ok = p == segments[i];
      }
    }
    if (!ok) continue;
    if (!result) result.emplace();
    result->allowed_methods.push_back(route.method);
    if (!result->route && route.method == method) {
      result->route = &route;
      result->params = std::move(params);
    }
  }
  return result;
}

}  // namespace stepd::api
