#pragma once
// One execution, one step at a time — without a thread held while a step's commit is in flight.
//
// A step of an execution reads its row, runs advance() and commits. Two steps of the same
// execution must not overlap (the second would compute from a row the first is replacing), but a
// step that waits for its group commit must not hold a thread either: a std::mutex would have to
// be released by the thread that took it. The gate is a lock that any thread may release, and
// that queues a continuation instead of blocking its caller when the execution is busy.
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace stepd::engine {

class ExecutionGate {
 public:
  using Continuation = std::function<void()>;

  // If the execution is free, takes it and returns true: the caller goes on and must leave()
  // when done. Otherwise queues `granted` and returns false; whoever leaves the execution next
  // hands it over by calling `granted` on its own thread, so `granted` must be quick and must
  // not block (post the real work elsewhere, or wake a waiting thread).
  bool try_enter(int64_t execution_id, Continuation granted);

  // Blocks until this thread holds the execution.
  void enter(int64_t execution_id);

  // Releases the execution, or hands it to the oldest queued continuation (run here, before
  // returning).
  void leave(int64_t execution_id);

  // Executions held right now (for tests).
  size_t held();

 private:
  struct Entry {
    std::deque<Continuation> waiting;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<int64_t, Entry> held;  // present ⇔ some step holds the execution
  };
  Shard& shard(int64_t execution_id) {
    return shards_[static_cast<uint64_t>(execution_id) % kShards];
  }

  static constexpr size_t kShards = 64;
  Shard shards_[kShards];
};

}  // namespace stepd::engine
