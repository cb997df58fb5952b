#pragma once
// Choice rules: one tree per entry of a Choice state's `Choices`. A node is either a boolean
// combinator (And / Or / Not over `children`) or a single test of `variable` against a literal
// or a second path. JSONata rules carry only `condition`; the engine evaluates those itself.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/json.h"

namespace stepd::asl {

struct EvalScope;

enum class ChoiceOp {
  kAnd,
  kOr,
  kNot,
  kStringEquals,
  kStringLessThan,
  kStringGreaterThan,
  kStringLessThanEquals,
  kStringGreaterThanEquals,
  kStringMatches,
  kNumericEquals,
  kNumericLessThan,
  kNumericGreaterThan,
  kNumericLessThanEquals,
  kNumericGreaterThanEquals,
  kTimestampEquals,
  kTimestampLessThan,
  kTimestampGreaterThan,
  kTimestampLessThanEquals,
  kTimestampGreaterThanEquals,
  kBooleanEquals,
  kIsNull,
  kIsPresent,
  kIsNumeric,
  kIsString,
  kIsBoolean,
  kIsTimestamp,
  kCondition,  // JSONata `Condition`
};

// The ASL field name without the `Path` suffix ("StringEquals", "And", "Condition" ...).
const char* choice_op_name(ChoiceOp op);
// Looks up an ASL comparison field name; `*is_path` tells whether it was the `...Path` form.
// nullopt for names that are not comparison operators (And/Or/Not/Variable/Next are not).
std::optional<ChoiceOp> choice_op_from_name(std::string_view name, bool* is_path);

struct ChoiceRule {
  ChoiceOp op = ChoiceOp::kCondition;
  std::string variable;              // comparison operators: `$.x`, `$$.x` or `$var...`
  Json operand;                      // the literal, or the path text when operand_is_path
  bool operand_is_path = false;      // `...Path` form: the operand is resolved at run time
  std::vector<ChoiceRule> children;  // And / Or: one or more; Not: exactly one

  std::string next;               // top-level rules only
  std::optional<Json> assign;     // top-level rules only (Assign on a choice rule)
  std::optional<Json> condition;  // JSONata "Condition" (evaluated by the engine)
  std::optional<Json> output;     // JSONata "Output" on a choice rule
};

// True when the rule matches. A missing Variable (or a missing `...Path` operand) raises
// StatesException(States.Runtime, ...) for every operator except IsPresent, as AWS does; a value
// of the wrong type is simply no match. JSONata rules (kCondition) cannot be evaluated here and
// throw std::logic_error.
bool evaluate_choice_rule(const ChoiceRule& rule, const EvalScope& scope);

// StringMatches: `*` matches any run of characters, `\*` a literal star, `\\` a backslash.
bool string_matches(std::string_view text, std::string_view pattern);

}  // namespace stepd::asl
