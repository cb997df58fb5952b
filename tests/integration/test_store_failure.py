"""Store failure: when the database cannot be written (disk full), writes answer 503
ServiceUnavailable, reads go on, nothing of a failed write is left behind, and once space returns
the same writes succeed.

The full disk is real to the server: its file-size limit (RLIMIT_FSIZE, `ulimit -f`) is lowered
from outside with prlimit(2), so every write(2) it makes to a file fails as it would on a full
file system, and raised again to give the space back. No test hook in the server is involved."""
import json
import os
import resource
import sqlite3
import threading
import time
import unittest

from stepd_harness import ApiError, ServerTestCase, wait_until


def set_file_size_limit(pid, limit):
    _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, hard))


class StoreFailureTest(ServerTestCase):
    def setUp(self):
        self.server = self.start_server(extra_config={"activity_poll_seconds": 1})
        self.full = False
        self.addCleanup(self.give_space_back)

    def fill_disk(self):
        set_file_size_limit(self.server.proc.pid, 0)
        self.full = True

    def give_space_back(self):
        if self.full and self.server.proc:
            set_file_size_limit(self.server.proc.pid, resource.RLIM_INFINITY)
        self.full = False

    def assertUnavailable(self, fn, *args, **kwargs):
        err = self.assertApiError("ServiceUnavailable", fn, *args, status=503, **kwargs)
        self.assertIn("retry later", err.message)

    def test_disk_full_refuses_writes_serves_reads_and_recovers(self):
        s = self.server
        activity = s.create_activity("sf-work")
        act_sm = s.create_state_machine("sf-activity", {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": activity, "ResultPath": "$.r", "End": True}}})
        pass_sm = s.create_state_machine("sf-pass", {"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Result": 1, "ResultPath": "$.p", "End": True}}})
        done = s.start_execution(pass_sm, {"n": 0}, name="done")
        waiting = s.start_execution(act_sm, {"n": 1}, name="waiting")
        task = s.get_activity_task(activity, timeout=10)
        self.assertTrue(task.get("taskToken"))
        queued = s.start_execution(act_sm, {"n": 2}, name="queued")
        self.assertEqual(s.wait_status(done)["status"], "SUCCEEDED")
        wait_until(lambda: any(e["type"] == "ActivityScheduled" for e in s.history(queued)),
                   what="the second task queued")

        reads = {
            "describe": lambda: s.describe(waiting),
            "history": lambda: s.history(waiting),
            "executions": lambda: s.aws_json("ListExecutions", {"stateMachineArn": act_sm}),
            "machines": lambda: s.aws_json("ListStateMachines", {}),
            "machine": lambda: s.aws_json("DescribeStateMachine", {"stateMachineArn": act_sm}),
            "activities": lambda: s.aws_json("ListActivities", {}),
            "rest describe": lambda: s.rest("GET", "/v1/executions/sf-pass:done"),
        }
        before = {name: read() for name, read in reads.items()}

        self.fill_disk()
        self.assertUnavailable(s.aws_json, "StartExecution", {
            "stateMachineArn": pass_sm, "name": "refused-1", "input": "{}"})
        self.assertUnavailable(s.rest, "POST", "/v1/state-machines/sf-pass/executions",
                               {"name": "refused-2", "input": {}})
        self.assertUnavailable(s.aws_json, "SendTaskSuccess", {
            "taskToken": task["taskToken"], "output": json.dumps({"ok": 1})})
        self.assertUnavailable(s.aws_json, "CreateActivity", {"name": "refused-activity"})
        self.assertUnavailable(s.aws_json, "CreateStateMachine", {
            "name": "refused-machine", "roleArn": "arn:aws:iam::123456789012:role/x",
            "definition": json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})})
        self.assertUnavailable(s.aws_json, "StopExecution", {"executionArn": queued})
        # Handing out the queued task is a write too (ActivityStarted): refused, task kept.
        self.assertUnavailable(s.get_activity_task, activity, timeout=10)

        # Reads answer as before, and show nothing of the refused writes.
        for name, read in reads.items():
            self.assertEqual(read(), before[name], name)
        self.assertApiError("ExecutionDoesNotExist", s.describe,
                            f"{pass_sm.replace(':stateMachine:', ':execution:')}:refused-1")
        self.assertEqual(s.rest("GET", "/healthz"), {"status": "ok"})

        # A burst of starts while the disk fills, so that some batches fail part-way.
        answered = {}
        lock = threading.Lock()

        def starter(k):
            for i in range(40):
                name = f"burst-{k}-{i}"
                try:
                    s.aws_json("StartExecution", {"stateMachineArn": pass_sm, "name": name,
                                                  "input": "{}"}, timeout=10)
                    outcome = "ok"
                except ApiError as e:
                    outcome = e.type
                with lock:
                    answered[name] = outcome

        self.give_space_back()
        threads = [threading.Thread(target=starter, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.05)
        self.fill_disk()
        for t in threads:
            t.join(60)
        self.assertEqual(set(answered.values()) - {"ok", "ServiceUnavailable"}, set(), answered)

        # Space returns: the same writes succeed.
        self.give_space_back()
        refused = s.start_execution(pass_sm, {"n": 3}, name="refused-1")
        self.assertEqual(s.wait_status(refused)["status"], "SUCCEEDED")
        s.aws_json("SendTaskSuccess", {"taskToken": task["taskToken"], "output": json.dumps({"ok": 1})})
        d = s.wait_status(waiting)
        self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"n": 1, "r": {"ok": 1}}))
        self.assertEqual([e["type"] for e in s.history(waiting)].count("ActivitySucceeded"), 1)
        second = s.get_activity_task(activity, timeout=10)
        self.assertEqual(json.loads(second["input"]), {"n": 2})
        s.aws_json("SendTaskSuccess", {"taskToken": second["taskToken"], "output": "{}"})
        self.assertEqual(s.wait_status(queued)["status"], "SUCCEEDED")
        s.create_activity("refused-activity")

        # Starts that were refused left nothing; those acknowledged exist and finished.
        listed = {}
        token = None
        while True:
            body = {"stateMachineArn": pass_sm, "maxResults": 1000}
            if token:
                body["nextToken"] = token
            page = s.aws_json("ListExecutions", body)
            listed.update({e["name"]: e["status"] for e in page["executions"]})
            token = page.get("nextToken")
            if not token:
                break
        for name, outcome in answered.items():
            if outcome == "ok":
                self.assertEqual(s.wait_status(
                    f"{pass_sm.replace(':stateMachine:', ':execution:')}:{name}")["status"], "SUCCEEDED")
            else:
                self.assertNotIn(name, listed, f"{name} was refused but exists")
        self.assertNotIn("refused-2", listed)
        print(f"store failure: burst of {len(answered)} starts while the disk filled: "
              f"{sum(v == 'ok' for v in answered.values())} acknowledged, "
              f"{sum(v != 'ok' for v in answered.values())} refused with 503", flush=True)

        # Stopped cleanly, the file is whole.
        proc = s.proc
        s.stop()
        self.assertEqual(proc.returncode, 0)
        db = sqlite3.connect(os.path.join(s.data_dir, "stepd.db"))
        try:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            names = {r[0] for r in db.execute("SELECT name FROM executions")}
        finally:
            db.close()
        self.assertNotIn("refused-2", names)
        self.assertEqual({n for n in names if n.startswith("burst-")},
                         {n for n, o in answered.items() if o == "ok"})


if __name__ == "__main__":
    unittest.main()
