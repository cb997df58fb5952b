// What recording a metric costs on the hot path (core/common/metrics.h): one counter increment,
// one histogram observation, and the same from several threads on one child (the contended
// case: every request of one action). Rendering is measured too, since a scrape takes the
// families' locks. See bench/README.md for the latest numbers.
#include <benchmark/benchmark.h>

#include "core/common/metrics.h"

namespace {

using stepd::metrics::Registry;

void BM_CounterInc(benchmark::State& state) {
  static Registry registry;
  static auto& counter = registry.counter("bench_total", "b", {"action"}).labels({"Start"});
  for (auto _ : state) counter.inc();
  benchmark::DoNotOptimize(counter.value());
}
BENCHMARK(BM_CounterInc)->Threads(1)->Threads(2);

void BM_HistogramObserve(benchmark::State& state) {
  static Registry registry;
  static auto& histogram =
      registry.histogram("bench_seconds", "b", {"action"}, stepd::metrics::latency_buckets())
          .labels({"Start"});
  double v = 0.0003;
  for (auto _ : state) {
    histogram.observe(v);
    v = v < 1 ? v * 1.7 : 0.0003;  // walk through the buckets
  }
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

void BM_Render100Series(benchmark::State& state) {
  Registry registry;
  auto& requests = registry.counter("bench_requests_total", "b", {"action", "status"});
  auto& latency = registry.histogram("bench_latency_seconds", "b", {"action"},
                                     stepd::metrics::latency_buckets());
  for (int i = 0; i < 50; ++i) {
    requests.labels({"Action" + std::to_string(i), "200"}).inc();
    latency.labels({"Action" + std::to_string(i)}).observe(0.001);
  }
  for (auto _ : state) benchmark::DoNotOptimize(registry.render());
}
BENCHMARK(BM_Render100Series);

}  // namespace

BENCHMARK_MAIN();
