#include <gtest/gtest.h>

#include "core/jsonata/jsonata.h"

namespace stepd::jsonata {
namespace {

// The error a parse raises, or a failed test when it parses.
Error parse_error(std::string_view text) {
  try {
    Expression::parse(text);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "parsed: " << text;
  return Error("", 0, "");
}

TEST(JsonataParser, AcceptsTheGrammar) {
  for (const char* text : {"a.b.c",
                           "a[0]",
                           "a[-1].b",
                           "a[b = 'x'].c",
                           "a[]",
                           "$",
                           "$$",
                           "$x",
                           "*.a",
                           "**.a",
                           "1 + 2 * 3 - 4 / 5 % 6",
                           "'a' & \"b\"",
                           "a < b and c >= d or e != f",
                           "x in [1, 2]",
                           "[1..3]",
                           "a ? b : c",
                           "a ? b",
                           "($x := 1; $y := 2; $x + $y)",
                           "function($x) { $x }",
                           "\xCE\xBB($x) { $x }",
                           "$f(1, 2)",
                           "x ~> $f(1)",
                           "{'a': 1, 'b': [2]}",
                           "a{b: c}",
                           "a^(<b, >c)",
                           "a^(b)",
                           "`with space`.x",
                           "/* comment */ 1",
                           "-a",
                           "a.(b + c)",
                           "()",
                           "/ab+c/i",
                           "a.b[0][1]",
                           "a.$string()",
                           "x ~> $uppercase",
                           "a@$x.b",
                           "a#$i[$i > 1]"}) {
    EXPECT_NO_THROW(Expression::parse(text)) << text;
  }
}

TEST(JsonataParser, LexicalErrorsHaveCodesAndPositions) {
  Error e = parse_error("'abc");
  EXPECT_EQ(e.code, "S0101");
  EXPECT_EQ(e.position, 4u);
  EXPECT_EQ(parse_error("\"a\\qb\"").code, "S0103");
  EXPECT_EQ(parse_error("\"\\u12G4\"").code, "S0104");
  EXPECT_EQ(parse_error("`abc").code, "S0105");
  EXPECT_EQ(parse_error("1 /* open").code, "S0106");
  EXPECT_EQ(parse_error("1e999").code, "S0102");
  EXPECT_EQ(parse_error("//").code, "S0301");
  EXPECT_EQ(parse_error("/abc").code, "S0302");
}

TEST(JsonataParser, SyntaxErrorsHaveCodesAndPositions) {
  Error e = parse_error("1 +");
  EXPECT_EQ(e.code, "S0207");
  EXPECT_EQ(e.position, 3u);
  e = parse_error("a b");
  EXPECT_EQ(e.code, "S0201");
  EXPECT_EQ(e.position, 3u);
  e = parse_error("(1; 2");
  EXPECT_EQ(e.code, "S0203");
  e = parse_error("[1, 2}");
  EXPECT_EQ(e.code, "S0202");
  EXPECT_EQ(e.position, 6u);
  EXPECT_EQ(parse_error(")").code, "S0211");
  EXPECT_EQ(parse_error("1 := 2").code, "S0212");
  EXPECT_EQ(parse_error("function(x) { 1 }").code, "S0208");
}

TEST(JsonataParser, PositionsCountCharactersNotBytes) {
  Error e = parse_error("'\xC3\xA9\xC3\xA9' +");  // 'éé' +
  EXPECT_EQ(e.code, "S0207");
  EXPECT_EQ(e.position, 6u);
}

TEST(JsonataParser, StringEscapes) {
  EXPECT_EQ(*evaluate(R"js("a\"b\\c\/d\n\t")js", nullptr), Json("a\"b\\c/d\n\t"));
  EXPECT_EQ(*evaluate(R"js("\u00e9")js", nullptr), Json("\xC3\xA9"));
  EXPECT_EQ(*evaluate(R"js("\ud83d\ude00")js", nullptr), Json("\xF0\x9F\x98\x80"));
  EXPECT_EQ(*evaluate(R"js('it\'s')js", nullptr), Json("it's"));
  EXPECT_EQ(*evaluate(R"js("\ud800x")js", nullptr), Json("\xEF\xBF\xBDx"));  // lone surrogate
}

TEST(JsonataParser, DeepNestingIsRefused) {
  std::string deep(1000, '(');
  deep += "1";
  deep += std::string(1000, ')');
  EXPECT_EQ(parse_error(deep).code, "U1001");
  std::string chain = "1";
  for (int i = 0; i < 5000; ++i) chain += "+1";  // parsed without recursion, but too tall
  EXPECT_EQ(parse_error(chain).code, "U1001");
}

TEST(JsonataParser, LambdaSignatures) {
  EXPECT_EQ(*evaluate("function($x, $y)<nn:n>{ $x + $y }(1, 2)", nullptr), Json(3));
  EXPECT_EQ(*evaluate("function($a)<a<n>:n>{ $sum($a) }([1, 2])", nullptr), Json(3));
  // read up to the `>` that closes it; a `{` before that is a syntax error, as in jsonata-js
  EXPECT_EQ(parse_error("function($x)<n:n { $x }").code, "S0202");
  // the offset of the bad symbol in the signature, counted from the end of its `<`
  Error e = parse_error("function($a)<n<n>>{$a}");
  EXPECT_EQ(e.code, "S0401");
  EXPECT_EQ(e.position, 15u);
  EXPECT_EQ(parse_error("function($a)<(sa<n>)>{$a}").code, "S0402");
}

TEST(JsonataParser, LiteralsAsPathSteps) {
  EXPECT_EQ(*evaluate(R"js(a."b c")js", Json::parse(R"({"a": {"b c": 1}})")), Json(1));
  EXPECT_EQ(parse_error("a.1").code, "S0213");
  EXPECT_EQ(parse_error("a.true").code, "S0213");
}

using Names = std::vector<std::string>;

TEST(JsonataReferences, TopLevelNamesAreThoseReadFromTheInput) {
  auto names = [](std::string_view text) { return Expression::parse(text).top_level_names(); };
  EXPECT_EQ(names("phone"), Names{"phone"});
  EXPECT_EQ(names("a.b.c"), Names{"a"});
  EXPECT_EQ(names("a[0].b"), Names{"a"});
  EXPECT_EQ(names("a + b * a"), (Names{"a", "b"}));
  EXPECT_EQ(names("$count(items) > 1 ? yes : no"), (Names{"items", "yes", "no"}));
  EXPECT_EQ(names("{'k': v, key: 1}"), (Names{"v", "key"}));
  EXPECT_EQ(names("[x, ($y := z; $y)]"), (Names{"x", "z"}));
  // Read from what a path, a predicate or a function is given: not top level.
  EXPECT_EQ(names("$states.input.items[price > 5].name"), Names{});
  EXPECT_EQ(names("$states.input.{'k': v}"), Names{});
  EXPECT_EQ(names("$states.input^(>price)"), Names{});
  EXPECT_EQ(names("$map($states.input.xs, function($x) { $x.a + b })"), Names{});
  EXPECT_EQ(names("$v.field & 'text' & `quoted name`"), Names{"quoted name"});
  EXPECT_EQ(names("$ & $$ & *"), Names{});
}

TEST(JsonataReferences, VariableFieldsAreTheFirstStepsAfterTheVariable) {
  auto fields = [](std::string_view text) {
    return Expression::parse(text).variable_fields("states");
  };
  EXPECT_EQ(fields("$states.input.a & $states.errorOutput.Cause & $states.input"),
            (Names{"input", "errorOutput"}));
  EXPECT_EQ(fields("$count($states.result[0].x)"), Names{"result"});
  EXPECT_EQ(fields("$map([1], function($v) { $states.context.State.Name })"), Names{"context"});
  EXPECT_EQ(fields("$states"), Names{});
  EXPECT_EQ(fields("$other.errorOutput"), Names{});
}

}  // namespace
}  // namespace stepd::jsonata
