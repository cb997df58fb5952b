#pragma once
// Building and reading Step Functions ARNs. Resources are looked up by their whole ARN text;
// parsing only decides InvalidArn (not an ARN, or an ARN of another resource type) before any
// lookup, the way AWS answers.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stepd::ops {

struct Arn {
  std::string partition;
  std::string region;
  std::string account;
  std::string resource_type;       // stateMachine, execution, activity, express, mapRun ...
  std::vector<std::string> parts;  // what follows the type, split on ':'
};

std::string state_machine_arn(const std::string& region, const std::string& account,
                              const std::string& name);
std::string execution_arn(const std::string& region, const std::string& account,
                          const std::string& state_machine_name, const std::string& name);
std::string activity_arn(const std::string& region, const std::string& account,
                         const std::string& name);

// arn:PARTITION:states:REGION:ACCOUNT:TYPE:PART[:PART...]; nullopt when it is not one.
std::optional<Arn> parse_states_arn(std::string_view text);

// Throws ApiError InvalidArn unless `text` is a states ARN of `resource_type` with between
// min_parts and max_parts parts after the type.
Arn require_states_arn(std::string_view text, std::string_view resource_type, size_t min_parts,
                       size_t max_parts);

// Any ARN (arn:partition:service:region:account:resource), e.g. an IAM role.
bool is_arn(std::string_view text);

}  // namespace stepd::ops
