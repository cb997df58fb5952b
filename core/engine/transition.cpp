#include "core/engine/transition.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "core/asl/choice_rule.h"
#include "core/asl/eval_scope.h"
#include "core/asl/intrinsics.h"
#include "core/asl/json_path.h"
#include "core/asl/payload_template.h"
#include "core/asl/timestamp.h"

namespace stepd::engine {
namespace {

using asl::State;
using asl::StateType;

constexpr size_t kMaxPayloadBytes = 262144;
constexpr size_t kMaxVariableBytes = 10485760;
// AWS's cap on every *Seconds field (core/asl/parser.cpp checks literals against it); values read
// at run time are capped to it so that the millisecond arithmetic on them cannot overflow.
constexpr int64_t kMaxSeconds = 99999999;

// Compact JSON text; invalid UTF-8 (say, from States.Base64Decode) is replaced, not thrown on.
std::string text(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// An empty object, without allocating a new one when `j` is one already.
void clear_object(Json& j) {
  if (!j.is_object() || !j.empty()) j = Json::object();
}

// Room for `n` members, so that adding them does not move (for ordered_json: copy) the
// members already there.
void reserve_members(Json& j, size_t n) {
  j.get_ref<Json::object_t&>().reserve(n);
}

// Appends `s` as a JSON string, escaped exactly as Json::dump() escapes it. History event
// details of the frequent events are written with this instead of being built as Json
// objects and dumped: the building and the copies cost more than the state itself.
void append_quoted(std::string& out, std::string_view s) {
  // Anything beyond ASCII goes through the library, which also rejects invalid UTF-8.
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      out += Json(std::string(s)).dump();
      return;
    }
  }
  // How long the escaped text is, then the text written in place: one allocation at most.
  size_t extra = 0;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    bool short_form =
        u == '"' || u == '\\' || u == '\b' || u == '\t' || u == '\n' || u == '\f' || u == '\r';
    extra += short_form ? 1 : 5;
  }
  size_t at = out.size();
  out.resize(at + s.size() + extra + 2);
  char* w = out.data() + at;
  *w++ = '"';
  if (extra == 0) {
    std::memcpy(w, s.data(), s.size());
    w += s.size();
  } else {
    static const char kHex[] = "0123456789abcdef";
    for (char c : s) {
      auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && u != '"' && u != '\\') {
        *w++ = c;
        continue;
      }
      *w++ = '\\';
      switch (u) {
        case '"':
          *w++ = '"';
          break;
        case '\\':
          *w++ = '\\';
          break;
        case '\b':
          *w++ = 'b';
          break;
        case '\t':
          *w++ = 't';
          break;
        case '\n':
          *w++ = 'n';
          break;
        case '\f':
          *w++ = 'f';
          break;
        case '\r':
          *w++ = 'r';
          break;
        default:  // other control characters: \u00xx, lower-case hex as Json::dump writes it
          *w++ = 'u';
          *w++ = '0';
          *w++ = '0';
          *w++ = kHex[u >> 4];
          *w++ = kHex[u & 0xf];
      }
    }
  }
  *w++ = '"';
}

// {"name":"<name>","index":<index>}: MapIterationStarted, MapIterationSucceeded ...
std::string index_details(std::string_view name, int64_t index) {
  std::string out = "{\"name\":";
  append_quoted(out, name);
  out += ",\"index\":";
  out += std::to_string(index);
  out += '}';
  return out;
}

// {"<name_key>":"<name>","<payload_key>":<payload as a string>,"<payload_key>Details":
// {"truncated":false}}: the details of StateEntered / StateExited / ExecutionStarted ...
std::string payload_details(std::string_view name_key, std::string_view name,
                            std::string_view payload_key, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + name.size() + 64);
  out += '{';
  if (!name_key.empty()) {
    out += '"';
    out += name_key;
    out += "\":";
    append_quoted(out, name);
    out += ',';
  }
  out += '"';
  out += payload_key;
  out += "\":";
  append_quoted(out, payload);
  out += ",\"";
  out += payload_key;
  out += "Details\":{\"truncated\":false}}";
  return out;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// What a Task's Resource names, as the history shows it.
struct ResourceInfo {
  enum class Kind { kActivity, kHttp, kSql, kUnsupported } kind = Kind::kUnsupported;
  std::string resource_type;  // "http", "sqs" ...; empty for activities
  std::string resource;       // "invoke.waitForTaskToken"; the whole ARN for activities
  bool wait_for_token = false;
  std::string sql_action;  // kSql: the Redshift Data API operation, e.g. "ExecuteStatement"
  bool sync = false;       // kSql: `.sync`, the step ends when the statement does
};

// The Redshift Data API operations a Task may name, in the aws-sdk integration's camelCase.
std::string redshift_data_action(const std::string& api) {
  static const char* const kActions[] = {"executeStatement",  "batchExecuteStatement",
                                         "describeStatement", "getStatementResult",
                                         "cancelStatement",   "listStatements"};
  for (const char* a : kActions) {
    if (api == a) {
      std::string pascal = a;
      pascal[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(pascal[0])));
      return pascal;
    }
  }
  return "";
}

ResourceInfo parse_resource(const std::string& arn) {
  ResourceInfo info;
  // arn:aws:states:REGION:ACCOUNT:activity:NAME
  if (starts_with(arn, "arn:aws:states:") && arn.find(":activity:") != std::string::npos) {
    info.kind = ResourceInfo::Kind::kActivity;
    info.resource = arn;
    return info;
  }
  // arn:aws:states:::SERVICE:API[.pattern]
  const std::string prefix = "arn:aws:states:::";
  if (starts_with(arn, prefix)) {
    std::string rest = arn.substr(prefix.size());
    auto colon = rest.find(':');
    if (colon != std::string::npos) {
      info.resource_type = rest.substr(0, colon);
      info.resource = rest.substr(colon + 1);
    }
    info.wait_for_token = ends_with(arn, ".waitForTaskToken");
    if (info.resource_type == "http" &&
        (info.resource == "invoke" || info.resource == "invoke.waitForTaskToken")) {
      info.kind = ResourceInfo::Kind::kHttp;
    }
    // aws-sdk:redshiftdata:<api>[.waitForTaskToken] as on AWS, and stepd's synchronous SQL step
    // redshift-data:(batch)executeStatement.sync.
    std::string api = info.resource;
    if (info.wait_for_token) api.resize(api.size() - std::strlen(".waitForTaskToken"));
    if (info.resource_type == "aws-sdk" && starts_with(api, "redshiftdata:")) {
      info.sql_action = redshift_data_action(api.substr(std::strlen("redshiftdata:")));
    } else if (info.resource_type == "redshift-data" && !info.wait_for_token &&
               (api == "executeStatement.sync" || api == "batchExecuteStatement.sync")) {
      info.sql_action = redshift_data_action(api.substr(0, api.size() - 5));
      info.sync = true;
    }
    if (!info.sql_action.empty()) info.kind = ResourceInfo::Kind::kSql;
    return info;
  }
  info.resource = arn;
  return info;
}

// Parses a timer tag "task-timeout:7" → 7; -1 if the tag has another prefix.
int64_t tag_seq(const std::string& tag, std::string_view prefix) {
  if (!starts_with(tag, prefix) || tag.size() <= prefix.size() + 1 || tag[prefix.size()] != ':') {
    return -1;
  }
  try {
    return std::stoll(tag.substr(prefix.size() + 1));
  } catch (...) {
    return -1;
  }
}

// Inline Map runs at most this many iterations at once, as AWS does.
constexpr int64_t kInlineMapConcurrency = 40;

// The root thread: the execution's own states. Branches and iterations are threads too.
constexpr const char* kRootThread = "0";

// Keys of execution data rows; the index is zero-padded so that a prefix scan returns rows in
// item order.
std::string data_key(const char* kind, const std::string& tid, int64_t index) {
  if (index < 0 || index > 9999999999) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%010lld", static_cast<long long>(index));
    return std::string(kind) + ":" + tid + ":" + buf;
  }
  // The same as "%010lld" without printf, which showed in Map profiles.
  char digits[10];
  for (int i = 9; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + index % 10);
    index /= 10;
  }
  std::string key = kind;
  key.reserve(key.size() + tid.size() + 12);
  key += ':';
  key += tid;
  key += ':';
  key.append(digits, sizeof digits);
  return key;
}
std::string data_prefix(const char* kind, const std::string& tid) {
  return std::string(kind) + ":" + tid + ":";
}

// How a value appears in AWS's "refers to value \"...\"" messages: strings without quotes.
std::string value_text(const Json& v) {
  return v.is_string() ? v.get<std::string>() : text(v);
}

// The runtime state (ExecutionRecord::state) is one JSON document:
//   {"task_seq": N, "thread_seq": N, "vars": {root variables},
//    "timers": {tag: due_ms}, "tasks": {seq: thread id},
//    "threads": {id: {"parent", "index", "vars", "halted", "s": {the state it is in}}}}
// A thread runs one state at a time; "s" holds that state's name, raw input, entry event and
// what it waits for ("phase": wait | retry | task | fan). A Parallel or Map state's "fan" counts
// its child threads (at most kInlineMapConcurrency of them exist at once). Items not started
// yet and results of finished children are execution data rows (see data_key), so a large Map
// costs each step only what that step touches.
class Stepper {
 public:
  Stepper(const store::ExecutionRecord& execution, const TransitionContext& ctx)
      : ctx_(ctx), exec_(execution) {
    state_ = exec_.state.empty() ? Json::object() : Json::parse(exec_.state);
    if (!state_.contains("vars")) state_["vars"] = Json::object();
    if (!state_.contains("threads")) state_["threads"] = Json::object();
  }

  Transition run(const EngineEvent& ev) {
    try {
      dispatch(ev);
    } catch (const std::exception& e) {
      // Anything unforeseen while evaluating user data (say, text that is not UTF-8) ends the
      // execution with a named error instead of escaping the engine.
      if (exec_.status == "RUNNING") fail_execution({errors::kRuntime, e.what()});
    }
    if (!applied_) return {};
    exec_.callback_tasks = count_callback_tasks();
    // Members at their defaults are left out of the stored document (the constructor and the
    // readers supply them): with a million executions waiting, each byte is a megabyte.
    if (state_["vars"].empty()) state_.erase("vars");
    exec_.state = text(state_);
    flush_data();
    Transition t;
    t.applied = true;
    t.write = std::move(write_);
    t.write.execution = std::move(exec_);
    return t;
  }

 private:
  void dispatch(const EngineEvent& ev) {
    if (ev.kind == EngineEvent::Kind::kStart) {
      start();
    } else if (ev.kind == EngineEvent::Kind::kRedrive) {
      if (exec_.status == "FAILED" || exec_.status == "TIMED_OUT" || exec_.status == "ABORTED") {
        redrive(ev.client_token);
      }
    } else if (exec_.status != "RUNNING") {
      return;  // nothing happens to a closed execution
    } else {
      switch (ev.kind) {
        case EngineEvent::Kind::kStop:
          stop(ev.error);
          break;
        case EngineEvent::Kind::kTimerFired:
          on_timer(ev.timer_tag);
          break;
        case EngineEvent::Kind::kTaskSucceeded:
          on_task_succeeded(ev.task_seq, ev.output);
          break;
        case EngineEvent::Kind::kTaskFailed:
          on_task_failed(ev.task_seq, ev.error);
          break;
        case EngineEvent::Kind::kTaskHeartbeat:
          on_heartbeat(ev.task_seq);
          break;
        case EngineEvent::Kind::kActivityStarted:
          on_activity_started(ev.task_seq, ev.worker_name);
          break;
        case EngineEvent::Kind::kHttpResponse:
          on_http_response(ev.task_seq, ev.payload);
          break;
        case EngineEvent::Kind::kSqlResult:
          on_sql_result(ev.task_seq, ev.payload);
          break;
        case EngineEvent::Kind::kStart:
        case EngineEvent::Kind::kRedrive:
          break;
      }
    }
    drive();
  }

  // ---- history

  // `previous` overrides the event the new one links to (by default the one before it).
  void emit(const std::string& type, Json details = nullptr,
            std::optional<int64_t> previous = std::nullopt) {
    emit_text(type, details.is_null() ? std::string() : details.dump(), previous);
  }

  // The same with the details already written as JSON text ("" for none).
  void emit_text(const std::string& type, std::string details,
                 std::optional<int64_t> previous = std::nullopt) {
    applied_ = true;
    store::HistoryEventRecord e;
    e.id = exec_.event_count + 1;
    // AWS links the first state's entry to nothing (0), everything else to the event before.
    if (previous) {
      e.previous_id = *previous;
    } else {
      e.previous_id = (last_type_ == "ExecutionStarted" && ends_with(type, "StateEntered"))
                          ? 0
                          : exec_.event_count;
    }
    e.timestamp_ms = ctx_.now_ms;
    e.type = type;
    if (!details.empty()) e.details = std::move(details);
    exec_.event_count = e.id;
    last_type_ = type;
    write_.events.push_back(std::move(e));
  }

  bool history_full() const { return exec_.event_count + 2 >= ctx_.history_limit; }

  // ---- execution data rows, with this step's changes laid over what the store holds

  std::optional<std::string> data_get(const std::string& key) {
    if (auto it = data_.find(key); it != data_.end()) return it->second;
    for (const auto& p : erased_prefixes_) {
      if (starts_with(key, p)) return std::nullopt;
    }
    return ctx_.data ? ctx_.data->get(key) : std::nullopt;
  }

  std::vector<std::string> data_scan(const std::string& prefix) {
    std::map<std::string, std::string> rows;
    bool erased = std::any_of(erased_prefixes_.begin(), erased_prefixes_.end(),
                              [&](const std::string& p) { return starts_with(prefix, p); });
    if (ctx_.data && !erased) {
      for (auto& row : ctx_.data->scan(prefix)) {
        bool gone = std::any_of(erased_prefixes_.begin(), erased_prefixes_.end(),
                                [&](const std::string& p) { return starts_with(row.first, p); });
        if (!gone) rows.emplace(std::move(row.first), std::move(row.second));
      }
    }
    for (auto it = data_.lower_bound(prefix); it != data_.end() && starts_with(it->first, prefix);
         ++it) {
      rows[it->first] = it->second;
    }
    std::vector<std::string> values;
    values.reserve(rows.size());
    for (auto& [k, v] : rows) values.push_back(std::move(v));
    return values;
  }

  void data_put(std::string key, std::string value) { data_[std::move(key)] = std::move(value); }

  // Drops a row written in this step, or leaves a stored one for a later prefix erase.
  void data_forget(const std::string& key) { data_.erase(key); }

  void data_erase_prefix(const std::string& prefix) {
    for (auto it = data_.lower_bound(prefix);
         it != data_.end() && starts_with(it->first, prefix);) {
      it = data_.erase(it);
    }
    if (ctx_.data) erased_prefixes_.push_back(prefix);
  }

  void flush_data() {
    write_.data_erase_prefix = std::move(erased_prefixes_);
    for (auto& [k, v] : data_) write_.data_put.emplace_back(k, std::move(v));
  }

  // ---- execution lifecycle

  void start() {
    applied_ = true;
    Json input = execution_input();
    std::string started = payload_details("", "", "input", exec_.input);
    started.pop_back();
    started += ",\"roleArn\":";
    append_quoted(started, ctx_.role_arn);
    started += ",\"stateMachineArn\":";
    append_quoted(started, exec_.state_machine_arn);
    started += '}';
    emit_text("ExecutionStarted", std::move(started));
    state_["task_seq"] = 0;
    state_["threads"][kRootThread] = Json::object();
    if (ctx_.machine.timeout_seconds) {
      set_timer(kTimerExecutionTimeout, exec_.start_ms + *ctx_.machine.timeout_seconds * 1000);
    }
    goto_state(kRootThread, ctx_.machine.start_at, std::move(input));
  }

  void close(const std::string& status) {
    exec_.status = status;
    exec_.stop_ms = ctx_.now_ms;
    // clear_outbox drops every entry; naming the SQL ones also has their statements cancelled.
    if (state_.contains("tasks")) {
      for (auto& [seq, tid] : state_["tasks"].items()) {
        auto th = state_["threads"].find(tid.get<std::string>());
        if (th == state_["threads"].end() || !th->contains("s")) continue;
        const Json& f = (*th)["s"];
        if (f.contains("task") && f["task"].value("kind", "") == "sql") {
          write_.outbox_remove.push_back("sql:" + seq);
        }
      }
    }
    state_.erase("timers");
    state_.erase("tasks");
    write_.clear_all_timers = true;
    write_.clear_activity_tasks = true;
    write_.clear_outbox = true;
    // Waits this step started end with it (the store would apply them after the clears).
    write_.timers_set.clear();
    write_.activity_tasks_add.clear();
    write_.outbox_add.clear();
    if (status == "SUCCEEDED") {
      state_.erase("threads");
      data_.clear();
      erased_prefixes_.clear();
      write_.clear_data = true;
    } else {
      // Kept for RedriveExecution: every thread that has not finished remembers the state it
      // was in (or was about to enter) and that state's input.
      park_queued();
      for (auto& [tid, t] : state_["threads"].items()) t["halted"] = true;
    }
    queue_.clear();
  }

  void succeed_execution(std::string out) {
    emit_text("ExecutionSucceeded", payload_details("", "", "output", out));
    exec_.output = std::move(out);
    close("SUCCEEDED");
  }

  void fail_execution(const StatesError& err) {
    Json d = Json::object();
    if (!err.error.empty()) d["error"] = err.error;
    if (!err.cause.empty()) d["cause"] = err.cause;
    emit("ExecutionFailed", d);
    exec_.error = err.error;
    exec_.cause = err.cause;
    close("FAILED");
  }

  // The execution is stopped or timed out while Parallel or Map states run: their running
  // iterations and the states themselves are recorded as aborted, innermost first.
  void emit_aborted_fans(const std::string& tid) {
    auto& threads = state_["threads"];
    auto it = threads.find(tid);
    if (it == threads.end() || !it->contains("s") || !(*it)["s"].contains("fan")) return;
    const Json& fan = (*it)["s"]["fan"];
    if (fan.value("halted", false)) return;
    std::vector<std::pair<int64_t, std::string>> children;
    for (auto& [idx, ctid] : fan["children"].items()) {
      children.emplace_back(std::stoll(idx), ctid.get<std::string>());
    }
    for (const auto& c : children) emit_aborted_fans(c.second);
    tid_ = tid;
    const State* s = current_state();
    if (!s) return;
    bool is_map = s->type == StateType::kMap;
    if (is_map) {
      for (const auto& c : children) {
        emit("MapIterationAborted", Json{{"name", s->name}, {"index", c.first}});
      }
    }
    emit(is_map ? "MapStateAborted" : "ParallelStateAborted");
  }

  void stop(const StatesError& err) {
    emit_aborted_fans(kRootThread);
    Json d = Json::object();
    if (!err.error.empty()) d["error"] = err.error;
    if (!err.cause.empty()) d["cause"] = err.cause;
    emit("ExecutionAborted", d);
    if (!err.error.empty()) exec_.error = err.error;
    if (!err.cause.empty()) exec_.cause = err.cause;
    close("ABORTED");
  }

  // RedriveExecution: the execution runs again from where it stopped. Threads that finished
  // are gone (their results are data rows); every other thread enters again the state it
  // failed in, or was aborted in, with that state's input.
  void redrive(const std::string& client_token) {
    applied_ = true;
    exec_.status = "RUNNING";
    exec_.stop_ms = 0;
    exec_.output.reset();
    exec_.error.reset();
    exec_.cause.reset();
    exec_.redrive_count += 1;
    exec_.redrive_ms = ctx_.now_ms;
    exec_.redrive_token = client_token;
    context_ = nullptr;
    context_built_ = false;
    emit("ExecutionRedriven", Json{{"redriveCount", exec_.redrive_count}});
    if (ctx_.machine.timeout_seconds) {
      set_timer(kTimerExecutionTimeout, ctx_.now_ms + *ctx_.machine.timeout_seconds * 1000);
    }
    if (!state_["threads"].contains(kRootThread)) {
      fail_execution({errors::kRuntime, "The execution has no state to resume from."});
      return;
    }
    resume(kRootThread);
  }

  void resume(const std::string& tid) {
    Json& t = state_["threads"][tid];
    t.erase("halted");
    if (!t.contains("s") || !t["s"].contains("state")) return;
    Json& f = t["s"];
    if (!f.contains("fan")) {
      tid_ = tid;
      goto_state(tid, f["state"].get<std::string>(), state_input());
      return;
    }
    // As a state entered again starts its retries afresh. Before any reference into `f` is
    // taken: erasing shifts the members after it (Json keeps members in a vector).
    f.erase("retries");
    tid_ = tid;
    const State* s = current_state();
    Json& fan = f["fan"];
    fan["halted"] = false;
    fan["failed"] = fan.value("tolerated", int64_t{0});
    std::vector<std::string> children;
    for (auto& [idx, ctid] : fan["children"].items()) children.push_back(ctid.get<std::string>());
    fan["running"] = static_cast<int64_t>(children.size());
    for (const auto& ctid : children) resume(ctid);
    tid_ = tid;
    if (s) advance_fan(*s);
  }

  // ---- threads and the run loop

  struct Pending {
    std::string tid;
    std::string state;
    Json input;
    std::string input_text;  // text(input), or "" when not computed yet
  };

  // `input_text`, when known, is text(input): the output of the state before, already written
  // for its history event.
  void goto_state(const std::string& tid, const std::string& name, Json input,
                  std::string input_text = {}) {
    queue_.push_back({tid, name, std::move(input), std::move(input_text)});
  }

  // A thread that stops while its next state is queued keeps that state as where it is, so
  // that a redrive enters it. Parks the queued entries of every thread, or of `only`.
  void park_queued(const std::string* only = nullptr) {
    auto& threads = state_["threads"];
    for (auto p = queue_.begin(); p != queue_.end();) {
      if (only && p->tid != *only) {
        ++p;
        continue;
      }
      auto it = threads.find(p->tid);
      if (it != threads.end() && !it->contains("s")) {
        (*it)["s"] = Json{{"state", p->state}, {"input", std::move(p->input)}};
      }
      p = queue_.erase(p);
    }
  }

  // Runs states until every thread waits or ends.
  void drive() {
    while (!queue_.empty() && exec_.status == "RUNNING") {
      Pending p = std::move(queue_.front());
      queue_.pop_front();
      auto it = state_["threads"].find(p.tid);
      if (it == state_["threads"].end() || it->value("halted", false)) continue;
      tid_ = p.tid;
      if (history_full()) {
        fail_execution(
            {errors::kRuntime, "The execution reached the maximum number of history events (" +
                                   std::to_string(ctx_.history_limit) + ")."});
        return;
      }
      const State* s = machine_of(tid_).find(p.state);
      if (!s) {
        fail_execution({errors::kRuntime, "State '" + p.state + "' does not exist."});
        return;
      }
      enter(*s, std::move(p.input), std::move(p.input_text));
    }
  }

  Json& thread() { return state_["threads"][tid_]; }
  Json& frame() { return thread()["s"]; }
  bool has_frame() {
    auto& threads = state_["threads"];
    auto it = threads.find(tid_);
    return it != threads.end() && it->contains("s");
  }

  // The states a thread runs: the definition, a Parallel branch or a Map's ItemProcessor.
  const asl::StateMachine& machine_of(const std::string& tid) {
    if (tid == kRootThread) return ctx_.machine;
    if (auto it = machines_.find(tid); it != machines_.end()) return *it->second;
    const Json& t = state_["threads"][tid];
    std::string parent = t["parent"].get<std::string>();
    const Json& pf = state_["threads"][parent]["s"];
    const State* ps = machine_of(parent).find(pf["state"].get<std::string>());
    const asl::StateMachine* m = nullptr;
    if (ps && ps->type == StateType::kParallel) {
      size_t index = t["index"].get<size_t>();
      if (index < ps->branches.size()) m = ps->branches[index].get();
    } else if (ps && ps->type == StateType::kMap) {
      m = ps->item_processor.get();
    }
    if (!m) throw std::runtime_error("thread " + tid + " has no states to run");
    machines_[tid] = m;
    return *m;
  }

  // Timer tags of the root thread are the bare names; other threads add ":<thread id>".
  std::string thread_tag(const char* base) const {
    return tid_ == kRootThread ? std::string(base) : std::string(base) + ":" + tid_;
  }
  static std::optional<std::string> tag_thread(const std::string& tag, std::string_view base) {
    if (tag == base) return std::string(kRootThread);
    if (starts_with(tag, base) && tag.size() > base.size() + 1 && tag[base.size()] == ':') {
      return tag.substr(base.size() + 1);
    }
    return std::nullopt;
  }

  std::string new_thread_id() {
    int64_t n = state_.value("thread_seq", int64_t{0}) + 1;
    state_["thread_seq"] = n;
    return std::to_string(n);
  }

  // TestState: the state under test is the first one the execution enters (event #2).
  TestHooks* test_hooks() {
    if (!ctx_.test || tid_ != kRootThread || !has_frame()) return nullptr;
    return frame().value("entered_id", int64_t{0}) == 2 ? ctx_.test : nullptr;
  }
  void inspect(const char* field, const Json& value) {
    if (auto* h = test_hooks()) h->inspection[field] = text(value);
  }

  void enter(const State& s, Json entered_input, std::string input_text = {}) {
    if (input_text.empty()) input_text = text(entered_input);
    emit_text(std::string(asl::state_type_name(s.type)) + "StateEntered",
              payload_details("name", s.name, "input", input_text));
    clear_object(assigned_);
    clear_object(pending_vars_);
    Json f = Json::object();
    reserve_members(f, 8);  // the members below, and those a waiting state adds
    f["state"] = s.name;
    f["input"] = std::move(entered_input);
    f["entered_id"] = exec_.event_count;
    f["entered_ms"] = ctx_.now_ms;
    Json& th = thread();
    th["s"] = std::move(f);
    // The state runs on the input kept in its frame rather than on a copy. The reference stays
    // good while the state runs: nothing adds to or removes from the frame before the state
    // has used its input for the last time (exit_state drops the frame, a Wait adds to it
    // after reading the input).
    const Json& input = th["s"]["input"];
    inspect("input", input);
    if (s.type == StateType::kFail) {
      run_fail(s, input);
      return;
    }
    try {
      switch (s.type) {
        case StateType::kPass:
          run_pass(s, input);
          break;
        case StateType::kChoice:
          run_choice(s, input);
          break;
        case StateType::kWait:
          run_wait(s, input);
          break;
        case StateType::kSucceed:
          run_succeed(s, input);
          break;
        case StateType::kTask:
        case StateType::kParallel:
        case StateType::kMap:
          start_work(s);
          break;
        case StateType::kFail:
          break;
      }
    } catch (const StatesException& e) {
      state_error(s, e, true);
    }
  }

  // Starts (or, after a retry back-off, restarts) the work of a Task, Parallel or Map state.
  void start_work(const State& s) {
    if (auto* h = test_hooks(); h && (h->mock_result || h->mock_error)) {
      run_mocked(s, *h);
    } else if (s.type == StateType::kTask) {
      schedule_task(s);
    } else {
      start_fan(s);
    }
  }

  // An error raised while evaluating a state's fields: AWS prefixes the cause with where it
  // happened.
  StatesError located(const State& s, StatesError err) {
    int64_t entered = has_frame() ? frame().value("entered_id", int64_t{0}) : 0;
    err.cause = "An error occurred while executing the state '" + s.name +
                "' (entered at the event id #" + std::to_string(entered) + "). " + err.cause;
    return err;
  }

  // A JSONata expression of state `s` failed (States.QueryEvaluationError, `err` already located):
  // AWS records an EvaluationFailed event naming the state and the field, then the error takes
  // its course (retry, catch or failure) as any other. Returns whether it recorded one.
  bool record_evaluation_failure(const State& s, const StatesError& err,
                                 const std::string& location) {
    if (!is_jsonata(s) || err.error != asl::kQueryEvaluationError) return false;
    Json d = Json::object();
    reserve_members(d, 4);
    d["error"] = err.error;
    d["cause"] = err.cause;
    if (!location.empty()) d["location"] = location;  // none when no field failed (Map input)
    d["state"] = s.name;
    // Recorded on AWS: when the failure directly follows the state's entry, the event links to
    // the event the entry links to (Pass Output, Task Arguments, Map Items); a Wait's Timestamp
    // failure links to the entry itself.
    std::optional<int64_t> previous;
    if (s.type != StateType::kWait && !write_.events.empty() && has_frame() &&
        write_.events.back().id == frame().value("entered_id", int64_t{-1})) {
      previous = write_.events.back().previous_id;
    }
    emit("EvaluationFailed", std::move(d), previous);
    return true;
  }

  // An error escaped the evaluation of state `s`'s fields. `before_work` is true while a Task,
  // Parallel or Map state evaluates what it needs to start (Arguments, Items ...), false once it
  // has a result (Output, Assign).
  void state_error(const State& s, const StatesException& e, bool before_work = false) {
    StatesError err = located(s, e.value());
    if (record_evaluation_failure(s, err, e.location()) && before_work &&
        s.type == StateType::kMap) {
      // As AWS records it: the Map that could not start its iterations has failed.
      emit("MapStateFailed");
    }
    if (s.type == StateType::kTask || s.type == StateType::kParallel || s.type == StateType::kMap) {
      handle_error(s, err, false);
    } else {
      fail_thread(err);
    }
  }

  // The raw input of the current thread's state: in its frame, or for a Parallel or Map state
  // in a data row.
  Json state_input() {
    if (frame().contains("input")) return frame()["input"];
    auto row = data_get(data_prefix("in", tid_));
    if (!row)
      throw std::runtime_error("the input of state " + frame().value("state", "") + " is missing");
    return Json::parse(*row);
  }

  // Leaves state `s` with `output` and moves on.
  void exit_state(const State& s, Json output, const std::string& next) {
    std::string output_text = text(output);
    if (output_text.size() > kMaxPayloadBytes) {
      fail_thread({errors::kDataLimitExceeded,
                   "The state/task '" + s.name +
                       "' returned a result with a size exceeding the maximum number of bytes "
                       "service limit."});
      return;
    }
    std::string d = payload_details("name", s.name, "output", output_text);
    if (!assigned_.empty()) {
      d.pop_back();
      d += ",\"assignedVariables\":";
      d += assigned_.dump();
      d += ",\"assignedVariablesDetails\":{\"truncated\":false}}";
      assigned_ = Json::object();
    }
    emit_text(std::string(asl::state_type_name(s.type)) + "StateExited", std::move(d));
    for (auto& [k, v] : pending_vars_.items()) (*vars())[k] = std::move(v);
    clear_object(pending_vars_);
    if (auto* h = test_hooks()) h->inspection["variables"] = text(*vars());
    if (!frame().contains("input")) data_erase_prefix(data_prefix("in", tid_));
    thread().erase("s");
    if (next.empty()) {
      thread_succeeded(std::move(output_text));
    } else {
      goto_state(tid_, next, std::move(output), std::move(output_text));
    }
  }

  // The current thread reached an End with output `output_text`: the execution succeeds, or the
  // branch or iteration hands its output to the Parallel or Map state that started it.
  void thread_succeeded(std::string output_text) {
    if (tid_ == kRootThread) {
      succeed_execution(std::move(output_text));
      return;
    }
    std::string child = tid_;
    std::string parent = thread()["parent"].get<std::string>();
    int64_t index = thread()["index"].get<int64_t>();
    state_["threads"].erase(child);
    machines_.erase(child);
    tid_ = parent;
    const State* ps = current_state();
    if (!ps || !frame().contains("fan")) return;
    if (ps->type == StateType::kMap) {
      emit_text("MapIterationSucceeded", index_details(ps->name, index));
    }
    data_put(data_key("res", parent, index), std::move(output_text));
    Json& fan = frame()["fan"];
    fan["children"].erase(std::to_string(index));
    fan["running"] = fan["running"].get<int64_t>() - 1;
    advance_fan(*ps);
  }

  // The current thread failed with `err` that nothing in it caught.
  void fail_thread(const StatesError& err) {
    if (tid_ == kRootThread) {
      fail_execution(err);
      return;
    }
    std::string child = tid_;
    std::string parent = thread()["parent"].get<std::string>();
    int64_t index = thread()["index"].get<int64_t>();
    tid_ = parent;
    const State* ps = current_state();
    if (!ps || !frame().contains("fan")) return;
    Json& fan = frame()["fan"];
    bool is_map = ps->type == StateType::kMap;
    if (is_map) emit("MapIterationFailed", Json{{"name", ps->name}, {"index", index}});
    fan["running"] = fan["running"].get<int64_t>() - 1;
    int64_t failed = fan["failed"].get<int64_t>() + 1;
    fan["failed"] = failed;
    bool tolerant = is_map && (fan.contains("tolerated_count") || fan.contains("tolerated_pct"));
    if (tolerant && !tolerance_exceeded(fan)) {
      data_put(data_key("res", parent, index),
               text(Json{{"Error", err.error}, {"Cause", err.cause}}));
      fan["tolerated"] = fan.value("tolerated", int64_t{0}) + 1;
      fan["children"].erase(std::to_string(index));
      discard_thread(child);
      advance_fan(*ps);
      return;
    }
    state_["threads"][child]["halted"] = true;
    halt_fan(child);
    emit(is_map ? "MapStateFailed" : "ParallelStateFailed");
    StatesError raised = err;
    if (tolerant) {
      raised = {"States.ExceedToleratedFailureThreshold",
                "The specified tolerated failure threshold was exceeded"};
    }
    handle_error(*ps, raised, false);
  }

  static bool tolerance_exceeded(const Json& fan) {
    int64_t failed = fan["failed"].get<int64_t>();
    int64_t total = fan["total"].get<int64_t>();
    bool over = false;
    if (fan.contains("tolerated_count")) over = failed > fan["tolerated_count"].get<int64_t>();
    if (fan.contains("tolerated_pct") && total > 0) {
      double pct = 100.0 * static_cast<double>(failed) / static_cast<double>(total);
      over = over || pct > fan["tolerated_pct"].get<double>();
    }
    return over;  // with both thresholds set, passing either one fails the Map
  }

  // ---- Parallel and Map

  // A whole-number field of a Map state given literally or by a path.
  std::optional<int64_t> map_int_field(const std::optional<int64_t>& literal,
                                       const std::string& path, const char* field,
                                       const Json& effective, const Json& ctx) {
    if (literal) return literal;
    if (path.empty()) return std::nullopt;
    Json v =
        select_path(asl::PathField{asl::PathField::Kind::kPath, path, nullptr}, effective, ctx);
    if (v.is_number_integer() || v.is_number_unsigned()) return v.get<int64_t>();
    // AWS also takes the number written as a string ("1").
    if (v.is_string()) {
      const std::string& str = v.get_ref<const std::string&>();
      int64_t n = 0;
      auto [end, ec] = std::from_chars(str.data(), str.data() + str.size(), n);
      if (ec == std::errc() && end == str.data() + str.size() && !str.empty()) return n;
    }
    throw StatesException(errors::kRuntime, std::string("The ") + field +
                                                " field refers to value \"" + value_text(v) +
                                                "\" which is not a valid integer: " + path);
  }

  // The same for ToleratedFailurePercentagePath, which takes any number.
  double map_float_path(const std::string& path, const Json& effective, const Json& ctx) {
    Json v =
        select_path(asl::PathField{asl::PathField::Kind::kPath, path, nullptr}, effective, ctx);
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) {
      const std::string& str = v.get_ref<const std::string&>();
      char* end = nullptr;
      double d = std::strtod(str.c_str(), &end);
      if (!str.empty() && end == str.c_str() + str.size() && std::isfinite(d)) return d;
    }
    throw StatesException(errors::kRuntime,
                          "The ToleratedFailurePercentagePath field refers to value \"" +
                              value_text(v) + "\" which is not a valid float: " + path);
  }

  void start_fan(const State& s) {
    Json input = state_input();
    // The raw input waits as a row (ResultPath and Catch need it at the end): the runtime
    // state, written on every step, then holds nothing that grows with the items.
    data_put(data_prefix("in", tid_), text(input));
    frame().erase("input");
    const Json& ctx = context(s);
    const bool jsonata = is_jsonata(s);
    std::optional<Json> states;
    if (jsonata) states = states_of(input, ctx);
    Json effective = jsonata ? input : select_path(s.input_path, input, ctx);
    if (!jsonata) inspect("afterInputPath", effective);
    bool is_map = s.type == StateType::kMap;
    Json fan{{"next", 0}, {"running", 0}, {"failed", 0}, {"children", Json::object()}};
    int64_t total = 0;
    if (!is_map) {
      std::optional<Json> args;
      if (jsonata) args = jsonata_value(s, "Arguments", *states, s.parameters);
      Json params = jsonata ? (args ? std::move(*args) : input)
                    : s.parameters
                        ? eval_template(*s.parameters, s.parameters_template, effective, ctx)
                        : effective;
      inspect("afterParameters", params);
      total = static_cast<int64_t>(s.branches.size());
      std::string encoded = text(params);
      for (int64_t i = 0; i < total; ++i) data_put(data_key("item", tid_, i), encoded);
      fan["limit"] = total;
    } else {
      // A Distributed Map's readers and writers talk to S3, which stepd does not reach: refuse
      // rather than iterate over something else.
      for (const char* field : {"ItemReader", "ItemBatcher", "ResultWriter"}) {
        if (s.raw.contains(field)) {
          throw StatesException(errors::kRuntime, std::string("The Map state's ") + field +
                                                      " is not supported by stepd.");
        }
      }
      Json items;
      if (jsonata) {
        std::optional<Json> v = jsonata_value(s, "Items", *states, s.items);
        if (v && !v->is_array()) {
          asl::unexpected_result_type(s.jsonata_field("Items"), "Items", "array", *v);
        }
        items = v ? std::move(*v) : input;
        if (!items.is_array()) {
          throw StatesException(asl::kQueryEvaluationError,
                                "Map state input must be an array but was: " + text(items));
        }
      } else {
        items = s.items
                    ? *s.items
                    : select_path(s.items_path.empty() ? asl::PathField{}
                                                       : asl::PathField{asl::PathField::Kind::kPath,
                                                                        s.items_path, nullptr},
                                  effective, ctx);
        if (!items.is_array()) {
          throw StatesException(errors::kRuntime,
                                "Map state input must be an array but was: " + text(items));
        }
      }
      inspect("afterItemsPath", items);
      std::optional<int64_t> limit;
      std::optional<int64_t> count;
      std::optional<double> pct = s.tolerated_failure_percentage;
      if (jsonata) {
        limit = s.max_concurrency ? s.max_concurrency
                                  : jsonata_integer(s, "MaxConcurrency", *states, 0);
        count = s.tolerated_failure_count ? s.tolerated_failure_count
                                          : jsonata_integer(s, "ToleratedFailureCount", *states, 0);
        if (!pct) {
          if (auto v = jsonata_value(s, "ToleratedFailurePercentage", *states, std::nullopt)) {
            if (!v->is_number() || v->get<double>() < 0 || v->get<double>() > 100) {
              asl::unexpected_result_type(s.jsonata_field("ToleratedFailurePercentage"),
                                          "ToleratedFailurePercentage", "number between 0 and 100",
                                          *v);
            }
            pct = v->get<double>();
          }
        }
      } else {
        limit = map_int_field(s.max_concurrency, s.max_concurrency_path, "MaxConcurrencyPath",
                              effective, ctx);
        count = map_int_field(s.tolerated_failure_count, s.tolerated_failure_count_path,
                              "ToleratedFailureCountPath", effective, ctx);
        if (!pct && !s.tolerated_failure_percentage_path.empty()) {
          pct = map_float_path(s.tolerated_failure_percentage_path, effective, ctx);
        }
      }
      if (count && *count < 0) {
        throw StatesException(errors::kRuntime, "ToleratedFailureCount cannot be negative.");
      }
      if (pct && (*pct < 0 || *pct > 100)) {
        throw StatesException(errors::kRuntime,
                              "ToleratedFailurePercentage must be between 0 and 100.");
      }
      if (auto* h = test_hooks()) {
        h->inspection["maxConcurrency"] = limit.value_or(0);
        if (count) h->inspection["toleratedFailureCount"] = *count;
        if (pct) h->inspection["toleratedFailurePercentage"] = *pct;
      }
      if (count) fan["tolerated_count"] = *count;
      if (pct) fan["tolerated_pct"] = *pct;
      int64_t cap = limit.value_or(0);
      fan["limit"] = cap <= 0 || cap > kInlineMapConcurrency ? kInlineMapConcurrency : cap;
      total = static_cast<int64_t>(items.size());
      Json selected_all = Json::array();
      // Rows are put only once every item has its input: an ItemSelector that fails on item k
      // must not leave items 0..k-1 behind.
      std::vector<std::string> encoded;
      encoded.reserve(items.size());
      // JSONata: $states is built once (the input is not copied per item); only the context's
      // Map.Item changes from item to item.
      Json states;
      if (jsonata && s.item_selector) states = states_of(input, context_);
      for (int64_t i = 0; i < total; ++i) {
        Json& item = items[static_cast<size_t>(i)];
        Json selected;
        if (s.item_selector) {
          Json map = {{"Item", {{"Index", i}, {"Value", item}}}};
          if (jsonata) {
            states["context"]["Map"] = std::move(map);
            selected = *jsonata_value(s, "ItemSelector", states, s.item_selector);
          } else {
            context_["Map"] = std::move(map);
            try {
              selected =
                  eval_template(*s.item_selector, s.item_selector_template, effective, context_);
            } catch (...) {
              context_.erase("Map");
              throw;
            }
            context_.erase("Map");
          }
        } else {
          selected = std::move(item);
        }
        if (test_hooks()) selected_all.push_back(selected);
        encoded.push_back(text(selected));
      }
      for (int64_t i = 0; i < total; ++i) {
        data_put(data_key("item", tid_, i), std::move(encoded[static_cast<size_t>(i)]));
      }
      if (s.item_selector) inspect("afterItemSelector", selected_all);
    }
    fan["total"] = total;
    frame()["phase"] = "fan";
    frame()["fan"] = std::move(fan);
    if (is_map) {
      emit("MapStateStarted", Json{{"length", total}});
    } else {
      emit("ParallelStateStarted");
    }
    advance_fan(s);
  }

  // Starts children while there is room, and completes the state when all have finished.
  void advance_fan(const State& s) {
    if (frame()["fan"].value("halted", false)) return;
    bool is_map = s.type == StateType::kMap;
    std::string parent = tid_;
    auto count = [&](const char* field) { return frame()["fan"][field].get<int64_t>(); };
    while (count("running") < count("limit") && count("next") < count("total")) {
      int64_t index = count("next");
      std::string key = data_key("item", parent, index);
      auto encoded = data_get(key);
      if (!encoded) throw std::runtime_error("the input of item " + key + " is missing");
      data_forget(key);
      std::string child = new_thread_id();
      Json t{{"parent", parent}, {"index", index}, {"vars", Json::object()}};
      // Adding a thread moves the others in memory: references into state_ end here.
      state_["threads"][child] = std::move(t);
      Json& fan = frame()["fan"];
      fan["next"] = index + 1;
      fan["children"][std::to_string(index)] = child;
      fan["running"] = fan["running"].get<int64_t>() + 1;
      if (is_map) emit_text("MapIterationStarted", index_details(s.name, index));
      // The row is text(input) already (dumping parsed text gives the same text back).
      Json input = Json::parse(*encoded);
      goto_state(child, machine_of(child).start_at, std::move(input), std::move(*encoded));
    }
    if (count("running") == 0 && count("next") >= count("total")) finish_fan(s);
  }

  void finish_fan(const State& s) {
    Json results = Json::array();
    for (auto& v : data_scan(data_prefix("res", tid_))) results.push_back(Json::parse(v));
    data_erase_prefix(data_prefix("res", tid_));
    data_erase_prefix(data_prefix("item", tid_));
    frame().erase("fan");
    emit(s.type == StateType::kMap ? "MapStateSucceeded" : "ParallelStateSucceeded");
    complete_state(s, std::move(results));
  }

  // A child of the current thread's fan failed: the others stop where they are (their waits
  // close; they stay listed, halted, so that a redrive can run them again).
  void halt_fan(const std::string& failed_child) {
    Json& fan = frame()["fan"];
    fan["halted"] = true;
    const State* ps = current_state();
    bool is_map = ps && ps->type == StateType::kMap;
    std::string parent = tid_;
    std::vector<std::pair<int64_t, std::string>> others;
    for (auto& [idx, ctid] : fan["children"].items()) {
      if (ctid != failed_child) others.emplace_back(std::stoll(idx), ctid.get<std::string>());
    }
    for (const auto& [index, ctid] : others) {
      abort_thread(ctid);
      tid_ = parent;
      if (is_map) emit("MapIterationAborted", Json{{"name", ps->name}, {"index", index}});
    }
    tid_ = parent;
  }

  // Closes every wait of thread `tid` and of its descendants and marks them halted.
  void abort_thread(const std::string& tid) {
    park_queued(&tid);
    tid_ = tid;
    Json& t = thread();
    t["halted"] = true;
    clear_timer(thread_tag(kTimerWait));
    clear_timer(thread_tag(kTimerRetry));
    if (!t.contains("s")) return;
    Json& f = t["s"];
    if (f.contains("task")) {
      close_task(f["task"]);
      f.erase("task");
    }
    if (f.contains("fan")) {
      f["fan"]["halted"] = true;
      std::vector<std::string> kids;
      for (auto& [idx, ctid] : f["fan"]["children"].items())
        kids.push_back(ctid.get<std::string>());
      for (const auto& k : kids) abort_thread(k);
    }
  }

  // The Parallel or Map state of the current thread will run again or has been caught: its
  // children and their rows go.
  void discard_fan() {
    if (!has_frame() || !frame().contains("fan")) return;
    std::vector<std::string> kids;
    for (auto& [idx, ctid] : frame()["fan"]["children"].items()) {
      kids.push_back(ctid.get<std::string>());
    }
    std::string parent = tid_;
    for (const auto& k : kids) {
      abort_thread(k);
      discard_thread(k);
    }
    tid_ = parent;
    data_erase_prefix(data_prefix("res", parent));
    data_erase_prefix(data_prefix("item", parent));
    frame().erase("fan");
  }

  void discard_thread(const std::string& tid) {
    auto& threads = state_["threads"];
    if (!threads.contains(tid)) return;
    Json& t = threads[tid];
    if (t.contains("s") && t["s"].contains("fan")) {
      std::vector<std::string> kids;
      for (auto& [idx, ctid] : t["s"]["fan"]["children"].items()) {
        kids.push_back(ctid.get<std::string>());
      }
      for (const auto& k : kids) discard_thread(k);
      data_erase_prefix(data_prefix("res", tid));
      data_erase_prefix(data_prefix("item", tid));
    }
    data_erase_prefix(data_prefix("in", tid));
    threads.erase(tid);
    machines_.erase(tid);
    for (auto it = queue_.begin(); it != queue_.end();) {
      it = it->tid == tid ? queue_.erase(it) : it + 1;
    }
  }

  // TestState with a mock: the state's result (or error) is given instead of running it.
  void run_mocked(const State& s, const TestHooks& h) {
    Json input = state_input();
    const Json& ctx = context(s);
    Json effective = select_path(s.input_path, input, ctx);
    inspect("afterInputPath", effective);
    if (s.type == StateType::kTask || s.type == StateType::kParallel) {
      if (s.parameters)
        inspect("afterParameters",
                eval_template(*s.parameters, s.parameters_template, effective, ctx));
    }
    if (h.mock_error) {
      handle_error(s, *h.mock_error, false);
      return;
    }
    Json result = *h.mock_result;
    if (s.type == StateType::kMap && h.map_iteration_failure_count > 0) {
      Json fan{{"failed", h.map_iteration_failure_count},
               {"total", result.is_array() ? static_cast<int64_t>(result.size()) : int64_t{0}}};
      auto count = map_int_field(s.tolerated_failure_count, s.tolerated_failure_count_path,
                                 "ToleratedFailureCountPath", effective, ctx);
      if (count) fan["tolerated_count"] = *count;
      if (s.tolerated_failure_percentage) fan["tolerated_pct"] = *s.tolerated_failure_percentage;
      if (!fan.contains("tolerated_count") && !fan.contains("tolerated_pct")) {
        fan["tolerated_count"] = 0;
      }
      fan["total"] = std::max(fan["total"].get<int64_t>(), h.map_iteration_failure_count);
      if (tolerance_exceeded(fan)) {
        handle_error(s,
                     {"States.ExceedToleratedFailureThreshold",
                      "The specified tolerated failure threshold was exceeded"},
                     false);
        return;
      }
    }
    complete_state(s, std::move(result));
  }
  // ---- data flow

  // The context object ($$) for state `s`. Built once per step and updated in place for each
  // state, so that the execution's input is not copied for every state the step runs.
  //
  // It is built only for states whose definition mentions "$$" (no other state can read it):
  // a Map iteration that never reads it then does not pay for parsing and copying a large
  // execution input on every step, nor a chain of Pass states for formatting times.
  const Json& context(const State& s, const std::string& token = "") {
    // TestState's `context` replaces the context object whole, as AWS does.
    if (ctx_.test && ctx_.test->context) return *ctx_.test->context;
    // A state whose definition never writes "$$" cannot read the context object: it gets an
    // empty one, and a chain of such states pays nothing for it.
    if (!s.mentions_context) return empty_context_;
    if (!context_built_) {
      Json execution = Json::object();
      reserve_members(execution, 7);
      execution["Id"] = exec_.arn;
      execution["Input"] = execution_input();
      execution["Name"] = exec_.name;
      execution["RoleArn"] = ctx_.role_arn;
      execution["StartTime"] = format_iso8601_ms(exec_.start_ms);
      execution["RedriveCount"] = exec_.redrive_count;
      if (exec_.redrive_ms > 0) execution["RedriveTime"] = format_iso8601_ms(exec_.redrive_ms);
      Json machine = Json::object();
      reserve_members(machine, 2);
      machine["Id"] = exec_.state_machine_arn;
      machine["Name"] = ctx_.state_machine_name;
      Json state = Json::object();
      reserve_members(state, 3);
      context_ = Json::object();
      reserve_members(context_, 5);  // and Task, Map
      context_["Execution"] = std::move(execution);
      context_["StateMachine"] = std::move(machine);
      context_["State"] = std::move(state);
      context_built_ = true;
    }
    int64_t entered_ms = has_frame() ? frame().value("entered_ms", ctx_.now_ms) : ctx_.now_ms;
    Json& st = context_["State"];
    st["EnteredTime"] = format_iso8601_ms(entered_ms);
    st["Name"] = s.name;
    st["RetryCount"] = retry_count();
    if (token.empty()) {
      context_.erase("Task");
    } else {
      context_["Task"] = {{"Token", token}};
    }
    return context_;
  }

  // The execution's input, parsed once per step (the context object of every state holds it).
  const Json& execution_input() {
    if (!execution_input_) execution_input_ = Json::parse(exec_.input);
    return *execution_input_;
  }

  int64_t retry_count() {
    int64_t n = 0;
    if (!has_frame() || !frame().contains("retries")) return 0;
    for (const auto& r : frame()["retries"]) n += r.get<int64_t>();
    return n;
  }

  // The current thread's own variables. A branch or iteration reads its parents' too (see
  // scope_of); what it assigns stays inside it.
  Json* vars() { return tid_ == kRootThread ? &state_["vars"] : &thread()["vars"]; }

  // What expressions of the current thread see: the state's document, the context object, the
  // thread's variables and then those of the threads around it, innermost first.
  asl::EvalScope scope_of(const Json& doc, const Json& ctx) {
    collect_outer_vars();
    return asl::EvalScope{doc, ctx, vars(), &ctx_.ids, outer_vars_};
  }

  void collect_outer_vars() {
    outer_vars_.clear();
    for (std::string t = tid_; t != kRootThread;) {
      t = state_["threads"][t]["parent"].get<std::string>();
      outer_vars_.push_back(t == kRootThread ? &state_["vars"] : &state_["threads"][t]["vars"]);
    }
  }

  // ---- JSONata states

  static bool is_jsonata(const State& s) {
    return s.query_language == asl::QueryLanguage::kJsonata;
  }

  // $states of a JSONata field: the state's input, the context object, and `extra` under
  // `extra_name` ("result" once a Task, Parallel or Map has one, "errorOutput" in a Catch).
  static Json states_of(const Json& input, const Json& ctx, const char* extra_name = nullptr,
                        const Json* extra = nullptr) {
    Json st = Json::object();
    reserve_members(st, 3);
    st["input"] = input;
    if (extra_name) st[extra_name] = *extra;
    st["context"] = ctx;
    return st;
  }

  // The value of field `name` of JSONata state `s`: its expressions evaluated when it has any,
  // else `literal` (the field as written), else nullopt (the state does not have the field).
  std::optional<Json> jsonata_value(const State& s, const std::string& name, const Json& states,
                                    const std::optional<Json>& literal) {
    if (const asl::JsonataField* f = s.jsonata_field(name)) {
      collect_outer_vars();
      asl::JsonataScope scope{states, vars(), outer_vars_, &ctx_.ids, ctx_.now_ms};
      return f->evaluate(scope, name);
    }
    return literal;
  }

  // A JSONata field that must be a whole number (Seconds, TimeoutSeconds, MaxConcurrency ...),
  // at least `min`. Values beyond kMaxSeconds are capped there: no field needs more, and the
  // millisecond arithmetic on them must not overflow.
  std::optional<int64_t> jsonata_integer(const State& s, const std::string& name,
                                         const Json& states, int64_t min) {
    std::optional<Json> v = jsonata_value(s, name, states, std::nullopt);
    if (!v) return std::nullopt;
    std::optional<int64_t> n;
    if (v->is_number_unsigned()) {
      n = static_cast<int64_t>(std::min<uint64_t>(v->get<uint64_t>(), kMaxSeconds));
    } else if (v->is_number_integer()) {
      n = std::min<int64_t>(v->get<int64_t>(), kMaxSeconds);
    } else if (v->is_number_float()) {
      double d = v->get<double>();
      if (std::isfinite(d) && std::trunc(d) == d) {
        n = static_cast<int64_t>(std::clamp(d, -1.0, static_cast<double>(kMaxSeconds)));
      }
    }
    if (!n || *n < min) {
      asl::unexpected_result_type(s.jsonata_field(name), name,
                                  min > 0 ? "positive integer" : "non-negative integer", *v);
    }
    return n;
  }

  Json select_path(const asl::PathField& f, const Json& doc, const Json& ctx) {
    if (f.kind == asl::PathField::Kind::kDefault) return doc;
    if (f.kind == asl::PathField::Kind::kNull) return Json::object();
    asl::EvalScope scope = scope_of(doc, ctx);
    auto v = f.compiled ? f.compiled->resolve(scope) : asl::resolve_path(f.path, scope);
    if (!v) {
      throw StatesException(
          errors::kRuntime,
          "Invalid path '" + f.path + "' : No results for path: " + normalized_path(f.path));
    }
    return *v;
  }

  static std::string normalized_path(const std::string& path) {
    // "$.a.b[0]" → "$['a']['b'][0]", the form AWS quotes in its messages.
    std::string out = "$";
    size_t i = path.rfind('$', 0) == 0 ? 1 : 0;
    while (i < path.size()) {
      if (path[i] == '.') {
        size_t j = i + 1;
        while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
        out += "['" + path.substr(i + 1, j - i - 1) + "']";
        i = j;
      } else if (path[i] == '[') {
        size_t j = path.find(']', i);
        if (j == std::string::npos) j = path.size() - 1;
        out += path.substr(i, j - i + 1);
        i = j + 1;
      } else {
        ++i;
      }
    }
    return out;
  }

  Json put_result(const asl::PathField& f, const Json& raw_input, Json result) {
    if (f.kind == asl::PathField::Kind::kDefault) return result;
    if (f.kind == asl::PathField::Kind::kNull) return raw_input;
    if (f.compiled && f.compiled->root() == asl::CompiledPath::Root::kInput) {
      return f.compiled->path().assign(raw_input, std::move(result));
    }
    return asl::JsonPath::parse(f.path).assign(raw_input, std::move(result));
  }

  // Assign: every expression sees the variables from before the state; the values take effect
  // when the state exits (a state that fails instead assigns nothing).
  void assign(const std::optional<Json>& spec, const Json& doc, const Json& ctx) {
    if (!spec) return;
    asl::EvalScope scope = scope_of(doc, ctx);
    record_assign(asl::apply_template(*spec, scope));
  }

  // A JSONata state's Assign (`name` is "Assign", "Choices[i]/Assign" or "Catch[i]/Assign").
  void jsonata_assign(const State& s, const std::string& name, const Json& states,
                      const std::optional<Json>& literal) {
    if (auto values = jsonata_value(s, name, states, literal)) record_assign(std::move(*values));
  }

  void record_assign(Json values) {
    // Limits as AWS documents them: what one state assigns fits in 256 KiB, and all of an
    // execution's variables in 10 MiB.
    Json texts = Json::object();
    size_t bytes = 0;
    for (auto& [k, v] : values.items()) {
      std::string t = text(v);
      bytes += k.size() + t.size();
      texts[k] = std::move(t);
    }
    if (bytes > kMaxPayloadBytes) {
      throw StatesException(errors::kRuntime, "The variables assigned by the state (" +
                                                  std::to_string(bytes) +
                                                  " bytes) exceed the limit of 262144 bytes.");
    }
    // The variables after this state: those held now, less what it replaces, plus what it
    // and an earlier Assign of the same state (a Choice rule's) assign. A name in both is
    // counted twice, which errs on the safe side.
    const Json& held = *vars();
    size_t total = text(held).size() + bytes;
    for (auto& [k, t] : assigned_.items())
      total += k.size() + t.get_ref<const std::string&>().size();
    for (auto& [k, v] : values.items()) {
      if (auto it = held.find(k); it != held.end()) {
        total -= std::min(total, k.size() + text(*it).size());
      }
    }
    if (total > kMaxVariableBytes) {
      throw StatesException(errors::kRuntime, "The execution's variables (" +
                                                  std::to_string(total) +
                                                  " bytes) would exceed the limit of 10485760 "
                                                  "bytes.");
    }
    for (auto& [k, v] : values.items()) {
      assigned_[k] = std::move(texts[k]);
      pending_vars_[k] = std::move(v);
    }
  }

  // `compiled` is `tmpl` parsed when the definition was (null: parse it now).
  Json eval_template(const Json& tmpl, const std::shared_ptr<const asl::CompiledTemplate>& compiled,
                     const Json& doc, const Json& ctx) {
    asl::EvalScope scope = scope_of(doc, ctx);
    return compiled ? compiled->apply(scope) : asl::apply_template(tmpl, scope);
  }

  // ---- instant states

  void run_pass(const State& s, const Json& input) {
    const Json& ctx = context(s);
    if (is_jsonata(s)) {
      Json states = states_of(input, ctx);
      jsonata_assign(s, "Assign", states, s.assign);
      std::optional<Json> output = jsonata_value(s, "Output", states, s.output);
      exit_state(s, output ? std::move(*output) : input, s.end ? "" : s.next);
      return;
    }
    // Values are copied only where a path or field changes them: with the default InputPath
    // the state reads its input in place, with the default OutputPath the output is moved.
    std::optional<Json> selected;
    if (s.input_path.kind != asl::PathField::Kind::kDefault) {
      selected = select_path(s.input_path, input, ctx);
    }
    const Json& effective = selected ? *selected : input;
    inspect("afterInputPath", effective);
    Json result;
    if (s.result) {
      result = *s.result;
    } else if (s.parameters) {
      try {
        result = eval_template(*s.parameters, s.parameters_template, effective, ctx);
      } catch (const StatesException& e) {
        // Outside Task states a path that finds nothing ends the execution.
        if (e.value().error == errors::kParameterPathFailure) {
          throw StatesException(errors::kRuntime, e.value().cause);
        }
        throw;
      }
      inspect("afterParameters", result);
    } else {
      result = effective;
    }
    assign(s.assign, result, ctx);
    Json after = put_result(s.result_path, input, std::move(result));
    inspect("afterResultPath", after);
    Json output = s.output_path.kind == asl::PathField::Kind::kDefault
                      ? std::move(after)
                      : select_path(s.output_path, after, ctx);
    exit_state(s, std::move(output), s.end ? "" : s.next);
  }

  void run_choice(const State& s, const Json& input) {
    const Json& ctx = context(s);
    if (is_jsonata(s)) {
      run_jsonata_choice(s, input, ctx);
      return;
    }
    Json effective = select_path(s.input_path, input, ctx);
    asl::EvalScope scope = scope_of(effective, ctx);
    const asl::ChoiceRule* chosen = nullptr;
    for (const auto& rule : s.choices) {
      if (asl::evaluate_choice_rule(rule, scope)) {
        chosen = &rule;
        break;
      }
    }
    std::string next;
    if (chosen) {
      assign(chosen->assign, effective, ctx);
      next = chosen->next;
    } else if (!s.default_next.empty()) {
      next = s.default_next;
    } else {
      throw StatesException(errors::kNoChoiceMatched, "No Matches!");
    }
    assign(s.assign, effective, ctx);
    exit_state(s, select_path(s.output_path, effective, ctx), next);
  }

  // A JSONata Choice: the first rule whose Condition is true decides; its Assign and the
  // state's both apply, its Output (else the state's, else the input) is the output.
  void run_jsonata_choice(const State& s, const Json& input, const Json& ctx) {
    Json states = states_of(input, ctx);
    std::optional<size_t> chosen;
    for (size_t i = 0; i < s.choices.size() && !chosen; ++i) {
      const std::string name = "Choices[" + std::to_string(i) + "]/Condition";
      std::optional<Json> v = jsonata_value(s, name, states, s.choices[i].condition);
      if (!v || !v->is_boolean()) {
        asl::unexpected_result_type(s.jsonata_field(name), name, "boolean", v ? *v : Json());
      }
      if (v->get<bool>()) chosen = i;
    }
    std::string next;
    std::optional<Json> output;
    if (chosen) {
      const asl::ChoiceRule& rule = s.choices[*chosen];
      const std::string prefix = "Choices[" + std::to_string(*chosen) + "]/";
      jsonata_assign(s, prefix + "Assign", states, rule.assign);
      output = jsonata_value(s, prefix + "Output", states, rule.output);
      next = rule.next;
    } else if (!s.default_next.empty()) {
      next = s.default_next;
    } else {
      throw StatesException(errors::kNoChoiceMatched, "No Matches!");
    }
    jsonata_assign(s, "Assign", states, s.assign);
    if (!output) output = jsonata_value(s, "Output", states, s.output);
    exit_state(s, output ? std::move(*output) : input, next);
  }

  void run_wait(const State& s, const Json& input) {
    const Json& ctx = context(s);
    const bool jsonata = is_jsonata(s);
    std::optional<Json> states;
    if (jsonata) states = states_of(input, ctx);
    Json effective = jsonata ? Json() : select_path(s.input_path, input, ctx);
    int64_t due = ctx_.now_ms;
    if (jsonata && s.jsonata_field("Seconds")) {
      due += *jsonata_integer(s, "Seconds", *states, 0) * 1000;
    } else if (jsonata && s.jsonata_field("Timestamp")) {
      Json v = *jsonata_value(s, "Timestamp", *states, std::nullopt);
      if (!v.is_string()) {
        asl::unexpected_result_type(s.jsonata_field("Timestamp"), "Timestamp",
                                    "ISO-8601 extended offset date-time string", v);
      }
      std::optional<int64_t> t = asl::parse_rfc3339_ms(v.get<std::string>());
      if (!t) {
        throw StatesException(asl::kQueryEvaluationError,
                              "The Timestamp field cannot be parsed as an ISO-8601 extended offset "
                              "date-time format string: " +
                                  v.get<std::string>(),
                              "Timestamp");
      }
      due = *t;
    } else if (s.seconds) {
      due += *s.seconds * 1000;
    } else if (s.timestamp) {
      auto t = asl::parse_rfc3339_ms(*s.timestamp);
      if (t) due = *t;
    } else if (!s.seconds_path.empty()) {
      asl::EvalScope scope = scope_of(effective, ctx);
      auto v = asl::resolve_path(s.seconds_path, scope);
      if (!v) {
        throw StatesException(errors::kRuntime,
                              "Invalid path '" + s.seconds_path +
                                  "' : No results for path: " + normalized_path(s.seconds_path));
      }
      if (!v->is_number_integer() && !v->is_number_unsigned()) {
        throw StatesException(errors::kRuntime,
                              "The SecondsPath parameter cannot be parsed as a long value: " +
                                  s.seconds_path + " == " + v->dump());
      }
      int64_t secs = v->get<int64_t>();
      if (secs < 0) {
        throw StatesException(errors::kRuntime,
                              "The SecondsPath parameter references a negative value: " +
                                  s.seconds_path + " == " + v->dump());
      }
      due += std::min<int64_t>(secs, kMaxSeconds) * 1000;  // no overflow for a huge value
    } else if (!s.timestamp_path.empty()) {
      asl::EvalScope scope = scope_of(effective, ctx);
      auto v = asl::resolve_path(s.timestamp_path, scope);
      std::optional<int64_t> t;
      if (v && v->is_string()) t = asl::parse_rfc3339_ms(v->get<std::string>());
      if (!t) {
        throw StatesException(errors::kRuntime,
                              "The TimestampPath parameter does not reference a valid ISO-8601 "
                              "extended offset date-time format string: " +
                                  s.timestamp_path + " == " + (v ? v->dump() : "null"));
      }
      due = *t;
    }
    if (jsonata) {
      jsonata_assign(s, "Assign", *states, s.assign);
      std::optional<Json> output = jsonata_value(s, "Output", *states, s.output);
      frame()["phase"] = "wait";
      frame()["output"] = output ? std::move(*output) : input;
    } else {
      assign(s.assign, effective, ctx);
      frame()["phase"] = "wait";
      frame()["output"] = select_path(s.output_path, effective, ctx);
    }
    frame()["assigned"] = assigned_;
    frame()["assign"] = pending_vars_;
    assigned_ = Json::object();
    pending_vars_ = Json::object();
    set_timer(thread_tag(kTimerWait), std::max(due, ctx_.now_ms));
  }

  void run_succeed(const State& s, const Json& input) {
    const Json& ctx = context(s);
    if (is_jsonata(s)) {
      std::optional<Json> output = jsonata_value(s, "Output", states_of(input, ctx), s.output);
      exit_state(s, output ? std::move(*output) : input, "");
      return;
    }
    Json output = select_path(s.output_path, select_path(s.input_path, input, ctx), ctx);
    exit_state(s, std::move(output), "");
  }

  void run_fail(const State& s, const Json& input) {
    StatesError err;
    try {
      const Json& ctx = context(s);
      if (is_jsonata(s)) {
        Json states = states_of(input, ctx);
        err.error = jsonata_fail_field(s, "Error", s.error, states);
        err.cause = jsonata_fail_field(s, "Cause", s.cause, states);
      } else {
        err.error = fail_field(s.error, s.error_path, input, ctx);
        err.cause = fail_field(s.cause, s.cause_path, input, ctx);
      }
    } catch (const StatesException& e) {
      StatesError located_err = located(s, e.value());
      record_evaluation_failure(s, located_err, e.location());
      fail_thread(located_err);
      return;
    }
    fail_thread(err);
  }

  std::string jsonata_fail_field(const State& s, const char* name,
                                 const std::optional<std::string>& literal, const Json& states) {
    if (literal) return *literal;
    std::optional<Json> v = jsonata_value(s, name, states, std::nullopt);
    if (!v) return "";
    if (!v->is_string()) asl::unexpected_result_type(s.jsonata_field(name), name, "string", *v);
    return v->get<std::string>();
  }

  std::string fail_field(const std::optional<std::string>& literal, const std::string& path,
                         const Json& input, const Json& ctx) {
    if (literal) return *literal;
    if (path.empty()) return "";
    asl::EvalScope scope = scope_of(input, ctx);
    std::optional<Json> v;
    if (asl::looks_like_intrinsic(path)) {
      v = asl::evaluate_intrinsic(path, scope);
    } else {
      v = asl::resolve_path(path, scope);
    }
    if (!v) {
      throw StatesException(
          errors::kRuntime,
          "Invalid path '" + path + "' : No results for path: " + normalized_path(path));
    }
    if (!v->is_string()) {
      throw StatesException(errors::kRuntime,
                            "The value at path '" + path + "' is not a string: " + v->dump());
    }
    return v->get<std::string>();
  }

  // ---- tasks

  std::optional<int64_t> seconds_field(const std::optional<int64_t>& literal,
                                       const std::string& path, const char* field,
                                       const Json& effective, const Json& ctx) {
    if (literal) return literal;
    if (path.empty()) return std::nullopt;
    asl::EvalScope scope = scope_of(effective, ctx);
    auto v = asl::resolve_path(path, scope);
    if (!v || !(v->is_number_integer() || v->is_number_unsigned()) || v->get<int64_t>() <= 0) {
      throw StatesException(errors::kRuntime, std::string("The ") + field +
                                                  " field refers to a value that is not a "
                                                  "positive integer: " +
                                                  path + " == " + (v ? v->dump() : "null"));
    }
    return std::min<int64_t>(v->get<int64_t>(), kMaxSeconds);
  }

  // Schedules a new attempt of the Task state `s` (the frame holds its raw input).
  void schedule_task(const State& s) {
    Json input = state_input();
    ResourceInfo res = parse_resource(s.resource);
    int64_t seq = state_.value("task_seq", int64_t{0}) + 1;
    state_["task_seq"] = seq;
    uint64_t nonce = ctx_.ids.random_u64();
    std::string token = ctx_.tokens.seal({exec_.id, seq, nonce});

    const Json& ctx = context(s, token);
    Json params;
    std::optional<int64_t> timeout;
    std::optional<int64_t> heartbeat;
    if (is_jsonata(s)) {
      Json states = states_of(input, ctx);
      std::optional<Json> args = jsonata_value(s, "Arguments", states, s.parameters);
      params = args ? std::move(*args) : input;
      inspect("afterArguments", params);
      timeout =
          s.timeout_seconds ? s.timeout_seconds : jsonata_integer(s, "TimeoutSeconds", states, 1);
      heartbeat = s.heartbeat_seconds ? s.heartbeat_seconds
                                      : jsonata_integer(s, "HeartbeatSeconds", states, 1);
    } else {
      Json effective = select_path(s.input_path, input, ctx);
      inspect("afterInputPath", effective);
      params = s.parameters ? eval_template(*s.parameters, s.parameters_template, effective, ctx)
                            : effective;
      inspect("afterParameters", params);
      timeout = seconds_field(s.timeout_seconds, s.timeout_seconds_path, "TimeoutSecondsPath",
                              effective, ctx);
      heartbeat = seconds_field(s.heartbeat_seconds, s.heartbeat_seconds_path,
                                "HeartbeatSecondsPath", effective, ctx);
    }

    // "resource_type" (empty for activities), "wait_for_token" and "started" are written only
    // when they are not "" / false: readers use value() with those defaults.
    Json task{{"seq", seq}, {"resource", res.resource}};
    if (!res.resource_type.empty()) task["resource_type"] = res.resource_type;
    if (res.wait_for_token) task["wait_for_token"] = true;
    if (timeout) task["timeout_s"] = *timeout;
    if (heartbeat) task["heartbeat_s"] = *heartbeat;
    frame()["phase"] = "task";
    state_["tasks"][std::to_string(seq)] = tid_;

    switch (res.kind) {
      case ResourceInfo::Kind::kActivity: {
        task["kind"] = "activity";
        frame()["task"] = task;
        Json d{{"resource", res.resource},
               {"input", text(params)},
               {"inputDetails", {{"truncated", false}}}};
        if (timeout) d["timeoutInSeconds"] = *timeout;
        if (heartbeat) d["heartbeatInSeconds"] = *heartbeat;
        emit("ActivityScheduled", d);
        store::ActivityTaskRecord rec;
        rec.activity_arn = res.resource;
        rec.execution_id = exec_.id;
        rec.task_seq = seq;
        rec.token = token;
        rec.input = text(params);
        rec.created_ms = ctx_.now_ms;
        write_.activity_tasks_add.push_back(std::move(rec));
        return;
      }
      case ResourceInfo::Kind::kHttp: {
        task["kind"] = "http";
        frame()["task"] = task;
        emit_task_scheduled(res, params, timeout, heartbeat);
        Json request = http_request(params);
        emit("TaskStarted", Json{{"resourceType", res.resource_type}, {"resource", res.resource}});
        start_task_timers(seq, timeout, heartbeat);
        store::OutboxRecord out;
        out.execution_id = exec_.id;
        out.key = "http:" + std::to_string(seq);
        out.kind = "http";
        out.payload = Json{{"task_seq", seq}, {"request", request}}.dump();
        out.created_ms = ctx_.now_ms;
        write_.outbox_add.push_back(std::move(out));
        return;
      }
      case ResourceInfo::Kind::kSql: {
        task["kind"] = "sql";
        frame()["task"] = task;
        emit_task_scheduled(res, params, timeout, heartbeat);
        if (!params.is_object()) {
          throw StatesException(errors::kRuntime, "The parameters of the " + res.resource_type +
                                                      ":" + res.resource +
                                                      " task must be a JSON object.");
        }
        emit("TaskStarted", Json{{"resourceType", res.resource_type}, {"resource", res.resource}});
        start_task_timers(seq, timeout, heartbeat);
        // What the SQL runner (core/tasks) needs; the statement itself is recorded by the
        // Redshift Data API emulation when it starts.
        Json call{
            {"task_seq", seq}, {"action", res.sql_action}, {"sync", res.sync}, {"request", params}};
        if (timeout) call["timeout_s"] = *timeout;
        store::OutboxRecord out;
        out.execution_id = exec_.id;
        out.key = "sql:" + std::to_string(seq);
        out.kind = "sql";
        out.payload = call.dump();
        out.created_ms = ctx_.now_ms;
        write_.outbox_add.push_back(std::move(out));
        return;
      }
      case ResourceInfo::Kind::kUnsupported: {
        task["kind"] = "unsupported";
        frame()["task"] = task;
        emit_task_scheduled(res, params, timeout, heartbeat);
        StatesError err{"States.Runtime",
                        "The resource '" + s.resource +
                            "' is not supported by stepd. Supported task resources: activities "
                            "(arn:aws:states:REGION:ACCOUNT:activity:NAME), "
                            "arn:aws:states:::http:invoke[.waitForTaskToken], "
                            "arn:aws:states:::aws-sdk:redshiftdata:ACTION[.waitForTaskToken] and "
                            "arn:aws:states:::redshift-data:(batch)executeStatement.sync."};
        Json fd{{"resourceType", res.resource_type},
                {"resource", res.resource},
                {"error", err.error},
                {"cause", err.cause}};
        emit("TaskFailed", fd);
        close_task(task);
        frame().erase("task");
        fail_thread(err);
        return;
      }
    }
  }

  void emit_task_scheduled(const ResourceInfo& res, const Json& params,
                           const std::optional<int64_t>& timeout,
                           const std::optional<int64_t>& heartbeat) {
    Json d{{"resourceType", res.resource_type},
           {"resource", res.resource},
           {"region", ctx_.region},
           {"parameters", text(params)}};
    if (timeout) d["timeoutInSeconds"] = *timeout;
    if (heartbeat) d["heartbeatInSeconds"] = *heartbeat;
    emit("TaskScheduled", d);
  }

  // The request an http:invoke task sends, from its Parameters.
  static Json http_request(const Json& params) {
    if (!params.is_object() || !params.contains("ApiEndpoint") ||
        !params["ApiEndpoint"].is_string() || !params.contains("Method") ||
        !params["Method"].is_string()) {
      throw StatesException(errors::kRuntime,
                            "The http:invoke task needs the string fields 'ApiEndpoint' and "
                            "'Method' in its Parameters.");
    }
    std::string url = params["ApiEndpoint"].get<std::string>();
    if (params.contains("QueryParameters") && params["QueryParameters"].is_object()) {
      std::string q;
      for (auto& [k, v] : params["QueryParameters"].items()) {
        q += q.empty() ? "" : "&";
        q += url_encode(k) + "=" + url_encode(v.is_string() ? v.get<std::string>() : v.dump());
      }
      if (!q.empty()) url += (url.find('?') == std::string::npos ? "?" : "&") + q;
    }
    Json headers = Json::object();
    if (params.contains("Headers") && params["Headers"].is_object()) {
      for (auto& [k, v] : params["Headers"].items()) {
        headers[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
    }
    std::string body;
    if (params.contains("RequestBody")) {
      const Json& b = params["RequestBody"];
      body = b.is_string() ? b.get<std::string>() : b.dump();
      if (!b.is_string() && !headers.contains("Content-Type")) {
        headers["Content-Type"] = "application/json";
      }
    }
    return Json{{"method", params["Method"]}, {"url", url}, {"headers", headers}, {"body", body}};
  }

  static std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
      }
    }
    return out;
  }

  void start_task_timers(int64_t seq, const std::optional<int64_t>& timeout,
                         const std::optional<int64_t>& heartbeat) {
    std::string s = std::to_string(seq);
    if (timeout) set_timer(std::string(kTimerTaskTimeout) + ":" + s, ctx_.now_ms + *timeout * 1000);
    if (heartbeat)
      set_timer(std::string(kTimerHeartbeat) + ":" + s, ctx_.now_ms + *heartbeat * 1000);
  }

  // Open tasks that only a worker's SendTaskSuccess/Failure ends: activity tasks and
  // .waitForTaskToken tasks.
  int64_t count_callback_tasks() {
    auto tasks = state_.find("tasks");
    if (tasks == state_.end()) return 0;
    const Json& threads = state_["threads"];
    int64_t n = 0;
    for (const auto& tid : *tasks) {
      auto thread = threads.find(tid.get<std::string>());
      if (thread == threads.end()) continue;
      auto frame = thread->find("s");
      if (frame == thread->end()) continue;
      auto task = frame->find("task");
      if (task == frame->end()) continue;
      if (task->value("kind", "") == "activity" || task->value("wait_for_token", false)) ++n;
    }
    return n;
  }

  // The open task attempt `seq` of the current Task state, or null.
  // Makes the thread that holds it current.
  Json* open_task(int64_t seq) {
    if (!state_.contains("tasks")) return nullptr;
    auto it = state_["tasks"].find(std::to_string(seq));
    if (it == state_["tasks"].end()) return nullptr;
    tid_ = it->get<std::string>();
    if (!has_frame()) return nullptr;
    Json& f = frame();
    if (f.value("phase", "") != "task" || !f.contains("task")) return nullptr;
    Json& t = f["task"];
    if (t.value("seq", int64_t{0}) != seq) return nullptr;
    return &t;
  }

  const State* current_state() {
    if (!has_frame() || !frame().contains("state")) return nullptr;
    return machine_of(tid_).find(frame()["state"].get<std::string>());
  }

  // Closes the task's waits: its timers, queue entry and pending call.
  void close_task(const Json& task) {
    std::string s = std::to_string(task["seq"].get<int64_t>());
    if (state_.contains("tasks")) state_["tasks"].erase(s);
    clear_timer(std::string(kTimerTaskTimeout) + ":" + s);
    clear_timer(std::string(kTimerHeartbeat) + ":" + s);
    // As for timers: a task queued or a call asked for earlier in this step leaves the write.
    int64_t seq = task["seq"].get<int64_t>();
    auto& queued = write_.activity_tasks_add;
    queued.erase(
        std::remove_if(queued.begin(), queued.end(),
                       [&](const store::ActivityTaskRecord& a) { return a.task_seq == seq; }),
        queued.end());
    std::string kind = task.value("kind", "");
    if (kind == "activity") write_.activity_task_seqs_remove.push_back(seq);
    if (kind == "http" || kind == "sql") {
      // Removing a SQL step's entry also tells the SQL runner to cancel its statement.
      std::string key = kind + ":" + s;
      auto& calls = write_.outbox_add;
      calls.erase(std::remove_if(calls.begin(), calls.end(),
                                 [&](const store::OutboxRecord& o) { return o.key == key; }),
                  calls.end());
      write_.outbox_remove.push_back(key);
    }
  }

  bool is_activity(const Json& task) { return task.value("kind", "") == "activity"; }

  void on_task_succeeded(int64_t seq, const std::string& output) {
    Json* task = open_task(seq);
    const State* s = current_state();
    if (!task || !s) return;
    Json t = *task;
    close_task(t);
    if (is_activity(t)) {
      emit("ActivitySucceeded",
           Json{{"output", output}, {"outputDetails", {{"truncated", false}}}});
    } else {
      emit("TaskSucceeded", Json{{"resourceType", t.value("resource_type", "")},
                                 {"resource", t["resource"]},
                                 {"output", output},
                                 {"outputDetails", {{"truncated", false}}}});
    }
    frame().erase("task");
    complete_state(*s, Json::parse(output));
  }

  // A Task, Parallel or Map state has its result: ResultSelector, Assign, ResultPath and
  // OutputPath, then on to the next state.
  void complete_state(const State& s, Json result) {
    Json input = state_input();
    try {
      const Json& ctx = context(s);
      inspect("result", result);
      if (is_jsonata(s)) {
        Json states = states_of(input, ctx, "result", &result);
        jsonata_assign(s, "Assign", states, s.assign);
        std::optional<Json> output = jsonata_value(s, "Output", states, s.output);
        exit_state(s, output ? std::move(*output) : std::move(result), s.end ? "" : s.next);
        return;
      }
      if (s.result_selector) {
        result = eval_template(*s.result_selector, s.result_selector_template, result, ctx);
        inspect("afterResultSelector", result);
      }
      assign(s.assign, result, ctx);
      Json after = put_result(s.result_path, input, result);
      inspect("afterResultPath", after);
      exit_state(s, select_path(s.output_path, after, ctx), s.end ? "" : s.next);
    } catch (const StatesException& e) {
      state_error(s, e);
    }
  }

  void on_task_failed(int64_t seq, const StatesError& err) {
    Json* task = open_task(seq);
    const State* s = current_state();
    if (!task || !s) return;
    Json t = *task;
    close_task(t);
    Json d = Json::object();
    if (!is_activity(t)) {
      d["resourceType"] = t.value("resource_type", "");
      d["resource"] = t["resource"];
    }
    if (!err.error.empty()) d["error"] = err.error;
    if (!err.cause.empty()) d["cause"] = err.cause;
    emit(is_activity(t) ? "ActivityFailed" : "TaskFailed", d);
    frame().erase("task");
    handle_error(*s, err, false);
  }

  void on_task_timed_out(int64_t seq, bool heartbeat) {
    Json* task = open_task(seq);
    const State* s = current_state();
    if (!task || !s) return;
    Json t = *task;
    close_task(t);
    // AWS records a heartbeat expiry as States.Timeout too; only Retry/Catch tell it apart.
    StatesError err{errors::kTimeout, ""};
    Json d = Json::object();
    if (!is_activity(t)) {
      d["resourceType"] = t.value("resource_type", "");
      d["resource"] = t["resource"];
    }
    d["error"] = err.error;
    emit(is_activity(t) ? "ActivityTimedOut" : "TaskTimedOut", d);
    frame().erase("task");
    handle_error(*s, err, heartbeat);
  }

  void on_heartbeat(int64_t seq) {
    Json* task = open_task(seq);
    if (!task) return;
    // A heartbeat counts once the worker has the task; it resets only the heartbeat timer.
    applied_ = true;
    if (task->contains("heartbeat_s") && (!is_activity(*task) || task->value("started", false))) {
      set_timer(std::string(kTimerHeartbeat) + ":" + std::to_string(seq),
                ctx_.now_ms + (*task)["heartbeat_s"].get<int64_t>() * 1000);
    }
  }

  void on_activity_started(int64_t seq, const std::string& worker) {
    Json* task = open_task(seq);
    if (!task || !is_activity(*task) || task->value("started", false)) return;
    (*task)["started"] = true;
    std::optional<int64_t> timeout, heartbeat;
    if (task->contains("timeout_s")) timeout = (*task)["timeout_s"].get<int64_t>();
    if (task->contains("heartbeat_s")) heartbeat = (*task)["heartbeat_s"].get<int64_t>();
    write_.activity_task_seqs_remove.push_back(seq);
    Json d = Json::object();
    if (!worker.empty()) d["workerName"] = worker;
    emit("ActivityStarted", d);
    start_task_timers(seq, timeout, heartbeat);
  }

  void on_http_response(int64_t seq, const Json& payload) {
    Json* task = open_task(seq);
    const State* s = current_state();
    if (!task || !s || task->value("kind", "") != "http" || task->value("submitted", false)) {
      return;
    }
    if (payload.contains("SocketError")) {
      on_task_failed(seq, {errors::kHttpSocket, payload["SocketError"].get<std::string>()});
      return;
    }
    int status = payload.value("StatusCode", 0);
    Json result = payload;
    // The body comes back parsed when it is JSON, as AWS returns it.
    if (result.contains("ResponseBody") && result["ResponseBody"].is_string()) {
      Json parsed = Json::parse(result["ResponseBody"].get<std::string>(), nullptr, false);
      if (!parsed.is_discarded()) result["ResponseBody"] = parsed;
    }
    if (status < 200 || status > 299) {
      on_task_failed(seq, {"States.Http.StatusCode." + std::to_string(status), text(result)});
      return;
    }
    if (task->value("wait_for_token", false)) {
      (*task)["submitted"] = true;
      write_.outbox_remove.push_back("http:" + std::to_string(seq));
      emit("TaskSubmitted", Json{{"resourceType", task->value("resource_type", "")},
                                 {"resource", (*task)["resource"]},
                                 {"output", text(result)},
                                 {"outputDetails", {{"truncated", false}}}});
      return;
    }
    on_task_succeeded(seq, text(result));
  }

  // The Redshift Data API call of a SQL task came back: {"Output": response} or
  // {"Error": name, "Cause": text}.
  void on_sql_result(int64_t seq, const Json& payload) {
    Json* task = open_task(seq);
    const State* s = current_state();
    if (!task || !s || task->value("kind", "") != "sql" || task->value("submitted", false)) {
      return;
    }
    if (payload.contains("Error")) {
      on_task_failed(seq, {payload.value("Error", ""), payload.value("Cause", "")});
      return;
    }
    Json output = payload.contains("Output") ? payload["Output"] : Json::object();
    if (task->value("wait_for_token", false)) {
      (*task)["submitted"] = true;
      write_.outbox_remove.push_back("sql:" + std::to_string(seq));
      emit("TaskSubmitted", Json{{"resourceType", task->value("resource_type", "")},
                                 {"resource", (*task)["resource"]},
                                 {"output", text(output)},
                                 {"outputDetails", {{"truncated", false}}}});
      return;
    }
    on_task_succeeded(seq, text(output));
  }

  // ---- Retry and Catch

  void handle_error(const State& s, const StatesError& err, bool heartbeat) {
    assigned_ = Json::object();  // the state's own Assign does not happen; a Catcher's may
    pending_vars_ = Json::object();
    TestHooks* hooks = test_hooks();
    if (hooks) hooks->raised = err;
    bool terminal = err.error == errors::kRuntime || err.error == errors::kDataLimitExceeded;
    if (!terminal) {
      for (size_t i = 0; i < s.retry.size(); ++i) {
        const auto& r = s.retry[i];
        if (!matches_any(r.error_equals, err.error, heartbeat)) continue;
        Json& retries = frame()["retries"];
        while (retries.size() < s.retry.size()) retries.push_back(0);
        int64_t attempt = retries[i].get<int64_t>() + (hooks ? hooks->retrier_retry_count : 0);
        if (attempt < r.max_attempts) {
          double random01 = static_cast<double>(ctx_.ids.random_u64() >> 11) * 0x1.0p-53;
          int64_t delay = retry_delay_ms(r, attempt, random01);
          frame()["retries"][i] = frame()["retries"][i].get<int64_t>() + 1;
          if (hooks) {
            hooks->inspection["errorDetails"] = {
                {"retryIndex", static_cast<int64_t>(i)},
                {"retryBackoffIntervalSeconds", (delay + 999) / 1000}};
          }
          discard_fan();
          frame()["phase"] = "retry";
          set_timer(thread_tag(kTimerRetry), ctx_.now_ms + delay);
          return;
        }
        break;  // the first matching retrier decides; exhausted → try the catchers
      }
      for (size_t i = 0; i < s.catch_.size(); ++i) {
        const auto& c = s.catch_[i];
        if (!matches_any(c.error_equals, err.error, heartbeat)) continue;
        if (hooks) hooks->inspection["errorDetails"] = {{"catchIndex", static_cast<int64_t>(i)}};
        discard_fan();
        Json error_output{{"Error", err.error}, {"Cause", err.cause}};
        Json input = state_input();
        try {
          if (is_jsonata(s)) {
            const std::string prefix = "Catch[" + std::to_string(i) + "]/";
            Json states = states_of(input, context(s), "errorOutput", &error_output);
            jsonata_assign(s, prefix + "Assign", states, c.assign);
            std::optional<Json> output = jsonata_value(s, prefix + "Output", states, c.output);
            exit_state(s, output ? std::move(*output) : std::move(error_output), c.next);
          } else {
            assign(c.assign, error_output, context(s));
            Json output = put_result(c.result_path, input, error_output);
            exit_state(s, std::move(output), c.next);
          }
        } catch (const StatesException& e) {
          StatesError located_err = located(s, e.value());
          record_evaluation_failure(s, located_err, e.location());
          fail_thread(located_err);
        }
        return;
      }
    }
    fail_thread(err);
  }

  static bool matches_any(const std::vector<std::string>& patterns, const std::string& error,
                          bool heartbeat) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& p) { return error_matches(p, error, heartbeat); });
  }

  // ---- timers

  // Timers are rows in the store and are also listed in the runtime state, so that a timer
  // that fires after it was moved or cleared is recognised and ignored.
  void set_timer(const std::string& tag, int64_t due_ms) {
    state_["timers"][tag] = due_ms;
    write_.timers_set.push_back({exec_.id, tag, due_ms});
  }

  // The store applies a write's removals before its additions, so a timer set earlier in this
  // step is dropped from the write here, not left for the store to keep.
  void clear_timer(const std::string& tag) {
    if (state_.contains("timers")) state_["timers"].erase(tag);
    auto& set = write_.timers_set;
    set.erase(std::remove_if(set.begin(), set.end(),
                             [&](const store::TimerRecord& t) { return t.tag == tag; }),
              set.end());
    write_.timers_clear.push_back(tag);
  }

  void on_timer(const std::string& tag) {
    Json& timers = state_["timers"];
    if (!timers.is_object() || !timers.contains(tag)) {
      // Moved or cleared since it was loaded: drop a leftover row, change nothing else.
      if (timers.is_null()) state_.erase("timers");
      applied_ = true;
      write_.timers_clear.push_back(tag);
      return;
    }
    if (timers[tag].get<int64_t>() > ctx_.now_ms) return;  // not due yet
    clear_timer(tag);
    applied_ = true;
    if (tag == kTimerExecutionTimeout) {
      emit_aborted_fans(kRootThread);
      emit("ExecutionTimedOut",
           Json{{"error", errors::kTimeout},
                {"cause", "The execution timed out after " +
                              std::to_string(ctx_.machine.timeout_seconds.value_or(0)) +
                              " seconds."}});
      exec_.error = errors::kTimeout;
      close("TIMED_OUT");
      return;
    }
    if (int64_t seq = tag_seq(tag, kTimerTaskTimeout); seq >= 0) {
      on_task_timed_out(seq, false);
      return;
    }
    if (int64_t seq = tag_seq(tag, kTimerHeartbeat); seq >= 0) {
      on_task_timed_out(seq, true);
      return;
    }
    auto wait_thread = tag_thread(tag, kTimerWait);
    auto retry_thread = tag_thread(tag, kTimerRetry);
    std::string tid = wait_thread ? *wait_thread : retry_thread ? *retry_thread : "";
    if (tid.empty() || !state_["threads"].contains(tid)) return;
    tid_ = tid;
    const State* s = current_state();
    if (!s) return;
    std::string phase = frame().value("phase", "");
    if (wait_thread && phase == "wait") {
      Json output = frame()["output"];
      assigned_ = frame().value("assigned", Json::object());
      pending_vars_ = frame().value("assign", Json::object());
      exit_state(*s, std::move(output), s->end ? "" : s->next);
    } else if (retry_thread && phase == "retry") {
      try {
        start_work(*s);
      } catch (const StatesException& e) {
        state_error(*s, e, true);
      }
    }
  }

  const TransitionContext& ctx_;
  store::ExecutionRecord exec_;
  Json state_;
  store::ExecutionWrite write_;
  std::deque<Pending> queue_;
  std::string tid_ = kRootThread;  // the thread being run
  std::unordered_map<std::string, const asl::StateMachine*> machines_;
  std::map<std::string, std::string> data_;   // data rows written in this step
  std::vector<std::string> erased_prefixes_;  // stored data rows erased in this step
  std::optional<Json> execution_input_;
  Json context_;
  bool context_built_ = false;  // context_ holds the context object (Map may add to an empty one)
  const Json empty_context_ = Json::object();
  std::vector<const Json*> outer_vars_;  // scope_of's chain, kept to reuse its storage
  Json assigned_ = Json::object();       // the current state's Assign, as history text
  Json pending_vars_ = Json::object();   // the same values, applied when the state exits
  std::string last_type_;
  bool applied_ = false;
};

}  // namespace

store::ExecutionRecord new_execution_record(int64_t id, std::string arn, std::string sm_arn,
                                            std::string name, std::string revision_id,
                                            std::string input_json, int64_t now_ms) {
  store::ExecutionRecord r;
  r.id = id;
  r.arn = std::move(arn);
  r.state_machine_arn = std::move(sm_arn);
  r.name = std::move(name);
  r.revision_id = std::move(revision_id);
  r.input = std::move(input_json);
  r.start_ms = now_ms;
  r.status = "RUNNING";
  return r;
}

Transition advance(const store::ExecutionRecord& execution, const EngineEvent& event,
                   const TransitionContext& ctx) {
  Stepper stepper(execution, ctx);
  Transition t = stepper.run(event);
  if (t.applied && event.kind == EngineEvent::Kind::kStart) t.write.insert = true;
  return t;
}

int64_t retry_delay_ms(const asl::Retrier& r, int64_t attempt, double random01) {
  double delay_s = static_cast<double>(r.interval_seconds) * std::pow(r.backoff_rate, attempt);
  if (r.max_delay_seconds) delay_s = std::min(delay_s, static_cast<double>(*r.max_delay_seconds));
  delay_s = std::min(delay_s, 99999999.0);
  if (r.jitter_full) delay_s *= random01;
  return static_cast<int64_t>(std::llround(delay_s * 1000.0));
}

bool error_matches(const std::string& pattern, const std::string& error, bool heartbeat_timeout) {
  if (pattern == errors::kAll) {
    return error != errors::kRuntime && error != errors::kDataLimitExceeded;
  }
  if (pattern == errors::kTaskFailed) {
    return error != errors::kTimeout && error != errors::kRuntime &&
           error != errors::kDataLimitExceeded;
  }
  if (pattern == errors::kHeartbeatTimeout) return heartbeat_timeout;
  return pattern == error;
}

}  // namespace stepd::engine
