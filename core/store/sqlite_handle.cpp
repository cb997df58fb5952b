#include "core/store/sqlite_handle.h"

#include <sqlite3.h>

#include <stdexcept>

#include "core/store/store_error.h"

namespace stepd::store::sqlite {

namespace {

// Codes that describe the machine rather than the statement: the same statement can succeed
// later, once space returns or the file is writable again.
bool machine_failure(int rc) {
  switch (rc & 0xff) {  // the primary code of an extended result code
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
      return true;
    default:
      return false;
  }
}

[[noreturn]] void raise(int rc, const std::string& message) {
  if (machine_failure(rc)) throw StoreUnavailable(message);
  throw std::runtime_error(message);
}

// Error messages quote the statement so that a failure in a log points at its SQL; long
// statements (migration scripts) are cut short.
std::string shorten(std::string_view sql) {
  constexpr size_t kMax = 120;
  if (sql.size() <= kMax) {
    return std::string(sql);
  }
  return std::string(sql.substr(0, kMax)) + "...";
}

[[noreturn]] void fail(int rc, sqlite3* db, std::string_view what) {
  std::string message = "sqlite: ";
  message += what;
  message += ": ";
  // sqlite3_errmsg describes the most recent failure on the connection; without a connection
  // (open failed before one existed) only the generic text of the code is available.
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += " (code " + std::to_string(rc) + ")";
  raise(rc, message);
}

}  // namespace

void check(int rc, sqlite3* db, std::string_view what) {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
    fail(rc, db, what);
  }
}

struct Connection::Statement {
  sqlite3_stmt* stmt = nullptr;
  bool in_use = false;
  ~Statement() { sqlite3_finalize(stmt); }
};

Connection::Connection(const std::string& path, int flags, int busy_timeout_ms) {
  // Each connection is confined to one thread at a time by its owner, so SQLite's own
  // per-connection mutex is not needed.
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message =
        "sqlite: open " + path + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);  // a handle is returned even on failure and must be released
    db_ = nullptr;
    raise(rc, message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
}

Connection::~Connection() {
  cache_.clear();  // statements must be finalized before the connection closes
  sqlite3_close_v2(db_);
}

void Connection::exec(const std::string& sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = "sqlite: " + shorten(sql) + ": " +
                          (error != nullptr ? error : sqlite3_errstr(rc)) + " (code " +
                          std::to_string(rc) + ")";
    sqlite3_free(error);
    raise(rc, message);
  }
}

Query Connection::query(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    auto statement = std::make_unique<Statement>();
    // PERSISTENT: these statements live as long as the connection, so let SQLite allocate
    // them outside its short-lived lookaside memory.
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &statement->stmt, nullptr);
    if (rc != SQLITE_OK) {
      fail(rc, db_, "prepare " + shorten(sql));
    }
    it = cache_.emplace(std::string(sql), std::move(statement)).first;
  }
  Statement& statement = *it->second;
  if (statement.in_use) {
    // Two live uses of one cached statement would reset each other mid-iteration.
    throw std::logic_error("sqlite: statement already in use: " + shorten(sql));
  }
  statement.in_use = true;
  return Query(db_, statement.stmt, &statement.in_use, it->first);
}

std::string Connection::pragma_text(const std::string& pragma) {
  sqlite3_stmt* stmt = nullptr;
  check(sqlite3_prepare_v2(db_, pragma.c_str(), -1, &stmt, nullptr), db_, pragma);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
  int rc = sqlite3_step(stmt);
  check(rc, db_, pragma);
  if (rc != SQLITE_ROW) {
    return {};
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  return text != nullptr ? text : "";
}

int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}

bool Connection::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

Query::Query(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, std::string_view sql)
    : db_(db), stmt_(stmt), in_use_(in_use), sql_(sql) {}

Query::Query(Query&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), in_use_(other.in_use_), sql_(other.sql_) {
  other.stmt_ = nullptr;
  other.in_use_ = nullptr;
}

Query::~Query() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  if (in_use_ != nullptr) {
    *in_use_ = false;
  }
}

Query& Query::bind(int index, int64_t value) {
  check(sqlite3_bind_int64(stmt_, index, value), db_, "bind");
  return *this;
}

Query& Query::bind(int index, std::string_view value) {
  check(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      db_, "bind");
  return *this;
}

Query& Query::bind(int index, const std::optional<std::string>& value) {
  if (!value) {
    check(sqlite3_bind_null(stmt_, index), db_, "bind");
    return *this;
  }
  return bind(index, std::string_view(*value));
}

bool Query::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  fail(rc, db_, shorten(sql_));
}

void Query::run() {
  while (step()) {
  }
}

int64_t Query::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Query::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (data == nullptr) {
    return {};
  }
  return std::string(data, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> Query::optional_text(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) {
    return std::nullopt;
  }
  return text(column);
}

}  // namespace stepd::store::sqlite
