"""Callbacks against a real stepd: http:invoke (plain and .waitForTaskToken) to a receiver run
by the test, heartbeats and timeouts, and every way a task token can be wrong (forged, mangled,
reused, late, closed by StopExecution, replaced by a retry)."""
import json
import secrets
import threading
import time
import unittest

from stepd_harness import HttpReceiver, ServerTestCase, free_port, wait_until

HTTP_CALLBACK = "arn:aws:states:::http:invoke.waitForTaskToken"
HTTP_INVOKE = "arn:aws:states:::http:invoke"


def callback_task(url, **extra):
    task = {
        "Type": "Task",
        "Resource": HTTP_CALLBACK,
        "Parameters": {
            "ApiEndpoint": url,
            "Method": "POST",
            "RequestBody": {"token.$": "$$.Task.Token", "input.$": "$"},
        },
        "End": True,
    }
    task.update(extra)
    return task


def one_state(state):
    return {"StartAt": "T", "States": {"T": state}}


def mangle(token, pos):
    """The token with one character changed (kept in the base64url alphabet)."""
    c = token[pos]
    repl = "B" if c != "B" else "C"
    return token[:pos] + repl + token[pos + 1:]


class CallbackTest(ServerTestCase):
    def setUp(self):
        self.release = threading.Event()
        self.receiver = HttpReceiver(self.respond)
        self.addCleanup(self.receiver.close)
        self.addCleanup(self.release.set)
        self.server = self.start_server(extra_config={"activity_poll_seconds": 1})
        self.names = 0

    def respond(self, req):
        if req["path"] == "/hang":
            self.release.wait(30)
        if req["path"] == "/big":
            return 200, {"blob": "x" * (300 * 1024)}
        if req["path"].startswith("/status/"):
            code = int(req["path"].rsplit("/", 1)[1])
            return code, {"status": code, "why": "asked for it"}
        return 200, {"received": True, "path": req["path"], "n": [1, 2, 3]}

    def machine(self, definition):
        self.names += 1
        return self.server.create_state_machine(f"{self.id().rsplit('.', 1)[1][:60]}-{self.names}", definition)

    def token_of(self, index):
        """The task token carried by the index-th request the receiver got."""
        req = self.receiver.wait_for(index + 1)[index]
        return req["body"]["token"]

    def send_success(self, token, output):
        return self.server.aws_json("SendTaskSuccess", {"taskToken": token, "output": json.dumps(output)})

    def history_types(self, arn):
        return [e["type"] for e in self.server.history(arn)]

    # --- http:invoke.waitForTaskToken

    def test_wait_for_task_token_success(self):
        definition = one_state({
            "Type": "Task",
            "Resource": HTTP_CALLBACK,
            "Parameters": {
                "ApiEndpoint": self.receiver.url + "/hooks/start",
                "Method": "POST",
                "Headers": {"X-Job-Id": "job-17", "Authorization": "Bearer abc"},
                "QueryParameters": {"mode": "fast", "label": "a b&c"},
                "RequestBody": {"token.$": "$$.Task.Token", "order.$": "$.order", "fixed": "yes"},
            },
            "ResultPath": "$.callback",
            "End": True,
        })
        sm = self.machine(definition)
        arn = self.server.start_execution(sm, {"order": {"id": 9, "lines": [1, 2]}})

        req = self.receiver.wait_for(1)[0]
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["path"], "/hooks/start")
        self.assertEqual(req["query"], {"mode": ["fast"], "label": ["a b&c"]})
        self.assertEqual(req["headers"].get("x-job-id"), "job-17")
        self.assertEqual(req["headers"].get("authorization"), "Bearer abc")
        body = req["body"]
        self.assertIsInstance(body, dict, body)
        self.assertEqual(body["order"], {"id": 9, "lines": [1, 2]})
        self.assertEqual(body["fixed"], "yes")
        token = body["token"]
        self.assertIsInstance(token, str)
        self.assertTrue(0 < len(token) <= 2048, token)

        # the call was made, but the task waits for the token
        wait_until(lambda: "TaskSubmitted" in self.history_types(arn), what="TaskSubmitted")
        self.assertEqual(self.server.describe(arn)["status"], "RUNNING")

        self.assertEqual(self.send_success(token, {"approved": True, "by": "test"}), {})
        d = self.server.wait_status(arn)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), {"order": {"id": 9, "lines": [1, 2]},
                                                   "callback": {"approved": True, "by": "test"}})

        events = self.server.history(arn)
        self.assertEqual([e["type"] for e in events], [
            "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
            "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"])
        sched = events[2]["taskScheduledEventDetails"]
        self.assertEqual(sched["resourceType"], "http")
        self.assertEqual(sched["resource"], "invoke.waitForTaskToken")
        params = json.loads(sched["parameters"])
        self.assertEqual(params["RequestBody"]["token"], token)
        self.assertEqual(params["Headers"]["X-Job-Id"], "job-17")
        submitted = json.loads(events[4]["taskSubmittedEventDetails"]["output"])
        self.assertEqual(submitted["StatusCode"], 200)
        self.assertEqual(json.loads(events[5]["taskSucceededEventDetails"]["output"]),
                         {"approved": True, "by": "test"})

        # the token is spent
        self.assertApiError("TaskTimedOut", self.send_success, token, {"again": 1})

    def test_wait_for_task_token_failure_is_caught(self):
        definition = {
            "StartAt": "T",
            "States": {
                "T": callback_task(self.receiver.url + "/cb", End=None, Next="Done", Catch=[
                    {"ErrorEquals": ["Order.Rejected"], "ResultPath": "$.err", "Next": "Rejected"}]),
                "Done": {"Type": "Succeed"},
                "Rejected": {"Type": "Pass", "Result": "rejected", "ResultPath": "$.outcome", "End": True},
            },
        }
        del definition["States"]["T"]["End"]
        sm = self.machine(definition)
        arn = self.server.start_execution(sm, {"x": 1})
        token = self.token_of(0)
        self.assertEqual(self.server.aws_json("SendTaskFailure", {
            "taskToken": token, "error": "Order.Rejected", "cause": "out of stock"}), {})
        d = self.server.wait_status(arn)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertEqual(out["outcome"], "rejected")
        self.assertEqual(out["err"], {"Error": "Order.Rejected", "Cause": "out of stock"})
        types = self.history_types(arn)
        self.assertIn("TaskFailed", types)
        self.assertNotIn("TaskSucceeded", types)

    # --- plain http:invoke

    def test_http_invoke_ok(self):
        sm = self.machine(one_state({
            "Type": "Task", "Resource": HTTP_INVOKE,
            "Parameters": {"ApiEndpoint": self.receiver.url + "/items", "Method": "GET",
                           "Headers": {"X-Trace": "t-1"}, "QueryParameters": {"page": "2"}},
            "End": True}))
        arn = self.server.start_execution(sm, {})
        d = self.server.wait_status(arn)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertEqual(out["StatusCode"], 200)
        self.assertEqual(out["ResponseBody"], {"received": True, "path": "/items", "n": [1, 2, 3]})
        self.assertIn("StatusText", out)
        self.assertIn("Headers", out)
        req = self.receiver.wait_for(1)[0]
        self.assertEqual(req["method"], "GET")
        self.assertEqual(req["query"], {"page": ["2"]})
        self.assertEqual(req["headers"].get("x-trace"), "t-1")
        types = self.history_types(arn)
        self.assertEqual(types, ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                                 "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"])

    def test_http_invoke_status_500_fails(self):
        sm = self.machine(one_state({
            "Type": "Task", "Resource": HTTP_INVOKE,
            "Parameters": {"ApiEndpoint": self.receiver.url + "/status/500", "Method": "POST",
                           "RequestBody": {"a": 1}},
            "End": True}))
        arn = self.server.start_execution(sm, {})
        d = self.server.wait_status(arn)
        self.assertEqual(d["status"], "FAILED", d)
        self.assertEqual(d["error"], "States.Http.StatusCode.500")
        self.assertEqual(self.receiver.wait_for(1)[0]["body"], {"a": 1})
        types = self.history_types(arn)
        self.assertIn("TaskFailed", types)
        self.assertEqual(types[-1], "ExecutionFailed")

    def test_http_invoke_404_caught_by_name(self):
        definition = {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": HTTP_INVOKE,
                  "Parameters": {"ApiEndpoint": self.receiver.url + "/status/404", "Method": "GET"},
                  "Catch": [{"ErrorEquals": ["States.Http.StatusCode.404"], "Next": "Missing"}],
                  "End": True},
            "Missing": {"Type": "Pass", "End": True}}}
        arn = self.server.start_execution(self.machine(definition), {})
        d = self.server.wait_status(arn)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"])["Error"], "States.Http.StatusCode.404")

    def test_http_invoke_connection_refused(self):
        dead = f"http://127.0.0.1:{free_port()}/nobody-home"
        sm = self.machine(one_state({"Type": "Task", "Resource": HTTP_INVOKE,
                                     "Parameters": {"ApiEndpoint": dead, "Method": "GET"}, "End": True}))
        arn = self.server.start_execution(sm, {})
        d = self.server.wait_status(arn, timeout=90)
        self.assertEqual(d["status"], "FAILED", d)
        self.assertEqual(d["error"], "States.Http.Socket")

    def test_http_invoke_timeout(self):
        sm = self.machine(one_state({"Type": "Task", "Resource": HTTP_INVOKE, "TimeoutSeconds": 2,
                                     "Parameters": {"ApiEndpoint": self.receiver.url + "/hang", "Method": "GET"},
                                     "End": True}))
        t0 = time.monotonic()
        arn = self.server.start_execution(sm, {})
        self.receiver.wait_for(1, arrived=True)
        d = self.server.wait_status(arn, timeout=30)
        self.assertEqual((d["status"], d.get("error")), ("FAILED", "States.Timeout"), d)
        self.assertGreater(time.monotonic() - t0, 1.5)
        self.assertLess(time.monotonic() - t0, 20)
        self.assertIn("TaskTimedOut", self.history_types(arn))
        # the reply that comes after the timeout changes nothing
        n = len(self.server.history(arn))
        self.release.set()
        self.receiver.wait_for(1)
        time.sleep(0.5)
        self.assertEqual(len(self.server.history(arn)), n)
        self.assertEqual(self.server.describe(arn)["status"], "FAILED")

    def test_http_invoke_response_over_payload_limit(self):
        sm = self.machine(one_state({"Type": "Task", "Resource": HTTP_INVOKE,
                                     "Parameters": {"ApiEndpoint": self.receiver.url + "/big", "Method": "GET"},
                                     "End": True}))
        arn = self.server.start_execution(sm, {})
        d = self.server.wait_status(arn)
        self.assertEqual((d["status"], d.get("error")), ("FAILED", "States.DataLimitExceeded"), d)

    # --- heartbeats and timeouts

    def test_heartbeat_keeps_task_alive_then_expires(self):
        sm = self.machine(one_state(callback_task(self.receiver.url + "/hb", HeartbeatSeconds=2,
                                                  TimeoutSeconds=120)))
        arn = self.server.start_execution(sm, {})
        token = self.token_of(0)
        start = time.monotonic()
        while time.monotonic() - start < 5:  # well past 2 s of heartbeat
            self.assertEqual(self.server.aws_json("SendTaskHeartbeat", {"taskToken": token}), {})
            self.assertEqual(self.server.describe(arn)["status"], "RUNNING")
            time.sleep(0.5)
        self.assertEqual(self.server.describe(arn)["status"], "RUNNING")
        # a heartbeat writes no event
        self.assertNotIn("TaskTimedOut", self.history_types(arn))

        stopped_beating = time.monotonic()
        d = self.server.wait_status(arn, timeout=30)
        self.assertGreater(time.monotonic() - stopped_beating, 1.0)
        self.assertEqual(d["status"], "FAILED", d)
        self.assertEqual(d["error"], "States.Timeout")
        types = self.history_types(arn)
        self.assertIn("TaskTimedOut", types)
        self.assertEqual(types[-1], "ExecutionFailed")
        # the token is closed now
        self.assertApiError("TaskTimedOut", self.server.aws_json, "SendTaskHeartbeat", {"taskToken": token})
        self.assertApiError("TaskTimedOut", self.send_success, token, {})

    def test_heartbeat_timeout_caught(self):
        activity = self.server.create_activity("hb-worker")
        definition = {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 2, "TimeoutSeconds": 120,
                  "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.caught",
                             "Next": "Recovered"}],
                  "End": True},
            "Recovered": {"Type": "Pass", "End": True}}}
        arn = self.server.start_execution(self.machine(definition), {"job": 3})
        task = self.server.get_activity_task(activity, worker="slow-worker")
        self.assertEqual(json.loads(task["input"]), {"job": 3})
        # the heartbeat clock starts when the worker takes the task; beat twice, then go silent
        for _ in range(3):
            time.sleep(0.8)
            self.server.aws_json("SendTaskHeartbeat", {"taskToken": task["taskToken"]})
        self.assertEqual(self.server.describe(arn)["status"], "RUNNING")
        d = self.server.wait_status(arn, timeout=30)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertEqual(out["job"], 3)
        self.assertIn(out["caught"]["Error"], ("States.HeartbeatTimeout", "States.Timeout"))
        types = self.history_types(arn)
        self.assertIn("ActivityTimedOut", types)
        self.assertIn("PassStateEntered", types)
        self.assertApiError("TaskTimedOut", self.send_success, task["taskToken"], {})

    def test_task_timeout_then_late_token(self):
        sm = self.machine(one_state(callback_task(self.receiver.url + "/slow", TimeoutSeconds=2)))
        arn = self.server.start_execution(sm, {})
        token = self.token_of(0)
        d = self.server.wait_status(arn, timeout=30)
        self.assertEqual(d["status"], "FAILED", d)
        self.assertEqual(d["error"], "States.Timeout")
        events = self.server.history(arn)
        timed_out = [e for e in events if e["type"] == "TaskTimedOut"]
        self.assertEqual(len(timed_out), 1, events)
        self.assertEqual(timed_out[0]["taskTimedOutEventDetails"]["error"], "States.Timeout")
        # late answers
        self.assertApiError("TaskTimedOut", self.send_success, token, {"late": True})
        self.assertApiError("TaskTimedOut", self.server.aws_json, "SendTaskFailure",
                            {"taskToken": token, "error": "Late"})
        self.assertApiError("TaskTimedOut", self.server.aws_json, "SendTaskHeartbeat", {"taskToken": token})
        self.assertEqual(len(self.server.history(arn)), len(events))

    def test_heartbeat_does_not_extend_timeout(self):
        activity = self.server.create_activity("beating")
        sm = self.machine(one_state({"Type": "Task", "Resource": activity, "TimeoutSeconds": 3,
                                     "HeartbeatSeconds": 1, "End": True}))
        arn = self.server.start_execution(sm, {})
        task = self.server.get_activity_task(activity)
        t0 = time.monotonic()
        closed = None
        while time.monotonic() - t0 < 20:
            try:
                self.server.aws_json("SendTaskHeartbeat", {"taskToken": task["taskToken"]})
            except Exception as e:  # noqa: BLE001 - checked below
                closed = e
                break
            time.sleep(0.3)
        self.assertEqual(getattr(closed, "type", repr(closed)), "TaskTimedOut")
        d = self.server.wait_status(arn)
        self.assertGreater(time.monotonic() - t0, 2.5)
        self.assertEqual((d["status"], d.get("error")), ("FAILED", "States.Timeout"), d)
        self.assertIn("ActivityTimedOut", self.history_types(arn))

    # --- token errors

    def test_request_validation_of_task_calls(self):
        sm = self.machine(one_state(callback_task(self.receiver.url + "/val")))
        arn = self.server.start_execution(sm, {})
        token = self.token_of(0)
        call = self.server.aws_json
        cases = [
            ("SendTaskHeartbeat", {"taskToken": "A" * 2049}),
            ("SendTaskHeartbeat", {"taskToken": ""}),
            ("SendTaskHeartbeat", {}),
            ("SendTaskSuccess", {"taskToken": token}),
            ("SendTaskSuccess", {"taskToken": token, "output": json.dumps({"x": "y" * 262144})}),
            ("SendTaskFailure", {"taskToken": token, "error": "e" * 257}),
            ("SendTaskFailure", {"taskToken": token, "cause": "c" * 32769}),
        ]
        for action, body in cases:
            with self.subTest(action=action, fields=sorted(body)):
                self.assertApiError("ValidationException", call, action, body)
        self.assertEqual(self.server.describe(arn)["status"], "RUNNING")
        # an empty failure is allowed: TaskFailed without error or cause
        self.assertEqual(call("SendTaskFailure", {"taskToken": token}), {})
        d = self.server.wait_status(arn)
        self.assertEqual(d["status"], "FAILED", d)
        self.assertFalse(d.get("error"), d)
        failed = [e for e in self.server.history(arn) if e["type"] == "TaskFailed"]
        self.assertEqual(len(failed), 1)
        self.assertNotIn("error", failed[0]["taskFailedEventDetails"])


    def test_token_errors(self):
        sm = self.machine(one_state(callback_task(self.receiver.url + "/tok", TimeoutSeconds=300)))
        arn = self.server.start_execution(sm, {})
        token = self.token_of(0)

        # forged: random strings of several shapes
        for forged in ("abc", secrets.token_urlsafe(len(token) * 3 // 4),
                       token[:23] + secrets.token_urlsafe(40)[:len(token) - 23], "A" * 2048):
            with self.subTest(forged=forged[:30]):
                self.assertApiError("InvalidToken", self.send_success, forged, {})
                self.assertApiError("InvalidToken", self.server.aws_json, "SendTaskHeartbeat",
                                    {"taskToken": forged})
        # mangled: one character changed, at the start, in the middle and near the end
        for pos in (2, len(token) // 2, len(token) - 8):
            with self.subTest(mangled_at=pos):
                self.assertApiError("InvalidToken", self.send_success, mangle(token, pos), {})
                self.assertApiError("InvalidToken", self.server.aws_json, "SendTaskFailure",
                                    {"taskToken": mangle(token, pos), "error": "X"})
        # output that is not JSON
        self.assertApiError("InvalidOutput", self.server.aws_json, "SendTaskSuccess",
                            {"taskToken": token, "output": "{not json"})
        # nothing above touched the execution
        self.assertEqual(self.server.describe(arn)["status"], "RUNNING")
        self.assertNotIn("TaskSucceeded", self.history_types(arn))
        self.assertNotIn("TaskFailed", self.history_types(arn))

        # the real token works once; the second use answers TaskTimedOut and changes nothing
        self.assertEqual(self.server.aws_json("SendTaskHeartbeat", {"taskToken": token}), {})
        self.assertEqual(self.send_success(token, {"first": True}), {})
        d = self.server.wait_status(arn)
        self.assertEqual(d["status"], "SUCCEEDED")
        n_events = len(self.server.history(arn))
        self.assertApiError("TaskTimedOut", self.send_success, token, {"second": True})
        self.assertApiError("TaskTimedOut", self.server.aws_json, "SendTaskFailure",
                            {"taskToken": token, "error": "Again"})
        self.assertApiError("TaskTimedOut", self.server.aws_json, "SendTaskHeartbeat", {"taskToken": token})
        d = self.server.describe(arn)
        self.assertEqual(json.loads(d["output"]), {"first": True})
        self.assertEqual(len(self.server.history(arn)), n_events)

    def test_concurrent_success_only_one_wins(self):
        sm = self.machine(one_state(callback_task(self.receiver.url + "/race")))
        arn = self.server.start_execution(sm, {})
        token = self.token_of(0)
        results = []
        lock = threading.Lock()

        def answer(i):
            try:
                self.send_success(token, {"winner": i})
                r = "ok"
            except Exception as e:  # noqa: BLE001 - recorded and checked below
                r = getattr(e, "type", repr(e))
            with lock:
                results.append((i, r))

        threads = [threading.Thread(target=answer, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        oks = [i for i, r in results if r == "ok"]
        self.assertEqual(len(oks), 1, results)
        self.assertEqual(sorted(r for _, r in results if r != "ok"), ["TaskTimedOut"] * 7, results)
        d = self.server.wait_status(arn)
        self.assertEqual(json.loads(d["output"]), {"winner": oks[0]})
        self.assertEqual(self.history_types(arn).count("TaskSucceeded"), 1)

    # --- StopExecution

    def test_stop_execution_closes_tokens_and_activity_tasks(self):
        # a callback waiting for its token
        sm = self.machine(one_state(callback_task(self.receiver.url + "/stop")))
        arn = self.server.start_execution(sm, {})
        token = self.token_of(0)
        stop = self.server.aws_json("StopExecution", {"executionArn": arn, "error": "Ops.Stop",
                                                      "cause": "by the test"})
        self.assertIn("stopDate", stop)
        d = self.server.describe(arn)
        self.assertEqual(d["status"], "ABORTED", d)
        self.assertEqual(self.history_types(arn)[-1], "ExecutionAborted")
        self.assertApiError("TaskTimedOut", self.send_success, token, {})
        self.assertApiError("TaskTimedOut", self.server.aws_json, "SendTaskHeartbeat", {"taskToken": token})
        self.assertEqual(self.server.describe(arn)["status"], "ABORTED")

        # an activity task still queued: stopping the execution takes it off the queue
        activity = self.server.create_activity("stoppable")
        act_sm = self.machine(one_state({"Type": "Task", "Resource": activity, "End": True}))
        queued = self.server.start_execution(act_sm, {"which": "queued"})
        wait_until(lambda: "ActivityScheduled" in self.history_types(queued), what="ActivityScheduled")
        self.server.aws_json("StopExecution", {"executionArn": queued})
        self.assertEqual(self.server.describe(queued)["status"], "ABORTED")
        got = self.server.get_activity_task(activity, timeout=30)
        self.assertFalse(got.get("taskToken"), got)

        # an activity task a worker holds: its token closes
        held = self.server.start_execution(act_sm, {"which": "held"})
        task = self.server.get_activity_task(activity, timeout=30)
        self.assertEqual(json.loads(task["input"]), {"which": "held"})
        self.server.aws_json("StopExecution", {"executionArn": held})
        self.assertApiError("TaskTimedOut", self.send_success, task["taskToken"], {})
        self.assertEqual(self.server.describe(held)["status"], "ABORTED")
        # and the queue stays empty
        self.assertFalse(self.server.get_activity_task(activity, timeout=30).get("taskToken"))

    # --- retries

    def test_retry_issues_a_new_token_per_attempt(self):
        definition = one_state(callback_task(self.receiver.url + "/retry", Retry=[
            {"ErrorEquals": ["Worker.Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1.0},
            {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}],
            TimeoutSeconds=4))
        arn = self.server.start_execution(self.machine(definition), {"attempt": "x"})
        first = self.token_of(0)
        self.server.aws_json("SendTaskFailure", {"taskToken": first, "error": "Worker.Flaky", "cause": "1"})
        second = self.token_of(1)
        self.assertNotEqual(first, second)
        self.assertApiError("TaskTimedOut", self.send_success, first, {})
        # let the second attempt time out; the timeout retrier gives a third token
        third = self.token_of(2)
        self.assertEqual(len({first, second, third}), 3)
        self.assertApiError("TaskTimedOut", self.send_success, second, {})
        self.assertEqual(self.server.describe(arn)["status"], "RUNNING")
        self.assertEqual(self.send_success(third, {"third": True}), {})
        d = self.server.wait_status(arn)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), {"third": True})
        types = self.history_types(arn)
        self.assertEqual(types.count("TaskScheduled"), 3, types)
        self.assertEqual(types.count("TaskFailed"), 1, types)
        self.assertEqual(types.count("TaskTimedOut"), 1, types)
        self.assertEqual(types.count("TaskSucceeded"), 1, types)
        # the request of each attempt carried its own token in the TaskScheduled parameters
        params = [json.loads(e["taskScheduledEventDetails"]["parameters"])["RequestBody"]["token"]
                  for e in self.server.history(arn) if e["type"] == "TaskScheduled"]
        self.assertEqual(params, [first, second, third])


if __name__ == "__main__":
    unittest.main()
