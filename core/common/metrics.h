#pragma once
// A small Prometheus metrics registry (text exposition format 0.0.4), written for GET /metrics.
//
// Recording is the hot path and costs a few relaxed atomic additions: a Counter, Gauge or
// Histogram child is looked up once (Family::labels() takes a mutex and builds strings) and the
// pointer is kept by whoever records, so nothing allocates or looks anything up per event.
// Children live as long as the registry and never move. Values that already exist elsewhere
// (pool statistics, counts in the store) are read at scrape time through collect callbacks
// instead of being mirrored. render() may run beside recording: each number is read atomically,
// a histogram's buckets are read one by one (its _count is the sum of what was read, so buckets
// stay cumulative and consistent with _count even while observations land).
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace stepd::metrics {

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void sub(int64_t n = 1) { value_.fetch_sub(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Fixed upper bounds, ascending; the +Inf bucket is implicit. At most kMaxBuckets bounds, so a
// histogram is one flat array of atomics and observe() a short scan, no allocation.
class Histogram {
 public:
  static constexpr size_t kMaxBuckets = 24;

  explicit Histogram(const std::vector<double>& bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  std::array<double, kMaxBuckets> bounds_{};
  size_t size_ = 0;
  std::array<std::atomic<uint64_t>, kMaxBuckets + 1> buckets_{};  // not cumulative; last: +Inf
  std::atomic<double> sum_{0};
};

// Common bucket sets. Seconds: 100 µs to 30 s; sizes: 1 to 1024 by powers of two.
const std::vector<double>& latency_buckets();
const std::vector<double>& size_buckets();

// The text format's escaping: label values escape backslash, double quote and newline; HELP
// text escapes backslash and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view text);
// A sample value as the format writes it: integers without a fraction, +Inf/-Inf/NaN by name.
std::string format_value(double value);

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::string type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  // Appends this family's HELP, TYPE and samples.
  void render(std::string& out) const;

 protected:
  virtual void render_samples(std::string& out) const = 0;
  // `{a="x",b="y"` without the closing brace (so histograms can add `le`); "" for no labels.
  std::string label_prefix(const std::vector<std::string>& values) const;

  std::string name_;
  std::string help_;
  std::string type_;
  std::vector<std::string> label_names_;
};

// A metric with labels. labels() is for setup (or for rare events): it takes a mutex and
// builds a key; keep the reference it returns and record through that.
template <typename Metric>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::string type, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : FamilyBase(std::move(name), std::move(help), std::move(type), std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // The child for these label values (as many as the family has label names), created on
  // first use. The reference stays valid for the registry's lifetime.
  Metric& labels(std::initializer_list<std::string_view> values);
  Metric& labels(const std::vector<std::string>& values);

 protected:
  void render_samples(std::string& out) const override;

 private:
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// One sample reported by a collect callback at scrape time.
struct Sample {
  std::vector<std::string> label_values;
  double value = 0;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registration throws std::invalid_argument for a name used twice or an invalid name.
  Family<Counter>& counter(std::string name, std::string help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(std::string name, std::string help,
                       std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(std::string name, std::string help,
                               std::vector<std::string> label_names,
                               const std::vector<double>& bounds);
  // A family whose samples come from `collect`, called by every render(). `type` is "gauge"
  // or "counter". For values kept elsewhere (pool statistics, counts in the store).
  void collected(std::string name, std::string help, std::string type,
                 std::vector<std::string> label_names,
                 std::function<std::vector<Sample>()> collect);

  // The whole registry in text format 0.0.4, families in registration order.
  std::string render() const;

 private:
  FamilyBase& add(std::unique_ptr<FamilyBase> family);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
};

}  // namespace stepd::metrics
