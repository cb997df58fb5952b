#pragma once
// One libpq connection as a state machine driven by socket readiness: connecting → idle ⇄ busy,
// and broken from anywhere. It never blocks and never waits: the owner (PgPool's event loop)
// watches socket() for wanted_events() and calls on_socket_ready(); every call returns what
// happened. All calls must come from one thread (the owner's); the connection holds no locks.
#include <libpq-fe.h>

#include <cstdint>
#include <deque>
#include <string>

#include "core/sql/sql_executor.h"
#include "core/sql/sql_target.h"

namespace stepd::sql {

// The SQLSTATE and Data API error of one failure, as the connection classifies it.
struct PgError {
  std::string sqlstate;
  std::string message;
  std::string error_code;
  bool connection_lost = false;  // the connection cannot be used again
};

class PgConnection {
 public:
  enum class State { kConnecting, kIdle, kBusy, kBroken };
  enum class Event {
    kNone,           // nothing the owner must act on
    kConnected,      // connecting → idle
    kConnectFailed,  // connecting → broken; error() says why
    kRequestDone,    // busy → idle or broken; take_outcome()
    kLost,           // idle → broken (the server closed it, or it sent garbage)
  };

  explicit PgConnection(std::string key);
  ~PgConnection();  // PQfinish; the owner must have stopped watching socket() first
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Starts a non-blocking connect. Returns kConnectFailed when libpq refused at once (bad
  // option, out of memory), kNone otherwise: then wait for wanted_events() on socket().
  Event start_connect(const ConnectionSettings& settings);

  // Runs one request: (health check), (statement_timeout), (BEGIN), the statements,
  // (COMMIT). `default_timeout_ms` applies when the request sets none. The request must outlive
  // the run (until kRequestDone). May return kRequestDone at once (nothing could be sent).
  Event start_request(const SqlRequest* request, long long default_timeout_ms, bool health_check);

  Event on_socket_ready(uint32_t epoll_events);

  // Marks the running request as cancelled: no further statement is sent, an open transaction
  // is rolled back, and the outcome is kAborted. The server-side cancel is the owner's job
  // (make_cancel_handle() + PQcancel on another thread: it blocks).
  void mark_cancelled() { cancel_requested_ = true; }
  bool cancel_requested() const { return cancel_requested_; }
  // A PGcancel for this connection's backend (nullptr when there is none). Free with
  // PQfreeCancel; usable from any thread, and after this connection is finished.
  PGcancel* make_cancel_handle() const;

  // After kRequestDone: the outcome, and whether the request never started (its health check
  // found the connection dead) and may run on another connection.
  SqlOutcome take_outcome();
  bool retry_elsewhere() const { return retry_elsewhere_; }

  State state() const { return state_; }
  int socket() const;
  uint32_t wanted_events() const;  // EPOLLIN / EPOLLOUT
  const std::string& key() const { return key_; }
  const std::string& error() const { return error_; }
  int backend_pid() const;

 private:
  enum class StepKind { kHealth, kTimeout, kBegin, kUser, kCommit, kRollback };
  struct Step {
    StepKind kind;
    int index = -1;  // kUser: the statement's index
  };

  Event poll_connect();
  Event send_next();
  Event pump_results();
  Event step_finished();
  Event finish(SqlOutcome::Status status);
  Event fail_connection(const std::string& message);
  void convert_result(PGresult* res, SqlStatementResult& out) const;
  PgError classify(PGresult* res) const;

  std::string key_;
  PGconn* conn_ = nullptr;
  State state_ = State::kBroken;
  PostgresPollingStatusType poll_ = PGRES_POLLING_WRITING;
  std::string error_;

  // The running request.
  const SqlRequest* request_ = nullptr;
  std::deque<Step> steps_;
  Step current_{StepKind::kHealth};
  bool flushing_ = false;
  bool in_transaction_ = false;
  bool cancel_requested_ = false;
  bool retry_elsewhere_ = false;
  long long wanted_timeout_ms_ = 0;
  long long applied_timeout_ms_ = 0;  // what this session's statement_timeout is (0: default)
  PGresult* pending_ = nullptr;       // the current step's result, until PQgetResult gives null
  SqlStatementResult current_result_;
  int64_t step_started_steady_ns_ = 0;
  SqlOutcome outcome_;
};

}  // namespace stepd::sql
