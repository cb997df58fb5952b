#include <gtest/gtest.h>

#include "core/jsonata/jsonata.h"
#include "tests/unit/jsonata/eval_helpers.h"

namespace stepd::jsonata {
namespace {

using namespace testing;  // NOLINT: the shared helpers

const Json& person() {
  static const Json doc = Json::parse(R"js({
    "FirstName": "Fred", "Surname": "Smith", "Age": 28,
    "Address": {"Street": "Hursley Park", "City": "Winchester", "Postcode": "SO21 2JN"},
    "Phone": [
      {"type": "home", "number": "0203 544 1234"},
      {"type": "office", "number": "01962 001234"},
      {"type": "office", "number": "01962 001235"},
      {"type": "mobile", "number": "077 7700 1234"}],
    "Email": [
      {"type": "work", "address": ["fred.smith@my-work.com", "fsmith@my-work.com"]},
      {"type": "home", "address": ["freddy@my-social.com", "frederic.smith@very-serious.com"]}],
    "Other": {"Over 18 ?": true, "Misc": null, "Alternative.Address": {"Street": "Brick Lane", "City": "London"}}
  })js");
  return doc;
}

TEST(JsonataPaths, NavigationAndFlattening) {
  EXPECT_EQ(eval("Surname", person()), Json("Smith"));
  EXPECT_EQ(eval("Address.City", person()), Json("Winchester"));
  EXPECT_EQ(eval("Other.Misc", person()), Json(nullptr));
  EXPECT_EQ(eval("Other.Nothing", person()), Json("<undefined>"));
  EXPECT_EQ(eval("Other.`Over 18 ?`", person()), Json(true));
  EXPECT_EQ(eval("Phone[0].number", person()), Json("0203 544 1234"));
  EXPECT_EQ(eval("Phone[-1].number", person()), Json("077 7700 1234"));
  EXPECT_EQ(eval("Phone[8].number", person()), Json("<undefined>"));
  EXPECT_EQ(eval("Phone.number[0]", person()).size(), 4u);
  EXPECT_EQ(eval("(Phone.number)[0]", person()), Json("0203 544 1234"));
  EXPECT_EQ(eval("Phone[type='mobile'].number", person()), Json("077 7700 1234"));
  EXPECT_EQ(eval("Phone[type='office'].number", person()),
            Json::parse(R"(["01962 001234", "01962 001235"])"));
  EXPECT_EQ(eval("Email.address", person()).size(), 4u);  // arrays flatten across steps
  EXPECT_EQ(eval("Email.address[0]", person()),
            Json::parse(R"(["fred.smith@my-work.com", "freddy@my-social.com"])"));
  EXPECT_EQ(eval("Account.Order.Product.Price", account()),
            Json::parse("[34.45, 21.67, 34.45, 107.99]"));
  EXPECT_EQ(eval("Account.Order[0].OrderID", account()), Json("order103"));
  EXPECT_EQ(eval("Account.Order.Product[0].SKU", account()),
            Json::parse(R"(["0406654608", "040657863"])"));
}

// `$v.a.b` through objects takes a shortcut; it must agree with the general evaluation.
TEST(JsonataPaths, VariablePathsThroughObjects) {
  Options o;
  o.bindings["states"] = {{"input", person()}};
  EXPECT_EQ(eval("$states.input.Address.City", nullptr, o), Json("Winchester"));
  EXPECT_EQ(eval("$states.input.Phone", nullptr, o).size(), 4u);
  EXPECT_EQ(eval("$states.input.Phone.type", nullptr, o).size(), 4u);
  EXPECT_EQ(eval("$states.input.Other.Misc", nullptr, o), Json(nullptr));
  EXPECT_EQ(eval("$states.input.Nothing.At.All", nullptr, o), Json("<undefined>"));
  EXPECT_EQ(eval("$states.input.Age.x", nullptr, o), Json("<undefined>"));
  EXPECT_EQ(eval("$states.input.Phone[]", nullptr, o).size(), 4u);
  EXPECT_EQ(eval("($x := {'a': [1]}; $x.a)"), Json::parse("[1]"));
  EXPECT_EQ(eval("($x := {'a': [1]}; $x.a[])"), Json::parse("[1]"));
}

TEST(JsonataPaths, SingletonArraysAndKeepArray) {
  Json doc = Json::parse(R"({"a": [{"b": 1}], "c": [5], "d": 7})");
  EXPECT_EQ(eval("a.b", doc), Json(1));
  EXPECT_EQ(eval("a.b[]", doc), Json::parse("[1]"));
  EXPECT_EQ(eval("a[].b", doc), Json::parse("[1]"));
  EXPECT_EQ(eval("c", doc), Json::parse("[5]"));  // a lone array value stays an array
  EXPECT_EQ(eval("d[]", doc), Json::parse("[7]"));
  EXPECT_EQ(eval("$[0]", Json::parse("[1, 2]")), Json(1));
  EXPECT_EQ(eval("a", Json::parse(R"([{"a": 1}, {"a": 2}])")), Json::parse("[1, 2]"));
}

TEST(JsonataPaths, WildcardsAndDescendants) {
  EXPECT_EQ(eval("Address.*", person()),
            Json::parse(R"(["Hursley Park", "Winchester", "SO21 2JN"])"));
  EXPECT_EQ(eval("*.Postcode", person()), Json("SO21 2JN"));
  EXPECT_EQ(eval("**.Postcode", person()), Json("SO21 2JN"));
  EXPECT_EQ(eval("**.City", person()), Json::parse(R"(["Winchester", "London"])"));
}

TEST(JsonataPaths, PredicatesWithBooleansAndNumbers) {
  Json doc = Json::parse(R"({"x": [10, 20, 30, 40]})");
  EXPECT_EQ(eval("x[$ > 15]", doc), Json::parse("[20, 30, 40]"));
  EXPECT_EQ(eval("x[1.7]", doc), Json(20));  // indexes are floored
  EXPECT_EQ(eval("x[[0, 2]]", doc), Json::parse("[10, 30]"));
  EXPECT_EQ(eval("x[-2]", doc), Json(30));
  EXPECT_EQ(eval("x[$ > 100]", doc), Json("<undefined>"));
}

TEST(JsonataOperators, Arithmetic) {
  EXPECT_EQ(eval("1 + 2 * 3"), Json(7));
  EXPECT_EQ(eval("(1 + 2) * 3"), Json(9));
  EXPECT_EQ(eval("7 % 3"), Json(1));
  EXPECT_EQ(eval("-7 % 3"), Json(-1));
  EXPECT_EQ(eval("1 / 4"), Json(0.25));
  EXPECT_EQ(eval("-(2 + 3)"), Json(-5));
  EXPECT_EQ(eval("1 - 2 - 3"), Json(-4));  // left-associative
  EXPECT_EQ(eval("nothing + 1"), Json("<undefined>"));
  EXPECT_EQ(eval("1e16 + 1").dump(), "10000000000000000");  // integral results print as integers
  EXPECT_EQ(eval("$sum(Account.Order.Product.(Price * Quantity))", account()), Json(336.36));
}

TEST(JsonataOperators, ArithmeticErrors) {
  Error e = eval_error("'a' + 1");
  EXPECT_EQ(e.code, "T2001");
  EXPECT_EQ(e.position, 5u);
  EXPECT_EQ(eval_error("1 * true").code, "T2002");
  EXPECT_EQ(eval_error("1 / 0").code, "D1001");
  EXPECT_EQ(eval_error("-'a'").code, "D1002");
}

TEST(JsonataOperators, ComparisonAndEquality) {
  EXPECT_EQ(eval("1 < 2"), Json(true));
  EXPECT_EQ(eval("'a' < 'b'"), Json(true));
  EXPECT_EQ(eval("2 >= 2"), Json(true));
  EXPECT_EQ(eval("1 = 1.0"), Json(true));
  EXPECT_EQ(eval("'1' = 1"), Json(false));
  EXPECT_EQ(eval("[1, {'a': 2}] = [1, {'a': 2}]"), Json(true));
  EXPECT_EQ(eval("{'a': 1, 'b': 2} = {'b': 2, 'a': 1}"), Json(true));
  EXPECT_EQ(eval("nothing = 1"), Json(false));
  EXPECT_EQ(eval("nothing != 1"), Json(false));
  EXPECT_EQ(eval("nothing < 1"), Json("<undefined>"));
  EXPECT_EQ(eval_error("1 < 'a'").code, "T2009");
  EXPECT_EQ(eval_error("true < 1").code, "T2010");
  EXPECT_EQ(eval("3 in [1, 2, 3]"), Json(true));
  EXPECT_EQ(eval("'x' in 'x'"), Json(true));
  EXPECT_EQ(eval("4 in [1, 2, 3]"), Json(false));
}

TEST(JsonataOperators, BooleansAndConcatenation) {
  EXPECT_EQ(eval("true and false"), Json(false));
  EXPECT_EQ(eval("false or 'x'"), Json(true));
  EXPECT_EQ(eval("[] or 0"), Json(false));
  EXPECT_EQ(eval("'a' & 1 & true & nothing & null"), Json("a1truenull"));
  EXPECT_EQ(eval("FirstName & ' ' & Surname", person()), Json("Fred Smith"));
  EXPECT_EQ(eval("'n' & (0.1 + 0.2)"), Json("n0.3"));
  EXPECT_EQ(eval("'o' & {'a': [1, 'x']}"), Json(R"(o{"a":[1,"x"]})"));
}

TEST(JsonataOperators, RangesAndConditionals) {
  EXPECT_EQ(eval("[1..4]"), Json::parse("[1, 2, 3, 4]"));
  EXPECT_EQ(eval("[0, 2..3, 9]"), Json::parse("[0, 2, 3, 9]"));
  EXPECT_EQ(eval("[3..1]"), Json::parse("[]"));
  EXPECT_EQ(eval_error("[1.5..3]").code, "T2003");
  EXPECT_EQ(eval_error("[1..'x']").code, "T2004");
  EXPECT_EQ(eval_error("[1..100000000]").code, "D2014");
  EXPECT_EQ(eval("Age > 18 ? 'adult' : 'minor'", person()), Json("adult"));
  EXPECT_EQ(eval("Age < 18 ? 'minor'", person()), Json("<undefined>"));
}

TEST(JsonataOperators, BlocksVariablesAndContext) {
  EXPECT_EQ(eval("($x := 2; $y := $x * 3; $x + $y)"), Json(8));
  EXPECT_EQ(eval("($x := 1; ($x := 5); $x)"), Json(1));  // blocks scope their bindings
  EXPECT_EQ(eval("$a := $b := 3"), Json(3));
  EXPECT_EQ(eval("Address.($.City & ', ' & $$.Surname)", person()), Json("Winchester, Smith"));
  Options o;
  o.bindings["who"] = "world";
  EXPECT_EQ(eval("'hello ' & $who", nullptr, o), Json("hello world"));
  EXPECT_EQ(eval("$unbound"), Json("<undefined>"));
}

TEST(JsonataConstructors, ArraysAndObjects) {
  EXPECT_EQ(eval("[1, [2, 3], Phone[0].type]", person()), Json::parse(R"([1, [2, 3], "home"])"));
  EXPECT_EQ(eval("[Address, Other.Misc].City", person()), Json("Winchester"));
  EXPECT_EQ(eval("Email.[address]", person()).size(), 2u);  // constructed arrays stay whole
  EXPECT_EQ(eval("{'name': FirstName, 'n': $count(Phone)}", person()),
            Json::parse(R"({"name": "Fred", "n": 4})"));
  EXPECT_EQ(eval("{'a': nothing}", person()), Json::object());
  EXPECT_EQ(eval("Phone.{type: number}", person()),
            Json::parse(R"([{"home": "0203 544 1234"}, {"office": "01962 001234"},
                            {"office": "01962 001235"}, {"mobile": "077 7700 1234"}])"));
  EXPECT_EQ(eval_error("{1: 2}").code, "T1003");
}

TEST(JsonataConstructors, GroupBy) {
  EXPECT_EQ(eval("Phone{type: number}", person()),
            Json::parse(R"({"home": "0203 544 1234", "office": ["01962 001234", "01962 001235"],
                            "mobile": "077 7700 1234"})"));
  EXPECT_EQ(eval("Account.Order.Product{`Product Name`: $sum(Price)}", account()),
            Json::parse(R"({"Bowler Hat": 68.9, "Trilby hat": 21.67, "Cloak": 107.99})"));
  Json out = eval("Phone{type: $count(number)}", person());
  EXPECT_EQ(out.dump(), R"({"home":1,"office":2,"mobile":1})");  // first-seen key order
  EXPECT_EQ(eval_error("Phone{type: 1, 'home': 2}", person()).code, "D1009");
}

TEST(JsonataConstructors, OrderBy) {
  EXPECT_EQ(eval("Account.Order.Product^(Price).Price", account()),
            Json::parse("[21.67, 34.45, 34.45, 107.99]"));
  EXPECT_EQ(eval("Account.Order.Product^(>Price).Price", account()),
            Json::parse("[107.99, 34.45, 34.45, 21.67]"));
  EXPECT_EQ(eval("Account.Order.Product^(>Price, <Quantity).Quantity", account()),
            Json::parse("[1, 2, 4, 1]"));
  EXPECT_EQ(eval("Phone^(type).type", person()),
            Json::parse(R"(["home", "mobile", "office", "office"])"));
  EXPECT_EQ(eval_error("Phone^(true)", person()).code, "T2008");
}

TEST(JsonataPaths, IndexAndFocusBindings) {
  EXPECT_EQ(eval("Phone#$i[type = 'office'].{'n': number, 'i': $i}", person()),
            Json::parse(R"([{"n": "01962 001234", "i": 1}, {"n": "01962 001235", "i": 2}])"));
  EXPECT_EQ(eval("Account.Order#$o.Product.($o & ':' & SKU)", account()),
            Json::parse(R"(["0:0406654608", "0:0406634348", "1:040657863", "1:0406654603"])"));
  EXPECT_EQ(eval("Phone[type = 'office']#$i.$i", person()), Json::parse("[0, 1]"));
  EXPECT_EQ(eval("[10, 20, 30]#$i[$i > 0]"), Json::parse("[20, 30]"));
  EXPECT_EQ(eval("a[]#$i", Json::parse(R"({"a": [5]})")), Json::parse("[5]"));
  EXPECT_EQ(eval("a@$x.$x", Json::parse(R"({"a": [5, 6]})")), Json::parse("[5, 6]"));
  Json library = Json::parse(R"({
    "books": [{"isbn": "1", "title": "A"}, {"isbn": "2", "title": "B"}],
    "loans": [{"isbn": "2", "who": "x"}, {"isbn": "1", "who": "y"}, {"isbn": "2", "who": "z"}]})");
  EXPECT_EQ(
      eval("loans@$l.books@$b[$l.isbn = $b.isbn].{'who': $l.who, 'title': $b.title}", library),
      Json::parse(R"([{"who": "x", "title": "B"}, {"who": "y", "title": "A"},
                            {"who": "z", "title": "B"}])"));
}

// Cases of the JSONata test suite (group joins, index.json): the bindings reach an order-by and
// a group-by on the path, and predicates and `[]` after them.
TEST(JsonataPaths, TupleStreamsReachOrderByAndGroupBy) {
  const Json digits = Json::parse("[3, 1, 4, 1, 5, 9]");
  EXPECT_EQ(eval("$#$pos[$pos<3]", digits), Json::parse("[3, 1, 4]"));
  EXPECT_EQ(eval("$#$pos[$pos<3] = $[[0..2]]", digits), true);
  EXPECT_EQ(eval("$.$#$pos[$pos<3]", digits), digits);
  EXPECT_EQ(eval("$.$#$pos[$pos<3] = $.$[[0..2]]", digits), true);
  EXPECT_EQ(eval("$#$pos[$pos<3]^($)", digits), Json::parse("[1, 3, 4]"));
  EXPECT_EQ(eval("$#$pos[$pos<3]^(>$)", digits), Json::parse("[4, 3, 1]"));
  EXPECT_EQ(eval("$^($)#$pos[$pos<3] ", digits), Json::parse("[1, 1, 3]"));
  EXPECT_EQ(eval("$#$pos[$pos<3][1]", digits), 1);
  EXPECT_EQ(eval("$#$pos[$pos<3][1][]", digits), Json::parse("[1]"));
  EXPECT_EQ(eval("$#$pos[$pos<3]^($)[-1]", digits), 4);
  EXPECT_EQ(eval("$#$pos[][$pos<3]^($)[-1]", digits), Json::parse("[4]"));
  EXPECT_EQ(eval("$#$pos[$pos<3]^($)[-1][]", digits), Json::parse("[4]"));
  EXPECT_EQ(eval("$[[1..4]]#$pos[$pos>=2]", digits), Json::parse("[1, 5]"));
  EXPECT_EQ(eval("Account.Order#$o.Product[ProductID=858383].{ 'Product': `Product Name`, "
                 "'Order Index': $o }",
                 account()),
            Json::parse(R"([{"Product": "Bowler Hat", "Order Index": 0},
                            {"Product": "Bowler Hat", "Order Index": 1}])"));
  EXPECT_EQ(eval("Account.Order#$i.Missing", account()), "<undefined>");
  // (jsonata-js lists these keys in ascending order, as JavaScript orders integer-like keys)
  EXPECT_EQ(eval("Account.Order#$i.Product{ $string(ProductID): $i }", account()),
            Json::parse(R"({"858383": [0, 1], "858236": 0, "345664": 1})"));
  EXPECT_EQ(eval("Account.Order#$i.Product^(>Price).{'i': $i, 'p': Price}", account()),
            Json::parse(R"([{"i": 1, "p": 107.99}, {"i": 0, "p": 34.45},
                            {"i": 1, "p": 34.45}, {"i": 0, "p": 21.67}])"));
  EXPECT_EQ(eval("Account.Order@$o.$o.Product{$o.OrderID: $sum(Quantity)}", account()),
            Json::parse(R"({"order103": 3, "order104": 5})"));
}

TEST(JsonataPaths, BindingErrors) {
  try {
    Expression::parse("a@b");
    ADD_FAILURE() << "parsed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, "S0214");
  }
}

TEST(JsonataFunctions, LambdasAndApplication) {
  EXPECT_EQ(eval("function($x) { $x * 2 }(21)"), Json(42));
  EXPECT_EQ(eval("($double := function($x) { $x * 2 }; $double(4))"), Json(8));
  EXPECT_EQ(eval("($add := function($a, $b) { $a + $b }; $add(1))"), Json("<undefined>"));
  EXPECT_EQ(eval("($f := function($n) { $n <= 1 ? 1 : $n * $f($n - 1) }; $f(10))"), Json(3628800));
  EXPECT_EQ(eval("($k := 10; $g := function($x) { $x + $k }; $g(1))"), Json(11));
  EXPECT_EQ(eval("'abc' ~> $uppercase()"), Json("ABC"));
  EXPECT_EQ(eval("'abc' ~> $uppercase"), Json("ABC"));
  EXPECT_EQ(eval("'a,b' ~> $split(',') ~> $join('-')"), Json("a-b"));
  EXPECT_EQ(eval("Account.Order.Product.$uppercase(`Product Name`)", account()).size(), 4u);
  EXPECT_EQ(eval("Surname.$uppercase()", person()), Json("SMITH"));
  Error e = eval_error("$nothing(1)");
  EXPECT_EQ(e.code, "T1006");
  EXPECT_EQ(eval_error("1 ~> 2").code, "T2006");
}

TEST(JsonataFunctions, PartialApplicationAndComposition) {
  EXPECT_EQ(eval("($first5 := $substring(?, 0, 5); $first5('Hello World'))"), Json("Hello"));
  EXPECT_EQ(eval("($add := function($a, $b) { $a + $b }; $inc := $add(1, ?); $map([1, 2], $inc))"),
            Json::parse("[2, 3]"));
  EXPECT_EQ(eval("($f := $uppercase ~> $substring(?, 0, 2); $f('hello'))"), Json("HE"));
  EXPECT_EQ(eval("($twice := function($x) { $x * 2 }; ($twice ~> $twice)(5))"), Json(20));
  EXPECT_EQ(eval("$type($sum(?))"), Json("function"));
}

TEST(JsonataFunctions, HostFunctions) {
  Options o;
  o.functions["twice"] = HostFunction{1, 1, [](const std::vector<std::optional<Json>>& args) {
                                        if (!args[0]) return std::optional<Json>();
                                        return std::optional<Json>(args[0]->get<double>() * 2);
                                      }};
  o.functions["fail"] =
      HostFunction{0, 0, [](const std::vector<std::optional<Json>>&) -> std::optional<Json> {
                     throw Error("States.Custom", 0, "host failed");
                   }};
  EXPECT_EQ(eval("$twice(21)", nullptr, o), Json(42));
  EXPECT_EQ(eval("$twice(nothing)", nullptr, o), Json("<undefined>"));
  EXPECT_EQ(eval("$map([1, 2], $twice)", nullptr, o), Json::parse("[2, 4]"));
  EXPECT_EQ(eval_error("$twice(1, 2)", nullptr, o).code, "T0410");
  EXPECT_EQ(eval_error("$fail()", nullptr, o).code, "States.Custom");
}

TEST(JsonataFunctions, VariablesBoundByReference) {
  // A document far heavier than the step bound lets an evaluation copy.
  Json doc = Json::object();
  doc["input"] = Json::object();
  doc["input"]["region"] = "eu-west-1";
  doc["input"]["items"] = Json::array();
  for (int i = 0; i < 50000; ++i) doc["input"]["items"].push_back({{"id", i}});
  doc["input"]["items"][7]["tag"] = "seven";
  Options o;
  o.limits.max_steps = 20000;
  o.references["states"] = &doc;
  // Names walked in place: nothing heavy is copied, so the bound is not reached.
  EXPECT_EQ(eval("$states.input.region", nullptr, o), Json("eu-west-1"));
  EXPECT_EQ(eval("$states.input.items[7].tag", nullptr, o), Json("seven"));
  EXPECT_EQ(eval("$states.input.items[-1].id", nullptr, o), Json(49999));
  EXPECT_EQ(eval("$states.input.items[50000]", nullptr, o), Json("<undefined>"));
  EXPECT_EQ(eval("$states.input.region[0]", nullptr, o), Json("eu-west-1"));  // a sequence of one
  EXPECT_EQ(eval("$states.input.region[1]", nullptr, o), Json("<undefined>"));
  EXPECT_EQ(eval("$states.input.nothing.here", nullptr, o), Json("<undefined>"));
  EXPECT_EQ(eval("$states.input.region.deeper", nullptr, o), Json("<undefined>"));
  // Using the whole value copies it, and that is counted as the work it is.
  EXPECT_EQ(eval_error("$count($states.input.items)", nullptr, o).code, "U1002");
  // A binding in the expression shadows the reference; `bindings` win over `references`.
  EXPECT_EQ(eval("($states := {'input': {'region': 'local'}}; $states.input.region)", nullptr, o),
            Json("local"));
  EXPECT_EQ(
      eval("function($states) { $states.input.region }({'input': {'region': 'arg'}})", nullptr, o),
      Json("arg"));
  o.bindings["states"] = Json::parse(R"({"input": {"region": "bound"}})");
  EXPECT_EQ(eval("$states.input.region", nullptr, o), Json("bound"));
}

TEST(JsonataBounds, DepthStepsAndSize) {
  Error e = eval_error("($f := function($n) { $f($n + 1) }; $f(0))");
  EXPECT_EQ(e.code, "U1001");
  Options o;
  o.limits.max_steps = 1000;
  EXPECT_EQ(eval_error("$map([1..10000], function($x) { $x })", nullptr, o).code, "U1002");
  Options small;
  small.limits.max_result_size = 100;
  EXPECT_EQ(eval_error("[1..1000]", nullptr, small).code, "U1003");
  EXPECT_EQ(eval_error("($s := 'xxxxxxxxxx'; $s & $s & $s & $s & $s & $s & $s & $s & $s & $s & $s)",
                       nullptr, small)
                .code,
            "U1003");
  // doubling a value in a loop is stopped by the size bound long before memory runs out
  EXPECT_EQ(eval_error("($f := function($a, $n) { $n = 0 ? $a : $f($append($a, $a), $n - 1) };"
                       " $f([1], 40))",
                       nullptr, small)
                .code,
            "U1003");
  // Results built up in a loop count each piece once, not the running total again and again:
  // these are linear, well inside the default bounds.
  EXPECT_EQ(eval("$length($join([1..20000].('x'), ','))"), Json(39999));
  EXPECT_EQ(eval("$length($replace($join([1..20000].('a')), 'a', 'bb'))"), Json(40000));
  EXPECT_EQ(eval("$length($replace($join([1..20000].('a')), /a/, 'bb'))"), Json(40000));
  EXPECT_EQ(eval("$count($match($join([1..20000].('a')), /a/))"), Json(20000));
  EXPECT_EQ(eval("$count([1..300].{'a': {'b': $}}.**)"),
            Json(900));  // each object, its member, the number
  // copying a large value once per item of a large sequence counts as the work it is
  Options few;
  few.limits.max_steps = 100000;
  EXPECT_EQ(eval_error("($x := [1..10000]; [1..10000].($count($x)))", nullptr, few).code, "U1002");
}

TEST(JsonataUnsupported, ReportedNotCrashed) {
  EXPECT_EQ(eval_error("%.a", person()).code, "S0217");
}

}  // namespace
}  // namespace stepd::jsonata
