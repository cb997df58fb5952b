-- stepd schema version 2, SQLite dialect (keep migrations/postgres/0002_issue3.sql in step):
-- execution data rows and RedriveExecution bookkeeping.

-- Keyed values the engine keeps beside an execution's runtime state (a Map's pending items, its
-- finished iteration results ...), so that a big Map does not rewrite them all on every step.
-- Keys are compared as bytes (BINARY collation): the store reads and erases by key prefix with
-- range conditions on the primary key, never with LIKE.
CREATE TABLE execution_data (
  execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  key          TEXT NOT NULL,
  value        TEXT NOT NULL,
  PRIMARY KEY (execution_id, key)
) WITHOUT ROWID;

-- RedriveExecution: redrives started so far, when the last one started (0 = never) and the
-- clientToken it carried.
ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN redrive_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN redrive_token TEXT NOT NULL DEFAULT '';
-- ListExecutions with redriveFilter=REDRIVEN: redriven executions are few, so they get a small
-- index of their own instead of a scan over every execution of the machine.
CREATE INDEX executions_redriven ON executions (state_machine_arn, id DESC)
  WHERE redrive_count > 0;
