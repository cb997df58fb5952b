#include "core/asl/parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace stepd::asl {
namespace {

// The message parse_state_machine throws, or "" when the definition is accepted.
std::string rejection(const Json& def) {
  try {
    parse_state_machine(def.dump());
  } catch (const DefinitionException& e) {
    return e.message();
  }
  return "";
}

Json machine(Json states, const char* start = "A") {
  return {{"StartAt", start}, {"States", std::move(states)}};
}

TEST(Parser, FillsTheModel) {
  const Json def = {
      {"Comment", "demo"},
      {"StartAt", "P"},
      {"TimeoutSeconds", 60},
      {"States",
       {{"P",
         {{"Type", "Pass"},
          {"InputPath", "$.in"},
          {"ResultPath", nullptr},
          {"Result", {{"x", 1}}},
          {"Assign", {{"v", 1}}},
          {"Next", "T"}}},
        {"T",
         {{"Type", "Task"},
          {"Resource", "arn:aws:states:::lambda:invoke"},
          {"Parameters", {{"a.$", "$.x"}}},
          {"TimeoutSeconds", 30},
          {"HeartbeatSeconds", 10},
          {"Retry",
           {{{"ErrorEquals", {"States.Timeout"}},
             {"MaxAttempts", 5},
             {"BackoffRate", 1.5},
             {"JitterStrategy", "FULL"}}}},
          {"Catch", {{{"ErrorEquals", {"States.ALL"}}, {"Next", "F"}, {"ResultPath", "$.err"}}}},
          {"Next", "W"}}},
        {"W", {{"Type", "Wait"}, {"Timestamp", "2016-08-18T17:33:00Z"}, {"Next", "C"}}},
        {"C",
         {{"Type", "Choice"},
          {"Choices", {{{"Variable", "$.x"}, {"IsPresent", true}, {"Next", "M"}}}},
          {"Default", "F"}}},
        {"M",
         {{"Type", "Map"},
          {"ItemsPath", "$.items"},
          {"MaxConcurrency", 2},
          {"ItemProcessor",
           {{"ProcessorConfig", {{"Mode", "INLINE"}}},
            {"StartAt", "Inner"},
            {"States", {{"Inner", {{"Type", "Succeed"}}}}}}},
          {"Next", "Par"}}},
        {"Par",
         {{"Type", "Parallel"},
          {"Branches",
           {{{"StartAt", "B"}, {"States", {{"B", {{"Type", "Pass"}, {"End", true}}}}}}}},
          {"End", true}}},
        {"F", {{"Type", "Fail"}, {"Error", "Oops"}, {"CausePath", "$.why"}}}}}};
  auto sm = parse_state_machine(def.dump());
  EXPECT_EQ(sm->comment, "demo");
  EXPECT_EQ(sm->start_at, "P");
  EXPECT_EQ(sm->timeout_seconds, 60);
  ASSERT_EQ(sm->states.size(), 7u);
  EXPECT_EQ(sm->states[0].name, "P");  // definition order is kept

  const State* p = sm->find("P");
  EXPECT_EQ(p->type, StateType::kPass);
  EXPECT_EQ(p->input_path.kind, PathField::Kind::kPath);
  EXPECT_EQ(p->input_path.path, "$.in");
  EXPECT_TRUE(p->result_path.is_null());
  EXPECT_EQ(p->output_path.kind, PathField::Kind::kDefault);
  EXPECT_EQ(*p->result, Json({{"x", 1}}));
  EXPECT_EQ(p->next, "T");
  EXPECT_EQ(p->raw, def["States"]["P"]);

  const State* t = sm->find("T");
  EXPECT_EQ(t->resource, "arn:aws:states:::lambda:invoke");
  EXPECT_EQ(t->timeout_seconds, 30);
  EXPECT_EQ(t->heartbeat_seconds, 10);
  ASSERT_EQ(t->retry.size(), 1u);
  EXPECT_EQ(t->retry[0].max_attempts, 5);
  EXPECT_EQ(t->retry[0].interval_seconds, 1);
  EXPECT_DOUBLE_EQ(t->retry[0].backoff_rate, 1.5);
  EXPECT_TRUE(t->retry[0].jitter_full);
  ASSERT_EQ(t->catch_.size(), 1u);
  EXPECT_EQ(t->catch_[0].next, "F");
  EXPECT_EQ(t->catch_[0].result_path.path, "$.err");

  EXPECT_EQ(sm->find("W")->timestamp, "2016-08-18T17:33:00Z");
  EXPECT_EQ(sm->find("C")->default_next, "F");
  EXPECT_EQ(sm->find("C")->choices.at(0).op, ChoiceOp::kIsPresent);

  const State* m = sm->find("M");
  EXPECT_EQ(m->items_path, "$.items");
  EXPECT_EQ(m->max_concurrency, 2);
  EXPECT_EQ(m->processor_mode, "INLINE");
  ASSERT_TRUE(m->item_processor);
  EXPECT_EQ(m->item_processor->start_at, "Inner");

  ASSERT_EQ(sm->find("Par")->branches.size(), 1u);
  EXPECT_TRUE(sm->find("Par")->end);
  EXPECT_EQ(sm->find("F")->error, "Oops");
  EXPECT_EQ(sm->find("F")->cause_path, "$.why");
}

TEST(Parser, JsonataStates) {
  const Json def = {
      {"QueryLanguage", "JSONata"},
      {"StartAt", "T"},
      {"States",
       {{"T",
         {{"Type", "Task"},
          {"Resource", "arn:aws:states:::lambda:invoke"},
          {"Arguments", "{% $states.input %}"},
          {"Output", {{"r", "{% $states.result %}"}}},
          {"TimeoutSeconds", "{% $t %}"},
          {"Next", "C"}}},
        {"C",
         {{"Type", "Choice"},
          {"Choices", {{{"Condition", "{% $states.input.x > 1 %}"}, {"Next", "Done"}}}},
          {"Default", "Done"}}},
        {"Done", {{"Type", "Succeed"}}}}}};
  auto sm = parse_state_machine(def.dump());
  EXPECT_EQ(sm->query_language, QueryLanguage::kJsonata);
  const State* t = sm->find("T");
  EXPECT_EQ(t->query_language, QueryLanguage::kJsonata);
  EXPECT_EQ(*t->parameters, "{% $states.input %}");
  EXPECT_TRUE(t->output);
  EXPECT_EQ(t->timeout_seconds_path, "{% $t %}");
  EXPECT_EQ(sm->find("C")->choices.at(0).op, ChoiceOp::kCondition);
  EXPECT_EQ(*sm->find("C")->choices.at(0).condition, "{% $states.input.x > 1 %}");

  Json bad = def;
  bad["States"]["T"]["InputPath"] = "$.a";
  EXPECT_EQ(rejection(bad),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field 'InputPath' "
            "is not supported for the JSONata query language at /States/T/InputPath'");
  bad = def;
  bad["States"]["T"]["QueryLanguage"] = "JSONPath";
  EXPECT_NE(rejection(bad), "");
}

// AWS refuses at creation an expression that reads a field at the top level (measured by the
// floci project against AWS, floci-io/floci#2670): there is no input to read it from.
TEST(Parser, JsonataTopLevelReferenceIsRefused) {
  auto pass = [](Json output) {
    return Json{
        {"QueryLanguage", "JSONata"},
        {"StartAt", "E"},
        {"States", {{"E", {{"Type", "Pass"}, {"Output", std::move(output)}, {"End", true}}}}}};
  };
  EXPECT_EQ(rejection(pass({{"v", "{% phone %}"}})),
            "Invalid State Machine Definition: 'UNSUPPORTED_JSONATA_EXPRESSION: Reference to "
            "'phone' at the top level is not supported. at /States/E/Output/v'");
  EXPECT_EQ(rejection(pass({{"list", {1, "{% a & b.c %}"}}})),
            "Invalid State Machine Definition: 'UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'a' "
            "at the top level is not supported. at /States/E/Output/list/1, "
            "UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'b' at the top level is not supported. "
            "at /States/E/Output/list/1'");
  EXPECT_NE(rejection(pass("{% $count(items) %}")), "");

  // Names inside paths, predicates and functions read what those give them.
  for (const char* ok :
       {"{% $states.input.items[price > 5].name %}", "{% $states.input.{'k': v} %}",
        "{% $map($states.input.xs, function($x) { $x.a }) %}",
        "{% {'a': $states.input.a, 'n': $count($states.input.xs)} %}", "{% $v.field %}",
        "no expression here: phone"}) {
    EXPECT_EQ(rejection(pass(ok)), "") << ok;
  }

  // Every field with expressions is checked: a Choice rule's Condition here.
  Json choice = {{"QueryLanguage", "JSONata"},
                 {"StartAt", "C"},
                 {"States",
                  {{"C",
                    {{"Type", "Choice"},
                     {"Choices", {{{"Condition", "{% status = 'ok' %}"}, {"Next", "D"}}}},
                     {"Default", "D"}}},
                   {"D", {{"Type", "Succeed"}}}}}};
  EXPECT_EQ(rejection(choice),
            "Invalid State Machine Definition: 'UNSUPPORTED_JSONATA_EXPRESSION: Reference to "
            "'status' at the top level is not supported. at /States/C/Choices/0/Condition'");
  // A JSONPath state's strings are not expressions.
  EXPECT_EQ(
      rejection(machine({{"A", {{"Type", "Pass"}, {"Result", "{% phone %}"}, {"End", true}}}})),
      "");
}

// $states.errorOutput exists only where there is an error: a catcher's Output and Assign. AWS's
// message for it elsewhere is quoted in sst/sst#6110 (a Task's Arguments); the rule is the ASL
// specification's.
TEST(Parser, JsonataErrorOutputOutsideACatcherIsRefused) {
  auto task = [](Json fields) {
    Json t = {{"Type", "Task"},
              {"Resource", "arn:aws:states:::lambda:invoke"},
              {"Catch", {{{"ErrorEquals", {"States.ALL"}}, {"Next", "H"}}}},
              {"End", true}};
    for (auto& [k, v] : fields.items()) t[k] = v;
    return Json{{"QueryLanguage", "JSONata"},
                {"StartAt", "T"},
                {"States", {{"T", t}, {"H", {{"Type", "Succeed"}}}}}};
  };
  EXPECT_EQ(rejection(task({{"Arguments", {{"Payload", {{"e", "{% $states.errorOutput %}"}}}}}})),
            "Invalid State Machine Definition: 'UNSUPPORTED_JSONATA_EXPRESSION: Field "
            "'$states.errorOutput' does not exist. at /States/T/Arguments/Payload/e'");
  EXPECT_NE(rejection(task({{"Output", "{% $states.errorOutput.Error %}"}})), "");
  EXPECT_NE(rejection(task({{"Assign", {{"x", "{% $states.errorOutput %}"}}}})), "");

  Json catcher = {{"ErrorEquals", {"States.ALL"}},
                  {"Next", "H"},
                  {"Output", "{% $states.errorOutput %}"},
                  {"Assign", {{"cause", "{% $states.errorOutput.Cause %}"}}}};
  EXPECT_EQ(rejection(task({{"Catch", {catcher}}})), "");
}

TEST(Parser, ReportsMissingTopLevelFields) {
  EXPECT_EQ(rejection({{"Comment", "x"}}),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are "
            "required: [StartAt, States] at /'");
}

TEST(Parser, TransitionsMustNameStates) {
  EXPECT_EQ(rejection(machine(
                {{"A", {{"Type", "Pass"}, {"Next", "Nope"}}}, {"Z", {{"Type", "Succeed"}}}})),
            "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' "
            "target: Nope at /States/A/Next, MISSING_TRANSITION_TARGET: State \"Z\" is not "
            "reachable. at /States/Z'");
  EXPECT_EQ(rejection(machine({{"B", {{"Type", "Succeed"}}}})),
            "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' "
            "target: A at /StartAt'");
  // Branches are their own scope: a branch state cannot jump out.
  EXPECT_NE(rejection(machine(
                {{"A",
                  {{"Type", "Parallel"},
                   {"Branches",
                    {{{"StartAt", "B"}, {"States", {{"B", {{"Type", "Pass"}, {"Next", "A"}}}}}}}},
                   {"End", true}}}})),
            "");
}

TEST(Parser, LoopWithoutTerminalState) {
  EXPECT_EQ(rejection(machine({{"A", {{"Type", "Pass"}, {"Next", "B"}}},
                               {"B", {{"Type", "Pass"}, {"Next", "A"}}}})),
            "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal "
            "state at null'");
}

TEST(Parser, FieldsAreCheckedPerStateType) {
  EXPECT_EQ(
      rejection(machine({{"A", {{"Type", "Pass"}, {"End", true}, {"Retry", Json::array()}}}})),
      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Field 'Retry' is not "
      "supported at /States/A'");
  EXPECT_NE(rejection(machine({{"A", {{"Type", "Succeed"}, {"Result", 1}}}})), "");
  EXPECT_NE(
      rejection(machine({{"A", {{"Type", "Wait"}, {"Seconds", 1}, {"Result", 1}, {"End", true}}}})),
      "");
  EXPECT_NE(rejection(machine({{"A", {{"Type", "Bogus"}, {"End", true}}}})), "");
  EXPECT_NE(rejection(machine({{"A", {{"Type", "Pass"}}}})), "");
  EXPECT_NE(rejection(machine({{"A", {{"Type", "Pass"}, {"End", true}, {"Next", "A"}}}})), "");
  EXPECT_NE(rejection(machine({{"A", {{"Type", "Pass"}, {"End", false}}}})), "");
}

TEST(Parser, Paths) {
  EXPECT_NE(rejection(machine({{"A", {{"Type", "Pass"}, {"InputPath", "x"}, {"End", true}}}})), "");
  EXPECT_NE(
      rejection(machine({{"A", {{"Type", "Pass"}, {"ResultPath", "$.a[*]"}, {"End", true}}}})), "");
  EXPECT_NE(rejection(machine(
                {{"A", {{"Type", "Pass"}, {"Parameters", {{"x.$", "nope"}}}, {"End", true}}}})),
            "");
  EXPECT_NE(
      rejection(machine(
          {{"A",
            {{"Type", "Pass"}, {"Parameters", {{"x.$", "States.Format('{}'"}}}, {"End", true}}}})),
      "");
  EXPECT_EQ(rejection(machine({{"A",
                                {{"Type", "Pass"},
                                 {"Parameters", {{"x.$", "States.Format('{}', $.a)"}}},
                                 {"OutputPath", nullptr},
                                 {"End", true}}}})),
            "");
}

TEST(Parser, TaskRules) {
  auto task = [](Json extra) {
    Json t = {{"Type", "Task"}, {"Resource", "arn:aws:states:::lambda:invoke"}, {"End", true}};
    for (auto& [k, v] : extra.items()) t[k] = v;
    return machine({{"A", t}});
  };
  EXPECT_EQ(rejection(task(Json::object())), "");
  EXPECT_NE(rejection(machine({{"A", {{"Type", "Task"}, {"End", true}}}})), "");
  EXPECT_NE(rejection(task({{"TimeoutSeconds", 5}, {"TimeoutSecondsPath", "$.t"}})), "");
  EXPECT_NE(rejection(task({{"TimeoutSeconds", 5}, {"HeartbeatSeconds", 5}})), "");
  EXPECT_NE(rejection(task({{"TimeoutSeconds", 0}})), "");
  EXPECT_NE(rejection(task({{"TimeoutSeconds", "5"}})), "");
  EXPECT_NE(rejection(task({{"Retry", {{{"ErrorEquals", Json::array()}}}}})), "");
  EXPECT_NE(rejection(task({{"Retry", {{{"ErrorEquals", {"States.ALL", "X"}}}}}})), "");
  EXPECT_NE(
      rejection(task({{"Retry", {{{"ErrorEquals", {"States.ALL"}}}, {{"ErrorEquals", {"X"}}}}}})),
      "");
  EXPECT_NE(rejection(task({{"Retry", {{{"ErrorEquals", {"X"}}, {"MaxAttempts", -1}}}}})), "");
  EXPECT_NE(rejection(task({{"Retry", {{{"ErrorEquals", {"X"}}, {"BackoffRate", 0.5}}}}})), "");
  EXPECT_NE(rejection(task({{"Retry", {{{"ErrorEquals", {"X"}}, {"IntervalSeconds", 0}}}}})), "");
  EXPECT_NE(rejection(task({{"Catch", {{{"ErrorEquals", {"X"}}}}}})), "");
  EXPECT_NE(rejection(task({{"Credentials", Json::object()}})), "");
  EXPECT_NE(rejection(task({{"Resource", "arn:aws:states:::dynamodb:query"}})), "");
  EXPECT_EQ(
      rejection(task({{"Resource", "arn:aws:states:::aws-sdk:redshiftdata:executeStatement"}})),
      "");
  EXPECT_EQ(rejection(task({{"Resource", "arn:aws:states:::lambda:invoke.waitForTaskToken"}})), "");
}

TEST(Parser, WaitAndFailRules) {
  auto wait = [](Json fields) {
    fields["Type"] = "Wait";
    fields["End"] = true;
    return machine({{"A", fields}});
  };
  EXPECT_EQ(rejection(wait({{"Seconds", 0}})), "");
  EXPECT_EQ(rejection(wait({{"SecondsPath", "$.s"}})), "");
  EXPECT_NE(rejection(wait(Json::object())), "");
  EXPECT_NE(rejection(wait({{"Seconds", 1}, {"TimestampPath", "$.t"}})), "");
  EXPECT_NE(rejection(wait({{"Seconds", -1}})), "");
  EXPECT_EQ(rejection(wait({{"Timestamp", "2016-13-05T21:29:29Z"}})),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: String does not match "
            "RFC3339 timestamp at /States/A/Timestamp'");
  EXPECT_NE(rejection(machine({{"A", {{"Type", "Fail"}, {"Error", "E"}, {"ErrorPath", "$.e"}}}})),
            "");
  EXPECT_EQ(
      rejection(machine({{"A", {{"Type", "Fail"}, {"ErrorPath", "States.Format('{}', $.e)"}}}})),
      "");
}

TEST(Parser, ChoiceRules) {
  auto choice = [](Json rule) {
    return machine({{"A", {{"Type", "Choice"}, {"Choices", Json::array({rule})}, {"Default", "B"}}},
                    {"B", {{"Type", "Succeed"}}}});
  };
  EXPECT_EQ(rejection(choice({{"Variable", "$.a"}, {"NumericEquals", 1}, {"Next", "B"}})), "");
  EXPECT_EQ(rejection(choice({{"And", {{{"Variable", "$.a"}, {"IsNull", false}}}}, {"Next", "B"}})),
            "");
  EXPECT_EQ(rejection(choice({{"Variable", "$.a"}, {"NumericEquals", "1"}, {"Next", "B"}})),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the "
            "field 'NumericEquals' must be a NUMBER at /States/A/Choices[0]/NumericEquals'");
  EXPECT_NE(rejection(choice({{"Variable", "$.a"}, {"NumericEquals", 1}})), "");
  EXPECT_NE(rejection(choice({{"Variable", "$.a"}, {"Bogus", 1}, {"Next", "B"}})), "");
  EXPECT_NE(rejection(choice({{"Variable", "$.a"}, {"Next", "B"}})), "");
  EXPECT_NE(
      rejection(choice({{"Variable", "$.a"}, {"IsNull", true}, {"IsString", true}, {"Next", "B"}})),
      "");
  EXPECT_NE(rejection(choice({{"And", Json::array()}, {"Next", "B"}})), "");
  EXPECT_NE(rejection(choice(
                {{"Not", {{"Variable", "$.a"}, {"IsNull", true}, {"Next", "B"}}}, {"Next", "B"}})),
            "");
  EXPECT_NE(
      rejection(choice({{"Variable", "$.a"}, {"TimestampEquals", "yesterday"}, {"Next", "B"}})),
      "");
  EXPECT_NE(rejection(choice({{"Variable", "$.a"}, {"IsNull", true}, {"Next", "Nope"}})), "");
  EXPECT_NE(rejection(machine({{"A", {{"Type", "Choice"}, {"Default", "A"}}}})), "");
}

TEST(Parser, DuplicateStateNames) {
  const std::string text =
      R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"A":{"Type":"Pass","End":true}}})";
  try {
    parse_state_machine(text);
    FAIL();
  } catch (const DefinitionException& e) {
    EXPECT_EQ(e.code(), "DUPLICATE_STATE_NAME");
    EXPECT_EQ(e.location(), "/States/A");
  }
  // Names must be unique across branches too.
  EXPECT_NE(rejection(machine(
                {{"A",
                  {{"Type", "Parallel"},
                   {"Branches",
                    {{{"StartAt", "A"}, {"States", {{"A", {{"Type", "Pass"}, {"End", true}}}}}}}},
                   {"End", true}}}})),
            "");
}

TEST(Parser, MalformedAndHostileInput) {
  for (const char* text : {"", "   ", "null", "{", "{\"StartAt\":}", "[1,2]", "42"}) {
    SCOPED_TRACE(text);
    EXPECT_THROW(parse_state_machine(text), DefinitionException);
  }
  try {
    parse_state_machine("{\"StartAt\": ");
  } catch (const DefinitionException& e) {
    EXPECT_EQ(e.code(), "INVALID_JSON_DESCRIPTION");
  }
  // A number beyond a double's range is bad JSON too, not an escaping exception (found by
  // fuzz_asl_definition).
  const char* huge =
      R"({"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1e400, "End": true}}})";
  try {
    parse_state_machine(huge);
    ADD_FAILURE() << "accepted " << huge;
  } catch (const DefinitionException& e) {
    EXPECT_EQ(e.code(), "INVALID_JSON_DESCRIPTION");
  }
  EXPECT_EQ(validate_state_machine(huge).at(0).code, "INVALID_JSON_DESCRIPTION");
  // Deep nesting is refused before anything recursive touches it.
  std::string deep(100000, '[');
  EXPECT_THROW(parse_state_machine(deep), DefinitionException);
  // Parallel inside Parallel many times: within bounds it parses, beyond it is refused.
  auto nested = [](int levels) {
    Json inner = machine({{"A", {{"Type", "Pass"}, {"End", true}}}});
    for (int i = 0; i < levels; ++i) {
      inner = machine({{"P" + std::to_string(i),
                        {{"Type", "Parallel"}, {"Branches", Json::array({inner})}, {"End", true}}}},
                      ("P" + std::to_string(i)).c_str());
    }
    return inner.dump();
  };
  EXPECT_NO_THROW(parse_state_machine(nested(20)));
  EXPECT_THROW(parse_state_machine(nested(200)), DefinitionException);
}

TEST(Parser, ValidateCollectsEveryFinding) {
  const Json def = machine({{"A", {{"Type", "Pass"}, {"Next", "X"}, {"Bad", 1}}},
                            {"B", {{"Type", "Wait"}, {"End", true}}}});
  auto diags = validate_state_machine(def.dump());
  ASSERT_GE(diags.size(), 3u);
  EXPECT_EQ(validate_state_machine(def.dump(), 1).size(), 1u);
  EXPECT_TRUE(validate_state_machine(machine({{"A", {{"Type", "Succeed"}}}}).dump()).empty());
}

TEST(Parser, MapLabel) {
  auto with_label = [](const std::string& label) {
    return machine({{"A",
                     {{"Type", "Map"},
                      {"ItemProcessor",
                       {{"StartAt", "I"}, {"States", {{"I", {{"Type", "Pass"}, {"End", true}}}}}}},
                      {"Label", label},
                      {"End", true}}}});
  };
  EXPECT_EQ(rejection(with_label("ok-label_1")), "");
  const std::string text = with_label("a b").dump();
  try {
    parse_state_machine(text);
    FAIL();
  } catch (const DefinitionException& e) {
    EXPECT_EQ(e.message(),
              "Error=ValueError Args=[\"Label contains invalid character: ' '\"] "
              "in definition '" +
                  text + "'.");
  }
  EXPECT_NE(rejection(with_label(std::string(41, 'x'))), "");
  EXPECT_EQ(rejection(with_label(std::string(40, 'x'))), "");
}

// Every definition_validation case recorded on AWS: the definition is refused, with AWS's exact
// message where the recording kept it.
TEST(Parser, ConformanceDefinitionValidation) {
  const std::filesystem::path root =
      std::filesystem::path(STEPD_SOURCE_DIR) / "../shared/conformance/cases";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "no conformance cases at " << root;
  size_t rejected = 0, exact = 0, accepted = 0;
  for (const auto& group : std::filesystem::directory_iterator(root)) {
    for (const auto& entry : std::filesystem::directory_iterator(group.path())) {
      std::ifstream file(entry.path());
      const Json c = Json::parse(file);
      SCOPED_TRACE(entry.path().string());
      const std::string text = c.contains("definition_string")
                                   ? c["definition_string"].get<std::string>()
                                   : c["definition"].dump();
      if (c["expected"]["status"] != "CREATE_FAILED") {
        // Everything AWS ran must be accepted.
        EXPECT_NO_THROW(parse_state_machine(text));
        ++accepted;
        continue;
      }
      try {
        parse_state_machine(text);
        ADD_FAILURE() << "accepted a definition AWS refused";
      } catch (const DefinitionException& e) {
        ++rejected;
        if (c["expected"].contains("cause")) {
          EXPECT_EQ(e.message(), c["expected"]["cause"].get<std::string>());
          ++exact;
        }
      }
    }
  }
  EXPECT_EQ(rejected, 75u);
  EXPECT_EQ(exact, 74u);
  EXPECT_EQ(accepted, 733u - 75u);
}

}  // namespace
}  // namespace stepd::asl
