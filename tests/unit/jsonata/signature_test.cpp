#include <gtest/gtest.h>

#include "core/jsonata/jsonata.h"
#include "tests/unit/jsonata/eval_helpers.h"

namespace stepd::jsonata {
namespace {

using namespace testing;  // NOLINT: the shared helpers

// Cases of the JSONata test suite (group function-signatures), as jsonata-js 2.0 answers them.
TEST(JsonataSignatures, TestSuiteCases) {
  EXPECT_EQ(eval("λ($arg)<b:b>{$not($arg)}(foo)"), "<undefined>");
  EXPECT_EQ(eval("λ($arg)<x:b>{$not($arg)}(null)"), true);
  EXPECT_EQ(eval("Age.function($x,$y)<n-n:n>{$x+$y}(6)", Json::parse(R"({"Age": 28})")), 34);
  EXPECT_EQ(eval(R"(λ($str, $prefix)<s-s>{$prefix & $str}("World", "Hello "))"), "Hello World");
  EXPECT_EQ(eval(R"(λ($arr, $sep)<a<s>s?:s>{$join($arr, $sep)}("a"))"), "a");
  EXPECT_EQ(eval(R"(λ($arr, $sep)<a<s>s?:s>{$join($arr, $sep)}([], "-"))"), "");
  EXPECT_EQ(eval(R"(λ($arr, $sep)<a<s>s?:s>{$join($arr, $sep)}(foo, "-"))"), "<undefined>");
  EXPECT_EQ(eval(R"(λ($obj)<o>{$obj}({"hello": "world"}))"), Json::parse(R"({"hello": "world"})"));
  EXPECT_EQ(eval("[1..5].λ($num)<(ns)-:n>{$number($num)}()"), Json::parse("[1, 2, 3, 4, 5]"));
  EXPECT_EQ(eval_error("λ($arr)<a<n>>{$arr}([\"3\"])").code, "T0412");
  EXPECT_EQ(eval_error("λ($arr)<a<n>>{$arr}([1, 2, \"3\"])").code, "T0412");
  EXPECT_EQ(eval_error("λ($arg)<n<n>>{$arg}(5)").code, "S0401");
  EXPECT_EQ(eval_error("λ($arr)<(sa<n>)>>{$arr}([[1]])").code, "S0402");
}

TEST(JsonataSignatures, MismatchesNameTheArgument) {
  Error e = eval_error("($f := function($a, $b)<nn>{$a}; $f(1, 'x'))");
  EXPECT_EQ(e.code, "T0410");
  EXPECT_EQ(e.message, "Argument 2 of function $f does not match function signature");
  EXPECT_EQ(eval_error("($f := function($a, $b)<nn>{$a}; $f(1))").message,
            "Argument 2 of function $f does not match function signature");
  EXPECT_EQ(eval_error("($f := function($a)<n>{$a}; $f(1, 2))").message,
            "Argument 2 of function $f does not match function signature");
  EXPECT_EQ(eval_error("function($a, $b)<sn>{$a}(1, 2)").message,
            "Argument 1 of the function does not match function signature");
  // the error points at the call
  EXPECT_EQ(eval_error("($f := function($a)<n>{$a}; $f('x'))").position, 31u);
  // the return type is not checked
  EXPECT_EQ(eval("function($a)<n:s>{$a}(1)"), 1);
}

TEST(JsonataSignatures, TypesAndModifiers) {
  EXPECT_EQ(eval("function($f)<f>{$f(2)}(function($x){$x * 3})"), 6);
  EXPECT_EQ(eval_error("function($f)<f>{1}(2)").code, "T0410");
  EXPECT_EQ(eval_error("function($f)<f>{1}(nothing)").code, "T0410");  // f takes no undefined
  EXPECT_EQ(eval("function($x)<j>{$x}([1])"), Json::parse("[1]"));
  EXPECT_EQ(eval_error("function($x)<j>{$x}($sum)").code, "T0410");
  EXPECT_EQ(eval("function($x)<x>{$type($x)}($sum)"), "function");
  EXPECT_EQ(eval("function($x)<l>{$x}(null)"), nullptr);
  EXPECT_EQ(eval_error("function($x)<l>{$x}(0)").code, "T0410");
  EXPECT_EQ(eval("function($a, $b)<nn?>{[$a, $b]}(1)"), Json::parse("[1]"));
  EXPECT_EQ(eval_error("function($a, $b)<(sb)n>{$a}(1, 2)").code, "T0410");
  EXPECT_EQ(eval("function($a, $b)<(sb)n>{$a}(true, 2)"), true);
  // whitespace between the symbols does not matter
  EXPECT_EQ(eval("Age.function($a, $b)< n - n : n >{$a + $b}(6)", Json::parse(R"({"Age": 28})")),
            34);
  EXPECT_EQ(eval_error("function($a)<n?+>{$a}(1)").code, "S0401");
}

TEST(JsonataSignatures, ContextForMissingArguments) {
  const Json doc = Json::parse(R"({"s": "abc", "c": "c"})");
  EXPECT_EQ(eval("s.function($s)<s->{$uppercase($s)}()", doc), "ABC");
  EXPECT_EQ(eval("s.function($s)<s->{$uppercase($s)}('x')", doc), "X");
  Error e = eval_error("s.function($a, $b)<n-n>{$a + $b}(1)", doc);
  EXPECT_EQ(e.code, "T0411");
  EXPECT_EQ(e.message, "Context value is not a compatible type with argument 1 of the function");
  // a lazy optional parameter prefers the context; a greedy one takes the argument
  EXPECT_EQ(eval("c.function($a, $b)<s-?s?>{[$a, $b]}('x')", doc), Json::parse(R"(["c", "x"])"));
  EXPECT_EQ(eval("c.function($a, $b)<s-s?>{[$a, $b]}('x')", doc), Json::parse(R"(["x"])"));
}

TEST(JsonataSignatures, ArraysWrapSingleValues) {
  EXPECT_EQ(eval("function($a)<a>{$a}(5)"), Json::parse("[5]"));
  EXPECT_EQ(eval("function($a)<a>{$count($a)}('x')"), 1);
  EXPECT_EQ(eval("function($a)<a<n>>{$a}(5)"), Json::parse("[5]"));
  EXPECT_EQ(eval("function($a)<a<n>>{$a}([])"), Json::parse("[]"));
  EXPECT_EQ(eval("function($a)<a<n>>{$a}(nothing)"), "<undefined>");
  EXPECT_EQ(eval_error("function($a)<a<n>>{$a}('5')").code, "T0412");
  EXPECT_EQ(eval_error("function($a)<a<n>>{$a}('5')").message,
            "Argument 1 of the function must be an array of numbers");
  EXPECT_EQ(eval("function($a)<a<f>>{$a[0](2)}(function($x){$x + 1})"), 3);
}

// Quirks of the matching in jsonata-js 2.0 (src/signature.js) that stepd keeps.
TEST(JsonataSignatures, JsonataQuirks) {
  // `+` matches several arguments, but they are still handed to the parameters one by one
  EXPECT_EQ(eval("function($a, $b)<n+n>{{'a': $a, 'b': $b}}(1, 2, 3)"),
            Json::parse(R"({"a": 1, "b": 2})"));
  // an optional parameter that took nothing still takes the next argument
  EXPECT_EQ(eval("function($a, $b)<s?n+>{[$a, $b]}(1, 2, 3)"), Json::parse("[1, 2]"));
  // a partially applied lambda is not checked
  EXPECT_EQ(eval("($f := function($a, $b)<nn>{$b}; $g := $f(?, 'x'); $g(1))"), "x");
}

TEST(JsonataSignatures, CalledByLibraryFunctions) {
  EXPECT_EQ(eval("$map([1, 2], function($v)<n>{$v * 2})"), Json::parse("[2, 4]"));
  EXPECT_EQ(eval_error("$map(['a'], function($v)<n>{$v})").code, "T0410");
  EXPECT_EQ(eval("[1, 2] ~> function($a)<a<n>>{$sum($a)}()"), 3);
}

TEST(JsonataSignatures, MatchingIsBounded) {
  std::string call = "function($a)<n+n+n+n+>{$a}(";
  for (int i = 0; i < 100; ++i) call += i == 0 ? "1" : ", 1";
  call += ")";
  EXPECT_EQ(eval(call), 1);
  Options o;
  o.limits.max_steps = 500;
  EXPECT_EQ(eval_error(call, nullptr, o).code, "U1002");
}

}  // namespace
}  // namespace stepd::jsonata
