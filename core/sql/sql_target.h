#pragma once
// The `sql_targets` section of the configuration: named databases that SQL steps run on. A
// definition never holds credentials; it names a target the way AWS definitions name a cluster
// (ClusterIdentifier, WorkgroupName or SecretArn) and stepd looks the target up here. Passwords
// come from an environment variable or a file, are read only when a connection is opened, and
// never appear in any text this module builds for people to read.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/common/api_error.h"
#include "core/common/json.h"

namespace stepd::sql {

// A configuration mistake, found when the configuration is loaded; the message names the target
// and the field.
class SqlConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A request that names no usable target, or a target whose password cannot be read. code() is
// the Redshift Data API error name the task fails with.
class SqlTargetError : public ApiError {
 public:
  SqlTargetError(std::string code, std::string message)
      : ApiError(std::move(code), std::move(message)) {}
  const std::string& code() const { return type(); }
};

// Holds a password so that it cannot be printed by accident: there is no stream operator and
// no implicit conversion; reveal() is the one way to the text, for handing it to libpq.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  bool empty() const { return value_.empty(); }
  const std::string& reveal() const { return value_; }

 private:
  std::string value_;
};

// What a definition may change about a target for one statement.
struct TargetOverrides {
  std::optional<std::string> database;  // `Database`: replaces the conninfo's dbname
  std::optional<std::string> db_user;   // `DbUser`: replaces the configured user
};

// How to open one connection. `conninfo` is safe to log; the password goes to libpq as a
// separate keyword (PQconnectStartParams with {"dbname", "password"} and expand_dbname = 1:
// the expanded conninfo comes first and the later password keyword is added to it).
struct ConnectionSettings {
  std::string conninfo;
  Secret password;  // empty when the target authenticates without one (trust, certificates)
};

enum class TargetKind { kPostgres, kSqlite };
enum class SqlDialect { kPostgres, kRedshift };

struct SqlTargetConfig {
  std::string name;
  TargetKind kind = TargetKind::kPostgres;
  SqlDialect dialect = SqlDialect::kPostgres;

  // kind postgres: libpq options from `conninfo`, parsed and checked when loaded, in order.
  std::string conninfo;
  std::vector<std::pair<std::string, std::string>> conninfo_options;
  std::optional<std::string> user;
  std::optional<std::string> password_env;
  std::optional<std::string> password_file;
  int keepalives_idle_s = 60;
  int keepalives_interval_s = 10;
  int keepalives_count = 5;

  // kind sqlite: the database file.
  std::string path;

  int max_connections = 8;
  long long statement_timeout_ms = 0;    // 0: no limit unless the step sets TimeoutSeconds
  std::vector<std::string> secret_arns;  // SecretArn values that select this target

  // The libpq conninfo for this target with a definition's overrides applied: the configured
  // options, then dbname (Database), user (DbUser or the configured user), keepalives and
  // application_name=stepd, every value quoted. It never holds a password, so it may be logged.
  std::string connection_string(const TargetOverrides& overrides = {}) const;

  // connection_string() together with the password, read now from its environment variable or
  // file. Throws SqlTargetError
  // ("DatabaseConnectionException") when a configured password cannot be read, naming the
  // variable or file but never showing any part of a password.
  ConnectionSettings connection_settings(const TargetOverrides& overrides = {}) const;

  // One line about the target for logs and diagnostics; names where the password comes from,
  // never the password.
  std::string describe() const;
};

using SqlTargets = std::map<std::string, SqlTargetConfig>;

// Parses the `sql_targets` object. Throws SqlConfigError naming the target and the field.
SqlTargets parse_sql_targets(const Json& config);

// Picks the target a Redshift Data API request means: ClusterIdentifier or WorkgroupName names
// it; SecretArn alone selects the target that lists it under `secret_arns`, and beside a name it
// must be listed by that target. Throws SqlTargetError ("ValidationException") naming what was
// not found.
const SqlTargetConfig* resolve_target(const SqlTargets& targets, const Json& request);

// The request's Database and DbUser, when given.
TargetOverrides overrides_from_request(const Json& request);

// Quotes a value for a libpq conninfo string: in single quotes, with `\` and `'` escaped.
std::string quote_conninfo_value(std::string_view value);

}  // namespace stepd::sql
