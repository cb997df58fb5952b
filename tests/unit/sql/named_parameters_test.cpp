#include "core/sql/named_parameters.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stepd::sql {
namespace {

using Values = std::vector<std::string>;

// Runs a bind that must fail and returns its message, checking the error's name on the way.
std::string bind_error(std::string_view sql, const std::vector<SqlParameter>& params) {
  try {
    bind_named_parameters(sql, params);
  } catch (const SqlParameterError& e) {
    EXPECT_EQ(e.code(), "ValidationException");
    return e.message();
  }
  ADD_FAILURE() << "no error for: " << sql;
  return "";
}

TEST(NamedParameters, NumbersNamesInOrderOfFirstUse) {
  BoundStatement b = bind_named_parameters("SELECT * FROM t WHERE a = :b_name AND c = :a_name",
                                           {{"a_name", "1"}, {"b_name", "2"}});
  EXPECT_EQ(b.sql, "SELECT * FROM t WHERE a = $1 AND c = $2");
  EXPECT_EQ(b.values, (Values{"2", "1"}));
}

TEST(NamedParameters, SameNameTwiceKeepsItsNumber) {
  BoundStatement b = bind_named_parameters("SELECT :x, :y, :x, :y+:x", {{"x", "1"}, {"y", "2"}});
  EXPECT_EQ(b.sql, "SELECT $1, $2, $1, $2+$1");
  EXPECT_EQ(b.values, (Values{"1", "2"}));
}

TEST(NamedParameters, NoParametersLeavesSqlAlone) {
  BoundStatement b = bind_named_parameters("SELECT 1", {});
  EXPECT_EQ(b.sql, "SELECT 1");
  EXPECT_TRUE(b.values.empty());
}

TEST(NamedParameters, NameEndsAtFirstNonNameCharacter) {
  BoundStatement b = bind_named_parameters("SELECT (:id),:id2;", {{"id", "a"}, {"id2", "b"}});
  EXPECT_EQ(b.sql, "SELECT ($1),$2;");
  BoundStatement at_end = bind_named_parameters("SELECT :v", {{"v", "x"}});
  EXPECT_EQ(at_end.sql, "SELECT $1");
  BoundStatement digits = bind_named_parameters("SELECT :1st", {{"1st", "x"}});
  EXPECT_EQ(digits.sql, "SELECT $1");
}

TEST(NamedParameters, CastsAndAssignmentsAreNotParameters) {
  BoundStatement b = bind_named_parameters("SELECT :v::int, x::text, y := 3, a:::v", {{"v", "5"}});
  EXPECT_EQ(b.sql, "SELECT $1::int, x::text, y := 3, a:::v");
  EXPECT_EQ(b.values, (Values{"5"}));
}

TEST(NamedParameters, ArraySliceWithNumbersIsLeftAlone) {
  BoundStatement b = bind_named_parameters("SELECT a[1:2], a[:lo] FROM t", {{"lo", "1"}});
  EXPECT_EQ(b.sql, "SELECT a[1:2], a[$1] FROM t");
}

TEST(NamedParameters, SingleQuotedStringsAreData) {
  BoundStatement b = bind_named_parameters("SELECT ':x', 'it''s :x', :x, ''", {{"x", "1"}});
  EXPECT_EQ(b.sql, "SELECT ':x', 'it''s :x', $1, ''");
}

TEST(NamedParameters, EscapeStringsHonourBackslashes) {
  BoundStatement b = bind_named_parameters(R"(SELECT E'\' :x', e'a\\', :x)", {{"x", "1"}});
  EXPECT_EQ(b.sql, R"(SELECT E'\' :x', e'a\\', $1)");
  // In a plain string a backslash is an ordinary character (standard_conforming_strings).
  BoundStatement plain = bind_named_parameters(R"(SELECT 'a\', :x)", {{"x", "1"}});
  EXPECT_EQ(plain.sql, R"(SELECT 'a\', $1)");
  // An identifier ending in e is not an E prefix.
  BoundStatement ident = bind_named_parameters(R"(SELECT type'\', :x)", {{"x", "1"}});
  EXPECT_EQ(ident.sql, R"(SELECT type'\', $1)");
}

TEST(NamedParameters, QuotedIdentifiersAreNames) {
  BoundStatement b =
      bind_named_parameters(R"(SELECT "col:x", "a""b:x" FROM t WHERE k = :x)", {{"x", "1"}});
  EXPECT_EQ(b.sql, R"(SELECT "col:x", "a""b:x" FROM t WHERE k = $1)");
}

TEST(NamedParameters, DollarQuotedBodiesAreData) {
  std::string sql =
      "CREATE FUNCTION f() RETURNS int AS $$ SELECT :x $$ LANGUAGE sql; "
      "SELECT $tag$ :x $$ :x $tag$, :x, a$b, $_t1$:x$_t1$";
  BoundStatement b = bind_named_parameters(sql, {{"x", "1"}});
  EXPECT_EQ(b.sql,
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT :x $$ LANGUAGE sql; "
            "SELECT $tag$ :x $$ :x $tag$, $1, a$b, $_t1$:x$_t1$");
}

TEST(NamedParameters, CommentsAreSkipped) {
  std::string sql =
      "SELECT 1 -- :nope\n, :x /* :nope /* nested :nope */ still :nope */ , :x-- :nope";
  BoundStatement b = bind_named_parameters(sql, {{"x", "1"}});
  EXPECT_EQ(b.sql,
            "SELECT 1 -- :nope\n, $1 /* :nope /* nested :nope */ still :nope */ , $1-- :nope");
}

TEST(NamedParameters, UnterminatedConstructsHideTheRest) {
  // The server will report the syntax error; nothing inside is taken for a parameter.
  EXPECT_EQ(bind_named_parameters("SELECT :x, ':y", {{"x", "1"}}).sql, "SELECT $1, ':y");
  EXPECT_EQ(bind_named_parameters("SELECT :x /* :y", {{"x", "1"}}).sql, "SELECT $1 /* :y");
  EXPECT_EQ(bind_named_parameters("SELECT :x, $q$ :y", {{"x", "1"}}).sql, "SELECT $1, $q$ :y");
}

TEST(NamedParameters, InjectionShapedValuesStayInValues) {
  const std::string evil = "x'); DROP TABLE users; --";
  const std::string evil2 = "\"; DELETE FROM t; $$ :other /*";
  BoundStatement b =
      bind_named_parameters("INSERT INTO t(a, b) VALUES (:a, :b)", {{"a", evil}, {"b", evil2}});
  EXPECT_EQ(b.sql, "INSERT INTO t(a, b) VALUES ($1, $2)");
  EXPECT_EQ(b.values, (Values{evil, evil2}));
  EXPECT_EQ(b.sql.find("DROP"), std::string::npos);
  EXPECT_EQ(b.sql.find("DELETE"), std::string::npos);
}

TEST(NamedParameters, UnknownNameIsRefused) {
  std::string m = bind_error("SELECT :known, :missing", {{"known", "1"}});
  EXPECT_NE(m.find("missing"), std::string::npos) << m;
}

TEST(NamedParameters, UnusedParameterIsRefused) {
  std::string m = bind_error("SELECT :a", {{"a", "1"}, {"b", "2"}, {"c", "3"}});
  EXPECT_NE(m.find("b, c"), std::string::npos) << m;
  // A parameter mentioned only inside a string is unused.
  std::string quoted = bind_error("SELECT ':a'", {{"a", "1"}});
  EXPECT_NE(quoted.find("a"), std::string::npos) << quoted;
}

TEST(NamedParameters, DuplicateNameIsRefused) {
  std::string m = bind_error("SELECT :a", {{"a", "1"}, {"a", "2"}});
  EXPECT_NE(m.find("'a'"), std::string::npos) << m;
  EXPECT_NE(m.find("more than once"), std::string::npos) << m;
}

TEST(NamedParameters, InvalidNamesAreRefused) {
  for (const char* name : {"", "@id", "a-b", "a b", "ü", ":a"}) {
    std::string m = bind_error("SELECT 1", {{name, "1"}});
    EXPECT_NE(m.find("'" + std::string(name) + "'"), std::string::npos) << m;
  }
}

TEST(NamedParameters, EmptyOrNulValueIsRefused) {
  std::string empty = bind_error("SELECT :v", {{"v", ""}});
  EXPECT_NE(empty.find("'v'"), std::string::npos) << empty;
  std::string nul = bind_error("SELECT :v", {{"v", std::string("a\0b", 3)}});
  EXPECT_NE(nul.find("NUL"), std::string::npos) << nul;
}

TEST(NamedParameters, PositionalParametersAreRefused) {
  std::string m = bind_error("SELECT $1, :a", {{"a", "1"}});
  EXPECT_NE(m.find("$1"), std::string::npos) << m;
  // ... but a `$1` inside a string or after an identifier is not one.
  EXPECT_EQ(bind_named_parameters("SELECT '$1', x$1, :a", {{"a", "1"}}).sql,
            "SELECT '$1', x$1, $1");
}

TEST(ParseSqlParameters, ReadsTheRequestShape) {
  Json j = Json::parse(R"([{"name": "id", "value": "42"}, {"value": "b", "name": "s"}])");
  std::vector<SqlParameter> p = parse_sql_parameters(j);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "id");
  EXPECT_EQ(p[0].value, "42");
  EXPECT_EQ(p[1].name, "s");
  EXPECT_EQ(p[1].value, "b");
}

TEST(ParseSqlParameters, RefusesOtherShapes) {
  for (const char* text :
       {R"({})", R"([])", R"([1])", R"([{"name": "a"}])", R"([{"value": "a"}])",
        R"([{"name": "a", "value": 1}])", R"([{"name": "a", "value": "1", "type": "int"}])"}) {
    EXPECT_THROW(parse_sql_parameters(Json::parse(text)), SqlParameterError) << text;
  }
}

}  // namespace
}  // namespace stepd::sql

namespace stepd::sql {
namespace {

TEST(NamedParameters, RedshiftDialectSkipsBackslashEscapedQuotes) {
  // In Redshift 'a\':x' is one string holding a quote and ":x"; only :y is a parameter.
  BoundStatement b =
      bind_named_parameters(R"(SELECT 'a\':x', :y)", {{"y", "1"}}, /*backslash_escapes=*/true);
  EXPECT_EQ(b.sql, R"(SELECT 'a\':x', $1)");
  EXPECT_EQ(b.values, std::vector<std::string>{"1"});
}

}  // namespace
}  // namespace stepd::sql
