-- stepd schema version 5, PostgreSQL dialect (keep migrations/sqlite/0005_callback_tasks.sql in
-- step): how many of an execution's open tasks wait for a worker's SendTaskSuccess/Failure
-- (activity tasks and .waitForTaskToken tasks), written with every step of the execution and 0
-- once it closes. GET /metrics sums it (stepd_callback_tasks_waiting) over the partial index,
-- which holds only the executions that wait for a callback.
ALTER TABLE executions ADD COLUMN callback_tasks BIGINT NOT NULL DEFAULT 0;
CREATE INDEX executions_waiting_callbacks ON executions (callback_tasks) WHERE callback_tasks > 0;
