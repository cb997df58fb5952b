// SQL-step throughput (issue 4): `.sync` Redshift Data API steps running `SELECT 1` through the
// real durable path — SQLite store (group commit, the server's synchronous=FULL default), engine,
// Redshift Data API emulation, SqlTaskRunner, libpq pool — without HTTP, wired as
// server/main.cpp wires them. A second measurement submits `SELECT 1` to the pool alone (no
// engine, no store), to show what the engine and store add on top of it.
//
// Both keep a fixed number of requests in flight (closed loop) for a warm-up, then count what
// completes during the measured window. Plain C++ (no Google Benchmark): one long timed run with
// a warm-up is what is being measured, not a function called in a loop.
//
//   sql_step_bench --conninfo 'host=127.0.0.1 port=5432 dbname=db user=u sslmode=disable'
//       [--password-env PGPASSWORD] [--database db] [--connections 8] [--inflight 256]
//       [--starters 16] [--warmup 2] [--seconds 10] [--mode both|pool|steps] [--json out.json]
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <semaphore>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/common/clock.h"
#include "core/common/json.h"
#include "core/common/token_codec.h"
#include "core/engine/engine.h"
#include "core/sql/pg_pool.h"
#include "core/sql/redshift_data.h"
#include "core/sql/sql_target.h"
#include "core/store/sqlite_store.h"
#include "core/tasks/sql_task_runner.h"

namespace {

namespace fs = std::filesystem;
using namespace stepd;
using SteadyClock = std::chrono::steady_clock;

struct Args {
  std::string conninfo;
  std::string password_env = "PGPASSWORD";
  std::string database;  // the steps' `Database` parameter; "" = none (the conninfo's dbname)
  int connections = 8;
  int inflight = 256;
  int starters = 16;  // threads calling start_execution (each waits for its commit)
  int runner_threads =
      16;  // SqlTaskRunner's reply threads (its default, as server/main.cpp uses it)
  double warmup_s = 2;
  double seconds = 10;
  std::string mode = "both";
  std::string json_path;
  bool store_sync_full = true;
  std::string migrations = STEPD_SOURCE_DIR "/migrations/sqlite";
};

void usage() {
  std::cerr << "usage: sql_step_bench --conninfo CONNINFO [--password-env NAME (PGPASSWORD)]\n"
               "         [--database DB] [--connections N (8)] [--inflight W (256)] [--starters S "
               "(16)]\n"
               "         [--warmup SECONDS (2)] [--seconds SECONDS (10)] [--mode both|pool|steps]\n"
               "         [--runner-threads T (16)] [--store-sync full|normal (full)]\n"
               "         [--migrations DIR (the repo's migrations/sqlite)] [--json PATH]\n";
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(k + " needs a value");
      return argv[++i];
    };
    if (k == "--conninfo") {
      a.conninfo = value();
    } else if (k == "--password-env") {
      a.password_env = value();
    } else if (k == "--database") {
      a.database = value();
    } else if (k == "--connections") {
      a.connections = std::stoi(value());
    } else if (k == "--inflight") {
      a.inflight = std::stoi(value());
    } else if (k == "--starters") {
      a.starters = std::stoi(value());
    } else if (k == "--migrations") {
      a.migrations = value();
    } else if (k == "--runner-threads") {
      a.runner_threads = std::stoi(value());
    } else if (k == "--warmup") {
      a.warmup_s = std::stod(value());
    } else if (k == "--seconds") {
      a.seconds = std::stod(value());
    } else if (k == "--mode") {
      a.mode = value();
    } else if (k == "--store-sync") {
      std::string v = value();
      if (v != "full" && v != "normal") throw std::invalid_argument("--store-sync full|normal");
      a.store_sync_full = v == "full";
    } else if (k == "--json") {
      a.json_path = value();
    } else if (k == "--help" || k == "-h") {
      usage();
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option " + k);
    }
  }
  if (a.conninfo.empty()) throw std::invalid_argument("--conninfo is required");
  if (a.connections < 1 || a.inflight < 1 || a.starters < 1 || a.runner_threads < 1 ||
      a.seconds <= 0 || a.warmup_s < 0) {
    throw std::invalid_argument("counts and --seconds must be positive");
  }
  if (a.mode != "both" && a.mode != "pool" && a.mode != "steps") {
    throw std::invalid_argument("--mode both|pool|steps");
  }
  return a;
}

sql::SqlTargetConfig make_target(const Args& a) {
  Json config = {{"bench",
                  {{"conninfo", a.conninfo},
                   {"password_env", a.password_env},
                   {"max_connections", a.connections}}}};
  return sql::parse_sql_targets(config).at("bench");
}

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void sleep_s(double s) {
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(s * 1e6)));
}

// Completions and their latencies; only those inside the measured window count.
class Recorder {
 public:
  void open_window() {
    std::lock_guard lock(mu_);
    window_open_ = true;
    window_completed_ = 0;
    window_failed_ = 0;
    latencies_us_.clear();
  }
  void close_window() {
    std::lock_guard lock(mu_);
    window_open_ = false;
  }
  void record(int64_t latency_us, bool ok, const std::string& failure) {
    std::lock_guard lock(mu_);
    if (ok) {
      ++succeeded_;
    } else {
      ++failed_;
      if (failures_.size() < 10) failures_.push_back(failure);
    }
    if (window_open_) {
      if (ok) {
        ++window_completed_;
        latencies_us_.push_back(latency_us);
      } else {
        ++window_failed_;
      }
    }
  }

  Json summary(double window_s) {
    std::lock_guard lock(mu_);
    std::sort(latencies_us_.begin(), latencies_us_.end());
    auto pct = [&](double p) -> double {
      if (latencies_us_.empty()) return 0;
      size_t i = static_cast<size_t>(p * static_cast<double>(latencies_us_.size() - 1) + 0.5);
      return static_cast<double>(latencies_us_[i]) / 1000.0;
    };
    return Json{{"per_second", static_cast<double>(window_completed_) / window_s},
                {"completed_in_window", window_completed_},
                {"failed_in_window", window_failed_},
                {"succeeded_total", succeeded_},
                {"failed_total", failed_},
                {"failures", failures_},
                {"p50_ms", pct(0.50)},
                {"p99_ms", pct(0.99)},
                {"max_ms", latencies_us_.empty() ? 0.0 : latencies_us_.back() / 1000.0}};
  }

 private:
  std::mutex mu_;
  bool window_open_ = false;
  int64_t window_completed_ = 0;
  int64_t window_failed_ = 0;
  int64_t succeeded_ = 0;
  int64_t failed_ = 0;
  std::vector<std::string> failures_;
  std::vector<int64_t> latencies_us_;
};

// Warm-up, window, then stop and wait for what is in flight. Returns the window's CPU seconds
// and wall seconds.
template <class Stop, class Idle>
std::pair<double, double> run_window(const Args& a, Recorder& rec, Stop stop, Idle idle) {
  sleep_s(a.warmup_s);
  rec.open_window();
  double cpu0 = cpu_seconds();
  auto t0 = SteadyClock::now();
  sleep_s(a.seconds);
  rec.close_window();
  double wall = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  double cpu = cpu_seconds() - cpu0;
  stop();
  auto deadline = SteadyClock::now() + std::chrono::seconds(60);
  while (!idle()) {
    if (SteadyClock::now() > deadline)
      throw std::runtime_error(
          "requests still in flight 60 s "
          "after the end");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {cpu, wall};
}

// ---- the pool alone --------------------------------------------------------------------------

Json bench_pool(const Args& a) {
  sql::PgPool pool(make_target(a));
  Recorder rec;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> in_flight{0};

  // Closed loop: each completion submits the next request from the pool's own thread (submit()
  // only queues, so this does not block the loop).
  std::function<void()> submit_one = [&]() {
    sql::SqlRequest r;
    r.statements.push_back({"SELECT 1", {}});
    r.session.database = a.database;
    int64_t t = now_us();
    ++in_flight;
    pool.submit(std::move(r), [&, t](sql::SqlOutcome out) {
      bool ok = out.status == sql::SqlOutcome::Status::kFinished && out.results.size() == 1 &&
                out.results[0].records.size() == 1;
      rec.record(now_us() - t, ok, ok ? "" : out.error_code + ": " + out.message);
      if (!stopping.load()) submit_one();
      --in_flight;
    });
  };
  for (int i = 0; i < a.inflight; ++i) submit_one();
  auto [cpu, wall] = run_window(
      a, rec, [&] { stopping = true; }, [&] { return in_flight.load() == 0; });
  pool.shutdown();
  Json out = rec.summary(wall);
  out["cpu_s_per_1000"] = cpu / std::max<double>(1, out["completed_in_window"].get<double>()) * 1e3;
  out["window_s"] = wall;
  return out;
}

// ---- SQL steps through engine + store --------------------------------------------------------

class ClosedCounter final : public engine::EngineListener {
 public:
  ClosedCounter(Recorder& rec, std::counting_semaphore<>& slots) : rec_(rec), slots_(slots) {}

  void started(int64_t n, int64_t t_us) {
    std::lock_guard lock(mu_);
    started_us_[n] = t_us;
  }
  void start_failed(int64_t n, const std::string& why) {
    {
      std::lock_guard lock(mu_);
      started_us_.erase(n);
    }
    rec_.record(0, false, "StartExecution: " + why);
    ++closed_;
    slots_.release();
  }

  void on_execution_closed(const store::ExecutionRecord& e) override {
    int64_t t = now_us();
    int64_t n = std::stoll(e.name.substr(2));  // "b-<n>"
    int64_t start = t;
    {
      std::lock_guard lock(mu_);
      auto it = started_us_.find(n);
      if (it != started_us_.end()) {
        start = it->second;
        started_us_.erase(it);
      }
    }
    bool ok = e.status == "SUCCEEDED";
    rec_.record(
        t - start, ok,
        ok ? ""
           : e.name + " " + e.status + " " + e.error.value_or("") + ": " + e.cause.value_or(""));
    ++closed_;
    slots_.release();
  }

  int64_t closed() const { return closed_.load(); }

 private:
  Recorder& rec_;
  std::counting_semaphore<>& slots_;
  std::mutex mu_;
  std::unordered_map<int64_t, int64_t> started_us_;
  std::atomic<int64_t> closed_{0};
};

Json bench_steps(const Args& a) {
  fs::path dir = fs::temp_directory_path() / ("stepd-sql-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  Json out;
  {
    store::SqliteOptions store_options;
    store_options.synchronous_full = a.store_sync_full;
    store::SqliteStore store((dir / "stepd.db").string(), store_options);
    store.migrate(a.migrations);
    std::string key_hex = TokenCodec::generate_key();
    std::string key;
    for (size_t i = 0; i + 1 < key_hex.size(); i += 2) {
      key.push_back(static_cast<char>(std::stoi(key_hex.substr(i, 2), nullptr, 16)));
    }
    SystemClock clock;
    RandomIdSource ids;
    TokenCodec tokens(key);
    engine::Engine engine(store, clock, ids, tokens, engine::EngineOptions{});

    sql::SqlTargets targets{{"bench", make_target(a)}};
    sql::PgPool pool(targets.at("bench"));
    sql::RedshiftDataService data(store, targets, {{"bench", &pool}}, clock, ids,
                                  sql::RedshiftDataService::Options{});
    data.recover();
    tasks::SqlTaskRunner runner(engine, data, a.runner_threads);

    Recorder rec;
    std::counting_semaphore<> slots(a.inflight);
    ClosedCounter counter(rec, slots);
    engine.add_listener(&runner);
    engine.add_listener(&counter);
    engine.start();

    Json params = {{"ClusterIdentifier", "bench"}, {"Sql", "SELECT 1"}};
    if (!a.database.empty()) params["Database"] = a.database;
    Json definition = {{"StartAt", "Q"},
                       {"States",
                        {{"Q",
                          {{"Type", "Task"},
                           {"Resource", "arn:aws:states:::redshift-data:executeStatement.sync"},
                           {"Parameters", params},
                           {"End", true}}}}}};
    store::StateMachineRecord sm;
    sm.arn = "arn:aws:states:us-east-1:123456789012:stateMachine:sqlbench";
    sm.name = "sqlbench";
    sm.revision_id = "sqlbench-r1";
    sm.definition = definition.dump();
    sm.role_arn = "arn:aws:iam::123456789012:role/r";
    sm.creation_ms = clock.now_ms();
    if (store.create_state_machine(sm) != store::CreateOutcome::kCreated) {
      throw std::runtime_error("cannot create the state machine");
    }

    std::atomic<bool> stopping{false};
    std::atomic<int64_t> next{0};
    std::vector<std::thread> starters;
    for (int s = 0; s < a.starters; ++s) {
      starters.emplace_back([&] {
        for (;;) {
          slots.acquire();
          if (stopping.load()) {
            slots.release();
            return;
          }
          int64_t n = next++;
          counter.started(n, now_us());
          try {
            bool created = false;
            engine.start_execution(sm, "b-" + std::to_string(n), "{}", &created);
          } catch (const std::exception& e) {
            counter.start_failed(n, e.what());
          }
        }
      });
    }

    auto stats0 = store.stats();
    auto [cpu, wall] = run_window(
        a, rec,
        [&] {
          stopping = true;
          for (auto& t : starters) t.join();
        },
        [&] { return counter.closed() == next.load(); });
    auto stats1 = store.stats();
    out = rec.summary(wall);
    double done = std::max<double>(
        1, out["succeeded_total"].get<double>() + out["failed_total"].get<double>());
    out["cpu_s_per_1000"] =
        cpu / std::max<double>(1, out["completed_in_window"].get<double>()) * 1e3;
    out["window_s"] = wall;
    // Whole run (warm-up and drain included): store writer work per execution.
    out["store_writes_per_execution"] = static_cast<double>(stats1.writes - stats0.writes) / done;
    out["store_jobs_per_execution"] = static_cast<double>(stats1.jobs - stats0.jobs) / done;
    out["store_commits_per_execution"] =
        static_cast<double>(stats1.transactions - stats0.transactions) / done;
    out["store_largest_batch"] = stats1.largest_batch;

    // Shutdown in the server's order.
    engine.shutdown();
    runner.stop_delivering();
    pool.shutdown();
    store.wait_for_writes();
    runner.drain();
  }
  fs::remove_all(dir);
  return out;
}

void print(const char* name, const Json& r) {
  std::printf("%-10s %9.0f /s  p50 %7.2f ms  p99 %7.2f ms  cpu %.3f s/1000  failed %lld\n", name,
              r["per_second"].get<double>(), r["p50_ms"].get<double>(), r["p99_ms"].get<double>(),
              r["cpu_s_per_1000"].get<double>(), r["failed_total"].get<long long>());
  for (const auto& f : r["failures"]) std::printf("  failure: %s\n", f.get<std::string>().c_str());
  if (r.contains("store_commits_per_execution")) {
    std::printf("           store per execution: %.2f writes, %.2f jobs, %.3f commits\n",
                r["store_writes_per_execution"].get<double>(),
                r["store_jobs_per_execution"].get<double>(),
                r["store_commits_per_execution"].get<double>());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  try {
    a = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "sql_step_bench: " << e.what() << "\n";
    usage();
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  Json result = {
      {"connections", a.connections}, {"inflight", a.inflight},
      {"starters", a.starters},       {"warmup_s", a.warmup_s},
      {"seconds", a.seconds},         {"store_sync", a.store_sync_full ? "full" : "normal"}};
  int rc = 0;
  try {
    if (a.mode != "steps") {
      result["pool"] = bench_pool(a);
      print("pool", result["pool"]);
      if (result["pool"]["failed_total"].get<int64_t>() > 0) rc = 1;
    }
    if (a.mode != "pool") {
      result["steps"] = bench_steps(a);
      print("sql-steps", result["steps"]);
      if (result["steps"]["failed_total"].get<int64_t>() > 0) rc = 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "sql_step_bench: " << e.what() << "\n";
    return 1;
  }
  if (!a.json_path.empty()) {
    std::ofstream f(a.json_path);
    f << result.dump(2) << "\n";
  }
  return rc;
}
