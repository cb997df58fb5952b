#pragma once
// The server's settings and where they come from. Each setting can be given as a flag, as an
// environment variable or in a JSON config file; a flag beats the environment, which beats the
// file, which beats the default. Parsing is a pure function of (arguments, environment, file
// contents) so that tests need no process of their own.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/sql/sql_target.h"

namespace stepd::server {

struct Config {
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;
  std::string data_dir = "./data";
  std::string config_file;  // "" when none was given
  std::string region = "us-east-1";
  std::string account = "123456789012";
  std::string log_level = "info";  // trace debug info warn error critical off
  int http_threads = 4;
  int activity_poll_seconds = 60;
  int64_t history_limit = 25000;
  int64_t max_body_bytes = 3 * 1024 * 1024;
  std::string migrations_dir;  // "" = find it (see resolve_migrations_dir)
  std::string scripts_dir;     // where SqlFile names are looked up; "" = SqlFile refused
  // The key access-key secrets are sealed under (core/auth/secret_box.h); "" = data_dir/master.key.
  // Kept out of the database so that a copy of stepd.db alone opens no key.
  std::string master_key_file;
  // Databases SQL steps run on; only from the config file (it holds no passwords, only where
  // to read them). Relative sqlite paths and password files are taken from the file's folder.
  sql::SqlTargets sql_targets;

  bool help = false;
  bool version = false;

  std::string database_path() const;    // data_dir/stepd.db
  std::string master_key_path() const;  // master_key_file, or data_dir/master.key
  bool listens_on_loopback() const;     // 127.0.0.0/8 or localhost
};

// A setting that cannot be used; what() is the message for the user.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a file's text; nullopt when it cannot be read. Injected so tests need no files.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;
std::optional<std::string> read_file(const std::string& path);

// `args` are argv[1..]; `env` holds the environment (only STEPD_* names are read). Throws
// ConfigError.
Config load_config(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env,
                   const FileReader& reader = read_file);

// The environment of this process, STEPD_* variables only.
std::map<std::string, std::string> stepd_environment();

std::string usage();

// migrations/sqlite: the configured directory if set; else <exe dir>/../share/stepd/migrations/
// sqlite when it exists (an installed server); else the source tree's.
std::string resolve_migrations_dir(const Config& config, const std::string& exe_path,
                                   const std::string& source_dir);

}  // namespace stepd::server
