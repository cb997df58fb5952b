#include "core/engine/execution_gate.h"

#include <condition_variable>

namespace stepd::engine {

bool ExecutionGate::try_enter(int64_t execution_id, Continuation granted) {
  Shard& s = shard(execution_id);
  std::lock_guard lock(s.mu);
  auto [it, inserted] = s.held.try_emplace(execution_id);
  if (inserted) return true;
  it->second.waiting.push_back(std::move(granted));
  return false;
}

void ExecutionGate::enter(int64_t execution_id) {
  struct Latch {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
  };
  // Shared: the thread that hands over may still be inside notify when this one returns.
  auto latch = std::make_shared<Latch>();
  const bool now = try_enter(execution_id, [latch] {
    std::lock_guard lock(latch->mu);
    latch->open = true;
    latch->cv.notify_one();
  });
  if (now) return;
  std::unique_lock lock(latch->mu);
  latch->cv.wait(lock, [&] { return latch->open; });
}

void ExecutionGate::leave(int64_t execution_id) {
  Continuation next;
  {
    Shard& s = shard(execution_id);
    std::lock_guard lock(s.mu);
    auto it = s.held.find(execution_id);
    if (it == s.held.end()) return;  // not held: a bug of the caller, but harmless here
    if (it->second.waiting.empty()) {
      s.held.erase(it);
      return;
    }
    next = std::move(it->second.waiting.front());
    it->second.waiting.pop_front();
  }
  next();  // the execution stays held: it now belongs to `next`'s step
}

size_t ExecutionGate::held() {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.held.size();
  }
  return n;
}

}  // namespace stepd::engine
