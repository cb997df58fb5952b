// Regular expressions: the matcher itself, and the functions that take one.
#include "core/jsonata/regex.h"

#include <gtest/gtest.h>

#include <chrono>

#include "core/jsonata/jsonata.h"
#include "tests/unit/jsonata/eval_helpers.h"

namespace stepd::jsonata {
namespace {

using namespace testing;  // NOLINT: the shared helpers

// The first match as text, "<none>" when there is none.
std::string first(const std::string& pattern, const std::string& text,
                  const std::string& flags = "") {
  auto m = Regex::compile(pattern, flags)->search(text);
  return m ? text.substr(m->begin, m->end - m->begin) : "<none>";
}

TEST(JsonataRegex, LiteralsClassesAndAnchors) {
  EXPECT_EQ(first("b+", "abbbc"), "bbb");
  EXPECT_EQ(first("^hello\\$", "hello$world"), "hello$");
  EXPECT_EQ(first("^hello\\ ", "hello$world"), "<none>");
  EXPECT_EQ(first("[a-c]+", "xxcabz"), "cab");
  EXPECT_EQ(first("[^a-c]+", "abxyc"), "xy");
  EXPECT_EQ(first("\\d{2,3}", "a1234"), "123");
  EXPECT_EQ(first("\\w+@\\w+\\.com", "mail: joe@site.com!"), "joe@site.com");
  EXPECT_EQ(first("[\\s,]+", "a , b"), " , ");
  EXPECT_EQ(first("x$", "ax\nb"), "<none>");
  EXPECT_EQ(first("x$", "ax\nb", "m"), "x");
  EXPECT_EQ(first("^b", "a\nb", "m"), "b");
  EXPECT_EQ(first("\\bcat\\b", "concat cat"), "cat");
  EXPECT_EQ(first("HeLLo", "say hello", "i"), "hello");
  EXPECT_EQ(first("[A-Z]+", "abc", "i"), "abc");
  EXPECT_EQ(first("caf.", "caf\xC3\xA9!"), "caf\xC3\xA9");  // . is a whole code point
  EXPECT_EQ(first("\\u00e9", "caf\xC3\xA9"), "\xC3\xA9");
  EXPECT_EQ(first("a{,2}", "a{,2}"), "a{,2}");  // not a quantifier: literal, as in JavaScript
}

TEST(JsonataRegex, LeftmostFirstLikeJavaScript) {
  EXPECT_EQ(first("a|ab", "ab"), "a");  // the first alternative wins, not the longest
  EXPECT_EQ(first("ab|a", "ab"), "ab");
  EXPECT_EQ(first("a+?", "aaa"), "a");
  EXPECT_EQ(first("a*?b", "aaab"), "aaab");
  EXPECT_EQ(first("(a|b)*c", "xababc"), "ababc");
  auto m = Regex::compile("(\\d+)-(x)?(\\d+)", "")->search("tel 12-34");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->groups.size(), 3u);
  EXPECT_EQ(m->groups[0], std::make_pair(size_t{4}, size_t{6}));
  EXPECT_FALSE(m->groups[1].has_value());
  EXPECT_EQ(m->groups[2], std::make_pair(size_t{7}, size_t{9}));
}

TEST(JsonataRegex, HostilePatternsRunInLinearTime) {
  // Exponential for a backtracking matcher: (a*)*b against a long run of a's with no b.
  std::string text(20000, 'a');
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(first("(a*)*b", text), "<none>");
  EXPECT_EQ(first("(a|aa)+$", text + "!"), "<none>");
  // Not a timing test: a backtracking engine would not finish at all; this only has to end.
  (void)start;
}

TEST(JsonataRegex, RefusedPatterns) {
  for (const char* p :
       {"(a", "a)", "[a", "*a", "a{3,1}", "(?=a)", "(?<n>a)", "\\1", "\\q", "a{1001}"}) {
    EXPECT_THROW(Regex::compile(p, ""), Error) << p;
  }
  EXPECT_THROW(Regex::compile("a", "g"), Error);
  EXPECT_EQ(error_code("$contains('a', /(a/)"), "S0302");
}

TEST(JsonataRegex, Functions) {
  EXPECT_EQ(eval("$contains(\"hello$world\", /^hello\\$/)"), true);
  EXPECT_EQ(eval("$contains('hello$world', /^hello\\ /)"), false);
  EXPECT_EQ(eval("$split('a1b22c', /\\d+/)"), Json::parse(R"(["a","b","c"])"));
  EXPECT_EQ(eval("$split('a1b22c', /\\d+/, 2)"), Json::parse(R"(["a","b"])"));
  EXPECT_EQ(eval("$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')"), "Smith, John");
  EXPECT_EQ(eval("$replace('a-b-c', /-/, '+', 1)"), "a+b-c");
  EXPECT_EQ(eval("$replace('cost 5 and 7', /\\d/, function($m){ $string($number($m.match) * 2) })"),
            "cost 10 and 14");
  EXPECT_EQ(eval("$replace('$', /\\$/, '$$$$')"), "$$");
  EXPECT_EQ(eval("$match('ab12cd345', /\\d+/)"),
            Json::parse(R"([{"match":"12","index":2,"groups":[]},
                            {"match":"345","index":6,"groups":[]}])"));
  EXPECT_EQ(eval("$match('x9', /(\\d)/).groups"), Json::parse(R"(["9"])"));
  EXPECT_EQ(eval("/b(c)/('abcd').groups[0]"), "c");
  EXPECT_EQ(eval("['ab', 'cd', 'ax'][$contains($, /^a/)]"), Json::parse(R"(["ab","ax"])"));
  EXPECT_EQ(error_code("$replace('abc', /x*/, '-')"), "D1004");
  EXPECT_EQ(eval("/a/ ~> $type()"), "function");
}

// A regular expression called as a function gives jsonata-js's matcher object: match, start,
// end, groups, and a function `next` for the match after it ($match's objects have no `next`).
TEST(JsonataRegex, MatcherObjectsAndNext) {
  EXPECT_EQ(eval("/\\d+/('ab12cd34')"),
            Json::parse(R"({"match": "12", "start": 2, "end": 4, "groups": []})"));
  EXPECT_EQ(eval("/\\d+/('ab12cd34').next().match"), "34");
  EXPECT_EQ(eval("/\\d+/('ab12cd34').next().next()"), "<undefined>");
  EXPECT_EQ(eval("/c/('abc').next()"), "<undefined>");  // nothing left to match
  EXPECT_EQ(eval("$type(/a/('a').next)"), "function");
  EXPECT_EQ(eval("$string(/b/('abc'))"),
            R"({"match":"b","start":1,"end":2,"groups":[],"next":""})");
  EXPECT_EQ(eval("$match('ab12cd34', /\\d+/)[1]"),
            Json::parse(R"({"match": "34", "index": 6, "groups": []})"));
  // positions count code points, also after next()
  EXPECT_EQ(eval("/é(\\d)/('aé1é2').next()"),
            Json::parse(R"({"match": "é2", "start": 3, "end": 5, "groups": ["2"]})"));
  EXPECT_EQ(eval("($all := function($m) { $m ? $append($m.match, $all($m.next())) : [] };"
                 " $all(/\\d+/('a1b22c333')))"),
            Json::parse(R"(["1", "22", "333"])"));
  // next() goes on from the end of its own match however often it is called (jsonata-js goes on
  // from wherever the regular expression last stopped, so there a second $m.next() gives "3")
  EXPECT_EQ(eval("($m := /\\d/('1234'); [$m.next().match, $m.next().next().match])"),
            Json::parse(R"(["2", "3"])"));
  // a first match of zero length is given; going on from it would never advance
  EXPECT_EQ(eval("/x*/('abc').match"), "");
  EXPECT_EQ(error_code("/x*/('abc').next()"), "D1004");
}

}  // namespace
}  // namespace stepd::jsonata
