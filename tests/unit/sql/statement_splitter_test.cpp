#include "core/sql/statement_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stepd::sql {
namespace {

std::vector<std::string> texts(std::string_view script) {
  std::vector<std::string> out;
  for (const ScriptStatement& s : split_statements(script)) out.push_back(s.text);
  return out;
}

using Texts = std::vector<std::string>;

// The line an unterminated construct is reported at, or 0 if nothing was thrown.
int error_line(std::string_view script) {
  try {
    split_statements(script);
  } catch (const SqlScriptError& e) {
    EXPECT_NE(std::string(e.what()).find("line " + std::to_string(e.line())), std::string::npos)
        << e.what();
    return e.line();
  }
  return 0;
}

TEST(StatementSplitterTest, SplitsOnSemicolonsAndTrims) {
  EXPECT_EQ(texts("SELECT 1; SELECT 2;\n  SELECT 3 ;"),
            (Texts{"SELECT 1", "SELECT 2", "SELECT 3"}));
}

TEST(StatementSplitterTest, KeepsALastStatementWithoutSemicolon) {
  EXPECT_EQ(texts("SELECT 1;\nSELECT 2\n\n"), (Texts{"SELECT 1", "SELECT 2"}));
}

TEST(StatementSplitterTest, EmptyScriptsGiveNoStatements) {
  EXPECT_TRUE(split_statements("").empty());
  EXPECT_TRUE(split_statements(" \n\t\r\n").empty());
  EXPECT_TRUE(split_statements(";;\n ; ").empty());
  EXPECT_TRUE(split_statements("-- only a comment\n/* and another */\n;\n-- the end").empty());
}

TEST(StatementSplitterTest, DropsEmptyAndCommentOnlyStatements) {
  EXPECT_EQ(texts("SELECT 1;;  ; /* nothing */ ; -- still nothing\n; SELECT 2;"),
            (Texts{"SELECT 1", "SELECT 2"}));
}

TEST(StatementSplitterTest, SemicolonInSingleQuotes) {
  EXPECT_EQ(texts("SELECT ';'"), (Texts{"SELECT ';'"}));
  EXPECT_EQ(texts("SELECT 'a;b'; SELECT 2"), (Texts{"SELECT 'a;b'", "SELECT 2"}));
}

TEST(StatementSplitterTest, DoubledQuotesStayInsideTheString) {
  EXPECT_EQ(texts("SELECT 'it''s; fine'; SELECT ''';'''"),
            (Texts{"SELECT 'it''s; fine'", "SELECT ''';'''"}));
}

TEST(StatementSplitterTest, PlainStringsTakeBackslashLiterally) {
  // standard_conforming_strings: 'C:\' is a complete string.
  EXPECT_EQ(texts("SELECT 'C:\\'; SELECT 2"), (Texts{"SELECT 'C:\\'", "SELECT 2"}));
}

TEST(StatementSplitterTest, EscapeStringsHonourBackslashes) {
  EXPECT_EQ(texts("SELECT E'it\\'s;'; SELECT 2"), (Texts{"SELECT E'it\\'s;'", "SELECT 2"}));
  EXPECT_EQ(texts("SELECT e'a\\\\'; SELECT 2"), (Texts{"SELECT e'a\\\\'", "SELECT 2"}));
  EXPECT_EQ(texts("SELECT E'x'';y'; SELECT 2"), (Texts{"SELECT E'x'';y'", "SELECT 2"}));
}

TEST(StatementSplitterTest, AnEAtTheEndOfAWordIsNotAnEscapePrefix) {
  // "type'...'" is a typed literal; the E belongs to the word, so the backslash is plain.
  EXPECT_EQ(texts("SELECT date'x\\'; SELECT 2"), (Texts{"SELECT date'x\\'", "SELECT 2"}));
}

TEST(StatementSplitterTest, SemicolonInQuotedIdentifier) {
  EXPECT_EQ(texts("SELECT 1 AS \"semi;colon\"; SELECT 2"),
            (Texts{"SELECT 1 AS \"semi;colon\"", "SELECT 2"}));
  EXPECT_EQ(texts("SELECT 1 AS \"a\"\";b\"; SELECT 2"),
            (Texts{"SELECT 1 AS \"a\"\";b\"", "SELECT 2"}));
  EXPECT_EQ(texts("SELECT 1 AS \"it's;\"; SELECT 2"), (Texts{"SELECT 1 AS \"it's;\"", "SELECT 2"}));
}

TEST(StatementSplitterTest, DollarQuoting) {
  EXPECT_EQ(texts("SELECT $$a;b$$; SELECT 2"), (Texts{"SELECT $$a;b$$", "SELECT 2"}));
  EXPECT_EQ(texts("SELECT $x$ ' \" -- /* ; $x$; SELECT 2"),
            (Texts{"SELECT $x$ ' \" -- /* ; $x$", "SELECT 2"}));
}

TEST(StatementSplitterTest, DollarQuotesWithDifferentTagsNest) {
  std::string fn =
      "CREATE FUNCTION f() RETURNS void AS $fn$\n"
      "BEGIN\n"
      "  EXECUTE $$SELECT 1; SELECT 2$$;\n"
      "  PERFORM $x$;$x$;\n"
      "END;\n"
      "$fn$ LANGUAGE plpgsql";
  EXPECT_EQ(texts(fn + ";\nSELECT f();"), (Texts{fn, "SELECT f()"}));
}

TEST(StatementSplitterTest, ClosingTagMustMatchExactly) {
  EXPECT_EQ(texts("SELECT $a$ $A$; $ab$; $a$; SELECT 2"),
            (Texts{"SELECT $a$ $A$; $ab$; $a$", "SELECT 2"}));
}

TEST(StatementSplitterTest, PositionalParametersAreNotDollarQuotes) {
  EXPECT_EQ(texts("SELECT $1; SELECT $2"), (Texts{"SELECT $1", "SELECT $2"}));
  EXPECT_EQ(texts("SELECT $1::int, $2$3; SELECT 2"), (Texts{"SELECT $1::int, $2$3", "SELECT 2"}));
}

TEST(StatementSplitterTest, DollarInsideAnIdentifierIsNotAQuote) {
  EXPECT_EQ(texts("SELECT a$b$ FROM t; SELECT 2"), (Texts{"SELECT a$b$ FROM t", "SELECT 2"}));
  EXPECT_EQ(texts("SELECT x$$; SELECT 2"), (Texts{"SELECT x$$", "SELECT 2"}));
}

TEST(StatementSplitterTest, DollarTagsCannotStartWithADigit) {
  // $1$ is parameter 1 followed by a $, not a tag; the $$ after a space opens a quote.
  EXPECT_EQ(texts("SELECT $1$; SELECT $$;$$"), (Texts{"SELECT $1$", "SELECT $$;$$"}));
}

TEST(StatementSplitterTest, LineComments) {
  EXPECT_EQ(texts("-- comment; \n SELECT 1"), (Texts{"SELECT 1"}));
  EXPECT_EQ(texts("SELECT 1 -- a; b\n, 2; SELECT 3"), (Texts{"SELECT 1 -- a; b\n, 2", "SELECT 3"}));
  EXPECT_EQ(texts("SELECT 1 -- trailing"), (Texts{"SELECT 1 -- trailing"}));
  EXPECT_EQ(texts("SELECT 1--2;\n;SELECT 3"), (Texts{"SELECT 1--2;", "SELECT 3"}));
}

TEST(StatementSplitterTest, BlockCommentsNest) {
  EXPECT_EQ(texts("/* a /* nested; */ still comment */ SELECT 1"), (Texts{"SELECT 1"}));
  EXPECT_EQ(texts("SELECT /* x; /* y; */ z; */ 1; SELECT 2"),
            (Texts{"SELECT /* x; /* y; */ z; */ 1", "SELECT 2"}));
  EXPECT_EQ(texts("SELECT 1 /*/ ; */; SELECT 2"), (Texts{"SELECT 1 /*/ ; */", "SELECT 2"}));
}

TEST(StatementSplitterTest, QuotesInsideCommentsAreIgnored) {
  EXPECT_EQ(texts("SELECT 1; -- don't\nSELECT 2 /* it's $$ \" */; SELECT 3"),
            (Texts{"SELECT 1", "SELECT 2 /* it's $$ \" */", "SELECT 3"}));
}

TEST(StatementSplitterTest, CommentMarkersInsideStringsAreData) {
  EXPECT_EQ(texts("SELECT '--;', '/*;', \"--\"; SELECT 2"),
            (Texts{"SELECT '--;', '/*;', \"--\"", "SELECT 2"}));
}

TEST(StatementSplitterTest, SemicolonsInsideParenthesesDoNotSplit) {
  std::string rule =
      "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); DELETE FROM b)";
  EXPECT_EQ(texts(rule + "; SELECT 2"), (Texts{rule, "SELECT 2"}));
  // A stray closing parenthesis does not make the depth negative.
  EXPECT_EQ(texts("SELECT 1); SELECT (2); SELECT 3"),
            (Texts{"SELECT 1)", "SELECT (2)", "SELECT 3"}));
}

TEST(StatementSplitterTest, TransactionControlIsJustStatements) {
  EXPECT_EQ(texts("BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;"),
            (Texts{"BEGIN", "INSERT INTO t VALUES (1)", "COMMIT"}));
}

TEST(StatementSplitterTest, FunctionBodyInSingleQuotesIsOneStatement) {
  std::string fn = "CREATE FUNCTION f() RETURNS int AS 'SELECT 1; SELECT ''two;''' LANGUAGE sql";
  EXPECT_EQ(texts(fn + ";"), (Texts{fn}));
}

TEST(StatementSplitterTest, LinesAndOffsetsPointAtTheFirstToken) {
  std::string script = "-- header\n\nSELECT 1;\n  /* c */ SELECT\n  2; SELECT 3";
  auto st = split_statements(script);
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[0].line, 3);
  EXPECT_EQ(st[0].offset, script.find("SELECT 1"));
  EXPECT_EQ(st[1].text, "SELECT\n  2");
  EXPECT_EQ(st[1].line, 4);
  EXPECT_EQ(st[1].offset, script.find("SELECT\n"));
  EXPECT_EQ(st[2].line, 5);
  EXPECT_EQ(st[2].offset, script.find("SELECT 3"));
}

TEST(StatementSplitterTest, LinesCountNewlinesInsideStringsAndComments) {
  std::string script =
      "SELECT 'a\nb';\n"
      "SELECT $$\n\n$$; /* x\n */ SELECT \"q\nr\";\n"
      "SELECT E'\\\n';\n"
      "SELECT 5";
  auto st = split_statements(script);
  ASSERT_EQ(st.size(), 5u);
  EXPECT_EQ(st[0].line, 1);
  EXPECT_EQ(st[1].line, 3);
  EXPECT_EQ(st[2].line, 6);
  EXPECT_EQ(st[3].line, 8);
  EXPECT_EQ(st[4].line, 10);
}

TEST(StatementSplitterTest, CrLfLineEndings) {
  std::string script = "SELECT 1;\r\n-- c\r\nSELECT\r\n 2;\r\n\r\nSELECT 'x\r\ny';\r\n";
  auto st = split_statements(script);
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[0].text, "SELECT 1");
  EXPECT_EQ(st[1].text, "SELECT\r\n 2");
  EXPECT_EQ(st[1].line, 3);
  EXPECT_EQ(st[2].text, "SELECT 'x\r\ny'");
  EXPECT_EQ(st[2].line, 6);
  EXPECT_EQ(error_line("SELECT 1;\r\n\r\nSELECT 'oops\r\n"), 3);
}

TEST(StatementSplitterTest, SkipsAByteOrderMark) {
  auto st = split_statements("\xEF\xBB\xBFSELECT 1;");
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].text, "SELECT 1");
  EXPECT_EQ(st[0].offset, 3u);
}

TEST(StatementSplitterTest, NonAsciiTextPassesThrough) {
  EXPECT_EQ(texts("SELECT 'é;ü' AS \"naïve\"; SELECT $ñ$;$ñ$"),
            (Texts{"SELECT 'é;ü' AS \"naïve\"", "SELECT $ñ$;$ñ$"}));
}

TEST(StatementSplitterTest, UnterminatedConstructsNameTheirStartLine) {
  EXPECT_EQ(error_line("SELECT 1;\nSELECT 'abc;\n\nSELECT 2;"), 2);
  EXPECT_EQ(error_line("SELECT 'a''"), 1);
  EXPECT_EQ(error_line("SELECT E'a\\'"), 1);
  EXPECT_EQ(error_line("\n\nSELECT \"col;"), 3);
  EXPECT_EQ(error_line("SELECT 1;\nSELECT $$ body;\n"), 2);
  EXPECT_EQ(error_line("SELECT $fn$ body $$ $fn;"), 1);
  EXPECT_EQ(error_line("SELECT 1;\n\n\n/* a /* b */ c;\nSELECT 2;"), 4);
  EXPECT_EQ(error_line("SELECT 1 /*"), 1);
}

TEST(StatementSplitterTest, ErrorMessagesSayWhatIsUnterminated) {
  auto message = [](std::string_view script) {
    try {
      split_statements(script);
    } catch (const SqlScriptError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message("\nSELECT 'x"), "unterminated quoted string starting at line 2");
  EXPECT_EQ(message("SELECT \"x"), "unterminated quoted identifier starting at line 1");
  EXPECT_EQ(message("SELECT $t$x"), "unterminated dollar-quoted string ($t$) starting at line 1");
  EXPECT_EQ(message("/* x"), "unterminated block comment starting at line 1");
}

TEST(StatementSplitterTest, AnUnterminatedLineCommentIsFine) {
  EXPECT_EQ(texts("SELECT 1; -- no newline at the end"), (Texts{"SELECT 1"}));
}

}  // namespace
}  // namespace stepd::sql

namespace stepd::sql {
namespace {

TEST(StatementSplitterTest, RedshiftDialectTakesBackslashEscapesInPlainStrings) {
  const std::string script = R"(INSERT INTO t VALUES ('it\'s; fine'); SELECT 2;)";
  std::vector<ScriptStatement> redshift = split_statements(script, {true});
  ASSERT_EQ(redshift.size(), 2u);
  EXPECT_EQ(redshift[0].text, R"(INSERT INTO t VALUES ('it\'s; fine'))");
  // PostgreSQL's lexer ends the string at \' and then finds one that never closes.
  EXPECT_THROW(split_statements(script), SqlScriptError);
}

}  // namespace
}  // namespace stepd::sql
