#include "api/rest_adapter.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/common/api_error.h"

namespace stepd::api {

namespace {

ApiError validation_error(std::string message) {
  return ApiError("ValidationException", std::move(message), 400);
}

bool is_arn(std::string_view s) {
  return s.substr(0, 4) == "arn:";
}

std::string arn_prefix(const ArnScope& scope) {
  return "arn:aws:states:" + scope.region + ":" + scope.account + ":";
}

// How a path parameter becomes a request field.
struct PathParamRule {
  std::string_view param;
  std::string_view field;
  std::string (*to_arn)(std::string_view, const ArnScope&);
};

constexpr PathParamRule kPathParams[] = {
    {"stateMachine", "stateMachineArn", &state_machine_arn},
    {"activity", "activityArn", &activity_arn},
    {"executionArn", "executionArn", &execution_arn},
};

const PathParamRule& path_param_rule(std::string_view param) {
  for (const auto& rule : kPathParams) {
    if (rule.param == param) return rule;
  }
  // The route table and this list are written together; a miss is a programming error.
  throw std::logic_error("route parameter without a rule: " + std::string(param));
}

Json query_value(const QueryParam& param, const std::string& raw) {
  switch (param.type) {
    case QueryType::kString:
      return raw;
    case QueryType::kInteger: {
      long long value = 0;
      auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
      if (raw.empty() || ec != std::errc() || end != raw.data() + raw.size()) {
        throw validation_error("query parameter " + std::string(param.name) +
                               " must be an integer, got '" + raw + "'");
      }
      return value;
    }
    case QueryType::kBoolean: {
      std::string lower = raw;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower == "true") return true;
      if (lower == "false") return false;
      throw validation_error("query parameter " + std::string(param.name) +
                             " must be true or false, got '" + raw + "'");
    }
  }
  return raw;
}

int parse_wait(const std::string& raw) {
  int value = -1;
  auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
  if (raw.empty() || ec != std::errc() || end != raw.data() + raw.size() || value < 0 ||
      value > kMaxWaitSeconds) {
    throw validation_error("query parameter wait must be a whole number of seconds from 0 to " +
                           std::to_string(kMaxWaitSeconds) + ", got '" + raw + "'");
  }
  return value;
}

std::string accepted_query_names(const Route& route) {
  std::string names;
  for (const auto& q : route.query) names += (names.empty() ? "" : ", ") + std::string(q.name);
  if (route.supports_wait) names += (names.empty() ? "" : ", ") + std::string("wait");
  return names.empty() ? "none" : names;
}

}  // namespace

std::string state_machine_arn(std::string_view name_or_arn, const ArnScope& scope) {
  if (is_arn(name_or_arn)) return std::string(name_or_arn);
  return arn_prefix(scope) + "stateMachine:" + std::string(name_or_arn);
}

std::string activity_arn(std::string_view name_or_arn, const ArnScope& scope) {
  if (is_arn(name_or_arn)) return std::string(name_or_arn);
  return arn_prefix(scope) + "activity:" + std::string(name_or_arn);
}

std::string execution_arn(std::string_view name_or_arn, const ArnScope& scope) {
  if (is_arn(name_or_arn)) return std::string(name_or_arn);
  // Names cannot contain ':', so "machine:run" is unambiguous; a bare name is not, because
  // execution names are only unique within their state machine.
  if (name_or_arn.find(':') == std::string_view::npos) {
    throw validation_error("expected an execution ARN or STATE_MACHINE:EXECUTION, got '" +
                           std::string(name_or_arn) + "'");
  }
  return arn_prefix(scope) + "execution:" + std::string(name_or_arn);
}

QueryParams parse_query(std::string_view raw_query) {
  QueryParams out;
  while (!raw_query.empty()) {
    auto amp = raw_query.find('&');
    std::string_view part = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto key = percent_decode(part.substr(0, eq));
    auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    if (!key || !value) throw validation_error("malformed percent-escape in the query string");
    for (const auto& [k, v] : out) {
      if (k == *key) throw validation_error("query parameter " + *key + " is given twice");
    }
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

RestCall prepare_rest_call(const RouteMatch& match, std::string_view raw_query,
                           std::string_view body, const ArnScope& scope, const JsonLimits& limits) {
  const Route& route = *match.route;
  RestCall call;
  call.action = std::string(route.action);
  // A body on a route that takes none (GET, DELETE) is ignored, as most HTTP servers do.
  call.request = route.has_body ? parse_json_object(body, limits) : Json::object();

  for (auto field : route.json_text_fields) {
    auto it = call.request.find(std::string(field));
    if (it != call.request.end() && !it->is_string()) {
      // error_handler replace: the value came from our own parser, so this is defensive only.
      *it = it->dump(-1, ' ', false, Json::error_handler_t::replace);
    }
  }

  for (const auto& [param, value] : match.params) {
    const auto& rule = path_param_rule(param);
    std::string arn = rule.to_arn(value, scope);
    std::string field(rule.field);
    auto it = call.request.find(field);
    if (it != call.request.end() && *it != arn) {
      throw validation_error("body field " + field + " contradicts the path (" + arn + ")");
    }
    call.request[field] = std::move(arn);
  }

  for (const auto& [name, value] : parse_query(raw_query)) {
    if (route.supports_wait && name == "wait") {
      call.wait_seconds = parse_wait(value);
      continue;
    }
    auto q = std::find_if(route.query.begin(), route.query.end(),
                          // clang before 16 cannot capture a structured binding
                          [&key = name](const QueryParam& p) { return p.name == key; });
    if (q == route.query.end()) {
      throw validation_error("unknown query parameter " + name +
                             " (accepted: " + accepted_query_names(route) + ")");
    }
    call.request[name] = query_value(*q, value);
  }
  return call;
}

int waited_execution_status(const Json& description) {
  auto it = description.find("status");
  const std::string status =
      it != description.end() && it->is_string() ? it->get<std::string>() : std::string();
  if (status == "SUCCEEDED") return 200;
  if (status == "RUNNING") return 202;
  return 409;
}

}  // namespace stepd::api
