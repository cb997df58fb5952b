#pragma once
// The REST door under /v1, for people with curl. Each route of the route table names one AWS
// action; this adapter builds that action's AWS request from the path, the query string and the
// body, so both doors share the operations, their validation and their errors.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/json_body.h"
#include "api/route_table.h"
#include "core/common/json.h"

namespace stepd::api {

inline constexpr std::string_view kRestContentType = "application/json";
inline constexpr int kMaxWaitSeconds = 300;

// Where plain names in paths live: `orders` becomes
// arn:aws:states:<region>:<account>:stateMachine:orders.
struct ArnScope {
  std::string region = "us-east-1";
  std::string account = "123456789012";
};

struct RestCall {
  std::string action;
  Json request;
  std::optional<int> wait_seconds;  // ?wait=N on routes that support it
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits and percent-decodes a raw query string. A malformed escape or a repeated parameter is
// a ValidationException.
QueryParams parse_query(std::string_view raw_query);

// Builds the AWS request for a matched REST route (match.route must be set). Throws ApiError:
// ValidationException for bad query values or a body field contradicting the path,
// SerializationException for a bad body.
RestCall prepare_rest_call(const RouteMatch& match, std::string_view raw_query,
                           std::string_view body, const ArnScope& scope, const JsonLimits& limits);

// ARNs from path segments: an ARN is kept as given, anything else is a name in `scope`.
// Executions are named STATE_MACHINE:EXECUTION when not given as an ARN.
std::string state_machine_arn(std::string_view name_or_arn, const ArnScope& scope);
std::string activity_arn(std::string_view name_or_arn, const ArnScope& scope);
std::string execution_arn(std::string_view name_or_arn, const ArnScope& scope);

// The HTTP status of a ?wait answer, from the DescribeExecution it carries: 200 SUCCEEDED,
// 202 still RUNNING when the wait ended, 409 for any other end (FAILED, TIMED_OUT, ABORTED,
// PENDING_REDRIVE) so that `curl -f` exits non-zero when the workflow did not succeed.
int waited_execution_status(const Json& description);

}  // namespace stepd::api
