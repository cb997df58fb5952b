// Unit tests of the States.* intrinsic functions: one group per function (normal use, then every
// way its arguments can be refused), then the parser (literals, escapes, paths, nesting) and the
// creation-time validation.
//
// "Recorded on AWS" marks values from shared/conformance/cases (LocalStack's AWS snapshots);
// "observed on AWS" marks behaviour reported by third-party test runs against AWS. The failure
// causes asserted here are stepd's own wording: no recorded case fails inside an intrinsic, so
// AWS's exact text is unknown beyond the "Invalid arguments in States.Name" opening those runs
// report.
#include "core/asl/intrinsics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/asl/json_path.h"
#include "core/asl/payload_template.h"
#include "core/common/states_error.h"

namespace stepd::asl {
namespace {

class IntrinsicsTest : public ::testing::Test {
 protected:
  Json input = Json::parse(R"({
    "s": "Data to encode", "n": 5, "f": 1.5, "arr": [1, 2, 3, 4, 5, 6, 7, 8, 9],
    "obj": {"Arg1": 1, "Arg2": []}, "t": "Hello, my name is {}.", "empty": "", "nul": null,
    "b": true, "key, with comma": "odd key", "nested": {"deep": {"x": "found"}},
    "ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/r/1.2.3"}
  })");
  Json context = Json::parse(
      R"({"Execution": {"Input": {"k": "v", "csv": "a,b"}}, "Map": {"Item": {"Value": "it"}}})");
  Json vars = Json::parse(R"({"tmpl": "{} and {}", "x": 2, "v": {"inner": [10, 20]}})");
  SequentialIdSource ids;
  EvalScope scope{input, context, &vars, &ids};

  Json eval(const std::string& expr) { return evaluate_intrinsic(expr, scope); }

  // Evaluates `expr`, expecting States.IntrinsicFailure with exactly `cause`.
  void expect_failure(const std::string& expr, const std::string& cause) {
    SCOPED_TRACE(expr);
    try {
      Json v = eval(expr);
      ADD_FAILURE() << "returned " << v.dump();
    } catch (const StatesException& e) {
      EXPECT_EQ(e.value().error, "States.IntrinsicFailure");
      EXPECT_EQ(e.value().cause, cause);
    }
  }

  // The cause of a States.IntrinsicFailure, for tests that only check part of it.
  std::string failure(const std::string& expr) {
    try {
      Json v = eval(expr);
      ADD_FAILURE() << expr << " returned " << v.dump();
    } catch (const StatesException& e) {
      EXPECT_EQ(e.value().error, "States.IntrinsicFailure") << expr;
      return e.value().cause;
    }
    return "";
  }

  // A definition-time refusal (wrong argument count, bad syntax): validate_intrinsic throws
  // std::invalid_argument whose message contains `part`, and so does evaluation.
  static void expect_invalid(const std::string& expr, const std::string& part) {
    SCOPED_TRACE(expr);
    try {
      validate_intrinsic(expr);
      ADD_FAILURE() << "validate_intrinsic accepted it";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  }

  // States.IntrinsicFailure's cause when an argument has the wrong type.
  static std::string wrong_type(const std::string& fn, int position, const std::string& want,
                                const std::string& got) {
    return "Invalid arguments in States." + fn + ": argument " + std::to_string(position) +
           " must be " + want + ", but was " + got;
  }
};

// ---------------------------------------------------------------------------------------------
// States.Format

TEST_F(IntrinsicsTest, FormatFillsPlaceholdersInOrder) {
  EXPECT_EQ(eval("States.Format('Hello {}', $.s)"), "Hello Data to encode");
  EXPECT_EQ(eval("States.Format('{}-{}-{}', 'a', 'b', 'c')"), "a-b-c");
  EXPECT_EQ(eval("States.Format('no placeholders')"), "no placeholders");
}

TEST_F(IntrinsicsTest, FormatWritesEachTypeAsAwsDoes) {
  // Recorded on AWS (test_format_1/2): "" stays empty, null prints null, 1.1 prints 1.1.
  EXPECT_EQ(eval("States.Format('[{}]', $.empty)"), "[]");
  EXPECT_EQ(eval("States.Format('{} {} {} {} {} {}', $.n, $.f, true, false, null, 'x')"),
            "5 1.5 true false null x");
  EXPECT_EQ(eval("States.Format('{}', 1.1)"), "1.1");
  EXPECT_EQ(eval("States.Format('{}', 1e2)"), "100.0");
  // Objects and arrays print the way Java prints a Map or a List (AWS, test_format_2 #7).
  EXPECT_EQ(eval("States.Format('{}', $.obj)"), "{Arg1=1, Arg2=[]}");
  EXPECT_EQ(eval("States.Format('{}', States.Array('a', 1, null, States.Array()))"),
            "[a, 1, null, []]");
  // A string holding JSON is printed as it is (AWS, test_format_1 #6).
  EXPECT_EQ(eval(R"(States.Format('arg {}.', States.JsonToString($.obj)))"),
            R"(arg {"Arg1":1,"Arg2":[]}.)");
}

TEST_F(IntrinsicsTest, FormatTemplateFromPathOrVariable) {
  EXPECT_EQ(eval("States.Format($.t, 'Ana')"), "Hello, my name is Ana.");
  EXPECT_EQ(eval("States.Format($tmpl, $x, $$.Map.Item.Value)"), "2 and it");
  // A template read from data has no escapes: its backslashes and lone braces are just text.
  input["raw"] = R"(a\{} { })";
  EXPECT_EQ(eval("States.Format($.raw, 1)"), R"(a\1 { })");
}

TEST_F(IntrinsicsTest, FormatEscapes) {
  // \{ \} \' \\ are literal characters and never placeholders.
  EXPECT_EQ(eval(R"(States.Format('\{\} {} \'q\' \\', 1))"), R"({} 1 'q' \)");
  EXPECT_EQ(eval(R"(States.Format('\{{}\}', 'x'))"), "{x}");
  EXPECT_EQ(eval(R"(States.Format('It\'s {}', $.s))"), "It's Data to encode");
}

TEST_F(IntrinsicsTest, FormatArgumentErrors) {
  const std::string mismatch =
      "Invalid arguments in States.Format: the number of arguments does not match the number of "
      "{} placeholders";
  expect_failure("States.Format('{} {}', 1)", mismatch);
  expect_failure("States.Format('{}', 1, 2)", mismatch);
  expect_failure("States.Format('x', 1)", mismatch);
  expect_failure("States.Format($.n)", wrong_type("Format", 1, "a string", "number"));
  expect_failure("States.Format($.nul, 1)", wrong_type("Format", 1, "a string", "null"));
  expect_failure("States.Format($.arr)", wrong_type("Format", 1, "a string", "array"));
  // A brace in a literal is half of {} or escaped (AWS fails these at run time).
  expect_failure("States.Format('Hello {', 'x')",
                 "Invalid arguments in States.Format: the template has an unescaped '{' that is "
                 "not part of a {} placeholder");
  expect_failure("States.Format('}')",
                 "Invalid arguments in States.Format: the template has an unescaped '}' that is "
                 "not part of a {} placeholder");
  failure("States.Format('Hello {{}}', 'x')");
  expect_invalid("States.Format()",
                 "The intrinsic function States.Format takes at least 1 argument(s), but 0 were "
                 "given");
}

// ---------------------------------------------------------------------------------------------
// States.StringToJson

TEST_F(IntrinsicsTest, StringToJsonParses) {
  EXPECT_EQ(eval(R"(States.StringToJson('{"a": [1, 2.5, "x"]}'))"),
            Json::parse(R"({"a": [1, 2.5, "x"]})"));
  // Values recorded on AWS (test_string_to_json).
  EXPECT_EQ(eval("States.StringToJson('1')"), 1);
  EXPECT_EQ(eval("States.StringToJson('1.1')"), 1.1);
  EXPECT_EQ(eval("States.StringToJson('true')"), true);
  EXPECT_EQ(eval(R"(States.StringToJson('"HelloWorld"'))"), "HelloWorld");
  EXPECT_EQ(eval(R"(States.StringToJson('[1, 2, "HelloWorld"]'))"),
            Json::parse(R"([1, 2, "HelloWorld"])"));
  EXPECT_EQ(eval("States.StringToJson('-0')"), 0);
  EXPECT_TRUE(eval("States.StringToJson('-0')").is_number_integer());
  EXPECT_EQ(eval("States.StringToJson('null')"), nullptr);
  // "" and " " become null (AWS).
  EXPECT_EQ(eval("States.StringToJson($.empty)"), nullptr);
  EXPECT_EQ(eval("States.StringToJson(' ')"), nullptr);
  EXPECT_EQ(eval(R"(States.StringToJson(' {"a":1} '))"), Json::parse(R"({"a":1})"));
  // Key order is kept.
  EXPECT_EQ(eval(R"(States.StringToJson('{"z":1,"a":2}'))").dump(), R"({"z":1,"a":2})");
}

TEST_F(IntrinsicsTest, StringToJsonErrors) {
  expect_failure("States.StringToJson('{bad')",
                 "Invalid arguments in States.StringToJson: the argument is not valid JSON: {bad");
  failure(R"(States.StringToJson('{"a":1'))");
  failure("States.StringToJson('undefined')");
  failure("States.StringToJson('1 2')");
  expect_failure("States.StringToJson($.n)", wrong_type("StringToJson", 1, "a string", "number"));
  expect_failure("States.StringToJson($.obj)", wrong_type("StringToJson", 1, "a string", "object"));
  expect_failure("States.StringToJson($.nul)", wrong_type("StringToJson", 1, "a string", "null"));
  expect_invalid("States.StringToJson()", "takes 1 argument(s), but 0 were given");
  expect_invalid("States.StringToJson('1', '2')", "takes 1 argument(s), but 2 were given");
}

// ---------------------------------------------------------------------------------------------
// States.JsonToString

TEST_F(IntrinsicsTest, JsonToStringWritesCompactJson) {
  // Values recorded on AWS (test_json_to_string).
  EXPECT_EQ(eval("States.JsonToString($.obj)"), R"({"Arg1":1,"Arg2":[]})");
  EXPECT_EQ(eval("States.JsonToString($.nul)"), "null");
  EXPECT_EQ(eval("States.JsonToString($.s)"), "\"Data to encode\"");
  EXPECT_EQ(eval("States.JsonToString($.f)"), "1.5");
  EXPECT_EQ(eval("States.JsonToString($.b)"), "true");
  EXPECT_EQ(eval("States.JsonToString(States.Array(1, 2, 'HelloWorld'))"), R"([1,2,"HelloWorld"])");
  EXPECT_EQ(eval(R"(States.JsonToString(States.StringToJson('{"z":1,"a":[0.5]}')))"),
            R"({"z":1,"a":[0.5]})");
  EXPECT_EQ(eval("States.JsonToString(1e20)"), "1.0E20");  // Java's Double.toString
}

TEST_F(IntrinsicsTest, JsonToStringArgumentCount) {
  expect_invalid("States.JsonToString()", "takes 1 argument(s), but 0 were given");
  expect_invalid("States.JsonToString($.a, $.b)", "takes 1 argument(s), but 2 were given");
}

// ---------------------------------------------------------------------------------------------
// States.Array

TEST_F(IntrinsicsTest, ArrayCollectsArguments) {
  EXPECT_EQ(eval("States.Array()"), Json::array());
  EXPECT_EQ(eval("States.Array($.n, 'a', null, $.obj)"),
            Json::parse(R"([5, "a", null, {"Arg1": 1, "Arg2": []}])"));
  EXPECT_EQ(eval("States.Array($.empty, $.empty)"), Json::parse(R"(["", ""])"));
  EXPECT_EQ(eval("States.Array(States.Array(1), States.Array())"), Json::parse("[[1], []]"));
  // Any number of arguments.
  std::string many = "States.Array(0";
  for (int i = 1; i < 200; ++i) many += ", " + std::to_string(i);
  EXPECT_EQ(eval(many + ")").size(), 200u);
}

// ---------------------------------------------------------------------------------------------
// States.ArrayPartition

TEST_F(IntrinsicsTest, ArrayPartitionChunks) {
  EXPECT_EQ(eval("States.ArrayPartition($.arr, 4)"), Json::parse("[[1,2,3,4],[5,6,7,8],[9]]"));
  EXPECT_EQ(eval("States.ArrayPartition($.arr, 1)").size(), 9u);
  EXPECT_EQ(eval("States.ArrayPartition($.arr, 9)"), Json::parse("[[1,2,3,4,5,6,7,8,9]]"));
  EXPECT_EQ(eval("States.ArrayPartition($.arr, 2147483647)"), Json::parse("[[1,2,3,4,5,6,7,8,9]]"));
  EXPECT_EQ(eval("States.ArrayPartition(States.Array(), 2)"), Json::array());
  EXPECT_EQ(eval("States.ArrayPartition(States.Array($.obj, 'x', States.Array()), 2)"),
            Json::parse(R"([[{"Arg1": 1, "Arg2": []}, "x"], [[]]])"));
  // A fraction is cut off, not rounded (observed on AWS): 2.6 acts as 2.
  EXPECT_EQ(eval("States.ArrayPartition(States.Array(1,2,3,4,5), 2.6)"),
            Json::parse("[[1,2],[3,4],[5]]"));
}

TEST_F(IntrinsicsTest, ArrayPartitionErrors) {
  expect_failure("States.ArrayPartition($.arr, 0)",
                 "Invalid arguments in States.ArrayPartition: the chunk size must be greater "
                 "than 0, but was 0");
  expect_failure("States.ArrayPartition($.arr, -1)",
                 "Invalid arguments in States.ArrayPartition: the chunk size must be greater "
                 "than 0, but was -1");
  EXPECT_NE(failure("States.ArrayPartition($.arr, 0.6)").find("but was 0"), std::string::npos);
  failure("States.ArrayPartition($.arr, -0.4)");
  expect_failure("States.ArrayPartition($.s, 2)",
                 wrong_type("ArrayPartition", 1, "an array", "string"));
  expect_failure("States.ArrayPartition($.obj, 2)",
                 wrong_type("ArrayPartition", 1, "an array", "object"));
  expect_failure("States.ArrayPartition($.arr, '2')",
                 wrong_type("ArrayPartition", 2, "a number", "string"));
  expect_failure("States.ArrayPartition($.arr, null)",
                 wrong_type("ArrayPartition", 2, "a number", "null"));
  expect_invalid("States.ArrayPartition($.arr)", "takes 2 argument(s), but 1 were given");
  expect_invalid("States.ArrayPartition($.arr, 2, 3)", "takes 2 argument(s), but 3 were given");
}

// ---------------------------------------------------------------------------------------------
// States.ArrayContains

TEST_F(IntrinsicsTest, ArrayContainsSearches) {
  EXPECT_EQ(eval("States.ArrayContains($.arr, 5)"), true);
  EXPECT_EQ(eval("States.ArrayContains($.arr, 10)"), false);
  EXPECT_EQ(eval("States.ArrayContains($.arr, '5')"), false);
  // Recorded on AWS (test_array_contains).
  EXPECT_EQ(eval("States.ArrayContains(States.Array(), null)"), false);
  EXPECT_EQ(eval("States.ArrayContains(States.Array(), States.Array())"), false);
  EXPECT_EQ(eval("States.ArrayContains(States.Array(States.Array(1,2,3), 2), null)"), false);
  EXPECT_EQ(eval("States.ArrayContains(States.Array(States.Array(1,2,3), 2), "
                 "States.Array(1,2,3))"),
            true);
  EXPECT_EQ(eval("States.ArrayContains(States.Array(true, false), false)"), true);
  // Objects compare by value; null is a value like any other.
  EXPECT_EQ(eval("States.ArrayContains(States.Array(1, $.obj), $.obj)"), true);
  EXPECT_EQ(eval("States.ArrayContains(States.Array(1, null), null)"), true);
  // 1 and 1.0 are kept apart, as Jackson's node equality keeps them.
  EXPECT_EQ(eval("States.ArrayContains(States.Array(1, 2), 1.0)"), false);
}

TEST_F(IntrinsicsTest, ArrayContainsErrors) {
  expect_failure("States.ArrayContains($.s, 1)",
                 wrong_type("ArrayContains", 1, "an array", "string"));
  expect_failure("States.ArrayContains($.nul, 1)",
                 wrong_type("ArrayContains", 1, "an array", "null"));
  expect_invalid("States.ArrayContains($.arr)", "takes 2 argument(s), but 1 were given");
  expect_invalid("States.ArrayContains($.arr, 1, 2)", "takes 2 argument(s), but 3 were given");
}

// ---------------------------------------------------------------------------------------------
// States.ArrayRange

TEST_F(IntrinsicsTest, ArrayRangeBuildsRanges) {
  // Recorded on AWS (test_array_range).
  EXPECT_EQ(eval("States.ArrayRange(0, 9, 3)"), Json::parse("[0,3,6,9]"));
  EXPECT_EQ(eval("States.ArrayRange(0, 10, 3)"), Json::parse("[0,3,6,9]"));
  EXPECT_EQ(eval("States.ArrayRange(1, 9, 9)"), Json::parse("[1]"));
  EXPECT_EQ(eval("States.ArrayRange(1, 9, 2)"), Json::parse("[1,3,5,7,9]"));
  EXPECT_EQ(eval("States.ArrayRange(-2, 2, 2)"), Json::parse("[-2,0,2]"));
  EXPECT_EQ(eval("States.ArrayRange(5, 1, -2)"), Json::parse("[5,3,1]"));
  EXPECT_EQ(eval("States.ArrayRange(3, 3, -1)"), Json::parse("[3]"));
  // The wrong direction gives an empty array, not an error.
  EXPECT_EQ(eval("States.ArrayRange(5, 1, 2)"), Json::array());
  EXPECT_EQ(eval("States.ArrayRange(1, 5, -1)"), Json::array());
  // Fractions are cut off (observed on AWS): this is ArrayRange(5, 0, -2).
  EXPECT_EQ(eval("States.ArrayRange(5.4, -0.6, -2.4)"), Json::parse("[5,3,1]"));
  EXPECT_EQ(eval("States.ArrayRange(1.6, 1.4, 1)"), Json::parse("[1]"));
}

TEST_F(IntrinsicsTest, ArrayRangeLimitIsAThousandItems) {
  Json up = eval("States.ArrayRange(1, 1000, 1)");
  ASSERT_EQ(up.size(), 1000u);
  EXPECT_EQ(up.front(), 1);
  EXPECT_EQ(up.back(), 1000);
  Json down = eval("States.ArrayRange(1000, 1, -1)");
  ASSERT_EQ(down.size(), 1000u);
  EXPECT_EQ(down.back(), 1);
  const std::string too_many =
      "Invalid arguments in States.ArrayRange: the array cannot contain more than 1000 items";
  expect_failure("States.ArrayRange(1, 1001, 1)", too_many);
  expect_failure("States.ArrayRange(1001, 1, -1)", too_many);
  // Far-apart bounds neither overflow nor allocate.
  expect_failure("States.ArrayRange(-9000000000000000000, 9000000000000000000, 1)", too_many);
}

TEST_F(IntrinsicsTest, ArrayRangeErrors) {
  const std::string zero_step = "Invalid arguments in States.ArrayRange: the step cannot be 0";
  expect_failure("States.ArrayRange(1, 9, 0)", zero_step);
  expect_failure("States.ArrayRange(1, 9, 0.49)", zero_step);  // cut to 0 first
  expect_failure("States.ArrayRange('1', 9, 1)", wrong_type("ArrayRange", 1, "a number", "string"));
  expect_failure("States.ArrayRange(1, null, 1)", wrong_type("ArrayRange", 2, "a number", "null"));
  expect_failure("States.ArrayRange(1, 9, true)",
                 wrong_type("ArrayRange", 3, "a number", "boolean"));
  expect_invalid("States.ArrayRange(1, 2)", "takes 3 argument(s), but 2 were given");
  expect_invalid("States.ArrayRange(1, 5, 1, 99)", "takes 3 argument(s), but 4 were given");
}

// ---------------------------------------------------------------------------------------------
// States.ArrayGetItem

TEST_F(IntrinsicsTest, ArrayGetItemReadsAnIndex) {
  EXPECT_EQ(eval("States.ArrayGetItem($.arr, 5)"), 6);  // recorded on AWS
  EXPECT_EQ(eval("States.ArrayGetItem($.arr, 0)"), 1);
  EXPECT_EQ(eval("States.ArrayGetItem($.arr, 8)"), 9);
  EXPECT_EQ(eval("States.ArrayGetItem(States.Array(null, $.obj), 1)"), input["obj"]);
  EXPECT_EQ(eval("States.ArrayGetItem(States.Array(null, $.obj), 0)"), nullptr);
  EXPECT_EQ(eval("States.ArrayGetItem($.arr, 1.2)"), 2);  // the fraction is cut (AWS)
  EXPECT_EQ(eval("States.ArrayGetItem($.arr, $.n)"), 6);
}

TEST_F(IntrinsicsTest, ArrayGetItemErrors) {
  expect_failure("States.ArrayGetItem($.arr, 9)",
                 "Invalid arguments in States.ArrayGetItem: the index 9 is out of bounds for an "
                 "array of length 9");
  expect_failure("States.ArrayGetItem($.arr, -1)",
                 "Invalid arguments in States.ArrayGetItem: the index -1 is out of bounds for an "
                 "array of length 9");
  expect_failure("States.ArrayGetItem($.obj, 0)",
                 wrong_type("ArrayGetItem", 1, "an array", "object"));
  expect_failure("States.ArrayGetItem('not-array', 0)",
                 wrong_type("ArrayGetItem", 1, "an array", "string"));
  expect_failure("States.ArrayGetItem($.arr, '1')",
                 wrong_type("ArrayGetItem", 2, "a number", "string"));
  expect_invalid("States.ArrayGetItem($.arr)", "takes 2 argument(s), but 1 were given");
  expect_invalid("States.ArrayGetItem($.arr, 1, 2)", "takes 2 argument(s), but 3 were given");
}

// ---------------------------------------------------------------------------------------------
// States.ArrayLength

TEST_F(IntrinsicsTest, ArrayLength) {
  EXPECT_EQ(eval("States.ArrayLength($.arr)"), 9);  // recorded on AWS
  EXPECT_EQ(eval("States.ArrayLength(States.Array())"), 0);
  EXPECT_EQ(eval("States.ArrayLength(States.Array(null, null))"), 2);
  expect_failure("States.ArrayLength($.s)", wrong_type("ArrayLength", 1, "an array", "string"));
  expect_failure("States.ArrayLength($.obj)", wrong_type("ArrayLength", 1, "an array", "object"));
  expect_failure("States.ArrayLength($.nul)", wrong_type("ArrayLength", 1, "an array", "null"));
  expect_invalid("States.ArrayLength()", "takes 1 argument(s), but 0 were given");
  expect_invalid("States.ArrayLength($.arr, $.arr)", "takes 1 argument(s), but 2 were given");
}

// ---------------------------------------------------------------------------------------------
// States.ArrayUnique

TEST_F(IntrinsicsTest, ArrayUnique) {
  // First occurrences are kept, in order; 1 and 1.0 stay apart (different Jackson nodes).
  EXPECT_EQ(eval(R"(States.ArrayUnique(States.StringToJson('[1,1,"a","a",null,null,[1],[1],
                 {"a":1},{"a":1},{"a":2},true,true,false,2,1,1.0]')))"),
            Json::parse(R"([1, "a", null, [1], {"a": 1}, {"a": 2}, true, false, 2, 1.0])"));
  EXPECT_EQ(eval("States.ArrayUnique(States.Array())"), Json::array());
  EXPECT_EQ(eval("States.ArrayUnique($.arr)"), input["arr"]);
  expect_failure("States.ArrayUnique($.n)", wrong_type("ArrayUnique", 1, "an array", "number"));
  expect_invalid("States.ArrayUnique()", "takes 1 argument(s), but 0 were given");
  expect_invalid("States.ArrayUnique($.arr, 1)", "takes 1 argument(s), but 2 were given");
}

// ---------------------------------------------------------------------------------------------
// States.Base64Encode

TEST_F(IntrinsicsTest, Base64Encode) {
  // Recorded on AWS (test_base_64_encode).
  EXPECT_EQ(eval("States.Base64Encode($.s)"), "RGF0YSB0byBlbmNvZGU=");
  EXPECT_EQ(eval("States.Base64Encode($.empty)"), "");
  EXPECT_EQ(eval("States.Base64Encode('ab')"), "YWI=");
  EXPECT_EQ(eval("States.Base64Encode('abc')"), "YWJj");
  // UTF-8 bytes are encoded.
  EXPECT_EQ(eval("States.Base64Encode('héllo ✓')"), "aMOpbGxvIOKckw==");
  expect_failure("States.Base64Encode($.n)", wrong_type("Base64Encode", 1, "a string", "number"));
  expect_failure("States.Base64Encode($.nul)", wrong_type("Base64Encode", 1, "a string", "null"));
  expect_invalid("States.Base64Encode()", "takes 1 argument(s), but 0 were given");
  expect_invalid("States.Base64Encode('a', 'b')", "takes 1 argument(s), but 2 were given");
}

TEST_F(IntrinsicsTest, Base64EncodeLimitIsTenThousandCharacters) {
  Json data = {{"ok", std::string(10000, 'a')},
               {"big", std::string(10001, 'a')},
               // Characters are counted as Java counts them (UTF-16 units): each emoji is 2.
               {"emoji_ok",
                [] {
                  std::string s;
                  for (int i = 0; i < 5000; ++i) s += "\xF0\x9F\x9A\x80";
                  return s;
                }()},
               {"emoji_big", [] {
                  std::string s;
                  for (int i = 0; i < 5000; ++i) s += "\xF0\x9F\x9A\x80";
                  return s + "a";
                }()}};
  EvalScope s{data, context};
  EXPECT_EQ(evaluate_intrinsic("States.Base64Encode($.ok)", s).get<std::string>().size(), 13336u);
  EXPECT_NO_THROW(evaluate_intrinsic("States.Base64Encode($.emoji_ok)", s));
  for (const char* expr : {"States.Base64Encode($.big)", "States.Base64Encode($.emoji_big)"}) {
    SCOPED_TRACE(expr);
    try {
      evaluate_intrinsic(expr, s);
      ADD_FAILURE() << "accepted";
    } catch (const StatesException& e) {
      EXPECT_EQ(e.value().error, "States.IntrinsicFailure");
      EXPECT_EQ(e.value().cause,
                "Invalid arguments in States.Base64Encode: the input string cannot be longer "
                "than 10000 characters");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// States.Base64Decode

TEST_F(IntrinsicsTest, Base64Decode) {
  // Recorded on AWS (test_base_64_decode).
  EXPECT_EQ(eval("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"), "Data to encode");
  EXPECT_EQ(eval("States.Base64Decode($.empty)"), "");
  EXPECT_EQ(eval("States.Base64Decode('YWI')"), "ab");  // padding may be left out
  EXPECT_EQ(eval("States.Base64Decode('4pyT')"), "✓");
  EXPECT_EQ(eval("States.Base64Decode(States.Base64Encode('héllo ✓'))"), "héllo ✓");
  EXPECT_EQ(eval("States.Base64Decode('YQBi')"), std::string("a\0b", 3));
  // Bytes that are not UTF-8 become U+FFFD, as Java's new String(bytes, UTF_8) does.
  EXPECT_EQ(eval("States.Base64Decode('//4=')"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_F(IntrinsicsTest, Base64DecodeIsLenientLikeMime) {
  // Characters outside the alphabet are skipped, '=' ends the data, stray bits are dropped
  // (AWS decodes all of these rather than failing).
  EXPECT_EQ(eval("States.Base64Decode(' YWJj\nZA== ')"), "abcd");
  EXPECT_EQ(eval("States.Base64Decode('YWJjZA==YWJj')"), "abcd");
  EXPECT_EQ(eval("States.Base64Decode('ab==cd')"), "i");
  EXPECT_EQ(eval("States.Base64Decode('YWJjZ')"), "abc");
  EXPECT_EQ(eval("States.Base64Decode('A')"), "");
  EXPECT_EQ(eval("States.Base64Decode('!!!')"), "");
}

TEST_F(IntrinsicsTest, Base64DecodeErrors) {
  Json data = {{"ok", std::string(10000, 'A')}, {"big", std::string(10001, 'A')}};
  EvalScope s{data, context};
  EXPECT_EQ(evaluate_intrinsic("States.Base64Decode($.ok)", s).get<std::string>().size(), 7500u);
  try {
    evaluate_intrinsic("States.Base64Decode($.big)", s);
    ADD_FAILURE() << "accepted 10001 characters";
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().error, "States.IntrinsicFailure");
    EXPECT_EQ(e.value().cause,
              "Invalid arguments in States.Base64Decode: the input string cannot be longer than "
              "10000 characters");
  }
  expect_failure("States.Base64Decode(123)", wrong_type("Base64Decode", 1, "a string", "number"));
  expect_failure("States.Base64Decode($.obj)", wrong_type("Base64Decode", 1, "a string", "object"));
  expect_invalid("States.Base64Decode()", "takes 1 argument(s), but 0 were given");
  expect_invalid("States.Base64Decode('YQ==', 'x')", "takes 1 argument(s), but 2 were given");
}

// ---------------------------------------------------------------------------------------------
// States.Hash

TEST_F(IntrinsicsTest, HashAlgorithms) {
  // Values recorded on AWS (test_hash_calculations) and the guide's SHA-1 example.
  EXPECT_EQ(eval("States.Hash('input data', 'MD5')"), "812f45842bc6d66ee14572ce20db8e86");
  EXPECT_EQ(eval("States.Hash('input data', 'SHA-1')"), "aaff4a450a104cd177d28d18d74485e8cae074b7");
  EXPECT_EQ(eval("States.Hash('input data', 'SHA-256')"),
            "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3");
  EXPECT_EQ(eval("States.Hash('input data', 'SHA-384')"),
            "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e"
            "9374a15562");
  EXPECT_EQ(eval("States.Hash('input data', 'SHA-512')"),
            "6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593f"
            "c50283731a533d30d425402d4f91316d871303aac4");
  EXPECT_EQ(eval("States.Hash('', 'SHA-256')"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(eval("States.Hash('✓', 'SHA-256')"),
            "1dabba21cdad44541f6b15796f8d22978fc7ea10c46aeceeeeb66c23b3ac7604");
}

TEST_F(IntrinsicsTest, HashOfNonStringDataHashesItsJsonText) {
  // AWS hashes a number or an object by its text instead of refusing it.
  EXPECT_EQ(eval("States.Hash(123, 'SHA-256')"),
            "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3");  // "123"
  EXPECT_EQ(eval(R"(States.Hash(States.StringToJson('{"a": 1, "b": [true, null]}'), 'MD5'))"),
            "9264c02a0f4163be44ebc9264e797413");  // {"a":1,"b":[true,null]}
}

TEST_F(IntrinsicsTest, HashErrors) {
  const std::string unsupported_tail =
      "' is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512";
  // Names are exact: no other spelling or case.
  for (const char* algorithm : {"SHA-3", "md5", "sha-256", "SHA256", "MD-5", "SHA-257", ""}) {
    expect_failure(std::string("States.Hash('abc', '") + algorithm + "')",
                   std::string("Invalid arguments in States.Hash: the hash algorithm '") +
                       algorithm + unsupported_tail);
  }
  expect_failure("States.Hash($.nul, 'MD5')",
                 "Invalid arguments in States.Hash: the data to hash cannot be null");
  expect_failure("States.Hash('abc', 256)", wrong_type("Hash", 2, "a string", "number"));
  Json data = {{"ok", std::string(10000, 'a')}, {"big", std::string(10001, 'a')}};
  EvalScope s{data, context};
  EXPECT_NO_THROW(evaluate_intrinsic("States.Hash($.ok, 'SHA-256')", s));
  try {
    evaluate_intrinsic("States.Hash($.big, 'SHA-256')", s);
    ADD_FAILURE() << "accepted 10001 characters";
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().cause,
              "Invalid arguments in States.Hash: the input string cannot be longer than 10000 "
              "characters");
  }
  expect_invalid("States.Hash('abc')", "takes 2 argument(s), but 1 were given");
  expect_invalid("States.Hash('abc', 'MD5', 'x')", "takes 2 argument(s), but 3 were given");
}

// ---------------------------------------------------------------------------------------------
// States.JsonMerge

TEST_F(IntrinsicsTest, JsonMergeIsShallow) {
  // Recorded on AWS (test_json_merge): the second object's "a" replaces the first's whole.
  Json merged =
      eval(R"(States.JsonMerge(States.StringToJson('{"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}'), )"
           R"(States.StringToJson('{"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}'), false))");
  EXPECT_EQ(merged.dump(), R"({"a":{"a3":1,"a4":2},"b":2,"d":4,"c":3})");
  EXPECT_EQ(eval("States.JsonMerge($.obj, States.StringToJson('{}'), false)"), input["obj"]);
  // Recorded on AWS (test_json_merge_escaped_argument).
  context["Execution"]["Input"]["input_field"] = {{"constant_input_field", "constant_value"}};
  EXPECT_EQ(eval(R"(States.JsonMerge(States.StringToJson('{"constant_in_literal": "false"}'), )"
                 R"($$.Execution.Input.input_field, false))"),
            Json::parse(R"({"constant_in_literal": "false",
                            "constant_input_field": "constant_value"})"));
}

TEST_F(IntrinsicsTest, JsonMergeErrors) {
  expect_failure("States.JsonMerge($.obj, $.obj, true)",
                 "Invalid arguments in States.JsonMerge: deep merge is not supported; the third "
                 "argument must be false");
  expect_failure("States.JsonMerge($.arr, $.obj, false)",
                 wrong_type("JsonMerge", 1, "a JSON object", "array"));
  expect_failure("States.JsonMerge($.obj, $.s, false)",
                 wrong_type("JsonMerge", 2, "a JSON object", "string"));
  expect_failure("States.JsonMerge($.obj, $.obj, 'false')",
                 wrong_type("JsonMerge", 3, "a boolean", "string"));
  expect_failure("States.JsonMerge($.obj, $.obj, null)",
                 wrong_type("JsonMerge", 3, "a boolean", "null"));
  expect_invalid("States.JsonMerge($.obj, $.obj)", "takes 3 argument(s), but 2 were given");
}

// ---------------------------------------------------------------------------------------------
// States.MathRandom

TEST_F(IntrinsicsTest, MathRandomWithSeedIsJavaRandom) {
  // start + new java.util.Random(seed).nextInt(end - start), computed separately.
  EXPECT_EQ(eval("States.MathRandom(0, 10, 42)"), 0);
  EXPECT_EQ(eval("States.MathRandom(0, 100, 42)"), 30);
  EXPECT_EQ(eval("States.MathRandom(1, 999, 42)"), 255);
  EXPECT_EQ(eval("States.MathRandom(0, 999, 3)"), 239);
  EXPECT_EQ(eval("States.MathRandom(0, 16, 7)"), 11);  // a power-of-two span
  EXPECT_EQ(eval("States.MathRandom(1, 10, -10)"), 1);
  EXPECT_EQ(eval("States.MathRandom(1, 10, 0)"), 7);
  EXPECT_EQ(eval("States.MathRandom(2147483640, 2147483647, 1)"), 2147483644);
  EXPECT_EQ(eval("States.MathRandom(1, 999, 42)"), eval("States.MathRandom(1, 999, 42)"));
}

TEST_F(IntrinsicsTest, MathRandomWithoutSeed) {
  for (int i = 0; i < 50; ++i) {
    Json r = eval("States.MathRandom(5, 8)");
    ASSERT_TRUE(r.is_number_integer());
    EXPECT_GE(r.get<int64_t>(), 5);
    EXPECT_LT(r.get<int64_t>(), 8);  // the end is exclusive
  }
  EXPECT_EQ(eval("States.MathRandom(-3, -2)"), -3);
  // Bounds with fractions are cut (AWS ran MathRandom(12.5, 44.51) and, observed, lets 1.6
  // stand for 1): this is [1, 5).
  for (int i = 0; i < 50; ++i) {
    int64_t r = eval("States.MathRandom(1.6, 5.4)").get<int64_t>();
    EXPECT_GE(r, 1);
    EXPECT_LT(r, 5);
  }
  EXPECT_EQ(eval("States.MathRandom(12.5, 13.9)"), 12);
}

TEST_F(IntrinsicsTest, MathRandomErrors) {
  expect_failure("States.MathRandom(5, 5)",
                 "Invalid arguments in States.MathRandom: the start must be less than the end, "
                 "but got 5 and 5");
  expect_failure("States.MathRandom(9, 5)",
                 "Invalid arguments in States.MathRandom: the start must be less than the end, "
                 "but got 9 and 5");
  expect_failure("States.MathRandom(1.4, 1.6)",
                 "Invalid arguments in States.MathRandom: the start must be less than the end, "
                 "but got 1 and 1");
  expect_failure("States.MathRandom('a', 5)", wrong_type("MathRandom", 1, "a number", "string"));
  expect_failure("States.MathRandom(1, null)", wrong_type("MathRandom", 2, "a number", "null"));
  expect_failure("States.MathRandom(1, 2147483648)",
                 "Invalid arguments in States.MathRandom: argument 2 must be between -2147483648 "
                 "and 2147483647, but was 2147483648");
  expect_failure("States.MathRandom(1, 10, 'seed')",
                 "Invalid arguments in States.MathRandom: argument 3 must be an integer, but was "
                 "\"seed\"");
  expect_failure("States.MathRandom(1, 10, null)",
                 "Invalid arguments in States.MathRandom: argument 3 must be an integer, but was "
                 "null");
  expect_failure("States.MathRandom(1, 10, 2.5)",
                 "Invalid arguments in States.MathRandom: argument 3 must be an integer, but was "
                 "2.5");
  expect_failure("States.MathRandom(-2147483648, 2147483647, 1)",
                 "Invalid arguments in States.MathRandom: the range is too large");
  expect_invalid("States.MathRandom(1)", "takes 2 or 3 argument(s), but 1 were given");
  expect_invalid("States.MathRandom(1, 10, 5, 99)", "takes 2 or 3 argument(s), but 4 were given");
}

TEST_F(IntrinsicsTest, MathRandomWithoutRandomSourceIsRuntimeError) {
  EvalScope no_ids{input, context};
  try {
    evaluate_intrinsic("States.MathRandom(1, 5)", no_ids);
    FAIL() << "expected States.Runtime";
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().error, "States.Runtime");
    EXPECT_EQ(e.value().cause, "States.MathRandom needs a random source, and none is set");
  }
  EXPECT_EQ(evaluate_intrinsic("States.MathRandom(0, 10, 42)", no_ids), 0);  // a seed needs none
}

// ---------------------------------------------------------------------------------------------
// States.MathAdd

TEST_F(IntrinsicsTest, MathAdd) {
  EXPECT_EQ(eval("States.MathAdd(111, -1)"), 110);  // the guide's example
  EXPECT_EQ(eval("States.MathAdd(-9, 3)"), -6);     // recorded on AWS
  EXPECT_EQ(eval("States.MathAdd($.n, $x)"), 7);
  EXPECT_EQ(eval("States.MathAdd(States.MathAdd(1, 2), States.MathAdd(3, 4))"), 10);
  EXPECT_EQ(eval("States.MathAdd(2147483646, 1)"), 2147483647);
  EXPECT_EQ(eval("States.MathAdd(-2147483647, -1)"), -2147483648LL);
  EXPECT_EQ(eval("States.MathAdd(2147483647, -2147483648)"), -1);
  EXPECT_TRUE(eval("States.MathAdd(0.5, 0)").is_number_integer());
}

TEST_F(IntrinsicsTest, MathAddRoundsHalvesUpwards) {
  // Every value recorded on AWS (test_math_add): Java's Math.round, halves towards +infinity.
  struct Case {
    const char* a;
    const char* b;
    int sum;
  };
  for (const Case& c : {Case{"1.49", "1.5", 3}, Case{"1.5", "1.51", 4}, Case{"-1.49", "-1.5", -2},
                        Case{"-1.5", "-1.51", -3}, Case{"1.49", "-1.49", 0}, Case{"1.5", "0", 2},
                        Case{"-1.49", "0", -1}, Case{"-1.5", "0", -1}, Case{"-1.51", "0", -2},
                        Case{"0.5", "0", 1}, Case{"3.5", "0", 4}, Case{"-0.5", "0.5", 1},
                        Case{"-0.5", "0", 0}, Case{"-2.5", "0", -2}, Case{"-3.5", "0", -3}}) {
    EXPECT_EQ(eval(std::string("States.MathAdd(") + c.a + ", " + c.b + ")"), c.sum)
        << c.a << " + " << c.b;
  }
}

TEST_F(IntrinsicsTest, MathAddErrors) {
  expect_failure("States.MathAdd(2147483647, 1)",
                 "Invalid arguments in States.MathAdd: the sum 2147483648 is outside the range "
                 "-2147483648 to 2147483647");
  expect_failure("States.MathAdd(-2147483648, -1)",
                 "Invalid arguments in States.MathAdd: the sum -2147483649 is outside the range "
                 "-2147483648 to 2147483647");
  expect_failure("States.MathAdd(2147483648, 1)",
                 "Invalid arguments in States.MathAdd: argument 1 must be between -2147483648 and "
                 "2147483647, but was 2147483648");
  expect_failure("States.MathAdd(1, -3000000000)",
                 "Invalid arguments in States.MathAdd: argument 2 must be between -2147483648 and "
                 "2147483647, but was -3000000000");
  failure("States.MathAdd(1e300, 1)");
  expect_failure("States.MathAdd('1', 1)", wrong_type("MathAdd", 1, "a number", "string"));
  expect_failure("States.MathAdd(null, 1)", wrong_type("MathAdd", 1, "a number", "null"));
  expect_failure("States.MathAdd(1, true)", wrong_type("MathAdd", 2, "a number", "boolean"));
  expect_failure("States.MathAdd(1, $.arr)", wrong_type("MathAdd", 2, "a number", "array"));
  expect_invalid("States.MathAdd(1)", "takes 2 argument(s), but 1 were given");
  expect_invalid("States.MathAdd(1, 2, 3)", "takes 2 argument(s), but 3 were given");
}

// ---------------------------------------------------------------------------------------------
// States.StringSplit

TEST_F(IntrinsicsTest, StringSplit) {
  EXPECT_EQ(eval("States.StringSplit('1,2,3,4,5', ',')"),
            Json::parse(R"(["1","2","3","4","5"])"));  // recorded on AWS
  // Every character of the second argument splits (the guide's example).
  EXPECT_EQ(eval("States.StringSplit('This.is+a,test=string', '.+,=')"),
            Json::parse(R"(["This","is","a","test","string"])"));
  // Empty pieces are dropped (recorded on AWS).
  EXPECT_EQ(eval("States.StringSplit(',,,,', ',')"), Json::array());
  EXPECT_EQ(eval("States.StringSplit(', , ,', ',')"), Json::parse(R"([" ", " "])"));
  EXPECT_EQ(eval("States.StringSplit(' ', ',')"), Json::parse(R"([" "])"));
  EXPECT_EQ(eval("States.StringSplit('split on T and \nnew line', 'T\n')"),
            Json::parse(R"(["split on ", " and ", "new line"])"));
  EXPECT_EQ(eval("States.StringSplit('Hello\nWorld', '\n')"), Json::parse(R"(["Hello","World"])"));
  EXPECT_EQ(eval("States.StringSplit($.empty, ',')"), Json::array());
  EXPECT_EQ(eval("States.StringSplit('abc', '')"), Json::parse(R"(["abc"])"));
  // Characters, not bytes: a multi-byte delimiter is one character.
  EXPECT_EQ(eval("States.StringSplit('a→b→c', '→')"), Json::parse(R"(["a","b","c"])"));
  EXPECT_EQ(eval("States.StringSplit('x→y', '←')"), Json::parse(R"(["x→y"])"));
  EXPECT_EQ(eval("States.StringSplit($$.Execution.Input.csv, ',')"), Json::parse(R"(["a","b"])"));
}

TEST_F(IntrinsicsTest, StringSplitErrors) {
  expect_failure("States.StringSplit($.n, ',')",
                 wrong_type("StringSplit", 1, "a string", "number"));
  expect_failure("States.StringSplit('a', $.n)",
                 wrong_type("StringSplit", 2, "a string", "number"));
  expect_failure("States.StringSplit('a', null)", wrong_type("StringSplit", 2, "a string", "null"));
  expect_invalid("States.StringSplit('a')", "takes 2 argument(s), but 1 were given");
  expect_invalid("States.StringSplit('a', ',', ';')", "takes 2 argument(s), but 3 were given");
}

// ---------------------------------------------------------------------------------------------
// States.UUID

TEST_F(IntrinsicsTest, Uuid) {
  EXPECT_EQ(eval("States.UUID()"), "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(eval("States.UUID()"), "00000000-0000-4000-8000-000000000002");
  EXPECT_EQ(eval("States.Array(States.UUID(), States.UUID())"),
            Json::parse(R"(["00000000-0000-4000-8000-000000000003",
                            "00000000-0000-4000-8000-000000000004"])"));
  EvalScope no_ids{input, context};
  try {
    evaluate_intrinsic("States.UUID()", no_ids);
    FAIL() << "expected States.Runtime";
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().error, "States.Runtime");
    EXPECT_EQ(e.value().cause, "States.UUID needs an id source, and none is set");
  }
  expect_invalid("States.UUID(1)", "takes 0 argument(s), but 1 were given");
}

// ---------------------------------------------------------------------------------------------
// The parser: literals, escapes, paths, nesting

TEST_F(IntrinsicsTest, LooksLikeIntrinsic) {
  EXPECT_TRUE(looks_like_intrinsic("States.Format('x')"));
  EXPECT_TRUE(looks_like_intrinsic("States.UUID()"));
  EXPECT_TRUE(looks_like_intrinsic("  States.UUID ()"));
  EXPECT_TRUE(looks_like_intrinsic("States.Nope(1)"));  // the name is checked later
  EXPECT_FALSE(looks_like_intrinsic("$.States"));
  EXPECT_FALSE(looks_like_intrinsic("States.Format"));
  EXPECT_FALSE(looks_like_intrinsic("States.(1)"));
  EXPECT_FALSE(looks_like_intrinsic("States"));
  EXPECT_FALSE(looks_like_intrinsic("Format('x')"));
}

TEST_F(IntrinsicsTest, Literals) {
  EXPECT_EQ(eval("States.Array( 'a' ,  -1.25 , 1e2, 0, -7, true, false, null )"),
            Json::parse(R"(["a", -1.25, 100.0, 0, -7, true, false, null])"));
  EXPECT_TRUE(eval("States.Array(3)")[0].is_number_integer());
  EXPECT_TRUE(eval("States.Array(3.0)")[0].is_number_float());
  // Commas, parentheses and dollars inside a string literal are text.
  EXPECT_EQ(eval("States.Array('a, b', '(c)', '$.d', 'States.UUID()')"),
            Json::parse(R"js(["a, b", "(c)", "$.d", "States.UUID()"])js"));
  EXPECT_EQ(eval("States.Array('')"), Json::parse(R"([""])"));
  // Unreserved characters need no escape, including double quotes and real newlines.
  EXPECT_EQ(eval(R"(States.Array('say "hi"'))"), Json::parse(R"(["say \"hi\""])"));
  EXPECT_EQ(eval("States.Array('line\nbreak')")[0], "line\nbreak");
}

TEST_F(IntrinsicsTest, EscapedCharactersInStringLiterals) {
  EXPECT_EQ(eval(R"(States.Array('It\'s', '\{x\}', 'a\\b', '\\\''))"),
            Json::parse(R"(["It's", "{x}", "a\\b", "\\'"])"));
  // An escaped quote does not end the literal, so the comma after it is text.
  EXPECT_EQ(eval(R"(States.Array('x\', y'))"), Json::parse(R"(["x', y"])"));
  EXPECT_EQ(eval(R"(States.StringSplit('a\'b\'c', '\''))"), Json::parse(R"(["a","b","c"])"));
  // Outside States.Format, braces need no escape (AWS, test_json_merge_escaped_argument).
  EXPECT_EQ(eval(R"(States.StringToJson('{"k": "v"}'))"), Json::parse(R"({"k": "v"})"));
}

TEST_F(IntrinsicsTest, PathArgumentsFromEveryRoot) {
  EXPECT_EQ(eval("States.Array($, $$.Execution.Input.k, $x, $v.inner[1], $.arr[0])"),
            Json::array({input, "v", 2, 20, 1}));
  EXPECT_EQ(eval("States.Array($$, $v)"), Json::array({context, vars["v"]}));
  EXPECT_EQ(eval("States.Format('{}', $.nested.deep.x)"), "found");
  EXPECT_EQ(eval("States.Array($.obj['Arg1'], $.arr[1,2], $.arr[?(@ > 8)], $.arr[-1:])"),
            Json::parse("[1, [2, 3], [9], [9]]"));
  // A comma or parenthesis inside brackets or quotes belongs to the path.
  EXPECT_EQ(eval("States.Array($['key, with comma'], 'next')"),
            Json::parse(R"(["odd key", "next"])"));
  EXPECT_EQ(eval("States.ArrayLength($.arr[?(@ > 2 && @ < 5)])"), 2);
  EXPECT_EQ(eval("States.Array( $.n , $x )"), Json::parse("[5, 2]"));
}

TEST_F(IntrinsicsTest, MissingPathArgumentIsRuntimeError) {
  try {
    evaluate_intrinsic("States.Format('{}', $.nope)", scope, "x.$");
    FAIL() << "expected States.Runtime";
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().error, "States.Runtime");
    EXPECT_EQ(e.value().cause,
              "The JSONPath '$.nope' specified for the field 'x.$' could not be "
              "found in the input '" +
                  to_compact_json(input) + "'");
  }
  for (const char* expr : {"States.Array($$.Execution.Nope)", "States.Array($novar)",
                           "States.MathAdd($.n, States.ArrayLength($.nested.nope))"}) {
    SCOPED_TRACE(expr);
    try {
      eval(expr);
      ADD_FAILURE() << "accepted";
    } catch (const StatesException& e) {
      EXPECT_EQ(e.value().error, "States.Runtime");
    }
  }
}

TEST_F(IntrinsicsTest, NestedCalls) {
  // The guide's nested example (with the third value it forgot to pass).
  const std::string part =
      "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit("
      "$.ImageRecipe.Arn, '/'), 2), '.'), ";
  EXPECT_EQ(eval("States.Format('{}.{}.{}', " + part + "0), " + part + "1), " + part + "2))"),
            "1.2.3");
  EXPECT_EQ(eval("States.ArrayGetItem(States.ArrayPartition(States.ArrayRange(1, 10, 1), 3), "
                 "States.MathAdd(States.ArrayLength(States.Array(1)), 1))"),
            Json::parse("[7, 8, 9]"));
  EXPECT_EQ(eval("States.JsonToString(States.ArrayUnique(States.Array(1, 1, States.UUID())))"),
            R"([1,"00000000-0000-4000-8000-000000000001"])");
  // An error deep inside surfaces as that function's error.
  expect_failure("States.Array(1, States.Format('{}', States.ArrayGetItem($.arr, 99)))",
                 "Invalid arguments in States.ArrayGetItem: the index 99 is out of bounds for an "
                 "array of length 9");
}

TEST_F(IntrinsicsTest, NestingDepthLimit) {
  auto nested = [](int depth) {
    std::string s = "1";
    for (int i = 0; i < depth; ++i) s = "States.MathAdd(" + s + ", 1)";
    return s;
  };
  EXPECT_NO_THROW(validate_intrinsic(nested(kMaxIntrinsicDepth)));
  EXPECT_EQ(eval(nested(kMaxIntrinsicDepth)), 1 + kMaxIntrinsicDepth);
  expect_invalid(nested(kMaxIntrinsicDepth + 1), "can be nested at most 10 levels deep");
}

TEST_F(IntrinsicsTest, ValidationAcceptsWellFormedCalls) {
  for (const char* good :
       {"States.Format('{}', $.x)", "States.UUID()", "States.MathRandom(1, 2, 3)",
        R"(States.JsonMerge(States.StringToJson('{"a": "false"}'), $$.Execution.Input.b, false))",
        "States.Array($var, $var.x[0], $$.Map.Item.Value, $['a b'])",
        R"(States.Format('\{\} \' \\ {}', 1))", "States.Array ( 1 , 2 )"}) {
    SCOPED_TRACE(good);
    EXPECT_NO_THROW(validate_intrinsic(good));
  }
}

TEST_F(IntrinsicsTest, PathArgumentEndingInABackslashStaysInsideTheText) {
  // Found by fuzz_intrinsics: a backslash as the last byte of a quoted name in a path argument
  // made the path scanner step past the end and read the byte after the text (caught by ASan;
  // the bytes live in a buffer of exactly their size, not a std::string with a terminator).
  for (std::string text : {R"(States.Format($['a\)", R"(States.Array($["\)"}) {
    SCOPED_TRACE(text);
    std::unique_ptr<char[]> exact(new char[text.size()]);
    std::copy(text.begin(), text.end(), exact.get());
    std::string_view expr(exact.get(), text.size());
    EXPECT_THROW(validate_intrinsic(expr), std::invalid_argument);
    EXPECT_THROW(evaluate_intrinsic(expr, scope), std::invalid_argument);
  }
}

TEST_F(IntrinsicsTest, ValidationRefusesBadCalls) {
  expect_invalid("States.Nope()", "Unknown intrinsic function 'States.Nope'");
  expect_invalid("States.format('x')", "Unknown intrinsic function 'States.format'");
  expect_invalid("States.Format('x'", "missing ')'");
  expect_invalid("States.Format('x) ", "unterminated string literal");
  expect_invalid("States.Format('x') extra", "unexpected text after the closing parenthesis");
  expect_invalid("States.Format(x)", "unexpected character 'x'");
  expect_invalid("States.Array(,)", "unexpected character ','");
  expect_invalid("States.Array(1,)", "unexpected character ')'");
  expect_invalid("States.Array(1 2)", "unexpected character '2'");
  expect_invalid("States.Array(1.2.3)", "bad number literal");
  expect_invalid("States.Array(\"x\")", "unexpected character '\"'");
  expect_invalid("Format('x')", "expected 'States.'");
  expect_invalid("States.Array($.a[)", "");
  // A backslash may only escape ' { } and \ (AWS refuses a definition with 'a\nb').
  expect_invalid(R"(States.StringSplit('a\nb', '\n'))", "invalid escape sequence '\\n'");
  expect_invalid(R"(States.Format('C:\dir'))", "invalid escape sequence '\\d'");
  expect_invalid(R"(States.Format('ends with \'))", "unterminated string literal");
  // Unknown names and wrong counts are refused inside nested calls too.
  expect_invalid("States.Array(States.Nope())", "Unknown intrinsic function 'States.Nope'");
  expect_invalid("States.Array(States.UUID(1))", "States.UUID takes 0 argument(s)");
  // Evaluation refuses what validation refuses.
  EXPECT_THROW(eval("States.UUID(1)"), std::invalid_argument);
}

TEST_F(IntrinsicsTest, InsideAPayloadTemplate) {
  // How a definition uses them: a ".$" key of Parameters (test_json_merge_escaped_argument).
  Json tmpl = Json::parse(R"js({
    "merged.$": "States.JsonMerge(States.StringToJson('{\"lit\": \"false\"}'), $.obj, false)",
    "count.$": "States.ArrayLength($.arr)", "plain": "States.ArrayLength($.arr)"
  })js");
  EXPECT_NO_THROW(validate_template(tmpl));
  EXPECT_EQ(apply_template(tmpl, scope), Json::parse(R"js({
    "merged": {"lit": "false", "Arg1": 1, "Arg2": []}, "count": 9,
    "plain": "States.ArrayLength($.arr)"
  })js"));
  EXPECT_THROW(validate_template(Json::parse(R"js({"x.$": "States.ArrayLength()"})js")),
               std::invalid_argument);
}

}  // namespace
}  // namespace stepd::asl
