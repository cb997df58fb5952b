#pragma once
// The Redshift Data API's `Parameters` ([{"name": "id", "value": "42"}]) turned into real query
// parameters: every `:name` in the SQL becomes `$n` and the values travel beside the text, to be
// sent with PQsendQueryParams. A value is never pasted into SQL, so quotes and semicolons in it
// stay data. Values are text; the server infers each parameter's type from where it is used.
#include <string>
#include <string_view>
#include <vector>

#include "core/common/api_error.h"
#include "core/common/json.h"

namespace stepd::sql {

struct SqlParameter {
  std::string name;
  std::string value;
};

struct BoundStatement {
  std::string sql;                  // the statement with `$1`, `$2` ... in place of `:name`
  std::vector<std::string> values;  // values[i] belongs to `$(i+1)`
};

// A request whose parameters do not fit its SQL. code() is the Redshift Data API error name,
// "ValidationException", which is also what an API caller sees as __type.
class SqlParameterError : public ApiError {
 public:
  explicit SqlParameterError(std::string message)
      : ApiError("ValidationException", std::move(message)) {}
  const std::string& code() const { return type(); }
};

// Reads the request's `Parameters` member (an array of {"name", "value"} objects, at least one,
// as the Redshift Data API model says) into SqlParameters, refusing any other shape.
std::vector<SqlParameter> parse_sql_parameters(const Json& parameters);

// Replaces each `:name` outside string literals, quoted identifiers, dollar-quoted bodies and
// comments by `$n`, numbering names in the order they first appear (a name used twice keeps its
// number). `::` casts and `:=` are left alone, as is a purely numeric `:2` for which no parameter
// is given (an array slice such as `a[1:2]`).
//
// Throws SqlParameterError when a `:name` has no parameter, a parameter is never used (Redshift
// refuses "unused parameters" too), two parameters share a name, a name is not [0-9a-zA-Z_]+,
// a value is empty or holds a NUL byte, or the SQL already uses positional `$n` parameters.
//
// `backslash_escapes`: plain '...' strings take backslash escapes too (Redshift's lexer; see
// SplitOptions in statement_splitter.h).
BoundStatement bind_named_parameters(std::string_view sql, const std::vector<SqlParameter>& params,
                                     bool backslash_escapes = false);

}  // namespace stepd::sql
