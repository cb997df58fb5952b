#include "api/aws_json_adapter.h"

#include "core/common/api_error.h"

namespace stepd::api {

AwsJsonCall prepare_aws_json_call(const std::optional<std::string>& target, std::string_view body,
                                  const std::unordered_set<std::string>& actions,
                                  const JsonLimits& limits) {
  if (!target || target->empty()) {
    throw ApiError("UnknownOperationException", "missing X-Amz-Target header", 400);
  }
  std::string_view t = *target;
  std::string action;
  if (t.starts_with(kAwsTargetPrefix)) {
    action = t.substr(kAwsTargetPrefix.size());
  } else if (t.starts_with(kRedshiftDataTargetPrefix)) {
    action = t;
  } else {
    throw ApiError("UnknownOperationException", "unknown X-Amz-Target: " + *target, 400);
  }
  if (!actions.contains(action)) {
    throw ApiError("UnknownOperationException", "unknown operation: " + action, 400);
  }
  return {std::move(action), parse_json_object(body, limits)};
}

}  // namespace stepd::api
