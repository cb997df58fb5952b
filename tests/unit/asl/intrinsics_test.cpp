#include "core/asl/intrinsics.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "core/common/states_error.h"

namespace stepd::asl {
namespace {

class IntrinsicsTest : public ::testing::Test {
 protected:
  Json input = Json::parse(R"({
    "s": "Data to encode", "n": 5, "f": 1.5, "arr": [1, 2, 3, 4, 5, 6, 7, 8, 9],
    "obj": {"Arg1": 1, "Arg2": []}, "t": "Hello, my name is {}.", "empty": "", "nul": null
  })");
  Json context =
      Json::parse(R"({"Execution": {"Input": {"k": "v"}}, "Map": {"Item": {"Value": "it"}}})");
  Json vars = Json::parse(R"({"tmpl": "{} and {}", "x": 2})");
  SequentialIdSource ids;
  EvalScope scope{input, context, &vars, &ids};

  Json eval(const std::string& expr) { return evaluate_intrinsic(expr, scope); }

  // The States.IntrinsicFailure cause, or a test failure if the call succeeds.
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
};

TEST_F(IntrinsicsTest, LooksLikeIntrinsic) {
  EXPECT_TRUE(looks_like_intrinsic("States.Format('x')"));
  EXPECT_TRUE(looks_like_intrinsic("States.UUID()"));
  EXPECT_FALSE(looks_like_intrinsic("$.States"));
  EXPECT_FALSE(looks_like_intrinsic("States.Format"));
  EXPECT_FALSE(looks_like_intrinsic("States.(1)"));
  EXPECT_FALSE(looks_like_intrinsic("States"));
}

TEST_F(IntrinsicsTest, Format) {
  EXPECT_EQ(eval("States.Format('Hello {}', $.s)"), "Hello Data to encode");
  EXPECT_EQ(eval("States.Format('{} {} {} {} {}', $.n, $.f, true, null, 'x')"),
            "5 1.5 true null x");
  EXPECT_EQ(eval("States.Format($.t, 'Ana')"), "Hello, my name is Ana.");
  EXPECT_EQ(eval("States.Format($tmpl, $x, $$.Map.Item.Value)"), "2 and it");
  EXPECT_EQ(eval("States.Format('no placeholders')"), "no placeholders");
  // Objects and arrays print the way Java prints a Map or a List (recorded by LocalStack on AWS).
  EXPECT_EQ(eval("States.Format('{}', $.obj)"), "{Arg1=1, Arg2=[]}");
  EXPECT_EQ(eval("States.Format('{}', States.Array('a', 1, States.Array()))"), "[a, 1, []]");
  // Escapes: \{ \} \' \\ are literal characters, not placeholders.
  EXPECT_EQ(eval(R"(States.Format('\{\} {} \'q\' \\', 1))"), R"({} 1 'q' \)");
  EXPECT_NE(failure("States.Format('{} {}', 1)").find("States.Format"), std::string::npos);
  failure("States.Format('{}', 1, 2)");
  failure("States.Format('x', 1)");
  failure("States.Format('Hello {', 'x')");
  failure("States.Format('Hello {{}}', 'x')");
  failure("States.Format('}')");
  failure("States.Format($.n)");  // the template must be a string
}

TEST_F(IntrinsicsTest, StringToJsonAndJsonToString) {
  EXPECT_EQ(eval("States.StringToJson('{\"a\": [1, 2.5, \"x\"]}')"),
            Json::parse(R"({"a": [1, 2.5, "x"]})"));
  EXPECT_EQ(eval("States.StringToJson($.empty)"), nullptr);
  EXPECT_EQ(eval("States.StringToJson(' ')"), nullptr);
  EXPECT_EQ(eval("States.StringToJson('-0')"), 0);
  EXPECT_TRUE(eval("States.StringToJson('-0')").is_number_integer());
  EXPECT_EQ(eval("States.StringToJson('\"HelloWorld\"')"), "HelloWorld");
  failure("States.StringToJson('{bad')");
  failure("States.StringToJson($.n)");

  EXPECT_EQ(eval("States.JsonToString($.obj)"), R"({"Arg1":1,"Arg2":[]})");
  EXPECT_EQ(eval("States.JsonToString($.nul)"), "null");
  EXPECT_EQ(eval("States.JsonToString($.s)"), "\"Data to encode\"");
  EXPECT_EQ(eval("States.JsonToString($.f)"), "1.5");
  EXPECT_EQ(eval("States.JsonToString(States.StringToJson('{\"z\":1,\"a\":2}'))"),
            R"({"z":1,"a":2})");  // key order is kept
}

TEST_F(IntrinsicsTest, ArrayFunctions) {
  EXPECT_EQ(eval("States.Array()"), Json::array());
  EXPECT_EQ(eval("States.Array($.n, 'a', null, $.obj)"),
            Json::parse(R"([5, "a", null, {"Arg1": 1, "Arg2": []}])"));

  EXPECT_EQ(eval("States.ArrayPartition($.arr, 4)"), Json::parse("[[1,2,3,4],[5,6,7,8],[9]]"));
  EXPECT_EQ(eval("States.ArrayPartition(States.Array(), 2)"), Json::array());
  failure("States.ArrayPartition($.arr, 0)");
  failure("States.ArrayPartition($.arr, -1)");
  failure("States.ArrayPartition($.s, 2)");
  // Fractions are cut off, not rounded: 2.6 -> 2, 0.6 -> 0 (refused).
  EXPECT_EQ(eval("States.ArrayPartition(States.Array(1,2,3,4,5), 2.6)"),
            Json::parse("[[1,2],[3,4],[5]]"));
  failure("States.ArrayPartition($.arr, 0.6)");

  EXPECT_EQ(eval("States.ArrayContains($.arr, 5)"), true);
  EXPECT_EQ(eval("States.ArrayContains($.arr, 10)"), false);
  EXPECT_EQ(eval("States.ArrayContains(States.Array(States.Array(1,2), 3), States.Array(1,2))"),
            true);
  failure("States.ArrayContains($.s, 1)");

  EXPECT_EQ(eval("States.ArrayRange(1, 9, 2)"), Json::parse("[1,3,5,7,9]"));
  EXPECT_EQ(eval("States.ArrayRange(0, 10, 3)"), Json::parse("[0,3,6,9]"));
  EXPECT_EQ(eval("States.ArrayRange(5, 1, -2)"), Json::parse("[5,3,1]"));
  EXPECT_EQ(eval("States.ArrayRange(5, 1, 2)"), Json::array());
  EXPECT_EQ(eval("States.ArrayRange(1, 1000, 1)").size(), 1000u);
  EXPECT_NE(failure("States.ArrayRange(1, 1001, 1)").find("1000"), std::string::npos);
  failure("States.ArrayRange(1, 9, 0)");
  EXPECT_EQ(eval("States.ArrayRange(5.4, -0.6, -2.4)"), Json::parse("[5,3,1]"));
  failure("States.ArrayRange(1, 9, 0.49)");
  failure("States.ArrayRange('1', 9, 1)");

  EXPECT_EQ(eval("States.ArrayGetItem($.arr, 5)"), 6);
  EXPECT_EQ(eval("States.ArrayGetItem($.arr, 0)"), 1);
  failure("States.ArrayGetItem($.arr, 9)");
  failure("States.ArrayGetItem($.arr, -1)");
  failure("States.ArrayGetItem($.obj, 0)");

  EXPECT_EQ(eval("States.ArrayLength($.arr)"), 9);
  EXPECT_EQ(eval("States.ArrayLength(States.Array())"), 0);
  failure("States.ArrayLength($.s)");

  EXPECT_EQ(eval("States.ArrayUnique(States.StringToJson('[1,1,\"a\",\"a\",null,null,[1],[1],"
                 "{\"a\":1},{\"a\":1},true,2,1]'))"),
            Json::parse(R"([1, "a", null, [1], {"a": 1}, true, 2])"));
  failure("States.ArrayUnique($.n)");
}

TEST_F(IntrinsicsTest, Base64) {
  EXPECT_EQ(eval("States.Base64Encode($.s)"), "RGF0YSB0byBlbmNvZGU=");
  EXPECT_EQ(eval("States.Base64Encode('ab')"), "YWI=");
  EXPECT_EQ(eval("States.Base64Encode('')"), "");
  EXPECT_EQ(eval("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"), "Data to encode");
  EXPECT_EQ(eval("States.Base64Decode('YWI')"), "ab");  // padding may be left out
  EXPECT_EQ(eval("States.Base64Decode($.empty)"), "");
  EXPECT_EQ(eval("States.Base64Decode(States.Base64Encode('héllo ✓'))"), "héllo ✓");
  // MIME decoding: foreign characters are skipped, '=' ends the data, stray bits are dropped.
  EXPECT_EQ(eval("States.Base64Decode(' YWJj\nZA== ')"), "abcd");
  EXPECT_EQ(eval("States.Base64Decode('YWJjZA==YWJj')"), "abcd");
  EXPECT_EQ(eval("States.Base64Decode('YWJjZ')"), "abc");
  failure("States.Base64Encode($.n)");
  std::string big(10001, 'a');
  Json big_input = {{"big", big}, {"ok", std::string(10000, 'a')}};
  EvalScope s{big_input, context};
  EXPECT_NO_THROW(evaluate_intrinsic("States.Base64Encode($.ok)", s));
  EXPECT_THROW(evaluate_intrinsic("States.Base64Encode($.big)", s), StatesException);
  EXPECT_THROW(evaluate_intrinsic("States.Hash($.big, 'MD5')", s), StatesException);
}

TEST_F(IntrinsicsTest, Hash) {
  // Values recorded on AWS (intrinsic_functions/test_hash_calculations).
  EXPECT_EQ(eval("States.Hash('input data', 'MD5')"), "812f45842bc6d66ee14572ce20db8e86");
  EXPECT_EQ(eval("States.Hash('input data', 'SHA-256')"),
            "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3");
  EXPECT_EQ(eval("States.Hash('input data', 'SHA-384')"),
            "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e"
            "9374a15562");
  EXPECT_EQ(eval("States.Hash('input data', 'SHA-512')"),
            "6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593f"
            "c50283731a533d30d425402d4f91316d871303aac4");
  EXPECT_EQ(eval("States.Hash('abc', 'SHA-1')"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_NE(failure("States.Hash('abc', 'SHA-3')").find("SHA-3"), std::string::npos);
  failure("States.Hash('abc', 'md5')");
  failure("States.Hash($.nul, 'MD5')");
}

TEST_F(IntrinsicsTest, JsonMerge) {
  Json merged = eval(
      "States.JsonMerge(States.StringToJson('{\"a\": {\"a1\": 1}, \"b\": 2, \"d\": 3}'), "
      "States.StringToJson('{\"a\": {\"a3\": 1}, \"c\": 3, \"d\": 4}'), false)");
  EXPECT_EQ(merged.dump(), R"({"a":{"a3":1},"b":2,"d":4,"c":3})");
  failure("States.JsonMerge($.obj, $.obj, true)");
  failure("States.JsonMerge($.obj, $.arr, false)");
  failure("States.JsonMerge($.obj, $.obj, 'false')");
}

TEST_F(IntrinsicsTest, MathAdd) {
  EXPECT_EQ(eval("States.MathAdd(111, -1)"), 110);
  EXPECT_EQ(eval("States.MathAdd($.n, $x)"), 7);
  EXPECT_EQ(eval("States.MathAdd(States.MathAdd(1, 2), States.MathAdd(3, 4))"), 10);
  // Fractions round half up, like Java's Math.round (values recorded on AWS).
  EXPECT_EQ(eval("States.MathAdd(1.49, 1.5)"), 3);
  EXPECT_EQ(eval("States.MathAdd(-1.5, 0)"), -1);
  EXPECT_EQ(eval("States.MathAdd(-1.51, 0)"), -2);
  EXPECT_EQ(eval("States.MathAdd(-0.5, 0.5)"), 1);
  EXPECT_EQ(eval("States.MathAdd(-2.5, 0)"), -2);
  EXPECT_EQ(eval("States.MathAdd(-1.5, -1.51)"), -3);
  EXPECT_TRUE(eval("States.MathAdd(0.5, 0)").is_number_integer());
  EXPECT_EQ(eval("States.MathAdd(2147483646, 1)"), 2147483647);
  EXPECT_NE(failure("States.MathAdd(2147483647, 1)").find("2147483648"), std::string::npos);
  failure("States.MathAdd(-2147483648, -1)");
  failure("States.MathAdd(2147483648, 1)");
  failure("States.MathAdd('1', 1)");
  failure("States.MathAdd(null, 1)");
}

TEST_F(IntrinsicsTest, MathRandom) {
  // A seed gives the same value every time, as java.util.Random(seed).nextInt(end - start).
  Json a = eval("States.MathRandom(1, 999, 42)");
  EXPECT_EQ(a, eval("States.MathRandom(1, 999, 42)"));
  // Expected values computed separately from the java.util.Random algorithm.
  EXPECT_EQ(eval("States.MathRandom(0, 10, 42)"), 0);
  EXPECT_EQ(eval("States.MathRandom(0, 100, 42)"), 30);
  EXPECT_EQ(eval("States.MathRandom(1, 999, 42)"), 255);
  for (int i = 0; i < 50; ++i) {
    Json r = eval("States.MathRandom(5, 8)");
    ASSERT_TRUE(r.is_number_integer());
    EXPECT_GE(r.get<int64_t>(), 5);
    EXPECT_LT(r.get<int64_t>(), 8);
  }
  failure("States.MathRandom(5, 5)");
  failure("States.MathRandom(9, 5)");
  failure("States.MathRandom('a', 5)");
  EvalScope no_ids{input, context};
  try {
    evaluate_intrinsic("States.MathRandom(1, 5)", no_ids);
    FAIL() << "expected States.Runtime";
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().error, "States.Runtime");
  }
  EXPECT_NO_THROW(evaluate_intrinsic("States.MathRandom(1, 5, 7)", no_ids));
}

TEST_F(IntrinsicsTest, StringSplit) {
  EXPECT_EQ(eval("States.StringSplit('1,2,3', ',')"), Json::parse(R"(["1","2","3"])"));
  // Every character of the second argument splits; empty pieces go (values recorded on AWS).
  EXPECT_EQ(eval("States.StringSplit(',,,,', ',')"), Json::array());
  EXPECT_EQ(eval("States.StringSplit(', , ,', ',')"), Json::parse(R"([" ", " "])"));
  EXPECT_EQ(eval("States.StringSplit(' ', ',')"), Json::parse(R"([" "])"));
  EXPECT_EQ(evaluate_intrinsic("States.StringSplit('split on T and \nnew line', 'T\n')", scope),
            Json::parse(R"(["split on ", " and ", "new line"])"));
  EXPECT_EQ(eval("States.StringSplit('a→b→c', '→')"), Json::parse(R"(["a","b","c"])"));
  failure("States.StringSplit($.n, ',')");
  failure("States.StringSplit('a', $.n)");
}

TEST_F(IntrinsicsTest, Uuid) {
  EXPECT_EQ(eval("States.UUID()"), "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(eval("States.UUID()"), "00000000-0000-4000-8000-000000000002");
  EvalScope no_ids{input, context};
  EXPECT_THROW(evaluate_intrinsic("States.UUID()", no_ids), StatesException);
}

TEST_F(IntrinsicsTest, ArgumentsFromEveryRoot) {
  EXPECT_EQ(eval("States.Array($, $$.Execution.Input.k, $x, $.arr[0], $.arr[?(@ > 8)])"),
            Json::array({input, "v", 2, 1, Json::array({9})}));
  EXPECT_EQ(eval("States.Array( 'a' ,  -1.25 , 1e2 )"), Json::parse(R"(["a", -1.25, 100.0])"));
  EXPECT_EQ(eval("States.Array($.obj['Arg1'], $.arr[1,2])"), Json::parse("[1, [2, 3]]"));
  EXPECT_EQ(eval("States.StringSplit($$.Execution.Input.k, ',')"), Json::parse(R"(["v"])"));
}

TEST_F(IntrinsicsTest, MissingPathArgumentIsRuntimeError) {
  try {
    evaluate_intrinsic("States.Format('{}', $.nope)", scope, "x.$");
    FAIL() << "expected States.Runtime";
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().error, "States.Runtime");
    EXPECT_NE(e.value().cause.find("The JSONPath '$.nope' specified for the field 'x.$'"),
              std::string::npos);
  }
}

TEST_F(IntrinsicsTest, Validation) {
  EXPECT_NO_THROW(validate_intrinsic("States.Format('{}', $.x)"));
  EXPECT_NO_THROW(validate_intrinsic("States.UUID()"));
  EXPECT_NO_THROW(validate_intrinsic("States.MathRandom(1, 2, 3)"));
  EXPECT_NO_THROW(validate_intrinsic(
      "States.JsonMerge(States.StringToJson('{\"a\": \"false\"}'), $$.Execution.Input.b, false)"));
  for (const char* bad :
       {"States.Nope()", "States.UUID(1)", "States.ArrayRange(1, 2)", "States.MathRandom(1)",
        "States.Format()", "States.Format('x'", "States.Format('x) ", "States.Format('x') extra",
        "States.Format(x)", "States.Array($.a[)", "States.Array(,)", "Format('x')",
        "States.Array(1,)", R"(States.StringSplit('a\nb', '\n'))", R"(States.Format('C:\dir'))"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(validate_intrinsic(bad), std::invalid_argument);
  }
}

TEST_F(IntrinsicsTest, NestingDepthLimit) {
  auto nested = [](int depth) {
    std::string s = "1";
    for (int i = 0; i < depth; ++i) s = "States.MathAdd(" + s + ", 1)";
    return s;
  };
  EXPECT_NO_THROW(validate_intrinsic(nested(kMaxIntrinsicDepth)));
  EXPECT_EQ(eval(nested(kMaxIntrinsicDepth)), 1 + kMaxIntrinsicDepth);
  EXPECT_THROW(validate_intrinsic(nested(kMaxIntrinsicDepth + 1)), std::invalid_argument);
}

}  // namespace
}  // namespace stepd::asl
