// server/config.cpp, compiled into this binary (see tests/CMakeLists.txt).
#include "server/config.h"

#include <gtest/gtest.h>

namespace stepd::server {
namespace {

using Env = std::map<std::string, std::string>;

FileReader files(std::map<std::string, std::string> contents) {
  return [contents](const std::string& path) -> std::optional<std::string> {
    auto it = contents.find(path);
    if (it == contents.end()) return std::nullopt;
    return it->second;
  };
}

std::string error_of(const std::vector<std::string>& args, const Env& env = {},
                     const FileReader& reader = files({})) {
  try {
    load_config(args, env, reader);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigTest, Defaults) {
  Config c = load_config({}, {}, files({}));
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 8080);
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.database_path(), "./data/stepd.db");
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_EQ(c.account, "123456789012");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.activity_poll_seconds, 60);
  EXPECT_EQ(c.history_limit, 25000);
  EXPECT_FALSE(c.help);
}

TEST(ConfigTest, FlagsInBothForms) {
  Config c =
      load_config({"--listen", "0.0.0.0:9000", "--data-dir=/var/lib/stepd", "--log-level", "debug",
                   "--http-threads=8", "--region", "eu-west-1", "--account", "000000000000"},
                  {}, files({}));
  EXPECT_EQ(c.listen_host, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 9000);
  EXPECT_EQ(c.data_dir, "/var/lib/stepd");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.http_threads, 8);
  EXPECT_EQ(c.region, "eu-west-1");
  EXPECT_EQ(c.account, "000000000000");
  EXPECT_TRUE(load_config({"--help"}, {}, files({})).help);
  // The HTTP library cannot listen on IPv6 literals: refused up front with a clear message.
  EXPECT_THROW(load_config({"--listen", "[::1]:81"}, {}, files({})), ConfigError);
}

TEST(ConfigTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  auto reader = files({{"/etc/stepd.json",
                        R"({"listen": "10.0.0.1:1000", "region": "ap-south-1",
                            "account": "111111111111", "log_level": "warn",
                            "history_limit": 500})"}});
  Env env = {{"STEPD_CONFIG", "/etc/stepd.json"},
             {"STEPD_REGION", "us-west-2"},
             {"STEPD_LISTEN", "10.0.0.2:2000"}};
  Config c = load_config({"--listen", "10.0.0.3:3000"}, env, reader);
  EXPECT_EQ(c.config_file, "/etc/stepd.json");
  EXPECT_EQ(c.listen_host, "10.0.0.3");  // flag
  EXPECT_EQ(c.listen_port, 3000);
  EXPECT_EQ(c.region, "us-west-2");      // environment over file
  EXPECT_EQ(c.account, "111111111111");  // file over default
  EXPECT_EQ(c.log_level, "warn");
  EXPECT_EQ(c.history_limit, 500);
  EXPECT_EQ(c.data_dir, "./data");  // default
}

TEST(ConfigTest, ConfigFlagBeatsConfigEnvironment) {
  auto reader =
      files({{"a.json", R"({"region": "eu-north-1"})"}, {"b.json", R"({"region": "eu-south-1"})"}});
  Config c = load_config({"--config", "b.json"}, {{"STEPD_CONFIG", "a.json"}}, reader);
  EXPECT_EQ(c.region, "eu-south-1");
}

TEST(ConfigTest, RelativePathsInAFileAreFromItsFolder) {
  auto reader = files(
      {{"/opt/stepd/stepd.json", R"({"data_dir": "state", "migrations_dir": "/abs/migrations"})"}});
  Config c = load_config({"--config", "/opt/stepd/stepd.json"}, {}, reader);
  EXPECT_EQ(c.data_dir, "/opt/stepd/state");
  EXPECT_EQ(c.migrations_dir, "/abs/migrations");
}

TEST(ConfigTest, EmptyEnvironmentValuesAreIgnored) {
  Config c = load_config({}, {{"STEPD_LISTEN", ""}}, files({}));
  EXPECT_EQ(c.listen_port, 8080);
}

TEST(ConfigTest, BadValuesSayWhatAndWhere) {
  EXPECT_NE(error_of({"--listen", "nope"}).find("--listen"), std::string::npos);
  EXPECT_NE(error_of({"--listen", "host:99999"}).find("--listen"), std::string::npos);
  EXPECT_NE(error_of({"--listen", ":80"}), "");
  EXPECT_NE(error_of({}, {{"STEPD_LISTEN", "x:y"}}).find("STEPD_LISTEN"), std::string::npos);
  EXPECT_NE(error_of({"--log-level", "loud"}).find("--log-level"), std::string::npos);
  EXPECT_NE(error_of({"--account", "12"}).find("12-digit"), std::string::npos);
  EXPECT_NE(error_of({"--region", "US EAST"}), "");
  EXPECT_NE(error_of({"--http-threads", "0"}), "");
  EXPECT_NE(error_of({"--http-threads", "four"}), "");
  EXPECT_NE(error_of({"--frobnicate"}).find("unknown argument"), std::string::npos);
  EXPECT_NE(error_of({"--listen"}).find("needs a value"), std::string::npos);
  EXPECT_NE(error_of({"--config", "missing.json"}).find("cannot read"), std::string::npos);
  auto file_error = [](const std::string& text) {
    return error_of({"--config", "c.json"}, {}, files({{"c.json", text}}));
  };
  EXPECT_NE(file_error("{oops").find("not valid JSON"), std::string::npos);
  EXPECT_NE(file_error("[]"), "");
  const std::string misspelt = "{\"lissten\": \"x\"}";
  EXPECT_NE(file_error(misspelt).find("unknown setting 'lissten'"), std::string::npos);
  const std::string wrong_type = "{\"http_threads\": \"4\"}";
  EXPECT_NE(file_error(wrong_type).find("http_threads"), std::string::npos);
}

TEST(ConfigTest, SqlTargetsAndScriptsComeFromTheFile) {
  Config c =
      load_config({"--config", "/etc/stepd/stepd.json"}, {}, files({{"/etc/stepd/stepd.json", R"({
    "scripts_dir": "sql",
    "sql_targets": {
      "demo": {"kind": "sqlite", "path": "demo.db"},
      "wh": {"conninfo": "host=db.internal port=5439 dbname=dev", "user": "etl",
             "password_file": "secrets/wh", "dialect": "redshift", "max_connections": 4}}})"}}));
  EXPECT_EQ(c.scripts_dir, "/etc/stepd/sql");
  ASSERT_EQ(c.sql_targets.size(), 2u);
  EXPECT_EQ(c.sql_targets.at("demo").kind, sql::TargetKind::kSqlite);
  EXPECT_EQ(c.sql_targets.at("demo").path, "/etc/stepd/demo.db");
  EXPECT_EQ(c.sql_targets.at("wh").password_file, "/etc/stepd/secrets/wh");
  EXPECT_EQ(c.sql_targets.at("wh").max_connections, 4);
  // A mistake in a target is a configuration error naming the file and the target.
  std::string err = error_of({"--config", "c.json"}, {},
                             files({{"c.json", R"({"sql_targets":{"wh":{"conninfo":"host=x",
                                                    "password":"inline"}}})"}}));
  EXPECT_NE(err.find("c.json"), std::string::npos) << err;
  EXPECT_NE(err.find("wh"), std::string::npos) << err;
  EXPECT_EQ(err.find("inline"), std::string::npos) << "a password is never echoed: " << err;
}

TEST(ConfigTest, UsageMentionsEveryFlagAndVariable) {
  std::string u = usage();
  for (const char* s : {"--listen", "--data-dir", "--config", "--log-level", "--region",
                        "--account", "STEPD_LISTEN", "STEPD_DATA_DIR", "STEPD_CONFIG",
                        "STEPD_REGION", "STEPD_ACCOUNT", "STEPD_LOG_LEVEL", "--help"}) {
    EXPECT_NE(u.find(s), std::string::npos) << s;
  }
}

TEST(ConfigTest, MigrationsDirectory) {
  Config c;
  c.migrations_dir = "/x/y";
  EXPECT_EQ(resolve_migrations_dir(c, "/usr/bin/stepd", "/src"), "/x/y");
  c.migrations_dir = "";
  // No installed copy next to this made-up binary: the source tree's.
  EXPECT_EQ(resolve_migrations_dir(c, "/nonexistent/bin/stepd", "/src"), "/src/migrations/sqlite");
}

}  // namespace
}  // namespace stepd::server
