// The composition root: reads the configuration, builds every part in dependency order, serves
// until SIGINT/SIGTERM and takes everything down in reverse. No logic of its own lives here.
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "api/cpprest_http_invoker.h"
#include "api/cpprest_threads.h"
#include "api/http_server.h"
#include "core/auth/authenticator.h"
#include "core/common/clock.h"
#include "core/common/metrics.h"
#include "core/common/token_codec.h"
#include "core/engine/engine.h"
#include "core/ops/service.h"
#include "core/sql/pg_pool.h"
#include "core/sql/redshift_data.h"
#include "core/sql/sql_metrics.h"
#include "core/sql/sqlite_executor.h"
#include "core/store/sqlite_store.h"
#include "core/tasks/activity_dispatcher.h"
#include "core/tasks/callback_service.h"
#include "core/tasks/http_task_runner.h"
#include "core/tasks/sql_task_runner.h"
#include "server/config.h"
#include "server/keys_command.h"

namespace {

namespace fs = std::filesystem;
using namespace stepd;

std::string exe_path(const char* argv0) {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(argv0) : p.string();
}

// The key is kept hex-encoded in the store's meta table.
std::string decode_hex_key(const std::string& hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) throw std::runtime_error("task_token_key in the store is not hex");
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) throw std::runtime_error("task_token_key in the store is not hex");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("stepd");
  spdlog::set_default_logger(logger);
  // One line per event, UTC time with milliseconds, so lines sort and grep well.
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::warn);
}

int run(const server::Config& config, const std::string& exe) {
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  if (ec) {
    spdlog::critical("cannot create data directory '{}': {}", config.data_dir, ec.message());
    return 1;
  }
  std::string migrations = server::resolve_migrations_dir(config, exe, STEPD_SOURCE_DIR);

  // Declared first so that it outlives everything that records into it or is read by it.
  metrics::Registry metrics;

  store::SqliteStore::Options store_options;
  store_options.metrics = &metrics;
  store::SqliteStore store(config.database_path(), store_options);
  store.migrate(migrations);
  spdlog::info("store {} (schema from {})", config.database_path(), migrations);

  // The safe default: without any access key nobody could authenticate, so the server is open,
  // and that is only acceptable on loopback.
  const int64_t access_keys = store.count_access_keys();
  if (access_keys == 0 && !config.listens_on_loopback()) {
    spdlog::critical(
        "no access keys: refusing to serve {} without authentication. Create a key with "
        "`stepd keys create --role admin --data-dir {}` and start again, or listen on "
        "127.0.0.1",
        config.listen_host, config.data_dir);
    return 2;
  }
  if (access_keys == 0) {
    spdlog::warn(
        "no access keys: serving {} only, without authentication; create one with `stepd keys "
        "create --role admin --data-dir {}`",
        config.listen_host, config.data_dir);
  } else {
    spdlog::info("{} access key(s) in the store: every request but /healthz must authenticate",
                 access_keys);
  }
  auth::SecretBox secret_box(server::master_key_for(store, config));

  std::string key =
      decode_hex_key(store.put_meta_if_absent("task_token_key", TokenCodec::generate_key()));
  SystemClock clock;
  RandomIdSource ids;
  TokenCodec tokens(key);

  engine::EngineOptions engine_options;
  engine_options.region = config.region;
  engine_options.account = config.account;
  engine_options.history_limit = config.history_limit;
  engine_options.metrics = &metrics;
  engine::Engine engine(store, clock, ids, tokens, engine_options);

  tasks::ActivityDispatcherOptions activity_options;
  activity_options.poll_ms = int64_t{config.activity_poll_seconds} * 1000;
  activity_options.metrics = &metrics;
  tasks::ActivityDispatcher activities(store, engine, activity_options);
  tasks::CallbackService callbacks(engine, tokens, &metrics);
  api::CpprestHttpInvoker invoker;
  tasks::HttpTaskRunner http_tasks(engine, invoker);

  // SQL steps: one executor per configured target (the libpq pool, or the embedded SQLite
  // runner), the Redshift Data API over them, and the runner that feeds answers to the engine.
  std::vector<std::unique_ptr<sql::SqlExecutor>> executors;
  std::map<std::string, sql::SqlExecutor*> executor_by_target;
  for (const auto& [name, target] : config.sql_targets) {
    if (target.kind == sql::TargetKind::kSqlite) {
      executors.push_back(std::make_unique<sql::SqliteExecutor>(target));
    } else {
      executors.push_back(std::make_unique<sql::PgPool>(target));
    }
    executor_by_target[name] = executors.back().get();
    spdlog::info("sql target {}", target.describe());
  }
  sql::register_sql_metrics(metrics, executor_by_target);
  sql::RedshiftDataService::Options data_options;
  data_options.scripts_dir = config.scripts_dir;
  sql::RedshiftDataService redshift_data(store, config.sql_targets, executor_by_target, clock, ids,
                                         data_options);
  redshift_data.recover();  // before the engine re-dispatches SQL steps from the outbox
  tasks::SqlTaskRunner sql_tasks(engine, redshift_data);

  ops::Service service(store, engine, activities, callbacks, ids, invoker, &redshift_data);

  engine.add_listener(&activities);
  engine.add_listener(&http_tasks);
  engine.add_listener(&sql_tasks);
  engine.add_listener(&service);

  engine.start();  // recovery: re-dispatches what was not dispatched before a stop or crash
  service.set_ready(true);

  api::HttpServer::Options http_options;
  http_options.host = config.listen_host;
  http_options.port = config.listen_port;
  http_options.threads = static_cast<size_t>(config.http_threads);
  http_options.max_body_bytes = static_cast<size_t>(config.max_body_bytes);
  http_options.region = config.region;
  http_options.account = config.account;
  http_options.metrics = &metrics;
  http_options.authenticator = std::make_shared<auth::Authenticator>(
      store, clock, std::move(secret_box),
      auth::Authenticator::Options{.open_without_keys = config.listens_on_loopback()});
  api::HttpServer http(service, http_options);
  http.start();
  spdlog::info("listening on {}", http.url());

  // SIGINT/SIGTERM are blocked in every thread (main blocked them before any thread started),
  // so this is the only place they are delivered.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received {}, shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");

  // Long polls and ?wait= requests are released before the HTTP server drains: it waits for
  // every request in flight, and those would otherwise hold it for its whole drain timeout.
  http.refuse_new_requests();  // new requests get 503 ServiceUnavailable
  activities.shutdown();       // waiting GetActivityTask polls get their empty answer
  service.shutdown();          // waiting ?wait= callers get the current description
  http.stop();                 // what is still in flight is answered, then the listener closes
  engine.shutdown();
  // Statements still running are cancelled on their servers; their steps stay in the outbox and
  // run again after a restart. Then every callback into the SQL parts has run before they go.
  sql_tasks.stop_delivering();
  for (auto& executor : executors) executor->shutdown();
  store.wait_for_writes();
  sql_tasks.drain();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "keys") {
    return server::run_keys_command(std::vector<std::string>(argv + 1, argv + argc),
                                    exe_path(argv[0]));
  }
  server::Config config;
  try {
    config = server::load_config(std::vector<std::string>(argv + 1, argv + argc),
                                 server::stepd_environment());
  } catch (const server::ConfigError& e) {
    std::cerr << "stepd: " << e.what() << "\nTry 'stepd --help'.\n";
    return 2;
  }
  if (config.help) {
    std::cout << server::usage();
    return 0;
  }
  if (config.version) {
    std::cout << "stepd 0.1.0\n";
    return 0;
  }

  // Before any thread exists, so that every thread inherits the mask and sigwait() in run()
  // is the only receiver.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not end the server
  // A file-size limit (ulimit -f) reached while writing the database must fail that write, which
  // the store rolls back and answers with 503, not kill the server (SIGXFSZ's default action).
  signal(SIGXFSZ, SIG_IGN);

  api::initialize_cpprest_threads(static_cast<size_t>(config.http_threads));
  setup_logging(config.log_level);
  if (!config.config_file.empty()) spdlog::info("configuration from {}", config.config_file);

  try {
    return run(config, exe_path(argv[0]));
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    spdlog::shutdown();
    return 1;
  }
}
