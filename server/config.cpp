#include "server/config.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/json.h"

extern char** environ;

namespace stepd::server {
namespace {

namespace fs = std::filesystem;

// One row per setting: its key in the config file, its flag and its environment variable, and
// how a text value (flag, environment) is applied. Config-file values go through the same
// function after a type check, so every source is validated alike.
struct Setting {
  const char* key;
  const char* flag;
  const char* env;
  bool is_integer;
  bool is_path;  // relative paths in a config file are taken from the file's folder
  void (*apply)(Config& c, const std::string& value);
  const char* metavar;
  const char* help;
};

int64_t parse_int(const std::string& text, int64_t min, int64_t max) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw ConfigError("expected an integer, got '" + text + "'");
  }
  if (v < min || v > max) {
    throw ConfigError("must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      ", got " + text);
  }
  return v;
}

void apply_listen(Config& c, const std::string& v) {
  auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw ConfigError("expected HOST:PORT, got '" + v + "'");
  }
  std::string host = v.substr(0, colon);
  if (host.find(':') != std::string::npos) {
    // cpprestsdk's Linux listener hands the bracketed host to its resolver, which fails with
    // "Service not found": say so here instead of failing at start.
    throw ConfigError("IPv6 listen addresses are not supported yet, got '" + v +
                      "'; use an IPv4 address such as 127.0.0.1 or 0.0.0.0");
  }
  if (host.empty()) throw ConfigError("expected HOST:PORT, got '" + v + "'");
  int64_t port;
  try {
    port = parse_int(v.substr(colon + 1), 1, 65535);
  } catch (const ConfigError& e) {
    throw ConfigError("port of '" + v + "': " + e.what());
  }
  c.listen_host = host;
  c.listen_port = static_cast<int>(port);
}

void apply_data_dir(Config& c, const std::string& v) {
  if (v.empty()) throw ConfigError("must not be empty");
  c.data_dir = v;
}

void apply_region(Config& c, const std::string& v) {
  bool ok = !v.empty() && v.size() <= 32 && std::all_of(v.begin(), v.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
  });
  if (!ok) throw ConfigError("expected a region name such as us-east-1, got '" + v + "'");
  c.region = v;
}

void apply_account(Config& c, const std::string& v) {
  bool ok = v.size() == 12 &&
            std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  if (!ok) throw ConfigError("expected a 12-digit account id, got '" + v + "'");
  c.account = v;
}

void apply_log_level(Config& c, const std::string& v) {
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (std::find_if(std::begin(kLevels), std::end(kLevels), [&](const char* l) { return v == l; }) ==
      std::end(kLevels)) {
    throw ConfigError("expected one of trace, debug, info, warn, error, critical, off; got '" + v +
                      "'");
  }
  c.log_level = v;
}

void apply_http_threads(Config& c, const std::string& v) {
  c.http_threads = static_cast<int>(parse_int(v, 1, 256));
}
void apply_activity_poll(Config& c, const std::string& v) {
  c.activity_poll_seconds = static_cast<int>(parse_int(v, 1, 3600));
}
void apply_history_limit(Config& c, const std::string& v) {
  c.history_limit = parse_int(v, 100, 100000000);
}
void apply_max_body(Config& c, const std::string& v) {
  c.max_body_bytes = parse_int(v, 1024, int64_t{1} << 30);
}
void apply_migrations_dir(Config& c, const std::string& v) {
  c.migrations_dir = v;
}
void apply_scripts_dir(Config& c, const std::string& v) {
  c.scripts_dir = v;
}
void apply_master_key_file(Config& c, const std::string& v) {
  c.master_key_file = v;
}

// `sql_targets` is an object, so it has no flag or environment variable; the module that uses
// it checks it, and relative file names are made relative to the config file.
void apply_sql_targets(Config& c, const Json& value, const fs::path& base,
                       const std::string& path) {
  try {
    c.sql_targets = sql::parse_sql_targets(value);
  } catch (const sql::SqlConfigError& e) {
    throw ConfigError("config file '" + path + "': " + e.what());
  }
  auto rebase = [&](std::string& file) {
    if (!file.empty() && fs::path(file).is_relative() && !base.empty()) {
      file = (base / file).lexically_normal().string();
    }
  };
  for (auto& [name, target] : c.sql_targets) {
    rebase(target.path);
    if (target.password_file) rebase(*target.password_file);
  }
}

const Setting kSettings[] = {
    {"listen", "--listen", "STEPD_LISTEN", false, false, apply_listen, "HOST:PORT",
     "HOST:PORT to serve HTTP on (default 127.0.0.1:8080)"},
    {"data_dir", "--data-dir", "STEPD_DATA_DIR", false, true, apply_data_dir, "DIR",
     "folder of the SQLite database stepd.db; created if missing (default ./data)"},
    {"region", "--region", "STEPD_REGION", false, false, apply_region, "REGION",
     "region named in ARNs (default us-east-1)"},
    {"account", "--account", "STEPD_ACCOUNT", false, false, apply_account, "ACCOUNT",
     "account id named in ARNs (default 123456789012)"},
    {"log_level", "--log-level", "STEPD_LOG_LEVEL", false, false, apply_log_level, "LEVEL",
     "trace, debug, info, warn, error, critical or off (default info)"},
    {"http_threads", "--http-threads", "STEPD_HTTP_THREADS", true, false, apply_http_threads, "N",
     "threads serving HTTP (default 4)"},
    {"activity_poll_seconds", "--activity-poll-seconds", "STEPD_ACTIVITY_POLL_SECONDS", true, false,
     apply_activity_poll, "SECONDS", "how long GetActivityTask waits for a task (default 60)"},
    {"history_limit", "--history-limit", "STEPD_HISTORY_LIMIT", true, false, apply_history_limit,
     "N", "most history events per execution (default 25000)"},
    {"max_body_bytes", "--max-body-bytes", "STEPD_MAX_BODY_BYTES", true, false, apply_max_body,
     "BYTES", "largest request body accepted (default 3145728)"},
    {"migrations_dir", "--migrations-dir", "STEPD_MIGRATIONS_DIR", false, true,
     apply_migrations_dir, "DIR",
     "folder of the SQLite schema files (default: found next to stepd)"},
    {"scripts_dir", "--scripts-dir", "STEPD_SCRIPTS_DIR", false, true, apply_scripts_dir, "DIR",
     "folder that SqlFile names in SQL steps are looked up in (default: none, SqlFile refused)"},
    {"master_key_file", "--master-key-file", "STEPD_MASTER_KEY_FILE", false, true,
     apply_master_key_file, "FILE",
     "32-byte key that access-key secrets are encrypted under; created if missing (default\n"
     "      DATA_DIR/master.key). Back it up apart from the database"},
};

void apply(const Setting& s, Config& c, const std::string& value, const std::string& source) {
  try {
    s.apply(c, value);
  } catch (const ConfigError& e) {
    throw ConfigError(source + ": " + e.what());
  }
}

void apply_file(Config& c, const std::string& path, const FileReader& reader) {
  auto text = reader(path);
  if (!text) throw ConfigError("cannot read config file '" + path + "'");
  Json doc;
  try {
    doc = Json::parse(*text);
  } catch (const Json::parse_error& e) {
    throw ConfigError("config file '" + path + "' is not valid JSON: " + e.what());
  }
  if (!doc.is_object()) throw ConfigError("config file '" + path + "' must hold a JSON object");
  fs::path base = fs::path(path).parent_path();
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() == "sql_targets") {
      apply_sql_targets(c, it.value(), base, path);
      continue;
    }
    const Setting* s = nullptr;
    for (const auto& candidate : kSettings) {
      if (it.key() == candidate.key) s = &candidate;
    }
    std::string source = "config file '" + path + "': " + it.key();
    // A misspelt key would otherwise be silently ignored.
    if (!s) throw ConfigError("config file '" + path + "': unknown setting '" + it.key() + "'");
    std::string value;
    if (s->is_integer) {
      if (!it.value().is_number_integer()) throw ConfigError(source + ": expected an integer");
      value = std::to_string(it.value().get<int64_t>());
    } else {
      if (!it.value().is_string()) throw ConfigError(source + ": expected a string");
      value = it.value().get<std::string>();
      if (s->is_path && !value.empty() && fs::path(value).is_relative() && !base.empty()) {
        value = (base / value).lexically_normal().string();
      }
    }
    apply(*s, c, value, source);
  }
}

}  // namespace

std::string Config::database_path() const {
  return (fs::path(data_dir) / "stepd.db").string();
}

std::string Config::master_key_path() const {
  if (!master_key_file.empty()) return master_key_file;
  return (fs::path(data_dir) / "master.key").string();
}

bool Config::listens_on_loopback() const {
  return listen_host == "localhost" || listen_host.starts_with("127.");
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return out.str();
}

Config load_config(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const FileReader& reader) {
  Config c;
  // Flags first, applied last: they win, but the config file they may name comes first.
  std::vector<std::pair<const Setting*, std::string>> flags;
  std::optional<std::string> config_flag;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      c.help = true;
      continue;
    }
    if (arg == "--version") {
      c.version = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const Setting* s = nullptr;
    for (const auto& candidate : kSettings) {
      if (name == candidate.flag) s = &candidate;
    }
    if (!s && name != "--config") throw ConfigError("unknown argument '" + arg + "'");
    if (!value) {
      if (i + 1 >= args.size()) throw ConfigError(name + " needs a value");
      value = args[++i];
    }
    if (s) {
      flags.emplace_back(s, *value);
    } else {
      config_flag = *value;
    }
  }

  auto env_value = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };

  std::optional<std::string> config_path = config_flag ? config_flag : env_value("STEPD_CONFIG");
  if (config_path) {
    if (config_path->empty()) throw ConfigError("--config needs a file name");
    c.config_file = *config_path;
    apply_file(c, *config_path, reader);
  }
  for (const auto& s : kSettings) {
    if (auto v = env_value(s.env)) apply(s, c, *v, s.env);
  }
  for (const auto& [s, v] : flags) apply(*s, c, v, s->flag);
  return c;
}

std::map<std::string, std::string> stepd_environment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string::npos || !entry.starts_with("STEPD_")) continue;
    out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

std::string usage() {
  std::ostringstream out;
  out << "Usage: stepd [options]\n"
         "       stepd keys create --role admin|operator|worker [options]\n"
         "       stepd keys list [options]\n"
         "       stepd keys revoke ACCESS_KEY_ID [options]\n"
         "\n"
         "A self-hosted server that speaks the AWS Step Functions API.\n"
         "\n"
         "`stepd keys` manages the access keys clients authenticate with, in the database of\n"
         "--data-dir (the server may be running); `create` prints the new key once as JSON.\n"
         "Without any key the server serves 127.0.0.1 only, unauthenticated.\n"
         "\n"
         "Options (each also settable by the environment variable shown, or by the key of the\n"
         "same name in the JSON config file; a flag beats the environment, which beats the\n"
         "file, which beats the default):\n"
         "\n";
  auto row = [&](const std::string& flag, const std::string& env, const std::string& help) {
    out << "  " << flag << "\n      " << help << "\n      env " << env << "\n";
  };
  row("--config FILE", "STEPD_CONFIG",
      "JSON file of settings: listen, data_dir, region, account, log_level, http_threads,\n"
      "      activity_poll_seconds, history_limit, max_body_bytes, migrations_dir, scripts_dir,\n"
      "      master_key_file, and sql_targets (the databases SQL steps run on; see the README)");
  for (const auto& s : kSettings) {
    std::string flag = std::string(s.flag) + " " + s.metavar;
    row(flag, s.env, s.help);
  }
  out << "  --help\n      show this text\n"
         "  --version\n      show the version\n"
         "\n"
         "Exit codes: 0 after a clean shutdown (SIGINT, SIGTERM), 1 when the server fails,\n"
         "2 for a bad configuration.\n";
  return out.str();
}

std::string resolve_migrations_dir(const Config& config, const std::string& exe_path,
                                   const std::string& source_dir) {
  if (!config.migrations_dir.empty()) return config.migrations_dir;
  std::error_code ec;
  fs::path installed =
      fs::path(exe_path).parent_path() / ".." / "share" / "stepd" / "migrations" / "sqlite";
  if (fs::is_directory(installed, ec)) return installed.lexically_normal().string();
  return (fs::path(source_dir) / "migrations" / "sqlite").string();
}

}  // namespace stepd::server
