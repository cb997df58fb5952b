#pragma once
// A throwaway PostgreSQL server for the pool tests, the C++ twin of
// tests/integration/pg_harness.py: initdb in a temporary directory, a free loopback port,
// scram-sha-256 password authentication for the `stepd` superuser, stopped (immediate) and
// deleted at exit. Started on first use, never at static initialisation, so that listing the
// tests (gtest_discover_tests) starts nothing.
//
// PostgreSQL refuses to run as root; as root (CI) the server runs as the `postgres` system user
// and the directory is handed to it. Missing server binaries are an error, not a skip:
// `.ci/install-deps.sh --test` installs them.
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace stepd::sql::testing {

class PostgresServer {
 public:
  static constexpr const char* kUser = "stepd";
  static constexpr const char* kPassword = "stepd-test-pw'; \\ x";
  static constexpr const char* kPasswordEnv = "STEPD_PG_POOL_TEST_PASSWORD";
  static constexpr const char* kDatabase = "stepd";
  static constexpr const char* kOtherDatabase = "stepd_other";

  // The one server of this test binary; throws std::runtime_error when it cannot start.
  static PostgresServer& get() {
    static std::unique_ptr<PostgresServer> server(new PostgresServer());
    return *server;
  }

  ~PostgresServer() {
    run("pg_ctl -D " + data_ + " -m immediate -w stop > /dev/null 2>&1");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  int port() const { return port_; }

  // conninfo without the password, as a target's configuration would hold it.
  std::string conninfo(const std::string& db = kDatabase) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + db + " sslmode=disable";
  }

  void stop() {
    check(run("pg_ctl -D " + data_ + " -m fast -w -t 60 stop >> " + dir_ + "/pg_ctl.out 2>&1"),
          "pg_ctl stop (see " + dir_ + "/pg_ctl.out)");
  }
  void start() {
    std::string opts = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " + dir_ +
                       " -c fsync=off -c max_connections=60";
    check(run("pg_ctl -D " + data_ + " -o '" + opts + "' -l " + dir_ + "/log -w -t 60 start >> " +
              dir_ + "/pg_ctl.out 2>&1"),
          "pg_ctl start (see " + dir_ + "/pg_ctl.out and " + dir_ + "/log)");
  }

 private:
  PostgresServer() {
    bin_ = find_bin();
    if (bin_.empty()) {
      throw std::runtime_error(
          "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin: "
          "run .ci/install-deps.sh --test");
    }
    port_ = free_port();
    char tmpl[] = "/tmp/stepd-pg-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    data_ = dir_ + "/data";
    if (geteuid() == 0) {
      passwd* pw = getpwnam("postgres");
      if (pw == nullptr) throw std::runtime_error("running as root but there is no postgres user");
      as_user_ = "runuser -u postgres -- ";
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
      if (chown(dir_.c_str(), uid_, gid_) != 0) throw std::runtime_error("chown failed");
    }
    std::string pwfile = dir_ + "/pw";
    {
      std::ofstream out(pwfile);
      out << kPassword << "\n";
    }
    if (!as_user_.empty() && chown(pwfile.c_str(), uid_, gid_) != 0) {
      throw std::runtime_error("chown failed");
    }
    check(run("initdb -D " + data_ + " -U " + kUser + " --pwfile " + pwfile +
              " --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 > " + dir_ + "/initdb.out 2>&1"),
          "initdb (see " + dir_ + "/initdb.out)");
    std::filesystem::remove(pwfile);
    start();
    setenv(kPasswordEnv, kPassword, 1);
    exec("postgres", std::string("CREATE DATABASE ") + kDatabase);
    exec("postgres", std::string("CREATE DATABASE ") + kOtherDatabase);
  }

  static std::string find_bin() {
    std::string best;
    int best_version = -1;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      std::string v = e.path().filename().string();
      std::string bin = e.path().string() + "/bin";
      if (!std::filesystem::exists(bin + "/initdb") || !std::filesystem::exists(bin + "/pg_ctl")) {
        continue;
      }
      int version = std::atoi(v.c_str());
      if (version > best_version) {
        best_version = version;
        best = bin;
      }
    }
    return best;
  }

  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      close(fd);
      throw std::runtime_error("cannot find a free port");
    }
    close(fd);
    return ntohs(addr.sin_port);
  }

  // Paths here come from mkdtemp and the fixed bin directory: nothing needs shell quoting.
  int run(const std::string& tool_and_args) const {
    std::string cmd = as_user_ + bin_ + "/" + tool_and_args;
    return std::system(cmd.c_str());
  }

  static void check(int rc, const std::string& what) {
    if (rc != 0) throw std::runtime_error(what + " failed (status " + std::to_string(rc) + ")");
  }

  void exec(const std::string& db, const std::string& sql) const {
    std::string ci = conninfo(db) + " user=" + kUser;
    const char* keys[] = {"dbname", "password", nullptr};
    const char* values[] = {ci.c_str(), kPassword, nullptr};
    PGconn* c = PQconnectdbParams(keys, values, 1);
    PGresult* r = PQexec(c, sql.c_str());
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    std::string err = PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
    if (!ok) throw std::runtime_error(sql + ": " + err);
  }

  std::string bin_;
  std::string dir_;
  std::string data_;
  std::string as_user_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  int port_ = 0;
};

// A plain blocking libpq connection for checking what the pool did.
class TestConnection {
 public:
  explicit TestConnection(const std::string& db = PostgresServer::kDatabase) {
    auto& pg = PostgresServer::get();
    std::string ci = pg.conninfo(db) + " user=stepd application_name=stepd_test_checker";
    const char* keys[] = {"dbname", "password", nullptr};
    const char* values[] = {ci.c_str(), PostgresServer::kPassword, nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string err = PQerrorMessage(conn_);
      PQfinish(conn_);
      conn_ = nullptr;
      throw std::runtime_error("test connection failed: " + err);
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }
  ~TestConnection() {
    if (conn_ != nullptr) PQfinish(conn_);
  }
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  // Rows as text ("" for NULL); throws on error.
  std::vector<std::vector<std::string>> query(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    auto st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      std::string err = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error(sql + ": " + err);
    }
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < PQntuples(r); ++i) {
      std::vector<std::string> row;
      for (int j = 0; j < PQnfields(r); ++j) row.emplace_back(PQgetvalue(r, i, j));
      rows.push_back(std::move(row));
    }
    PQclear(r);
    return rows;
  }

  std::string scalar(const std::string& sql) {
    auto rows = query(sql);
    return rows.empty() || rows[0].empty() ? "" : rows[0][0];
  }

 private:
  PGconn* conn_ = nullptr;
};

}  // namespace stepd::sql::testing
