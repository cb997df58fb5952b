"""The REST routes (/v1/...) driven by the real curl binary, plus the validation, idempotency and
"nothing written when refused" rules, which are the same through both front doors."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

from stepd_harness import ROLE_ARN, ServerTestCase, wait_until

PASS_DEF = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "ResultPath": "$.pass",
                                              "End": True}}}
FAIL_DEF = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Biz.Broken", "Cause": "as designed"}}}
WAIT_DEF = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}


class Curl:
    """Runs curl; bodies go through stdin so that large ones fit."""

    def __init__(self, endpoint, tmp):
        self.endpoint = endpoint
        self.tmp = tmp

    def __call__(self, method, path, body=None, raw=None, fail=False, headers=(), timeout=90):
        header_file = os.path.join(self.tmp, "headers.txt")
        cmd = ["curl", "-sS", "-X", method, "-D", header_file, "-w", "\n%{http_code}",
               "--max-time", str(timeout)]
        if fail:
            cmd.append("-f")
        for h in headers:
            cmd += ["-H", h]
        data = None
        if raw is not None or body is not None:
            data = raw if raw is not None else json.dumps(body).encode()
            if isinstance(data, str):
                data = data.encode()
            cmd += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
        cmd.append(self.endpoint + path)
        p = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout + 30)
        out = p.stdout.decode("utf-8", "replace")
        text, _, code = out.rpartition("\n")
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = text
        resp_headers = {}
        try:
            with open(header_file) as f:
                for line in f:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        resp_headers[k.strip().lower()] = v.strip()
        except OSError:
            pass
        return CurlResult(p.returncode, int(code) if code.strip().isdigit() else 0, parsed, resp_headers,
                          p.stderr.decode("utf-8", "replace"))


class CurlResult:
    def __init__(self, rc, status, body, headers, stderr):
        self.rc, self.status, self.body, self.headers, self.stderr = rc, status, body, headers, stderr

    def __repr__(self):
        return f"CurlResult(rc={self.rc}, status={self.status}, body={str(self.body)[:500]}, stderr={self.stderr[:200]})"


def q(arn):
    return urllib.parse.quote(arn, safe="")


@unittest.skipUnless(shutil.which("curl"), "curl is not installed")
class RestTest(ServerTestCase):
    def setUp(self):
        self.server = self.start_server(extra_config={"activity_poll_seconds": 1})
        tmp = tempfile.mkdtemp(prefix="stepd-curl-")
        self.addCleanup(shutil.rmtree, tmp, True)
        self.curl = Curl(self.server.endpoint, tmp)

    def create(self, name, definition):
        r = self.curl("POST", "/v1/state-machines", {"name": name, "definition": definition, "roleArn": ROLE_ARN})
        self.assertEqual(r.status, 200, r)
        return r.body["stateMachineArn"]

    def assertError(self, r, error_type, status=400):
        self.assertEqual(r.status, status, r)
        self.assertIsInstance(r.body, dict, r)
        self.assertEqual(r.body.get("__type"), error_type, r)
        self.assertIsInstance(r.body.get("message"), str, r)
        self.assertTrue(r.headers.get("x-amzn-requestid"), r.headers)

    def list_machines(self):
        r = self.curl("GET", "/v1/state-machines")
        self.assertEqual(r.status, 200, r)
        return sorted((m["name"], m["stateMachineArn"]) for m in r.body["stateMachines"])

    # --- the happy paths

    def test_healthz(self):
        r = self.curl("GET", "/healthz", fail=True)
        self.assertEqual((r.rc, r.status), (0, 200), r)
        self.assertEqual(r.body, {"status": "ok"})
        self.assertTrue(r.headers.get("x-amzn-requestid"))
        self.assertError(self.curl("GET", "/v1/no-such-route"), "UnknownOperationException", 404)
        r = self.curl("DELETE", "/healthz")
        self.assertError(r, "UnknownOperationException", 405)
        self.assertIn("GET", r.headers.get("allow", ""))

    def test_start_and_wait(self):
        sm = self.create("rest-pass", PASS_DEF)
        self.assertEqual(sm, "arn:aws:states:us-east-1:123456789012:stateMachine:rest-pass")
        r = self.curl("POST", "/v1/state-machines/rest-pass/executions?wait=10",
                      {"name": "w1", "input": {"order": 7}}, fail=True)
        self.assertEqual((r.rc, r.status), (0, 200), r)
        self.assertEqual(r.body["status"], "SUCCEEDED")
        self.assertEqual(r.body["executionArn"], "arn:aws:states:us-east-1:123456789012:execution:rest-pass:w1")
        self.assertEqual(json.loads(r.body["output"]), {"order": 7, "pass": {"ok": True}})

        # the same through the URL-encoded ARN, with input given as JSON text
        r = self.curl("POST", f"/v1/state-machines/{q(sm)}/executions?wait=10",
                      {"input": json.dumps({"order": 8})}, fail=True)
        self.assertEqual((r.rc, r.status), (0, 200), r)
        self.assertEqual(json.loads(r.body["output"]), {"order": 8, "pass": {"ok": True}})

        # a machine that fails: 409 with the description; curl -f exits non-zero
        self.create("rest-fail", FAIL_DEF)
        r = self.curl("POST", "/v1/state-machines/rest-fail/executions?wait=10", {"name": "f1"})
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.body["status"], "FAILED")
        self.assertEqual(r.body["error"], "Biz.Broken")
        self.assertEqual(r.body["cause"], "as designed")
        r = self.curl("POST", "/v1/state-machines/rest-fail/executions?wait=10", {"name": "f2"}, fail=True)
        self.assertNotEqual(r.rc, 0, r)
        self.assertEqual(r.rc, 22, r)  # curl: HTTP page not retrieved (>= 400)

        # still running when the wait ends: 202
        self.create("rest-wait", WAIT_DEF)
        r = self.curl("POST", "/v1/state-machines/rest-wait/executions?wait=1", {"name": "long"})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.body["status"], "RUNNING")

    def test_start_poll_describe_history_list(self):
        self.create("rest-flow", {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
            "P": {"Type": "Pass", "End": True}}})
        r = self.curl("POST", "/v1/state-machines/rest-flow/executions", {"name": "e1", "input": {"v": 1}}, fail=True)
        self.assertEqual((r.rc, r.status), (0, 200), r)
        arn = r.body["executionArn"]
        self.assertIn("startDate", r.body)
        self.assertEqual(set(r.body), {"executionArn", "startDate"})

        # raw ARN in the path (colons unescaped), URL-encoded ARN, and MACHINE:EXECUTION
        for path in (f"/v1/executions/{arn}", f"/v1/executions/{q(arn)}", "/v1/executions/rest-flow:e1"):
            r = self.curl("GET", path, fail=True)
            self.assertEqual(r.status, 200, (path, r))
            self.assertEqual(r.body["executionArn"], arn)

        def done():
            r = self.curl("GET", f"/v1/executions/{arn}")
            return r.body if r.body.get("status") != "RUNNING" else None

        d = wait_until(done, timeout=30, interval=0.2, what="execution end")
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(json.loads(d["output"]), {"v": 1})

        r = self.curl("GET", f"/v1/executions/{arn}/history", fail=True)
        types = [e["type"] for e in r.body["events"]]
        self.assertEqual(types, ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "PassStateEntered",
                                 "PassStateExited", "ExecutionSucceeded"])
        r = self.curl("GET", f"/v1/executions/{arn}/history?reverseOrder=true&maxResults=2", fail=True)
        self.assertEqual([e["type"] for e in r.body["events"]], ["ExecutionSucceeded", "PassStateExited"])
        self.assertTrue(r.body.get("nextToken"))
        r2 = self.curl("GET", f"/v1/executions/{arn}/history?reverseOrder=true&maxResults=2&nextToken="
                       + q(r.body["nextToken"]), fail=True)
        self.assertEqual([e["type"] for e in r2.body["events"]], ["PassStateEntered", "WaitStateExited"])

        r = self.curl("POST", "/v1/state-machines/rest-flow/executions", {"name": "e2"}, fail=True)
        running_arn = r.body["executionArn"]
        r = self.curl("GET", "/v1/state-machines/rest-flow/executions?statusFilter=SUCCEEDED", fail=True)
        self.assertEqual([e["executionArn"] for e in r.body["executions"]], [arn])
        r = self.curl("GET", "/v1/state-machines/rest-flow/executions", fail=True)
        self.assertEqual({e["executionArn"] for e in r.body["executions"]}, {arn, running_arn})
        # newest first
        self.assertEqual(r.body["executions"][0]["executionArn"], running_arn)

        self.assertError(self.curl("GET", "/v1/executions/rest-flow:missing"), "ExecutionDoesNotExist")
        self.assertError(self.curl("GET", "/v1/state-machines/rest-flow/executions?statusFilter=WEIRD"),
                         "ValidationException")
        self.assertError(self.curl("GET", "/v1/state-machines/rest-flow/executions?bogus=1"),
                         "ValidationException")

    def test_activities_and_task_success_via_rest(self):
        r = self.curl("POST", "/v1/activities", {"name": "rest-act"}, fail=True)
        act = r.body["activityArn"]
        self.assertEqual(act, "arn:aws:states:us-east-1:123456789012:activity:rest-act")
        r = self.curl("GET", "/v1/activities/rest-act", fail=True)
        self.assertEqual(r.body["name"], "rest-act")
        r = self.curl("GET", "/v1/activities", fail=True)
        self.assertEqual([a["activityArn"] for a in r.body["activities"]], [act])

        self.create("rest-act-sm", {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": act, "ResultPath": "$.res", "Next": "T2"},
            "T2": {"Type": "Task", "Resource": act, "End": True}}})
        arn = self.curl("POST", "/v1/state-machines/rest-act-sm/executions",
                        {"input": {"n": 1}}, fail=True).body["executionArn"]

        r = self.curl("POST", "/v1/activities/rest-act/tasks", {"workerName": "curl-worker"}, fail=True)
        self.assertEqual(json.loads(r.body["input"]), {"n": 1})
        token = r.body["taskToken"]
        # heartbeat, then success with output given as a JSON value
        self.assertEqual(self.curl("POST", "/v1/tasks/heartbeat", {"taskToken": token}, fail=True).body, {})
        self.assertEqual(self.curl("POST", "/v1/tasks/success",
                                   {"taskToken": token, "output": {"step": 1}}, fail=True).body, {})
        self.assertError(self.curl("POST", "/v1/tasks/success", {"taskToken": token, "output": {}}),
                         "TaskTimedOut")

        r = self.curl("POST", f"/v1/activities/{q(act)}/tasks", {"workerName": "curl-worker"}, fail=True)
        self.assertEqual(json.loads(r.body["input"]), {"n": 1, "res": {"step": 1}})
        self.assertEqual(self.curl("POST", "/v1/tasks/failure", {"taskToken": r.body["taskToken"],
                                                                 "error": "Curl.Err", "cause": "c"}, fail=True).body, {})
        r = self.curl("GET", f"/v1/executions/{arn}?wait=10")
        self.assertEqual(r.status, 409, r)
        self.assertEqual((r.body["status"], r.body["error"], r.body["cause"]), ("FAILED", "Curl.Err", "c"))
        history = self.curl("GET", f"/v1/executions/{arn}/history", fail=True).body["events"]
        started = [e["activityStartedEventDetails"]["workerName"] for e in history if e["type"] == "ActivityStarted"]
        self.assertEqual(started, ["curl-worker", "curl-worker"])

        self.assertError(self.curl("POST", "/v1/tasks/success", {"taskToken": "forged", "output": {}}),
                         "InvalidToken")
        self.assertError(self.curl("POST", "/v1/activities/nope/tasks", {"workerName": "w"}),
                         "ActivityDoesNotExist")
        self.assertEqual(self.curl("DELETE", "/v1/activities/rest-act", fail=True).status, 200)
        self.assertEqual(self.curl("GET", "/v1/activities", fail=True).body["activities"], [])

    def test_activity_long_poll(self):
        act = self.server.create_activity("poller")
        # nothing queued: an empty answer after activity_poll_seconds (1 s here)
        t0 = time.monotonic()
        r = self.curl("POST", "/v1/activities/poller/tasks", {"workerName": "w"}, fail=True)
        elapsed = time.monotonic() - t0
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.body.get("taskToken"), r)
        self.assertGreater(elapsed, 0.7)
        self.assertLess(elapsed, 15)
        body = self.server.get_activity_task(act, timeout=30)
        self.assertFalse(body.get("taskToken"), body)

    def test_activity_long_poll_woken_by_new_task(self):
        server = self.start_server(extra_config={"activity_poll_seconds": 20})
        act = server.create_activity("waker")
        sm = server.create_state_machine("waker-sm", {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": act, "End": True}}})
        got = {}

        def poll():
            t0 = time.monotonic()
            got["task"] = server.get_activity_task(act, timeout=60)
            got["elapsed"] = time.monotonic() - t0

        th = threading.Thread(target=poll)
        th.start()
        time.sleep(0.5)
        server.start_execution(sm, {"wake": 1})
        th.join(60)
        self.assertEqual(json.loads(got["task"]["input"]), {"wake": 1})
        self.assertLess(got["elapsed"], 10, "the poll should end when the task is scheduled, not at the 20 s limit")

    # --- validation

    def test_validation_errors(self):
        sm = self.create("rest-valid", PASS_DEF)
        base = "/v1/state-machines/rest-valid/executions"

        self.assertError(self.curl("POST", base, {"name": "a" * 81}), "ValidationException")
        r = self.curl("POST", base, {"name": "a" * 80}, fail=True)
        self.assertEqual(r.status, 200, r)
        for bad in ("has space", "semi;colon", "a{b", "q?", "star*", "slash/x", "tab\tx", "ctl\x01", "quote\"",
                    "hash#", "pct%", "back\\slash", "caret^", "pipe|", "tilde~", "tick`", "dollar$", "amp&",
                    "comma,", "colon:", "lt<", "gt>", "sq[", "nbsp\u0085"):
            with self.subTest(name=bad):
                self.assertError(self.curl("POST", base, {"name": bad}), "InvalidName")
        self.assertError(self.curl("POST", base, {"name": ""}), "ValidationException")
        self.assertError(self.curl("POST", base, {"input": "{not json"}), "InvalidExecutionInput")
        big = json.dumps({"blob": "x" * (256 * 1024)})
        self.assertError(self.curl("POST", base, {"input": big}), "ValidationException")
        exactly = json.dumps({"b": "x" * (262144 - 9)})
        self.assertEqual(len(exactly.encode()), 262144)
        r = self.curl("POST", base, {"input": exactly})
        self.assertEqual(r.status, 200, r)

        # a body that is not JSON, or not an object
        self.assertError(self.curl("POST", base, raw=b"{not json"), "SerializationException")
        self.assertError(self.curl("POST", base, raw=b"[1, 2]"), "SerializationException")
        self.assertError(self.curl("POST", "/v1/state-machines", raw=b'{"name": "x", '), "SerializationException")
        r = self.curl("POST", "/", raw=b"{oops", headers=["X-Amz-Target: AWSStepFunctions.ListStateMachines",
                                                            "Content-Type: application/x-amz-json-1.0"])
        self.assertError(r, "SerializationException")
        r = self.curl("POST", "/", body={}, headers=["X-Amz-Target: AWSStepFunctions.NoSuchAction"])
        self.assertError(r, "UnknownOperationException")
        self.assertError(self.curl("POST", "/", body={}), "UnknownOperationException")
        r = self.curl("POST", "/", raw=b"[" * 200 + b"]" * 200,
                      headers=["X-Amz-Target: AWSStepFunctions.ListStateMachines"])
        self.assertError(r, "SerializationException")
        for wait in ("abc", "301", "-1", "1.5"):
            with self.subTest(wait=wait):
                self.assertError(self.curl("POST", f"{base}?wait={wait}", {}), "ValidationException")
        self.assertError(self.curl("GET", "/v1/state-machines?maxResults=1001"), "ValidationException")
        self.assertError(self.curl("GET", "/v1/state-machines?nextToken=garbage"), "InvalidToken")
        # a body over max_body_bytes (3 MiB by default) is refused before it is parsed
        r = self.curl("POST", "/", raw=b'{"pad": "' + b"x" * (4 * 1024 * 1024) + b'"}',
                      headers=["X-Amz-Target: AWSStepFunctions.ListStateMachines"])
        self.assertEqual(r.status, 413, r)
        self.assertIn("__type", r.body)

        # the same rules through the AWS JSON front door
        e = self.assertApiError("ValidationException", self.server.aws_json, "StartExecution",
                                {"stateMachineArn": sm, "name": "b" * 81})
        self.assertIn("80", e.message)
        self.assertApiError("InvalidName", self.server.aws_json, "StartExecution", {"stateMachineArn": sm, "name": "x y"})
        self.assertApiError("InvalidExecutionInput", self.server.aws_json, "StartExecution",
                            {"stateMachineArn": sm, "input": "[1,"})
        self.assertApiError("ValidationException", self.server.aws_json, "StartExecution",
                            {"stateMachineArn": sm, "input": big})

        # state machine names
        good_def = {"name": "x", "definition": PASS_DEF, "roleArn": ROLE_ARN}
        self.assertError(self.curl("POST", "/v1/state-machines", dict(good_def, name="n" * 81)), "ValidationException")
        self.assertError(self.curl("POST", "/v1/state-machines", dict(good_def, name="bad name")), "InvalidName")
        self.assertError(self.curl("POST", "/v1/state-machines", dict(good_def, definition={"StartAt": "Nope", "States": {}})),
                         "InvalidDefinition")
        self.assertError(self.curl("POST", "/v1/activities", {"name": "bad/name"}), "InvalidName")

    def test_redrive_refusals(self):
        """RedriveExecution's refusals and the redrive status that announces them; the redrive of
        a failed execution itself is covered with the engine."""
        self.create("rest-redrive-ok", PASS_DEF)
        self.create("rest-redrive-fail", FAIL_DEF)
        r = self.curl("POST", "/v1/state-machines/rest-redrive-ok/executions?wait=10", {"name": "done"})
        self.assertEqual(r.status, 200, r)
        done = r.body["executionArn"]
        r = self.curl("POST", "/v1/state-machines/rest-redrive-fail/executions?wait=10", {"name": "broke"})
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.body["redriveStatus"], "REDRIVABLE", r)
        self.assertNotIn("redriveStatusReason", r.body)

        d = self.curl("GET", f"/v1/executions/{done}", fail=True).body
        self.assertEqual((d["redriveCount"], d["redriveStatus"], d["redriveStatusReason"]),
                         (0, "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven"))
        r = self.curl("POST", f"/v1/executions/{q(done)}/redrive", {"clientToken": "first-try"})
        self.assertError(r, "ExecutionNotRedrivable")
        self.assertError(self.curl("POST", "/v1/executions/rest-redrive-ok:missing/redrive"), "ExecutionDoesNotExist")
        self.assertError(self.curl("POST", "/v1/executions/rest-redrive-ok:done/redrive", {"clientToken": "a b"}),
                         "ValidationException")
        self.assertError(self.curl("POST", "/v1/executions/rest-redrive-ok:done/redrive", {"clientToken": "t" * 65}),
                         "ValidationException")
        self.assertError(self.curl("GET", "/v1/executions/rest-redrive-ok:done/redrive"),
                         "UnknownOperationException", 405)

        # the same through the AWS JSON front door
        self.assertApiError("InvalidArn", self.server.aws_json, "RedriveExecution", {"executionArn": "nope"})
        self.assertApiError("ValidationException", self.server.aws_json, "RedriveExecution", {})
        self.assertApiError("ValidationException", self.server.aws_json, "RedriveExecution",
                            {"executionArn": done, "clientToken": ""})
        self.assertApiError("ExecutionDoesNotExist", self.server.aws_json, "RedriveExecution",
                            {"executionArn": done + "-not"})
        self.assertApiError("ExecutionNotRedrivable", self.server.aws_json, "RedriveExecution",
                            {"executionArn": done})

        r = self.curl("GET", "/v1/state-machines/rest-redrive-fail/executions?redriveFilter=REDRIVEN", fail=True)
        self.assertEqual(r.body["executions"], [])
        r = self.curl("GET", "/v1/state-machines/rest-redrive-fail/executions?redriveFilter=NOT_REDRIVEN", fail=True)
        self.assertEqual([(e["name"], e["redriveCount"]) for e in r.body["executions"]], [("broke", 0)])

    # --- idempotency

    def test_start_execution_idempotency(self):
        sm = self.create("rest-idem", WAIT_DEF)
        base = "/v1/state-machines/rest-idem/executions"
        first = self.curl("POST", base, {"name": "same", "input": {"a": 1}}, fail=True).body
        again = self.curl("POST", base, {"name": "same", "input": {"a": 1}}, fail=True).body
        self.assertEqual(again["executionArn"], first["executionArn"])
        self.assertEqual(again["startDate"], first["startDate"])
        self.assertError(self.curl("POST", base, {"name": "same", "input": {"a": 2}}), "ExecutionAlreadyExists")
        r = self.curl("GET", f"{base}", fail=True)
        self.assertEqual([e["name"] for e in r.body["executions"]], ["same"])
        # once the execution is closed the name cannot be reused, even with the same input
        self.server.aws_json("StopExecution", {"executionArn": first["executionArn"]})
        self.assertError(self.curl("POST", base, {"name": "same", "input": {"a": 1}}), "ExecutionAlreadyExists")
        # through the AWS JSON door too
        self.assertApiError("ExecutionAlreadyExists", self.server.aws_json, "StartExecution",
                            {"stateMachineArn": sm, "name": "same", "input": json.dumps({"a": 1})})

    def test_concurrent_starts_with_one_name(self):
        sm = self.create("rest-race", WAIT_DEF)
        results = []
        lock = threading.Lock()

        def start(inp):
            try:
                r = ("ok", self.server.start_execution(sm, inp, name="race"))
            except Exception as e:  # noqa: BLE001 - checked below
                r = (getattr(e, "type", repr(e)),)
            with lock:
                results.append(r)

        # the same input from every thread: all get the one execution
        threads = [threading.Thread(target=start, args=({"same": True},)) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(set(results), {("ok", sm.replace(":stateMachine:", ":execution:") + ":race")})
        # different inputs: only the one that matches the running execution is accepted
        results.clear()
        threads = [threading.Thread(target=start, args=({"same": i == 3} if i == 3 else {"other": i},))
                   for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(sorted(results), sorted([("ExecutionAlreadyExists",)] * 9 + [
            ("ok", sm.replace(":stateMachine:", ":execution:") + ":race")]))
        listed = self.server.aws_json("ListExecutions", {"stateMachineArn": sm})["executions"]
        self.assertEqual([e["name"] for e in listed], ["race"])
        # concurrent CreateStateMachine of one name: one machine
        results.clear()
        out = []

        def create(i):
            try:
                out.append(self.server.create_state_machine("rest-race-sm", PASS_DEF))
            except Exception as e:  # noqa: BLE001
                out.append(repr(e))

        threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(set(out), {"arn:aws:states:us-east-1:123456789012:stateMachine:rest-race-sm"}, out)

    def test_create_state_machine_idempotency_and_refusals_write_nothing(self):
        body = {"name": "rest-cre", "definition": PASS_DEF, "roleArn": ROLE_ARN}
        first = self.curl("POST", "/v1/state-machines", body, fail=True).body
        second = self.curl("POST", "/v1/state-machines", body, fail=True).body
        self.assertEqual(second["stateMachineArn"], first["stateMachineArn"])
        self.assertEqual(second["creationDate"], first["creationDate"])
        before = self.list_machines()
        self.assertEqual(before, [("rest-cre", first["stateMachineArn"])])

        refused = [
            (dict(body, definition=FAIL_DEF), "StateMachineAlreadyExists"),
            (dict(body, name="other", definition={"StartAt": "X", "States": {"X": {"Type": "Bogus"}}}),
             "InvalidDefinition"),
            (dict(body, name="bad name"), "InvalidName"),
            (dict(body, name="z" * 81), "ValidationException"),
            (dict(body, name="no-role", roleArn=None), "ValidationException"),
            (dict(body, name="no-def", definition=None), "ValidationException"),
            (dict(body, name="other2", definition="{not json"), "InvalidDefinition"),
        ]
        for req, error in refused:
            with self.subTest(error=error, name=req.get("name")):
                req = {k: v for k, v in req.items() if v is not None}
                self.assertError(self.curl("POST", "/v1/state-machines", req), error)
                self.assertEqual(self.list_machines(), before)
        # the surviving machine still has its first definition
        r = self.curl("GET", "/v1/state-machines/rest-cre", fail=True)
        self.assertEqual(json.loads(r.body["definition"]), PASS_DEF)

        # refused starts leave no execution behind
        for req, error in (({"name": "x y"}, "InvalidName"), ({"input": "{"}, "InvalidExecutionInput")):
            self.assertError(self.curl("POST", "/v1/state-machines/rest-cre/executions", req), error)
        self.assertEqual(self.curl("GET", "/v1/state-machines/rest-cre/executions", fail=True).body["executions"], [])

        # delete through REST
        self.assertEqual(self.curl("DELETE", "/v1/state-machines/rest-cre", fail=True).status, 200)
        self.assertEqual(self.list_machines(), [])


if __name__ == "__main__":
    unittest.main()
