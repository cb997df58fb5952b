#pragma once
// The AWS JSON door: POST / with X-Amz-Target: AWSStepFunctions.<Action> (JSON 1.0) and the
// action's request object as the body. This is what the AWS SDKs and CLI speak; the mapping to
// an operation is one-to-one, so the adapter only checks the envelope. The same door serves the
// Redshift Data API (X-Amz-Target: RedshiftData.<Action>, JSON 1.1) over stepd's SQL targets, so
// `aws redshift-data --endpoint-url` can follow the statements SQL steps run; those operations
// keep their prefix ("RedshiftData.DescribeStatement").
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "api/json_body.h"
#include "core/common/json.h"

namespace stepd::api {

inline constexpr std::string_view kAwsJsonContentType = "application/x-amz-json-1.0";
inline constexpr std::string_view kAwsTargetPrefix = "AWSStepFunctions.";
inline constexpr std::string_view kRedshiftDataTargetPrefix = "RedshiftData.";

struct AwsJsonCall {
  std::string action;
  Json request;
};

// `target` is the X-Amz-Target header, nullopt when absent. A missing or foreign target, or an
// action outside `actions`, is UnknownOperationException; a bad body is SerializationException.
// Content-Type is not checked: the body has to be a JSON object whatever it claims to be, and
// hand-written curl requests default to a form type.
AwsJsonCall prepare_aws_json_call(const std::optional<std::string>& target, std::string_view body,
                                  const std::unordered_set<std::string>& actions,
                                  const JsonLimits& limits);

}  // namespace stepd::api
