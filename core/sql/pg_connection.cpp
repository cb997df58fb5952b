#include "core/sql/pg_connection.h"

#include <sys/epoll.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

namespace stepd::sql {
namespace {

constexpr const char* kConnectionError = "DatabaseConnectionException";
constexpr const char* kStatementError = "ExecuteStatementException";
constexpr const char* kTimeoutError = "QueryTimeoutException";

// libpq's messages end with a newline (and sometimes carry a second line of detail we keep).
std::string trimmed(const char* text) {
  std::string s = text == nullptr ? "" : text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Built-in type oids are fixed by PostgreSQL's catalog (pg_type.dat) and never change, so a
// static table names them without a catalog query per result. Redshift uses the same oids for
// the types it shares with PostgreSQL.
struct TypeInfo {
  Oid oid;
  const char* name;
  bool is_signed;
  int precision;  // for fixed-size numbers; from the type modifier otherwise
};
constexpr TypeInfo kTypes[] = {
    {16, "bool", false, 1},         {17, "bytea", false, 0},          {18, "char", false, 1},
    {19, "name", false, 64},        {20, "int8", true, 19},           {21, "int2", true, 5},
    {23, "int4", true, 10},         {25, "text", false, 0},           {26, "oid", false, 10},
    {114, "json", false, 0},        {142, "xml", false, 0},           {650, "cidr", false, 0},
    {700, "float4", true, 8},       {701, "float8", true, 17},        {705, "unknown", false, 0},
    {790, "money", true, 0},        {869, "inet", false, 0},          {1042, "bpchar", false, 0},
    {1043, "varchar", false, 0},    {1082, "date", false, 13},        {1083, "time", false, 15},
    {1114, "timestamp", false, 29}, {1184, "timestamptz", false, 35}, {1186, "interval", false, 49},
    {1266, "timetz", false, 21},    {1560, "bit", false, 0},          {1562, "varbit", false, 0},
    {1700, "numeric", true, 0},     {2950, "uuid", false, 36},        {3802, "jsonb", false, 0},
    {1000, "_bool", false, 0},      {1005, "_int2", false, 0},        {1007, "_int4", false, 0},
    {1009, "_text", false, 0},      {1016, "_int8", false, 0},        {1015, "_varchar", false, 0},
    {1021, "_float4", false, 0},    {1022, "_float8", false, 0},      {1231, "_numeric", false, 0},
    {3807, "_jsonb", false, 0},
};

const TypeInfo* find_type(Oid oid) {
  for (const auto& t : kTypes) {
    if (t.oid == oid) return &t;
  }
  return nullptr;
}

Json column_metadata(const PGresult* res, int col) {
  Oid oid = PQftype(res, col);
  int typmod = PQfmod(res, col);
  const TypeInfo* t = find_type(oid);
  int precision = t != nullptr ? t->precision : 0;
  int scale = 0;
  int length = 0;
  // Type modifiers carry a 4-byte header offset (VARHDRSZ) for the types that have one.
  if (oid == 1700 && typmod >= 4) {
    precision = ((typmod - 4) >> 16) & 0xffff;
    scale = (typmod - 4) & 0xffff;
  } else if ((oid == 1042 || oid == 1043) && typmod >= 4) {
    precision = typmod - 4;
    length = typmod - 4;
  }
  const char* name = PQfname(res, col);
  Json m = Json::object();
  m["name"] = name;
  m["label"] = name;
  m["typeName"] = t != nullptr ? std::string(t->name) : "oid:" + std::to_string(oid);
  // A result does not say whether a column can hold NULL: 2 is JDBC's "nullable unknown",
  // which the Data API passes through.
  m["nullable"] = 2;
  m["isSigned"] = t != nullptr && t->is_signed;
  m["precision"] = precision;
  m["scale"] = scale;
  m["length"] = length;
  m["schemaName"] = "";
  m["tableName"] = "";
  return m;
}

Json field(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return Json{{"isNull", true}};
  const char* text = PQgetvalue(res, row, col);
  switch (PQftype(res, col)) {
    case 20:
    case 21:
    case 23: {
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(text, &end, 10);
      if (errno == 0 && end != text && *end == '\0') return Json{{"longValue", v}};
      break;
    }
    case 700:
    case 701: {
      char* end = nullptr;
      double v = std::strtod(text, &end);
      // NaN and Infinity have no JSON number; they travel as text like numeric does.
      if (end != text && *end == '\0' && std::isfinite(v)) return Json{{"doubleValue", v}};
      break;
    }
    case 16:
      return Json{{"booleanValue", text[0] == 't'}};
    default:
      break;
  }
  return Json{{"stringValue", text}};
}

}  // namespace

PgConnection::PgConnection(std::string key) : key_(std::move(key)) {}

PgConnection::~PgConnection() {
  if (pending_ != nullptr) PQclear(pending_);
  if (conn_ != nullptr) PQfinish(conn_);
}

PgConnection::Event PgConnection::start_connect(const ConnectionSettings& settings) {
  // The conninfo is expanded from "dbname" (expand_dbname = 1) and the password comes after it
  // as its own keyword, so the password is never part of a string anyone could log.
  const char* keys[] = {"dbname", nullptr, nullptr};
  const char* values[] = {settings.conninfo.c_str(), nullptr, nullptr};
  if (!settings.password.empty()) {
    keys[1] = "password";
    values[1] = settings.password.reveal().c_str();
  }
  conn_ = PQconnectStartParams(keys, values, 1);
  if (conn_ == nullptr) {
    error_ = "libpq could not allocate a connection";
    state_ = State::kBroken;
    return Event::kConnectFailed;
  }
  // libpq's default notice processor writes NOTICEs (DROP ... IF EXISTS and friends) to stderr;
  // a server must not.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  if (PQstatus(conn_) == CONNECTION_BAD) {
    error_ = trimmed(PQerrorMessage(conn_));
    state_ = State::kBroken;
    return Event::kConnectFailed;
  }
  state_ = State::kConnecting;
  // libpq's contract: before the first PQconnectPoll, behave as if it had asked for writing.
  poll_ = PGRES_POLLING_WRITING;
  return Event::kNone;
}

int PgConnection::socket() const {
  return conn_ == nullptr ? -1 : PQsocket(conn_);
}

int PgConnection::backend_pid() const {
  return conn_ == nullptr ? 0 : PQbackendPID(conn_);
}

uint32_t PgConnection::wanted_events() const {
  switch (state_) {
    case State::kConnecting:
      return poll_ == PGRES_POLLING_READING ? EPOLLIN : EPOLLOUT;
    case State::kIdle:
      // Watched while idle so that a server-side close is noticed before the next request.
      return EPOLLIN;
    case State::kBusy:
      return EPOLLIN | (flushing_ ? static_cast<uint32_t>(EPOLLOUT) : 0u);
    case State::kBroken:
      return 0;
  }
  return 0;
}

PGcancel* PgConnection::make_cancel_handle() const {
  return conn_ == nullptr ? nullptr : PQgetCancel(conn_);
}

SqlOutcome PgConnection::take_outcome() {
  SqlOutcome out = std::move(outcome_);
  outcome_ = SqlOutcome{};
  return out;
}

PgConnection::Event PgConnection::on_socket_ready(uint32_t epoll_events) {
  switch (state_) {
    case State::kConnecting:
      return poll_connect();
    case State::kIdle:
      if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) == CONNECTION_BAD) {
        error_ = trimmed(PQerrorMessage(conn_));
        state_ = State::kBroken;
        return Event::kLost;
      }
      while (PGnotify* n = PQnotifies(conn_)) PQfreemem(n);
      return Event::kNone;
    case State::kBusy:
      if ((epoll_events & EPOLLOUT) != 0 && flushing_) {
        int f = PQflush(conn_);
        if (f < 0) return fail_connection(trimmed(PQerrorMessage(conn_)));
        flushing_ = f == 1;
      }
      return pump_results();
    case State::kBroken:
      return Event::kNone;
  }
  return Event::kNone;
}

PgConnection::Event PgConnection::poll_connect() {
  poll_ = PQconnectPoll(conn_);
  if (poll_ == PGRES_POLLING_FAILED) {
    error_ = trimmed(PQerrorMessage(conn_));
    state_ = State::kBroken;
    return Event::kConnectFailed;
  }
  if (poll_ != PGRES_POLLING_OK) return Event::kNone;
  if (PQsetnonblocking(conn_, 1) != 0) {
    error_ = trimmed(PQerrorMessage(conn_));
    state_ = State::kBroken;
    return Event::kConnectFailed;
  }
  state_ = State::kIdle;
  return Event::kConnected;
}

PgConnection::Event PgConnection::start_request(const SqlRequest* request,
                                                long long default_timeout_ms, bool health_check) {
  request_ = request;
  outcome_ = SqlOutcome{};
  retry_elsewhere_ = false;
  cancel_requested_ = false;
  in_transaction_ = false;
  steps_.clear();
  state_ = State::kBusy;

  if (health_check) steps_.push_back({StepKind::kHealth});
  // statement_timeout is a session setting: set it only when this request wants something other
  // than what the session has, so that no request inherits another's limit and requests with the
  // same limit pay no extra round trip. It is set outside the transaction: a SET inside a block
  // that rolls back would be undone.
  wanted_timeout_ms_ = request->timeout_ms > 0 ? request->timeout_ms : default_timeout_ms;
  if (wanted_timeout_ms_ < 0) wanted_timeout_ms_ = 0;
  if (wanted_timeout_ms_ != applied_timeout_ms_) steps_.push_back({StepKind::kTimeout});
  if (request->transaction) steps_.push_back({StepKind::kBegin});
  for (int i = 0; i < static_cast<int>(request->statements.size()); ++i) {
    steps_.push_back({StepKind::kUser, i});
  }
  if (request->transaction) steps_.push_back({StepKind::kCommit});
  return send_next();
}

PgConnection::Event PgConnection::send_next() {
  if (steps_.empty()) return finish(SqlOutcome::Status::kFinished);
  current_ = steps_.front();
  steps_.pop_front();

  std::string internal;
  const char* sql = nullptr;
  std::vector<const char*> values;
  switch (current_.kind) {
    case StepKind::kHealth:
      sql = "SELECT 1";
      break;
    case StepKind::kTimeout:
      // RESET rather than 0: the role or database may have its own default.
      internal = wanted_timeout_ms_ > 0
                     ? "SET statement_timeout = " + std::to_string(wanted_timeout_ms_)
                     : std::string("RESET statement_timeout");
      sql = internal.c_str();
      break;
    case StepKind::kBegin:
      sql = "BEGIN";
      break;
    case StepKind::kCommit:
      sql = "COMMIT";
      break;
    case StepKind::kRollback:
      sql = "ROLLBACK";
      break;
    case StepKind::kUser: {
      const SqlStatement& st = request_->statements[current_.index];
      sql = st.sql.c_str();
      values.reserve(st.values.size());
      for (const auto& v : st.values) values.push_back(v.c_str());
      current_result_ = SqlStatementResult{};
      current_result_.started_ms = system_ms();
      current_result_.redshift_pid = PQbackendPID(conn_);
      step_started_steady_ns_ = steady_ns();
      break;
    }
  }
  // Always the extended protocol: parameters travel apart from the SQL text, and it refuses
  // several statements in one string, so one SqlStatement is exactly one statement.
  if (PQsendQueryParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0) == 0) {
    std::string message = trimmed(PQerrorMessage(conn_));
    if (PQstatus(conn_) == CONNECTION_BAD) return fail_connection(message);
    // Refused before anything was sent (too many parameters, say): the connection is fine.
    pending_ = nullptr;
    outcome_.message = message;
    outcome_.error_code = kStatementError;
    if (current_.kind == StepKind::kUser) {
      outcome_.failed_index = current_.index;
      outcome_.results.push_back(current_result_);
    }
    if (in_transaction_) {
      steps_.assign(1, Step{StepKind::kRollback});
      outcome_.status = SqlOutcome::Status::kFailed;
      return send_next();
    }
    return finish(SqlOutcome::Status::kFailed);
  }
  int f = PQflush(conn_);
  if (f < 0) return fail_connection(trimmed(PQerrorMessage(conn_)));
  flushing_ = f == 1;
  return Event::kNone;
}

PgConnection::Event PgConnection::pump_results() {
  bool lost = PQconsumeInput(conn_) == 0 || PQstatus(conn_) == CONNECTION_BAD;
  if (!lost && flushing_) {
    // The docs ask for a flush after reading too: the server may have been waiting for us to
    // read before it accepted more.
    int f = PQflush(conn_);
    if (f < 0) return fail_connection(trimmed(PQerrorMessage(conn_)));
    flushing_ = f == 1;
  }
  // Once the connection is bad PQgetResult no longer waits: it hands back what was parsed
  // (a FATAL 57P01, say) and then an error of its own, then null. A few rounds are enough.
  int rounds = 0;
  while (lost || !PQisBusy(conn_)) {
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) return step_finished();
    ExecStatusType st = PQresultStatus(res);
    bool is_error = st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE;
    if (pending_ == nullptr) {
      pending_ = res;
    } else if (is_error && PQresultStatus(pending_) != PGRES_FATAL_ERROR) {
      // The first error explains what happened; a later one only repeats "connection lost".
      PQclear(pending_);
      pending_ = res;
    } else {
      PQclear(res);
    }
    if (lost && ++rounds > 8) return step_finished();
  }
  return Event::kNone;
}

PgError PgConnection::classify(PGresult* res) const {
  PgError e;
  if (res != nullptr) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    e.sqlstate = state == nullptr ? "" : state;
    e.message = primary != nullptr ? trimmed(primary) : trimmed(PQresultErrorMessage(res));
  }
  if (e.message.empty()) e.message = trimmed(PQerrorMessage(conn_));
  e.connection_lost = PQstatus(conn_) == CONNECTION_BAD || e.sqlstate.rfind("08", 0) == 0 ||
                      e.sqlstate == "57P01" || e.sqlstate == "57P02" || e.sqlstate == "57P03";
  if (e.connection_lost) {
    e.error_code = kConnectionError;
    if (e.sqlstate.empty()) e.sqlstate = "08006";
  } else if (e.sqlstate == "57014") {
    e.error_code = kTimeoutError;
  } else {
    e.error_code = kStatementError;
  }
  return e;
}

PgConnection::Event PgConnection::step_finished() {
  PGresult* res = pending_;
  pending_ = nullptr;
  ExecStatusType st = res == nullptr ? PGRES_COMMAND_OK : PQresultStatus(res);
  bool ok = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) &&
            PQstatus(conn_) != CONNECTION_BAD;
  if (ok && current_.kind == StepKind::kUser) {
    convert_result(res, current_result_);
    current_result_.duration_ns = steady_ns() - step_started_steady_ns_;
    outcome_.results.push_back(std::move(current_result_));
  }
  PgError err;
  if (!ok) err = classify(res);
  if (res != nullptr) PQclear(res);

  if (ok) {
    switch (current_.kind) {
      case StepKind::kTimeout:
        applied_timeout_ms_ = wanted_timeout_ms_;
        break;
      case StepKind::kBegin:
        in_transaction_ = true;
        break;
      case StepKind::kCommit:
      case StepKind::kRollback:
        in_transaction_ = false;
        break;
      default:
        break;
    }
    if (current_.kind == StepKind::kRollback) return finish(outcome_.status);
    // A cancel stops the request before its next statement or its COMMIT; once everything has
    // run (and committed) it is too late, and the request reports what really happened.
    if (cancel_requested_ && !steps_.empty()) {
      outcome_.message = "the statement was cancelled";
      if (in_transaction_) {
        outcome_.status = SqlOutcome::Status::kAborted;
        steps_.assign(1, Step{StepKind::kRollback});
        return send_next();
      }
      return finish(SqlOutcome::Status::kAborted);
    }
    return send_next();
  }

  if (current_.kind == StepKind::kHealth && !cancel_requested_) {
    // The request has not started: it can run on a fresh connection instead of failing.
    retry_elsewhere_ = true;
    state_ = State::kBroken;
    error_ = err.message;
    outcome_.sqlstate = err.sqlstate;
    outcome_.message = err.message;
    outcome_.error_code = kConnectionError;
    return finish(SqlOutcome::Status::kFailed);
  }
  if (current_.kind == StepKind::kRollback) {
    // The transaction is over either way (a failed ROLLBACK leaves nothing open), but a
    // connection that cannot roll back is not trusted again.
    in_transaction_ = false;
    if (err.connection_lost || PQtransactionStatus(conn_) != PQTRANS_IDLE) state_ = State::kBroken;
    return finish(outcome_.status);
  }

  outcome_.sqlstate = err.sqlstate;
  outcome_.message = err.message;
  outcome_.error_code = err.error_code;
  if (current_.kind == StepKind::kUser) {
    outcome_.failed_index = current_.index;
    current_result_.duration_ns = steady_ns() - step_started_steady_ns_;
    outcome_.results.push_back(std::move(current_result_));
  } else if (current_.kind == StepKind::kCommit && request_ != nullptr &&
             !request_->statements.empty()) {
    // A failed COMMIT (a deferred constraint, say) undoes the whole batch; blame the last one.
    outcome_.failed_index = static_cast<int>(request_->statements.size()) - 1;
    in_transaction_ = false;
  }
  SqlOutcome::Status status = SqlOutcome::Status::kFailed;
  if (cancel_requested_) {
    status = SqlOutcome::Status::kAborted;
    outcome_.error_code.clear();
  }
  if (err.connection_lost) {
    state_ = State::kBroken;
    error_ = err.message;
    in_transaction_ = false;
    return finish(status);
  }
  if (in_transaction_) {
    outcome_.status = status;
    steps_.assign(1, Step{StepKind::kRollback});
    return send_next();
  }
  return finish(status);
}

PgConnection::Event PgConnection::fail_connection(const std::string& message) {
  if (pending_ != nullptr) {
    PQclear(pending_);
    pending_ = nullptr;
  }
  state_ = State::kBroken;
  error_ = message;
  outcome_.sqlstate = "08006";
  outcome_.message = message.empty() ? "the connection to the database was lost" : message;
  outcome_.error_code = kConnectionError;
  if (current_.kind == StepKind::kUser) {
    outcome_.failed_index = current_.index;
    outcome_.results.push_back(current_result_);
  }
  if (current_.kind == StepKind::kHealth) retry_elsewhere_ = true;
  return finish(cancel_requested_ ? SqlOutcome::Status::kAborted : SqlOutcome::Status::kFailed);
}

PgConnection::Event PgConnection::finish(SqlOutcome::Status status) {
  outcome_.status = status;
  request_ = nullptr;
  steps_.clear();
  flushing_ = false;
  cancel_requested_ = false;
  if (state_ != State::kBroken) state_ = State::kIdle;
  return Event::kRequestDone;
}

void PgConnection::convert_result(PGresult* res, SqlStatementResult& out) const {
  if (res == nullptr) return;
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    const char* count = PQcmdTuples(res);
    out.result_rows = (count == nullptr || *count == '\0') ? -1 : std::strtoll(count, nullptr, 10);
    return;
  }
  out.has_result_set = true;
  int rows = PQntuples(res);
  int cols = PQnfields(res);
  out.result_rows = rows;
  for (int c = 0; c < cols; ++c) out.column_metadata.push_back(column_metadata(res, c));
  size_t limit = request_ != nullptr ? request_->max_result_bytes : SIZE_MAX;
  // `records` as JSON text is "[" row ("," row)* "]": count it row by row so that the size is
  // known without building text for the whole result.
  size_t size = 2;
  for (int r = 0; r < rows; ++r) {
    Json row = Json::array();
    for (int c = 0; c < cols; ++c) row.push_back(field(res, r, c));
    size += row.dump().size() + (r > 0 ? 1 : 0);
    if (!out.result_too_large && size > limit) {
      out.result_too_large = true;
      out.records = Json::array();
    }
    if (!out.result_too_large) out.records.push_back(std::move(row));
  }
  out.result_size_bytes = size;
}

}  // namespace stepd::sql
