"""Crash loop: under a steady load of StartExecution calls and activity workers answering with
SendTaskSuccess, the server is killed with SIGKILL at random moments (at least 20 times) and
started again on the same data directory and port. At the end nothing acknowledged is lost,
every acknowledged callback was applied exactly once, nothing is stuck, and the SQLite file
passes PRAGMA integrity_check.

The seed of the random kill moments is printed; set STEPD_CRASH_SEED to replay one, and
STEPD_CRASH_CYCLES to change the number of kills (default 22)."""
import http.client
import json
import os
import random
import sqlite3
import threading
import time
import uuid

from stepd_harness import ApiError, ServerTestCase, wait_until

CYCLES = int(os.environ.get("STEPD_CRASH_CYCLES", "22"))
MAX_OPEN_TASKS = 150  # starters wait when this many activity executions are unanswered


class Load:
    """The clients: what they sent, and what the server acknowledged."""

    def __init__(self, server, machines, activity):
        self.server = server
        self.machines = machines  # kind -> state machine ARN
        self.activity = activity
        self.lock = threading.Lock()
        self.stop_starting = threading.Event()
        self.stop_working = threading.Event()
        self.acked_starts = {}   # execution name -> (kind, ARN): answered 200
        self.unknown_starts = 0  # no answer (the server died under the call, or refused it)
        self.acked_callbacks = {}  # task token -> (execution id, output sent): answered 200
        self.closed_callbacks = {}  # token -> output: answered TaskTimedOut after a lost answer
        self.tasks_received = 0
        self.errors = []
        self.seq = 0

    def _name(self, kind):
        with self.lock:
            self.seq += 1
            return f"{kind}-{self.seq}"

    def open_tasks(self):
        with self.lock:
            started = sum(1 for kind, _ in self.acked_starts.values() if kind == "activity")
            return started - len(self.acked_callbacks) - len(self.closed_callbacks)

    def starter(self, rng):
        while not self.stop_starting.is_set():
            if self.open_tasks() > MAX_OPEN_TASKS:
                time.sleep(0.05)
                continue
            kind = rng.choice(["activity", "activity", "pass", "wait"])
            name = self._name(kind)
            body = {"stateMachineArn": self.machines[kind], "name": name,
                    "input": json.dumps({"id": name})}
            try:
                arn = self.server.aws_json("StartExecution", body, timeout=10)["executionArn"]
            except (ApiError, OSError, http.client.HTTPException) as e:
                # Refused or cut off by the kill: it may or may not exist; only acknowledged
                # starts are promised.
                # Any 4xx is a failure, including a bare 404 with no body: cpprestsdk sent one
                # when a request arrived in the instant between its socket starting to accept
                # and our path being registered (HttpServer::start now closes that window).
                if isinstance(e, ApiError) and e.status < 500:
                    with self.lock:
                        self.errors.append(f"StartExecution {name}: {e}")
                with self.lock:
                    self.unknown_starts += 1
                time.sleep(0.05)
                continue
            with self.lock:
                self.acked_starts[name] = (kind, arn)

    def answer(self, token, output):
        """Sends SendTaskSuccess until it gets a definite answer, as a careful worker would:
        a 200 is an acknowledged callback; TaskTimedOut after an earlier attempt went
        unanswered means the task closed (by that attempt, or by its timeout)."""
        tries = 0
        while True:
            tries += 1
            try:
                self.server.aws_json("SendTaskSuccess", {"taskToken": token, "output": output},
                                     timeout=10)
                return "acked"
            except ApiError as e:
                if e.type == "TaskTimedOut":
                    return "closed"
                if e.status < 500:
                    with self.lock:
                        self.errors.append(f"SendTaskSuccess: {e}")
                    return "error"
            except (OSError, http.client.HTTPException):
                pass  # cut off by a kill: the outcome is unknown, so ask again
            if self.stop_working.is_set() and tries > 50:
                return "gave up"
            time.sleep(0.1)

    def worker(self, number):
        while not self.stop_working.is_set():
            try:
                task = self.server.aws_json("GetActivityTask", {
                    "activityArn": self.activity, "workerName": f"w{number}"}, timeout=10)
            except (ApiError, OSError, http.client.HTTPException):
                time.sleep(0.1)
                continue
            token = task.get("taskToken")
            if not token:
                continue
            with self.lock:
                self.tasks_received += 1
            execution_id = json.loads(task["input"])["id"]
            output = json.dumps({"by": f"w{number}", "nonce": uuid.uuid4().hex})
            outcome = self.answer(token, output)
            with self.lock:
                if outcome == "acked":
                    self.acked_callbacks[token] = (execution_id, output)
                elif outcome == "closed":
                    self.closed_callbacks[token] = (execution_id, output)


class CrashLoopTest(ServerTestCase):
    def test_kill9_again_and_again_under_load(self):
        seed = int(os.environ.get("STEPD_CRASH_SEED", str(random.randrange(1 << 30))))
        print(f"crash loop seed {seed} (STEPD_CRASH_SEED={seed} replays it)", flush=True)
        rng = random.Random(seed)
        began = time.monotonic()

        s = self.start_server(extra_config={"activity_poll_seconds": 1}, log_level="warn")
        activity = s.create_activity("loop-work")
        # A task whose answer was lost with a killed server (its worker never heard of it)
        # times out and is scheduled again, so no execution can wait forever.
        machines = {
            "activity": s.create_state_machine("loop-activity", {"StartAt": "Work", "States": {
                "Work": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 6,
                         "ResultPath": "$.result", "Next": "Done",
                         "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1,
                                    "MaxAttempts": 20, "BackoffRate": 1.0}]},
                "Done": {"Type": "Pass", "End": True}}}),
            "pass": s.create_state_machine("loop-pass", {"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "B"},
                "B": {"Type": "Pass", "Result": 2, "ResultPath": "$.b", "End": True}}}),
            "wait": s.create_state_machine("loop-wait", {"StartAt": "P", "States": {
                "P": {"Type": "Pass", "Next": "W"},
                "W": {"Type": "Wait", "Seconds": 1, "End": True}}}),
        }

        load = Load(s, machines, activity)
        threads = [threading.Thread(target=load.starter, args=(random.Random(seed + i),), daemon=True)
                   for i in range(2)]
        threads += [threading.Thread(target=load.worker, args=(i,), daemon=True) for i in range(3)]
        for t in threads:
            t.start()

        restarts = []
        for _ in range(CYCLES):
            time.sleep(rng.uniform(0.2, 1.5))
            s.kill9()
            t0 = time.monotonic()
            s.start(timeout=60)
            restarts.append(time.monotonic() - t0)
        self.assertTrue(all(t.is_alive() for t in threads), "a client thread died")
        load.stop_starting.set()
        for t in threads[:2]:
            t.join(30)

        # One more kill with the workers still busy, then let everything settle.
        time.sleep(0.5)
        s.kill9()
        s.start(timeout=60)

        arns = {name: arn for name, (_, arn) in load.acked_starts.items()}
        for name, arn in arns.items():
            s.describe(arn)  # ExecutionDoesNotExist (an ApiError) would fail the test here

        def running():
            count = 0
            for arn in machines.values():
                token = None
                while True:
                    body = {"stateMachineArn": arn, "statusFilter": "RUNNING", "maxResults": 1000}
                    if token:
                        body["nextToken"] = token
                    page = s.aws_json("ListExecutions", body)
                    count += len(page["executions"])
                    token = page.get("nextToken")
                    if not token:
                        break
            return count

        # Whatever still runs waits on a queued (or timed-out and re-queued) task: the workers
        # finish those. A task handed to a worker whose answer was lost times out after 6 s and
        # is queued again.
        wait_until(lambda: running() == 0, timeout=60, interval=0.5,
                   what="every execution finished")
        self.assertTrue(all(t.is_alive() for t in threads[2:]), "a worker thread died")
        load.stop_working.set()
        for t in threads[2:]:
            t.join(30)

        # Everything that exists (acknowledged or not) succeeded; callbacks applied exactly once.
        everything = []
        for kind, arn in machines.items():
            token = None
            while True:
                body = {"stateMachineArn": arn, "maxResults": 1000}
                if token:
                    body["nextToken"] = token
                page = s.aws_json("ListExecutions", body)
                everything += [(kind, e) for e in page["executions"]]
                token = page.get("nextToken")
                if not token:
                    break
        listed = {e["name"] for _, e in everything}
        self.assertFalse(set(arns) - listed, "acknowledged starts missing from ListExecutions")
        not_succeeded = [e["name"] for _, e in everything if e["status"] != "SUCCEEDED"]
        self.assertEqual(not_succeeded, [])

        outputs_by_execution = {}
        for kind, e in everything:
            if kind != "activity":
                continue
            succeeded = [ev["activitySucceededEventDetails"].get("output")
                         for ev in s.history(e["executionArn"]) if ev["type"] == "ActivitySucceeded"]
            self.assertEqual(len(succeeded), 1, f"{e['name']}: {len(succeeded)} ActivitySucceeded")
            outputs_by_execution[e["name"]] = succeeded[0]
        for token, (name, output) in load.acked_callbacks.items():
            self.assertEqual(outputs_by_execution.get(name), output,
                             f"acknowledged callback for {name} not the one applied")
        for token, (name, output) in load.closed_callbacks.items():
            self.assertIn(name, outputs_by_execution)
        self.assertEqual(load.errors, [])

        s.stop()
        self.assertEqual(s.starts, CYCLES + 2)
        # The server is stopped: check the file itself (a copy would do as well).
        db = sqlite3.connect(os.path.join(s.data_dir, "stepd.db"))
        try:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            self.assertEqual(db.execute("PRAGMA foreign_key_check").fetchall(), [])
        finally:
            db.close()

        kinds = {}
        for kind, _ in load.acked_starts.values():
            kinds[kind] = kinds.get(kind, 0) + 1
        print(f"crash loop: {CYCLES + 1} kill -9 cycles in {time.monotonic() - began:.1f} s, "
              f"restart {min(restarts):.2f}-{max(restarts):.2f} s; acknowledged starts "
              f"{len(arns)} {kinds} (+{load.unknown_starts} unanswered), executions found "
              f"{len(everything)}; tasks handed out {load.tasks_received}, acknowledged "
              f"callbacks {len(load.acked_callbacks)} (+{len(load.closed_callbacks)} closed by an "
              f"earlier unanswered try or a timeout); nothing lost, every callback applied once",
              flush=True)


if __name__ == "__main__":
    import unittest
    unittest.main()
