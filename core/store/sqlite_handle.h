#pragma once
// A thin RAII layer over the SQLite C API, used only by SqliteStore. A Connection owns one
// sqlite3* and a cache of prepared statements keyed by their SQL text; a Query is one use of a
// cached statement and resets it when it goes out of scope, so a half-read SELECT never keeps a
// read snapshot open (which would stop WAL checkpoints). Every SQLite failure becomes a
// std::runtime_error carrying SQLite's own message; a full disk, a read-only file, an I/O error or
// a lock held too long by another process is its subclass StoreUnavailable (store_error.h).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace stepd::store::sqlite {

// Throws std::runtime_error("sqlite: <what>: <SQLite message>") when rc is an error code
// (StoreUnavailable for the codes that describe the machine, not the statement).
void check(int rc, sqlite3* db, std::string_view what);

class Query;

class Connection {
 public:
  // flags are SQLITE_OPEN_* bits; the connection is used by one thread at a time.
  Connection(const std::string& path, int flags, int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements that return nothing we need (pragmas, migration scripts).
  void exec(const std::string& sql);
  // A cached prepared statement for `sql`, ready to bind. Only one Query per statement text may
  // be alive at a time on a connection.
  Query query(std::string_view sql);
  // The result of a PRAGMA that returns one value (e.g. journal_mode).
  std::string pragma_text(const std::string& pragma);

  int64_t changes() const;  // rows changed by the last INSERT/UPDATE/DELETE
  bool in_transaction() const;
  sqlite3* raw() const { return db_; }

 private:
  struct Statement;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

class Query {
 public:
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;

  // Parameters are numbered from 1 as in SQLite. Text is copied, so temporaries are fine.
  Query& bind(int index, int64_t value);
  Query& bind(int index, std::string_view value);
  Query& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Query& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Query& bind(int index, const std::optional<std::string>& value);  // nullopt binds NULL
  Query& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }

  // Binds the arguments to parameters 1, 2, 3 ... in order.
  template <typename... Args>
  Query& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  bool step();  // true while a row is available
  void run();   // steps to the end, for statements that return no rows

  int64_t int64(int column) const;
  std::string text(int column) const;                          // NULL reads as ""
  std::optional<std::string> optional_text(int column) const;  // NULL reads as nullopt

 private:
  friend class Connection;
  Query(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, std::string_view sql);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
  std::string_view sql_;  // points into the cache key, which outlives the query
};

}  // namespace stepd::store::sqlite
