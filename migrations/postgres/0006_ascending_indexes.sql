-- stepd schema version 6, PostgreSQL dialect (keep migrations/sqlite/0006_ascending_indexes.sql in
-- step): the ListExecutions indexes in ascending id order, so that new executions append at the
-- right end of each machine's range (where B-tree pages split to stay full) instead of landing at
-- the left end (where split pages stay half empty). ORDER BY id DESC scans them backwards.
DROP INDEX executions_by_machine;
CREATE INDEX executions_by_machine ON executions (state_machine_arn, id);
DROP INDEX executions_by_machine_status;
CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status, id);
DROP INDEX executions_redriven;
CREATE INDEX executions_redriven ON executions (state_machine_arn, id) WHERE redrive_count > 0;
