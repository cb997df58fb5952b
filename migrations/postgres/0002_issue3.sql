-- stepd schema version 2, PostgreSQL dialect: the same tables, columns and indexes as
-- migrations/sqlite/0002_issue3.sql (keep the two in step).

-- COLLATE "C": keys order and compare as bytes, as in SQLite, so that reads and erases by key
-- prefix are range conditions on the primary key (key >= prefix AND key < successor).
CREATE TABLE execution_data (
  execution_id BIGINT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  key          TEXT COLLATE "C" NOT NULL,
  value        TEXT NOT NULL,
  PRIMARY KEY (execution_id, key)
);

ALTER TABLE executions ADD COLUMN redrive_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN redrive_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN redrive_token TEXT NOT NULL DEFAULT '';
CREATE INDEX executions_redriven ON executions (state_machine_arn, id DESC)
  WHERE redrive_count > 0;
