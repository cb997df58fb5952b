"""SQL steps through the live server against a real PostgreSQL (started by pg_harness on a free
port in a temporary directory): every Redshift Data API resource, the .sync step, SQL files,
cancellation on StopExecution and TimeoutSeconds, a killed backend, a restarted database, 1,000
steps over eight connections, parameters that try to be SQL, and the embedded SQLite target.
What stepd reports is compared with what psql sees.
"""
import json
import os
import threading
import time
import unittest
import uuid

import pg_harness
from stepd_harness import ServerTestCase, StepdServer, wait_until

SYNC = "arn:aws:states:::redshift-data:executeStatement.sync"
BATCH_SYNC = "arn:aws:states:::redshift-data:batchExecuteStatement.sync"
SDK = "arn:aws:states:::aws-sdk:redshiftdata:"


def task(resource, params, **extra):
    state = {"Type": "Task", "Resource": resource, "Parameters": params}
    state.update(extra)
    if "Next" not in state:
        state["End"] = True
    return state


def machine(states, start_at=None):
    return {"StartAt": start_at or next(iter(states)), "States": states}


class SqlStepsTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = pg_harness.PostgresServer()
        cls.pg.psql("postgres", "CREATE DATABASE other")

    @classmethod
    def tearDownClass(cls):
        cls.pg.close()

    def setUp(self):
        self.scripts = None
        self.server = self.start_sql_server()

    def start_sql_server(self, max_connections=8, extra_targets=None):
        server = StepdServer(extra_config={})
        self.scripts = os.path.join(server.tmp, "sql")
        os.makedirs(self.scripts)
        secret = os.path.join(server.tmp, "pg-password")
        with open(secret, "w") as f:
            f.write(pg_harness.PASSWORD + "\n")
        os.chmod(secret, 0o600)
        targets = {
            "warehouse": {"conninfo": self.pg.conninfo(), "user": pg_harness.USER,
                          "password_file": secret, "max_connections": max_connections,
                          "secret_arns": ["arn:aws:secretsmanager:us-east-1:123456789012:"
                                          "secret:warehouse-AbCdEf"]},
            "demo": {"kind": "sqlite", "path": os.path.join(server.tmp, "demo.db")},
        }
        targets.update(extra_targets or {})
        config = {"activity_poll_seconds": 60, "scripts_dir": self.scripts,
                  "sql_targets": targets}
        with open(server.config_path, "w") as f:
            json.dump(config, f)
        self.addCleanup(self._close_server, server)
        server.start()
        return server

    # --- helpers

    def run_machine(self, definition, input_obj=None, timeout=60, server=None):
        server = server or self.server
        name = "sm-" + uuid.uuid4().hex[:12]
        arn = server.create_state_machine(name, definition)
        ex = server.start_execution(arn, input_obj or {})
        desc = server.wait_status(ex, timeout=timeout)
        return desc, server.history(ex)

    def sync(self, sql, **params):
        p = {"ClusterIdentifier": "warehouse", "Database": pg_harness.DATABASE, "Sql": sql}
        p.update(params)
        return p

    def output(self, desc):
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        return json.loads(desc["output"])

    def failure(self, desc):
        self.assertEqual(desc["status"], "FAILED", desc)
        return desc.get("error"), desc.get("cause", "")

    def psql(self, sql):
        return self.pg.psql(pg_harness.DATABASE, sql)

    def backends_running(self, pattern):
        # `query` keeps the last statement of an idle backend: only active ones count.
        rows = self.psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
                         f"query LIKE '%{pattern}%' AND pid <> pg_backend_pid()")
        return int(rows[0][0])

    # --- the .sync step

    def test_sync_step_results_match_psql(self):
        self.psql("DROP TABLE IF EXISTS reviews; CREATE TABLE reviews (id int, stars int, "
                  "body text, score numeric(4,2), ok boolean, ratio float8)")
        definition = machine({
            "Insert": task(BATCH_SYNC, {
                "ClusterIdentifier": "warehouse", "Database": pg_harness.DATABASE,
                "Sqls": ["INSERT INTO reviews VALUES (1, 5, 'great', 4.50, true, 0.25)",
                         "INSERT INTO reviews VALUES (2, 3, NULL, 1.25, false, 1.5)"]},
                ResultPath="$.insert", Next="Select"),
            "Select": task(SYNC, self.sync("SELECT id, stars, body, score, ok, ratio FROM "
                                           "reviews WHERE stars >= :min ORDER BY id",
                                           Parameters=[{"name": "min", "value": "1"}],
                                           IncludeResult=True)),
        })
        desc, _ = self.run_machine(definition)
        out = self.output(desc)
        self.assertEqual(out["Status"], "FINISHED")
        self.assertTrue(out["HasResultSet"])
        self.assertEqual(out["ResultRows"], 2)
        self.assertEqual([c["name"] for c in out["ColumnMetadata"]],
                         ["id", "stars", "body", "score", "ok", "ratio"])
        psql_rows = self.psql("SELECT id, stars, coalesce(body, '<null>'), score, ok, ratio "
                              "FROM reviews ORDER BY id")
        self.assertEqual(len(out["Records"]), len(psql_rows))
        for rec, row in zip(out["Records"], psql_rows):
            self.assertEqual(rec[0], {"longValue": int(row[0])})
            self.assertEqual(rec[1], {"longValue": int(row[1])})
            if row[2] == "<null>":
                self.assertEqual(rec[2], {"isNull": True})
            else:
                self.assertEqual(rec[2], {"stringValue": row[2]})
            self.assertEqual(rec[3], {"stringValue": row[3]})
            self.assertEqual(rec[4], {"booleanValue": row[4] == "t"})
            self.assertEqual(rec[5], {"doubleValue": float(row[5])})

    def test_parameters_with_quotes_and_semicolons_are_data(self):
        self.psql("DROP TABLE IF EXISTS notes; CREATE TABLE notes (body text)")
        evil = "x'); DROP TABLE notes; --"
        definition = machine({
            "Insert": task(SYNC, self.sync("INSERT INTO notes VALUES (:body)",
                                           Parameters=[{"name": "body", "value.$": "$.body"}]),
                           ResultPath=None, Next="Read"),
            "Read": task(SYNC, self.sync("SELECT body FROM notes", IncludeResult=True)),
        })
        desc, _ = self.run_machine(definition, {"body": evil})
        out = self.output(desc)
        self.assertEqual(out["Records"], [[{"stringValue": evil}]])
        self.assertEqual(self.psql("SELECT body FROM notes"), [[evil]])

    def test_failing_statement_fails_the_task_with_sqlstate(self):
        definition = machine({"Q": task(SYNC, self.sync("SELECT * FROM no_such_table"))})
        desc, history = self.run_machine(definition)
        error, cause = self.failure(desc)
        self.assertEqual(error, "RedshiftData.ExecuteStatementException")
        self.assertIn("42P01", cause)
        self.assertIn("no_such_table", cause)
        self.assertIn("TaskFailed", [e["type"] for e in history])

    def test_batch_runs_as_one_transaction(self):
        self.psql("DROP TABLE IF EXISTS batch_t; CREATE TABLE batch_t (v int)")
        definition = machine({"B": task(BATCH_SYNC, {
            "ClusterIdentifier": "warehouse", "Database": pg_harness.DATABASE,
            "Sqls": ["INSERT INTO batch_t VALUES (1)", "INSERT INTO batch_t VALUES ('nope')",
                     "INSERT INTO batch_t VALUES (3)"]})})
        desc, _ = self.run_machine(definition)
        error, cause = self.failure(desc)
        self.assertEqual(error, "RedshiftData.BatchExecuteStatementException")
        self.assertIn("22P02", cause)
        self.assertIn("2", cause)
        self.assertEqual(self.psql("SELECT count(*) FROM batch_t"), [["0"]])

    def test_unknown_target_fails_naming_it(self):
        definition = machine({"Q": task(SYNC, {"ClusterIdentifier": "nowhere",
                                               "Database": "dev", "Sql": "SELECT 1"})})
        desc, _ = self.run_machine(definition)
        error, cause = self.failure(desc)
        self.assertTrue(error.startswith("RedshiftData."), error)
        self.assertIn("nowhere", cause)

    def test_secret_arn_and_database_override(self):
        definition = machine({"Q": task(SYNC, {
            "SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:warehouse-AbCdEf",
            "Database": "other", "Sql": "SELECT current_database()", "IncludeResult": True})})
        out = self.output(self.run_machine(definition)[0])
        self.assertEqual(out["Records"], [[{"stringValue": "other"}]])

    def test_result_over_256k_is_data_limit_exceeded(self):
        definition = machine({"Q": task(SYNC, self.sync(
            "SELECT repeat('x', 1000) FROM generate_series(1, 400)", IncludeResult=True))})
        error, cause = self.failure(self.run_machine(definition)[0])
        self.assertEqual(error, "States.DataLimitExceeded")
        self.assertIn("UNLOAD", cause)

    # --- SQL files

    def test_sql_file_runs_a_nasty_script_in_order(self):
        with open(os.path.join(self.scripts, "setup.sql"), "w") as f:
            f.write("""-- a comment; with a semicolon
DROP TABLE IF EXISTS script_t;
CREATE TABLE script_t (v text);
/* block; comment */ INSERT INTO script_t VALUES ('a;b'), ('it''s');
CREATE OR REPLACE FUNCTION script_f() RETURNS text AS $$
BEGIN RETURN 'x;y'; END;
$$ LANGUAGE plpgsql;
INSERT INTO script_t SELECT script_f();
""")
        definition = machine({"F": task(SYNC, {"ClusterIdentifier": "warehouse",
                                               "Database": pg_harness.DATABASE,
                                               "SqlFile": "setup.sql"})})
        out = self.output(self.run_machine(definition)[0])
        self.assertEqual(out["Status"], "FINISHED")
        self.assertEqual(len(out.get("SubStatements", [])), 5)
        self.assertEqual(sorted(r[0] for r in self.psql("SELECT v FROM script_t")),
                         ["a;b", "it's", "x;y"])

    def test_sql_file_cannot_escape_the_scripts_directory(self):
        for name in ("../config.json", "/etc/passwd"):
            definition = machine({"F": task(SYNC, {"ClusterIdentifier": "warehouse",
                                                   "Database": pg_harness.DATABASE,
                                                   "SqlFile": name})})
            error, cause = self.failure(self.run_machine(definition)[0])
            self.assertEqual(error, "RedshiftData.ValidationException", cause)

    # --- the aws-sdk resources

    def test_aws_sdk_resources_poll_like_on_aws(self):
        self.psql("DROP TABLE IF EXISTS sdk_t; CREATE TABLE sdk_t (v int); "
                  "INSERT INTO sdk_t SELECT generate_series(1, 5)")
        definition = machine({
            "Execute": task(SDK + "executeStatement", {
                "ClusterIdentifier": "warehouse", "Database": pg_harness.DATABASE,
                "Sql": "SELECT v FROM sdk_t ORDER BY v", "StatementName": "sdk-test"},
                ResultPath="$.exec", Next="Describe"),
            "Describe": task(SDK + "describeStatement", {"Id.$": "$.exec.Id"},
                             ResultPath="$.desc", Next="Done?"),
            "Done?": {"Type": "Choice", "Choices": [
                {"Variable": "$.desc.Status", "StringEquals": "FINISHED", "Next": "Result"},
                {"Variable": "$.desc.Status", "StringEquals": "FAILED", "Next": "Boom"}],
                "Default": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Describe"},
            "Boom": {"Type": "Fail", "Error": "StatementFailed"},
            "Result": task(SDK + "getStatementResult", {"Id.$": "$.exec.Id"},
                           ResultPath="$.result", Next="List"),
            "List": task(SDK + "listStatements", {"StatementName": "sdk-test"},
                         ResultPath="$.list"),
        })
        out = self.output(self.run_machine(definition)[0])
        self.assertEqual(out["desc"]["Status"], "FINISHED")
        self.assertEqual(out["desc"]["ResultRows"], 5)
        self.assertEqual(out["result"]["TotalNumRows"], 5)
        self.assertEqual([r[0]["longValue"] for r in out["result"]["Records"]],
                         [int(r[0]) for r in self.psql("SELECT v FROM sdk_t ORDER BY v")])
        self.assertEqual([s["Id"] for s in out["list"]["Statements"]], [out["exec"]["Id"]])

    def test_cancel_statement_resource_cancels_on_the_server(self):
        definition = machine({
            "Execute": task(SDK + "executeStatement", self.sync("SELECT pg_sleep(60)"),
                            ResultPath="$.exec", Next="Running?"),
            "Running?": task(SDK + "describeStatement", {"Id.$": "$.exec.Id"},
                             ResultPath="$.desc", Next="Check"),
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$.desc.Status", "StringEquals": "STARTED", "Next": "Cancel"}],
                "Default": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Running?"},
            "Cancel": task(SDK + "cancelStatement", {"Id.$": "$.exec.Id"},
                           ResultPath="$.cancel", Next="After"),
            "After": {"Type": "Wait", "Seconds": 1, "Next": "Final"},
            "Final": task(SDK + "describeStatement", {"Id.$": "$.exec.Id"}, ResultPath="$.final"),
        })
        out = self.output(self.run_machine(definition)[0])
        self.assertEqual(out["cancel"], {"Status": True})
        self.assertEqual(out["final"]["Status"], "ABORTED")
        wait_until(lambda: self.backends_running("pg_sleep(60)") == 0, timeout=2,
                   what="the cancelled statement to leave pg_stat_activity")

    def test_aws_cli_redshift_data_follows_and_starts_statements(self):
        """`aws redshift-data --endpoint-url` talks to the same emulation the steps use."""
        def cli(*args, check=True):
            return self.server.aws_cli(*args, check=check, service="redshift-data")

        self.psql("DROP TABLE IF EXISTS cli_t; CREATE TABLE cli_t (v int, s text); "
                  "INSERT INTO cli_t VALUES (1, 'one'), (2, NULL)")
        started = cli("execute-statement", "--cluster-identifier", "warehouse",
                      "--database", pg_harness.DATABASE, "--statement-name", "from-cli",
                      "--sql", "SELECT v, s FROM cli_t WHERE v >= :min ORDER BY v",
                      "--parameters", "name=min,value=1")
        self.assertEqual(started["ClusterIdentifier"], "warehouse")
        statement_id = started["Id"]
        desc = wait_until(lambda: (lambda d: d if d["Status"] == "FINISHED" else None)(
            cli("describe-statement", "--id", statement_id)), what="the statement to finish")
        self.assertEqual(desc["ResultRows"], 2)
        self.assertTrue(desc["HasResultSet"])
        self.assertEqual(desc["QueryString"], "SELECT v, s FROM cli_t WHERE v >= :min ORDER BY v")
        result = cli("get-statement-result", "--id", statement_id)
        self.assertEqual(result["Records"], [[{"longValue": 1}, {"stringValue": "one"}],
                                             [{"longValue": 2}, {"isNull": True}]])
        self.assertEqual([c["name"] for c in result["ColumnMetadata"]], ["v", "s"])
        listed = cli("list-statements", "--statement-name", "from-cli")
        self.assertEqual([s["Id"] for s in listed["Statements"]], [statement_id])
        missing = cli("describe-statement", "--id", str(uuid.uuid4()), check=False)
        self.assertIn("ResourceNotFoundException", missing["stderr"])

    # --- cancellation of .sync steps

    def test_stop_execution_cancels_the_statement(self):
        arn = self.server.create_state_machine(
            "sleeper", machine({"Q": task(SYNC, self.sync("SELECT pg_sleep(60) AS stop_me"))}))
        ex = self.server.start_execution(arn, {})
        wait_until(lambda: self.backends_running("stop_me") == 1, timeout=10,
                   what="the statement to start")
        self.server.aws_json("StopExecution", {"executionArn": ex, "error": "Stopped"})
        stopped = time.monotonic()
        wait_until(lambda: self.backends_running("stop_me") == 0, timeout=2,
                   what="the statement to be cancelled")
        self.assertLess(time.monotonic() - stopped, 2.0)
        self.assertEqual(self.server.describe(ex)["status"], "ABORTED")
        self.assert_pool_still_works()

    def test_timeout_seconds_cancels_the_statement(self):
        definition = machine({"Q": task(SYNC, self.sync("SELECT pg_sleep(60) AS time_me_out"),
                                        TimeoutSeconds=2)})
        name = "sm-" + uuid.uuid4().hex[:12]
        arn = self.server.create_state_machine(name, definition)
        ex = self.server.start_execution(arn, {})
        desc = self.server.wait_status(ex, timeout=30)
        ended = time.monotonic()
        self.assertEqual(desc["status"], "FAILED")
        self.assertEqual(desc["error"], "States.Timeout")
        wait_until(lambda: self.backends_running("time_me_out") == 0, timeout=2,
                   what="the timed-out statement to be cancelled")
        self.assertLess(time.monotonic() - ended, 2.0)
        self.assert_pool_still_works()

    def test_a_failing_sibling_branch_cancels_the_statement(self):
        definition = machine({"P": {"Type": "Parallel", "End": True, "Branches": [
            machine({"Q": task(SYNC, self.sync("SELECT pg_sleep(60) AS sibling_of_failure"))}),
            machine({"W": {"Type": "Wait", "Seconds": 1, "Next": "F"},
                     "F": {"Type": "Fail", "Error": "Boom", "Cause": "the other branch"}})]}})
        arn = self.server.create_state_machine("sm-" + uuid.uuid4().hex[:12], definition)
        ex = self.server.start_execution(arn, {})
        wait_until(lambda: self.backends_running("sibling_of_failure") == 1, timeout=10,
                   what="the statement to start")
        desc = self.server.wait_status(ex, timeout=30)
        failed = time.monotonic()
        self.assertEqual(desc["error"], "Boom")
        wait_until(lambda: self.backends_running("sibling_of_failure") == 0, timeout=2,
                   what="the sibling's statement to be cancelled")
        self.assertLess(time.monotonic() - failed, 2.0)

    def assert_pool_still_works(self):
        out = self.output(self.run_machine(
            machine({"Q": task(SYNC, self.sync("SELECT 41 + 1", IncludeResult=True))}))[0])
        self.assertEqual(out["Records"], [[{"longValue": 42}]])

    # --- faults

    def test_killed_backend_fails_the_task_and_retry_succeeds(self):
        self.psql("DROP TABLE IF EXISTS attempts; CREATE TABLE attempts (n int)")
        definition = machine({"Q": task(SYNC, self.sync(
            "INSERT INTO attempts SELECT 1 FROM (SELECT pg_sleep(CASE WHEN count(*) = 0 THEN 30 "
            "ELSE 0 END) FROM attempts) s"),
            Retry=[{"ErrorEquals": ["RedshiftData.DatabaseConnectionException"],
                    "IntervalSeconds": 1, "MaxAttempts": 2}])})
        name = "sm-" + uuid.uuid4().hex[:12]
        arn = self.server.create_state_machine(name, definition)
        ex = self.server.start_execution(arn, {})
        wait_until(lambda: self.backends_running("pg_sleep(CASE") == 1, timeout=10,
                   what="the statement to start")
        self.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE query LIKE '%pg_sleep(CASE%' AND pid <> pg_backend_pid()")
        # The first attempt died with its backend and inserted nothing; the retry inserts once.
        self.psql("INSERT INTO attempts VALUES (0)")
        desc = self.server.wait_status(ex, timeout=30)
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        failed = [e for e in self.server.history(ex) if e["type"] == "TaskFailed"]
        self.assertEqual(len(failed), 1)
        details = failed[0]["taskFailedEventDetails"]
        self.assertEqual(details["error"], "RedshiftData.DatabaseConnectionException")
        self.assertTrue(details.get("cause"), details)
        self.assertEqual(self.psql("SELECT count(*) FROM attempts WHERE n = 1"), [["1"]])

    def test_pool_reconnects_after_the_database_restarts(self):
        self.assert_pool_still_works()
        self.pg.stop()
        try:
            error, cause = self.failure(self.run_machine(
                machine({"Q": task(SYNC, self.sync("SELECT 1"))}), timeout=60)[0])
            self.assertEqual(error, "RedshiftData.DatabaseConnectionException")
            self.assertNotIn(pg_harness.PASSWORD, cause)
        finally:
            self.pg.start()
        self.assert_pool_still_works()

    # --- load

    def test_a_thousand_steps_over_eight_connections(self):
        arn = self.server.create_state_machine("load", machine({"Q": task(SYNC, self.sync(
            "SELECT :n::int * 2 AS doubled, pg_sleep(0.001)",
            Parameters=[{"name": "n", "value.$": "States.Format('{}', $.n)"}],
            IncludeResult=True), ResultSelector={"v.$": "$.Records[0][0].longValue"})}))
        self.assert_pool_still_works()  # threads started on first use exist before the count
        pid = self.server.proc.pid
        threads_before = len(os.listdir(f"/proc/{pid}/task"))
        peak = {"threads": threads_before, "backends": 0}
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                peak["threads"] = max(peak["threads"], len(os.listdir(f"/proc/{pid}/task")))
                rows = self.psql("SELECT count(*) FROM pg_stat_activity "
                                 "WHERE application_name = 'stepd'")
                peak["backends"] = max(peak["backends"], int(rows[0][0]))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            executions = [self.server.start_execution(arn, {"n": n}) for n in range(1000)]
            for n, ex in enumerate(executions):
                desc = self.server.wait_status(ex, timeout=120)
                self.assertEqual(json.loads(desc.get("output", "null")), {"v": 2 * n}, desc)
        finally:
            stop.set()
            watcher.join()
        self.assertLessEqual(peak["backends"], 8)
        # No thread per statement: the process has the same threads under load as before it.
        self.assertLessEqual(peak["threads"], threads_before + 2, peak)

    # --- durability of statements

    def test_statements_survive_a_restart(self):
        definition = machine({"Q": task(SDK + "executeStatement",
                                        self.sync("SELECT 7 AS seven"))})
        out = self.output(self.run_machine(definition)[0])
        statement_id = out["Id"]
        wait_until(lambda: self.describe_statement(statement_id)["Status"] == "FINISHED",
                   what="the statement to finish")
        self.server.kill9()
        self.server.start()
        desc = self.describe_statement(statement_id)
        self.assertEqual(desc["Status"], "FINISHED")
        result = self.output(self.run_machine(machine({"R": task(
            SDK + "getStatementResult", {"Id": statement_id})}))[0])
        self.assertEqual(result["Records"], [[{"longValue": 7}]])

    def test_a_step_cut_off_by_kill_9_fails_instead_of_running_twice(self):
        self.psql("DROP TABLE IF EXISTS runs; CREATE TABLE runs (n int)")
        definition = machine({
            "Q": task(SYNC, self.sync("INSERT INTO runs SELECT 1 FROM pg_sleep(4) AS killed_midway"),
                      Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err",
                              "Next": "Caught"}]),
            "Caught": {"Type": "Pass", "End": True}})
        arn = self.server.create_state_machine("sm-" + uuid.uuid4().hex[:12], definition)
        ex = self.server.start_execution(arn, {})
        wait_until(lambda: self.backends_running("killed_midway") == 1, timeout=10,
                   what="the statement to start")
        self.server.kill9()
        self.server.start()
        desc = self.server.wait_status(ex, timeout=30)
        out = self.output(desc)
        self.assertEqual(out["err"]["Error"], "RedshiftData.ExecuteStatementException")
        self.assertIn("stepd stopped while the statement was running", out["err"]["Cause"])
        # The orphaned backend may still finish its one insert; the step never ran a second.
        wait_until(lambda: self.backends_running("killed_midway") == 0, timeout=10,
                   what="the orphaned statement to end")
        self.assertLessEqual(int(self.psql("SELECT count(*) FROM runs")[0][0]), 1)

    def describe_statement(self, statement_id):
        return self.output(self.run_machine(machine({"D": task(
            SDK + "describeStatement", {"Id": statement_id})}))[0])

    # --- the embedded target

    def test_embedded_sqlite_target(self):
        definition = machine({
            "Setup": task(BATCH_SYNC, {"ClusterIdentifier": "demo", "Database": "main", "Sqls": [
                "CREATE TABLE IF NOT EXISTS t (id INTEGER, name TEXT, score REAL)",
                "DELETE FROM t",
                "INSERT INTO t VALUES (1, 'a', 1.5), (2, NULL, 2.5)"]},
                ResultPath=None, Next="Read"),
            "Read": task(SYNC, {"ClusterIdentifier": "demo", "Database": "main",
                                "Sql": "SELECT id, name, score FROM t WHERE id >= :min ORDER BY id",
                                "Parameters": [{"name": "min", "value": "1"}],
                                "IncludeResult": True}),
        })
        out = self.output(self.run_machine(definition)[0])
        self.assertEqual(out["Records"], [
            [{"longValue": 1}, {"stringValue": "a"}, {"doubleValue": 1.5}],
            [{"longValue": 2}, {"isNull": True}, {"doubleValue": 2.5}]])


if __name__ == "__main__":
    unittest.main()
