-- stepd schema version 6, SQLite dialect (keep migrations/postgres/0006_ascending_indexes.sql in
-- step): the ListExecutions indexes in ascending id order. Declared `id DESC`, every new
-- execution (the largest id of its machine) went to the left end of its machine's range, where a
-- page that fills is split in two halves that new rows never go back to: the two indexes ended
-- up half empty (measured with dbstat on 20,000 waiting executions: 161 of 321 bytes per
-- execution unused). Ascending, new ids append at the right end, where SQLite fills pages whole;
-- ORDER BY id DESC reads the same index backwards (no sort step: see store_test's
-- ListExecutionsReadsItsIndexesWithoutSorting).
DROP INDEX executions_by_machine;
CREATE INDEX executions_by_machine ON executions (state_machine_arn, id);
DROP INDEX executions_by_machine_status;
CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status, id);
DROP INDEX executions_redriven;
CREATE INDEX executions_redriven ON executions (state_machine_arn, id) WHERE redrive_count > 0;
