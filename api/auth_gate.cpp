#include "api/auth_gate.h"

#include "api/aws_json_adapter.h"

namespace stepd::api {

std::string action_of(const web::http::http_request& request, const RouteMatch& match) {
  if (match.route && match.route->kind == RouteKind::kRest) return std::string(match.route->action);
  if (match.route && match.route->kind == RouteKind::kMetrics) return std::string(kMetricsAction);
  auto it = request.headers().find("X-Amz-Target");
  if (it == request.headers().end()) return "";
  std::string_view target = it->second;
  if (target.starts_with(kAwsTargetPrefix))
    return std::string(target.substr(kAwsTargetPrefix.size()));
  if (target.starts_with(kRedshiftDataTargetPrefix)) return std::string(target);
  return "";
}

void authorize_request(const auth::Authenticator* authenticator,
                       const web::http::http_request& request, const RouteMatch& match,
                       std::string_view body) {
  if (!authenticator) return;
  auth::HttpRequestView view;
  view.method = request.method();
  // Raw, still percent-encoded: SigV4 signs the path and query as they were sent.
  view.path = request.request_uri().path();
  view.query = request.request_uri().query();
  for (const auto& [name, value] : request.headers()) view.headers.emplace_back(name, value);
  view.body = body;
  authenticator->check(view, action_of(request, match));
}

}  // namespace stepd::api
