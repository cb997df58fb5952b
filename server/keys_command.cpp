#include "server/keys_command.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "core/auth/keys.h"
#include "core/auth/secret_box.h"
#include "core/common/clock.h"
#include "core/common/json.h"
#include "core/store/sqlite_store.h"

namespace stepd::server {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKeysUsage =
    "Usage: stepd keys create --role admin|operator|worker [--data-dir DIR] [options]\n"
    "       stepd keys list [--data-dir DIR] [options]\n"
    "       stepd keys revoke ACCESS_KEY_ID [--data-dir DIR] [options]\n"
    "Options are the server's (--data-dir, --master-key-file, --config ...); see stepd --help.\n";

int usage_error(const std::string& message) {
  std::cerr << "stepd keys: " << message << "\n" << kKeysUsage;
  return 2;
}

}  // namespace

std::string master_key_for(store::Store& store, const Config& config) {
  const std::string path = config.master_key_path();
  std::error_code ec;
  if (!fs::exists(path, ec) && store.count_access_keys() > 0) {
    throw std::runtime_error("the database holds access keys but their master key file " + path +
                             " is missing; restore it from its backup (or point "
                             "--master-key-file at it)");
  }
  return auth::load_master_key(path, /*create=*/true);
}

int run_keys_command(const std::vector<std::string>& args, const std::string& exe_path) {
  if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
    std::cout << kKeysUsage;
    return args.size() < 2 ? 2 : 0;
  }
  const std::string verb = args[1];
  if (verb != "create" && verb != "list" && verb != "revoke") {
    return usage_error("unknown command '" + verb + "'");
  }

  // --role and the positional key id are ours; every other option is a server setting.
  std::string role_text;
  std::vector<std::string> positional;
  std::vector<std::string> settings;
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--role") {
      if (i + 1 >= args.size()) return usage_error("--role needs a value");
      role_text = args[++i];
    } else if (arg.starts_with("--role=")) {
      role_text = arg.substr(7);
    } else if (arg.starts_with("--")) {
      settings.push_back(arg);
      if (arg.find('=') == std::string::npos && i + 1 < args.size()) settings.push_back(args[++i]);
    } else {
      positional.push_back(arg);
    }
  }
  Config config;
  try {
    config = load_config(settings, stepd_environment());
  } catch (const ConfigError& e) {
    return usage_error(e.what());
  }

  std::optional<auth::Role> role;
  if (verb == "create") {
    role = auth::parse_role(role_text);
    if (!role) return usage_error("create needs --role admin, operator or worker");
    if (!positional.empty()) return usage_error("unexpected argument '" + positional[0] + "'");
  } else if (verb == "revoke") {
    if (positional.size() != 1) return usage_error("revoke needs exactly one ACCESS_KEY_ID");
  } else if (!positional.empty()) {
    return usage_error("unexpected argument '" + positional[0] + "'");
  }

  // Store messages go to stderr, and only problems: stdout carries the JSON answer.
  auto logger = spdlog::stderr_color_mt("stepd-keys");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);

  try {
    fs::create_directories(config.data_dir);
    store::SqliteStore store(config.database_path());
    store.migrate(resolve_migrations_dir(config, exe_path, STEPD_SOURCE_DIR));
    SystemClock clock;

    if (verb == "create") {
      auth::SecretBox box(master_key_for(store, config));
      auth::IssuedKey key = auth::issue_access_key(store, box, *role, clock.now_ms());
      Json out = {{"role", std::string(auth::role_name(key.role))},
                  {"access_key_id", key.access_key_id},
                  {"secret_access_key", key.secret_access_key}};
      std::cout << out.dump(2) << std::endl;
      std::cerr << "stepd keys: the secret is shown only this once; keep it safe. Back up "
                << config.master_key_path() << " apart from the database.\n";
      return 0;
    }
    if (verb == "list") {
      Json keys = Json::array();
      for (const auto& key : store.list_access_keys()) {
        Json row = {{"access_key_id", key.access_key_id},
                    {"role", key.role},
                    {"created", format_iso8601_ms(key.created_ms)},
                    {"status", key.revoked_ms == 0 ? "Active" : "Revoked"}};
        if (key.revoked_ms != 0) row["revoked"] = format_iso8601_ms(key.revoked_ms);
        keys.push_back(std::move(row));
      }
      std::cout << Json{{"access_keys", keys}}.dump(2) << std::endl;
      return 0;
    }
    const std::string& id = positional[0];
    if (!store.revoke_access_key(id, clock.now_ms())) {
      std::cerr << "stepd keys: no access key " << id << "\n";
      return 1;
    }
    std::cout << Json{{"access_key_id", id}, {"status", "Revoked"}}.dump(2) << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "stepd keys: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace stepd::server
