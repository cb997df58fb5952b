#include "core/asl/choice_rule.h"

#include <stdexcept>
#include <utility>

#include "core/asl/eval_scope.h"
#include "core/asl/json_path.h"
#include "core/asl/timestamp.h"
#include "core/common/states_error.h"

namespace stepd::asl {
namespace {

struct OpName {
  ChoiceOp op;
  const char* name;
};

constexpr OpName kOpNames[] = {
    {ChoiceOp::kAnd, "And"},
    {ChoiceOp::kOr, "Or"},
    {ChoiceOp::kNot, "Not"},
    {ChoiceOp::kStringEquals, "StringEquals"},
    {ChoiceOp::kStringLessThan, "StringLessThan"},
    {ChoiceOp::kStringGreaterThan, "StringGreaterThan"},
    {ChoiceOp::kStringLessThanEquals, "StringLessThanEquals"},
    {ChoiceOp::kStringGreaterThanEquals, "StringGreaterThanEquals"},
    {ChoiceOp::kStringMatches, "StringMatches"},
    {ChoiceOp::kNumericEquals, "NumericEquals"},
    {ChoiceOp::kNumericLessThan, "NumericLessThan"},
    {ChoiceOp::kNumericGreaterThan, "NumericGreaterThan"},
    {ChoiceOp::kNumericLessThanEquals, "NumericLessThanEquals"},
    {ChoiceOp::kNumericGreaterThanEquals, "NumericGreaterThanEquals"},
    {ChoiceOp::kTimestampEquals, "TimestampEquals"},
    {ChoiceOp::kTimestampLessThan, "TimestampLessThan"},
    {ChoiceOp::kTimestampGreaterThan, "TimestampGreaterThan"},
    {ChoiceOp::kTimestampLessThanEquals, "TimestampLessThanEquals"},
    {ChoiceOp::kTimestampGreaterThanEquals, "TimestampGreaterThanEquals"},
    {ChoiceOp::kBooleanEquals, "BooleanEquals"},
    {ChoiceOp::kIsNull, "IsNull"},
    {ChoiceOp::kIsPresent, "IsPresent"},
    {ChoiceOp::kIsNumeric, "IsNumeric"},
    {ChoiceOp::kIsString, "IsString"},
    {ChoiceOp::kIsBoolean, "IsBoolean"},
    {ChoiceOp::kIsTimestamp, "IsTimestamp"},
    {ChoiceOp::kCondition, "Condition"},
};

bool is_type_test(ChoiceOp op) {
  return op >= ChoiceOp::kIsNull && op <= ChoiceOp::kIsTimestamp;
}

// The five relations shared by the String, Numeric and Timestamp families, in the same order
// within each family of the enum.
enum class Relation { kEq, kLt, kGt, kLe, kGe };

Relation relation_of(ChoiceOp op, ChoiceOp family_first) {
  return static_cast<Relation>(static_cast<int>(op) - static_cast<int>(family_first));
}

bool holds(Relation r, int cmp) {
  switch (r) {
    case Relation::kEq:
      return cmp == 0;
    case Relation::kLt:
      return cmp < 0;
    case Relation::kGt:
      return cmp > 0;
    case Relation::kLe:
      return cmp <= 0;
    case Relation::kGe:
      return cmp >= 0;
  }
  return false;
}

template <typename T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Integers compare exactly (int64 and uint64 both exceed a double's 53-bit mantissa);
// anything involving a float compares as double, so 0 == 0.0 as in AWS.
int compare_numbers(const Json& a, const Json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    const bool au = a.is_number_unsigned(), bu = b.is_number_unsigned();
    if (au && bu) return three_way(a.get<uint64_t>(), b.get<uint64_t>());
    if (!au && !bu) return three_way(a.get<int64_t>(), b.get<int64_t>());
    // One unsigned (so > INT64_MAX is possible) and one signed.
    if (au) {
      const auto u = a.get<uint64_t>();
      const auto s = b.get<int64_t>();
      return s < 0 ? 1 : three_way(u, static_cast<uint64_t>(s));
    }
    const auto s = a.get<int64_t>();
    const auto u = b.get<uint64_t>();
    return s < 0 ? -1 : three_way(static_cast<uint64_t>(s), u);
  }
  return three_way(a.get<double>(), b.get<double>());
}

[[noreturn]] void invalid_path(std::string_view path) {
  throw StatesException(errors::kRuntime,
                        "Invalid path '" + std::string(path) +
                            "': The choice state's condition path references an invalid value.");
}

Json resolve_or_throw(std::string_view path, const EvalScope& scope) {
  std::optional<Json> value = resolve_path(path, scope);
  if (!value) invalid_path(path);
  return std::move(*value);
}

bool evaluate_comparison(const ChoiceRule& rule, const Json& value, const Json& operand) {
  const ChoiceOp op = rule.op;
  if (op >= ChoiceOp::kStringEquals && op <= ChoiceOp::kStringGreaterThanEquals) {
    if (!value.is_string() || !operand.is_string()) return false;
    // Byte order of UTF-8 is code point order.
    const int cmp =
        value.get_ref<const std::string&>().compare(operand.get_ref<const std::string&>());
    return holds(relation_of(op, ChoiceOp::kStringEquals), cmp < 0 ? -1 : (cmp > 0 ? 1 : 0));
  }
  if (op == ChoiceOp::kStringMatches) {
    return value.is_string() && operand.is_string() &&
           string_matches(value.get_ref<const std::string&>(),
                          operand.get_ref<const std::string&>());
  }
  if (op >= ChoiceOp::kNumericEquals && op <= ChoiceOp::kNumericGreaterThanEquals) {
    if (!value.is_number() || !operand.is_number()) return false;
    return holds(relation_of(op, ChoiceOp::kNumericEquals), compare_numbers(value, operand));
  }
  if (op >= ChoiceOp::kTimestampEquals && op <= ChoiceOp::kTimestampGreaterThanEquals) {
    if (!value.is_string() || !operand.is_string()) return false;
    const auto a = parse_rfc3339_ms(value.get_ref<const std::string&>());
    const auto b = parse_rfc3339_ms(operand.get_ref<const std::string&>());
    if (!a || !b) return false;
    return holds(relation_of(op, ChoiceOp::kTimestampEquals), three_way(*a, *b));
  }
  if (op == ChoiceOp::kBooleanEquals) {
    return value.is_boolean() && operand.is_boolean() && value.get<bool>() == operand.get<bool>();
  }
  return false;
}

bool evaluate_type_test(ChoiceOp op, const Json& value) {
  switch (op) {
    case ChoiceOp::kIsNull:
      return value.is_null();
    case ChoiceOp::kIsNumeric:
      return value.is_number();
    case ChoiceOp::kIsString:
      return value.is_string();
    case ChoiceOp::kIsBoolean:
      return value.is_boolean();
    case ChoiceOp::kIsTimestamp:
      return value.is_string() && parse_rfc3339_ms(value.get_ref<const std::string&>());
    default:
      return false;
  }
}

}  // namespace

const char* choice_op_name(ChoiceOp op) {
  for (const auto& entry : kOpNames) {
    if (entry.op == op) return entry.name;
  }
  return "?";
}

std::optional<ChoiceOp> choice_op_from_name(std::string_view name, bool* is_path) {
  bool path = false;
  constexpr std::string_view kSuffix = "Path";
  if (name.size() > kSuffix.size() && name.substr(name.size() - kSuffix.size()) == kSuffix) {
    path = true;
    name.remove_suffix(kSuffix.size());
  }
  for (const auto& entry : kOpNames) {
    if (name != entry.name) continue;
    const ChoiceOp op = entry.op;
    if (op == ChoiceOp::kAnd || op == ChoiceOp::kOr || op == ChoiceOp::kNot ||
        op == ChoiceOp::kCondition) {
      return std::nullopt;
    }
    // Type tests and StringMatches have no Path form.
    if (path && (is_type_test(op) || op == ChoiceOp::kStringMatches)) return std::nullopt;
    if (is_path != nullptr) *is_path = path;
    return op;
  }
  return std::nullopt;
}

bool evaluate_choice_rule(const ChoiceRule& rule, const EvalScope& scope) {
  switch (rule.op) {
    case ChoiceOp::kAnd:
      for (const auto& child : rule.children) {
        if (!evaluate_choice_rule(child, scope)) return false;
      }
      return true;
    case ChoiceOp::kOr:
      for (const auto& child : rule.children) {
        if (evaluate_choice_rule(child, scope)) return true;
      }
      return false;
    case ChoiceOp::kNot:
      return !rule.children.empty() && !evaluate_choice_rule(rule.children.front(), scope);
    case ChoiceOp::kCondition:
      throw std::logic_error("a JSONata Condition is evaluated by the engine, not here");
    case ChoiceOp::kIsPresent: {
      const bool present = resolve_path(rule.variable, scope).has_value();
      return present == (rule.operand.is_boolean() && rule.operand.get<bool>());
    }
    default:
      break;
  }
  const Json value = resolve_or_throw(rule.variable, scope);
  if (is_type_test(rule.op)) {
    const bool expected = rule.operand.is_boolean() && rule.operand.get<bool>();
    return evaluate_type_test(rule.op, value) == expected;
  }
  if (rule.operand_is_path) {
    const Json operand = resolve_or_throw(rule.operand.get_ref<const std::string&>(), scope);
    return evaluate_comparison(rule, value, operand);
  }
  return evaluate_comparison(rule, value, rule.operand);
}

bool string_matches(std::string_view text, std::string_view pattern) {
  // Greedy matching with one backtrack point (the most recent star) is enough for patterns
  // whose only metacharacter is `*`: linear in practice, no recursion.
  size_t t = 0, p = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        star_p = ++p;
        star_t = t;
        continue;
      }
      size_t advance = 1;
      if (pc == '\\' && p + 1 < pattern.size()) {
        pc = pattern[p + 1];
        advance = 2;
      }
      if (pc == text[t]) {
        p += advance;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace stepd::asl
