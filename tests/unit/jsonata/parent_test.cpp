// The parent operator `%`, with the cases of the JSONata test suite (group parent-operator) and
// their expected results.
#include <gtest/gtest.h>

#include "core/jsonata/jsonata.h"
#include "tests/unit/jsonata/eval_helpers.h"

namespace stepd::jsonata {
namespace {

using namespace testing;  // NOLINT: the shared helpers

// The test suite's "library" dataset.
const Json& library() {
  static const Json doc = Json::parse(R"js({"library": {
    "books": [
      {"title": "Structure and Interpretation of Computer Programs", "authors": ["Abelson", "Sussman"],
       "isbn": "9780262510875", "price": 38.90, "copies": 2},
      {"title": "The C Programming Language", "authors": ["Kernighan", "Richie"],
       "isbn": "9780131103627", "price": 33.59, "copies": 3},
      {"title": "The AWK Programming Language", "authors": ["Aho", "Kernighan", "Weinberger"],
       "isbn": "9780201079814", "copies": 1},
      {"title": "Compilers: Principles, Techniques, and Tools", "authors": ["Aho", "Lam", "Sethi", "Ullman"],
       "isbn": "9780201100884", "price": 23.38, "copies": 1}],
    "loans": [
      {"customer": "10001", "isbn": "9780262510875", "return": "2016-12-05"},
      {"customer": "10003", "isbn": "9780201100884", "return": "2016-10-22"},
      {"customer": "10003", "isbn": "9780262510875", "return": "2016-12-22"}],
    "customers": [
      {"id": "10001", "name": "Joe Doe",
       "address": {"street": "2 Long Road", "city": "Winchester", "postcode": "SO22 5PU"}},
      {"id": "10002", "name": "Fred Bloggs",
       "address": {"street": "56 Letsby Avenue", "city": "Winchester", "postcode": "SO22 4WD"}},
      {"id": "10003", "name": "Jason Arthur",
       "address": {"street": "1 Preddy Gate", "city": "Southampton", "postcode": "SO14 0MG"}}]
  }})js");
  return doc;
}

const char* const kOrderProductWeight = R"([
  {"order": "order103", "Product": "Bowler Hat", "Weight": 0.75},
  {"order": "order103", "Product": "Trilby hat", "Weight": 0.6},
  {"order": "order104", "Product": "Bowler Hat", "Weight": 0.75},
  {"order": "order104", "Product": "Cloak", "Weight": 2}])";

const char* const kProductOrderAccount = R"([
  {"Product": "Bowler Hat", "Order": "order103", "Account": "Firefly"},
  {"Product": "Trilby hat", "Order": "order103", "Account": "Firefly"},
  {"Product": "Bowler Hat", "Order": "order104", "Account": "Firefly"},
  {"Product": "Cloak", "Order": "order104", "Account": "Firefly"}])";

TEST(JsonataParent, InObjectAndArrayConstructors) {
  EXPECT_EQ(eval(R"(Account.Order.Product.{
                      "order": %.OrderID, "Product": `Product Name`, "Weight": Description.Weight})",
                 account()),
            Json::parse(kOrderProductWeight));
  EXPECT_EQ(eval(R"(Account.(Order.Product).{
                      "order": %.OrderID, "Product": `Product Name`, "Weight": Description.Weight})",
                 account()),
            Json::parse(kOrderProductWeight));
  EXPECT_EQ(eval("Account.Order.Product.[`Product Name`, %.OrderID]", account()),
            Json::parse(R"(["Bowler Hat", "order103", "Trilby hat", "order103",
                            "Bowler Hat", "order104", "Cloak", "order104"])"));
  const Json by_name =
      Json::parse(R"([{"Bowler Hat": [2, "order103"]}, {"Trilby hat": [1, "order103"]},
                                       {"Bowler Hat": [4, "order104"]}, {"Cloak": [1, "order104"]}])");
  EXPECT_EQ(eval("Account.Order.Product.{ `Product Name`: [Quantity, %.OrderID] }", account()),
            by_name);
  EXPECT_EQ(eval("Account.Order.Product.{ `Product Name`: [Quantity, (%.OrderID)] }", account()),
            by_name);
  EXPECT_EQ(eval("Account.Order.Product.{ %.OrderID: Price * Quantity }", account()),
            Json::parse(R"([{"order103": 68.9}, {"order103": 21.67}, {"order104": 137.8},
                            {"order104": 107.99}])"));
  EXPECT_EQ(
      eval("Account.Order.Product.Description.{ 'Colour': Colour, 'Total': %.Price * "
           "%.Quantity }",
           account()),
      Json::parse(R"([{"Colour": "Purple", "Total": 68.9}, {"Colour": "Orange", "Total": 21.67},
                            {"Colour": "Purple", "Total": 137.8}, {"Colour": "Black", "Total": 107.99}])"));
  EXPECT_EQ(eval("Account.Order.Product.Description.{ 'Item': Colour & ' ' & %.`Product Name`, "
                 "'Discounted': (%.%.OrderID = 'order103') ? %.Price / 2 : %.Price }",
                 account()),
            Json::parse(R"([{"Item": "Purple Bowler Hat", "Discounted": 17.225},
                            {"Item": "Orange Trilby hat", "Discounted": 10.835},
                            {"Item": "Purple Bowler Hat", "Discounted": 34.45},
                            {"Item": "Black Cloak", "Discounted": 107.99}])"));
}

TEST(JsonataParent, GrandparentsThroughBlocksAndPaths) {
  for (const char* expr : {
           "Account.Order.Product.{'Product': `Product Name`, 'Order': %.OrderID, "
           "'Account': %.%.`Account Name`}",
           "Account.Order.(Product).{'Product': `Product Name`, 'Order': %.OrderID, "
           "'Account': %.%.`Account Name`}",
           "Account.(Order.(Product)).{'Product': `Product Name`, 'Order': %.OrderID, "
           "'Account': %.%.`Account Name`}",
           "Account.(Order).(Product).{'Product': `Product Name`, 'Order': %.OrderID, "
           "'Account': %.%.`Account Name`}",
           "(Account.Order).(Product).{'Product': `Product Name`, 'Order': %.OrderID, "
           "'Account': %.%.`Account Name`}",
       }) {
    EXPECT_EQ(eval(expr, account()), Json::parse(kProductOrderAccount)) << expr;
  }
  EXPECT_EQ(eval("Account.Order.Product.( $parent := %; %.OrderID )", account()),
            Json::parse(R"(["order103", "order103", "order104", "order104"])"));
  EXPECT_EQ(eval("Account.Order.Product.( $parent := %; $parent.OrderID )", account()),
            Json::parse(R"(["order103", "order103", "order104", "order104"])"));
  EXPECT_EQ(eval("Account.Order.().%", account()), "<undefined>");
}

TEST(JsonataParent, InPredicates) {
  const Json order104 = Json::parse(R"(["040657863", "0406654603"])");
  EXPECT_EQ(eval("Account.Order.Product[%.OrderID='order104'].SKU", account()), order104);
  EXPECT_EQ(eval("(Account.Order.Product)[%.OrderID='order104'].SKU", account()), order104);
  EXPECT_EQ(eval("Account.Order.Product[%.OrderID='order104'][%.%.`Account Name`='Firefly'].SKU",
                 account()),
            order104);
  EXPECT_EQ(eval("Account.Order.Product[%.%.`Account Name`='Firefly'].SKU", account()),
            Json::parse(R"(["0406654608", "0406634348", "040657863", "0406654603"])"));
  EXPECT_EQ(eval("Account.Order.Product.Price[%.%.OrderID='order103']", account()),
            Json::parse("[34.45, 21.67]"));
  EXPECT_EQ(eval("Account.Order.Product.Price.%[%.OrderID='order103'].SKU", account()),
            Json::parse(R"(["0406654608", "0406634348"])"));
}

TEST(JsonataParent, InOrderBy) {
  EXPECT_EQ(eval("Account.Order.Product.SKU^(%.Price)", account()),
            Json::parse(R"(["0406634348", "0406654608", "040657863", "0406654603"])"));
  EXPECT_EQ(eval("Account.Order.Product.SKU^(%.Price, >%.%.OrderID)", account()),
            Json::parse(R"(["0406634348", "040657863", "0406654608", "0406654603"])"));
}

TEST(JsonataParent, WithContextBindings) {
  const Json keys = Json::parse(R"(["books", "loans", "customers"])");
  Json r = eval(
      "library.loans@$L.books@$B[$L.isbn=$B.isbn].{ 'book': $B.title, 'parent': "
      "$keys(%) }",
      library());
  EXPECT_EQ(r, Json::parse(R"([
    {"book": "Structure and Interpretation of Computer Programs", "parent": ["books", "loans", "customers"]},
    {"book": "Compilers: Principles, Techniques, and Tools", "parent": ["books", "loans", "customers"]},
    {"book": "Structure and Interpretation of Computer Programs", "parent": ["books", "loans", "customers"]}])"));
  const char* const customers = R"([
    {"book": "Structure and Interpretation of Computer Programs", "customer": "Joe Doe",
     "parent": ["books", "loans", "customers"]},
    {"book": "Compilers: Principles, Techniques, and Tools", "customer": "Jason Arthur",
     "parent": ["books", "loans", "customers"]},
    {"book": "Structure and Interpretation of Computer Programs", "customer": "Jason Arthur",
     "parent": ["books", "loans", "customers"]}])";
  EXPECT_EQ(eval("library.loans@$L.books@$B[$L.isbn=$B.isbn].customers[id=$L.customer].{ 'book': "
                 "$B.title, 'customer': name, 'parent': $keys(%) }",
                 library()),
            Json::parse(customers));
  EXPECT_EQ(eval("library.loans@$L.books@$B[$L.isbn=$B.isbn].customers[id=$L.customer].{ 'book': "
                 "$B.title, 'customer': name, 'parent': $keys(%.%) }",
                 library()),
            Json::parse(customers));
  EXPECT_EQ(eval("library.loans@$L.books@$B[$L.isbn=$B.isbn].customers@$C[$C.id=$L.customer].{ "
                 "'book': $B.title, 'customer': $C.name, 'grandparent': $keys(%.%) }",
                 library()),
            Json::parse(R"([
    {"book": "Structure and Interpretation of Computer Programs", "customer": "Joe Doe", "grandparent": "library"},
    {"book": "Compilers: Principles, Techniques, and Tools", "customer": "Jason Arthur", "grandparent": "library"},
    {"book": "Structure and Interpretation of Computer Programs", "customer": "Jason Arthur", "grandparent": "library"}])"));
}

TEST(JsonataParent, Errors) {
  for (const char* expr :
       {"{'hello': 'world'}.% ", "%", "(%)", "$.%", "$$.%", "library.loans.%.%.%", "library.%%%"}) {
    EXPECT_EQ(error_code(expr, library()), "S0217") << expr;
  }
  for (const char* expr : {"%()", "%(1)"}) EXPECT_EQ(error_code(expr, library()), "T1006") << expr;
  for (const char* expr : {"%%", "library.loans.%%"}) {
    EXPECT_EQ(error_code(expr, library()), "S0207") << expr;
  }
  EXPECT_EQ(error_code("(%%)", library()), "S0211");
  for (const char* expr :
       {"library.(%%%)", "library.(%% %)", "library.(% %%)", "library.(% % %)"}) {
    EXPECT_EQ(error_code(expr, library()), "T2001") << expr;
  }
}

TEST(JsonataParent, ResolvingIsBounded) {
  // each `%` walks back over the steps before it: quadratic in a long enough path
  std::string many = "a";
  for (int i = 0; i < 6000; ++i) many += ".%";
  EXPECT_EQ(error_code(many, nullptr), "U1001");
  EXPECT_EQ(error_code("a.%.%", nullptr), "S0217");
}

}  // namespace
}  // namespace stepd::jsonata
