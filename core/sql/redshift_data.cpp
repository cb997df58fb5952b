#include "core/sql/redshift_data.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <memory>
#include <stdexcept>
#include <utility>

#include "core/common/base64url.h"
#include "core/sql/named_parameters.h"
#include "core/sql/sql_file.h"
#include "core/sql/statement_splitter.h"

namespace stepd::sql {

namespace {

constexpr const char* kValidation = "ValidationException";
constexpr const char* kNotFound = "ResourceNotFoundException";
constexpr const char* kInternal = "InternalServerException";
constexpr size_t kMaxStatementName = 2048;  // the model's StatementNameString
constexpr size_t kMaxBatch = 40;            // the model's SqlList

ApiError validation(const std::string& message) {
  return ApiError(kValidation, message);
}

// Timestamps of the AWS JSON protocol: epoch seconds, fractions for the milliseconds.
Json timestamp(int64_t ms) {
  return static_cast<double>(ms) / 1000.0;
}

bool is_final(const std::string& status) {
  return status == "FINISHED" || status == "FAILED" || status == "ABORTED";
}

std::optional<std::string> optional_string(const Json& request, const char* member) {
  auto it = request.find(member);
  if (it == request.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw validation(std::string(member) + " must be a string");
  return it->get<std::string>();
}

const std::string& required_id(const Json& request) {
  auto it = request.find("Id");
  if (it == request.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    throw validation("Id is required");
  }
  return it->get_ref<const std::string&>();
}

ApiError not_found(const std::string& id) {
  return ApiError(kNotFound, "Query does not exist. (Id " + id + ")");
}

// NextToken of GetStatementResult and ListStatements: opaque to clients, but only a token we
// issued for this statement (or listing) is accepted.
std::string make_token(const std::string& scope, const std::string& position) {
  return base64url_encode(Json{{"s", scope}, {"p", position}}.dump());
}

std::string read_token(const std::string& token, const std::string& scope) {
  std::optional<std::string> text = base64url_decode(token);
  if (text) {
    Json parsed = Json::parse(*text, nullptr, false);
    if (parsed.is_object() && parsed.value("s", "") == scope && parsed.contains("p") &&
        parsed["p"].is_string()) {
      return parsed["p"].get<std::string>();
    }
  }
  throw validation("NextToken is not valid");
}

}  // namespace

// Everything a statement needs from its request, checked.
struct RedshiftDataService::Prepared {
  store::SqlStatementRecord record;
  SqlRequest request;
  SqlExecutor* executor = nullptr;
  std::string file;        // SqlFile name, when it came from one
  std::vector<int> lines;  // line of each statement in the file
  std::string action;
};

RedshiftDataService::RedshiftDataService(store::Store& store, const SqlTargets& targets,
                                         std::map<std::string, SqlExecutor*> executors,
                                         const Clock& clock, IdSource& ids, Options options)
    : store_(store),
      targets_(targets),
      executors_(std::move(executors)),
      clock_(clock),
      ids_(ids),
      options_(std::move(options)) {}

size_t RedshiftDataService::running_count() const {
  std::lock_guard lock(mutex_);
  return running_.size();
}

// ---------------------------------------------------------------------------------------------
// Validation

RedshiftDataService::Prepared RedshiftDataService::prepare(const std::string& action,
                                                           const Json& request,
                                                           long long timeout_ms) const {
  if (!request.is_object()) throw validation("the request must be a JSON object");
  const bool batch = action == "BatchExecuteStatement";

  if (auto format = optional_string(request, "ResultFormat"); format && *format != "JSON") {
    throw validation("ResultFormat " + *format + " is not supported by stepd; use JSON");
  }
  if (request.contains("SessionId") || request.contains("SessionKeepAliveSeconds")) {
    throw validation("sessions (SessionId, SessionKeepAliveSeconds) are not supported by stepd");
  }
  if (auto it = request.find("WithEvent"); it != request.end() && it->is_boolean() && *it) {
    throw validation("WithEvent (EventBridge events) is not supported by stepd");
  }
  std::string name = optional_string(request, "StatementName").value_or("");
  if (name.size() > kMaxStatementName) {
    throw validation("StatementName is longer than " + std::to_string(kMaxStatementName) +
                     " characters");
  }
  std::string client_token = optional_string(request, "ClientToken").value_or("");
  if (client_token.size() > 64) throw validation("ClientToken is longer than 64 characters");

  const SqlTargetConfig* target = resolve_target(targets_, request);
  // Redshift's lexer takes backslash escapes in plain strings; PostgreSQL's (by default) not.
  const bool backslash_escapes = target->dialect == SqlDialect::kRedshift;

  Prepared p;
  p.action = action;
  std::vector<std::string> sqls;
  bool transaction = false;
  if (batch) {
    auto it = request.find("Sqls");
    if (it == request.end() || !it->is_array() || it->empty() || it->size() > kMaxBatch) {
      throw validation("Sqls must be a list of 1 to " + std::to_string(kMaxBatch) +
                       " SQL statements");
    }
    for (const Json& sql : *it) {
      if (!sql.is_string() || sql.get_ref<const std::string&>().empty()) {
        throw validation("each of Sqls must be a non-empty string");
      }
      sqls.push_back(sql.get<std::string>());
    }
    transaction = true;  // as on Redshift: a batch is one transaction
  } else if (action == "ExecuteStatement") {
    std::optional<std::string> sql = optional_string(request, "Sql");
    std::optional<std::string> file = optional_string(request, "SqlFile");
    if (sql.has_value() == file.has_value()) {
      throw validation("give exactly one of Sql and SqlFile");
    }
    if (sql) {
      if (sql->empty()) throw validation("Sql must not be empty");
      sqls.push_back(*sql);
    } else {
      std::string text;
      try {
        text = read_sql_file(resolve_sql_file(options_.scripts_dir, *file));
        for (ScriptStatement& s : split_statements(text, {backslash_escapes})) {
          sqls.push_back(std::move(s.text));
          p.lines.push_back(s.line);
        }
      } catch (const SqlScriptError& e) {
        throw validation("SqlFile " + *file + " line " + std::to_string(e.line()) + ": " +
                         e.what());
      } catch (const SqlFileError& e) {
        throw validation("SqlFile " + *file + ": " + e.what());
      }
      if (sqls.empty()) throw validation("SqlFile " + *file + " holds no SQL statement");
      p.file = *file;
      transaction = true;
      if (auto t = request.find("Transaction"); t != request.end()) {
        if (!t->is_boolean()) throw validation("Transaction must be true or false");
        transaction = t->get<bool>();
      }
    }
  } else {
    throw validation("unknown action " + action);
  }

  std::vector<std::string> values;
  std::string parameters_text;
  if (auto it = request.find("Parameters"); it != request.end() && !it->is_null()) {
    if (sqls.size() != 1 || batch || !p.file.empty()) {
      throw validation("Parameters are supported only with a single Sql statement");
    }
    BoundStatement bound =
        bind_named_parameters(sqls[0], parse_sql_parameters(*it), backslash_escapes);
    sqls[0] = std::move(bound.sql);
    values = std::move(bound.values);
    parameters_text = it->dump();
  }

  auto executor = executors_.find(target->name);
  if (executor == executors_.end() || executor->second == nullptr) {
    throw ApiError(kInternal, "SQL target '" + target->name + "' has no running executor");
  }
  p.executor = executor->second;

  store::SqlStatementRecord& r = p.record;
  r.id = ids_.uuid();
  r.status = "SUBMITTED";
  r.target = target->name;
  r.cluster_identifier = optional_string(request, "ClusterIdentifier").value_or("");
  r.workgroup_name = optional_string(request, "WorkgroupName").value_or("");
  r.secret_arn = optional_string(request, "SecretArn").value_or("");
  r.database = optional_string(request, "Database").value_or("");
  r.db_user = optional_string(request, "DbUser").value_or("");
  r.statement_name = name;
  r.client_token = client_token;
  r.query_parameters = parameters_text;
  r.is_batch = batch || sqls.size() > 1;
  if (r.is_batch) {
    Json texts = Json::array();
    for (const std::string& s : sqls) texts.push_back(s);
    r.query_string = texts.dump();
  } else {
    // What the client sent, with :names, as Redshift shows it.
    r.query_string = optional_string(request, "Sql").value_or(sqls[0]);
  }
  r.created_ms = r.updated_ms = clock_.now_ms();
  if (r.is_batch) {
    Json subs = Json::array();
    for (size_t i = 0; i < sqls.size(); ++i) {
      subs.push_back(Json{{"Id", r.id + ":" + std::to_string(i + 1)},
                          {"Status", "SUBMITTED"},
                          {"QueryString", sqls[i]},
                          {"Duration", -1},
                          {"HasResultSet", false},
                          {"ResultRows", -1},
                          {"ResultSize", -1},
                          {"RedshiftQueryId", 0},
                          {"CreatedAt", timestamp(r.created_ms)},
                          {"UpdatedAt", timestamp(r.updated_ms)}});
    }
    r.sub_statements = subs.dump();
  }

  SqlRequest& q = p.request;
  for (size_t i = 0; i < sqls.size(); ++i) {
    q.statements.push_back(SqlStatement{sqls[i], i == 0 ? values : std::vector<std::string>{}});
  }
  q.transaction = transaction && sqls.size() > 1;
  q.timeout_ms = timeout_ms;
  q.session.database = r.database;
  q.session.db_user = r.db_user;
  q.max_result_bytes = options_.max_stored_result_bytes;
  return p;
}

// ---------------------------------------------------------------------------------------------
// Running

void RedshiftDataService::start(
    Prepared prepared, const StatementOwner& owner,
    std::function<void(const store::SqlStatementRecord&, std::exception_ptr)> submitted,
    Completion completion) {
  auto shared = std::make_shared<Prepared>(std::move(prepared));
  shared->record.execution_id = owner.execution_id;
  shared->record.task_seq = owner.task_seq;
  {
    std::lock_guard lock(mutex_);
    running_[shared->record.id] = Running{shared->executor, 0, owner, false};
  }
  store_.put_sql_statement_async(
      shared->record, [this, shared, submitted = std::move(submitted),
                       completion = std::move(completion)](std::exception_ptr error) mutable {
        if (error) {
          {
            std::lock_guard lock(mutex_);
            running_.erase(shared->record.id);
          }
          submitted(shared->record, error);
          return;
        }
        submitted(shared->record, nullptr);
        launch(shared, std::move(completion));
      });
}

void RedshiftDataService::launch(const std::shared_ptr<Prepared>& prepared, Completion completion) {
  const std::string id = prepared->record.id;
  bool cancelled = false;
  {
    std::lock_guard lock(mutex_);
    cancelled = running_[id].cancel_requested;
  }
  if (cancelled) {
    SqlOutcome outcome;
    outcome.status = SqlOutcome::Status::kAborted;
    outcome.message = "the statement was cancelled before it started";
    finish(prepared, std::move(outcome), std::move(completion));
    return;
  }
  // The executor says nothing when it picks a request up, so STARTED is recorded as it is
  // handed over (PICKED is skipped). Both writes go through the same queue, so the final
  // status always lands after this one.
  store::SqlStatementRecord started = prepared->record;
  started.status = "STARTED";
  started.updated_ms = clock_.now_ms();
  store_.put_sql_statement_async(std::move(started), [id](std::exception_ptr error) {
    if (error) spdlog::warn("sql: could not record statement {} as STARTED", id);
  });
  const uint64_t handle = prepared->executor->submit(
      prepared->request,
      [this, prepared, completion = std::move(completion)](SqlOutcome outcome) mutable {
        finish(prepared, std::move(outcome), std::move(completion));
      });
  std::lock_guard lock(mutex_);
  auto it = running_.find(id);
  if (it != running_.end()) {
    it->second.handle = handle;
    if (it->second.cancel_requested) prepared->executor->cancel(handle);
  }
}

void RedshiftDataService::finish(const std::shared_ptr<Prepared>& prepared, SqlOutcome outcome,
                                 Completion completion) {
  store::SqlStatementRecord r = prepared->record;
  const size_t total = prepared->request.statements.size();
  r.updated_ms = clock_.now_ms();

  int64_t duration = 0;
  for (const SqlStatementResult& result : outcome.results) duration += result.duration_ns;
  r.duration_ns = duration;

  // A result too big to keep fails the statement, as Redshift refuses results over its limit.
  if (outcome.status == SqlOutcome::Status::kFinished) {
    for (size_t i = 0; i < outcome.results.size(); ++i) {
      if (outcome.results[i].result_too_large) {
        outcome.status = SqlOutcome::Status::kFailed;
        outcome.failed_index = static_cast<int>(i);
        outcome.error_code = "ExecuteStatementException";
        outcome.sqlstate = "";
        outcome.message = "the result is larger than the " +
                          std::to_string(options_.max_stored_result_bytes) +
                          " bytes stepd keeps for a statement (the Redshift Data API's limit is "
                          "100 MB); write large results out with UNLOAD, or select fewer rows";
        break;
      }
    }
  }

  std::string error;
  if (outcome.status != SqlOutcome::Status::kFinished) {
    std::string where;
    if (r.is_batch || !prepared->file.empty()) {
      const int index = outcome.failed_index >= 0 ? outcome.failed_index : 0;
      where = "statement " + std::to_string(index + 1) + " of " + std::to_string(total);
      if (!prepared->file.empty()) {
        where += " (" + prepared->file;
        if (index < static_cast<int>(prepared->lines.size())) {
          where += " line " + std::to_string(prepared->lines[index]);
        }
        where += ")";
      }
      where += ": ";
    }
    error = where + (outcome.message.empty() ? std::string("the statement was cancelled")
                                             : outcome.message);
    if (!outcome.sqlstate.empty()) error += " (SQLSTATE " + outcome.sqlstate + ")";
  }
  r.error = error;
  r.status = outcome.status == SqlOutcome::Status::kFinished ? "FINISHED"
             : outcome.status == SqlOutcome::Status::kFailed ? "FAILED"
                                                             : "ABORTED";

  Json results = Json::array();
  for (const SqlStatementResult& result : outcome.results) {
    if (result.result_too_large) {
      results.push_back(Json{{"ColumnMetadata", Json::array()}, {"Records", Json::array()}});
    } else {
      results.push_back(
          Json{{"ColumnMetadata", result.column_metadata}, {"Records", result.records}});
    }
  }
  if (!outcome.results.empty()) {
    const SqlStatementResult& last = outcome.results.back();
    r.has_result_set = last.has_result_set;
    r.result_rows = last.result_rows;
    r.result_size = static_cast<int64_t>(last.result_size_bytes);
    r.redshift_pid = last.redshift_pid;
  }
  if (r.is_batch) {
    Json subs = Json::parse(r.sub_statements);
    const int failed = outcome.status == SqlOutcome::Status::kFinished
                           ? -1
                           : (outcome.failed_index >= 0 ? outcome.failed_index
                                                        : static_cast<int>(outcome.results.size()));
    for (size_t i = 0; i < subs.size(); ++i) {
      Json& sub = subs[i];
      const int n = static_cast<int>(i);
      if (failed < 0 || n < failed) {
        sub["Status"] = "FINISHED";
      } else if (n == failed) {
        sub["Status"] = r.status;
        sub["Error"] = outcome.message.empty() ? r.error : outcome.message;
      } else {
        sub["Status"] = "ABORTED";
      }
      if (i < outcome.results.size()) {
        const SqlStatementResult& result = outcome.results[i];
        sub["Duration"] = result.duration_ns;
        sub["HasResultSet"] = result.has_result_set;
        sub["ResultRows"] = result.result_rows;
        sub["ResultSize"] = static_cast<int64_t>(result.result_size_bytes);
      }
      sub["UpdatedAt"] = timestamp(r.updated_ms);
    }
    r.sub_statements = subs.dump();
  }
  r.result = results.dump();

  {
    std::lock_guard lock(mutex_);
    running_.erase(r.id);
  }
  auto shared_outcome = std::make_shared<SqlOutcome>(std::move(outcome));
  store::SqlStatementRecord copy = r;
  store_.put_sql_statement_async(
      std::move(r), [record = std::move(copy), shared_outcome,
                     completion = std::move(completion)](std::exception_ptr error) {
        if (error) {
          spdlog::error("sql: could not record the end of statement {}", record.id);
        }
        if (completion) completion(record, *shared_outcome);
      });
}

void RedshiftDataService::request_cancel(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = running_.find(id);
  if (it == running_.end()) return;
  it->second.cancel_requested = true;
  if (it->second.handle != 0) it->second.executor->cancel(it->second.handle);
}

void RedshiftDataService::cancel_owned(const StatementOwner& owner) {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, running] : running_) {
      if (running.owner == owner) ids.push_back(id);
    }
  }
  for (const std::string& id : ids) request_cancel(id);
}

void RedshiftDataService::recover() {
  for (store::SqlStatementRecord r : store_.unfinished_sql_statements()) {
    r.status = "FAILED";
    r.error = "stepd stopped while the statement was running; it may or may not have completed";
    r.updated_ms = clock_.now_ms();
    if (r.is_batch && !r.sub_statements.empty()) {
      Json subs = Json::parse(r.sub_statements, nullptr, false);
      if (subs.is_array()) {
        for (Json& sub : subs) {
          if (!is_final(sub.value("Status", ""))) sub["Status"] = "FAILED";
        }
        r.sub_statements = subs.dump();
      }
    }
    spdlog::warn("sql: statement {} was running when stepd stopped; marked FAILED", r.id);
    store_.put_sql_statement(std::move(r));
  }
}

// ---------------------------------------------------------------------------------------------
// The API

void RedshiftDataService::call(const std::string& action, const Json& request, Reply reply,
                               const StatementOwner& owner) {
  auto execute_response = [](const store::SqlStatementRecord& r) {
    Json out = Json::object();
    if (!r.cluster_identifier.empty()) out["ClusterIdentifier"] = r.cluster_identifier;
    out["CreatedAt"] = timestamp(r.created_ms);
    if (!r.database.empty()) out["Database"] = r.database;
    if (!r.db_user.empty()) out["DbUser"] = r.db_user;
    out["Id"] = r.id;
    if (!r.secret_arn.empty()) out["SecretArn"] = r.secret_arn;
    if (!r.workgroup_name.empty()) out["WorkgroupName"] = r.workgroup_name;
    return out;
  };
  try {
    if (action == "ExecuteStatement" || action == "BatchExecuteStatement") {
      if (owner.execution_id != 0) {
        // A task dispatched again after a restart: its statement was already submitted.
        if (auto prior = store_.find_sql_statement_by_owner(owner.execution_id, owner.task_seq)) {
          reply(execute_response(*prior), std::nullopt);
          return;
        }
      }
      Prepared prepared = prepare(action, request, 0);
      start(
          std::move(prepared), owner,
          [reply, execute_response](const store::SqlStatementRecord& r, std::exception_ptr error) {
            if (error) {
              reply(Json(), ApiError(kInternal, "the statement could not be recorded"));
              return;
            }
            reply(execute_response(r), std::nullopt);
          },
          nullptr);
      return;
    }
    Json response;
    if (action == "DescribeStatement") {
      response = describe(required_id(request));
    } else if (action == "GetStatementResult") {
      response = get_result(request);
    } else if (action == "CancelStatement") {
      response = cancel(request);
    } else if (action == "ListStatements") {
      response = list(request);
    } else {
      throw ApiError("UnknownOperationException", "unknown Redshift Data API action " + action);
    }
    reply(std::move(response), std::nullopt);
  } catch (const ApiError& e) {
    reply(Json(), e);
  } catch (const std::invalid_argument& e) {
    reply(Json(), validation(e.what()));
  } catch (const std::exception& e) {
    reply(Json(), ApiError(kInternal, e.what(), 500));
  }
}

namespace {

// The answer of a SQL step from its statement's final record; `last` is the last statement's
// {"ColumnMetadata", "Records"} (or null).
void reply_sync(const std::string& action, const store::SqlStatementRecord& r,
                const std::string& error_code, const Json& last, bool include_result,
                size_t max_output_bytes, const RedshiftDataService::Reply& reply) {
  if (r.status == "ABORTED") {
    reply(Json(), ApiError("StatementAborted", "statement " + r.id + " was cancelled: " + r.error));
    return;
  }
  if (r.status == "FAILED") {
    std::string code = error_code.empty() ? "ExecuteStatementException" : error_code;
    // Named after the call, as AWS does: a SqlFile of several statements is stored like a batch
    // but was an ExecuteStatement.
    if (code == "ExecuteStatementException" && action == "BatchExecuteStatement") {
      code = "BatchExecuteStatementException";
    }
    reply(Json(), ApiError(code, r.error));
    return;
  }
  Json response = RedshiftDataService::describe_record(r);
  if (include_result) {
    Json columns = last.is_object() ? last.value("ColumnMetadata", Json::array()) : Json::array();
    Json records = last.is_object() ? last.value("Records", Json::array()) : Json::array();
    response["ColumnMetadata"] = std::move(columns);
    response["TotalNumRows"] = records.size();
    response["Records"] = std::move(records);
  }
  const size_t size = response.dump().size();
  if (size > max_output_bytes) {
    reply(Json(), ApiError("DataLimitExceeded",
                           "the result of statement " + r.id + " is " + std::to_string(size) +
                               " bytes as JSON, more than the " + std::to_string(max_output_bytes) +
                               " bytes a task may return; write it out with UNLOAD, or leave "
                               "IncludeResult out and page through it with GetStatementResult"));
    return;
  }
  reply(std::move(response), std::nullopt);
}

}  // namespace

bool RedshiftDataService::replay_owned(const std::string& action, const StatementOwner& owner,
                                       bool include_result, size_t max_output_bytes,
                                       const Reply& reply) {
  if (owner.execution_id == 0) return false;
  std::optional<store::SqlStatementRecord> prior =
      store_.find_sql_statement_by_owner(owner.execution_id, owner.task_seq);
  // ABORTED here means cancelled by a shutdown before the engine heard of it (a task whose
  // statement was cancelled otherwise has left the outbox and is not dispatched again): nothing
  // of it committed, so it runs again.
  if (!prior || (prior->status != "FINISHED" && prior->status != "FAILED")) return false;
  // The step was dispatched again after a restart. Its statement ran (or was cut off by a crash,
  // which recover() recorded as FAILED): answer from the record instead of running the SQL a
  // second time. The failure's class is not kept, so it answers as the database's error.
  Json last;
  if (include_result && prior->status == "FINISHED") {
    Json results =
        Json::parse(store_.get_sql_statement_result(prior->id).value_or("[]"), nullptr, false);
    if (results.is_array() && !results.empty()) last = results.back();
  }
  spdlog::info("sql: step {} of execution {} already ran statement {} ({}); answering from it",
               owner.task_seq, owner.execution_id, prior->id, prior->status);
  reply_sync(action, *prior, "", last, include_result, max_output_bytes, reply);
  return true;
}

void RedshiftDataService::run_sync(const std::string& action, const Json& request,
                                   const StatementOwner& owner, long long timeout_ms,
                                   bool include_result, size_t max_output_bytes, Reply reply) {
  if (replay_owned(action, owner, include_result, max_output_bytes, reply)) return;
  Prepared prepared;
  try {
    prepared = prepare(action, request, timeout_ms);
  } catch (const ApiError& e) {
    reply(Json(), e);
    return;
  } catch (const std::exception& e) {
    reply(Json(), ApiError(kInternal, e.what(), 500));
    return;
  }
  start(
      std::move(prepared), owner,
      [reply](const store::SqlStatementRecord&, std::exception_ptr error) {
        if (error) reply(Json(), ApiError(kInternal, "the statement could not be recorded"));
      },
      [action, reply, include_result, max_output_bytes](const store::SqlStatementRecord& r,
                                                        const SqlOutcome& outcome) {
        // From the record in hand: the completion must not need the service (see the header).
        Json last;
        if (!outcome.results.empty()) {
          last = Json{{"ColumnMetadata", outcome.results.back().column_metadata},
                      {"Records", outcome.results.back().records}};
        }
        reply_sync(action, r, outcome.error_code, last, include_result, max_output_bytes, reply);
      });
}

namespace {

// "<id>:<n>" names sub-statement n (from 1) of a batch; a plain id is {id, 0}.
std::pair<std::string, int> split_statement_id(const std::string& id) {
  const size_t colon = id.rfind(':');
  if (colon == std::string::npos) return {id, 0};
  int sub = 0;
  const std::string n = id.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), sub);
  if (ec != std::errc() || ptr != n.data() + n.size() || sub < 1) throw not_found(id);
  return {id.substr(0, colon), sub};
}

}  // namespace

Json RedshiftDataService::describe(const std::string& id) const {
  const auto [parent, sub] = split_statement_id(id);
  std::optional<store::SqlStatementRecord> found = store_.get_sql_statement(parent);
  if (!found) throw not_found(id);
  const store::SqlStatementRecord& r = *found;
  if (sub > 0) {
    Json subs = r.sub_statements.empty() ? Json::array() : Json::parse(r.sub_statements);
    if (static_cast<size_t>(sub) > subs.size()) throw not_found(id);
    return subs[sub - 1];
  }
  return describe_record(r);
}

Json RedshiftDataService::describe_record(const store::SqlStatementRecord& r) {
  Json out = Json::object();
  if (!r.cluster_identifier.empty()) out["ClusterIdentifier"] = r.cluster_identifier;
  out["CreatedAt"] = timestamp(r.created_ms);
  if (!r.database.empty()) out["Database"] = r.database;
  if (!r.db_user.empty()) out["DbUser"] = r.db_user;
  out["Duration"] = r.duration_ns;
  if (!r.error.empty()) out["Error"] = r.error;
  out["HasResultSet"] = r.has_result_set;
  out["Id"] = r.id;
  if (!r.query_parameters.empty()) out["QueryParameters"] = Json::parse(r.query_parameters);
  if (!r.is_batch) out["QueryString"] = r.query_string;
  out["RedshiftPid"] = r.redshift_pid;
  out["RedshiftQueryId"] = 0;
  out["ResultFormat"] = "JSON";
  out["ResultRows"] = r.result_rows;
  out["ResultSize"] = r.result_size;
  if (!r.secret_arn.empty()) out["SecretArn"] = r.secret_arn;
  out["Status"] = r.status;
  if (r.is_batch) out["SubStatements"] = Json::parse(r.sub_statements);
  out["UpdatedAt"] = timestamp(r.updated_ms);
  if (!r.workgroup_name.empty()) out["WorkgroupName"] = r.workgroup_name;
  return out;
}

Json RedshiftDataService::get_result(const Json& request) const {
  const std::string& id = required_id(request);
  const auto [parent, sub] = split_statement_id(id);
  std::optional<store::SqlStatementRecord> r = store_.get_sql_statement(parent);
  if (!r) throw not_found(id);
  if (r->is_batch && sub == 0) {
    throw validation("statement " + id +
                     " is a batch; ask for the result of one of its sub-statements (" + id +
                     ":1, " + id + ":2 ...)");
  }
  if (!r->is_batch && sub > 0) throw not_found(id);
  const ApiError no_result(kNotFound,
                           "Query does not have result. Please check query status with "
                           "DescribeStatement. (Id " +
                               id + ")");
  bool has_result_set = r->has_result_set;
  if (sub > 0) {
    Json subs = Json::parse(r->sub_statements);
    if (static_cast<size_t>(sub) > subs.size()) throw not_found(id);
    if (subs[sub - 1].value("Status", "") != "FINISHED") throw no_result;
    has_result_set = subs[sub - 1].value("HasResultSet", false);
  } else if (r->status != "FINISHED") {
    throw no_result;
  }
  if (!has_result_set) throw no_result;

  Json results = Json::parse(store_.get_sql_statement_result(parent).value_or("[]"));
  const size_t index = sub > 0 ? static_cast<size_t>(sub - 1) : results.size() - 1;
  if (!results.is_array() || index >= results.size()) throw no_result;
  const Json& result = results[index];
  const Json& records = result["Records"];

  size_t offset = 0;
  if (auto token = optional_string(request, "NextToken"); token && !token->empty()) {
    const std::string position = read_token(*token, "result:" + id);
    auto [ptr, ec] = std::from_chars(position.data(), position.data() + position.size(), offset);
    if (ec != std::errc() || offset > records.size()) throw validation("NextToken is not valid");
  }
  Json page = Json::array();
  size_t bytes = 0;
  size_t at = offset;
  while (at < records.size() && page.size() < options_.page_max_records) {
    const size_t size = records[at].dump().size() + 1;
    if (!page.empty() && bytes + size > options_.page_max_bytes) break;
    bytes += size;
    page.push_back(records[at]);
    ++at;
  }
  Json out = Json::object();
  out["ColumnMetadata"] = result["ColumnMetadata"];
  if (at < records.size()) out["NextToken"] = make_token("result:" + id, std::to_string(at));
  out["Records"] = std::move(page);
  out["TotalNumRows"] = records.size();
  return out;
}

Json RedshiftDataService::cancel(const Json& request) {
  const std::string& id = required_id(request);
  std::optional<store::SqlStatementRecord> r = store_.get_sql_statement(id);
  if (!r) throw not_found(id);
  if (is_final(r->status)) {
    throw validation("Could not cancel a query that is already in " + r->status + " state.");
  }
  {
    std::lock_guard lock(mutex_);
    if (running_.count(id) == 0) {
      throw validation("Could not cancel the query: it is not running in this stepd process.");
    }
  }
  request_cancel(id);
  return Json{{"Status", true}};
}

Json RedshiftDataService::list(const Json& request) const {
  store::SqlStatementFilter filter;
  filter.status = optional_string(request, "Status").value_or("");
  static const std::vector<std::string> kStatuses = {"SUBMITTED", "PICKED", "STARTED", "FINISHED",
                                                     "ABORTED",   "FAILED", "ALL"};
  if (!filter.status.empty() &&
      std::find(kStatuses.begin(), kStatuses.end(), filter.status) == kStatuses.end()) {
    throw validation(
        "Status must be one of SUBMITTED, PICKED, STARTED, FINISHED, ABORTED, "
        "FAILED, ALL");
  }
  filter.statement_name_prefix = optional_string(request, "StatementName").value_or("");
  filter.cluster_identifier = optional_string(request, "ClusterIdentifier").value_or("");
  filter.workgroup_name = optional_string(request, "WorkgroupName").value_or("");
  filter.database = optional_string(request, "Database").value_or("");
  store::Page page;
  page.limit = 100;
  if (auto it = request.find("MaxResults"); it != request.end() && !it->is_null()) {
    if (!it->is_number_integer() || *it < 0 || *it > 100) {
      throw validation("MaxResults must be between 0 and 100");
    }
    if (*it > 0) page.limit = it->get<int>();
  }
  if (auto token = optional_string(request, "NextToken"); token && !token->empty()) {
    page.after = read_token(*token, "list");
  }
  std::string next;
  Json statements = Json::array();
  for (const store::SqlStatementRecord& r : store_.list_sql_statements(filter, page, &next)) {
    Json s = Json::object();
    s["CreatedAt"] = timestamp(r.created_ms);
    s["Id"] = r.id;
    s["IsBatchStatement"] = r.is_batch;
    if (!r.query_parameters.empty()) s["QueryParameters"] = Json::parse(r.query_parameters);
    if (r.is_batch) {
      s["QueryStrings"] = Json::parse(r.query_string);
    } else {
      s["QueryString"] = r.query_string;
    }
    s["ResultFormat"] = "JSON";
    if (!r.secret_arn.empty()) s["SecretArn"] = r.secret_arn;
    if (!r.statement_name.empty()) s["StatementName"] = r.statement_name;
    s["Status"] = r.status;
    s["UpdatedAt"] = timestamp(r.updated_ms);
    statements.push_back(std::move(s));
  }
  Json out = Json::object();
  if (!next.empty()) out["NextToken"] = make_token("list", next);
  out["Statements"] = std::move(statements);
  return out;
}

}  // namespace stepd::sql
