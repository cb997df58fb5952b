#include "core/asl/payload_template.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "core/common/states_error.h"

namespace stepd::asl {
namespace {

class PayloadTemplateTest : public ::testing::Test {
 protected:
  Json input = Json::parse(R"({"name": "Ana", "items": [{"v": 1}, {"v": 2}], "n": 3})");
  Json context = Json::parse(R"({"Execution": {"Id": "arn:x", "Input": {"k": "ctx"}},
                                "Map": {"Item": {"Index": 4, "Value": {"id": 9}}}})");
  Json vars = Json::parse(R"({"greeting": "hi", "obj": {"deep": [5]}})");
  SequentialIdSource ids;
  EvalScope scope{input, context, &vars, &ids};
};

TEST_F(PayloadTemplateTest, EvaluatesDynamicKeysAndCopiesTheRest) {
  Json tmpl = Json::parse(R"J({
    "static": "$.name",
    "who.$": "$.name",
    "exec.$": "$$.Execution.Id",
    "item.$": "$$.Map.Item.Value",
    "var.$": "$greeting",
    "deep.$": "$obj.deep[0]",
    "all.$": "$.items[*].v",
    "fmt.$": "States.Format('Hello {}', $.name)",
    "nested": {"inner.$": "$.n", "list": [1, {"x.$": "$.items[1].v"}, "y"]},
    "n": null
  })J");
  Json out = apply_template(tmpl, scope);
  // Keys keep their order; ".$" is dropped.
  EXPECT_EQ(out.dump(),
            R"({"static":"$.name","who":"Ana","exec":"arn:x","item":{"id":9},"var":"hi",)"
            R"("deep":5,"all":[1,2],"fmt":"Hello Ana","nested":{"inner":3,"list":[1,{"x":2},"y"]},)"
            R"("n":null})");
}

TEST_F(PayloadTemplateTest, NonObjectTemplatesAreCopied) {
  EXPECT_EQ(apply_template(Json("text"), scope), "text");
  EXPECT_EQ(apply_template(Json::parse("[1, {\"a.$\": \"$.n\"}]"), scope),
            Json::parse("[1,{\"a\":3}]"));
}

TEST_F(PayloadTemplateTest, MissingPathFailsWithAwsCause) {
  Json small = Json::parse(R"({"int-literal": 0})");
  EvalScope s{small, context};
  try {
    apply_template(Json::parse(R"({"value.$": "$.no_such_jsonpath"})"), s);
    FAIL() << "expected a failure";
  } catch (const StatesException& e) {
    // Recorded on AWS: a Pass state's Parameters fail with States.Runtime.
    EXPECT_EQ(e.value().error, "States.Runtime");
    EXPECT_EQ(e.value().cause,
              "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be "
              "found in the input '{\"int-literal\":0}'");
  }
  EXPECT_THROW(apply_template(Json::parse(R"({"v.$": "$$.Execution.Input.nope"})"), s),
               StatesException);
  EXPECT_THROW(apply_template(Json::parse(R"({"v.$": "$undefinedVar"})"), s), StatesException);
}

TEST_F(PayloadTemplateTest, MissingPathInsideIntrinsicNamesTheField) {
  try {
    apply_template(Json::parse(R"J({"f.$": "States.Format('{}', $.missing)"})J"), scope);
    FAIL() << "expected a failure";
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().error, "States.Runtime");
    EXPECT_NE(e.value().cause.find("'$.missing' specified for the field 'f.$'"), std::string::npos);
  }
}

TEST_F(PayloadTemplateTest, IntrinsicFailurePropagates) {
  try {
    apply_template(Json::parse(R"J({"f.$": "States.ArrayGetItem($.items, 10)"})J"), scope);
    FAIL() << "expected a failure";
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().error, "States.IntrinsicFailure");
  }
}

TEST_F(PayloadTemplateTest, EvaluateExpression) {
  EXPECT_EQ(evaluate_expression("$.n", scope), 3);
  EXPECT_EQ(evaluate_expression("States.MathAdd($.n, 1)", scope), 4);
  EXPECT_FALSE(evaluate_expression("$.nope", scope).has_value());
}

TEST(PayloadTemplateValidationTest, AcceptsGoodTemplates) {
  EXPECT_NO_THROW(validate_template(Json::parse(R"J({
    "a.$": "$.x", "b.$": "$$.Execution.Id", "c.$": "$var", "d.$": "States.UUID()",
    "e": {"f.$": "States.Format('{}', $.y)"}, "g": [{"h.$": "$[0]"}], "i": "$.not-evaluated"
  })J")));
}

TEST(PayloadTemplateValidationTest, RejectsBadValuesNamingTheField) {
  struct Case {
    const char* tmpl;
    const char* field;
  };
  for (const Case& c : {Case{R"({"a.$": "x"})", "a.$"}, Case{R"({"b.$": "$.x["})", "b.$"},
                        Case{R"J({"n": {"c.$": "States.Nope(1)"}})J", "c.$"},
                        Case{R"J({"d.$": "States.ArrayRange(1, 2)"})J", "d.$"},
                        Case{R"({"l": [{"e.$": "States.Format('x'"}]})", "e.$"}}) {
    SCOPED_TRACE(c.tmpl);
    try {
      validate_template(Json::parse(c.tmpl));
      FAIL() << "expected invalid_argument";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), std::string("The value for the field '") + c.field +
                                           "' must be a valid JSONPath or a valid intrinsic "
                                           "function call");
    }
  }
  EXPECT_THROW(validate_template(Json::parse(R"({"a.$": 5})")), std::invalid_argument);
  EXPECT_THROW(validate_expression("States.Format(", "CausePath"), std::invalid_argument);
}

// The Pass-state cases recorded on AWS whose only work is a payload template: apply the
// template to the input and compare with the recorded output.
std::filesystem::path cases_dir() {
  return std::filesystem::path(STEPD_SOURCE_DIR) / ".." / "shared" / "conformance" / "cases";
}

TEST(PayloadTemplateConformanceTest, RecordedPassParameterCases) {
  int checked = 0;
  for (const char* group : {"intrinsic_functions", "base"}) {
    std::filesystem::path dir = cases_dir() / group;
    if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no conformance cases at " << dir;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path());
      Json c = Json::parse(in);
      Json def = c["definition"].is_string() ? Json::parse(c["definition"].get<std::string>())
                                             : c["definition"];
      const Json& states = def["States"];
      // Only single-state Pass machines with Parameters and no other data-flow field.
      if (states.size() != 1) continue;
      const Json& st = states.begin().value();
      if (st.value("Type", "") != "Pass" || !st.contains("Parameters") ||
          st.contains("InputPath") || st.contains("ResultPath") || st.contains("OutputPath")) {
        continue;
      }
      if (c["expected"].value("status", "") != "SUCCEEDED") continue;
      SCOPED_TRACE(entry.path().filename().string());
      Json context = {{"Execution", {{"Input", c["input"]}, {"Id", "arn:test"}}}};
      SequentialIdSource ids;
      EvalScope scope{c["input"], context, nullptr, &ids};
      Json out = apply_template(st["Parameters"], scope);
      // Compare without regard to key order (the recorded outputs went through Python dicts).
      EXPECT_EQ(nlohmann::json::parse(out.dump()),
                nlohmann::json::parse(c["expected"]["output"].dump()));
      ++checked;
    }
  }
  EXPECT_GT(checked, 80);
}

}  // namespace
}  // namespace stepd::asl
