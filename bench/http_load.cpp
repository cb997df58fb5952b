// HTTP/1.1 keep-alive load generator for issue 6's HTTP figures: plain POSIX sockets and epoll,
// a few threads each driving a share of the connections, one request in flight per connection
// (no pipelining). Loopback only.
//
//   http_load --port P --scenario echo|start-sync|start|activity-worker|send-success [options]
//
// Modes:
//   closed (default)  every connection sends its next request when the previous answer arrived;
//                     the figure is throughput at C clients.
//   --rate R          open loop: R requests/s offered in total, connection i sending its k-th
//                     request at start + (i / C + k) * C / R. A late connection sends at once,
//                     but latency is measured from the intended send time, so a stalled server
//                     shows in the latencies instead of slowing the offered load (no coordinated
//                     omission). C must be large enough for R * latency.
//
// Scenarios:
//   echo             POST / with a StartExecution-sized JSON body (bench/echo_server); 200 = ok.
//   start-sync       POST /v1/state-machines/NAME/executions?wait=W (stepd's REST start that
//                    answers when the execution ended); ok = 200 with "status":"SUCCEEDED".
//   activity-worker  --workers W connections loop GetActivityTask -> SendTaskSuccess on
//                    --activity-arn (AWS JSON 1.0); the C connections are starters that call
//                    StartExecution on --machine-arn (closed loop while fewer than --backlog
//                    started executions wait for a worker, or open loop with --rate). The figure
//                    is SendTaskSuccess answers/s (callbacks/s) and their latency.
//   send-success     SendTaskSuccess latency at an offered rate (needs --rate): first, untimed,
//                    --starters connections start executions on --machine-arn and --workers
//                    connections take their tasks with GetActivityTask until --tokens tokens
//                    are banked (default: rate x (warmup + seconds) + connections; at most
//                    --collect-timeout seconds); then the C connections send SendTaskSuccess
//                    with those tokens, open loop, latency from the intended send time.
//
// Output: one JSON object on stdout (requests/s, ok, errors, latency p50/p90/p99/max in ms of
// the scenario's figure, and the same per request kind). Requests answered during --warmup are
// not counted; requests still in flight at the end are abandoned, not counted.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

enum class Kind { kEcho, kStartSync, kStart, kGetTask, kSendSuccess, kCount };
constexpr std::array<const char*, static_cast<size_t>(Kind::kCount)> kKindNames = {
    "echo", "start-sync", "StartExecution", "GetActivityTask", "SendTaskSuccess"};

struct Options {
  int port = 0;
  std::string scenario = "echo";
  int connections = 64;
  int workers = 16;
  int threads = 1;
  double seconds = 10;
  double warmup = 1;
  double rate = 0;  // 0: closed loop
  std::string machine = "bench-5pass";
  std::string machine_arn;
  std::string activity_arn;
  int wait_seconds = 10;
  long backlog = 1000;
  int starters = 8;
  long tokens = 0;  // send-success: 0 = rate x (warmup + seconds) + connections
  double collect_timeout = 120;
  long total = 0;     // start: stop after this many started executions (0: run for --seconds)
  int map_items = 0;  // start-sync: input {"items": [0 .. N-1], "count": N} instead of the order
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "http_load: %s\n"
               "usage: http_load --port P [--scenario echo|start-sync|activity-worker]\n"
               "  [--connections C] [--threads T] [--seconds S] [--warmup S] [--rate R]\n"
               "  [--machine NAME] [--wait SECONDS] [--map-items N]      (start-sync)\n"
               "  [--machine-arn ARN --total N]                           (start)\n"
               "  [--machine-arn ARN --activity-arn ARN --workers W --backlog N]"
               " (activity-worker)\n"
               "  [--machine-arn ARN --activity-arn ARN --workers W --starters N --tokens N\n"
               "   --collect-timeout S] --rate R                           (send-success)\n",
               why);
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + arg).c_str());
    const std::string value = argv[++i];
    if (arg == "--port") {
      o.port = std::atoi(value.c_str());
    } else if (arg == "--scenario") {
      o.scenario = value;
    } else if (arg == "--connections") {
      o.connections = std::atoi(value.c_str());
    } else if (arg == "--workers") {
      o.workers = std::atoi(value.c_str());
    } else if (arg == "--threads") {
      o.threads = std::atoi(value.c_str());
    } else if (arg == "--seconds") {
      o.seconds = std::atof(value.c_str());
    } else if (arg == "--warmup") {
      o.warmup = std::atof(value.c_str());
    } else if (arg == "--rate") {
      o.rate = std::atof(value.c_str());
    } else if (arg == "--machine") {
      o.machine = value;
    } else if (arg == "--machine-arn") {
      o.machine_arn = value;
    } else if (arg == "--activity-arn") {
      o.activity_arn = value;
    } else if (arg == "--wait") {
      o.wait_seconds = std::atoi(value.c_str());
    } else if (arg == "--backlog") {
      o.backlog = std::atol(value.c_str());
    } else if (arg == "--starters") {
      o.starters = std::atoi(value.c_str());
    } else if (arg == "--tokens") {
      o.tokens = std::atol(value.c_str());
    } else if (arg == "--map-items") {
      o.map_items = std::atoi(value.c_str());
    } else if (arg == "--total") {
      o.total = std::atol(value.c_str());
    } else if (arg == "--collect-timeout") {
      o.collect_timeout = std::atof(value.c_str());
    } else {
      usage(("unknown option " + arg).c_str());
    }
  }
  if (o.port <= 0 || o.port > 65535) usage("--port is required");
  // activity-worker with --connections 0: workers only, draining tasks queued beforehand.
  const int least_connections = o.scenario == "activity-worker" ? 0 : 1;
  if (o.connections < least_connections || o.threads < 1 || o.seconds <= 0 || o.warmup < 0 ||
      o.rate < 0) {
    usage("bad numbers");
  }
  if (o.scenario == "activity-worker" || o.scenario == "send-success") {
    if (o.machine_arn.empty() || o.activity_arn.empty() || o.workers < 1 || o.starters < 1) {
      usage("this scenario needs --machine-arn, --activity-arn, --workers >= 1, --starters >= 1");
    }
    if (o.scenario == "send-success" && o.rate <= 0) usage("send-success needs --rate");
  } else if (o.scenario == "start") {
    if (o.machine_arn.empty()) usage("start needs --machine-arn");
  } else if (o.scenario != "echo" && o.scenario != "start-sync") {
    usage("unknown scenario");
  }
  return o;
}

std::string http_request(const Options& o, const std::string& path, const std::string& target,
                         const std::string& body) {
  std::string r = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(o.port) +
                  "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (target.empty()) {
    r += "Content-Type: application/json\r\n";
  } else {
    r += "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions." + target +
         "\r\n";
  }
  return r + "\r\n" + body;
}

std::string aws_json(const Options& o, const std::string& action, const Json& body) {
  return http_request(o, "/", action, body.dump());
}

// Shared between threads in the activity-worker scenario: starters stay at most `backlog`
// executions ahead of the callbacks.
std::atomic<long> g_started{0};
std::atomic<long> g_callbacks{0};  // answered tasks, or (send-success) banked tokens

// send-success: the tokens taken before the timed phase.
std::mutex g_bank_mu;
std::vector<std::string> g_bank;
long g_bank_target = 0;
std::atomic<bool> g_bank_full{false};

// What a Driver does: a timed run, or (send-success) banking tokens then spending them.
enum class Phase { kRun, kCollect, kSend };

struct Stats {
  std::array<std::vector<uint32_t>, static_cast<size_t>(Kind::kCount)> latency_us;
  std::array<long, static_cast<size_t>(Kind::kCount)> ok{};
  std::array<long, static_cast<size_t>(Kind::kCount)> errors{};
  long connection_errors = 0;
  long out_of_tokens = 0;  // send-success: sends not made because the bank ran dry
  std::map<std::string, long> error_samples;  // "kind status" -> count
};

enum class Role { kClient, kWorker };

struct Conn {
  int index = 0;  // among the connections of its role, for the open-loop schedule
  Role role = Role::kClient;
  int fd = -1;
  bool busy = false;
  Kind kind = Kind::kEcho;
  std::string out;
  size_t out_off = 0;
  std::string in;
  Clock::time_point intended;  // when this request should have been sent (open loop)
  long scheduled = 0;          // requests scheduled so far (open loop)
  std::string token;           // a task token to answer next (worker)
};

class Driver {
 public:
  Driver(const Options& o, std::vector<Conn> conns, Clock::time_point start, Phase phase)
      : o_(o), conns_(std::move(conns)), start_(start), phase_(phase) {
    if (phase_ == Phase::kCollect) {
      warm_end_ = start_;
      end_ = start_ + to_duration(o_.collect_timeout);
    } else {
      warm_end_ = start_ + to_duration(o_.warmup);
      end_ = warm_end_ + to_duration(o_.seconds);
      rate_ = o_.rate;
    }
    if (rate_ > 0) interval_ = to_duration(o_.connections / rate_);
  }

  Stats run() {
    epfd_ = epoll_create1(0);
    if (epfd_ < 0) die("epoll_create1");
    std::vector<epoll_event> events(conns_.size() + 1);
    while (true) {
      const auto now = Clock::now();
      if (now >= end_ || (phase_ == Phase::kCollect && g_bank_full.load())) break;
      if (o_.total > 0 && g_started.load() >= o_.total &&
          std::none_of(conns_.begin(), conns_.end(), [](const Conn& c) { return c.busy; })) {
        break;  // start --total: every execution asked for has been started
      }
      auto wake = end_;
      // Collecting: another thread may fill the bank while this one waits on long polls.
      if (phase_ == Phase::kCollect) wake = std::min(wake, now + std::chrono::milliseconds(100));
      for (auto& c : conns_) {
        if (!c.busy) {
          auto due = try_send(c, now);
          if (due) wake = std::min(wake, *due);
        }
      }
      const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
          wake - Clock::now() + std::chrono::microseconds(999));
      const int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(std::max<int64_t>(0, wait_ms.count())));
      if (n < 0 && errno != EINTR) die("epoll_wait");
      for (int i = 0; i < n; ++i) on_event(conns_[events[i].data.u32], events[i].events);
    }
    for (auto& c : conns_) close_conn(c);
    close(epfd_);
    return std::move(stats_);
  }

 private:
  static Clock::duration to_duration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  [[noreturn]] static void die(const char* what) {
    std::fprintf(stderr, "http_load: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
  }

  // Sends the connection's next request if it is due; otherwise returns when it will be.
  std::optional<Clock::time_point> try_send(Conn& c, Clock::time_point now) {
    Clock::time_point intended = now;
    std::string request;
    Kind kind = Kind::kEcho;
    if (c.role == Role::kWorker) {
      if (!c.token.empty() && phase_ != Phase::kCollect) {
        kind = Kind::kSendSuccess;
        request = aws_json(o_, "SendTaskSuccess", {{"taskToken", c.token}, {"output", "{}"}});
        c.token.clear();
      } else {
        kind = Kind::kGetTask;
        request = aws_json(
            o_, "GetActivityTask",
            {{"activityArn", o_.activity_arn}, {"workerName", "bench-" + std::to_string(c.index)}});
      }
    } else {
      if (rate_ > 0) {
        // Staggered so that the connections' sends interleave evenly.
        intended =
            start_ + interval_ * c.scheduled + interval_ * c.index / std::max(1, o_.connections);
        if (intended > now) return intended;
      }
      if (phase_ == Phase::kSend) {
        std::string token;
        {
          std::lock_guard lock(g_bank_mu);
          if (!g_bank.empty()) {
            token = std::move(g_bank.back());
            g_bank.pop_back();
          }
        }
        if (token.empty()) {
          ++stats_.out_of_tokens;
          return end_;  // this connection is done
        }
        kind = Kind::kSendSuccess;
        request = aws_json(o_, "SendTaskSuccess", {{"taskToken", token}, {"output", "{}"}});
      } else if (o_.scenario == "activity-worker" || o_.scenario == "start" ||
                 phase_ == Phase::kCollect) {
        if (o_.total > 0 && g_started.load() >= o_.total) return end_;
        // No stop at the target count: a task can go to a poller whose client has gone (one
        // abandoned by an earlier run), so keep starting, at most --backlog ahead.
        if (rate_ == 0 && o_.scenario != "start" &&
            g_started.load() - g_callbacks.load() >= o_.backlog) {
          return now + std::chrono::milliseconds(1);
        }
        kind = Kind::kStart;
        request = start_request_;
        if (request.empty()) {
          request = start_request_ =
              aws_json(o_, "StartExecution",
                       {{"stateMachineArn", o_.machine_arn}, {"input", R"({"bench": true})"}});
        }
      } else if (o_.scenario == "start-sync") {
        kind = Kind::kStartSync;
        if (start_request_.empty()) {
          Json input = {{"order", 42}, {"items", {1, 2, 3}}, {"customer", "bench"}};
          if (o_.map_items > 0) {
            input = {{"items", Json::array()}, {"count", o_.map_items}};
            for (int i = 0; i < o_.map_items; ++i) input["items"].push_back(i);
          }
          start_request_ = http_request(o_,
                                        "/v1/state-machines/" + o_.machine +
                                            "/executions?wait=" + std::to_string(o_.wait_seconds),
                                        "", Json{{"input", input}}.dump());
        }
        request = start_request_;
      } else {
        kind = Kind::kEcho;
        if (start_request_.empty()) {
          // About the size of a StartExecution body.
          start_request_ = http_request(
              o_, "/", "",
              R"({"stateMachineArn": )"
              R"("arn:aws:states:us-east-1:123456789012:stateMachine:bench-5pass", )"
              R"("input": "{\"order\": 42, \"items\": [1, 2, 3], \"customer\": \"bench\"}"})");
        }
        request = start_request_;
      }
      ++c.scheduled;
    }
    if (c.fd < 0 && !connect_conn(c)) {
      ++stats_.connection_errors;
      return now + std::chrono::milliseconds(10);
    }
    if (kind == Kind::kStart) g_started.fetch_add(1);
    c.kind = kind;
    c.busy = true;
    c.intended = intended;
    c.out = std::move(request);
    c.out_off = 0;
    c.in.clear();
    flush(c);
    return std::nullopt;
  }

  bool connect_conn(Conn& c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(o_.port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // A blocking connect: on loopback it completes at once.
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u32 = static_cast<uint32_t>(&c - conns_.data());
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
    c.fd = fd;
    return true;
  }

  void close_conn(Conn& c) {
    if (c.fd >= 0) {
      epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
      close(c.fd);
    }
    c.fd = -1;
    c.busy = false;
  }

  void watch_out(Conn& c, bool on) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0u);
    ev.data.u32 = static_cast<uint32_t>(&c - conns_.data());
    epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void flush(Conn& c) {
    while (c.out_off < c.out.size()) {
      const ssize_t n =
          send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        watch_out(c, true);
        return;
      } else {
        fail(c, "send failed");
        return;
      }
    }
  }

  void fail(Conn& c, const std::string& why) {
    if (c.busy && Clock::now() >= warm_end_) {
      ++stats_.errors[static_cast<size_t>(c.kind)];
      ++stats_.error_samples[std::string(kKindNames[static_cast<size_t>(c.kind)]) + " " + why];
    }
    if (c.busy && c.kind == Kind::kStart) g_started.fetch_sub(1);
    close_conn(c);
  }

  void on_event(Conn& c, uint32_t events) {
    if (c.fd < 0) return;
    if (events & EPOLLOUT) {
      flush(c);
      if (c.fd >= 0 && c.out_off == c.out.size()) watch_out(c, false);
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      char buf[16384];
      while (c.fd >= 0) {
        const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
        if (n > 0) {
          c.in.append(buf, static_cast<size_t>(n));
          parse(c);
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          break;
        } else {
          fail(c, "connection closed");
        }
      }
    }
  }

  // Completes the request once the whole answer (headers + Content-Length bytes) is in.
  void parse(Conn& c) {
    const auto head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    if (!c.busy) {
      fail(c, "unexpected bytes");
      return;
    }
    std::string head = c.in.substr(0, head_end);
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (head.rfind("http/1.1 ", 0) != 0 || head.size() < 12) {
      fail(c, "bad status line");
      return;
    }
    const int status = std::atoi(head.c_str() + 9);
    const auto cl = head.find("\r\ncontent-length:");
    if (cl == std::string::npos) {
      fail(c, head.find("chunked") != std::string::npos ? "chunked answer (unsupported)"
                                                        : "no content-length");
      return;
    }
    const size_t length = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
    if (c.in.size() < head_end + 4 + length) return;
    const std::string body = c.in.substr(head_end + 4, length);
    // The server will close this one: drop it now, complete() opens a new one for the next.
    if (head.find("\r\nconnection: close") != std::string::npos) close_conn(c);
    complete(c, status, body);
  }

  void complete(Conn& c, int status, const std::string& body) {
    const auto now = Clock::now();
    const auto k = static_cast<size_t>(c.kind);
    bool ok = status == 200;
    if (ok && c.kind == Kind::kStartSync) {
      ok = body.find(R"("status":"SUCCEEDED")") != std::string::npos;
    }
    if (ok && c.kind == Kind::kGetTask) {
      try {
        c.token = Json::parse(body).value("taskToken", "");
      } catch (const std::exception&) {
        ok = false;
      }
      if (phase_ == Phase::kCollect && !c.token.empty()) {
        std::lock_guard lock(g_bank_mu);
        g_bank.push_back(std::move(c.token));
        c.token.clear();
        g_callbacks.fetch_add(1);
        if (static_cast<long>(g_bank.size()) >= g_bank_target) g_bank_full = true;
      }
    }
    if (c.kind == Kind::kSendSuccess && ok) g_callbacks.fetch_add(1);
    if (c.kind == Kind::kStart && !ok) g_started.fetch_sub(1);
    if (now >= warm_end_ && now < end_) {
      if (ok) {
        ++stats_.ok[k];
        const auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(now - c.intended).count();
        stats_.latency_us[k].push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
      } else {
        ++stats_.errors[k];
        ++stats_.error_samples[std::string(kKindNames[k]) + " " + std::to_string(status) + " " +
                               body.substr(0, 120)];
      }
    }
    c.busy = false;
    c.in.clear();
    try_send(c, now);  // closed loop: the next one at once (open loop: if already due)
  }

  const Options& o_;
  std::vector<Conn> conns_;
  Clock::time_point start_, warm_end_, end_;
  Phase phase_;
  double rate_ = 0;  // 0: closed loop
  Clock::duration interval_{};
  int epfd_ = -1;
  std::string start_request_;
  Stats stats_;
};

double percentile(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)] / 1000.0;
}

Json summarize(long ok, long errors, std::vector<uint32_t> lat, double seconds) {
  std::sort(lat.begin(), lat.end());
  return {{"ok", ok},
          {"errors", errors},
          {"per_second", static_cast<double>(ok) / seconds},
          {"latency_ms",
           {{"p50", percentile(lat, 0.50)},
            {"p90", percentile(lat, 0.90)},
            {"p99", percentile(lat, 0.99)},
            {"max", lat.empty() ? 0.0 : lat.back() / 1000.0}}}};
}

// Runs one phase: the connections spread over --threads threads, each with its own Driver.
std::vector<Stats> run_phase(const Options& o, Phase phase, int clients, int workers) {
  std::vector<std::vector<Conn>> per_thread(static_cast<size_t>(o.threads));
  int n = 0;
  for (int i = 0; i < clients; ++i, ++n) {
    Conn c;
    c.index = i;
    per_thread[static_cast<size_t>(n % o.threads)].push_back(std::move(c));
  }
  for (int i = 0; i < workers; ++i, ++n) {
    Conn c;
    c.index = i;
    c.role = Role::kWorker;
    per_thread[static_cast<size_t>(n % o.threads)].push_back(std::move(c));
  }
  const auto start = Clock::now() + std::chrono::milliseconds(20);
  std::vector<Stats> results(per_thread.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < per_thread.size(); ++t) {
    threads.emplace_back([&, t] {
      std::this_thread::sleep_until(start);
      Driver driver(o, std::move(per_thread[t]), start, phase);
      results[t] = driver.run();
    });
  }
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  std::vector<Stats> results;
  double collect_seconds = 0;
  double run_seconds = o.seconds;  // start --total ends early: rates are over the time it ran
  if (o.scenario == "send-success") {
    g_bank_target = o.tokens > 0
                        ? o.tokens
                        : static_cast<long>(o.rate * (o.warmup + o.seconds)) + o.connections;
    const auto t0 = Clock::now();
    run_phase(o, Phase::kCollect, o.starters, o.workers);
    collect_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!g_bank_full.load()) {
      std::fprintf(stderr, "http_load: only %zu of %ld tokens collected in %.0f s\n", g_bank.size(),
                   g_bank_target, o.collect_timeout);
      return 1;
    }
    results = run_phase(o, Phase::kSend, o.connections, 0);
  } else {
    const auto t0 = Clock::now();
    results =
        run_phase(o, Phase::kRun, o.connections, o.scenario == "activity-worker" ? o.workers : 0);
    run_seconds = std::chrono::duration<double>(Clock::now() - t0).count() - o.warmup;
  }

  Stats all;
  for (auto& r : results) {
    for (size_t k = 0; k < all.ok.size(); ++k) {
      all.ok[k] += r.ok[k];
      all.errors[k] += r.errors[k];
      all.latency_us[k].insert(all.latency_us[k].end(), r.latency_us[k].begin(),
                               r.latency_us[k].end());
    }
    all.connection_errors += r.connection_errors;
    all.out_of_tokens += r.out_of_tokens;
    for (const auto& [what, count] : r.error_samples) all.error_samples[what] += count;
  }

  const Kind figure = o.scenario == "echo"         ? Kind::kEcho
                      : o.scenario == "start-sync" ? Kind::kStartSync
                      : o.scenario == "start"      ? Kind::kStart
                                                   : Kind::kSendSuccess;
  if (o.total <= 0) run_seconds = o.seconds;
  Json by_kind = Json::object();
  for (size_t k = 0; k < all.ok.size(); ++k) {
    if (all.ok[k] == 0 && all.errors[k] == 0) continue;
    by_kind[kKindNames[k]] = summarize(all.ok[k], all.errors[k], all.latency_us[k], run_seconds);
  }
  const auto f = static_cast<size_t>(figure);
  Json out = summarize(all.ok[f], all.errors[f], all.latency_us[f], run_seconds);
  out["scenario"] = o.scenario;
  out["mode"] = o.rate > 0 ? "open" : "closed";
  out["offered_per_second"] = o.rate;
  out["connections"] = o.connections;
  if (o.scenario == "activity-worker" || o.scenario == "send-success") {
    out["workers"] = o.workers;
  }
  if (o.scenario == "send-success") {
    out["tokens"] = g_bank_target;
    out["collect_seconds"] = collect_seconds;
    out["out_of_tokens"] = all.out_of_tokens;
  }
  out["threads"] = o.threads;
  out["seconds"] = run_seconds;
  out["warmup"] = o.warmup;
  out["connection_errors"] = all.connection_errors;
  out["by_kind"] = by_kind;
  Json samples = Json::object();
  for (const auto& [what, count] : all.error_samples) samples[what] = count;
  out["error_samples"] = samples;
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
