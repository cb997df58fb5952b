-- stepd schema version 1, SQLite dialect. SqliteStore::migrate applies this file in one
-- transaction and records it in schema_migrations; do not put BEGIN/COMMIT or PRAGMAs here.
-- migrations/postgres/0001_init.sql holds the same schema and must be kept in step.

-- Server-wide values that must survive restarts (the task-token key, the instance id ...).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- The definition text lives in definition_revisions; revision_id points at the current one.
CREATE TABLE state_machines (
  arn                   TEXT PRIMARY KEY,
  name                  TEXT NOT NULL,
  type                  TEXT NOT NULL,
  status                TEXT NOT NULL,
  revision_id           TEXT NOT NULL,
  role_arn              TEXT NOT NULL,
  description           TEXT NOT NULL,
  logging_configuration TEXT NOT NULL,
  tracing_configuration TEXT NOT NULL,
  creation_ms           INTEGER NOT NULL,
  update_ms             INTEGER NOT NULL
) WITHOUT ROWID;

-- Revisions are never deleted with their machine: executions keep running on the revision
-- they started from after UpdateStateMachine or DeleteStateMachine.
CREATE TABLE definition_revisions (
  revision_id       TEXT PRIMARY KEY,
  state_machine_arn TEXT NOT NULL,
  definition        TEXT NOT NULL,
  role_arn          TEXT NOT NULL,
  created_ms        INTEGER NOT NULL
);
CREATE INDEX definition_revisions_by_machine ON definition_revisions (state_machine_arn);

CREATE TABLE activities (
  arn         TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  creation_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- No foreign key to state_machines: executions (and their history) outlive a deleted machine.
CREATE TABLE executions (
  id                INTEGER PRIMARY KEY,  -- allocated by the store before the first write
  arn               TEXT NOT NULL UNIQUE,
  state_machine_arn TEXT NOT NULL,
  name              TEXT NOT NULL,
  revision_id       TEXT NOT NULL,
  status            TEXT NOT NULL,
  input             TEXT NOT NULL,
  output            TEXT,
  error             TEXT,
  cause             TEXT,
  start_ms          INTEGER NOT NULL,
  stop_ms           INTEGER NOT NULL,
  state             TEXT NOT NULL,        -- the engine's runtime state (JSON)
  version           INTEGER NOT NULL,     -- optimistic concurrency: bumped by every write
  event_count       INTEGER NOT NULL,
  UNIQUE (state_machine_arn, name)
);
-- ListExecutions: newest first, by machine, optionally by status.
CREATE INDEX executions_by_machine ON executions (state_machine_arn, id DESC);
CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status, id DESC);
-- Recovery scans only running executions; finished ones (the vast majority) stay out of it.
CREATE INDEX executions_running ON executions (id) WHERE status = 'RUNNING';

-- Clustered by execution so that reading one execution's history is one range scan.
CREATE TABLE history (
  execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  event_id     INTEGER NOT NULL,
  previous_id  INTEGER NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  type         TEXT NOT NULL,
  details      TEXT NOT NULL,
  PRIMARY KEY (execution_id, event_id)
) WITHOUT ROWID;

-- A waiting execution is a row here, not a thread: the scheduler reads the near future by due_ms.
CREATE TABLE timers (
  execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  tag          TEXT NOT NULL,
  due_ms       INTEGER NOT NULL,
  PRIMARY KEY (execution_id, tag)
) WITHOUT ROWID;
CREATE INDEX timers_by_due ON timers (due_ms);

-- Activity queues. AUTOINCREMENT so that a task id is never reused, even after the newest task
-- was taken: ids are queue order and may be held by workers. No foreign key to activities: a
-- running execution may still queue work for an activity deleted under it.
CREATE TABLE activity_tasks (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  activity_arn TEXT NOT NULL,
  execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  task_seq     INTEGER NOT NULL,
  token        TEXT NOT NULL,
  input        TEXT NOT NULL,
  created_ms   INTEGER NOT NULL,
  UNIQUE (execution_id, task_seq)
);
CREATE INDEX activity_tasks_by_activity ON activity_tasks (activity_arn, id);

-- Effects written with the transition that caused them and dispatched after commit; whatever
-- is still here after a crash is dispatched again. id is dispatch order.
CREATE TABLE outbox (
  id           INTEGER PRIMARY KEY,
  execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  key          TEXT NOT NULL,
  kind         TEXT NOT NULL,
  payload      TEXT NOT NULL,
  created_ms   INTEGER NOT NULL,
  UNIQUE (execution_id, key)
);
