#include "core/asl/choice_rule.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/asl/eval_scope.h"
#include "core/asl/parser.h"
#include "core/common/states_error.h"

namespace stepd::asl {
namespace {

// Parses a one-rule Choice state and evaluates that rule against `input`.
bool matches(const Json& rule, const Json& input, const Json* variables = nullptr) {
  Json body = rule;
  body["Next"] = "Yes";
  Json def = {{"StartAt", "C"},
              {"States",
               {{"C", {{"Type", "Choice"}, {"Choices", Json::array({body})}, {"Default", "No"}}},
                {"Yes", {{"Type", "Succeed"}}},
                {"No", {{"Type", "Succeed"}}}}}};
  auto sm = parse_state_machine(def.dump());
  const Json context = {{"Execution", {{"Name", "run-1"}}}};
  EvalScope scope{input, context, variables};
  return evaluate_choice_rule(sm->find("C")->choices.at(0), scope);
}

TEST(ChoiceRule, StringMatchesWildcards) {
  EXPECT_TRUE(string_matches("log-2024.txt", "log-*.txt"));
  EXPECT_TRUE(string_matches("anything", "*"));
  EXPECT_TRUE(string_matches("", "*"));
  EXPECT_TRUE(string_matches("abc", "a*b*c"));
  EXPECT_TRUE(string_matches("aXbYc", "a*b*c"));
  EXPECT_FALSE(string_matches("abcd", "a*b*c"));
  EXPECT_TRUE(string_matches("a*c", "a\\*c"));
  EXPECT_FALSE(string_matches("abc", "a\\*c"));
  EXPECT_TRUE(string_matches("a\\c", "a\\\\c"));
  EXPECT_FALSE(string_matches("", "a"));
  EXPECT_TRUE(string_matches("mississippi", "*sip*"));
}

TEST(ChoiceRule, ComparisonsByType) {
  const Json in = {{"s", "b"},    {"n", 5}, {"f", 5.0}, {"b", true}, {"t", "2020-01-01T00:00:00Z"},
                   {"other", "a"}};
  EXPECT_TRUE(matches({{"Variable", "$.s"}, {"StringEquals", "b"}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.s"}, {"StringGreaterThan", "a"}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.s"}, {"StringGreaterThanPath", "$.other"}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.n"}, {"NumericEquals", 5.0}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.f"}, {"NumericEqualsPath", "$.n"}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.n"}, {"NumericLessThanEquals", 5}}, in));
  EXPECT_FALSE(matches({{"Variable", "$.n"}, {"NumericLessThan", 5}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.b"}, {"BooleanEquals", true}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.t"}, {"TimestampLessThan", "2020-01-01T00:00:01Z"}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.t"}, {"TimestampEquals", "2020-01-01T01:00:00+01:00"}}, in));
  // A value of the wrong type is no match, not an error.
  EXPECT_FALSE(matches({{"Variable", "$.s"}, {"NumericEquals", 1}}, in));
  EXPECT_FALSE(matches({{"Variable", "$.n"}, {"StringEquals", "5"}}, in));
  EXPECT_FALSE(matches({{"Variable", "$.s"}, {"TimestampEquals", "2020-01-01T00:00:00Z"}}, in));
  EXPECT_FALSE(matches({{"Variable", "$.s"}, {"NumericEqualsPath", "$.other"}}, in));
}

TEST(ChoiceRule, LargeIntegersCompareExactly) {
  const Json in = {{"big", 9007199254740993}, {"u", 18446744073709551615ULL}};
  EXPECT_FALSE(matches({{"Variable", "$.big"}, {"NumericEquals", 9007199254740992}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.u"}, {"NumericGreaterThan", -1}}, in));
}

TEST(ChoiceRule, TypeTests) {
  const Json in = {
      {"nul", nullptr}, {"num", 1.5}, {"str", "x"}, {"boo", false}, {"ts", "2016-03-14T01:59:00Z"}};
  EXPECT_TRUE(matches({{"Variable", "$.nul"}, {"IsNull", true}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.num"}, {"IsNumeric", true}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.str"}, {"IsString", true}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.boo"}, {"IsBoolean", true}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.ts"}, {"IsTimestamp", true}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.str"}, {"IsTimestamp", false}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.nul"}, {"IsPresent", true}}, in));
  EXPECT_TRUE(matches({{"Variable", "$.missing"}, {"IsPresent", false}}, in));
  EXPECT_FALSE(matches({{"Variable", "$.missing"}, {"IsPresent", true}}, in));
}

TEST(ChoiceRule, MissingVariableIsARuntimeError) {
  try {
    matches({{"Variable", "$.missing"}, {"StringEquals", "x"}}, Json::object());
    FAIL() << "expected States.Runtime";
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().error, "States.Runtime");
    EXPECT_EQ(e.value().cause,
              "Invalid path '$.missing': The choice state's condition path references an "
              "invalid value.");
  }
  EXPECT_THROW(matches({{"Variable", "$.a"}, {"NumericEqualsPath", "$.nope"}}, {{"a", 1}}),
               StatesException);
}

TEST(ChoiceRule, BooleanCombinators) {
  const Json in = {{"a", 1}, {"b", "x"}};
  const Json a1 = {{"Variable", "$.a"}, {"NumericEquals", 1}};
  const Json bx = {{"Variable", "$.b"}, {"StringEquals", "y"}};
  EXPECT_FALSE(matches({{"And", {a1, bx}}}, in));
  EXPECT_TRUE(matches({{"Or", {a1, bx}}}, in));
  EXPECT_TRUE(matches({{"Not", bx}}, in));
  EXPECT_TRUE(matches({{"And", {a1, {{"Not", bx}}}}}, in));
  // And stops at the first false rule: the missing path after it is never read.
  EXPECT_FALSE(matches({{"And", {bx, {{"Variable", "$.zz"}, {"StringEquals", "q"}}}}}, in));
}

TEST(ChoiceRule, ContextAndVariables) {
  const Json vars = {{"limit", 3}};
  EXPECT_TRUE(
      matches({{"Variable", "$$.Execution.Name"}, {"StringMatches", "run-*"}}, Json::object()));
  EXPECT_TRUE(matches({{"Variable", "$limit"}, {"NumericGreaterThan", 2}}, Json::object(), &vars));
  EXPECT_TRUE(matches({{"Variable", "$.n"}, {"NumericLessThanPath", "$limit"}}, {{"n", 1}}, &vars));
}

TEST(ChoiceRule, OperatorNames) {
  bool is_path = false;
  EXPECT_EQ(choice_op_from_name("NumericEqualsPath", &is_path), ChoiceOp::kNumericEquals);
  EXPECT_TRUE(is_path);
  EXPECT_EQ(choice_op_from_name("IsNull", &is_path), ChoiceOp::kIsNull);
  EXPECT_FALSE(is_path);
  EXPECT_FALSE(choice_op_from_name("IsNullPath", &is_path));
  EXPECT_FALSE(choice_op_from_name("StringMatchesPath", &is_path));
  EXPECT_FALSE(choice_op_from_name("And", &is_path));
  EXPECT_FALSE(choice_op_from_name("Bogus", &is_path));
  EXPECT_STREQ(choice_op_name(ChoiceOp::kTimestampGreaterThanEquals), "TimestampGreaterThanEquals");
}

// The choice_operators conformance group, recorded on AWS: each case is a Choice state whose
// rule picks one of two Pass states, and the output is that Pass state's Result.
TEST(ChoiceRule, ConformanceChoiceOperators) {
  const std::filesystem::path dir =
      std::filesystem::path(STEPD_SOURCE_DIR) / "../shared/conformance/cases/choice_operators";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no conformance cases at " << dir;
  size_t verified = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream file(entry.path());
    const Json c = Json::parse(file);
    SCOPED_TRACE(entry.path().filename().string());
    if (c["expected"]["status"] != "SUCCEEDED") continue;
    auto sm = parse_state_machine(c["definition"].dump());
    const State* choice = sm->find(sm->start_at);
    ASSERT_EQ(choice->type, StateType::kChoice);
    const Json& input = c["input"];
    const Json context = Json::object();
    EvalScope scope{input, context};
    std::string next = choice->default_next;
    for (const auto& rule : choice->choices) {
      if (evaluate_choice_rule(rule, scope)) {
        next = rule.next;
        break;
      }
    }
    const State* chosen = sm->find(next);
    ASSERT_NE(chosen, nullptr);
    if (chosen->type != StateType::kPass || !chosen->result || !chosen->end) continue;
    EXPECT_EQ(*chosen->result, c["expected"]["output"]);
    ++verified;
  }
  EXPECT_EQ(verified, 374u);
}

}  // namespace
}  // namespace stepd::asl
