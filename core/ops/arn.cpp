#include "core/ops/arn.h"

#include "core/common/api_error.h"

namespace stepd::ops {
namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string prefix(const std::string& region, const std::string& account) {
  return "arn:aws:states:" + region + ":" + account + ":";
}

}  // namespace

std::string state_machine_arn(const std::string& region, const std::string& account,
                              const std::string& name) {
  return prefix(region, account) + "stateMachine:" + name;
}

std::string execution_arn(const std::string& region, const std::string& account,
                          const std::string& state_machine_name, const std::string& name) {
  return prefix(region, account) + "execution:" + state_machine_name + ":" + name;
}

std::string activity_arn(const std::string& region, const std::string& account,
                         const std::string& name) {
  return prefix(region, account) + "activity:" + name;
}

std::optional<Arn> parse_states_arn(std::string_view text) {
  auto fields = split(text, ':');
  if (fields.size() < 7 || fields[0] != "arn" || fields[2] != "states") return std::nullopt;
  // Partitions are aws, aws-cn, aws-us-gov ...
  if (fields[1].rfind("aws", 0) != 0) return std::nullopt;
  Arn arn;
  arn.partition = fields[1];
  arn.region = fields[3];
  arn.account = fields[4];
  arn.resource_type = fields[5];
  if (arn.region.empty() || arn.account.empty() || arn.resource_type.empty()) return std::nullopt;
  arn.parts.assign(fields.begin() + 6, fields.end());
  for (const auto& p : arn.parts) {
    if (p.empty()) return std::nullopt;
  }
  return arn;
}

Arn require_states_arn(std::string_view text, std::string_view resource_type, size_t min_parts,
                       size_t max_parts) {
  auto arn = parse_states_arn(text);
  if (!arn) throw ApiError("InvalidArn", "Invalid Arn: '" + std::string(text) + "'");
  if (arn->resource_type != resource_type) {
    throw ApiError("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: " +
                                     arn->resource_type + "'");
  }
  if (arn->parts.size() < min_parts || arn->parts.size() > max_parts) {
    throw ApiError("InvalidArn", "Invalid Arn: '" + std::string(text) + "'");
  }
  return *arn;
}

bool is_arn(std::string_view text) {
  auto fields = split(text, ':');
  return fields.size() >= 6 && fields[0] == "arn" && !fields[1].empty() && !fields[2].empty() &&
         !fields[5].empty();
}

}  // namespace stepd::ops
