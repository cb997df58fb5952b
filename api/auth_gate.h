#pragma once
// Where authentication meets HTTP: turns a cpprestsdk request into what core/auth checks and
// names the action it calls (from X-Amz-Target on POST /, from the route on /v1), so that one
// policy covers both front doors. The checking itself lives in core/auth.
#include <string_view>

#include "api/cpprest.h"
#include "api/route_table.h"
#include "core/auth/authenticator.h"

namespace stepd::api {

// What GET /metrics counts as in the role policy (core/auth/keys.cpp): not an AWS action.
inline constexpr std::string_view kMetricsAction = "GetMetrics";

// The action a request calls: "StartExecution", "RedshiftData.DescribeStatement"; "" when
// POST / names no known target (the adapter then refuses it, once the caller is known).
std::string action_of(const web::http::http_request& request, const RouteMatch& match);

// Throws ApiError when `authenticator` refuses the request; a null authenticator lets
// everything through (tests of the HTTP layer alone).
void authorize_request(const auth::Authenticator* authenticator,
                       const web::http::http_request& request, const RouteMatch& match,
                       std::string_view body);

}  // namespace stepd::api
