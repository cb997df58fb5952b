// SQL text as SQL steps read it: a script split into statements (both lexer dialects), and a
// statement's `:name` parameters bound. The first line lists parameters ("a=1&b=x"), the rest is
// the SQL. Binding runs twice: with the listed parameters, and with one parameter for every
// `:word` a naive scan finds, so that the successful path is reached as often as the refusals.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/sql/named_parameters.h"
#include "core/sql/statement_splitter.h"
#include "tests/fuzz/fuzz_input.h"

using namespace stepd;

namespace {

std::vector<sql::SqlParameter> listed_parameters(std::string_view line) {
  std::vector<sql::SqlParameter> out;
  while (!line.empty()) {
    size_t amp = line.find('&');
    std::string_view item = line.substr(0, amp);
    size_t eq = item.find('=');
    out.push_back({std::string(item.substr(0, eq)),
                   eq == std::string_view::npos ? "" : std::string(item.substr(eq + 1))});
    if (amp == std::string_view::npos) break;
    line.remove_prefix(amp + 1);
  }
  return out;
}

bool is_word_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

std::vector<sql::SqlParameter> scanned_parameters(std::string_view sql_text) {
  std::vector<sql::SqlParameter> out;
  for (size_t i = 0; i < sql_text.size(); ++i) {
    if (sql_text[i] != ':') continue;
    size_t end = i + 1;
    while (end < sql_text.size() && is_word_char(sql_text[end])) ++end;
    if (end == i + 1) continue;
    std::string name(sql_text.substr(i + 1, end - i - 1));
    bool seen = false;
    for (const auto& p : out) seen = seen || p.name == name;
    if (!seen) out.push_back({name, "v'" + name + ";"});
  }
  return out;
}

void split_script(std::string_view script, bool backslash_escapes) {
  try {
    for (const sql::ScriptStatement& s : sql::split_statements(script, {backslash_escapes})) {
      // A statement is a non-empty slice of the script, starting where the splitter says.
      if (s.text.empty() || s.offset > script.size() ||
          script.substr(s.offset, s.text.size()) != s.text || s.line < 1) {
        std::abort();
      }
    }
  } catch (const sql::SqlScriptError&) {
  }
}

void bind_parameters(std::string_view sql_text, const std::vector<sql::SqlParameter>& params,
                     bool backslash_escapes) {
  try {
    sql::BoundStatement bound = sql::bind_named_parameters(sql_text, params, backslash_escapes);
    if (bound.values.size() > params.size()) std::abort();
  } catch (const sql::SqlParameterError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  size_t line_end = text.find('\n');
  std::string_view first_line = text.substr(0, line_end);
  std::string_view sql_text =
      line_end == std::string_view::npos ? std::string_view{} : text.substr(line_end + 1);

  for (bool backslash_escapes : {false, true}) {
    split_script(text, backslash_escapes);
    bind_parameters(sql_text, listed_parameters(first_line), backslash_escapes);
    bind_parameters(sql_text, scanned_parameters(sql_text), backslash_escapes);
  }
  return 0;
}
