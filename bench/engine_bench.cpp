// Executions per second through the pure transition function (core/engine/transition.h): no
// store, no threads, no HTTP — the ceiling the rest of the server adds its costs to.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/asl/parser.h"
#include "core/engine/memory_data.h"
#include "core/engine/transition.h"

namespace {

using namespace stepd;

constexpr const char* kExecutionArn = "arn:aws:states:us-east-1:123456789012:execution:sm:e1";
constexpr const char* kStateMachineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:sm";
constexpr int64_t kStartMs = 1700000000000;

// One machine, its id source and token key, and the events a run feeds it.
struct Harness {
  explicit Harness(const char* definition) : machine(asl::parse_state_machine(definition)) {}

  engine::TransitionContext context(int64_t now_ms) {
    return engine::TransitionContext{
        *machine,      now_ms,         ids,  tokens,
        "us-east-1",   "123456789012", "sm", "arn:aws:iam::123456789012:role/r",
        history_limit, &data};
  }

  // Feeds `event`; the execution after it replaces `execution`. Returns the write.
  store::ExecutionWrite feed(store::ExecutionRecord& execution, const engine::EngineEvent& event,
                             int64_t now_ms) {
    engine::Transition t = engine::advance(execution, event, context(now_ms));
    if (!t.applied) {
      throw std::logic_error("event did not apply");
    }
    data.apply(t.write);
    execution = std::move(t.write.execution);
    return std::move(t.write);
  }

  // Starts an execution; `first`, if given, receives the write of that first step.
  store::ExecutionRecord start(const std::string& input, store::ExecutionWrite* first = nullptr) {
    store::ExecutionRecord execution = engine::new_execution_record(
        42, kExecutionArn, kStateMachineArn, "e1", "rev1", input, kStartMs);
    engine::EngineEvent e;
    e.kind = engine::EngineEvent::Kind::kStart;
    store::ExecutionWrite write = feed(execution, e, kStartMs);
    if (first) *first = std::move(write);
    return execution;
  }

  std::shared_ptr<const asl::StateMachine> machine;
  int64_t history_limit = 25000;
  engine::MemoryData data;
  SequentialIdSource ids;
  TokenCodec tokens{std::string(32, 'k')};
};

// With --benchmark_repetitions=N, report the fastest and slowest repetition beside the
// built-in mean/median/stddev.
void register_min_max(benchmark::internal::Benchmark* b) {
  b->ComputeStatistics(
      "min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
  b->ComputeStatistics(
      "max", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); });
}

void expect_succeeded(benchmark::State& state, const store::ExecutionRecord& execution) {
  if (execution.status != "SUCCEEDED") {
    state.SkipWithError("execution did not succeed");
  }
}

// Start → five Pass states (Result, ResultPath, Parameters with paths) → succeeded, in one call.
void BM_FivePassStates(benchmark::State& state) {
  Harness h(R"({"StartAt":"P1","States":{
    "P1":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.a","Next":"P2"},
    "P2":{"Type":"Pass","Parameters":{"x.$":"$.a.x","name.$":"$$.Execution.Name"},"ResultPath":"$.b","Next":"P3"},
    "P3":{"Type":"Pass","Next":"P4"},
    "P4":{"Type":"Pass","Result":"done","ResultPath":"$.c","Next":"P5"},
    "P5":{"Type":"Pass","OutputPath":"$.b","End":true}}})");
  for (auto _ : state) {
    store::ExecutionRecord execution = h.start(R"({"order":17,"items":["a","b","c"]})");
    expect_succeeded(state, execution);
    benchmark::DoNotOptimize(execution);
  }
  state.SetItemsProcessed(state.iterations());  // executions
}
BENCHMARK(BM_FivePassStates)->Apply(register_min_max);

// Start → Choice → Wait 10 s (a timer) → the timer fires → Pass → succeeded: two calls.
void BM_ChoiceThenWait(benchmark::State& state) {
  Harness h(R"({"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[
      {"Variable":"$.n","NumericGreaterThan":5,"Next":"W"},
      {"Variable":"$.n","NumericLessThanEquals":5,"Next":"Small"}],"Default":"Small"},
    "W":{"Type":"Wait","Seconds":10,"Next":"Small"},
    "Small":{"Type":"Pass","Result":"ok","ResultPath":"$.r","End":true}}})");
  const engine::EngineEvent fired = engine::EngineEvent::timer(engine::kTimerWait);
  for (auto _ : state) {
    store::ExecutionRecord execution = h.start(R"({"n":9})");
    h.feed(execution, fired, kStartMs + 10000);
    expect_succeeded(state, execution);
    benchmark::DoNotOptimize(execution);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ChoiceThenWait)->Apply(register_min_max);

// Start → activity Task (token minted, task queued) → a worker takes it → SendTaskSuccess →
// succeeded: three calls, the callback path.
void BM_ActivityTaskRoundTrip(benchmark::State& state) {
  Harness h(R"({"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"arn:aws:states:us-east-1:123456789012:activity:work",
    "Parameters":{"job.$":"$.job"},"ResultPath":"$.result",
    "TimeoutSeconds":60,"HeartbeatSeconds":10,"End":true}}})");
  engine::EngineEvent taken;
  taken.kind = engine::EngineEvent::Kind::kActivityStarted;
  taken.task_seq = 1;
  taken.worker_name = "w1";
  engine::EngineEvent succeeded;
  succeeded.kind = engine::EngineEvent::Kind::kTaskSucceeded;
  succeeded.task_seq = 1;
  succeeded.output = R"({"rows":3})";
  for (auto _ : state) {
    store::ExecutionRecord execution = h.start(R"({"job":"load"})");
    h.feed(execution, taken, kStartMs + 5);
    h.feed(execution, succeeded, kStartMs + 10);
    expect_succeeded(state, execution);
    benchmark::DoNotOptimize(execution);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ActivityTaskRoundTrip)->Apply(register_min_max);

}  // namespace

// The Map benchmarks run for 100 items (issue 6's target: a 100-item Map of Pass at 3,000
// executions/s or more) and for 1,000 to 10,000 items, and fit a complexity to the times.
void map_sizes(benchmark::internal::Benchmark* b) {
  b->Arg(100)->Arg(1000)->Arg(2500)->Arg(5000)->Arg(10000);
  b->Unit(benchmark::kMillisecond)->Complexity(benchmark::oN);
}

// An array of `n` small objects, the Map's input.
std::string items_input(int64_t n) {
  std::string out = R"({"items":[)";
  for (int64_t i = 0; i < n; ++i) {
    out += (i ? "," : "") + std::string(R"({"id":)") + std::to_string(i) + "}";
  }
  return out + "]}";
}

// A Map of n Pass iterations: the whole execution is one advance() call. The history cap is
// lifted (n iterations write 4n events; AWS would stop an inline Map at 25,000).
void BM_MapOfPassStates(benchmark::State& state) {
  Harness h(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
    "ItemSelector":{"id.$":"$$.Map.Item.Value.id","i.$":"$$.Map.Item.Index"},
    "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})");
  h.history_limit = 1 << 30;
  std::string input = items_input(state.range(0));
  for (auto _ : state) {
    store::ExecutionRecord execution = h.start(input);
    expect_succeeded(state, execution);
  }
  state.SetComplexityN(state.range(0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_MapOfPassStates)->Apply(map_sizes);

// A JSONata Map whose ItemSelector reads one item and one setting from a large state input
// (~100 KB of settings beside the items): what each item costs should not depend on the size
// of the input it does not use.
void BM_JsonataMapLargeInput(benchmark::State& state) {
  Harness h(R"({"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",
    "Items":"{% $states.input.items %}",
    "ItemSelector":{"id":"{% $states.context.Map.Item.Value.id %}",
                    "region":"{% $states.input.settings.region %}"},
    "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})");
  h.history_limit = 1 << 30;
  std::string input = items_input(state.range(0));
  input.pop_back();  // the closing brace: settings go beside the items
  input += R"(,"settings":{"region":"eu-west-1","rules":[)";
  for (int i = 0; i < 2000; ++i) {
    input += (i ? "," : "") + std::string(R"({"rule":)") + std::to_string(i) +
             R"(,"pattern":"s3://bucket/prefix/)" + std::to_string(i) + R"(/*.parquet"})";
  }
  input += "]}}";
  for (auto _ : state) {
    store::ExecutionRecord execution = h.start(input);
    expect_succeeded(state, execution);
  }
  state.SetComplexityN(state.range(0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["input_bytes"] = static_cast<double>(input.size());
}
BENCHMARK(BM_JsonataMapLargeInput)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// A Map of n activity-task iterations (MaxConcurrency 0: 40 at a time, as AWS runs inline
// Maps): start, then every task answered in turn, n + 1 advance() calls. Each step pays for
// the runtime state (bounded by the 40 running iterations) and the rows it touches, so the
// whole run should grow linearly with n. Counters: the largest runtime state a step wrote,
// and the most data rows (pending items + finished results) held at once.
void BM_MapOfActivityTasks(benchmark::State& state) {
  Harness h(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
    "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:us-east-1:123456789012:activity:work","End":true}}},
    "End":true}}})");
  h.history_limit = 1 << 30;
  std::string input = items_input(state.range(0));
  size_t max_state_bytes = 0;
  size_t max_rows = 0;
  for (auto _ : state) {
    h.data.clear();
    std::vector<int64_t> open;
    auto queued = [&](const store::ExecutionWrite& w) {
      for (const auto& t : w.activity_tasks_add) open.push_back(t.task_seq);
    };
    store::ExecutionWrite first;
    store::ExecutionRecord execution = h.start(input, &first);
    queued(first);
    while (!open.empty()) {
      int64_t seq = open.back();
      open.pop_back();
      engine::EngineEvent done;
      done.kind = engine::EngineEvent::Kind::kTaskSucceeded;
      done.task_seq = seq;
      done.output = R"({"ok":true})";
      queued(h.feed(execution, done, kStartMs + 1000));
      max_state_bytes = std::max(max_state_bytes, execution.state.size());
      max_rows = std::max(max_rows, h.data.rows().size());
    }
    expect_succeeded(state, execution);
  }
  state.SetComplexityN(state.range(0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["max_state_bytes"] = static_cast<double>(max_state_bytes);
  state.counters["max_data_rows"] = static_cast<double>(max_rows);
}
BENCHMARK(BM_MapOfActivityTasks)->Apply(map_sizes);

BENCHMARK_MAIN();
