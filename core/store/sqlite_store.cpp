#include "core/store/sqlite_store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/store/handoff.h"
#include "core/store/sqlite_handle.h"

namespace stepd::store {

using sqlite::Connection;
using sqlite::Query;

namespace {

constexpr int kDefaultPageSize = 100;

int page_size(const Page& page) {
  return page.limit > 0 ? page.limit : kDefaultPageSize;
}

// Cursors are the key of the last row returned, as text. Anything else is a client sending a
// token we never issued (AWS answers InvalidToken), so it is reported, not guessed at.
int64_t parse_id_cursor(const std::string& cursor, int64_t if_empty) {
  if (cursor.empty()) {
    return if_empty;
  }
  int64_t value = 0;
  const char* end = cursor.data() + cursor.size();
  auto [ptr, ec] = std::from_chars(cursor.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    throw std::invalid_argument("invalid pagination cursor");
  }
  return value;
}

// Reads up to `limit` rows (the query asks for limit + 1 so that we know whether more remain)
// and sets *next to the cursor of the last row kept, or "" when this was the last page.
template <typename Row, typename ReadRow, typename CursorOf>
std::vector<Row> read_page(Query& q, int limit, std::string* next, ReadRow read_row,
                           CursorOf cursor_of) {
  std::vector<Row> rows;
  bool more = false;
  while (q.step()) {
    if (static_cast<int>(rows.size()) == limit) {
      more = true;
      break;
    }
    rows.push_back(read_row(q));
  }
  if (next != nullptr) {
    *next = more ? cursor_of(rows.back()) : std::string();
  }
  return rows;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --- executions

constexpr const char* kExecutionColumns =
    "id, arn, state_machine_arn, name, revision_id, status, input, output, error, cause, "
    "start_ms, stop_ms, state, version, event_count, redrive_count, redrive_ms, redrive_token, "
    "callback_tasks";

ExecutionRecord read_execution(const Query& q) {
  ExecutionRecord e;
  e.id = q.int64(0);
  e.arn = q.text(1);
  e.state_machine_arn = q.text(2);
  e.name = q.text(3);
  e.revision_id = q.text(4);
  e.status = q.text(5);
  e.input = q.text(6);
  e.output = q.optional_text(7);
  e.error = q.optional_text(8);
  e.cause = q.optional_text(9);
  e.start_ms = q.int64(10);
  e.stop_ms = q.int64(11);
  e.state = q.text(12);
  e.version = q.int64(13);
  e.event_count = q.int64(14);
  e.redrive_count = q.int64(15);
  e.redrive_ms = q.int64(16);
  e.redrive_token = q.text(17);
  e.callback_tasks = q.int64(18);
  return e;
}

std::optional<ExecutionRecord> execution_by_id(Connection& db, int64_t id) {
  static const std::string sql =
      std::string("SELECT ") + kExecutionColumns + " FROM executions WHERE id = ?";
  auto q = db.query(sql);
  q.bind_all(id);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_execution(q);
}

std::optional<ExecutionRecord> execution_by_name(Connection& db, const std::string& sm_arn,
                                                 const std::string& name) {
  static const std::string sql = std::string("SELECT ") + kExecutionColumns +
                                 " FROM executions WHERE state_machine_arn = ? AND name = ?";
  auto q = db.query(sql);
  q.bind_all(sm_arn, name);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_execution(q);
}

// Rows attached to an execution carry its id; 0 means "this write's execution". Anything else
// is an engine bug that would silently move rows to another execution, so the write fails.
int64_t owner_id(int64_t record_id, int64_t execution_id, const char* what) {
  if (record_id == 0 || record_id == execution_id) {
    return execution_id;
  }
  throw std::invalid_argument(std::string("store: ") + what + " for execution " +
                              std::to_string(record_id) + " in a write for execution " +
                              std::to_string(execution_id));
}

// --- execution data

// The smallest string greater than every string that starts with `prefix`, comparing bytes as
// SQLite's BINARY collation does: the prefix with its last byte raised by one, after dropping
// trailing 0xFF bytes (which cannot be raised). nullopt when there is no such string (an empty
// prefix, or one made only of 0xFF), i.e. every key matches. Prefix reads and erases use
// `key >= prefix AND key < successor`, a range on the primary key; LIKE would need escaping of
// '%' and '_' and, being case-insensitive for ASCII by default, could not use the index.
std::optional<std::string> prefix_successor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) {
    prefix.pop_back();
  }
  if (prefix.empty()) {
    return std::nullopt;
  }
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

void erase_data_prefix(Connection& db, int64_t execution_id, const std::string& prefix) {
  if (std::optional<std::string> end = prefix_successor(prefix)) {
    db.query("DELETE FROM execution_data WHERE execution_id = ? AND key >= ? AND key < ?")
        .bind_all(execution_id, prefix, *end)
        .run();
  } else {
    db.query("DELETE FROM execution_data WHERE execution_id = ? AND key >= ?")
        .bind_all(execution_id, prefix)
        .run();
  }
}

// Applies one ExecutionWrite; runs inside the savepoint of its job. Conflicts are detected by
// the first statement, before anything is written, so returning early leaves nothing behind.
WriteOutcome apply_write(Connection& db, const ExecutionWrite& w) {
  const ExecutionRecord& e = w.execution;
  WriteOutcome outcome;
  if (w.insert) {
    db.query(
          "INSERT INTO executions (id, arn, state_machine_arn, name, revision_id, status, "
          "input, output, error, cause, start_ms, stop_ms, state, version, event_count, "
          "redrive_count, redrive_ms, redrive_token, callback_tasks) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) "
          "ON CONFLICT (state_machine_arn, name) DO NOTHING")
        .bind_all(e.id, e.arn, e.state_machine_arn, e.name, e.revision_id, e.status, e.input,
                  e.output, e.error, e.cause, e.start_ms, e.stop_ms, e.state, e.event_count,
                  e.redrive_count, e.redrive_ms, e.redrive_token, e.callback_tasks)
        .run();
    if (db.changes() == 0) {
      outcome.status = WriteOutcome::Status::kNameConflict;
      outcome.existing = execution_by_name(db, e.state_machine_arn, e.name);
      return outcome;
    }
  } else {
    // Only what a step can change; identity, input and revision are fixed at start.
    db.query(
          "UPDATE executions SET status = ?, output = ?, error = ?, cause = ?, stop_ms = ?, "
          "state = ?, event_count = ?, redrive_count = ?, redrive_ms = ?, redrive_token = ?, "
          "callback_tasks = ?, version = version + 1 WHERE id = ? AND version = ?")
        .bind_all(e.status, e.output, e.error, e.cause, e.stop_ms, e.state, e.event_count,
                  e.redrive_count, e.redrive_ms, e.redrive_token, e.callback_tasks, e.id, e.version)
        .run();
    if (db.changes() == 0) {
      outcome.status = WriteOutcome::Status::kVersionConflict;
      outcome.existing = execution_by_id(db, e.id);
      return outcome;
    }
  }

  const int64_t id = e.id;
  for (const HistoryEventRecord& ev : w.events) {
    db.query(
          "INSERT INTO history (execution_id, event_id, previous_id, timestamp_ms, type, "
          "details) VALUES (?, ?, ?, ?, ?, ?)")
        .bind_all(id, ev.id, ev.previous_id, ev.timestamp_ms, ev.type, ev.details)
        .run();
  }

  // Clears come before sets so that one write can replace a timer it also clears.
  if (w.clear_all_timers) {
    db.query("DELETE FROM timers WHERE execution_id = ?").bind_all(id).run();
  }
  for (const std::string& tag : w.timers_clear) {
    db.query("DELETE FROM timers WHERE execution_id = ? AND tag = ?").bind_all(id, tag).run();
  }
  for (const TimerRecord& t : w.timers_set) {
    db.query(
          "INSERT INTO timers (execution_id, tag, due_ms) VALUES (?, ?, ?) "
          "ON CONFLICT (execution_id, tag) DO UPDATE SET due_ms = excluded.due_ms")
        .bind_all(owner_id(t.execution_id, id, "timer"), t.tag, t.due_ms)
        .run();
  }

  if (w.clear_activity_tasks) {
    db.query("DELETE FROM activity_tasks WHERE execution_id = ?").bind_all(id).run();
  }
  for (int64_t seq : w.activity_task_seqs_remove) {
    db.query("DELETE FROM activity_tasks WHERE execution_id = ? AND task_seq = ?")
        .bind_all(id, seq)
        .run();
  }
  for (const ActivityTaskRecord& t : w.activity_tasks_add) {
    db.query(
          "INSERT INTO activity_tasks (activity_arn, execution_id, task_seq, token, input, "
          "created_ms) VALUES (?, ?, ?, ?, ?, ?)")
        .bind_all(t.activity_arn, owner_id(t.execution_id, id, "activity task"), t.task_seq,
                  t.token, t.input, t.created_ms)
        .run();
  }

  if (w.clear_outbox) {
    db.query("DELETE FROM outbox WHERE execution_id = ?").bind_all(id).run();
  }
  for (const std::string& key : w.outbox_remove) {
    db.query("DELETE FROM outbox WHERE execution_id = ? AND key = ?").bind_all(id, key).run();
  }
  for (const OutboxRecord& o : w.outbox_add) {
    db.query(
          "INSERT INTO outbox (execution_id, key, kind, payload, created_ms) "
          "VALUES (?, ?, ?, ?, ?)")
        .bind_all(owner_id(o.execution_id, id, "outbox row"), o.key, o.kind, o.payload,
                  o.created_ms)
        .run();
  }

  if (w.clear_data) {
    db.query("DELETE FROM execution_data WHERE execution_id = ?").bind_all(id).run();
  }
  for (const std::string& prefix : w.data_erase_prefix) {
    erase_data_prefix(db, id, prefix);
  }
  for (const auto& [key, value] : w.data_put) {
    db.query(
          "INSERT INTO execution_data (execution_id, key, value) VALUES (?, ?, ?) "
          "ON CONFLICT (execution_id, key) DO UPDATE SET value = excluded.value")
        .bind_all(id, key, value)
        .run();
  }
  return outcome;
}

// --- state machines

constexpr const char* kStateMachineSelect =
    "SELECT sm.arn, sm.name, sm.type, sm.status, sm.revision_id, r.definition, sm.role_arn, "
    "sm.description, sm.logging_configuration, sm.tracing_configuration, sm.creation_ms, "
    "sm.update_ms FROM state_machines sm "
    "LEFT JOIN definition_revisions r ON r.revision_id = sm.revision_id ";

StateMachineRecord read_state_machine(const Query& q) {
  StateMachineRecord sm;
  sm.arn = q.text(0);
  sm.name = q.text(1);
  sm.type = q.text(2);
  sm.status = q.text(3);
  sm.revision_id = q.text(4);
  sm.definition = q.text(5);
  sm.role_arn = q.text(6);
  sm.description = q.text(7);
  sm.logging_configuration = q.text(8);
  sm.tracing_configuration = q.text(9);
  sm.creation_ms = q.int64(10);
  sm.update_ms = q.int64(11);
  return sm;
}

// A revision id names one immutable definition, so an existing row is already right.
void insert_revision(Connection& db, const StateMachineRecord& sm, int64_t created_ms) {
  db.query(
        "INSERT INTO definition_revisions (revision_id, state_machine_arn, definition, "
        "role_arn, created_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (revision_id) DO NOTHING")
      .bind_all(sm.revision_id, sm.arn, sm.definition, sm.role_arn, created_ms)
      .run();
}

void require_revision_id(const StateMachineRecord& sm) {
  if (sm.revision_id.empty()) {
    throw std::invalid_argument("store: state machine " + sm.arn + " has no revision_id");
  }
}

// --- activities

ActivityRecord read_activity(const Query& q) {
  return ActivityRecord{q.text(0), q.text(1), q.int64(2)};
}

ActivityTaskRecord read_activity_task(const Query& q) {
  ActivityTaskRecord t;
  t.id = q.int64(0);
  t.activity_arn = q.text(1);
  t.execution_id = q.int64(2);
  t.task_seq = q.int64(3);
  t.token = q.text(4);
  t.input = q.text(5);
  t.created_ms = q.int64(6);
  return t;
}

// --- statements of the Redshift Data API emulation

// Every column but `result`, which only GetStatementResult needs; `seq` comes last for cursors.
constexpr const char* kSqlStatementColumns =
    "id, status, target, cluster_identifier, workgroup_name, secret_arn, database_name, db_user, "
    "statement_name, query_string, is_batch, query_parameters, created_ms, updated_ms, "
    "duration_ns, error, has_result_set, result_rows, result_size, redshift_pid, "
    "sub_statements, execution_id, task_seq, client_token, seq";

SqlStatementRecord read_sql_statement(const Query& q) {
  SqlStatementRecord r;
  r.id = q.text(0);
  r.status = q.text(1);
  r.target = q.text(2);
  r.cluster_identifier = q.text(3);
  r.workgroup_name = q.text(4);
  r.secret_arn = q.text(5);
  r.database = q.text(6);
  r.db_user = q.text(7);
  r.statement_name = q.text(8);
  r.query_string = q.text(9);
  r.is_batch = q.int64(10) != 0;
  r.query_parameters = q.text(11);
  r.created_ms = q.int64(12);
  r.updated_ms = q.int64(13);
  r.duration_ns = q.int64(14);
  r.error = q.text(15);
  r.has_result_set = q.int64(16) != 0;
  r.result_rows = q.int64(17);
  r.result_size = q.int64(18);
  r.redshift_pid = q.int64(19);
  r.sub_statements = q.text(20);
  r.execution_id = q.int64(21);
  r.task_seq = q.int64(22);
  r.client_token = q.text(23);
  return r;
}

// An upsert keyed by id: the row keeps its seq (its place in ListStatements) across updates.
void put_sql_statement_row(Connection& db, const SqlStatementRecord& r) {
  db.query(
        "INSERT INTO sql_statements (id, status, target, cluster_identifier, workgroup_name, "
        "secret_arn, database_name, db_user, statement_name, query_string, is_batch, "
        "query_parameters, created_ms, updated_ms, duration_ns, error, has_result_set, "
        "result_rows, result_size, redshift_pid, sub_statements, result, execution_id, "
        "task_seq, client_token) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET status = excluded.status, target = excluded.target, "
        "cluster_identifier = excluded.cluster_identifier, "
        "workgroup_name = excluded.workgroup_name, secret_arn = excluded.secret_arn, "
        "database_name = excluded.database_name, db_user = excluded.db_user, "
        "statement_name = excluded.statement_name, query_string = excluded.query_string, "
        "is_batch = excluded.is_batch, query_parameters = excluded.query_parameters, "
        "created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, "
        "duration_ns = excluded.duration_ns, error = excluded.error, "
        "has_result_set = excluded.has_result_set, result_rows = excluded.result_rows, "
        "result_size = excluded.result_size, redshift_pid = excluded.redshift_pid, "
        "sub_statements = excluded.sub_statements, result = excluded.result, "
        "execution_id = excluded.execution_id, task_seq = excluded.task_seq, "
        "client_token = excluded.client_token")
      .bind_all(r.id, r.status, r.target, r.cluster_identifier, r.workgroup_name, r.secret_arn,
                r.database, r.db_user, r.statement_name, r.query_string,
                static_cast<int64_t>(r.is_batch ? 1 : 0), r.query_parameters, r.created_ms,
                r.updated_ms, r.duration_ns, r.error,
                static_cast<int64_t>(r.has_result_set ? 1 : 0), r.result_rows, r.result_size,
                r.redshift_pid, r.sub_statements, r.result, r.execution_id, r.task_seq,
                r.client_token)
      .run();
}

// --- migrations

struct MigrationFile {
  int64_t version = 0;
  std::string name;
  std::string sql;
};

// The version of a migration file named NNNN_name.sql; nullopt for any other file (READMEs,
// editor backups), which migrate() ignores.
std::optional<int64_t> migration_version(const std::string& file_name) {
  const size_t underscore = file_name.find('_');
  const std::string_view suffix = ".sql";
  if (underscore == 0 || underscore == std::string::npos ||
      file_name.size() <= underscore + 1 + suffix.size() ||
      file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  int64_t version = 0;
  const char* end = file_name.data() + underscore;
  auto [ptr, ec] = std::from_chars(file_name.data(), end, version);
  if (ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return version;
}

// NNNN_name.sql files of the folder in version order. Read on the caller's thread so that a
// missing folder or unreadable file is reported before anything reaches the database.
std::vector<MigrationFile> read_migrations(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) {
    throw std::runtime_error("store: migrations folder not found: " + dir);
  }
  std::map<int64_t, MigrationFile> by_version;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const std::optional<int64_t> version = migration_version(name);
    if (!entry.is_regular_file() || !version) {
      continue;
    }
    MigrationFile file;
    file.version = *version;
    file.name = name;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
      throw std::runtime_error("store: cannot read migration " + entry.path().string());
    }
    file.sql = text.str();
    auto [it, inserted] = by_version.emplace(file.version, std::move(file));
    if (!inserted) {
      throw std::runtime_error("store: two migrations with version " + std::to_string(*version) +
                               " in " + dir);
    }
  }
  std::vector<MigrationFile> files;
  files.reserve(by_version.size());
  for (auto& [version, file] : by_version) {
    files.push_back(std::move(file));
  }
  return files;
}

int apply_migrations(Connection& db, const std::vector<MigrationFile>& files) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, applied_ms INTEGER NOT NULL)");
  std::set<int64_t> applied;
  {
    auto q = db.query("SELECT version FROM schema_migrations");
    while (q.step()) {
      applied.insert(q.int64(0));
    }
  }
  int count = 0;
  for (const MigrationFile& file : files) {
    if (applied.count(file.version) != 0) {
      continue;
    }
    try {
      db.exec("BEGIN IMMEDIATE");
      db.exec(file.sql);
      db.query("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)")
          .bind_all(file.version, file.name, now_ms())
          .run();
      db.exec("COMMIT");
    } catch (const std::exception& e) {
      if (db.in_transaction()) {
        db.exec("ROLLBACK");
      }
      throw std::runtime_error("store: migration " + file.name + " failed: " + e.what());
    }
    spdlog::info("store: applied migration {}", file.name);
    ++count;
  }
  const int64_t newest_file = files.empty() ? 0 : files.back().version;
  if (!applied.empty() && *applied.rbegin() > newest_file) {
    spdlog::warn("store: database has schema version {}, newer than any migration here ({})",
                 *applied.rbegin(), newest_file);
  }
  return count;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Work for the writer thread.

class SqliteStore::Job {
 public:
  explicit Job(bool exclusive) : exclusive_(exclusive) {}
  virtual ~Job() = default;
  bool exclusive() const { return exclusive_; }
  virtual bool is_write() const { return false; }
  // Runs on the writer thread, inside the job's savepoint unless exclusive.
  virtual void apply(Connection& db) = 0;
  // Called once, after the transaction holding apply() committed (error null) or failed.
  virtual void finish(std::exception_ptr error) noexcept = 0;

 private:
  const bool exclusive_;
};

class SqliteStore::ExecutionJob final : public Job {
 public:
  ExecutionJob(ExecutionWrite write, Done done)
      : Job(false), write_(std::move(write)), done_(std::move(done)) {}
  bool is_write() const override { return true; }
  void apply(Connection& db) override { outcome_ = apply_write(db, write_); }
  void finish(std::exception_ptr error) noexcept override {
    // The writer thread must survive whatever a caller's callback does.
    try {
      done_(error ? WriteOutcome{} : outcome_, std::move(error));
    } catch (const std::exception& e) {
      spdlog::error("store: a commit callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("store: a commit callback threw");
    }
  }

 private:
  ExecutionWrite write_;
  Done done_;
  WriteOutcome outcome_;
};

class SqliteStore::SqlStatementJob final : public Job {
 public:
  SqlStatementJob(SqlStatementRecord record, SqlStatementDone done)
      : Job(false), record_(std::move(record)), done_(std::move(done)) {}
  bool is_write() const override { return true; }
  void apply(Connection& db) override { put_sql_statement_row(db, record_); }
  void finish(std::exception_ptr error) noexcept override {
    try {
      done_(std::move(error));
    } catch (const std::exception& e) {
      spdlog::error("store: a statement write callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("store: a statement write callback threw");
    }
  }

 private:
  SqlStatementRecord record_;
  SqlStatementDone done_;
};

template <typename R>
class SqliteStore::CallJob final : public Job {
 public:
  // The caller blocks in Handoff::wait() until finish() fills it.
  using Handoff = store::Handoff<R>;

  CallJob(std::function<R(Connection&)> fn, bool exclusive, Handoff* handoff)
      : Job(exclusive), fn_(std::move(fn)), handoff_(handoff) {}
  void apply(Connection& db) override { result_ = fn_(db); }
  void finish(std::exception_ptr error) noexcept override {
    if (error) {
      result_.reset();
    }
    handoff_->fill(std::move(result_), std::move(error));
  }

 private:
  std::function<R(Connection&)> fn_;
  Handoff* handoff_;
  std::optional<R> result_;
};

// A read connection borrowed from the pool for one call.
class SqliteStore::ReadLease {
 public:
  ReadLease(SqliteStore& store, std::unique_ptr<Connection> db)
      : store_(store), db_(std::move(db)) {}
  ~ReadLease() {
    std::lock_guard lock(store_.readers_mutex_);
    if (static_cast<int>(store_.idle_readers_.size()) < store_.options_.max_idle_readers) {
      store_.idle_readers_.push_back(std::move(db_));
    }
  }
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;
  Connection& operator*() { return *db_; }

 private:
  SqliteStore& store_;
  std::unique_ptr<Connection> db_;
};

// ---------------------------------------------------------------------------------------------
// Lifecycle

SqliteStore::SqliteStore(std::string path, Options options)
    : path_(std::move(path)), options_(options) {
  if (options_.max_batch < 1) {
    throw std::invalid_argument("store: max_batch must be at least 1");
  }
  if (sqlite3_threadsafe() == 0) {
    throw std::runtime_error("store: SQLite was built without thread support");
  }
  writer_db_ = std::make_unique<Connection>(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                            options_.busy_timeout_ms);
  // WAL lets readers run beside the writer; it is a property of the file and persists.
  const std::string mode = writer_db_->pragma_text("PRAGMA journal_mode = WAL");
  if (mode != "wal") {
    throw std::runtime_error("store: " + path_ + " cannot use WAL (journal_mode is " + mode + ")");
  }
  // FULL: the WAL is synced at every commit, so an acknowledged write survives a power cut.
  writer_db_->exec(options_.synchronous_full ? "PRAGMA synchronous = FULL"
                                             : "PRAGMA synchronous = NORMAL");
  writer_db_->exec("PRAGMA foreign_keys = ON");
  // Every job of a batch runs in a SAVEPOINT; a page a job changes that an earlier job of the
  // batch already changed is first copied to the statement sub-journal, a temporary file by
  // default: that was ~10 % of stepd's CPU under start-to-finish load (pwrite from inside
  // sqlite3BtreeInsert). Sub-journals only matter until the batch commits; keep them in memory.
  writer_db_->exec("PRAGMA temp_store = MEMORY");
  // A batch of hundreds of executions dirties more than the default 2 MB page cache holds, and
  // a full cache spills dirty pages into the WAL before the commit.
  writer_db_->exec("PRAGMA cache_size = -16384");  // KiB: 16 MiB
  seed_execution_ids(*writer_db_);
  if (options_.metrics) {
    batch_size_metric_ =
        &options_.metrics
             ->histogram("stepd_store_commit_batch_size",
                         "Jobs (execution writes and control-plane calls) per group-commit "
                         "transaction of the store's writer.",
                         {}, metrics::size_buckets())
             .labels({});
    commit_seconds_metric_ =
        &options_.metrics
             ->histogram("stepd_store_commit_duration_seconds",
                         "Time of one group-commit transaction, BEGIN to durable COMMIT (fsync "
                         "included).",
                         {}, metrics::latency_buckets())
             .labels({});
  }
  writer_ = std::thread([this] { writer_loop(); });
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  writer_.join();  // the writer empties the queue before it returns
}

SqliteStore::Stats SqliteStore::stats() const {
  Stats s;
  s.writes = writes_.load();
  s.jobs = jobs_.load();
  s.transactions = transactions_.load();
  s.largest_batch = largest_batch_.load();
  std::lock_guard lock(queue_mutex_);
  s.queued = queue_.size();
  return s;
}

void SqliteStore::seed_execution_ids(Connection& db) {
  auto exists =
      db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'executions'");
  if (!exists.step()) {
    return;  // not migrated yet; migrate() seeds again
  }
  auto q = db.query("SELECT COALESCE(MAX(id), 0) FROM executions");
  q.step();
  const int64_t max_id = q.int64(0);
  int64_t current = last_execution_id_.load();
  while (current < max_id && !last_execution_id_.compare_exchange_weak(current, max_id)) {
  }
}

SqliteStore::ReadLease SqliteStore::reader() {
  {
    std::lock_guard lock(readers_mutex_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<Connection> db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReadLease(*this, std::move(db));
    }
  }
  // Opened outside the lock: opening touches the file system. Read-only, so a bug in a read
  // path can never write behind the writer's back.
  return ReadLease(
      *this, std::make_unique<Connection>(path_, SQLITE_OPEN_READONLY, options_.busy_timeout_ms));
}

// ---------------------------------------------------------------------------------------------
// The writer

void SqliteStore::enqueue(std::unique_ptr<Job> job) {
  {
    std::lock_guard lock(queue_mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(job));
      queue_cv_.notify_one();
      return;
    }
  }
  job->finish(std::make_exception_ptr(std::runtime_error("store: closed")));
}

template <typename R, typename Fn>
R SqliteStore::run_on_writer(Fn fn, bool exclusive) {
  if (std::this_thread::get_id() == writer_.get_id()) {
    // From a done() callback this would wait for a batch that cannot start until it returns.
    throw std::logic_error("store: blocking store call from the writer thread");
  }
  typename CallJob<R>::Handoff handoff;
  enqueue(std::make_unique<CallJob<R>>(std::move(fn), exclusive, &handoff));
  return handoff.wait();
}

void SqliteStore::writer_loop() {
  std::vector<std::unique_ptr<Job>> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, and everything queued before has been committed
      }
      // Group commit: no waiting for company. Whatever queued up while the previous batch was
      // syncing forms the next batch, so batches grow exactly when commits are contended.
      if (queue_.front()->exclusive()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } else {
        while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch &&
               !queue_.front()->exclusive()) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
    }
    if (batch.front()->exclusive()) {
      run_exclusive(*batch.front());
    } else {
      run_batch(batch);
    }
    batch.clear();
  }
}

void SqliteStore::run_exclusive(Job& job) {
  std::exception_ptr error;
  try {
    job.apply(*writer_db_);
  } catch (...) {
    error = std::current_exception();
  }
  if (writer_db_->in_transaction()) {
    // The job should have closed its transaction; never let one leak into the next batch.
    try {
      writer_db_->exec("ROLLBACK");
    } catch (const std::exception& e) {
      spdlog::error("store: rollback after a failed job: {}", e.what());
    }
  }
  jobs_.fetch_add(1);
  job.finish(std::move(error));
}

void SqliteStore::run_batch(std::vector<std::unique_ptr<Job>>& batch) {
  Connection& db = *writer_db_;
  const auto batch_started = std::chrono::steady_clock::now();
  std::vector<std::exception_ptr> errors(batch.size());
  std::vector<size_t> applied;  // jobs whose changes are in the open transaction
  applied.reserve(batch.size());

  auto begin = [&db]() -> std::exception_ptr {
    try {
      // IMMEDIATE takes the write lock now, so a lock held by another process is waited for
      // (busy_timeout) here rather than discovered halfway through the batch.
      db.query("BEGIN IMMEDIATE").run();
      return nullptr;
    } catch (...) {
      return std::current_exception();
    }
  };
  auto lose_applied = [&](const std::exception_ptr& cause) {
    for (size_t j : applied) {
      errors[j] = cause;
    }
    applied.clear();
  };

  std::exception_ptr transaction_error = begin();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (transaction_error) {
      errors[i] = transaction_error;
      continue;
    }
    try {
      db.query("SAVEPOINT job").run();
      batch[i]->apply(db);
      db.query("RELEASE job").run();
      applied.push_back(i);
      continue;
    } catch (...) {
      errors[i] = std::current_exception();
    }
    // This job failed: undo it alone and carry on with the others.
    if (db.in_transaction()) {
      try {
        db.query("ROLLBACK TO job").run();
        db.query("RELEASE job").run();
        continue;
      } catch (const std::exception& e) {
        spdlog::error("store: rollback to savepoint failed: {}", e.what());
      }
      try {
        db.query("ROLLBACK").run();
      } catch (const std::exception& e) {
        spdlog::error("store: rollback failed: {}", e.what());
      }
    }
    // Some errors (disk full, I/O) make SQLite roll back the whole transaction, taking the jobs
    // applied before this one with it. They fail with the same cause; the rest of the batch
    // gets a fresh transaction.
    lose_applied(errors[i]);
    transaction_error = begin();
  }

  if (db.in_transaction()) {
    transactions_.fetch_add(1);
    try {
      db.query("COMMIT").run();
    } catch (...) {
      lose_applied(std::current_exception());
      try {
        if (db.in_transaction()) {
          db.query("ROLLBACK").run();
        }
      } catch (const std::exception& e) {
        spdlog::error("store: rollback after a failed commit: {}", e.what());
      }
    }
  }

  if (batch_size_metric_) {
    batch_size_metric_->observe(static_cast<double>(batch.size()));
    commit_seconds_metric_->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - batch_started).count());
  }

  uint64_t writes = 0;
  for (const auto& job : batch) {
    writes += job->is_write() ? 1 : 0;
  }
  writes_.fetch_add(writes);
  jobs_.fetch_add(batch.size());
  uint64_t largest = largest_batch_.load();
  while (largest < batch.size() && !largest_batch_.compare_exchange_weak(largest, batch.size())) {
  }

  // Only now, with the batch durable (or failed), are callers told. Errors are moved out so
  // that the writer keeps no reference to an exception its caller is handling.
  transaction_error = nullptr;
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i]->finish(std::move(errors[i]));
  }
}

void SqliteStore::commit_async(ExecutionWrite write, Done done) {
  enqueue(std::make_unique<ExecutionJob>(std::move(write), std::move(done)));
}

// ---------------------------------------------------------------------------------------------
// Lifecycle and metadata

void SqliteStore::migrate(const std::string& migrations_dir) {
  std::vector<MigrationFile> files = read_migrations(migrations_dir);
  // Exclusive: each migration runs in its own transaction, never inside a batch.
  run_on_writer<int>(
      [this, files = std::move(files)](Connection& db) {
        int count = apply_migrations(db, files);
        seed_execution_ids(db);
        return count;
      },
      /*exclusive=*/true);
}

std::optional<std::string> SqliteStore::get_meta(const std::string& key) {
  ReadLease db = reader();
  auto q = (*db).query("SELECT value FROM meta WHERE key = ?");
  q.bind_all(key);
  if (!q.step()) {
    return std::nullopt;
  }
  return q.text(0);
}

std::string SqliteStore::put_meta_if_absent(const std::string& key, const std::string& value) {
  return run_on_writer<std::string>([key, value](Connection& db) {
    db.query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
        .bind_all(key, value)
        .run();
    auto q = db.query("SELECT value FROM meta WHERE key = ?");
    q.bind_all(key);
    q.step();
    return q.text(0);
  });
}

// ---------------------------------------------------------------------------------------------
// State machines

CreateOutcome SqliteStore::create_state_machine(const StateMachineRecord& sm) {
  require_revision_id(sm);
  return run_on_writer<CreateOutcome>([sm](Connection& db) {
    db.query(
          "INSERT INTO state_machines (arn, name, type, status, revision_id, role_arn, "
          "description, logging_configuration, tracing_configuration, creation_ms, update_ms) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO NOTHING")
        .bind_all(sm.arn, sm.name, sm.type, sm.status, sm.revision_id, sm.role_arn, sm.description,
                  sm.logging_configuration, sm.tracing_configuration, sm.creation_ms, sm.update_ms)
        .run();
    if (db.changes() == 0) {
      return CreateOutcome::kAlreadyExists;
    }
    insert_revision(db, sm, sm.creation_ms);
    return CreateOutcome::kCreated;
  });
}

std::optional<StateMachineRecord> SqliteStore::get_state_machine(const std::string& arn) {
  static const std::string sql = std::string(kStateMachineSelect) + "WHERE sm.arn = ?";
  ReadLease db = reader();
  auto q = (*db).query(sql);
  q.bind_all(arn);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_state_machine(q);
}

bool SqliteStore::update_state_machine(const StateMachineRecord& sm) {
  require_revision_id(sm);
  return run_on_writer<bool>([sm](Connection& db) {
    db.query(
          "UPDATE state_machines SET name = ?, type = ?, status = ?, revision_id = ?, "
          "role_arn = ?, description = ?, logging_configuration = ?, "
          "tracing_configuration = ?, creation_ms = ?, update_ms = ? WHERE arn = ?")
        .bind_all(sm.name, sm.type, sm.status, sm.revision_id, sm.role_arn, sm.description,
                  sm.logging_configuration, sm.tracing_configuration, sm.creation_ms, sm.update_ms,
                  sm.arn)
        .run();
    if (db.changes() == 0) {
      return false;
    }
    insert_revision(db, sm, sm.update_ms != 0 ? sm.update_ms : sm.creation_ms);
    return true;
  });
}

bool SqliteStore::delete_state_machine(const std::string& arn) {
  // Revisions stay: running executions of the machine still need their definition.
  return run_on_writer<bool>([arn](Connection& db) {
    db.query("DELETE FROM state_machines WHERE arn = ?").bind_all(arn).run();
    return db.changes() != 0;
  });
}

std::vector<StateMachineRecord> SqliteStore::list_state_machines(const Page& page,
                                                                 std::string* next) {
  static const std::string sql =
      std::string(kStateMachineSelect) + "WHERE sm.arn > ? ORDER BY sm.arn LIMIT ?";
  const int limit = page_size(page);
  ReadLease db = reader();
  auto q = (*db).query(sql);
  q.bind_all(page.after, limit + 1);
  return read_page<StateMachineRecord>(q, limit, next, read_state_machine,
                                       [](const StateMachineRecord& sm) { return sm.arn; });
}

std::optional<DefinitionRevision> SqliteStore::get_revision(const std::string& revision_id) {
  ReadLease db = reader();
  auto q = (*db).query(
      "SELECT revision_id, state_machine_arn, definition, role_arn, created_ms "
      "FROM definition_revisions WHERE revision_id = ?");
  q.bind_all(revision_id);
  if (!q.step()) {
    return std::nullopt;
  }
  return DefinitionRevision{q.text(0), q.text(1), q.text(2), q.text(3), q.int64(4)};
}

// ---------------------------------------------------------------------------------------------
// Activities

CreateOutcome SqliteStore::create_activity(const ActivityRecord& a) {
  return run_on_writer<CreateOutcome>([a](Connection& db) {
    db.query(
          "INSERT INTO activities (arn, name, creation_ms) VALUES (?, ?, ?) "
          "ON CONFLICT (arn) DO NOTHING")
        .bind_all(a.arn, a.name, a.creation_ms)
        .run();
    return db.changes() != 0 ? CreateOutcome::kCreated : CreateOutcome::kAlreadyExists;
  });
}

std::optional<ActivityRecord> SqliteStore::get_activity(const std::string& arn) {
  ReadLease db = reader();
  auto q = (*db).query("SELECT arn, name, creation_ms FROM activities WHERE arn = ?");
  q.bind_all(arn);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_activity(q);
}

bool SqliteStore::delete_activity(const std::string& arn) {
  return run_on_writer<bool>([arn](Connection& db) {
    db.query("DELETE FROM activities WHERE arn = ?").bind_all(arn).run();
    const bool existed = db.changes() != 0;
    db.query("DELETE FROM activity_tasks WHERE activity_arn = ?").bind_all(arn).run();
    return existed;
  });
}

std::vector<ActivityRecord> SqliteStore::list_activities(const Page& page, std::string* next) {
  const int limit = page_size(page);
  ReadLease db = reader();
  auto q = (*db).query(
      "SELECT arn, name, creation_ms FROM activities WHERE arn > ? ORDER BY arn LIMIT ?");
  q.bind_all(page.after, limit + 1);
  return read_page<ActivityRecord>(q, limit, next, read_activity,
                                   [](const ActivityRecord& a) { return a.arn; });
}

std::optional<ActivityTaskRecord> SqliteStore::next_activity_task(const std::string& activity_arn,
                                                                  int64_t after_id) {
  ReadLease db = reader();
  auto q = (*db).query(
      "SELECT id, activity_arn, execution_id, task_seq, token, input, created_ms "
      "FROM activity_tasks WHERE activity_arn = ? AND id > ? ORDER BY id LIMIT 1");
  q.bind_all(activity_arn, after_id);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_activity_task(q);
}

int64_t SqliteStore::count_activity_tasks(const std::string& activity_arn) {
  ReadLease db = reader();
  auto q = (*db).query("SELECT COUNT(*) FROM activity_tasks WHERE activity_arn = ?");
  q.bind_all(activity_arn);
  q.step();
  return q.int64(0);
}

std::vector<std::pair<std::string, int64_t>> SqliteStore::count_activity_tasks_by_activity() {
  std::vector<std::pair<std::string, int64_t>> out;
  ReadLease db = reader();
  // Walks activity_tasks_by_activity; the table holds queued tasks only, so it stays small.
  auto q = (*db).query(
      "SELECT activity_arn, COUNT(*) FROM activity_tasks GROUP BY activity_arn ORDER BY 1");
  while (q.step()) {
    out.emplace_back(q.text(0), q.int64(1));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Executions

int64_t SqliteStore::count_running_executions() {
  ReadLease db = reader();
  // Counted over the partial index executions_running, not the whole table.
  auto q = (*db).query("SELECT COUNT(*) FROM executions WHERE status = 'RUNNING'");
  q.step();
  return q.int64(0);
}

int64_t SqliteStore::count_callback_tasks() {
  ReadLease db = reader();
  // Over the partial index executions_waiting_callbacks: only executions that wait for one.
  auto q = (*db).query(
      "SELECT COALESCE(SUM(callback_tasks), 0) FROM executions WHERE callback_tasks > 0");
  q.step();
  return q.int64(0);
}

int64_t SqliteStore::allocate_execution_id() {
  // One process owns the file, so a counter seeded from MAX(id) cannot collide.
  return last_execution_id_.fetch_add(1) + 1;
}

std::optional<ExecutionRecord> SqliteStore::get_execution(const std::string& arn) {
  static const std::string sql =
      std::string("SELECT ") + kExecutionColumns + " FROM executions WHERE arn = ?";
  ReadLease db = reader();
  auto q = (*db).query(sql);
  q.bind_all(arn);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_execution(q);
}

std::optional<ExecutionRecord> SqliteStore::get_execution_by_id(int64_t id) {
  ReadLease db = reader();
  return execution_by_id(*db, id);
}

std::vector<ExecutionRecord> SqliteStore::list_executions(const ExecutionFilter& filter,
                                                          const Page& page, std::string* next) {
  // Several shapes of one query, so that each can use the index made for it.
  std::string sql = std::string("SELECT ") + kExecutionColumns + " FROM executions WHERE id < ?";
  if (!filter.state_machine_arn.empty()) {
    sql += " AND state_machine_arn = ?";
  }
  if (!filter.status.empty()) {
    sql += " AND status = ?";
  }
  // Spelled as in the partial index executions_redriven, so that REDRIVEN can use it.
  if (filter.redrive == "REDRIVEN") {
    sql += " AND redrive_count > 0";
  } else if (filter.redrive == "NOT_REDRIVEN") {
    sql += " AND redrive_count = 0";
  } else if (!filter.redrive.empty()) {
    throw std::logic_error("store: unknown redrive filter " + filter.redrive);
  }
  sql += " ORDER BY id DESC LIMIT ?";

  const int limit = page_size(page);
  const int64_t before = parse_id_cursor(page.after, std::numeric_limits<int64_t>::max());
  ReadLease db = reader();
  auto q = (*db).query(sql);
  int index = 0;
  q.bind(++index, before);
  if (!filter.state_machine_arn.empty()) {
    q.bind(++index, filter.state_machine_arn);
  }
  if (!filter.status.empty()) {
    q.bind(++index, filter.status);
  }
  q.bind(++index, limit + 1);
  return read_page<ExecutionRecord>(q, limit, next, read_execution,
                                    [](const ExecutionRecord& e) { return std::to_string(e.id); });
}

std::vector<HistoryEventRecord> SqliteStore::get_history(int64_t execution_id, const Page& page,
                                                         bool reverse, std::string* next) {
  const int limit = page_size(page);
  ReadLease db = reader();
  auto q = (*db).query(
      reverse ? "SELECT event_id, previous_id, timestamp_ms, type, details FROM history "
                "WHERE execution_id = ? AND event_id < ? ORDER BY event_id DESC LIMIT ?"
              : "SELECT event_id, previous_id, timestamp_ms, type, details FROM history "
                "WHERE execution_id = ? AND event_id > ? ORDER BY event_id LIMIT ?");
  const int64_t bound = parse_id_cursor(page.after, reverse ? std::numeric_limits<int64_t>::max()
                                                            : std::numeric_limits<int64_t>::min());
  q.bind_all(execution_id, bound, limit + 1);
  return read_page<HistoryEventRecord>(
      q, limit, next,
      [](const Query& r) {
        return HistoryEventRecord{r.int64(0), r.int64(1), r.int64(2), r.text(3), r.text(4)};
      },
      [](const HistoryEventRecord& ev) { return std::to_string(ev.id); });
}

std::optional<std::string> SqliteStore::get_data(int64_t execution_id, const std::string& key) {
  ReadLease db = reader();
  auto q = (*db).query("SELECT value FROM execution_data WHERE execution_id = ? AND key = ?");
  q.bind_all(execution_id, key);
  if (!q.step()) {
    return std::nullopt;
  }
  return q.text(0);
}

std::vector<std::pair<std::string, std::string>> SqliteStore::scan_data(int64_t execution_id,
                                                                        const std::string& prefix) {
  const std::optional<std::string> end = prefix_successor(prefix);
  ReadLease db = reader();
  auto q = (*db).query(end ? "SELECT key, value FROM execution_data WHERE execution_id = ? "
                             "AND key >= ? AND key < ? ORDER BY key"
                           : "SELECT key, value FROM execution_data WHERE execution_id = ? "
                             "AND key >= ? ORDER BY key");
  q.bind_all(execution_id, prefix);
  if (end) {
    q.bind(3, *end);
  }
  std::vector<std::pair<std::string, std::string>> rows;
  while (q.step()) {
    rows.emplace_back(q.text(0), q.text(1));
  }
  return rows;
}

std::vector<int64_t> SqliteStore::running_execution_ids(int64_t after_id, int limit) {
  std::vector<int64_t> ids;
  if (limit <= 0) {
    return ids;  // SQLite would read a negative LIMIT as "no limit"
  }
  ReadLease db = reader();
  auto q = (*db).query(
      "SELECT id FROM executions WHERE status = 'RUNNING' AND id > ? ORDER BY id LIMIT ?");
  q.bind_all(after_id, limit);
  while (q.step()) {
    ids.push_back(q.int64(0));
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Statements of the Redshift Data API emulation

void SqliteStore::put_sql_statement_async(SqlStatementRecord record, SqlStatementDone done) {
  enqueue(std::make_unique<SqlStatementJob>(std::move(record), std::move(done)));
}

std::optional<SqlStatementRecord> SqliteStore::get_sql_statement(const std::string& id) {
  static const std::string sql =
      std::string("SELECT ") + kSqlStatementColumns + " FROM sql_statements WHERE id = ?";
  ReadLease db = reader();
  auto q = (*db).query(sql);
  q.bind_all(id);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_sql_statement(q);
}

void SqliteStore::wait_for_writes() {
  // Exclusive: a batch of its own, so every earlier batch has committed and run its callbacks.
  run_on_writer<int>([](Connection&) { return 0; }, true);
}

std::optional<SqlStatementRecord> SqliteStore::find_sql_statement_by_owner(int64_t execution_id,
                                                                           int64_t task_seq) {
  static const std::string sql = std::string("SELECT ") + kSqlStatementColumns +
                                 " FROM sql_statements WHERE execution_id = ? AND task_seq = ? "
                                 "AND execution_id <> 0 ORDER BY seq DESC LIMIT 1";
  ReadLease db = reader();
  auto q = (*db).query(sql);
  q.bind_all(execution_id, task_seq);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_sql_statement(q);
}

std::optional<std::string> SqliteStore::get_sql_statement_result(const std::string& id) {
  ReadLease db = reader();
  auto q = (*db).query("SELECT result FROM sql_statements WHERE id = ?");
  q.bind_all(id);
  if (!q.step()) {
    return std::nullopt;
  }
  return q.text(0);
}

std::vector<SqlStatementRecord> SqliteStore::list_sql_statements(const SqlStatementFilter& filter,
                                                                 const Page& page,
                                                                 std::string* next) {
  std::string sql =
      std::string("SELECT ") + kSqlStatementColumns + " FROM sql_statements WHERE seq < ?";
  std::vector<std::string> values;
  auto equal = [&](const char* column, const std::string& value) {
    if (!value.empty()) {
      sql += std::string(" AND ") + column + " = ?";
      values.push_back(value);
    }
  };
  equal("status", filter.status == "ALL" ? std::string() : filter.status);
  equal("target", filter.target);
  equal("cluster_identifier", filter.cluster_identifier);
  equal("workgroup_name", filter.workgroup_name);
  equal("database_name", filter.database);
  // A byte-wise prefix test: LIKE would treat % and _ in names as wildcards.
  if (!filter.statement_name_prefix.empty()) {
    sql += " AND substr(statement_name, 1, ?) = ?";
  }
  sql += " ORDER BY seq DESC LIMIT ?";

  const int limit = page_size(page);
  const int64_t before = parse_id_cursor(page.after, std::numeric_limits<int64_t>::max());
  ReadLease db = reader();
  auto q = (*db).query(sql);
  int index = 0;
  q.bind(++index, before);
  for (const std::string& value : values) {
    q.bind(++index, value);
  }
  if (!filter.statement_name_prefix.empty()) {
    q.bind(++index, static_cast<int64_t>(filter.statement_name_prefix.size()));
    q.bind(++index, filter.statement_name_prefix);
  }
  q.bind(++index, limit + 1);
  std::vector<SqlStatementRecord> rows;
  int64_t last_seq = 0;
  bool more = false;
  while (q.step()) {
    if (static_cast<int>(rows.size()) == limit) {
      more = true;
      break;
    }
    rows.push_back(read_sql_statement(q));
    last_seq = q.int64(24);
  }
  if (next != nullptr) {
    *next = more ? std::to_string(last_seq) : std::string();
  }
  return rows;
}

std::vector<SqlStatementRecord> SqliteStore::unfinished_sql_statements() {
  static const std::string sql = std::string("SELECT ") + kSqlStatementColumns +
                                 " FROM sql_statements WHERE status = 'SUBMITTED' OR status = "
                                 "'PICKED' OR status = 'STARTED' ORDER BY seq";  // as the index
  ReadLease db = reader();
  auto q = (*db).query(sql);
  std::vector<SqlStatementRecord> rows;
  while (q.step()) {
    rows.push_back(read_sql_statement(q));
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Access keys

namespace {

constexpr const char* kAccessKeySelect =
    "SELECT access_key_id, role, secret_ciphertext, created_ms, revoked_ms FROM access_keys ";

AccessKeyRecord read_access_key(const Query& q) {
  return AccessKeyRecord{q.text(0), q.text(1), q.text(2), q.int64(3), q.int64(4)};
}

}  // namespace

bool SqliteStore::create_access_key(const AccessKeyRecord& key) {
  return run_on_writer<bool>([key](Connection& db) {
    db.query(
          "INSERT INTO access_keys (access_key_id, role, secret_ciphertext, created_ms, "
          "revoked_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (access_key_id) DO NOTHING")
        .bind_all(key.access_key_id, key.role, key.secret_ciphertext, key.created_ms,
                  key.revoked_ms)
        .run();
    return db.changes() == 1;
  });
}

std::optional<AccessKeyRecord> SqliteStore::get_access_key(const std::string& access_key_id) {
  static const std::string sql = std::string(kAccessKeySelect) + "WHERE access_key_id = ?";
  ReadLease db = reader();
  auto q = (*db).query(sql);
  q.bind_all(access_key_id);
  if (!q.step()) {
    return std::nullopt;
  }
  return read_access_key(q);
}

std::vector<AccessKeyRecord> SqliteStore::list_access_keys() {
  static const std::string sql =
      std::string(kAccessKeySelect) + "ORDER BY created_ms, access_key_id";
  std::vector<AccessKeyRecord> keys;
  ReadLease db = reader();
  auto q = (*db).query(sql);
  while (q.step()) {
    keys.push_back(read_access_key(q));
  }
  return keys;
}

bool SqliteStore::revoke_access_key(const std::string& access_key_id, int64_t revoked_ms) {
  return run_on_writer<bool>([access_key_id, revoked_ms](Connection& db) {
    db.query("UPDATE access_keys SET revoked_ms = ? WHERE access_key_id = ? AND revoked_ms = 0")
        .bind_all(revoked_ms, access_key_id)
        .run();
    if (db.changes() == 1) {
      return true;
    }
    auto q = db.query("SELECT 1 FROM access_keys WHERE access_key_id = ?");
    q.bind_all(access_key_id);
    return q.step();
  });
}

int64_t SqliteStore::count_access_keys() {
  ReadLease db = reader();
  auto q = (*db).query("SELECT count(*) FROM access_keys");
  q.step();
  return q.int64(0);
}

// ---------------------------------------------------------------------------------------------
// Timers and outbox

std::vector<TimerRecord> SqliteStore::timers_due_before(int64_t due_ms, int limit) {
  std::vector<TimerRecord> timers;
  if (limit <= 0) {
    return timers;
  }
  ReadLease db = reader();
  auto q = (*db).query(
      "SELECT execution_id, tag, due_ms FROM timers WHERE due_ms < ? "
      "ORDER BY due_ms, execution_id, tag LIMIT ?");
  q.bind_all(due_ms, limit);
  while (q.step()) {
    timers.push_back(TimerRecord{q.int64(0), q.text(1), q.int64(2)});
  }
  return timers;
}

std::vector<OutboxRecord> SqliteStore::pending_outbox(int limit) {
  std::vector<OutboxRecord> rows;
  if (limit <= 0) {
    return rows;
  }
  ReadLease db = reader();
  auto q = (*db).query(
      "SELECT execution_id, key, kind, payload, created_ms FROM outbox ORDER BY id LIMIT ?");
  q.bind_all(limit);
  while (q.step()) {
    rows.push_back(OutboxRecord{q.int64(0), q.text(1), q.text(2), q.text(3), q.int64(4)});
  }
  return rows;
}

}  // namespace stepd::store
