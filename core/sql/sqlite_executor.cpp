#include "core/sql/sqlite_executor.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <cctype>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "core/sql/sql_target.h"

namespace stepd::sql {

namespace {

// How many SQLite VM instructions run between two looks at the deadline and the cancel flag:
// often enough to stop a runaway query within a millisecond or so, rarely enough to cost nothing.
constexpr int kProgressSteps = 1000;

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The first keyword of a statement, upper-cased, past whitespace and comments. Only used to tell
// DML (whose row count is sqlite3_changes) from DDL and the rest (no count, -1 as Redshift says).
std::string first_keyword(const char* sql) {
  const char* p = sql;
  for (;;) {
    while (*p != '\0' && std::isspace(static_cast<unsigned char>(*p))) ++p;
    if (p[0] == '-' && p[1] == '-') {
      while (*p != '\0' && *p != '\n') ++p;
    } else if (p[0] == '/' && p[1] == '*') {
      p += 2;
      while (*p != '\0' && !(p[0] == '*' && p[1] == '/')) ++p;
      if (*p != '\0') p += 2;
    } else {
      break;
    }
  }
  std::string word;
  while (*p != '\0' && std::isalpha(static_cast<unsigned char>(*p))) {
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(*p))));
    ++p;
  }
  return word;
}

bool is_blank(const char* p) {
  // A tail of nothing but whitespace, comments and semicolons prepares to no statement; that is
  // checked by preparing it, so only the cheap whitespace test is done here.
  while (*p != '\0' && std::isspace(static_cast<unsigned char>(*p))) ++p;
  return *p == '\0';
}

const char* storage_class_name(int type) {
  switch (type) {
    case SQLITE_INTEGER:
      return "integer";
    case SQLITE_FLOAT:
      return "real";
    case SQLITE_TEXT:
      return "text";
    case SQLITE_BLOB:
      return "blob";
    default:
      return "null";
  }
}

Json field_of(sqlite3_stmt* stmt, int column) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER:
      return Json{{"longValue", static_cast<int64_t>(sqlite3_column_int64(stmt, column))}};
    case SQLITE_FLOAT:
      return Json{{"doubleValue", sqlite3_column_double(stmt, column)}};
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
      return Json{{"stringValue", std::string(text, sqlite3_column_bytes(stmt, column))}};
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, column));
      const int size = sqlite3_column_bytes(stmt, column);
      return Json{{"blobValue", base64_encode(std::string_view(data, size))}};
    }
    default:
      return Json{{"isNull", true}};
  }
}

// Column metadata in the Data API's shape. SQLite knows little about a result column beyond
// its name and declared type, so the rest are neutral values (nullable 2 = unknown, as in JDBC).
Json column_metadata_of(sqlite3_stmt* stmt, bool have_row) {
  Json columns = Json::array();
  const int count = sqlite3_column_count(stmt);
  for (int i = 0; i < count; ++i) {
    const char* name = sqlite3_column_name(stmt, i);
    const char* decl = sqlite3_column_decltype(stmt, i);
    const int type = have_row ? sqlite3_column_type(stmt, i) : SQLITE_NULL;
    std::string type_name = decl != nullptr ? lower(decl) : storage_class_name(type);
    const bool numeric = type == SQLITE_INTEGER || type == SQLITE_FLOAT;
    columns.push_back(Json{{"isCaseSensitive", type == SQLITE_TEXT},
                           {"isCurrency", false},
                           {"isSigned", numeric},
                           {"label", name != nullptr ? name : ""},
                           {"length", 0},
                           {"name", name != nullptr ? name : ""},
                           {"nullable", 2},
                           {"precision", 0},
                           {"scale", 0},
                           {"schemaName", ""},
                           {"tableName", ""},
                           {"typeName", type_name}});
  }
  return columns;
}

struct StepError {
  int rc = SQLITE_OK;
  std::string message;
};

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

SqliteExecutor::SqliteExecutor(const SqlTargetConfig& target)
    : SqliteExecutor(Options{target.path, 100, target.statement_timeout_ms, 5000}) {}

SqliteExecutor::SqliteExecutor(Options options) : options_(std::move(options)) {
  const int rc =
      sqlite3_open_v2(options_.path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("sqlite target " + options_.path + ": " + message);
  }
  sqlite3_busy_timeout(db_, options_.busy_timeout_ms);
  sqlite3_exec(db_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
  sqlite3_progress_handler(db_, kProgressSteps, &SqliteExecutor::on_progress, this);
  notifier_ = std::thread([this] { notifier_loop(); });
  worker_ = std::thread([this] { worker_loop(); });
}

SqliteExecutor::~SqliteExecutor() {
  shutdown();
  sqlite3_close(db_);
}

uint64_t SqliteExecutor::submit(SqlRequest request, Done done) {
  std::unique_lock lock(mutex_);
  const uint64_t handle = next_handle_++;
  if (notifier_exited_) {
    // After shutdown() no thread of ours is left to answer: this is the one case where done
    // runs inside submit().
    lock.unlock();
    SqlOutcome outcome;
    outcome.status = SqlOutcome::Status::kAborted;
    outcome.message = "the SQL target is shut down";
    aborted_.fetch_add(1);
    finish(done, std::move(outcome));
    return handle;
  }
  if (stopping_ || queue_.size() >= options_.max_queue) {
    SqlOutcome outcome;
    if (stopping_) {
      outcome.status = SqlOutcome::Status::kAborted;
      outcome.message = "the SQL target is shutting down";
    } else {
      outcome.status = SqlOutcome::Status::kFailed;
      outcome.error_code = "ActiveStatementsExceededException";
      outcome.message = "too many statements are waiting for SQL target " + options_.path +
                        " (at most " + std::to_string(options_.max_queue) + ")";
    }
    notify_locked(std::move(done), std::move(outcome));
    return handle;
  }
  queue_.push_back(Item{handle, std::move(request), std::move(done)});
  cv_.notify_one();
  return handle;
}

void SqliteExecutor::notify_locked(Done done, SqlOutcome outcome) {
  if (outcome.status == SqlOutcome::Status::kAborted) {
    aborted_.fetch_add(1);
  } else {
    failed_.fetch_add(1);
  }
  notices_.push_back(Notice{std::move(done), std::move(outcome)});
  notice_cv_.notify_one();
}

void SqliteExecutor::cancel(uint64_t handle) {
  std::lock_guard lock(mutex_);
  if (handle == running_handle_ && handle != 0) {
    cancel_running_.store(true);
    return;
  }
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->handle == handle) {
      SqlOutcome outcome;
      outcome.status = SqlOutcome::Status::kAborted;
      outcome.message = "the statement was cancelled before it started";
      notify_locked(std::move(it->done), std::move(outcome));
      queue_.erase(it);
      return;
    }
  }
}

SqlExecutor::Stats SqliteExecutor::stats() const {
  Stats s;
  std::lock_guard lock(mutex_);
  s.busy = running_handle_ != 0 ? 1 : 0;
  s.idle = stopped_ ? 0 : 1 - s.busy;
  s.queued = static_cast<int>(queue_.size());
  s.finished = finished_.load();
  s.failed = failed_.load();
  s.aborted = aborted_.load();
  return s;
}

void SqliteExecutor::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      while (!queue_.empty()) {
        SqlOutcome outcome;
        outcome.status = SqlOutcome::Status::kAborted;
        outcome.message = "the SQL target shut down before the statement started";
        notify_locked(std::move(queue_.front().done), std::move(outcome));
        queue_.pop_front();
      }
      if (running_handle_ != 0) cancel_running_.store(true);
    }
  }
  cv_.notify_all();
  notice_cv_.notify_all();
  std::lock_guard join_lock(join_mutex_);
  for (std::thread* t : {&worker_, &notifier_}) {
    if (t->joinable() && t->get_id() != std::this_thread::get_id()) t->join();
  }
}

void SqliteExecutor::notifier_loop() {
  for (;;) {
    Notice notice;
    {
      std::unique_lock lock(mutex_);
      // Stops only after the worker did, so that nothing handed over late is left unanswered.
      notice_cv_.wait(lock, [this] { return stopped_ || !notices_.empty(); });
      if (notices_.empty()) {
        notifier_exited_ = true;
        return;
      }
      notice = std::move(notices_.front());
      notices_.pop_front();
    }
    finish(notice.done, std::move(notice.outcome));
  }
}

int SqliteExecutor::on_progress(void* self) {
  auto* executor = static_cast<SqliteExecutor*>(self);
  if (executor->cancel_running_.load()) {
    return 1;
  }
  if (executor->deadline_armed_.load() && steady_ns() >= executor->deadline_ns_.load()) {
    executor->timed_out_.store(true);
    return 1;
  }
  return 0;
}

void SqliteExecutor::finish(Done& done, SqlOutcome outcome) {
  // The threads must outlive whatever a caller's callback does.
  try {
    done(std::move(outcome));
  } catch (const std::exception& e) {
    spdlog::error("sqlite target {}: a statement callback threw: {}", options_.path, e.what());
  } catch (...) {
    spdlog::error("sqlite target {}: a statement callback threw", options_.path);
  }
}

void SqliteExecutor::worker_loop() {
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        stopped_ = true;
        notice_cv_.notify_all();
        return;
      }
      item = std::move(queue_.front());
      queue_.pop_front();
      running_handle_ = item.handle;
      cancel_running_.store(false);
    }
    SqlOutcome outcome = run(item.request);
    {
      std::lock_guard lock(mutex_);
      running_handle_ = 0;
      cancel_running_.store(false);
    }
    switch (outcome.status) {
      case SqlOutcome::Status::kFinished:
        finished_.fetch_add(1);
        break;
      case SqlOutcome::Status::kFailed:
        failed_.fetch_add(1);
        break;
      case SqlOutcome::Status::kAborted:
        aborted_.fetch_add(1);
        break;
    }
    finish(item.done, std::move(outcome));
  }
}

SqlOutcome SqliteExecutor::run(const SqlRequest& request) {
  SqlOutcome outcome;
  const long long timeout_ms =
      request.timeout_ms > 0 ? request.timeout_ms : options_.statement_timeout_ms;
  timed_out_.store(false);

  // Runs one piece of SQL that returns nothing we keep (BEGIN, COMMIT, ROLLBACK).
  auto control = [this](const char* sql) -> StepError {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
    StepError e{rc, error != nullptr ? error : ""};
    sqlite3_free(error);
    return e;
  };
  // After a failure: undo the transaction with neither the deadline nor a cancel in the way.
  auto rollback = [&] {
    deadline_armed_.store(false);
    const bool was_cancelled = cancel_running_.exchange(false);
    if (sqlite3_get_autocommit(db_) == 0) {
      control("ROLLBACK");
    }
    if (was_cancelled) cancel_running_.store(true);
  };

  if (request.transaction) {
    StepError e = control("BEGIN");
    if (e.rc != SQLITE_OK) {
      outcome.status = SqlOutcome::Status::kFailed;
      outcome.error_code = "ExecuteStatementException";
      outcome.message = e.message;
      return outcome;
    }
  }

  for (size_t index = 0; index < request.statements.size(); ++index) {
    const SqlStatement& statement = request.statements[index];
    SqlStatementResult result;
    result.started_ms = wall_ms();
    const int64_t start_ns = steady_ns();
    if (timeout_ms > 0) {
      deadline_ns_.store(start_ns + timeout_ms * 1000000);
      deadline_armed_.store(true);
    }
    StepError error;
    const char* tail = statement.sql.c_str();
    do {
      sqlite3_stmt* stmt = nullptr;
      const char* next = nullptr;
      int rc = sqlite3_prepare_v2(db_, tail, -1, &stmt, &next);
      if (rc != SQLITE_OK) {
        error = {rc, sqlite3_errmsg(db_)};
        sqlite3_finalize(stmt);
        break;
      }
      tail = next;
      if (stmt == nullptr) {
        continue;  // only comments or whitespace were left
      }
      for (size_t i = 0; i < statement.values.size(); ++i) {
        const std::string name = "$" + std::to_string(i + 1);
        const int at = sqlite3_bind_parameter_index(stmt, name.c_str());
        if (at > 0) {
          sqlite3_bind_text(stmt, at, statement.values[i].data(),
                            static_cast<int>(statement.values[i].size()), SQLITE_TRANSIENT);
        }
      }
      // Each statement of the text replaces the result: the last one is what the caller sees.
      result = SqlStatementResult{};
      result.started_ms = wall_ms();
      const bool returns_rows = sqlite3_column_count(stmt) > 0;
      int64_t rows = 0;
      bool have_metadata = false;
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (!have_metadata) {
          result.column_metadata = column_metadata_of(stmt, true);
          have_metadata = true;
        }
        ++rows;
        if (result.result_too_large) continue;
        Json row = Json::array();
        const int columns = sqlite3_column_count(stmt);
        for (int c = 0; c < columns; ++c) row.push_back(field_of(stmt, c));
        // Each row costs its own text plus a separating comma inside the Records array.
        const size_t size = row.dump().size() + 1;
        if (result.result_size_bytes + size > request.max_result_bytes) {
          result.result_too_large = true;
          result.records = Json::array();
          continue;
        }
        result.result_size_bytes += size;
        result.records.push_back(std::move(row));
      }
      if (rc != SQLITE_DONE) {
        error = {rc, sqlite3_errmsg(db_)};
        sqlite3_finalize(stmt);
        break;
      }
      if (returns_rows) {
        if (!have_metadata) result.column_metadata = column_metadata_of(stmt, false);
        result.has_result_set = true;
        result.result_rows = rows;
      } else {
        const std::string keyword = first_keyword(sqlite3_sql(stmt));
        const bool dml = keyword == "INSERT" || keyword == "UPDATE" || keyword == "DELETE" ||
                         keyword == "REPLACE" || keyword == "WITH";
        result.result_rows = dml ? sqlite3_changes64(db_) : -1;
      }
      sqlite3_finalize(stmt);
    } while (!is_blank(tail));
    deadline_armed_.store(false);
    result.duration_ns = steady_ns() - start_ns;

    if (error.rc != SQLITE_OK) {
      const int primary = error.rc & 0xff;
      outcome.results.push_back(std::move(result));
      outcome.failed_index = static_cast<int>(index);
      if (primary == SQLITE_INTERRUPT && cancel_running_.load()) {
        outcome.status = SqlOutcome::Status::kAborted;
        outcome.message = "the statement was cancelled";
      } else if (primary == SQLITE_INTERRUPT && timed_out_.load()) {
        outcome.status = SqlOutcome::Status::kFailed;
        outcome.error_code = "QueryTimeoutException";
        outcome.sqlstate = "57014";
        outcome.message =
            "canceling statement due to statement timeout (" + std::to_string(timeout_ms) + " ms)";
      } else {
        outcome.status = SqlOutcome::Status::kFailed;
        outcome.error_code = "ExecuteStatementException";
        outcome.message = error.message;
      }
      rollback();
      return outcome;
    }
    outcome.results.push_back(std::move(result));
  }

  if (request.transaction) {
    StepError e = control("COMMIT");
    if (e.rc != SQLITE_OK) {
      rollback();
      outcome.status = SqlOutcome::Status::kFailed;
      outcome.error_code = "ExecuteStatementException";
      outcome.message = e.message;
      outcome.failed_index = static_cast<int>(request.statements.size()) - 1;
      return outcome;
    }
  }
  outcome.status = SqlOutcome::Status::kFinished;
  return outcome;
}

}  // namespace stepd::sql
