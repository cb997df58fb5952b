#include <gtest/gtest.h>

#include "core/jsonata/jsonata.h"
#include "tests/unit/jsonata/eval_helpers.h"

namespace stepd::jsonata {
namespace {

using namespace testing;  // NOLINT: the shared helpers

TEST(JsonataStringFunctions, String) {
  EXPECT_EQ(eval("$string(5)"), Json("5"));
  EXPECT_EQ(eval("$string(0.1 + 0.2)"), Json("0.3"));
  EXPECT_EQ(eval("$string(1e21)"), Json("1e+21"));
  EXPECT_EQ(eval("$string(1.5e-7)"), Json("1.5e-7"));
  EXPECT_EQ(eval("$string('x')"), Json("x"));
  EXPECT_EQ(eval("$string(true)"), Json("true"));
  EXPECT_EQ(eval("$string(null)"), Json("null"));
  EXPECT_EQ(eval("$string({'a': [1, 2.5]})"), Json(R"({"a":[1,2.5]})"));
  EXPECT_EQ(eval("$string({'a': 1}, true)"), Json("{\n  \"a\": 1\n}"));
  EXPECT_EQ(eval("$string(nothing)"), Json("<undefined>"));
  EXPECT_EQ(eval("$string()", Json(7)), Json("7"));  // the context is the argument
}

TEST(JsonataStringFunctions, LengthSubstringCase) {
  EXPECT_EQ(eval("$length('hello')"), Json(5));
  EXPECT_EQ(eval("$length('\xC3\xA9t\xC3\xA9')"), Json(3));  // code points
  EXPECT_EQ(eval("$substring('Hello World', 3)"), Json("lo World"));
  EXPECT_EQ(eval("$substring('Hello World', 3, 5)"), Json("lo Wo"));
  EXPECT_EQ(eval("$substring('Hello World', -4)"), Json("orld"));
  EXPECT_EQ(eval("$substring('Hello World', -4, 2)"), Json("or"));
  EXPECT_EQ(eval("$substring('\xC3\xA9t\xC3\xA9', 1, 1)"), Json("t"));
  EXPECT_EQ(eval("$uppercase('Hello World')"), Json("HELLO WORLD"));
  EXPECT_EQ(eval("$lowercase('Hello World')"), Json("hello world"));
  EXPECT_EQ(error_code("$length(1)"), "T0410");
  EXPECT_EQ(eval("$length()", Json("abc")), Json(3));  // the context is the argument
  EXPECT_EQ(error_code("$length()", Json(5)), "T0411");
  EXPECT_EQ(error_code("$substring()"), "T0410");
}

TEST(JsonataStringFunctions, JoinSplitContains) {
  EXPECT_EQ(eval("$join(['a', 'b', 'c'])"), Json("abc"));
  EXPECT_EQ(eval("$join(['a', 'b', 'c'], ', ')"), Json("a, b, c"));
  EXPECT_EQ(eval("$join('a', ', ')"), Json("a"));
  EXPECT_EQ(error_code("$join([1, 2])"), "T0410");
  EXPECT_EQ(eval("$split('so many words', ' ')"), Json::parse(R"(["so", "many", "words"])"));
  EXPECT_EQ(eval("$split('so many words', ' ', 2)"), Json::parse(R"(["so", "many"])"));
  EXPECT_EQ(eval("$split('abc', '')"), Json::parse(R"(["a", "b", "c"])"));
  EXPECT_EQ(eval("$split('a,,b', ',')"), Json::parse(R"(["a", "", "b"])"));
  EXPECT_EQ(error_code("$split('a', ',', -1)"), "D3020");
  EXPECT_EQ(eval("$contains('abracadabra', 'bra')"), Json(true));
  EXPECT_EQ(eval("$contains('abracadabra', 'xyz')"), Json(false));
}

TEST(JsonataNumericFunctions, NumberAndRounding) {
  EXPECT_EQ(eval("$number('42')"), Json(42));
  EXPECT_EQ(eval("$number('-1.5e2')"), Json(-150));
  EXPECT_EQ(eval("$number('0x1F')"), Json(31));
  EXPECT_EQ(eval("$number(true)"), Json(1));
  EXPECT_EQ(error_code("$number('abc')"), "D3030");
  EXPECT_EQ(error_code("$number('1 2')"), "D3030");
  EXPECT_EQ(eval("$abs(-5)"), Json(5));
  EXPECT_EQ(eval("$floor(5.7)"), Json(5));
  EXPECT_EQ(eval("$floor(-5.3)"), Json(-6));
  EXPECT_EQ(eval("$ceil(5.3)"), Json(6));
  EXPECT_EQ(eval("$round(123.456)"), Json(123));
  EXPECT_EQ(eval("$round(123.456, 2)"), Json(123.46));
  EXPECT_EQ(eval("$round(123.456, -1)"), Json(120));
  EXPECT_EQ(eval("$round(11.5)"), Json(12));  // half to even
  EXPECT_EQ(eval("$round(12.5)"), Json(12));
  EXPECT_EQ(eval("$round(-12.5)"), Json(-12));
  EXPECT_EQ(eval("$round(125, -1)"), Json(120));
  EXPECT_EQ(eval("$round(2.675, 2)"), Json(2.68));  // decimal, not binary, halfway
  EXPECT_EQ(error_code("$abs('x')"), "T0410");
}

TEST(JsonataNumericFunctions, Aggregates) {
  EXPECT_EQ(eval("$sum([5, 1, 3, 7, 4])"), Json(20));
  EXPECT_EQ(eval("$sum([])"), Json(0));
  EXPECT_EQ(eval("$sum(7)"), Json(7));
  EXPECT_EQ(error_code("$sum([1, 'a'])"), "T0410");
  EXPECT_EQ(eval("$count([1, 2, 3])"), Json(3));
  EXPECT_EQ(eval("$count(nothing)"), Json(0));
  EXPECT_EQ(eval("$count('x')"), Json(1));
  EXPECT_EQ(eval("$max([5, 1, 3, 7, 4])"), Json(7));
  EXPECT_EQ(eval("$min([5, 1, 3, 7, 4])"), Json(1));
  EXPECT_EQ(eval("$max([])"), Json("<undefined>"));
  EXPECT_EQ(eval("$average([5, 1, 3, 7, 4])"), Json(4));
}

TEST(JsonataBooleanFunctions, BooleanNotExistsType) {
  EXPECT_EQ(eval("$boolean('')"), Json(false));
  EXPECT_EQ(eval("$boolean('0')"), Json(true));
  EXPECT_EQ(eval("$boolean(0)"), Json(false));
  EXPECT_EQ(eval("$boolean([])"), Json(false));
  EXPECT_EQ(eval("$boolean([0, false])"), Json(false));
  EXPECT_EQ(eval("$boolean([0, 1])"), Json(true));
  EXPECT_EQ(eval("$boolean({})"), Json(false));
  EXPECT_EQ(eval("$boolean(null)"), Json(false));
  EXPECT_EQ(eval("$boolean($boolean)"), Json(false));
  EXPECT_EQ(eval("$not(true)"), Json(false));
  EXPECT_EQ(eval("$not(nothing)"), Json("<undefined>"));
  EXPECT_EQ(eval("$exists(nothing)"), Json(false));
  EXPECT_EQ(eval("$exists(null)"), Json(true));
  EXPECT_EQ(
      eval("[$type(1), $type('a'), $type(null), $type(true), $type([]), $type({}), "
           "$type($sum)]"),
      Json::parse(R"(["number", "string", "null", "boolean", "array", "object", "function"])"));
  EXPECT_EQ(eval("$type(nothing)"), Json("<undefined>"));
}

TEST(JsonataObjectFunctions, KeysLookupMerge) {
  Json doc = Json::parse(R"({"a": 1, "b": {"c": 2}, "l": [{"x": 1, "y": 2}, {"y": 3, "z": 4}]})");
  EXPECT_EQ(eval("$keys($)", doc), Json::parse(R"(["a", "b", "l"])"));
  EXPECT_EQ(eval("$keys(l)", doc), Json::parse(R"(["x", "y", "z"])"));
  EXPECT_EQ(eval("$keys(b)", doc), Json("c"));
  EXPECT_EQ(eval("$lookup(b, 'c')", doc), Json(2));
  EXPECT_EQ(eval("$lookup(l, 'y')", doc), Json::parse("[2, 3]"));
  EXPECT_EQ(eval("$lookup(b, 'zz')", doc), Json("<undefined>"));
  EXPECT_EQ(eval("$merge([{'a': 1}, {'b': 2}, {'a': 3}])"), Json::parse(R"({"a": 3, "b": 2})"));
  EXPECT_EQ(error_code("$merge([1])"), "T0410");
  EXPECT_EQ(eval("$count($keys($merge([1..50000].{$string($): $})))"), Json(50000));
  EXPECT_EQ(eval("$each({'a': 1, 'b': 2}, function($v, $k) { $k & '=' & $v })"),
            Json::parse(R"(["a=1", "b=2"])"));
  EXPECT_EQ(eval("$sift({'a': 1, 'b': 2, 'c': 3}, function($v) { $v > 1 })"),
            Json::parse(R"({"b": 2, "c": 3})"));
  EXPECT_EQ(eval("$sift({'a': 1}, function($v) { $v > 1 })"), Json("<undefined>"));
}

TEST(JsonataArrayFunctions, AppendSortReverseDistinct) {
  EXPECT_EQ(eval("$append([1, 2], [3, 4])"), Json::parse("[1, 2, 3, 4]"));
  EXPECT_EQ(eval("$append(1, [3, 4])"), Json::parse("[1, 3, 4]"));
  EXPECT_EQ(eval("$append(1, 2)"), Json::parse("[1, 2]"));
  EXPECT_EQ(eval("$append(nothing, [2])"), Json::parse("[2]"));
  EXPECT_EQ(eval("$sort([3, 1, 2])"), Json::parse("[1, 2, 3]"));
  EXPECT_EQ(eval("$sort(['b', 'a'])"), Json::parse(R"(["a", "b"])"));
  EXPECT_EQ(error_code("$sort([1, 'a'])"), "D3070");
  EXPECT_EQ(eval("$sort([{'n': 2, 'i': 0}, {'n': 1, 'i': 1}, {'n': 2, 'i': 2}], "
                 "function($l, $r) { $l.n > $r.n }).i"),
            Json::parse("[1, 0, 2]"));  // stable
  EXPECT_EQ(eval("$reverse([1, 2, 3])"), Json::parse("[3, 2, 1]"));
  EXPECT_EQ(eval("$distinct([1, 2, 1, 'a', 'a', {'x': 1}, {'x': 1}])"),
            Json::parse(R"([1, 2, "a", {"x": 1}])"));
  EXPECT_EQ(eval("$distinct([true, null, false, true, null, [1], [1], 1.0, 1, '1'])"),
            Json::parse(R"([true, null, false, [1], 1, "1"])"));
  EXPECT_EQ(eval("$count($distinct([1..100000]))"), Json(100000));  // not quadratic
  EXPECT_EQ(eval("$count($keys([1..50000]{$string($): $}))"), Json(50000));
}

TEST(JsonataArrayFunctions, MapFilterReduce) {
  EXPECT_EQ(eval("$map([1, 2, 3], function($v) { $v * 2 })"), Json::parse("[2, 4, 6]"));
  EXPECT_EQ(eval("$map([1, 2, 3], function($v, $i) { $i })"), Json::parse("[0, 1, 2]"));
  EXPECT_EQ(eval("$map([1, 2, 3], function($v, $i, $a) { $count($a) })"), Json::parse("[3, 3, 3]"));
  EXPECT_EQ(eval("$map([1, 2], $string)"), Json::parse(R"(["1", "2"])"));
  EXPECT_EQ(eval("$map([7], function($v) { $v })"), Json(7));  // a sequence of one
  EXPECT_EQ(eval("$filter([1, 2, 3, 4], function($v) { $v % 2 = 0 })"), Json::parse("[2, 4]"));
  EXPECT_EQ(eval("$reduce([1, 2, 3, 4], function($a, $b) { $a + $b })"), Json(10));
  EXPECT_EQ(eval("$reduce([1, 2, 3], function($a, $b) { $a + $b }, 10)"), Json(16));
  EXPECT_EQ(error_code("$reduce([1], function($a) { $a })"), "D3050");
  EXPECT_EQ(error_code("$map([1], 2)"), "T0410");
}

TEST(JsonataDateFunctions, ClockAndConversions) {
  Options o;
  o.now_ms = [] { return int64_t{1508163827123}; };
  EXPECT_EQ(eval("$millis()", nullptr, o), Json(1508163827123));
  EXPECT_EQ(eval("$now()", nullptr, o), Json("2017-10-16T14:23:47.123Z"));
  EXPECT_EQ(eval("$now() = $now()", nullptr, o), Json(true));
  EXPECT_EQ(eval("$fromMillis(1510067557121)"), Json("2017-11-07T15:12:37.121Z"));
  EXPECT_EQ(eval("$fromMillis(0)"), Json("1970-01-01T00:00:00.000Z"));
  EXPECT_EQ(eval("$fromMillis(-1)"), Json("1969-12-31T23:59:59.999Z"));
  EXPECT_EQ(eval("$toMillis('2017-11-07T15:12:37.121Z')"), Json(1510067557121));
  EXPECT_EQ(eval("$toMillis('2017-11-07T16:12:37.121+01:00')"), Json(1510067557121));
  EXPECT_EQ(eval("$toMillis('2000-02-29')"), Json(951782400000));
  EXPECT_EQ(eval("$toMillis('1970-01-01T00:00:01Z')"), Json(1000));
  EXPECT_EQ(error_code("$toMillis('yesterday')"), "D3110");
  EXPECT_EQ(eval("$toMillis($fromMillis(1234567890123))"), Json(1234567890123));
}

}  // namespace
}  // namespace stepd::jsonata

namespace stepd::jsonata {
namespace {

TEST(JsonataMoreFunctions, StringsAndNumbers) {
  EXPECT_EQ(eval("$trim('   Hello \n World  ')"), Json("Hello World"));
  EXPECT_EQ(eval("$pad('foo', 5)"), Json("foo  "));
  EXPECT_EQ(eval("$pad('foo', -5, '#')"), Json("##foo"));
  EXPECT_EQ(eval("$pad('foo', 8, '-+')"), Json("foo-+-+-"));
  EXPECT_EQ(eval("$pad('foobar', 3)"), Json("foobar"));
  EXPECT_EQ(eval("$replace('John Smith and John Jones', 'John', 'Mr')"),
            Json("Mr Smith and Mr Jones"));
  EXPECT_EQ(eval("$replace('John Smith and John Jones', 'John', 'Mr', 1)"),
            Json("Mr Smith and John Jones"));
  EXPECT_EQ(error_code("$replace('abc', '', 'x')"), "D3010");
  EXPECT_EQ(error_code("$replace('abc', 'a', 'x', -1)"), "D3011");
  EXPECT_EQ(eval("$power(2, 8)"), Json(256));
  EXPECT_EQ(eval("$power(2, -1)"), Json(0.5));
  EXPECT_EQ(error_code("$power(10, 1000)"), "D3061");
  EXPECT_EQ(eval("$sqrt(4)"), Json(2));
  EXPECT_EQ(error_code("$sqrt(-1)"), "D3060");
  EXPECT_EQ(eval("$formatBase(100, 2)"), Json("1100100"));
  EXPECT_EQ(eval("$formatBase(-255, 16)"), Json("-ff"));
  EXPECT_EQ(error_code("$formatBase(1, 1)"), "D3100");
  EXPECT_EQ(eval("$base64encode('myuser:mypass')"), Json("bXl1c2VyOm15cGFzcw=="));
  EXPECT_EQ(eval("$base64decode('bXl1c2VyOm15cGFzcw==')"), Json("myuser:mypass"));
  EXPECT_EQ(eval("$base64decode($base64encode('ab'))"), Json("ab"));
}

TEST(JsonataMoreFunctions, ArraysObjectsAndErrors) {
  EXPECT_EQ(eval("$zip([1, 2, 3], [4, 5, 6])"), Json::parse("[[1, 4], [2, 5], [3, 6]]"));
  EXPECT_EQ(eval("$zip([1, 2, 3], [4, 5])"), Json::parse("[[1, 4], [2, 5]]"));
  EXPECT_EQ(eval("$spread({'a': 1, 'b': 2})"), Json::parse(R"([{"a": 1}, {"b": 2}])"));
  EXPECT_EQ(eval("$single([1, 2, 3], function($v) { $v = 2 })"), Json(2));
  EXPECT_EQ(error_code("$single([1, 2, 3], function($v) { $v > 1 })"), "D3138");
  EXPECT_EQ(error_code("$single([1, 2, 3], function($v) { $v > 5 })"), "D3139");
  EXPECT_EQ(error_code("$error('boom')"), "D3137");
  EXPECT_EQ(error_code("$assert(1 = 2, 'no')"), "D3141");
  EXPECT_EQ(eval("$assert(1 = 1, 'no')"), Json("<undefined>"));
}

}  // namespace
}  // namespace stepd::jsonata

namespace stepd::jsonata {
namespace {

TEST(JsonataMoreFunctions, CloneRandomShuffleUrls) {
  EXPECT_EQ(eval("$clone({'a': [1]})"), Json::parse(R"({"a": [1]})"));
  Options o;
  o.random = [] { return 0.25; };
  EXPECT_EQ(eval("$random()", nullptr, o), Json(0.25));
  Json r = eval("$random()");
  EXPECT_TRUE(r.is_number() && r.get<double>() >= 0 && r.get<double>() < 1);
  Json shuffled = eval("$sort($shuffle([3, 1, 2, 5, 4]))");
  EXPECT_EQ(shuffled, Json::parse("[1, 2, 3, 4, 5]"));
  EXPECT_EQ(eval("$encodeUrlComponent('?x=test')"), Json("%3Fx%3Dtest"));
  EXPECT_EQ(eval("$encodeUrl('https://mozilla.org/?x=\u0448\u0435\u043b\u043b\u044b')"),
            Json("https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B"));
  EXPECT_EQ(eval("$decodeUrlComponent('%3Fx%3Dtest')"), Json("?x=test"));
  EXPECT_EQ(eval("$decodeUrl('https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B')"),
            Json("https://mozilla.org/?x=\u0448\u0435\u043b\u043b\u044b"));
  EXPECT_EQ(eval("$decodeUrl('%3F')"), Json("%3F"));  // reserved characters stay escaped
  EXPECT_EQ(error_code("$decodeUrlComponent('%E')"), "D3140");
  EXPECT_EQ(error_code("$decodeUrlComponent('%FF')"), "D3140");
}

TEST(JsonataNumericFunctions, FormatNumber) {
  // The examples of the JSONata documentation.
  EXPECT_EQ(eval("$formatNumber(12345.6, '#,###.00')"), "12,345.60");
  EXPECT_EQ(eval("$formatNumber(1234.5678, '00.000e0')"), "12.346e2");
  EXPECT_EQ(eval("$formatNumber(34.555, '#0.00;(#0.00)')"), "34.56");
  EXPECT_EQ(eval("$formatNumber(-34.555, '#0.00;(#0.00)')"), "(34.56)");
  EXPECT_EQ(eval("$formatNumber(0.14, '01%')"), "14%");
  EXPECT_EQ(eval("$formatNumber(0.4857,'###.#\u2030')"), "485.7\u2030");
  EXPECT_EQ(eval("$formatNumber(0.14, '###pm', {'per-mille': 'pm'})"), "140pm");
  EXPECT_EQ(eval("$formatNumber(1234.5678, '\u2460\u2460.\u2460\u2460\u2460e\u2460', "
                 "{'zero-digit': '\u245f'})"),
            "\u2460\u2461.\u2462\u2463\u2465e\u2461");
  // More of the rules.
  EXPECT_EQ(eval("$formatNumber(-1234567.891, '#,##0.0')"), "-1,234,567.9");
  EXPECT_EQ(eval("$formatNumber(7, '000')"), "007");
  EXPECT_EQ(eval("$formatNumber(0.5, '#.##')"), ".5");
  EXPECT_EQ(eval("$formatNumber(1234567, '#,##,###')"), "12,34,567");
  EXPECT_EQ(eval("$formatNumber(1234.5, '#.###,##', {'decimal-separator': ',', "
                 "'grouping-separator': '.'})"),
            "1.234,5");
  EXPECT_EQ(eval("$formatNumber(0.000123, '0.00e00')"), "1.23e-04");
  EXPECT_EQ(error_code("$formatNumber(1, 'x')"), "D3085");
  EXPECT_EQ(error_code("$formatNumber(1, '#.#.#')"), "D3081");
  EXPECT_EQ(error_code("$formatNumber(1, '0;0;0')"), "D3080");
  EXPECT_EQ(error_code("$formatNumber(1, '#%%')"), "D3082");
  EXPECT_EQ(eval("$formatNumber(nothing, '#')"), "<undefined>");
}

TEST(JsonataNumericFunctions, FormatAndParseInteger) {
  EXPECT_EQ(eval("$formatInteger(2789, 'w')"), "two thousand, seven hundred and eighty-nine");
  EXPECT_EQ(eval("$formatInteger(1999, 'I')"), "MCMXCIX");
  EXPECT_EQ(eval("$formatInteger(1999, 'i')"), "mcmxcix");
  EXPECT_EQ(eval("$formatInteger(28, 'A')"), "AB");
  EXPECT_EQ(eval("$formatInteger(1234567, '#,##0')"), "1,234,567");
  EXPECT_EQ(eval("$formatInteger(42, '0000')"), "0042");
  EXPECT_EQ(eval("$formatInteger(-7, '0')"), "-7");
  EXPECT_EQ(eval("$formatInteger(22, '0;o')"), "22nd");
  EXPECT_EQ(eval("$formatInteger(13, '0;o')"), "13th");
  EXPECT_EQ(eval("$formatInteger(21, 'w;o')"), "twenty-first");
  EXPECT_EQ(eval("$formatInteger(100, 'Ww')"), "One Hundred");
  EXPECT_EQ(eval("$formatInteger(3000000, 'W')"), "THREE MILLION");
  EXPECT_EQ(eval("$formatInteger(0, 'w')"), "zero");
  EXPECT_EQ(eval("$parseInteger('twelve thousand, four hundred and seventy-six', 'w')"), 12476);
  EXPECT_EQ(eval("$parseInteger('12,345,678', '#,##0')"), 12345678);
  EXPECT_EQ(eval("$parseInteger('MCMXCIX', 'I')"), 1999);
  EXPECT_EQ(eval("$parseInteger('ab', 'a')"), 28);
  EXPECT_EQ(eval("$parseInteger('22nd', '0;o')"), 22);
  EXPECT_EQ(eval("$parseInteger($formatInteger(987654321, 'w'), 'w')"), 987654321);
  EXPECT_EQ(error_code("$parseInteger('12x', '0')"), "D3137");
  EXPECT_EQ(error_code("$formatInteger(1, 'x')"), "D3130");
}

}  // namespace
}  // namespace stepd::jsonata
