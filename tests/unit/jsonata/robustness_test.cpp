// Hostile and random expressions: every failure must be a jsonata::Error, never another
// exception, a crash or a hang.
#include <gtest/gtest.h>

#include <random>

#include "core/jsonata/jsonata.h"

namespace stepd::jsonata {
namespace {

std::string outcome(std::string_view expr, const Json& input, const Options& options = {}) {
  try {
    auto r = evaluate(expr, input, options);
    return r ? r->dump(-1, ' ', false, Json::error_handler_t::replace) : "<undefined>";
  } catch (const Error& e) {
    return e.code;
  }
}

TEST(JsonataRobustness, HugeNumbersDoNotOverflowConversions) {
  EXPECT_EQ(outcome("$substring('abc', 1e300)", nullptr), "\"\"");
  EXPECT_EQ(outcome("$substring('abc', -1e300, 1e300)", nullptr), "\"abc\"");
  EXPECT_EQ(outcome("$split('a,b', ',', 1e300)", nullptr), R"(["a","b"])");
  EXPECT_EQ(outcome("[1, 2][1e300]", nullptr), "<undefined>");
  EXPECT_EQ(outcome("[1, 2][-1e300]", nullptr), "<undefined>");
  EXPECT_EQ(outcome("$round(1.5, 1e300)", nullptr), "1.5");
  EXPECT_EQ(outcome("$fromMillis(1e300)", nullptr), "D3110");
  EXPECT_EQ(outcome("$count([1e300..1e300])", nullptr), "1");
}

TEST(JsonataRobustness, InvalidUtf8IsNotFatal) {
  Json doc = {{std::string("k\xFF"), std::string("v\xFE")}};
  EXPECT_NE(outcome("$string($)", doc), "");
}

TEST(JsonataRobustness, RandomTokenSoup) {
  // the tokens, separated by single spaces
  const std::string soup =
      "a b c $ $$ $x $f 1 0 -1 2.5 's' \"t\" true null . [ ] ( ) { } , ; : ? + - * / % & = != < >= "
      "and or in .. := ~> ^( ** [] function($v){ $map $filter $reduce $string $sum $count $keys "
      "$merge $sort $substring $split (?,1) @$x #$i $pad $replace $zip $single $join $append "
      "$lookup $each $sift $round /x/";
  std::vector<std::string> tokens;
  for (size_t at = 0; at < soup.size();) {
    size_t end = soup.find(' ', at);
    if (end == std::string::npos) end = soup.size();
    tokens.push_back(soup.substr(at, end - at));
    at = end + 1;
  }
  Json doc = Json::parse(R"({"a": [{"b": 1, "c": "x"}, {"b": [2, 3]}], "b": {"c": [true, null]}})");
  Options options;
  options.limits.max_steps = 20000;
  options.limits.max_result_size = 10000;
  std::mt19937 rng(12345);
  size_t parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string expr;
    const size_t n = 1 + rng() % 12;
    for (size_t k = 0; k < n; ++k) expr += tokens[rng() % tokens.size()] + " ";
    try {
      Expression e = Expression::parse(expr);
      ++parsed;
      e.evaluate(doc, options);
    } catch (const Error&) {
    } catch (const std::exception& ex) {
      ADD_FAILURE() << expr << ": " << ex.what();
    }
  }
  EXPECT_GT(parsed, 100u);
}

}  // namespace
}  // namespace stepd::jsonata
