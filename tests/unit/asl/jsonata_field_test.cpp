// JSONata fields of ASL states: templates with "{% %}" expressions, errors named after the field.
#include "core/asl/jsonata_field.h"

#include <gtest/gtest.h>

#include "core/asl/parser.h"
#include "core/common/states_error.h"

namespace stepd::asl {
namespace {

Json eval(const Json& field, const Json& states, const Json* vars = nullptr) {
  SequentialIdSource ids;
  JsonataScope scope{states, vars, {}, &ids, 1700000000000};
  return JsonataField::compile(field)->evaluate(scope, "Output");
}

StatesError error_of(const Json& field, const Json& states) {
  try {
    eval(field, states);
  } catch (const StatesException& e) {
    return e.value();
  }
  return {};
}

TEST(JsonataField, LiteralsAreCopiedAndExpressionsEvaluated) {
  Json states = {{"input", {{"a", 2}}}};
  EXPECT_EQ(eval(Json::parse(R"({"x":"{% $states.input.a * 3 %}","y":[1,"{%$states.input.a%}"],
                                 "z":"text","n":null})"),
                 states),
            Json::parse(R"({"x":6,"y":[1,2],"z":"text","n":null})"));
  EXPECT_EQ(eval("{%  $states.input  %}", states), states["input"]);
  EXPECT_EQ(eval("{% %} is not an expression", states), "{% %} is not an expression");
}

TEST(JsonataField, VariablesAreBoundByName) {
  Json vars = {{"count", 4}, {"unused", Json::array()}};
  EXPECT_EQ(eval("{% $count + 1 %}", Json::object(), &vars), 5);
  Json outer = {{"far", "away"}};
  const Json* outers[] = {&outer};
  SequentialIdSource ids;
  Json states = Json::object();
  JsonataScope scope{states, &vars, outers, &ids, 0};
  EXPECT_EQ(JsonataField::compile("{% $far & '!' %}")->evaluate(scope, "Output"), "away!");
}

TEST(JsonataField, UndefinedNamesTheFieldPath) {
  StatesError e = error_of(Json::parse(R"({"a":{"b":[0,"{% $states.input.gone %}"]}})"),
                           {{"input", Json::object()}});
  EXPECT_EQ(e.error, "States.QueryEvaluationError");
  EXPECT_EQ(e.cause,
            "The JSONata expression '$states.input.gone' specified for the field 'Output/a/b[1]' "
            "returned nothing (undefined).");
}

TEST(JsonataField, AFunctionIsNotAResult) {
  StatesError e = error_of("{% function($x){$x} %}", Json::object());
  EXPECT_EQ(e.cause,
            "The JSONata expression 'function($x){$x}' specified for the field 'Output' returned "
            "an unsupported result type.");
}

TEST(JsonataField, EvaluationErrorsCarryJsonataCodes) {
  StatesError e = error_of("{% 'a' + 1 %}", Json::object());
  EXPECT_EQ(e.error, "States.QueryEvaluationError");
  EXPECT_NE(e.cause.find("threw an error during evaluation. T2001"), std::string::npos) << e.cause;
}

TEST(JsonataField, SyntaxErrorsAreRefusedWhenCompiled) {
  EXPECT_THROW(JsonataField::compile("{% a[1,2) %}"), std::invalid_argument);
  EXPECT_THROW(JsonataField::compile(Json::parse(R"({"x":["{% ( %}"]})")), std::invalid_argument);
}

TEST(JsonataField, StepFunctionsFunctions) {
  Json none = Json::object();
  EXPECT_EQ(eval("{% $partition([1,2,3], 2) %}", none), Json::parse("[[1,2],[3]]"));
  EXPECT_EQ(eval("{% $partition([1,2,3], 5) %}", none), Json::parse("[[1,2,3]]"));
  EXPECT_EQ(eval("{% $partition([1,2,3], 2.9) %}", none), Json::parse("[[1,2],[3]]"));
  EXPECT_EQ(error_of("{% $partition([1,2,3], 0) %}", none).error, "States.QueryEvaluationError");
  EXPECT_EQ(eval("{% $range(0, 9, 3) %}", none), Json::parse("[0,3,6,9]"));
  EXPECT_EQ(eval("{% $range(10, 0, -5) %}", none), Json::parse("[10,5,0]"));
  EXPECT_EQ(eval("{% $range(1, 9, 9) %}", none), 1);
  EXPECT_EQ(error_of("{% $range(0, 9, -1) %}", none).error, "States.QueryEvaluationError");
  EXPECT_EQ(error_of("{% $range(0, 1e9, 1) %}", none).error, "States.QueryEvaluationError");
  EXPECT_EQ(eval("{% $parse('-0') %}", none).dump(), "0");
  EXPECT_EQ(eval("{% $parse('{\"a\": [true]}') %}", none), Json::parse(R"({"a":[true]})"));
  EXPECT_EQ(error_of("{% $parse('{') %}", none).error, "States.QueryEvaluationError");
  EXPECT_EQ(eval("{% $hash('abc', 'MD5') %}", none), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(error_of("{% $hash('abc', 'SHA-3') %}", none).error, "States.QueryEvaluationError");
  EXPECT_EQ(eval("{% $uuid() %}", none), "00000000-0000-4000-8000-000000000001");
  Json r = eval("{% [$random(42), $random(42), $random()] %}", none);
  EXPECT_EQ(r[0], r[1]);
  for (const auto& v : r) {
    EXPECT_GE(v.get<double>(), 0.0);
    EXPECT_LT(v.get<double>(), 1.0);
  }
  EXPECT_EQ(error_of("{% $eval('1') %}", none).error, "States.QueryEvaluationError");
}

TEST(JsonataField, UnexpectedResultTypeMessage) {
  auto field = JsonataField::compile("{% $states.input %}");
  try {
    unexpected_result_type(field.get(), "Items", "array", true);
    FAIL();
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().cause,
              "The JSONata expression '$states.input' specified for the field 'Items' returned an "
              "unexpected result type. Expected 'array', but was 'boolean' for value: true");
  }
}

TEST(JsonataField, DefinitionsWithBadExpressionsAreRefused) {
  EXPECT_THROW(parse_state_machine(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
      "A":{"Type":"Pass","Output":{"x":"{% $states.input.( %}"},"End":true}}})"),
               std::exception);
  auto m = parse_state_machine(R"({"QueryLanguage":"JSONata","StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"E",
           "Output":"{% 1 %}"}]},
      "E":{"Type":"Succeed"}}})");
  const State* c = m->find("C");
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->jsonata_field("Choices[0]/Condition"), nullptr);
  EXPECT_NE(c->jsonata_field("Choices[0]/Output"), nullptr);
  EXPECT_EQ(c->jsonata_field("Output"), nullptr);
}

}  // namespace
}  // namespace stepd::asl
