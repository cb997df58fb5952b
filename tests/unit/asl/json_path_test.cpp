#include "core/asl/json_path.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/common/states_error.h"

namespace stepd::asl {
namespace {

Json doc() {
  return Json::parse(R"({
    "store": {
      "book": [
        {"category": "reference", "author": "Rees", "title": "Sayings", "price": 8.95},
        {"category": "fiction", "author": "Waugh", "title": "Sword", "price": 12.99},
        {"category": "fiction", "author": "Melville", "title": "Moby Dick", "isbn": "0-553",
         "price": 8.99},
        {"category": "fiction", "author": "Tolkien", "title": "LOTR", "isbn": "0-395",
         "price": 22.99, "available": false}
      ],
      "bicycle": {"color": "red", "price": 19.95}
    },
    "delivery-partner": "ups",
    "ünïcødé": 1,
    "nums": [0, 1, 2, 3, 4, 5],
    "nothing": null
  })");
}

Json eval(const std::string& path, const Json& d = doc()) {
  std::optional<Json> v = JsonPath::parse(path).evaluate(d);
  if (!v) throw std::runtime_error("missing: " + path);
  return *v;
}

bool missing(const std::string& path, const Json& d = doc()) {
  return !JsonPath::parse(path).evaluate(d).has_value();
}

TEST(JsonPathTest, RootAndMembers) {
  EXPECT_EQ(eval("$"), doc());
  EXPECT_EQ(eval("$.store.bicycle.color"), "red");
  EXPECT_EQ(eval("$['store']['bicycle']['color']"), "red");
  EXPECT_EQ(eval("$[\"store\"].bicycle[\"price\"]"), 19.95);
  EXPECT_EQ(eval("$.delivery-partner"), "ups");
  EXPECT_EQ(eval("$.ünïcødé"), 1);
  EXPECT_EQ(eval("$.nothing"), nullptr);  // present but null is found, not missing
}

TEST(JsonPathTest, MissingDefinitePathIsNullopt) {
  EXPECT_TRUE(missing("$.nope"));
  EXPECT_TRUE(missing("$.store.nope.deeper"));
  EXPECT_TRUE(missing("$.store.bicycle.color.x"));  // a member of a string
  EXPECT_TRUE(missing("$.store[0]"));               // an index into an object
}

TEST(JsonPathTest, ArrayIndices) {
  EXPECT_EQ(eval("$.nums[0]"), 0);
  EXPECT_EQ(eval("$.nums[5]"), 5);
  EXPECT_EQ(eval("$.nums[-1]"), 5);
  EXPECT_EQ(eval("$.nums[-6]"), 0);
  EXPECT_EQ(eval("$.store.book[1].author"), "Waugh");
  EXPECT_EQ(eval("$[1]", Json::parse("[10, 20]")), 20);
}

TEST(JsonPathTest, IndexPastTheEndAtTheLeafIsNull) {
  // Jayway on Jackson reads a missing array element as null.
  EXPECT_EQ(eval("$.nums[6]"), nullptr);
  EXPECT_EQ(eval("$.nums[-7]"), nullptr);
  // ... but nothing can be read through it.
  EXPECT_TRUE(missing("$.store.book[9].author"));
}

TEST(JsonPathTest, WildcardsReturnArrays) {
  EXPECT_EQ(eval("$.store.book[*].author"),
            Json::parse(R"(["Rees", "Waugh", "Melville", "Tolkien"])"));
  EXPECT_EQ(eval("$.store.bicycle.*"), Json::parse(R"(["red", 19.95])"));
  EXPECT_EQ(eval("$.store.bicycle[*]"), Json::parse(R"(["red", 19.95])"));
  EXPECT_EQ(eval("$.nums[*]"), Json::parse("[0,1,2,3,4,5]"));
}

TEST(JsonPathTest, IndefinitePathsOnMissingDataGiveEmptyArrays) {
  // Recorded on AWS: test_json_path_array_wildcard_or_slice_with_no_input.
  Json empty = Json::object();
  for (const char* p : {"$.items[*]", "$.items[1:]", "$.items[:1].itemValue", "$.item.items[1:5]",
                        "$.item.items[1:5].itemValue", "$.item.items[:1]"}) {
    SCOPED_TRACE(p);
    EXPECT_EQ(eval(p, empty), Json::array());
  }
}

TEST(JsonPathTest, UnionsAndSlices) {
  EXPECT_EQ(eval("$.nums[0,2,4]"), Json::parse("[0,2,4]"));
  EXPECT_EQ(eval("$.nums[1:3]"), Json::parse("[1,2]"));
  EXPECT_EQ(eval("$.nums[:2]"), Json::parse("[0,1]"));
  EXPECT_EQ(eval("$.nums[4:]"), Json::parse("[4,5]"));
  EXPECT_EQ(eval("$.nums[-2:]"), Json::parse("[4,5]"));
  EXPECT_EQ(eval("$.nums[:-4]"), Json::parse("[0,1]"));
  EXPECT_EQ(eval("$.nums[::2]"), Json::parse("[0,2,4]"));
  EXPECT_EQ(eval("$.nums[1:6:2]"), Json::parse("[1,3,5]"));
  EXPECT_EQ(eval("$.nums[::-1]"), Json::parse("[5,4,3,2,1,0]"));
  EXPECT_EQ(eval("$.nums[10:20]"), Json::array());
  EXPECT_EQ(eval("$.store.book[0:2].title"), Json::parse(R"(["Sayings", "Sword"])"));
}

TEST(JsonPathTest, SeveralNamesMergeIntoOneObject) {
  EXPECT_EQ(eval("$.store.bicycle['color','price']"),
            Json::parse(R"({"color": "red", "price": 19.95})"));
  EXPECT_EQ(eval("$.store.bicycle['color','nope']"), Json::parse(R"({"color": "red"})"));
  EXPECT_THROW(JsonPath::parse("$['a','b'].c"), std::invalid_argument);
}

TEST(JsonPathTest, DeepScan) {
  EXPECT_EQ(eval("$..author"), Json::parse(R"(["Rees", "Waugh", "Melville", "Tolkien"])"));
  EXPECT_EQ(eval("$.store..price"), Json::parse("[8.95, 12.99, 8.99, 22.99, 19.95]"));
  EXPECT_EQ(eval("$..book[2].title"), Json::parse(R"(["Moby Dick"])"));
  EXPECT_EQ(eval("$..nope"), Json::array());
}

TEST(JsonPathTest, Filters) {
  EXPECT_EQ(eval("$.store.book[?(@.price < 10)].title"),
            Json::parse(R"(["Sayings", "Moby Dick"])"));
  EXPECT_EQ(eval("$.store.book[?(@.price >= 12.99)].title"), Json::parse(R"(["Sword", "LOTR"])"));
  EXPECT_EQ(eval("$.store.book[?(@.isbn)].title"), Json::parse(R"(["Moby Dick", "LOTR"])"));
  EXPECT_EQ(eval("$.store.book[?(@.category == 'fiction' && @.price > 10)].author"),
            Json::parse(R"(["Waugh", "Tolkien"])"));
  EXPECT_EQ(eval("$.store.book[?(@.author == \"Rees\" || @.author == 'Tolkien')].price"),
            Json::parse("[8.95, 22.99]"));
  EXPECT_EQ(eval("$.store.book[?(@.available == false)].title"), Json::parse(R"(["LOTR"])"));
  EXPECT_EQ(eval("$.store.book[?(@.category != 'fiction')].title"), Json::parse(R"(["Sayings"])"));
  EXPECT_EQ(eval("$.store.book[?(!(@.price > 9))].title"),
            Json::parse(R"(["Sayings", "Moby Dick"])"));
  EXPECT_EQ(eval("$.store.book[?(@.price <= $.store.bicycle.price)].title"),
            Json::parse(R"(["Sayings", "Sword", "Moby Dick"])"));
  EXPECT_EQ(eval("$[?(@.v == null)].id", Json::parse(R"([{"id":1,"v":null},{"id":2,"v":0}])")),
            Json::parse("[1]"));
  // Recorded on AWS: test_state_pass_regex_json_path_base.
  Json users =
      Json::parse(R"({"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]})");
  EXPECT_EQ(eval("$.users[?(@.status == 0)]", users),
            Json::parse(R"([{"year": 1997, "status": 0}])"));
  // Mixed types never compare as ordered.
  EXPECT_EQ(eval("$[?(@.v > 1)]", Json::parse(R"([{"v":"5"},{"v":5}])")),
            Json::parse(R"([{"v":5}])"));
}

TEST(JsonPathTest, QuotedNamesAreTakenVerbatim) {
  // Recorded on AWS: test_escape_sequence_parsing ESCAPE_SEQUENCES_JSONPATH.
  Json input = Json::parse(R"({"Test\\\"\"Name\"": "Value\"\\"})");
  EXPECT_EQ(eval(R"($['Test\""Name"'])", input), "Value\"\\");
  EXPECT_EQ(eval("$['a.b']", Json::parse(R"({"a.b": 1})")), 1);
  EXPECT_EQ(eval("$['with space']", Json::parse(R"({"with space": 2})")), 2);
}

TEST(JsonPathTest, Classification) {
  EXPECT_TRUE(JsonPath::parse("$").is_reference_path());
  EXPECT_TRUE(JsonPath::parse("$.a.b[0]['c']").is_reference_path());
  EXPECT_FALSE(JsonPath::parse("$.a[*]").is_reference_path());
  EXPECT_FALSE(JsonPath::parse("$..a").is_reference_path());
  EXPECT_FALSE(JsonPath::parse("$.a[0,1]").is_reference_path());
  EXPECT_FALSE(JsonPath::parse("$.a['b','c']").is_reference_path());
  EXPECT_TRUE(JsonPath::parse("$.a['b','c']").is_definite());
  EXPECT_FALSE(JsonPath::parse("$.a[1:]").is_definite());
  EXPECT_EQ(JsonPath::parse("$.a.b").text(), "$.a.b");
}

TEST(JsonPathTest, BadSyntaxThrows) {
  for (const char* p : {"", "a.b", "$.", "$..", "$.a[", "$.a[1", "$.a['b]", "$.a[?(@.b == 1]",
                        "$.a[x]", "$.a[1:2:0]", "$.length()", "$.a b[", "$$"}) {
    SCOPED_TRACE(p);
    EXPECT_THROW(JsonPath::parse(p), std::invalid_argument);
  }
}

TEST(JsonPathTest, NormalizedAndMissingReason) {
  // The wording AWS puts in States.Runtime causes for InputPath/OutputPath (recorded).
  JsonPath p = JsonPath::parse("$.NoSuchInputPath");
  EXPECT_EQ(p.normalized(), "$['NoSuchInputPath']");
  Json input = Json::parse(R"({"int-literal": 0})");
  EXPECT_EQ(p.missing_reason(input), "No results for path: $['NoSuchInputPath']");
  EXPECT_EQ(JsonPath::parse("$.a.b").missing_reason(Json::object()),
            "Missing property in path $['a']");
  EXPECT_EQ(JsonPath::parse("$.a[0]").normalized(), "$['a'][0]");
}

TEST(JsonPathTest, AssignResultPath) {
  Json input = Json::parse(R"({"a": 1, "b": {"c": 2}, "arr": [1, 2]})");
  EXPECT_EQ(JsonPath::parse("$").assign(input, "x"), "x");
  EXPECT_EQ(JsonPath::parse("$.r").assign(input, 5),
            Json::parse(R"({"a": 1, "b": {"c": 2}, "arr": [1, 2], "r": 5})"));
  // Replacing keeps the key where it was; missing objects on the way are created.
  EXPECT_EQ(JsonPath::parse("$.a").assign(input, 9).dump(), R"({"a":9,"b":{"c":2},"arr":[1,2]})");
  EXPECT_EQ(JsonPath::parse("$.x.y.z").assign(input, true)["x"],
            Json::parse(R"({"y":{"z":true}})"));
  EXPECT_EQ(JsonPath::parse("$.b.d").assign(input, 3)["b"], Json::parse(R"({"c":2,"d":3})"));
  EXPECT_EQ(JsonPath::parse("$.arr[1]").assign(input, 7)["arr"], Json::parse("[1,7]"));
  EXPECT_EQ(JsonPath::parse("$.arr[-1]").assign(input, 8)["arr"], Json::parse("[1,8]"));
}

TEST(JsonPathTest, AssignFailures) {
  Json input = Json::parse(R"({"a": "text", "arr": [1]})");
  try {
    JsonPath::parse("$.a.b").assign(input, 1);
    FAIL() << "expected ResultPathMatchFailure";
  } catch (const StatesException& e) {
    EXPECT_EQ(e.value().error, "States.ResultPathMatchFailure");
    EXPECT_NE(e.value().cause.find("$.a.b"), std::string::npos);
  }
  EXPECT_THROW(JsonPath::parse("$.arr[3]").assign(input, 1), StatesException);
  EXPECT_THROW(JsonPath::parse("$.x").assign(Json("scalar"), 1), StatesException);
  EXPECT_THROW(JsonPath::parse("$.a[*]").assign(input, 1), std::invalid_argument);
}

TEST(JsonPathTest, ResolvePathRoots) {
  Json input = Json::parse(R"({"x": {"y": 1}})");
  Json context = Json::parse(R"({"Execution": {"Id": "arn:exec"}, "Map": {"Item": {"Value": 7}}})");
  Json vars = Json::parse(R"({"answer": {"v": [10, 20]}, "flag": false})");
  EvalScope scope{input, context, &vars, nullptr};
  EXPECT_EQ(resolve_path("$", scope), input);
  EXPECT_EQ(resolve_path("$.x.y", scope), 1);
  EXPECT_EQ(resolve_path("$$", scope), context);
  EXPECT_EQ(resolve_path("$$.Execution.Id", scope), "arn:exec");
  EXPECT_EQ(resolve_path("$$.Map.Item.Value", scope), 7);
  EXPECT_EQ(resolve_path("$answer", scope), vars["answer"]);
  EXPECT_EQ(resolve_path("$answer.v[1]", scope), 20);
  EXPECT_EQ(resolve_path("$flag", scope), false);
  EXPECT_FALSE(resolve_path("$unknown", scope).has_value());
  EXPECT_FALSE(resolve_path("$.nope", scope).has_value());
  EXPECT_FALSE(resolve_path("$$.Task.Token", scope).has_value());
  EvalScope no_vars{input, context};
  EXPECT_FALSE(resolve_path("$answer", no_vars).has_value());
}

TEST(JsonPathTest, ValidatePath) {
  EXPECT_NO_THROW(validate_path("$"));
  EXPECT_NO_THROW(validate_path("$$.Execution.Input"));
  EXPECT_NO_THROW(validate_path("$var.x[0]"));
  EXPECT_NO_THROW(validate_path("$.a[?(@.b > 1)]"));
  EXPECT_THROW(validate_path("x"), std::invalid_argument);
  EXPECT_THROW(validate_path("$.a["), std::invalid_argument);
  EXPECT_THROW(validate_path("$$.a["), std::invalid_argument);
  EXPECT_NO_THROW(validate_reference_path("$.a.b[0]"));
  EXPECT_THROW(validate_reference_path("$.a[*]"), std::invalid_argument);
}

TEST(JsonPathTest, CompactJsonLikeJackson) {
  Json v = Json::parse(R"({"b": 1, "a": [1.5, true, null, "s"], "big": 1e20, "small": 0.0001})");
  EXPECT_EQ(to_compact_json(v), R"({"b":1,"a":[1.5,true,null,"s"],"big":1.0E20,"small":1.0E-4})");
  EXPECT_EQ(java_double_string(3.0), "3.0");
  EXPECT_EQ(java_double_string(1.1), "1.1");
  EXPECT_EQ(java_double_string(-0.5), "-0.5");
  EXPECT_EQ(java_double_string(1234567.0), "1234567.0");
  EXPECT_EQ(java_double_string(12345678.0), "1.2345678E7");
  EXPECT_EQ(java_double_string(0.001), "0.001");
}

}  // namespace
}  // namespace stepd::asl
