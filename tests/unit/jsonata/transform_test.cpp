// The transform operator `| location | update [, delete] |`: the JSONata test suite's
// "transforms" group, the documentation's examples, the location forms the walk follows, and
// hostile inputs.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/jsonata/eval_helpers.h"

namespace stepd::jsonata::testing {
namespace {

TEST(Transform, TestSuiteGroup) {
  // transforms/case002
  EXPECT_EQ(eval("($ ~> |Account.Order.Product|{'Total':Price*Quantity, 'Price': Price * 1.2}|)"
                 ".Account.Order.Product.[Price, Total]",
                 account()),
            Json::parse("[[41.34, 68.9], [26.004, 21.67], [41.34, 137.8], [129.588, 107.99]]"));
  // case006: nothing matches, the copy is returned unchanged
  EXPECT_EQ(eval("$ ~> |foo.bar|{'Description':'blah'}|", account()), account());
  // case009, case012: the update must be an object
  EXPECT_EQ(error_code("Account ~> |Order|5|", account()), "T2011");
  EXPECT_EQ(error_code("{} ~> |$|['one', 'two', 'three']|", account()), "T2011");
  // case013, case014
  const Json hi = Json::parse(R"({"hi": "world", "bye": null})");
  EXPECT_EQ(eval("$ ~> | ** ['hi'] | {'hello': hi}, ['hi'] |", hi),
            Json::parse(R"({"bye": null, "hello": "world"})"));
  EXPECT_EQ(eval("$ ~> | ** [hi] | {'hello': hi}, ['hi'] |", hi),
            Json::parse(R"({"bye": null, "hello": "world"})"));
  // case015: `$` on an array matches its items; the update's `:=` binds as it goes
  EXPECT_EQ(eval("$ ~> | $ | { 'b': $c := a, 'c': $c } |", Json::parse(R"([{"a": 1}, {"a": 2}])")),
            Json::parse(R"([{"a": 1, "b": 1, "c": 1}, {"a": 2, "b": 2, "c": 2}])"));
}

TEST(Transform, DocumentationExamples) {
  const Json r = eval("Account ~> |Order.Product|{'Price': Price * 1.1}, ['SKU']|", account());
  EXPECT_EQ(r["Order"][0]["Product"][0]["Price"], 34.45 * 1.1);
  EXPECT_FALSE(r["Order"][1]["Product"][1].contains("SKU"));
  EXPECT_EQ(r["Account Name"], "Firefly");
  EXPECT_EQ(eval("($ ~> |Account.Order.Product|{}, 'Description'|).**.Description", account()),
            "<undefined>");
  EXPECT_EQ(eval("$ ~> |$|{'x': 1}|", Json::parse(R"({"a": 0})")),
            Json::parse(R"({"a": 0, "x": 1})"));
  // the input is not changed: the transform works on a copy
  EXPECT_EQ(eval("($t := $ ~> |$|{'a': 2}|; [a, $t.a])", Json::parse(R"({"a": 1})")),
            Json::parse("[1, 2]"));
  // an existing key keeps its place
  EXPECT_EQ(eval("$ ~> |$|{'a': 9}|", Json::parse(R"({"a": 1, "b": 2})")).dump(),
            R"({"a":9,"b":2})");
}

TEST(Transform, IsAFunctionOfOneArgument) {
  EXPECT_EQ(eval("$type(|$|{}|)"), "function");
  EXPECT_EQ(eval("nothing ~> |$|{'x': 1}|", Json::object()), "<undefined>");
  EXPECT_EQ(eval("($f := |a|{'seen': true}|; $f({'a': {}}))"),
            Json::parse(R"({"a": {"seen": true}})"));
  EXPECT_EQ(eval("$map([{'a': 1}, {'a': 2}], |$|{'b': a * 10}|)"),
            Json::parse(R"([{"a": 1, "b": 10}, {"a": 2, "b": 20}])"));
  EXPECT_EQ(eval("($n := 5; {} ~> |$|{'n': $n, 'root': $$.r}|)", Json::parse(R"({"r": 1})")),
            Json::parse(R"({"n": 5, "root": 1})"));
  EXPECT_EQ(error_code("5 ~> |$|{}|"), "T0410");
  EXPECT_EQ(error_code("'text' ~> |$|{}|"), "T0410");
}

TEST(Transform, DeleteClause) {
  const Json doc = Json::parse(R"({"a": 1, "b": 2, "c": 3})");
  EXPECT_EQ(eval("$ ~> |$|{}, 'a'|", doc), Json::parse(R"({"b": 2, "c": 3})"));
  EXPECT_EQ(eval("$ ~> |$|{}, ['a', 'c', 'zz']|", doc), Json::parse(R"({"b": 2})"));
  EXPECT_EQ(eval("$ ~> |$|{}, nothing|", doc), doc);
  // evaluated against the match after its update
  EXPECT_EQ(eval("$ ~> |$|{'del': 'b'}, del|", doc),
            Json::parse(R"({"a": 1, "c": 3, "del": "b"})"));
  EXPECT_EQ(error_code("$ ~> |$|{}, 5|", doc), "T2012");
  EXPECT_EQ(error_code("$ ~> |$|{}, ['a', 1]|", doc), "T2012");
  EXPECT_EQ(error_code("$ ~> |$|{}, {'a': 1}|", doc), "T2012");
}

TEST(Transform, LocationForms) {
  // predicates: conditions, indexes (per step, as in a path), negative indexes
  EXPECT_EQ(eval("($ ~> |Account.Order.Product[Price > 30]|{'x': true}|).**.x", account()),
            Json::parse("[true, true, true]"));
  EXPECT_EQ(eval("($ ~> |Account.Order.Product[0]|{'x': SKU}|).**.x", account()),
            Json::parse(R"(["0406654608", "040657863"])"));
  EXPECT_EQ(eval("($ ~> |Account.Order.Product[-1]|{'x': SKU}|).**.x", account()),
            Json::parse(R"(["0406634348", "0406654603"])"));
  EXPECT_EQ(eval("($ ~> |Account.Order[1].Product[$.Quantity = 1]|{'x': SKU}|).**.x", account()),
            "0406654603");
  EXPECT_EQ(eval("($ ~> |Account.Order.Product[[0, 1]][0]|{'x': SKU}|).**.x", account()),
            Json::parse(R"(["0406654608", "040657863"])"));
  // `*` and `**`
  EXPECT_EQ(eval("($ ~> |Account.Order.*|{'x': 1}|).**.x ~> $count()", account()), 4);
  EXPECT_EQ(eval("($ ~> |**[SKU]|{'x': 1}|).**.x ~> $count()", account()), 4);
  // a number is an index, as in any predicate: no product is at index 858383
  EXPECT_EQ(eval("($ ~> |**[ProductID]|{'x': 1}|).**.x ~> $count()", account()), 0);
  EXPECT_EQ(eval("($ ~> |**|{'x': 1}|).**.x ~> $count()", account()), 12);
  // `$` inside a path (a step flattens the array it gives), names over nested arrays
  EXPECT_EQ(eval("$ ~> |a.$|{'x': 1}|", Json::parse(R"({"a": [[{"b": 1}], {"b": 2}]})")),
            Json::parse(R"({"a": [[{"b": 1, "x": 1}], {"b": 2, "x": 1}]})"));
  EXPECT_EQ(eval("$ ~> |a.b|{'x': 1}|", Json::parse(R"({"a": [[{"b": {}}], {"b": [{}, 3]}]})")),
            Json::parse(R"({"a": [[{"b": {"x": 1}}], {"b": [{"x": 1}, 3]}]})"));
  // a path over an array input maps over its items (a name with predicates is a path)
  EXPECT_EQ(eval("$ ~> |b[0]|{'x': 1}|", Json::parse(R"([{"b": [{}, {}]}, {"b": [{}]}])")),
            Json::parse(R"([{"b": [{"x": 1}, {}]}, {"b": [{"x": 1}]}])"));
  // a path starting with `$` starts at the whole input
  EXPECT_EQ(eval("$ ~> |$[0].a|{'x': 1}|", Json::parse(R"([{"a": {}}, {"a": {}}])")),
            Json::parse(R"([{"a": {"x": 1}}, {"a": {}}])"));
  EXPECT_EQ(eval("$ ~> |$[-1]|{'x': 1}|", Json::parse(R"([{}, {}])")),
            Json::parse(R"([{}, {"x": 1}])"));
  // non-objects are left alone
  EXPECT_EQ(eval("$ ~> |a|{'x': 1}|", Json::parse(R"({"a": [1, "s", null, {}]})")),
            Json::parse(R"({"a": [1, "s", null, {"x": 1}]})"));
  // an update that deletes a member before a later match: that match is still found
  EXPECT_EQ(eval("$ ~> |**|{'seen': true}, 'a'|", Json::parse(R"({"a": 1, "b": {"z": 1}})")),
            Json::parse(R"({"b": {"z": 1, "seen": true}, "seen": true})"));
}

TEST(Transform, UnsupportedLocations) {
  const Json doc = Json::parse(R"({"a": {"b": 1}})");
  EXPECT_EQ(error_code("$ ~> |$x|{}|", doc), "T2014");
  EXPECT_EQ(error_code("$ ~> |$$|{}|", doc), "T2014");
  EXPECT_EQ(error_code("$ ~> |a^(b)|{}|", doc), "T2014");
  EXPECT_EQ(error_code("$ ~> |(a)|{}|", doc), "T2014");
  EXPECT_EQ(error_code("$ ~> |a.(b)|{}|", doc), "T2014");
  EXPECT_EQ(error_code("$ ~> |$lookup($, 'a')|{}|", doc), "T2014");
  EXPECT_EQ(error_code("$ ~> |a#$i|{}|", doc), "T2014");
  // syntax
  EXPECT_EQ(error_code("$ ~> |a|{}"), "S0203");
  EXPECT_EQ(error_code("|a"), "S0203");
  EXPECT_EQ(error_code("|a|{} 1|"), "S0202");
}

TEST(Transform, Hostile) {
  // a location matching many nodes
  Json many = Json::array();
  for (int i = 0; i < 20000; ++i) many.push_back({{"i", i}});
  EXPECT_EQ(eval("$count(($ ~> |$|{'b': i * 2}|)[b = i * 2])", many), 20000);
  Options tight;
  tight.limits.max_steps = 50000;
  EXPECT_EQ(error_code("$ ~> |$|{'b': 1}|", many, tight), "U1002");
  // `**.**` matches each node once per ancestor: bounded by the step count
  EXPECT_EQ(error_code("$ ~> |**.**.**|{'b': 1}|", many, tight), "U1002");
  // a deep document
  Json deep = Json::object();
  for (int i = 0; i < 300; ++i) deep = Json{{"a", std::move(deep)}};
  const Json r = eval("$ ~> |**|{'x': 1}|", deep);
  const Json* p = &r;
  int depth = 0;
  while (p->contains("a")) {
    EXPECT_EQ((*p)["x"], 1);
    p = &(*p)["a"];
    ++depth;
  }
  EXPECT_EQ(depth, 300);
  EXPECT_EQ((*p)["x"], 1);
  // each match's context is a copy: `**` over a deep chain costs depth² steps, and is refused
  // (copying JSON recurses, so documents far deeper than this are not for any expression)
  Json deeper = Json::object();
  for (int i = 0; i < 1000; ++i) deeper = Json{{"a", std::move(deeper)}};
  EXPECT_EQ(error_code("$ ~> |**|{'x': 1}|", deeper, tight), "U1002");
  // nested arrays
  Json nested = Json::parse(R"({"a": {}})");
  for (int i = 0; i < 1000; ++i) nested = Json::array({std::move(nested)});
  EXPECT_EQ(eval("($ ~> |a|{}|) = $", nested), true);
  EXPECT_EQ(eval("$contains($string($ ~> |a|{'x': 2}|), '\"x\":2')", nested), true);
}

}  // namespace
}  // namespace stepd::jsonata::testing
