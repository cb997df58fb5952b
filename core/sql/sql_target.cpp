#include "core/sql/sql_target.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>

#include <libpq-fe.h>

namespace stepd::sql {

namespace {

constexpr const char* kValidation = "ValidationException";
constexpr const char* kConnection = "DatabaseConnectionException";

// Options that libpq would accept in conninfo but that this configuration sets elsewhere: the
// password only from password_env/password_file, keepalives from their own fields.
const std::set<std::string, std::less<>> kManagedOptions = {
    "password", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count"};

const std::set<std::string, std::less<>> kPostgresFields = {"kind",
                                                            "conninfo",
                                                            "user",
                                                            "password_env",
                                                            "password_file",
                                                            "max_connections",
                                                            "dialect",
                                                            "statement_timeout_ms",
                                                            "keepalives_idle_s",
                                                            "keepalives_interval_s",
                                                            "keepalives_count",
                                                            "secret_arns"};

const std::set<std::string, std::less<>> kSqliteFields = {"kind", "path", "max_connections",
                                                          "statement_timeout_ms", "secret_arns"};

[[noreturn]] void config_error(const std::string& target, const std::string& field,
                               const std::string& problem) {
  std::string where = "sql_targets." + target;
  if (!field.empty()) where += "." + field;
  throw SqlConfigError(where + ": " + problem);
}

std::string get_string(const Json& obj, const std::string& target, const std::string& field,
                       bool allow_empty = false) {
  const Json& v = obj.at(field);
  if (!v.is_string()) config_error(target, field, "must be a string");
  std::string s = v.get<std::string>();
  if (!allow_empty && s.empty()) config_error(target, field, "must not be empty");
  return s;
}

long long get_integer(const Json& obj, const std::string& target, const std::string& field,
                      long long min, long long max) {
  const Json& v = obj.at(field);
  if (!v.is_number_integer()) config_error(target, field, "must be an integer");
  if (v.is_number_unsigned() &&
      v.get<unsigned long long>() > static_cast<unsigned long long>(max)) {
    config_error(target, field,
                 "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  long long n = v.get<long long>();
  if (n < min || n > max) {
    config_error(target, field,
                 "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return n;
}

bool valid_target_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

struct ConninfoOptionsDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

// Parses conninfo with libpq itself, so that what we accept is exactly what libpq will accept.
std::vector<std::pair<std::string, std::string>> parse_conninfo(const std::string& target,
                                                                const std::string& conninfo) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoOptionsDeleter> options(
      PQconninfoParse(conninfo.c_str(), &error));
  if (!options) {
    std::string why = error != nullptr ? error : "libpq could not parse it (out of memory?)";
    PQfreemem(error);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    config_error(target, "conninfo", "is not a valid libpq connection string: " + why);
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string keyword = o->keyword;
    if (keyword == "password") {
      // The message must not quote the conninfo: it holds the password.
      config_error(target, "conninfo",
                   "must not contain a password; use password_env or password_file");
    }
    if (kManagedOptions.count(keyword) != 0) {
      config_error(target, "conninfo",
                   "must not set " + keyword + "; use the target's keepalives_* fields");
    }
    out.emplace_back(std::move(keyword), o->val);
  }
  return out;
}

void set_option(std::vector<std::pair<std::string, std::string>>& options, std::string_view key,
                std::string value) {
  for (auto& [k, v] : options) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  options.emplace_back(std::string(key), std::move(value));
}

bool has_option(const std::vector<std::pair<std::string, std::string>>& options,
                std::string_view key) {
  for (const auto& option : options) {
    if (option.first == key) return true;
  }
  return false;
}

SqlTargetConfig parse_target(const std::string& name, const Json& obj) {
  if (!valid_target_name(name)) {
    config_error(name, "",
                 "target names are 1 to 63 lowercase letters, digits and '-', so that a "
                 "ClusterIdentifier or WorkgroupName can name them");
  }
  if (!obj.is_object()) config_error(name, "", "must be an object");
  SqlTargetConfig t;
  t.name = name;
  if (obj.contains("kind")) {
    std::string kind = get_string(obj, name, "kind");
    if (kind == "postgres") {
      t.kind = TargetKind::kPostgres;
    } else if (kind == "sqlite") {
      t.kind = TargetKind::kSqlite;
    } else {
      config_error(name, "kind", "must be \"postgres\" or \"sqlite\", not \"" + kind + "\"");
    }
  }
  const auto& allowed = t.kind == TargetKind::kSqlite ? kSqliteFields : kPostgresFields;
  for (const auto& [field, value] : obj.items()) {
    if (allowed.count(field) != 0) continue;
    if (t.kind == TargetKind::kSqlite && kPostgresFields.count(field) != 0) {
      config_error(name, field, "does not apply to a target of kind sqlite");
    }
    config_error(name, field, "is not a known field");
  }

  if (obj.contains("max_connections")) {
    t.max_connections = static_cast<int>(get_integer(obj, name, "max_connections", 1, 1000));
  }
  if (obj.contains("statement_timeout_ms")) {
    // PostgreSQL's statement_timeout is an int of milliseconds.
    t.statement_timeout_ms = get_integer(obj, name, "statement_timeout_ms", 0, 2147483647);
  }
  if (obj.contains("secret_arns")) {
    const Json& arns = obj.at("secret_arns");
    if (!arns.is_array()) config_error(name, "secret_arns", "must be a list of strings");
    for (const Json& arn : arns) {
      if (!arn.is_string() || arn.get<std::string>().empty()) {
        config_error(name, "secret_arns", "must be a list of non-empty strings");
      }
      t.secret_arns.push_back(arn.get<std::string>());
    }
  }

  if (t.kind == TargetKind::kSqlite) {
    if (!obj.contains("path")) config_error(name, "path", "is required for kind sqlite");
    t.path = get_string(obj, name, "path");
    return t;
  }

  if (!obj.contains("conninfo")) {
    config_error(name, "conninfo", "is required (e.g. \"host=... port=5439 dbname=dev\")");
  }
  t.conninfo = get_string(obj, name, "conninfo", true);
  t.conninfo_options = parse_conninfo(name, t.conninfo);
  if (obj.contains("user")) {
    t.user = get_string(obj, name, "user");
    if (has_option(t.conninfo_options, "user")) {
      config_error(name, "user", "is given twice: in conninfo and as the user field");
    }
  }
  if (obj.contains("password_env")) t.password_env = get_string(obj, name, "password_env");
  if (obj.contains("password_file")) t.password_file = get_string(obj, name, "password_file");
  if (t.password_env && t.password_file) {
    config_error(name, "password_file", "cannot be given together with password_env");
  }
  if (obj.contains("dialect")) {
    std::string dialect = get_string(obj, name, "dialect");
    if (dialect == "redshift") {
      t.dialect = SqlDialect::kRedshift;
    } else if (dialect == "postgres") {
      t.dialect = SqlDialect::kPostgres;
    } else {
      config_error(name, "dialect",
                   "must be \"redshift\" or \"postgres\", not \"" + dialect + "\"");
    }
  }
  if (obj.contains("keepalives_idle_s")) {
    t.keepalives_idle_s = static_cast<int>(get_integer(obj, name, "keepalives_idle_s", 1, 86400));
  }
  if (obj.contains("keepalives_interval_s")) {
    t.keepalives_interval_s =
        static_cast<int>(get_integer(obj, name, "keepalives_interval_s", 1, 3600));
  }
  if (obj.contains("keepalives_count")) {
    t.keepalives_count = static_cast<int>(get_integer(obj, name, "keepalives_count", 1, 100));
  }
  return t;
}

std::optional<std::string> request_string(const Json& request, const char* field) {
  if (!request.is_object() || !request.contains(field)) return std::nullopt;
  const Json& v = request.at(field);
  if (!v.is_string()) throw SqlTargetError(kValidation, std::string(field) + " must be a string");
  std::string s = v.get<std::string>();
  if (s.empty()) throw SqlTargetError(kValidation, std::string(field) + " must not be empty");
  return s;
}

Secret read_password(const SqlTargetConfig& t) {
  std::string password;
  std::string source;
  if (t.password_env) {
    source = "environment variable " + *t.password_env;
    const char* value = std::getenv(t.password_env->c_str());
    if (value == nullptr) {
      throw SqlTargetError(kConnection, "the password of SQL target '" + t.name + "' comes from " +
                                            source + ", which is not set");
    }
    password = value;
  } else if (t.password_file) {
    source = "file " + *t.password_file;
    std::ifstream in(*t.password_file, std::ios::binary);
    if (!in) {
      throw SqlTargetError(kConnection, "the password of SQL target '" + t.name + "' comes from " +
                                            source + ", which cannot be read");
    }
    password.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) {
      throw SqlTargetError(kConnection, "reading the password of SQL target '" + t.name +
                                            "' from " + source + " failed");
    }
    // Editors and `echo` end files with a newline that is not part of the password.
    if (!password.empty() && password.back() == '\n') {
      password.pop_back();
      if (!password.empty() && password.back() == '\r') password.pop_back();
    }
  } else {
    return Secret();
  }
  if (password.empty()) {
    throw SqlTargetError(
        kConnection, "the password of SQL target '" + t.name + "' from " + source + " is empty");
  }
  if (password.find('\0') != std::string::npos) {
    throw SqlTargetError(kConnection, "the password of SQL target '" + t.name + "' from " + source +
                                          " contains a NUL character");
  }
  return Secret(std::move(password));
}

}  // namespace

std::string quote_conninfo_value(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

std::string SqlTargetConfig::connection_string(const TargetOverrides& overrides) const {
  if (kind != TargetKind::kPostgres) {
    throw SqlTargetError(kValidation, "SQL target '" + name +
                                          "' is a sqlite target: it has no "
                                          "libpq connection string");
  }
  auto options = conninfo_options;
  if (overrides.database) set_option(options, "dbname", *overrides.database);
  if (overrides.db_user) {
    set_option(options, "user", *overrides.db_user);
  } else if (user) {
    set_option(options, "user", *user);
  }
  set_option(options, "keepalives", "1");
  set_option(options, "keepalives_idle", std::to_string(keepalives_idle_s));
  set_option(options, "keepalives_interval", std::to_string(keepalives_interval_s));
  set_option(options, "keepalives_count", std::to_string(keepalives_count));
  if (!has_option(options, "application_name")) set_option(options, "application_name", "stepd");

  std::string out;
  for (const auto& [key, value] : options) {
    if (!out.empty()) out += ' ';
    out += key;
    out += '=';
    out += quote_conninfo_value(value);
  }
  return out;
}

ConnectionSettings SqlTargetConfig::connection_settings(const TargetOverrides& overrides) const {
  ConnectionSettings settings;
  settings.conninfo = connection_string(overrides);
  settings.password = read_password(*this);
  return settings;
}

std::string SqlTargetConfig::describe() const {
  std::ostringstream out;
  out << name << ": ";
  if (kind == TargetKind::kSqlite) {
    out << "sqlite " << path;
  } else {
    out << (dialect == SqlDialect::kRedshift ? "redshift" : "postgres") << " "
        << connection_string();
    if (password_env) {
      out << ", password from environment variable " << *password_env;
    } else if (password_file) {
      out << ", password from file " << *password_file;
    } else {
      out << ", no password";
    }
  }
  out << ", max_connections " << max_connections;
  if (statement_timeout_ms > 0) out << ", statement_timeout_ms " << statement_timeout_ms;
  return out.str();
}

SqlTargets parse_sql_targets(const Json& config) {
  if (!config.is_object()) throw SqlConfigError("sql_targets must be an object of named targets");
  SqlTargets targets;
  std::map<std::string, std::string> owner_of_arn;
  for (const auto& [name, value] : config.items()) {
    SqlTargetConfig t = parse_target(name, value);
    for (const std::string& arn : t.secret_arns) {
      auto [it, added] = owner_of_arn.emplace(arn, name);
      if (!added) {
        config_error(name, "secret_arns",
                     "lists " + arn + ", which target '" + it->second + "' lists too");
      }
    }
    targets.emplace(name, std::move(t));
  }
  return targets;
}

const SqlTargetConfig* resolve_target(const SqlTargets& targets, const Json& request) {
  std::optional<std::string> cluster = request_string(request, "ClusterIdentifier");
  std::optional<std::string> workgroup = request_string(request, "WorkgroupName");
  std::optional<std::string> secret = request_string(request, "SecretArn");
  if (cluster && workgroup) {
    throw SqlTargetError(kValidation, "give either ClusterIdentifier or WorkgroupName, not both");
  }
  if (cluster || workgroup) {
    const std::string& name = cluster ? *cluster : *workgroup;
    const char* field = cluster ? "ClusterIdentifier" : "WorkgroupName";
    auto it = targets.find(name);
    if (it == targets.end()) {
      throw SqlTargetError(kValidation, std::string(field) + " '" + name +
                                            "' names no SQL target in the configuration");
    }
    if (secret) {
      const auto& arns = it->second.secret_arns;
      if (std::find(arns.begin(), arns.end(), *secret) == arns.end()) {
        throw SqlTargetError(kValidation, "SecretArn '" + *secret + "' is not listed in " +
                                              "secret_arns of SQL target '" + name + "'");
      }
    }
    return &it->second;
  }
  if (secret) {
    for (const auto& [name, target] : targets) {
      const auto& arns = target.secret_arns;
      if (std::find(arns.begin(), arns.end(), *secret) != arns.end()) return &target;
    }
    throw SqlTargetError(
        kValidation, "SecretArn '" + *secret + "' is not listed in secret_arns of any SQL target");
  }
  throw SqlTargetError(kValidation,
                       "the request names no SQL target: give ClusterIdentifier, WorkgroupName "
                       "or SecretArn");
}

TargetOverrides overrides_from_request(const Json& request) {
  TargetOverrides o;
  o.database = request_string(request, "Database");
  o.db_user = request_string(request, "DbUser");
  return o;
}

}  // namespace stepd::sql
