#include "core/sql/named_parameters.h"

#include <cstddef>
#include <map>
#include <set>

namespace stepd::sql {

namespace {

// PostgreSQL's wire protocol counts parameters in 16 bits.
constexpr size_t kMaxDistinctParameters = 65535;

bool is_name_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Characters that may continue an SQL identifier (bytes of multi-byte UTF-8 letters included).
// A quote or `$` right after one of them belongs to the identifier, not to a new token.
bool is_identifier_char(char c) {
  return is_name_char(c) || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_tag_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return !s.empty();
}

// Each skip_* function is given the position of the construct's first character and returns
// the position just after its end (or the end of the text when it is not closed: the server
// will report the syntax error, and nothing after it is treated as a parameter).

size_t skip_quoted(std::string_view sql, size_t pos, char quote, bool backslash_escapes) {
  size_t i = pos + 1;
  while (i < sql.size()) {
    char c = sql[i];
    if (backslash_escapes && c == '\\') {
      i += 2;
      continue;
    }
    if (c == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {  // doubled quote: one literal quote
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();
}

size_t skip_line_comment(std::string_view sql, size_t pos) {
  size_t end = sql.find('\n', pos);
  return end == std::string_view::npos ? sql.size() : end + 1;
}

size_t skip_block_comment(std::string_view sql, size_t pos) {
  int depth = 0;
  size_t i = pos;
  while (i < sql.size()) {
    if (sql.compare(i, 2, "/*") == 0) {
      ++depth;
      i += 2;
    } else if (sql.compare(i, 2, "*/") == 0) {
      --depth;
      i += 2;
      if (depth == 0) return i;
    } else {
      ++i;
    }
  }
  return sql.size();
}

// The length of a dollar-quote opening tag (`$$` or `$tag$`) at pos, or 0 when there is none.
size_t dollar_tag_length(std::string_view sql, size_t pos) {
  size_t i = pos + 1;
  if (i < sql.size() && sql[i] == '$') return 2;
  if (i >= sql.size() || !is_tag_start(sql[i])) return 0;
  while (i < sql.size() && (is_name_char(sql[i]) || static_cast<unsigned char>(sql[i]) >= 0x80)) {
    ++i;
  }
  if (i < sql.size() && sql[i] == '$') return i + 1 - pos;
  return 0;
}

}  // namespace

std::vector<SqlParameter> parse_sql_parameters(const Json& parameters) {
  if (!parameters.is_array()) {
    throw SqlParameterError("Parameters must be a list of {\"name\", \"value\"} objects");
  }
  if (parameters.empty()) {
    throw SqlParameterError("Parameters must hold at least one parameter when given");
  }
  std::vector<SqlParameter> out;
  out.reserve(parameters.size());
  for (size_t i = 0; i < parameters.size(); ++i) {
    const Json& p = parameters[i];
    std::string where = "Parameters[" + std::to_string(i) + "]";
    if (!p.is_object()) throw SqlParameterError(where + " must be an object with name and value");
    for (const auto& [key, member] : p.items()) {
      if (key != "name" && key != "value") {
        throw SqlParameterError(where + " has an unknown member '" + key + "'");
      }
      if (!member.is_string()) throw SqlParameterError(where + "." + key + " must be a string");
    }
    if (!p.contains("name")) throw SqlParameterError(where + " has no name");
    if (!p.contains("value")) {
      throw SqlParameterError(where + " ('" + p["name"].get<std::string>() + "') has no value");
    }
    out.push_back({p["name"].get<std::string>(), p["value"].get<std::string>()});
  }
  return out;
}

BoundStatement bind_named_parameters(std::string_view sql, const std::vector<SqlParameter>& params,
                                     bool backslash_escapes) {
  // Check the parameters themselves first, so that their errors do not depend on the SQL.
  std::map<std::string, const SqlParameter*, std::less<>> by_name;
  for (const SqlParameter& p : params) {
    if (!valid_name(p.name)) {
      throw SqlParameterError("parameter name '" + p.name +
                              "' is not valid: names are letters, digits and '_' only");
    }
    if (p.value.empty()) {
      throw SqlParameterError("parameter '" + p.name +
                              "' has an empty value; values must be at least one character");
    }
    if (p.value.find('\0') != std::string::npos) {
      throw SqlParameterError("parameter '" + p.name + "' has a value with a NUL character");
    }
    if (!by_name.emplace(p.name, &p).second) {
      throw SqlParameterError("parameter '" + p.name + "' is given more than once");
    }
  }

  BoundStatement out;
  out.sql.reserve(sql.size());
  std::map<std::string, size_t, std::less<>> number_of;  // name -> n of `$n`
  size_t copied = 0;  // sql[copied, i) is still to be copied to out.sql
  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    char prev = i > 0 ? sql[i - 1] : '\0';
    char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (c == '\'') {
      // E'...' (and e'...') strings take backslash escapes; the E must start its own token.
      bool escapes = backslash_escapes ||
                     ((prev == 'E' || prev == 'e') && (i < 2 || !is_identifier_char(sql[i - 2])));
      i = skip_quoted(sql, i, '\'', escapes);
    } else if (c == '"') {
      i = skip_quoted(sql, i, '"', false);
    } else if (c == '-' && next == '-') {
      i = skip_line_comment(sql, i);
    } else if (c == '/' && next == '*') {
      i = skip_block_comment(sql, i);
    } else if (c == '$' && !is_identifier_char(prev)) {
      if (is_digit(next)) {
        throw SqlParameterError("the SQL uses a positional parameter ($" + std::string(1, next) +
                                "...); use named parameters (:name) with Parameters instead");
      }
      size_t tag_length = dollar_tag_length(sql, i);
      if (tag_length == 0) {
        ++i;
        continue;
      }
      std::string_view tag = sql.substr(i, tag_length);
      size_t close = sql.find(tag, i + tag_length);
      i = close == std::string_view::npos ? sql.size() : close + tag_length;
    } else if (c == ':') {
      if (next == ':') {  // the `::` cast; a third colon would not start a name either
        i += 2;
        while (i < sql.size() && sql[i] == ':') ++i;
        continue;
      }
      if (!is_name_char(next)) {  // `:=`, a lone colon, ...
        ++i;
        continue;
      }
      size_t end = i + 1;
      while (end < sql.size() && is_name_char(sql[end])) ++end;
      std::string_view name = sql.substr(i + 1, end - i - 1);
      if (by_name.find(name) == by_name.end()) {
        if (all_digits(name)) {  // an array slice bound, `a[1:2]`
          i = end;
          continue;
        }
        throw SqlParameterError("the SQL uses :" + std::string(name) + " but no parameter named '" +
                                std::string(name) + "' is given");
      }
      auto it = number_of.find(name);
      if (it == number_of.end()) {
        if (number_of.size() == kMaxDistinctParameters) {
          throw SqlParameterError("the SQL uses more than 65535 distinct parameters");
        }
        it = number_of.emplace(std::string(name), number_of.size() + 1).first;
        out.values.push_back(by_name.find(name)->second->value);
      }
      out.sql.append(sql.substr(copied, i - copied));
      out.sql += '$';
      out.sql += std::to_string(it->second);
      i = end;
      copied = end;
    } else {
      ++i;
    }
  }
  out.sql.append(sql.substr(copied));

  if (number_of.size() != by_name.size()) {
    std::string unused;
    for (const SqlParameter& p : params) {
      if (number_of.find(p.name) != number_of.end()) continue;
      unused += unused.empty() ? "" : ", ";
      unused += p.name;
    }
    throw SqlParameterError("Parameters contains parameters the SQL never uses: " + unused);
  }
  return out;
}

}  // namespace stepd::sql
