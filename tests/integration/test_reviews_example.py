"""The example pipeline in examples/reviews, run as its README runs it: against the embedded
SQLite target with nothing installed, against a real PostgreSQL (compared with psql), and with a
broken step, whose failure reaches the webhook and ends the execution.
"""
import json
import os
import shutil
import sqlite3
import unittest

import pg_harness
from stepd_harness import HttpReceiver, ServerTestCase, StepdServer

EXAMPLE = os.path.join(os.environ.get("STEPD_SOURCE_DIR", "../.."), "examples", "reviews")


def definition():
    with open(os.path.join(EXAMPLE, "pipeline.asl.json")) as f:
        return json.load(f)


class ReviewsExampleTest(ServerTestCase):
    def start_with(self, target, scripts_dir=None):
        server = StepdServer()
        config = {"scripts_dir": scripts_dir or os.path.join(EXAMPLE, "sql"),
                  "sql_targets": {"reviews": target(server)}}
        with open(server.config_path, "w") as f:
            json.dump(config, f)
        self.addCleanup(self._close_server, server)
        return server.start()

    def run_pipeline(self, server, input_obj):
        arn = server.create_state_machine("reviews", definition())
        ex = server.start_execution(arn, input_obj, name="run-1")
        return server.wait_status(ex, timeout=60)

    def products(self, desc):
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        out = json.loads(desc["output"])
        self.assertEqual(out["setup"]["Statements"], 6)
        self.assertEqual(out["load"]["Rows"], 6)  # nine landed, three before 2015
        return out["report"]["Products"]

    def test_on_the_embedded_target(self):
        db = {}

        def target(server):
            db["path"] = os.path.join(server.tmp, "reviews.db")
            return {"kind": "sqlite", "path": db["path"]}

        server = self.start_with(target)
        rows = self.products(self.run_pipeline(server, {}))
        self.assertEqual(rows, [
            [{"stringValue": "grinder"}, {"longValue": 2}, {"doubleValue": 4.5}],
            [{"stringValue": "kettle"}, {"longValue": 2}, {"doubleValue": 3.0}],
            [{"stringValue": "toaster"}, {"longValue": 2}, {"doubleValue": 4.0}]])
        with sqlite3.connect(db["path"]) as conn:
            self.assertEqual(conn.execute("SELECT min(year) FROM reviews").fetchone()[0], 2015)

    def test_on_postgresql_matches_psql(self):
        with pg_harness.PostgresServer() as pg:
            pg.psql("postgres", "CREATE DATABASE reviews")
            os.environ["STEPD_TEST_REVIEWS_PASSWORD"] = pg_harness.PASSWORD
            server = self.start_with(lambda s: {
                "conninfo": pg.conninfo("reviews"), "user": pg_harness.USER,
                "password_env": "STEPD_TEST_REVIEWS_PASSWORD", "max_connections": 4})
            rows = self.products(self.run_pipeline(server, {}))
            expected = pg.psql("reviews", "SELECT product, review_count, avg_stars "
                                          "FROM review_report ORDER BY product")
            self.assertEqual(rows, [[{"stringValue": p}, {"longValue": int(n)},
                                     {"stringValue": avg}] for p, n, avg in expected])
            self.assertEqual(expected[0], ["grinder", "2", "4.50"])

    def test_a_failing_step_notifies_the_webhook_and_fails(self):
        scripts = None

        def target(server):
            nonlocal scripts
            scripts = os.path.join(server.tmp, "sql")
            shutil.copytree(os.path.join(EXAMPLE, "sql"), scripts)
            with open(os.path.join(scripts, "load.sql")) as f:
                broken = f.read().replace("FROM raw_reviews", "FROM raw_reviewz")
            with open(os.path.join(scripts, "load.sql"), "w") as f:
                f.write(broken)
            return {"kind": "sqlite", "path": os.path.join(server.tmp, "reviews.db")}

        hook = HttpReceiver()
        self.addCleanup(hook.close)
        server = StepdServer()
        config_target = target(server)
        with open(server.config_path, "w") as f:
            json.dump({"scripts_dir": scripts, "sql_targets": {"reviews": config_target}}, f)
        self.addCleanup(self._close_server, server)
        server.start()
        desc = self.run_pipeline(server, {"notify_url": hook.url + "/hook"})
        self.assertEqual(desc["status"], "FAILED", desc)
        self.assertEqual(desc["error"], "ReviewsPipelineFailed")
        self.assertIn("raw_reviewz", desc["cause"])
        posted = hook.wait_for(1)[0]
        self.assertEqual(posted["path"], "/hook")
        self.assertEqual(posted["body"]["pipeline"], "reviews")
        self.assertEqual(posted["body"]["error"], "RedshiftData.ExecuteStatementException")
        # Setup committed before Load failed; Report never ran.
        with sqlite3.connect(config_target["path"]) as conn:
            self.assertEqual(conn.execute("SELECT count(*) FROM raw_reviews").fetchone()[0], 9)
            self.assertEqual(conn.execute("SELECT count(*) FROM reviews").fetchone()[0], 0)
            self.assertIsNone(conn.execute("SELECT name FROM sqlite_master "
                                           "WHERE name = 'review_report'").fetchone())


if __name__ == "__main__":
    unittest.main()
