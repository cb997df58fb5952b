"""GET /metrics against a real stepd: executions that succeed, fail and are stopped, an activity
task taken by a waiting poller and answered with SendTaskSuccess, SQL steps on the embedded
SQLite target, then one scrape parsed strictly (every line a HELP, a TYPE or a sample of a typed
family) and exact counter values checked. With access keys, /metrics needs an admin or operator
key; without any it is open like the rest of a loopback server."""
import json
import os
import re
import threading
import unittest
import urllib.request

from stepd_harness import ApiError, ServerTestCase, _send, activity_arn, wait_until
from test_auth import create_key

SYNC = "arn:aws:states:::redshift-data:executeStatement.sync"

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(" + NAME + r")(\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_exposition(text):
    """Text format 0.0.4, strictly: {family: {"type", "help", "samples": [(name, labels, value)]}}.
    Fails on any line that is not a HELP, a TYPE or a sample of a family typed before it."""
    families = {}
    assert text.endswith("\n"), "the page must end with a newline"
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            name, _, help_text = line[len("# HELP "):].partition(" ")
            assert re.fullmatch(NAME, name), line
            families.setdefault(name, {"samples": []})["help"] = help_text
            continue
        if line.startswith("# TYPE "):
            name, _, kind = line[len("# TYPE "):].partition(" ")
            assert re.fullmatch(NAME, name) and kind in TYPES, line
            fam = families.setdefault(name, {"samples": []})
            assert "type" not in fam and not fam["samples"], f"TYPE after samples: {line}"
            fam["type"] = kind
            continue
        assert not line.startswith("#") and line.strip(), f"unexpected line: {line!r}"
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        name, label_text, value = m.group(1), m.group(3), m.group(4)
        labels = {}
        if label_text:
            pos = 0
            while pos < len(label_text):
                lm = LABEL.match(label_text, pos)
                assert lm, f"bad labels in {line!r}"
                assert lm.group(1) not in labels, f"repeated label in {line!r}"
                labels[lm.group(1)] = (lm.group(2).replace("\\n", "\n").replace('\\"', '"')
                                       .replace("\\\\", "\\"))
                pos = lm.end()
        float(value)  # +Inf, NaN and numbers all parse
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and families.get(base, {}).get("type") == "histogram":
                family = base
        assert family in families and "type" in families[family], f"untyped sample: {line!r}"
        families[family]["samples"].append((name, labels, float(value)))
    for name, fam in families.items():
        assert "type" in fam and "help" in fam, f"{name} lacks TYPE or HELP"
    return families


def value(families, name, **labels):
    """The value of the one sample `name` with exactly these labels (KeyError if none)."""
    family = families[re.sub(r"_(bucket|sum|count)$", "", name)] if name not in families \
        else families[name]
    for sample_name, sample_labels, v in family["samples"]:
        if sample_name == name and sample_labels == labels:
            return v
    raise KeyError(f"{name}{labels} not in {family['samples']}")


PASS2 = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                    "B": {"Type": "Pass", "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "asked"}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}


class MetricsTest(ServerTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.tmp = self.server.tmp
        self.scrapes = 0

    def scrape(self, headers=None):
        req = urllib.request.Request(self.server.endpoint + "/metrics", headers=headers or {})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers["Content-Type"], "text/plain; version=0.0.4")
            text = r.read().decode()
        self.scrapes += 1
        return parse_exposition(text)

    def start_server(self, **kwargs):
        # The embedded SQLite target: pool gauges and statement outcomes without a PostgreSQL.
        from stepd_harness import StepdServer
        server = StepdServer(**kwargs)
        config = {"activity_poll_seconds": 60,
                  "sql_targets": {"demo": {"kind": "sqlite",
                                           "path": os.path.join(server.tmp, "demo.db")}}}
        with open(server.config_path, "w") as f:
            json.dump(config, f)
        self.addCleanup(self._close_server, server)
        return server.start()

    def test_counters_gauges_and_histograms_after_a_known_workload(self):
        s = self.server
        pass_arn = s.create_state_machine("m-pass", PASS2)
        fail_arn = s.create_state_machine("m-fail", FAIL)
        wait_arn = s.create_state_machine("m-wait", WAIT)
        act = s.create_activity("m-act")
        act_arn = s.create_state_machine("m-activity", {"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": act, "End": True}}})
        sql_arn = s.create_state_machine("m-sql", {"StartAt": "Q", "States": {"Q": {
            "Type": "Task", "Resource": SYNC, "End": True,
            "Parameters": {"ClusterIdentifier": "demo", "Database": "main", "Sql.$": "$.sql"}}}})

        for _ in range(2):
            self.assertEqual(s.wait_status(s.start_execution(pass_arn))["status"], "SUCCEEDED")
        self.assertEqual(s.wait_status(s.start_execution(fail_arn))["status"], "FAILED")
        waiting = s.start_execution(wait_arn)
        s.aws_json("StopExecution", {"executionArn": waiting})
        self.assertEqual(s.describe(waiting)["status"], "ABORTED")
        ok = s.wait_status(s.start_execution(sql_arn, {"sql": "SELECT 1"}))
        self.assertEqual(ok["status"], "SUCCEEDED", ok)
        bad = s.wait_status(s.start_execution(sql_arn, {"sql": "SELEKT nonsense"}))
        self.assertEqual(bad["status"], "FAILED", bad)

        # A worker waits for a task before there is one: the poller gauge sees it.
        got = {}
        poll = threading.Thread(target=lambda: got.update(s.get_activity_task(act)))
        poll.start()
        def one_poller():
            try:
                return value(self.scrape(), "stepd_activity_pollers", activity="m-act") == 1
            except KeyError:  # the poll has not reached the server yet
                return False
        wait_until(one_poller, what="one waiting poller")
        answered = s.start_execution(act_arn, {"n": 1})
        poll.join(30)
        self.assertIn("taskToken", got)
        # Handed out, not answered: still waiting for its callback.
        self.assertEqual(value(self.scrape(), "stepd_callback_tasks_waiting"), 1)
        s.aws_json("SendTaskSuccess", {"taskToken": got["taskToken"], "output": "{}"})
        self.assertEqual(s.wait_status(answered)["status"], "SUCCEEDED")
        self.assertEqual(value(self.scrape(), "stepd_callback_tasks_waiting"), 0)
        # A second activity execution nobody polls for: queued, and open.
        s.start_execution(act_arn, {"n": 2})
        try:
            s.rest("GET", "/no/such/path")
        except ApiError as e:
            self.assertEqual(e.status, 404)

        scrapes_before = self.scrapes
        m = self.scrape()

        started = "stepd_executions_started_total"
        closed = "stepd_executions_total"
        self.assertEqual(m[started]["type"], "counter")
        self.assertEqual(value(m, started, state_machine="m-pass"), 2)
        self.assertEqual(value(m, started, state_machine="m-fail"), 1)
        self.assertEqual(value(m, started, state_machine="m-wait"), 1)
        self.assertEqual(value(m, started, state_machine="m-activity"), 2)
        self.assertEqual(value(m, started, state_machine="m-sql"), 2)
        self.assertEqual(value(m, closed, state_machine="m-pass", status="SUCCEEDED"), 2)
        self.assertEqual(value(m, closed, state_machine="m-pass", status="FAILED"), 0)
        self.assertEqual(value(m, closed, state_machine="m-fail", status="FAILED"), 1)
        self.assertEqual(value(m, closed, state_machine="m-wait", status="ABORTED"), 1)
        self.assertEqual(value(m, closed, state_machine="m-activity", status="SUCCEEDED"), 1)
        self.assertEqual(value(m, closed, state_machine="m-sql", status="SUCCEEDED"), 1)
        self.assertEqual(value(m, closed, state_machine="m-sql", status="FAILED"), 1)
        # Two Pass states per execution; one state each for the others.
        transitions = "stepd_state_transitions_total"
        self.assertEqual(value(m, transitions, state_machine="m-pass"), 4)
        self.assertEqual(value(m, transitions, state_machine="m-fail"), 1)
        self.assertEqual(value(m, transitions, state_machine="m-activity"), 2)

        self.assertEqual(m["stepd_open_executions"]["type"], "gauge")
        self.assertEqual(value(m, "stepd_open_executions"), 1)
        self.assertEqual(value(m, "stepd_activity_queue_depth", activity="m-act"), 1)
        self.assertEqual(value(m, "stepd_activity_pollers", activity="m-act"), 0)
        self.assertEqual(m["stepd_callback_tasks_waiting"]["type"], "gauge")
        self.assertEqual(value(m, "stepd_callback_tasks_waiting"), 1)  # the queued one

        self.assertEqual(value(m, "stepd_callbacks_total", kind="success", outcome="applied"), 1)
        self.assertEqual(value(m, "stepd_callbacks_total", kind="failure", outcome="applied"), 0)
        self.assertEqual(m["stepd_callback_duration_seconds"]["type"], "histogram")
        self.assertEqual(value(m, "stepd_callback_duration_seconds_count", kind="success"), 1)
        self.assertEqual(
            value(m, "stepd_callback_duration_seconds_bucket", kind="success", le="+Inf"), 1)

        http = "stepd_http_requests_total"
        self.assertEqual(value(m, http, action="StartExecution", status="200"), 8)
        self.assertEqual(value(m, http, action="StopExecution", status="200"), 1)
        self.assertEqual(value(m, http, action="SendTaskSuccess", status="200"), 1)
        self.assertEqual(value(m, http, action="CreateStateMachine", status="200"), 5)
        self.assertEqual(value(m, http, action="unknown", status="404"), 1)
        # This scrape is counted once its reply is out; the earlier ones are in.
        self.assertEqual(value(m, http, action="metrics", status="200"), scrapes_before)
        hist = m["stepd_http_request_duration_seconds"]
        self.assertEqual(hist["type"], "histogram")
        self.assertEqual(
            value(m, "stepd_http_request_duration_seconds_count", action="StartExecution"), 8)
        buckets = [(float(lab["le"]), v) for name, lab, v in hist["samples"]
                   if name.endswith("_bucket") and lab["action"] == "StartExecution"]
        self.assertGreater(len(buckets), 2)
        self.assertEqual(buckets[-1][0], float("inf"))
        self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets), "cumulative")
        self.assertEqual(buckets[-1][1], 8)

        # Every commit went through the group-commit writer.
        batches = value(m, "stepd_store_commit_batch_size_count")
        self.assertGreater(batches, 0)
        self.assertEqual(value(m, "stepd_store_commit_duration_seconds_count"), batches)
        self.assertGreaterEqual(value(m, "stepd_store_commit_batch_size_sum"), batches)

        self.assertEqual(value(m, "stepd_sql_statements_total", target="demo",
                               outcome="finished"), 1)
        self.assertEqual(value(m, "stepd_sql_statements_total", target="demo",
                               outcome="failed"), 1)
        self.assertEqual(value(m, "stepd_sql_statements_total", target="demo",
                               outcome="aborted"), 0)
        self.assertEqual(value(m, "stepd_sql_connections", target="demo", state="idle"), 1)
        self.assertEqual(value(m, "stepd_sql_connections", target="demo", state="busy"), 0)
        self.assertEqual(value(m, "stepd_sql_queue_length", target="demo"), 0)

        # Nothing is labelled by an execution ARN or a token.
        page = urllib.request.urlopen(self.server.endpoint + "/metrics", timeout=10).read().decode()
        self.assertNotIn(":execution:", page)
        self.assertNotIn(got["taskToken"], page)

    def test_with_keys_only_admin_and_operator_keys_may_scrape(self):
        admin = create_key(self.server.data_dir, "admin")
        operator = create_key(self.server.data_dir, "operator")
        worker = create_key(self.server.data_dir, "worker")

        def bearer(key):
            return {"Authorization": f"Bearer {key['access_key_id']}:{key['secret_access_key']}"}

        def refused(headers):
            req = urllib.request.Request(self.server.endpoint + "/metrics", headers=headers)
            with self.assertRaises(ApiError) as cm:
                _send(req, 10)
            return cm.exception

        self.assertEqual(refused({}).type, "MissingAuthenticationTokenException")
        self.assertEqual(refused(bearer(worker)).type, "AccessDeniedException")
        # A different last character (replacing it by a fixed one was the same secret 1 time in 62).
        secret = admin["secret_access_key"]
        bad = dict(admin, secret_access_key=secret[:-1] + ("y" if secret[-1] == "x" else "x"))
        self.assertEqual(refused(bearer(bad)).type, "UnrecognizedClientException")
        self.assertIn("stepd_http_requests_total", self.scrape(bearer(admin)))
        m = self.scrape(bearer(operator))
        # The refusals were answered and counted under the metrics action.
        self.assertEqual(value(m, "stepd_http_requests_total", action="metrics", status="400"), 3)
        with urllib.request.urlopen(self.server.endpoint + "/healthz", timeout=5) as r:
            self.assertEqual(r.status, 200)


if __name__ == "__main__":
    unittest.main()
