#pragma once
// Time and randomness are injected so that the engine is deterministic under test.
#include <atomic>
#include <cstdint>
#include <string>

namespace stepd {

// Milliseconds since the Unix epoch.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override;
};

// A clock that moves only when a test moves it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1700000000000) : now_(start_ms) {}
  int64_t now_ms() const override { return now_.load(); }
  void advance_ms(int64_t ms) { now_ += ms; }
  void set_ms(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_;
};

class IdSource {
 public:
  virtual ~IdSource() = default;
  virtual std::string uuid() = 0;     // RFC 4122 version 4, lower-case
  virtual uint64_t random_u64() = 0;  // for jitter and States.MathRandom without a seed
};

// Backed by a thread-safe CSPRNG (OpenSSL RAND_bytes).
class RandomIdSource final : public IdSource {
 public:
  std::string uuid() override;
  uint64_t random_u64() override;
};

// Deterministic ids for tests: 00000000-0000-4000-8000-000000000001, ...
class SequentialIdSource final : public IdSource {
 public:
  std::string uuid() override;
  uint64_t random_u64() override;

 private:
  std::atomic<uint64_t> next_{1};
};

// ISO 8601 with milliseconds and a Z, as the context object shows times: 2024-01-01T00:00:00.000Z
std::string format_iso8601_ms(int64_t epoch_ms);

}  // namespace stepd
