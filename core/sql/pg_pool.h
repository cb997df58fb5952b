#pragma once
// The SqlExecutor for PostgreSQL and Redshift targets: a pool of non-blocking libpq connections
// (pg_connection.h) driven by one event-loop thread (epoll on the connections' sockets plus an
// eventfd for new work), with a bounded FIFO wait queue, a per-session-key reconnect back-off,
// health checks of long-idle connections, and server-side cancellation done by a second small
// thread (libpq 15's PQcancel blocks).
//
// Threads: submit(), cancel(), stats() and shutdown() may be called from any thread. Every
// libpq object belongs to the loop thread, and every `done` callback runs there: it must be
// quick and must not block (it may call submit() or cancel()).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/common/clock.h"
#include "core/sql/sql_executor.h"
#include "core/sql/sql_target.h"

namespace stepd::sql {

struct PgPoolOptions {
  // Requests waiting for a connection beyond this many fail at once with
  // ActiveStatementsExceededException.
  size_t queue_limit = 10000;
  // A connection idle this long runs `SELECT 1` before it is given a request; when that fails
  // the request moves to a fresh connection instead of failing.
  int64_t idle_check_after_ms = 30000;
  // An idle connection older than this is closed (and reopened when needed).
  int64_t max_lifetime_ms = 3600000;
  // After a failed connect, the next attempt for the same database/user waits a random time up
  // to base·2^(failures-1), capped at max ("full jitter").
  int64_t reconnect_backoff_base_ms = 100;
  int64_t reconnect_backoff_max_ms = 5000;
  // Time for idle ages, lifetimes and back-off; not owned; nullptr: a monotonic clock. The loop
  // still sleeps in real time, so a manual clock is only useful together with new work.
  const Clock* clock = nullptr;
};

class PgPool final : public SqlExecutor {
 public:
  // `target` must be a postgres-kind target; at most target.max_connections connections are
  // open at once across all session keys (Database / DbUser overrides).
  explicit PgPool(SqlTargetConfig target, PgPoolOptions options = {});
  ~PgPool() override;  // shutdown()
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  uint64_t submit(SqlRequest request, Done done) override;
  void cancel(uint64_t handle) override;
  Stats stats() const override;
  void shutdown() override;

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace stepd::sql
