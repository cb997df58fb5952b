// Executions per second through the pure transition function (core/engine/transition.h): no
// store, no threads, no HTTP — the ceiling the rest of the server adds its costs to.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/asl/parser.h"
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
        *machine,    now_ms,         ids,  tokens,
        "us-east-1", "123456789012", "sm", "arn:aws:iam::123456789012:role/r",
        25000};
  }

  // Feeds `event`; the execution after it replaces `execution`.
  void feed(store::ExecutionRecord& execution, const engine::EngineEvent& event, int64_t now_ms) {
    engine::Transition t = engine::advance(execution, event, context(now_ms));
    if (!t.applied) {
      throw std::logic_error("event did not apply");
    }
    execution = std::move(t.write.execution);
  }

  store::ExecutionRecord start(const std::string& input) {
    store::ExecutionRecord execution = engine::new_execution_record(
        42, kExecutionArn, kStateMachineArn, "e1", "rev1", input, kStartMs);
    engine::EngineEvent e;
    e.kind = engine::EngineEvent::Kind::kStart;
    feed(execution, e, kStartMs);
    return execution;
  }

  std::shared_ptr<const asl::StateMachine> machine;
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

BENCHMARK_MAIN();
