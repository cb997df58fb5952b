#include "core/common/metrics.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace stepd::metrics {

namespace {

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

// Samples reported by a callback; nothing is recorded through it.
class CollectedFamily final : public FamilyBase {
 public:
  CollectedFamily(std::string name, std::string help, std::string type,
                  std::vector<std::string> label_names,
                  std::function<std::vector<Sample>()> collect)
      : FamilyBase(std::move(name), std::move(help), std::move(type), std::move(label_names)),
        collect_(std::move(collect)) {}

 protected:
  void render_samples(std::string& out) const override {
    std::vector<Sample> samples;
    try {
      samples = collect_();
    } catch (const std::exception&) {
      // A scrape while the store is unavailable loses these samples, not the whole page.
      return;
    }
    for (const auto& s : samples) {
      if (s.label_values.size() != label_names_.size()) continue;
      const std::string labels = label_prefix(s.label_values);
      out += name_;
      if (!labels.empty()) out += labels + "}";
      out += ' ';
      out += format_value(s.value);
      out += '\n';
    }
  }

 private:
  std::function<std::vector<Sample>()> collect_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Histogram

Histogram::Histogram(const std::vector<double>& bounds) {
  if (bounds.size() > kMaxBuckets) throw std::invalid_argument("metrics: too many buckets");
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (i > 0 && !(bounds[i] > bounds[i - 1])) {
      throw std::invalid_argument("metrics: bucket bounds must ascend");
    }
    bounds_[i] = bounds[i];
  }
  size_ = bounds.size();
}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < size_ && value > bounds_[i]) ++i;  // `le`: a value equal to a bound belongs in it
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds.assign(bounds_.begin(), bounds_.begin() + static_cast<std::ptrdiff_t>(size_));
  uint64_t running = 0;
  for (size_t i = 0; i <= size_; ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                        0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                        1,      2.5,     5,      10,    30};
  return b;
}

const std::vector<double>& size_buckets() {
  static const std::vector<double> b = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  return b;
}

// ---------------------------------------------------------------------------------------------
// Text format

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Shortest text that reads back as the same double; integers come out without a fraction.
  // Plain decimals for the usual range (bucket bounds read "0.0001", not "1e-04").
  char buf[400];
  const double magnitude = std::fabs(value);
  const bool plain = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
  auto [end, ec] = plain ? std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed)
                         : std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

FamilyBase::FamilyBase(std::string name, std::string help, std::string type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(std::move(type)),
      label_names_(std::move(label_names)) {
  if (!valid_name(name_)) throw std::invalid_argument("metrics: invalid name '" + name_ + "'");
  for (const auto& l : label_names_) {
    if (!valid_name(l) || l == "le" || l.starts_with("__")) {
      throw std::invalid_argument("metrics: invalid label name '" + l + "'");
    }
  }
}

void FamilyBase::render(std::string& out) const {
  out += "# HELP " + name_ + " " + escape_help(help_) + "\n";
  out += "# TYPE " + name_ + " " + type_ + "\n";
  render_samples(out);
}

std::string FamilyBase::label_prefix(const std::vector<std::string>& values) const {
  if (label_names_.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < label_names_.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names_[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Families

template <typename Metric>
Metric& Family<Metric>::labels(std::initializer_list<std::string_view> values) {
  return labels(std::vector<std::string>(values.begin(), values.end()));
}

template <typename Metric>
Metric& Family<Metric>::labels(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metrics: " + name_ + " takes " +
                                std::to_string(label_names_.size()) + " label values");
  }
  std::lock_guard lock(mu_);
  auto it = children_.find(values);
  if (it != children_.end()) return *it->second;
  std::unique_ptr<Metric> child;
  if constexpr (std::is_same_v<Metric, Histogram>) {
    child = std::make_unique<Histogram>(bounds_);
  } else {
    child = std::make_unique<Metric>();
  }
  Metric& ref = *child;
  children_.emplace(values, std::move(child));
  return ref;
}

template <typename Metric>
void Family<Metric>::render_samples(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, child] : children_) {
    const std::string labels = label_prefix(values);
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const Histogram::Snapshot s = child->snapshot();
      const std::string open = labels.empty() ? "{" : labels + ",";
      for (size_t i = 0; i <= s.bounds.size(); ++i) {
        const std::string le = i < s.bounds.size() ? format_value(s.bounds[i]) : "+Inf";
        out += name_ + "_bucket" + open + "le=\"" + le + "\"} " + std::to_string(s.cumulative[i]) +
               "\n";
      }
      const std::string closed = labels.empty() ? "" : labels + "}";
      out += name_ + "_sum" + closed + " " + format_value(s.sum) + "\n";
      out += name_ + "_count" + closed + " " + std::to_string(s.count) + "\n";
    } else {
      out += name_;
      if (!labels.empty()) out += labels + "}";
      out += ' ';
      out += std::to_string(child->value());
      out += '\n';
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---------------------------------------------------------------------------------------------
// Registry

FamilyBase& Registry::add(std::unique_ptr<FamilyBase> family) {
  std::lock_guard lock(mu_);
  for (const auto& f : families_) {
    if (f->name() == family->name()) {
      throw std::invalid_argument("metrics: '" + family->name() + "' is registered twice");
    }
  }
  families_.push_back(std::move(family));
  return *families_.back();
}

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
  return static_cast<Family<Counter>&>(add(std::make_unique<Family<Counter>>(
      std::move(name), std::move(help), "counter", std::move(label_names))));
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> label_names) {
  return static_cast<Family<Gauge>&>(add(std::make_unique<Family<Gauge>>(
      std::move(name), std::move(help), "gauge", std::move(label_names))));
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> label_names,
                                       const std::vector<double>& bounds) {
  Histogram check(bounds);  // refuses bad bounds at registration, not at first use
  return static_cast<Family<Histogram>&>(add(std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), "histogram", std::move(label_names), bounds)));
}

void Registry::collected(std::string name, std::string help, std::string type,
                         std::vector<std::string> label_names,
                         std::function<std::vector<Sample>()> collect) {
  if (type != "gauge" && type != "counter") {
    throw std::invalid_argument("metrics: collected families are gauges or counters");
  }
  add(std::make_unique<CollectedFamily>(std::move(name), std::move(help), std::move(type),
                                        std::move(label_names), std::move(collect)));
}

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& f : families_) f->render(out);
  return out;
}

}  // namespace stepd::metrics
