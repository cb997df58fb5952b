#pragma once
// Splits the text of a SQL file into the statements to run one after another.
//
// The splitter knows enough of the PostgreSQL lexer to tell a separating semicolon from one that
// is data: it skips single-quoted strings ('' doubles a quote), escape strings E'...' (a backslash
// escapes the next character), double-quoted identifiers ("" doubles a quote), dollar-quoted
// strings $$...$$ and $tag$...$tag$, line comments (--) and block comments (/* */, which nest).
// Like psql, it also does not split on a semicolon inside parentheses, so the statement lists of
// CREATE RULE ... DO (...; ...) stay whole. Function bodies written as strings, in single or
// dollar quotes, are therefore one statement. BEGIN and COMMIT are ordinary statements.
//
// Each statement's text starts at its first token: whitespace and comments before it are left
// out, and trailing whitespace and the terminating semicolon are cut. Comments after the first
// token are kept as written (the server ignores them), so the text may end in a -- comment.
// Statements that hold nothing but whitespace and comments are dropped; a last statement
// without a semicolon is kept. A UTF-8 byte order mark at the very start is skipped.
//
// What it does not understand:
//  - psql meta-commands (\copy, \i, \set, \gexec ...) and psql variables (:name); they are sent
//    to the server as SQL text, which rejects them;
//  - SQL-standard function bodies (CREATE FUNCTION ... BEGIN ATOMIC ...; ...; END): the
//    semicolons inside split the statement, so write such bodies in dollar quotes instead;
//  - backslash escapes in plain '...' strings, unless asked for (SplitOptions): PostgreSQL
//    honours them only with standard_conforming_strings off, Redshift always, so targets of the
//    redshift dialect split with them on. Otherwise write E'...' or double the quote; a
//    backslash-escaped quote in a plain string usually shows up as an unterminated string
//    error, but with more quotes further on it can split in the wrong place;
//  - a lone \r as a line break: lines are counted, and -- comments ended, by \n only, so \r\n
//    counts once and old Mac line ends are not line ends at all.
// An unterminated string, identifier, dollar quote or block comment throws SqlScriptError
// naming the line where it began.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace stepd::sql {

// Not "SqlStatement": that name is the executor's (sql_executor.h), and two different structs
// with one name in one namespace break the one-definition rule (ASan caught the linker mixing
// their inline move constructors once both were in sql_test).
struct ScriptStatement {
  std::string text;   // without surrounding whitespace, leading comments or the semicolon
  int line = 1;       // 1-based line of the statement's first token
  size_t offset = 0;  // byte offset of the statement's first token in the script
};

class SqlScriptError : public std::runtime_error {
 public:
  SqlScriptError(const std::string& message, int line) : std::runtime_error(message), line_(line) {}
  int line() const { return line_; }  // where the offending construct began

 private:
  int line_;
};

struct SplitOptions {
  // A backslash escapes the next character in plain '...' strings too (Redshift's lexer).
  bool backslash_escapes = false;
};

std::vector<ScriptStatement> split_statements(std::string_view script, SplitOptions options = {});

}  // namespace stepd::sql
