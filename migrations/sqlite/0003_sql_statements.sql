-- stepd schema version 3, SQLite dialect (keep migrations/postgres/0003_sql_statements.sql in
-- step): statements of the Redshift Data API emulation (core/sql/redshift_data.h), so that
-- DescribeStatement and GetStatementResult keep answering after a restart.

-- One row per ExecuteStatement / BatchExecuteStatement (and per SQL step). `seq` orders
-- ListStatements newest first and is its cursor; `id` is the uuid clients see.
-- query_string is the SQL text, or for a batch a JSON array of the statements' texts.
-- sub_statements (batches) and result are JSON texts the store never looks into; result holds
-- the records, so it is read only by GetStatementResult and never by listings.
CREATE TABLE sql_statements (
  seq                INTEGER PRIMARY KEY AUTOINCREMENT,
  id                 TEXT NOT NULL UNIQUE,
  status             TEXT NOT NULL,
  target             TEXT NOT NULL,
  cluster_identifier TEXT NOT NULL,
  workgroup_name     TEXT NOT NULL,
  secret_arn         TEXT NOT NULL,
  database_name      TEXT NOT NULL,
  db_user            TEXT NOT NULL,
  statement_name     TEXT NOT NULL,
  query_string       TEXT NOT NULL,
  is_batch           INTEGER NOT NULL,
  query_parameters   TEXT NOT NULL,
  created_ms         INTEGER NOT NULL,
  updated_ms         INTEGER NOT NULL,
  duration_ns        INTEGER NOT NULL,
  error              TEXT NOT NULL,
  has_result_set     INTEGER NOT NULL,
  result_rows        INTEGER NOT NULL,
  result_size        INTEGER NOT NULL,
  redshift_pid       INTEGER NOT NULL,
  sub_statements     TEXT NOT NULL,
  result             TEXT NOT NULL,
  execution_id       INTEGER NOT NULL,
  task_seq           INTEGER NOT NULL,
  client_token       TEXT NOT NULL
);
-- Recovery at startup looks for statements that were still running. Written with OR, not IN:
-- SQLite 3.40 checks an IN list of three or more constants through a temporary table, built on
-- every write of a row (measured: the largest cost of a SQL step, see bench/README.md).
CREATE INDEX sql_statements_unfinished ON sql_statements (seq)
  WHERE status = 'SUBMITTED' OR status = 'PICKED' OR status = 'STARTED';
-- A SQL step that is dispatched again after a crash finds the statement it already started
-- (core/sql/redshift_data.cpp) instead of running its SQL twice.
CREATE INDEX sql_statements_owner ON sql_statements (execution_id, task_seq)
  WHERE execution_id <> 0;
