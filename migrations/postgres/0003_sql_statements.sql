-- stepd schema version 3, PostgreSQL dialect: the same table and index as
-- migrations/sqlite/0003_sql_statements.sql (keep the two in step).

CREATE TABLE sql_statements (
  seq                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
  is_batch           BOOLEAN NOT NULL,
  query_parameters   TEXT NOT NULL,
  created_ms         BIGINT NOT NULL,
  updated_ms         BIGINT NOT NULL,
  duration_ns        BIGINT NOT NULL,
  error              TEXT NOT NULL,
  has_result_set     BOOLEAN NOT NULL,
  result_rows        BIGINT NOT NULL,
  result_size        BIGINT NOT NULL,
  redshift_pid       BIGINT NOT NULL,
  sub_statements     TEXT NOT NULL,
  result             TEXT NOT NULL,
  execution_id       BIGINT NOT NULL,
  task_seq           BIGINT NOT NULL,
  client_token       TEXT NOT NULL
);
CREATE INDEX sql_statements_unfinished ON sql_statements (seq)
  WHERE status = 'SUBMITTED' OR status = 'PICKED' OR status = 'STARTED';
-- A SQL step that is dispatched again after a crash finds the statement it already started
-- (core/sql/redshift_data.cpp) instead of running its SQL twice.
CREATE INDEX sql_statements_owner ON sql_statements (execution_id, task_seq)
  WHERE execution_id <> 0;
