"""Crash safety: SIGKILL the server while executions wait on activities, Wait states, callbacks
and task timeouts, start it again on the same data directory, and check that nothing
acknowledged was lost and nothing finished runs again. A second test kills the server in the
middle of a burst of StartExecution and SendTaskSuccess calls."""
import json
import threading
import time
import unittest

from stepd_harness import ApiError, HttpReceiver, ServerTestCase, wait_until

HTTP_CALLBACK = "arn:aws:states:::http:invoke.waitForTaskToken"


def callback_machine(url, **extra):
    task = {"Type": "Task", "Resource": HTTP_CALLBACK,
            "Parameters": {"ApiEndpoint": url, "Method": "POST",
                           "RequestBody": {"token.$": "$$.Task.Token", "id.$": "$.id"}},
            "End": True}
    task.update(extra)
    return {"StartAt": "T", "States": {"T": task}}


class CrashTest(ServerTestCase):
    def setUp(self):
        self.hold = threading.Event()  # set: calls to /held/... wait until released
        self.release = threading.Event()
        self.addCleanup(self.release.set)
        self.attempts = {}
        self.receiver = HttpReceiver(self.respond)
        self.addCleanup(self.receiver.close)
        self.server = self.start_server(extra_config={"activity_poll_seconds": 1})

    def respond(self, req):
        if req["path"].startswith("/held/") and self.hold.is_set():
            self.release.wait(30)
        if req["path"] == "/flaky":  # 500 on the first call of each id, 200 after
            key = req["body"]["id"]
            self.attempts[key] = self.attempts.get(key, 0) + 1
            if self.attempts[key] == 1:
                return 500, {"attempt": 1}
            return 200, {"attempt": self.attempts[key]}
        return 200, {"received": True}

    def tokens_by_id(self, path):
        """{input id: [tokens]} of the receiver's requests to `path`."""
        out = {}
        for r in self.receiver.requests:
            if r["path"] == path:
                out.setdefault(r["body"]["id"], []).append(r["body"]["token"])
        return out

    def drain_activity(self, s, activity, worker):
        """Polls `activity` until it answers empty; returns {input id: token}, each id once."""
        got = {}
        while True:
            task = s.get_activity_task(activity, worker=worker, timeout=30)
            if not task.get("taskToken"):
                return got
            key = json.loads(task["input"])["id"]
            self.assertNotIn(key, got, "an activity task was handed out twice")
            got[key] = task["taskToken"]

    def history_types(self, arn):
        return [e["type"] for e in self.server.history(arn)]

    def test_kill9_while_executions_wait(self):
        s = self.server
        activity = s.create_activity("crash-worker")
        act_sm = s.create_state_machine("crash-activity", {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 3600, "TimeoutSeconds": 7200,
                  "ResultPath": "$.result", "End": True}}})
        pass_sm = s.create_state_machine("crash-pass", {"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Result": "done", "ResultPath": "$.p", "Next": "Q"},
            "Q": {"Type": "Pass", "End": True}}})
        cb_sm = s.create_state_machine("crash-callback", callback_machine(self.receiver.url + "/cb"))
        timeout_sm = s.create_state_machine("crash-timeout",
                                            callback_machine(self.receiver.url + "/timeout", TimeoutSeconds=2))
        wait1_sm = s.create_state_machine("crash-wait1", {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 1, "Next": "P"}, "P": {"Type": "Pass", "End": True}}})
        wait3_sm = s.create_state_machine("crash-wait3", {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 3, "Next": "P"}, "P": {"Type": "Pass", "End": True}}})

        # finished before the crash: Pass runs and one activity run that succeeded
        done = [s.start_execution(pass_sm, {"id": f"pass-{i}"}) for i in range(5)]
        done_act = s.start_execution(act_sm, {"id": "act-done"})
        t = s.get_activity_task(activity, worker="before")
        self.assertEqual(json.loads(t["input"])["id"], "act-done")
        s.aws_json("SendTaskSuccess", {"taskToken": t["taskToken"], "output": '{"r": 0}'})
        for arn in done + [done_act]:
            self.assertEqual(s.wait_status(arn)["status"], "SUCCEEDED")
        done_histories = {arn: s.history(arn) for arn in done + [done_act]}

        # activities: 10 taken by a worker before the crash, then 10 left queued
        polled_arns, polled_tokens = {}, {}
        for i in range(10):
            polled_arns[f"polled-{i}"] = s.start_execution(act_sm, {"id": f"polled-{i}"}, name=f"polled-{i}")
        for _ in range(10):
            task = s.get_activity_task(activity, worker="crash-worker-1", timeout=30)
            self.assertTrue(task.get("taskToken"), task)
            polled_tokens[json.loads(task["input"])["id"]] = task["taskToken"]
        self.assertEqual(set(polled_tokens), set(polled_arns))
        queued_arns = {f"queued-{i}": s.start_execution(act_sm, {"id": f"queued-{i}"}, name=f"queued-{i}")
                       for i in range(10)}
        for arn in queued_arns.values():
            wait_until(lambda: "ActivityScheduled" in self.history_types(arn), what="ActivityScheduled")

        # callbacks whose HTTP call was made and recorded before the crash
        cb_arns = {f"cb-{i}": s.start_execution(cb_sm, {"id": f"cb-{i}"}, name=f"cb-{i}") for i in range(10)}
        self.receiver.wait_for(10)
        for arn in cb_arns.values():
            wait_until(lambda: "TaskSubmitted" in self.history_types(arn), what="TaskSubmitted")
        cb_tokens = {k: v[0] for k, v in self.tokens_by_id("/cb").items()}
        self.assertEqual(set(cb_tokens), set(cb_arns))

        # everything above is waiting; keep its history to compare after the restart
        before = {arn: s.history(arn) for arn in list(polled_arns.values()) + list(queued_arns.values())
                  + list(cb_arns.values())}
        for arn in before:
            self.assertEqual(s.describe(arn)["status"], "RUNNING")

        # time-sensitive ones last: a 2 s task timeout and Wait states of 1 s and 3 s
        timeout_arns = {f"to-{i}": s.start_execution(timeout_sm, {"id": f"to-{i}"}, name=f"to-{i}")
                        for i in range(5)}
        wait1_arns = [s.start_execution(wait1_sm, {"id": f"w1-{i}"}) for i in range(10)]
        wait3_arns = [s.start_execution(wait3_sm, {"id": f"w3-{i}"}) for i in range(10)]
        self.receiver.wait_for(15)
        for arn in timeout_arns.values():  # the call's reply is recorded, so it is not made again
            wait_until(lambda: {"TaskSubmitted", "TaskTimedOut"} & set(self.history_types(arn)),
                       what="TaskSubmitted")
        timeout_tokens = {k: v[0] for k, v in self.tokens_by_id("/timeout").items()}
        self.assertEqual(set(timeout_tokens), set(timeout_arns))
        requests_before_crash = len(self.receiver.requests)

        s.kill9()
        time.sleep(2.5)  # the 1 s waits and the 2 s timeouts fall due while the server is down
        restarted_at = time.monotonic()
        s.start()

        # every execution still exists, with the history it had
        everything = (done + [done_act] + list(polled_arns.values()) + list(queued_arns.values())
                      + list(cb_arns.values()) + list(timeout_arns.values()) + wait1_arns + wait3_arns)
        self.assertEqual(len(everything), 61)
        for arn in everything:
            s.describe(arn)  # raises ExecutionDoesNotExist if lost
        for arn, events in before.items():
            after = s.history(arn)
            self.assertEqual(after[:len(events)], events, arn)

        # finished executions did not run again
        for arn, events in done_histories.items():
            self.assertEqual(s.history(arn), events, arn)
            self.assertEqual(s.describe(arn)["status"], "SUCCEEDED")

        # Wait states complete; the 1 s ones were due during the downtime and end promptly
        for arn in wait1_arns:
            d = s.wait_status(arn, timeout=30)
            self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertLess(time.monotonic() - restarted_at, 15, "overdue Wait states should fire right after start")
        for arn in wait1_arns + wait3_arns:
            d = s.wait_status(arn, timeout=30)
            self.assertEqual(d["status"], "SUCCEEDED", d)
            types = self.history_types(arn)
            self.assertEqual(types.count("WaitStateExited"), 1, types)
            self.assertEqual(types.count("ExecutionSucceeded"), 1, types)

        # the task timeouts that expired while down fail with States.Timeout
        for key, arn in timeout_arns.items():
            d = s.wait_status(arn, timeout=30)
            self.assertEqual((d["status"], d.get("error")), ("FAILED", "States.Timeout"), d)
            self.assertApiError("TaskTimedOut", s.aws_json, "SendTaskSuccess",
                                {"taskToken": timeout_tokens[key], "output": "{}"})

        # tokens issued before the crash still work: activities taken by a worker ...
        for key, token in polled_tokens.items():
            self.assertEqual(s.aws_json("SendTaskSuccess", {"taskToken": token,
                                                            "output": json.dumps({"key": key})}), {})
        for key, arn in polled_arns.items():
            d = s.wait_status(arn)
            self.assertEqual(d["status"], "SUCCEEDED", d)
            self.assertEqual(json.loads(d["output"]), {"id": key, "result": {"key": key}})
        # ... and callbacks
        for key, token in cb_tokens.items():
            self.assertEqual(s.aws_json("SendTaskSuccess", {"taskToken": token,
                                                            "output": json.dumps({"cb": key})}), {})
        for key, arn in cb_arns.items():
            d = s.wait_status(arn)
            self.assertEqual(d["status"], "SUCCEEDED", d)
            self.assertEqual(json.loads(d["output"]), {"cb": key})

        # the queued activity tasks can still be polled, each exactly once; nothing else is queued
        got = self.drain_activity(s, activity, "after-restart")
        self.assertLessEqual(len(got), 10, got.keys())
        self.assertEqual(set(got), set(queued_arns))
        for key, token in got.items():
            s.aws_json("SendTaskSuccess", {"taskToken": token, "output": "{}"})
        for arn in queued_arns.values():
            self.assertEqual(s.wait_status(arn)["status"], "SUCCEEDED")

        # no callback HTTP call was made again: they had all been recorded before the crash
        self.assertEqual(len(self.receiver.requests), requests_before_crash,
                         [r["path"] for r in self.receiver.requests[requests_before_crash:]])
        # and each history still has exactly one ExecutionStarted and one end
        for arn in everything:
            types = self.history_types(arn)
            self.assertEqual(types.count("ExecutionStarted"), 1, (arn, types))
            self.assertEqual(sum(t in ("ExecutionSucceeded", "ExecutionFailed") for t in types), 1, (arn, types))

    def test_kill9_in_the_middle_of_a_map(self):
        """A Map with MaxConcurrency 2 over 5 activity-task items, items waiting as rows: after a
        kill -9 every acknowledged result is kept, nothing finished runs again, the Map goes on
        with the items it had not started and ends with the results in item order."""
        s = self.server
        activity = s.create_activity("crash-map")
        sm = s.create_state_machine("crash-map", {
            "StartAt": "Each",
            "States": {"Each": {
                "Type": "Map", "MaxConcurrency": 2, "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "Work", "States": {
                    "Work": {"Type": "Task", "Resource": activity, "End": True}}},
                "End": True}},
        })
        arn = s.start_execution(sm, {"items": [1, 2, 3, 4, 5]})
        done = {}
        for _ in range(3):  # two items, then a third once the first is answered
            task = s.get_activity_task(activity, timeout=10)
            item = json.loads(task["input"])
            s.aws_json("SendTaskSuccess", {"taskToken": task["taskToken"],
                                           "output": json.dumps(item * 10)})
            done[item] = True
        s.kill9()
        s.restart()
        seen = []
        while True:
            task = s.get_activity_task(activity, timeout=10)
            if not task.get("taskToken"):
                break
            item = json.loads(task["input"])
            seen.append(item)
            s.aws_json("SendTaskSuccess", {"taskToken": task["taskToken"],
                                           "output": json.dumps(item * 10)})
            if s.describe(arn)["status"] != "RUNNING":
                break
        self.assertEqual(sorted(seen), [i for i in [1, 2, 3, 4, 5] if i not in done],
                         "only the items not answered before the crash run after it")
        desc = s.wait_status(arn)
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        self.assertEqual(json.loads(desc["output"]), [10, 20, 30, 40, 50])

    def test_kill9_during_a_burst_of_calls(self):
        s = self.server
        cb_sm = s.create_state_machine("burst-callback", callback_machine(self.receiver.url + "/burst"))
        wait_sm = s.create_state_machine("burst-wait", {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 600, "End": True}}})
        n_callbacks = 80
        cb_arns = {f"b-{i}": s.start_execution(cb_sm, {"id": f"b-{i}"}, name=f"b-{i}") for i in range(n_callbacks)}
        self.receiver.wait_for(n_callbacks)
        tokens = {k: v[0] for k, v in self.tokens_by_id("/burst").items()}
        self.assertEqual(set(tokens), set(cb_arns))
        activity = s.create_activity("burst-activity")
        act_sm = s.create_state_machine("burst-act", {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": activity, "End": True}}})
        act_arns = {f"a-{i}": s.start_execution(act_sm, {"id": f"a-{i}"}, name=f"a-{i}") for i in range(60)}
        polled = {}  # id -> token, for the GetActivityTask answers a worker received

        acked_starts, attempted_starts, acked_success, attempted_success = {}, set(), set(), set()
        lock = threading.Lock()
        stop = threading.Event()
        api_errors = []

        def starter(worker):
            i = 0
            while not stop.is_set():
                name = f"s{worker}-{i}"
                i += 1
                with lock:
                    attempted_starts.add(name)
                try:
                    arn = s.start_execution(wait_sm, {"n": name}, name=name)
                except ApiError as e:
                    with lock:
                        api_errors.append(("start", name, e.status, e.type))
                    continue
                except Exception:  # noqa: BLE001 - the server died under us: not acknowledged
                    continue
                with lock:
                    acked_starts[name] = arn

        def succeeder(keys):
            for key in keys:
                if stop.is_set():
                    return
                with lock:
                    attempted_success.add(key)
                try:
                    s.aws_json("SendTaskSuccess", {"taskToken": tokens[key], "output": json.dumps({"ok": key})},
                               timeout=30)
                except ApiError as e:
                    with lock:
                        api_errors.append(("success", key, e.status, e.type))
                    continue
                except Exception:  # noqa: BLE001 - not acknowledged
                    continue
                with lock:
                    acked_success.add(key)

        def poller(worker):
            while not stop.is_set():
                try:
                    task = s.get_activity_task(activity, worker=f"burst-{worker}", timeout=30)
                except Exception:  # noqa: BLE001 - not received
                    continue
                if task.get("taskToken"):
                    with lock:
                        polled[json.loads(task["input"])["id"]] = task["taskToken"]

        keys = sorted(tokens)
        threads = [threading.Thread(target=starter, args=(w,)) for w in range(4)]
        threads += [threading.Thread(target=poller, args=(w,)) for w in range(2)]
        threads += [threading.Thread(target=succeeder, args=(keys[w::4],)) for w in range(4)]
        for t in threads:
            t.start()
        # kill once both kinds of call are flowing
        wait_until(lambda: len(acked_starts) >= 20 and len(acked_success) >= 5 and len(polled) >= 5, timeout=30,
                   interval=0.005, what="calls flowing")
        stop.set()  # no new calls; those already sent are in flight when the server dies
        s.kill9()
        for t in threads:
            t.join(60)
        self.assertEqual(api_errors, [])
        self.assertGreater(len(acked_starts), 0)
        self.assertLess(len(acked_success), n_callbacks, "the kill came too late to catch calls in flight")

        print(f"\nburst: {len(acked_starts)}/{len(attempted_starts)} starts, "
              f"{len(acked_success)}/{len(attempted_success)} successes and {len(polled)} activity tasks "
              "acknowledged before the kill")
        s.start()
        # every acknowledged start exists, with its input
        for name, arn in acked_starts.items():
            d = s.describe(arn)
            self.assertEqual(d["status"], "RUNNING", d)
            self.assertEqual(json.loads(d["input"]), {"n": name})
        listed = []
        token = None
        while True:
            body = {"stateMachineArn": wait_sm, "maxResults": 1000}
            if token:
                body["nextToken"] = token
            page = s.aws_json("ListExecutions", body)
            listed += [e["name"] for e in page["executions"]]
            token = page.get("nextToken")
            if not token:
                break
        self.assertEqual(len(listed), len(set(listed)), "duplicate executions")
        self.assertTrue(set(acked_starts) <= set(listed))
        self.assertTrue(set(listed) <= attempted_starts, set(listed) - attempted_starts)

        # every acknowledged SendTaskSuccess took effect
        for key in acked_success:
            d = s.wait_status(cb_arns[key], timeout=30)
            self.assertEqual(d["status"], "SUCCEEDED", (key, d))
            self.assertEqual(json.loads(d["output"]), {"ok": key})
            self.assertApiError("TaskTimedOut", s.aws_json, "SendTaskSuccess",
                                {"taskToken": tokens[key], "output": "{}"})
        # the others either took effect or their token still works
        for key in set(tokens) - acked_success:
            try:
                s.aws_json("SendTaskSuccess", {"taskToken": tokens[key], "output": json.dumps({"ok": key})})
            except ApiError as e:
                self.assertEqual(e.type, "TaskTimedOut", e)
                self.assertIn(key, attempted_success, "a token nobody used is closed")
            d = s.wait_status(cb_arns[key], timeout=30)
            self.assertEqual(d["status"], "SUCCEEDED", (key, d))
            self.assertEqual(json.loads(d["output"]), {"ok": key})
            types = self.history_types(cb_arns[key])
            self.assertEqual(types.count("TaskSucceeded"), 1, types)

        # activity tasks a worker received before the kill stay with that worker: their tokens work
        # and they are not handed out again
        for key, token in polled.items():
            self.assertEqual(s.aws_json("SendTaskSuccess", {"taskToken": token, "output": json.dumps({"a": key})}),
                             {}, key)
        again = self.drain_activity(s, activity, "after")
        for key, token in again.items():
            self.assertNotIn(key, polled, "an activity task a worker had received was handed out again")
            s.aws_json("SendTaskSuccess", {"taskToken": token, "output": json.dumps({"a": key})})
        for key, arn in act_arns.items():
            if key in polled or key in again:
                d = s.wait_status(arn, timeout=30)
                self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"a": key}), d)
            else:  # handed to a poller whose answer was lost in the crash: started, waits for its timeout
                types = self.history_types(arn)
                self.assertIn("ActivityStarted", types, (key, types))
                self.assertEqual(s.describe(arn)["status"], "RUNNING")

        # unacknowledged starts can be retried idempotently (same name and input)
        for name in sorted(attempted_starts - set(acked_starts))[:20]:
            arn = s.start_execution(wait_sm, {"n": name}, name=name)
            self.assertEqual(s.describe(arn)["status"], "RUNNING")
        # and the server still works normally
        self.assertEqual(s.aws_json("StopExecution", {"executionArn": next(iter(acked_starts.values()))}).keys(),
                         {"stopDate"})


    def test_kill9_with_calls_and_timers_in_flight(self):
        s = self.server
        plain_sm = s.create_state_machine("inflight-plain", {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                  "Parameters": {"ApiEndpoint": self.receiver.url + "/held/plain", "Method": "POST",
                                 "RequestBody": {"id.$": "$.id"}},
                  "ResultSelector": {"code.$": "$.StatusCode", "body.$": "$.ResponseBody"}, "End": True}}})
        cb_sm = s.create_state_machine("inflight-cb", callback_machine(self.receiver.url + "/held/cb"))
        retry_sm = s.create_state_machine("inflight-retry", {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                  "Parameters": {"ApiEndpoint": self.receiver.url + "/flaky", "Method": "POST",
                                 "RequestBody": {"id.$": "$.id"}},
                  "Retry": [{"ErrorEquals": ["States.Http.StatusCode.500"], "IntervalSeconds": 2,
                             "MaxAttempts": 1}],
                  "ResultSelector": {"body.$": "$.ResponseBody"}, "End": True}}})
        activity = s.create_activity("inflight-hb")
        hb_sm = s.create_state_machine("inflight-hb", {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 2, "TimeoutSeconds": 3600,
                  "End": True}}})

        # a worker takes an activity task with a 2 s heartbeat, then never beats
        hb_arns = [s.start_execution(hb_sm, {"id": f"hb-{i}"}) for i in range(3)]
        hb_tokens = [s.get_activity_task(activity, worker="silent", timeout=30)["taskToken"] for _ in hb_arns]
        self.assertTrue(all(hb_tokens))
        # HTTP calls that are in flight when the server dies
        self.hold.set()
        plain_arns = {f"p-{i}": s.start_execution(plain_sm, {"id": f"p-{i}"}) for i in range(3)}
        cb_arns = {f"c-{i}": s.start_execution(cb_sm, {"id": f"c-{i}"}) for i in range(3)}
        self.receiver.wait_for(6, arrived=True)
        # a retry back-off that runs while the server is down
        retry_arns = {f"r-{i}": s.start_execution(retry_sm, {"id": f"r-{i}"}) for i in range(3)}
        for arn in retry_arns.values():
            wait_until(lambda: "TaskFailed" in self.history_types(arn), what="first attempt failed")
        for arn in list(plain_arns.values()) + list(cb_arns.values()) + hb_arns + list(retry_arns.values()):
            self.assertEqual(s.describe(arn)["status"], "RUNNING")

        s.kill9()
        self.release.set()  # the held calls are answered to a dead server
        self.hold.clear()
        time.sleep(2.5)
        arrived_before_restart = len(self.receiver.arrivals)
        s.start()

        # calls whose reply was never recorded are made again and complete the task once
        for key, arn in plain_arns.items():
            d = s.wait_status(arn, timeout=30)
            self.assertEqual(d["status"], "SUCCEEDED", d)
            self.assertEqual(json.loads(d["output"]), {"code": 200, "body": {"received": True}})
            types = self.history_types(arn)
            self.assertEqual(types.count("TaskSucceeded"), 1, types)
            self.assertEqual(types.count("TaskScheduled"), 1, types)
        new_arrivals = self.receiver.arrivals[arrived_before_restart:]
        redone = sorted(r["body"]["id"] for r in new_arrivals if r["path"] == "/held/plain")
        self.assertEqual(redone, sorted(plain_arns))

        # the callback calls are made again, with the token of the same attempt, which works
        self.receiver.wait_for(arrived_before_restart + 6, arrived=True)
        for key, arn in cb_arns.items():
            tokens = [r["body"]["token"] for r in self.receiver.arrivals
                      if r["path"] == "/held/cb" and r["body"]["id"] == key]
            self.assertEqual(len(tokens), 2, tokens)
            self.assertEqual(len(set(tokens)), 1, "a call made again must carry the same token")
            wait_until(lambda: "TaskSubmitted" in self.history_types(arn), what="TaskSubmitted")
            self.assertEqual(s.aws_json("SendTaskSuccess", {"taskToken": tokens[-1],
                                                            "output": json.dumps({"k": key})}), {})
            d = s.wait_status(arn)
            self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"k": key}), d)
            self.assertEqual(self.history_types(arn).count("TaskSubmitted"), 1)

        # the retry happens after the restart, once
        for key, arn in retry_arns.items():
            d = s.wait_status(arn, timeout=30)
            self.assertEqual(d["status"], "SUCCEEDED", d)
            self.assertEqual(json.loads(d["output"]), {"body": {"attempt": 2}})
            types = self.history_types(arn)
            self.assertEqual((types.count("TaskScheduled"), types.count("TaskFailed"), types.count("TaskSucceeded")),
                             (2, 1, 1), types)
            self.assertEqual(self.attempts[key], 2)

        # heartbeats that lapsed while the server was down
        for arn, token in zip(hb_arns, hb_tokens):
            d = s.wait_status(arn, timeout=30)
            self.assertEqual((d["status"], d.get("error")), ("FAILED", "States.Timeout"), d)
            self.assertApiError("TaskTimedOut", s.aws_json, "SendTaskHeartbeat", {"taskToken": token})

        # a clean restart (SIGTERM) changes nothing either
        everything = list(plain_arns.values()) + list(cb_arns.values()) + list(retry_arns.values()) + hb_arns
        snapshot = {arn: (s.describe(arn)["status"], s.history(arn)) for arn in everything}
        calls = len(self.receiver.arrivals)
        s.restart()
        time.sleep(1)
        for arn, (status, events) in snapshot.items():
            self.assertEqual(s.describe(arn)["status"], status)
            self.assertEqual(s.history(arn), events)
        self.assertEqual(len(self.receiver.arrivals), calls)


if __name__ == "__main__":
    unittest.main()
