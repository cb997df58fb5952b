#include "core/common/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace stepd::metrics {
namespace {

bool contains_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

TEST(MetricsTest, CounterAndGaugeRenderWithHelpAndType) {
  Registry r;
  auto& c = r.counter("stepd_things_total", "Things done.", {"kind"});
  c.labels({"a"}).inc();
  c.labels({"a"}).inc(4);
  c.labels({"b"}).inc();
  auto& g = r.gauge("stepd_open", "Open things.");
  g.labels({}).set(7);
  g.labels({}).sub(2);
  g.labels({}).add();
  const std::string text = r.render();
  EXPECT_TRUE(contains_line(text, "# HELP stepd_things_total Things done.")) << text;
  EXPECT_TRUE(contains_line(text, "# TYPE stepd_things_total counter")) << text;
  EXPECT_TRUE(contains_line(text, "stepd_things_total{kind=\"a\"} 5")) << text;
  EXPECT_TRUE(contains_line(text, "stepd_things_total{kind=\"b\"} 1")) << text;
  EXPECT_TRUE(contains_line(text, "# TYPE stepd_open gauge")) << text;
  EXPECT_TRUE(contains_line(text, "stepd_open 6")) << text;
}

TEST(MetricsTest, LabelsReturnTheSameChild) {
  Registry r;
  auto& c = r.counter("x_total", "x", {"a", "b"});
  EXPECT_EQ(&c.labels({"1", "2"}), &c.labels({"1", "2"}));
  EXPECT_NE(&c.labels({"1", "2"}), &c.labels({"2", "1"}));
  EXPECT_THROW(c.labels({"only one"}), std::invalid_argument);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry r;
  auto& h = r.histogram("lat_seconds", "Latency.", {"action"}, {0.125, 1, 10});
  auto& child = h.labels({"Start"});
  for (double v : {0.0625, 0.125, 0.5, 1.0, 2.0, 100.0}) child.observe(v);
  auto s = child.snapshot();
  ASSERT_EQ(s.cumulative.size(), 4u);
  EXPECT_EQ(s.cumulative[0], 2u);  // 0.0625 and 0.125 (a bound is inclusive)
  EXPECT_EQ(s.cumulative[1], 4u);
  EXPECT_EQ(s.cumulative[2], 5u);
  EXPECT_EQ(s.cumulative[3], 6u);
  EXPECT_EQ(s.count, 6u);
  EXPECT_DOUBLE_EQ(s.sum, 103.6875);

  const std::string text = r.render();
  EXPECT_TRUE(contains_line(text, "# TYPE lat_seconds histogram")) << text;
  EXPECT_TRUE(contains_line(text, "lat_seconds_bucket{action=\"Start\",le=\"0.125\"} 2")) << text;
  EXPECT_TRUE(contains_line(text, "lat_seconds_bucket{action=\"Start\",le=\"1\"} 4")) << text;
  EXPECT_TRUE(contains_line(text, "lat_seconds_bucket{action=\"Start\",le=\"10\"} 5")) << text;
  EXPECT_TRUE(contains_line(text, "lat_seconds_bucket{action=\"Start\",le=\"+Inf\"} 6")) << text;
  EXPECT_TRUE(contains_line(text, "lat_seconds_sum{action=\"Start\"} 103.6875")) << text;
  EXPECT_TRUE(contains_line(text, "lat_seconds_count{action=\"Start\"} 6")) << text;
}

TEST(MetricsTest, HistogramWithoutLabels) {
  Registry r;
  auto& h = r.histogram("batch", "Batch sizes.", {}, {1, 2});
  h.labels({}).observe(2);
  const std::string text = r.render();
  EXPECT_TRUE(contains_line(text, "batch_bucket{le=\"1\"} 0")) << text;
  EXPECT_TRUE(contains_line(text, "batch_bucket{le=\"2\"} 1")) << text;
  EXPECT_TRUE(contains_line(text, "batch_sum 2")) << text;
  EXPECT_TRUE(contains_line(text, "batch_count 1")) << text;
}

TEST(MetricsTest, BadDefinitionsAreRefused) {
  Registry r;
  r.counter("a_total", "a");
  EXPECT_THROW(r.counter("a_total", "again"), std::invalid_argument);
  EXPECT_THROW(r.gauge("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(r.gauge("ok", "x", {"le"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h", "x", {}, {2, 1}), std::invalid_argument);
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(escape_help("line\\one\nline \"two\""), "line\\\\one\\nline \"two\"");
  Registry r;
  r.counter("e_total", "first\nsecond", {"name"}).labels({"q\"uo\\te\n"}).inc();
  const std::string text = r.render();
  EXPECT_TRUE(contains_line(text, "# HELP e_total first\\nsecond")) << text;
  EXPECT_TRUE(contains_line(text, "e_total{name=\"q\\\"uo\\\\te\\n\"} 1")) << text;
}

TEST(MetricsTest, ValuesAreFormattedForTheTextFormat) {
  EXPECT_EQ(format_value(3), "3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(0.0001), "0.0001");
  EXPECT_EQ(format_value(1e20), "1e+20");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(MetricsTest, CollectedFamiliesAreReadAtRenderTime) {
  Registry r;
  int calls = 0;
  r.collected("pool_idle", "Idle connections.", "gauge", {"target"}, [&] {
    ++calls;
    return std::vector<Sample>{{{"main"}, 3}, {{"wrong", "arity"}, 9}};
  });
  r.collected("broken", "Throws.", "gauge", {},
              []() -> std::vector<Sample> { throw std::runtime_error("store down"); });
  const std::string text = r.render();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(contains_line(text, "pool_idle{target=\"main\"} 3")) << text;
  EXPECT_EQ(text.find("arity"), std::string::npos) << text;
  EXPECT_TRUE(contains_line(text, "# TYPE broken gauge")) << text;
  EXPECT_THROW(r.collected("h2", "x", "histogram", {}, [] { return std::vector<Sample>{}; }),
               std::invalid_argument);
}

TEST(MetricsTest, ConcurrentRecordingLosesNothing) {
  Registry r;
  auto& c = r.counter("n_total", "n").labels({});
  auto& g = r.gauge("g", "g").labels({});
  auto& h = r.histogram("h", "h", {}, {0.5}).labels({});
  constexpr int kThreads = 8;
  constexpr int kEach = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        c.inc();
        g.add();
        h.observe(t % 2 == 0 ? 0.25 : 1.0);
      }
      // Rendering beside recording must be safe and see consistent histograms.
      if (t == 0) (void)r.render();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(c.value(), uint64_t{kThreads} * kEach);
  EXPECT_EQ(g.value(), int64_t{kThreads} * kEach);
  auto s = h.snapshot();
  EXPECT_EQ(s.count, uint64_t{kThreads} * kEach);
  EXPECT_EQ(s.cumulative[0], uint64_t{kThreads / 2} * kEach);
  EXPECT_DOUBLE_EQ(s.sum, (kThreads / 2) * kEach * 0.25 + (kThreads / 2) * kEach * 1.0);
}

TEST(MetricsTest, ConcurrentFirstUseCreatesOneChild) {
  Registry r;
  auto& fam = r.counter("c_total", "c", {"k"});
  std::vector<std::thread> threads;
  std::vector<Counter*> seen(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      seen[static_cast<size_t>(t)] = &fam.labels({"same"});
      seen[static_cast<size_t>(t)]->inc();
    });
  }
  for (auto& th : threads) th.join();
  for (auto* p : seen) EXPECT_EQ(p, seen[0]);
  EXPECT_EQ(seen[0]->value(), 8u);
}

}  // namespace
}  // namespace stepd::metrics
