#include "core/sql/sql_target.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace stepd::sql {
namespace {

constexpr const char* kPassword = "s3cr'et\\pw; DROP";
constexpr const char* kEnv = "STEPD_SQL_TARGET_TEST_PASSWORD";

Json analytics_config() {
  return Json::parse(R"({
    "analytics": {"conninfo": "host=h port=5439 dbname=dev sslmode=require", "user": "etl",
                  "password_env": "STEPD_SQL_TARGET_TEST_PASSWORD", "max_connections": 8,
                  "statement_timeout_ms": 0, "keepalives_idle_s": 60, "dialect": "redshift",
                  "secret_arns": ["arn:aws:secretsmanager:us-east-1:1:secret:etl"]},
    "demo": {"kind": "sqlite", "path": "./demo.db"}
  })");
}

// Parses one target `t` with the given members and returns the error message (or "").
std::string config_error(const std::string& members) {
  try {
    parse_sql_targets(Json::parse("{\"t\": " + members + "}"));
  } catch (const SqlConfigError& e) {
    return e.what();
  }
  return "";
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    path_ =
        std::filesystem::temp_directory_path() /
        ("stepd_sql_target_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

class EnvPassword {
 public:
  explicit EnvPassword(const char* value) { ::setenv(kEnv, value, 1); }
  ~EnvPassword() { ::unsetenv(kEnv); }
};

TEST(SqlTargets, ParsesBothKinds) {
  SqlTargets targets = parse_sql_targets(analytics_config());
  ASSERT_EQ(targets.size(), 2u);
  const SqlTargetConfig& a = targets.at("analytics");
  EXPECT_EQ(a.name, "analytics");
  EXPECT_EQ(a.kind, TargetKind::kPostgres);
  EXPECT_EQ(a.dialect, SqlDialect::kRedshift);
  EXPECT_EQ(a.user, "etl");
  EXPECT_EQ(a.password_env, kEnv);
  EXPECT_FALSE(a.password_file);
  EXPECT_EQ(a.max_connections, 8);
  EXPECT_EQ(a.keepalives_idle_s, 60);
  ASSERT_EQ(a.secret_arns.size(), 1u);
  const SqlTargetConfig& d = targets.at("demo");
  EXPECT_EQ(d.kind, TargetKind::kSqlite);
  EXPECT_EQ(d.path, "./demo.db");
}

TEST(SqlTargets, DefaultsAreSensible) {
  SqlTargets targets = parse_sql_targets(Json::parse(R"({"pg": {"conninfo": "host=x"}})"));
  const SqlTargetConfig& t = targets.at("pg");
  EXPECT_EQ(t.dialect, SqlDialect::kPostgres);
  EXPECT_EQ(t.max_connections, 8);
  EXPECT_EQ(t.statement_timeout_ms, 0);
  EXPECT_FALSE(t.user);
  EXPECT_EQ(t.connection_settings().password.reveal(), "");
}

TEST(SqlTargets, ErrorsNameTargetAndField) {
  struct Case {
    const char* members;
    const char* expected;
  };
  const Case cases[] = {
      {R"({"conninfo": "host=h", "colour": "red"})", "sql_targets.t.colour: is not a known"},
      {R"({"conninfo": 5})", "sql_targets.t.conninfo: must be a string"},
      {R"({"conninfo": "host=h", "max_connections": "8"})", "t.max_connections: must be an int"},
      {R"({"conninfo": "host=h", "max_connections": 8.5})", "t.max_connections: must be an int"},
      {R"({"conninfo": "host=h", "max_connections": 0})", "t.max_connections: must be between 1"},
      {R"({"conninfo": "host=h", "max_connections": 1001})", "t.max_connections: must be betw"},
      {R"({"conninfo": "host=h", "max_connections": 18446744073709551615})",
       "t.max_connections: must be between"},
      {R"({"conninfo": "host=h", "statement_timeout_ms": -1})", "t.statement_timeout_ms"},
      {R"({"conninfo": "host=h", "password_env": "A", "password_file": "/f"})",
       "t.password_file: cannot be given together with password_env"},
      {R"({"conninfo": "host=h", "dialect": "mysql"})", "t.dialect: must be \"redshift\""},
      {R"({"kind": "oracle"})", "t.kind: must be \"postgres\" or \"sqlite\""},
      {R"({"kind": "sqlite"})", "t.path: is required for kind sqlite"},
      {R"({"kind": "sqlite", "path": "x.db", "conninfo": "host=h"})",
       "t.conninfo: does not apply to a target of kind sqlite"},
      {R"({})", "t.conninfo: is required"},
      {R"({"conninfo": "host=h port"})", "t.conninfo: is not a valid libpq connection string"},
      {R"({"conninfo": "host=h nosuchoption=1"})", "t.conninfo: is not a valid libpq"},
      {R"({"conninfo": "host=h keepalives_idle=5"})", "t.conninfo: must not set keepalives_idle"},
      {R"({"conninfo": "host=h user=a", "user": "b"})", "t.user: is given twice"},
      {R"({"conninfo": "host=h", "user": ""})", "t.user: must not be empty"},
      {R"({"conninfo": "host=h", "secret_arns": "arn"})", "t.secret_arns: must be a list"},
      {R"({"conninfo": "host=h", "keepalives_count": 0})", "t.keepalives_count: must be betw"},
      {R"([])", "sql_targets.t: must be an object"},
  };
  for (const Case& c : cases) {
    std::string m = config_error(c.members);
    EXPECT_NE(m.find(c.expected), std::string::npos) << c.members << " gave: " << m;
  }
}

TEST(SqlTargets, PasswordInsideConninfoIsRefusedWithoutEchoingIt) {
  for (const char* conninfo : {"host=h password=hunter2", "postgresql://etl:hunter2@h:5439/dev"}) {
    std::string m = config_error(Json{{"conninfo", conninfo}}.dump());
    EXPECT_NE(m.find("must not contain a password"), std::string::npos) << m;
    EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
  }
}

TEST(SqlTargets, TargetNamesMustBeUsableAsClusterIdentifiers) {
  EXPECT_THROW(parse_sql_targets(Json::parse(R"({"Analytics": {"conninfo": "host=h"}})")),
               SqlConfigError);
  EXPECT_THROW(parse_sql_targets(Json::parse(R"({"": {"conninfo": "host=h"}})")), SqlConfigError);
  EXPECT_THROW(parse_sql_targets(Json::parse(R"([])")), SqlConfigError);
}

TEST(SqlTargets, OneSecretArnBelongsToOneTarget) {
  std::string m;
  try {
    parse_sql_targets(Json::parse(R"({"a": {"conninfo": "host=h", "secret_arns": ["s"]},
                                      "b": {"kind": "sqlite", "path": "p", "secret_arns": ["s"]}})"));
  } catch (const SqlConfigError& e) {
    m = e.what();
  }
  EXPECT_NE(m.find("sql_targets.b.secret_arns"), std::string::npos) << m;
}

TEST(ConnectionString, HasConfiguredOptionsUserKeepalivesAndApplicationName) {
  // The configured options come back in libpq's own order of keywords.
  SqlTargets targets = parse_sql_targets(analytics_config());
  EXPECT_EQ(targets.at("analytics").connection_string(),
            "dbname='dev' host='h' port='5439' sslmode='require' user='etl' keepalives='1' "
            "keepalives_idle='60' keepalives_interval='10' keepalives_count='5' "
            "application_name='stepd'");
}

TEST(ConnectionString, DatabaseAndDbUserOverride) {
  SqlTargets targets = parse_sql_targets(analytics_config());
  TargetOverrides o{"reports", "loader"};
  std::string s = targets.at("analytics").connection_string(o);
  EXPECT_NE(s.find("dbname='reports'"), std::string::npos) << s;
  EXPECT_NE(s.find("user='loader'"), std::string::npos) << s;
  EXPECT_EQ(s.find("dev"), std::string::npos) << s;
  EXPECT_EQ(s.find("etl"), std::string::npos) << s;
  // dbname is added when the conninfo has none.
  SqlTargets bare = parse_sql_targets(Json::parse(R"({"pg": {"conninfo": "host=x"}})"));
  EXPECT_NE(bare.at("pg").connection_string(o).find("dbname='reports'"), std::string::npos);
}

TEST(ConnectionString, ValuesAreQuotedForLibpq) {
  EXPECT_EQ(quote_conninfo_value(""), "''");
  EXPECT_EQ(quote_conninfo_value("a b"), "'a b'");
  EXPECT_EQ(quote_conninfo_value(R"(it's a\b)"), R"('it\'s a\\b')");
  SqlTargets targets = parse_sql_targets(Json::parse(R"({"pg": {"conninfo": "host=x"}})"));
  // A hostile Database override cannot add options: libpq reads it back as one dbname.
  std::string s = targets.at("pg").connection_string({"d' password='x", R"(u\ x)"});
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(s.c_str(), &error);
  ASSERT_NE(options, nullptr) << (error ? error : "");
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    std::string k = o->keyword;
    if (k == "dbname") {
      EXPECT_STREQ(o->val, "d' password='x");
    }
    if (k == "user") {
      EXPECT_STREQ(o->val, R"(u\ x)");
    }
    if (k == "password") {
      EXPECT_EQ(o->val, nullptr);
    }
    if (k == "application_name") {
      EXPECT_STREQ(o->val, "stepd");
    }
  }
  PQconninfoFree(options);
}

TEST(ConnectionString, KeepsTheConfiguredApplicationName) {
  SqlTargets t =
      parse_sql_targets(Json::parse(R"({"pg": {"conninfo": "host=x application_name=etl"}})"));
  std::string s = t.at("pg").connection_string();
  EXPECT_NE(s.find("application_name='etl'"), std::string::npos) << s;
  EXPECT_EQ(s.find("stepd"), std::string::npos) << s;
}

TEST(ConnectionString, SqliteTargetsHaveNone) {
  SqlTargets targets = parse_sql_targets(analytics_config());
  EXPECT_THROW(targets.at("demo").connection_string(), SqlTargetError);
}

TEST(Password, ComesFromTheEnvironmentAtCallTime) {
  SqlTargets targets = parse_sql_targets(analytics_config());
  const SqlTargetConfig& a = targets.at("analytics");
  {
    EnvPassword env(kPassword);
    ConnectionSettings s = a.connection_settings();
    EXPECT_EQ(s.password.reveal(), kPassword);
    EXPECT_EQ(s.conninfo, a.connection_string());
  }
  {
    EnvPassword env("rotated");
    EXPECT_EQ(a.connection_settings().password.reveal(), "rotated");
  }
}

TEST(Password, MissingOrEmptyEnvironmentVariableIsAnError) {
  SqlTargets targets = parse_sql_targets(analytics_config());
  ::unsetenv(kEnv);
  try {
    targets.at("analytics").connection_settings();
    ADD_FAILURE() << "no error";
  } catch (const SqlTargetError& e) {
    EXPECT_EQ(e.code(), "DatabaseConnectionException");
    EXPECT_NE(e.message().find(kEnv), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("analytics"), std::string::npos) << e.message();
  }
  EnvPassword empty("");
  EXPECT_THROW(targets.at("analytics").connection_settings(), SqlTargetError);
}

TEST(Password, ComesFromAFileWithoutItsTrailingNewline) {
  for (const std::string& content :
       {std::string(kPassword) + "\n", std::string(kPassword) + "\r\n", std::string(kPassword)}) {
    TempFile file(content);
    SqlTargets t =
        parse_sql_targets(Json{{"pg", {{"conninfo", "host=x"}, {"password_file", file.path()}}}});
    EXPECT_EQ(t.at("pg").connection_settings().password.reveal(), kPassword);
  }
  // Only one newline is trimmed: a password may itself end in a newline.
  TempFile two(std::string(kPassword) + "\n\n");
  SqlTargets t =
      parse_sql_targets(Json{{"pg", {{"conninfo", "host=x"}, {"password_file", two.path()}}}});
  EXPECT_EQ(t.at("pg").connection_settings().password.reveal(), std::string(kPassword) + "\n");
}

TEST(Password, UnreadableOrEmptyFileIsAnError) {
  SqlTargets missing = parse_sql_targets(
      Json{{"pg", {{"conninfo", "host=x"}, {"password_file", "/nonexistent/stepd/password"}}}});
  try {
    missing.at("pg").connection_settings();
    ADD_FAILURE() << "no error";
  } catch (const SqlTargetError& e) {
    EXPECT_NE(e.message().find("/nonexistent/stepd/password"), std::string::npos);
  }
  TempFile empty("\n");
  SqlTargets t =
      parse_sql_targets(Json{{"pg", {{"conninfo", "host=x"}, {"password_file", empty.path()}}}});
  EXPECT_THROW(t.at("pg").connection_settings(), SqlTargetError);
}

TEST(Password, NeverInLoggableText) {
  EnvPassword env(kPassword);
  TempFile file(std::string(kPassword) + "\n");
  SqlTargets targets = parse_sql_targets(analytics_config());
  SqlTargets from_file =
      parse_sql_targets(Json{{"pg", {{"conninfo", "host=x"}, {"password_file", file.path()}}}});
  for (const SqlTargetConfig* t : {&targets.at("analytics"), &from_file.at("pg")}) {
    ASSERT_EQ(t->connection_settings().password.reveal(), kPassword);
    std::string texts[] = {
        t->describe(),
        t->connection_string(),
        t->connection_string({"db", "user"}),
        t->connection_settings().conninfo,
        t->connection_settings({"db", "user"}).conninfo,
    };
    for (const std::string& text : texts) {
      EXPECT_EQ(text.find("s3cr"), std::string::npos) << text;
      EXPECT_EQ(text.find("password="), std::string::npos) << text;
    }
  }
  std::string d = targets.at("analytics").describe();
  EXPECT_NE(d.find("password from environment variable " + std::string(kEnv)), std::string::npos)
      << d;
  EXPECT_NE(from_file.at("pg").describe().find("password from file " + file.path()),
            std::string::npos);
  EXPECT_NE(targets.at("demo").describe().find("sqlite ./demo.db"), std::string::npos);
}

TEST(ResolveTarget, ByClusterIdentifierOrWorkgroupName) {
  SqlTargets targets = parse_sql_targets(analytics_config());
  EXPECT_EQ(resolve_target(targets, {{"ClusterIdentifier", "analytics"}, {"Sql", "SELECT 1"}}),
            &targets.at("analytics"));
  EXPECT_EQ(resolve_target(targets, {{"WorkgroupName", "demo"}}), &targets.at("demo"));
}

TEST(ResolveTarget, BySecretArn) {
  SqlTargets targets = parse_sql_targets(analytics_config());
  const char* arn = "arn:aws:secretsmanager:us-east-1:1:secret:etl";
  EXPECT_EQ(resolve_target(targets, {{"SecretArn", arn}}), &targets.at("analytics"));
  EXPECT_EQ(resolve_target(targets, {{"ClusterIdentifier", "analytics"}, {"SecretArn", arn}}),
            &targets.at("analytics"));
}

TEST(ResolveTarget, ErrorsNameWhatWasNotFound) {
  SqlTargets targets = parse_sql_targets(analytics_config());
  struct Case {
    Json request;
    const char* expected;
  };
  const Case cases[] = {
      {{{"ClusterIdentifier", "warehouse"}}, "ClusterIdentifier 'warehouse' names no SQL target"},
      {{{"WorkgroupName", "wg-1"}}, "WorkgroupName 'wg-1' names no SQL target"},
      {{{"SecretArn", "arn:x"}}, "SecretArn 'arn:x' is not listed in secret_arns of any"},
      {{{"ClusterIdentifier", "demo"},
        {"SecretArn", "arn:aws:secretsmanager:us-east-1:1:secret:etl"}},
       "is not listed in secret_arns of SQL target 'demo'"},
      {{{"ClusterIdentifier", "analytics"}, {"WorkgroupName", "demo"}}, "not both"},
      {{{"Sql", "SELECT 1"}}, "names no SQL target"},
      {{{"ClusterIdentifier", 5}}, "ClusterIdentifier must be a string"},
  };
  for (const Case& c : cases) {
    try {
      resolve_target(targets, c.request);
      ADD_FAILURE() << "no error for " << c.request.dump();
    } catch (const SqlTargetError& e) {
      EXPECT_EQ(e.code(), "ValidationException");
      EXPECT_NE(e.message().find(c.expected), std::string::npos) << e.message();
    }
  }
}

TEST(ResolveTarget, OverridesFromRequest) {
  TargetOverrides o = overrides_from_request({{"Database", "dev2"}, {"DbUser", "loader"}});
  EXPECT_EQ(o.database, "dev2");
  EXPECT_EQ(o.db_user, "loader");
  TargetOverrides none = overrides_from_request({{"Sql", "SELECT 1"}});
  EXPECT_FALSE(none.database);
  EXPECT_FALSE(none.db_user);
  EXPECT_THROW(overrides_from_request({{"Database", ""}}), SqlTargetError);
}

}  // namespace
}  // namespace stepd::sql
