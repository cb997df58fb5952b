"""Graceful shutdown: SIGTERM while GetActivityTask long polls wait, StartExecution calls stream
in and a `?wait=` request waits on a running execution. Every request that was taken is answered
(long polls empty, the waiting request with the execution as it stands), the process exits 0 in
well under 10 seconds, and after a restart the executions carry on."""
import json
import signal
import threading
import time
import unittest
import urllib.error

from stepd_harness import ApiError, ServerTestCase, wait_until


class ShutdownTest(ServerTestCase):
    def test_sigterm_answers_everything_in_flight_and_restart_resumes(self):
        # Long polls last 60 s unless shutdown releases them.
        s = self.start_server(extra_config={"activity_poll_seconds": 60})
        idle = s.create_activity("sd-idle")      # nothing is ever queued here
        work = s.create_activity("sd-work")
        act_sm = s.create_state_machine("sd-activity", {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": work, "ResultPath": "$.r", "End": True}}})
        wait_sm = s.create_state_machine("sd-wait", {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 2, "End": True}}})

        results = {}
        lock = threading.Lock()

        def record(key, value):
            with lock:
                results[key] = value

        def long_poll(i):
            try:
                record(f"poll-{i}", ("ok", s.get_activity_task(idle, worker=f"p{i}", timeout=30)))
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                record(f"poll-{i}", ("error", repr(e)))

        waited = s.start_execution(act_sm, {"id": "waited"}, name="waited")

        def wait_request():
            try:
                record("wait", ("ok", s.rest("GET", "/v1/executions/sd-activity:waited?wait=30",
                                             timeout=30)))
            except ApiError as e:
                record("wait", ("status", e.status, e.body))
            except Exception as e:  # noqa: BLE001
                record("wait", ("error", repr(e)))

        stop_starting = threading.Event()
        starts = []  # (name, outcome)

        def starter(k):
            i = 0
            while not stop_starting.is_set():
                i += 1
                name = f"s{k}-{i}"
                sm = act_sm if i % 2 else wait_sm
                try:
                    s.start_execution(sm, {"id": name}, name=name)
                    outcome = "ok"
                except ApiError as e:
                    outcome = f"{e.status} {e.type}"
                except urllib.error.URLError as e:
                    # urllib wraps what fails while connecting or sending: the server never read
                    # this request (the port was closed, or closed under the connection).
                    outcome = "refused" if isinstance(e.reason, ConnectionRefusedError) \
                        else "not taken"
                except OSError as e:  # failed after the request was sent: cut off
                    outcome = f"cut: {e!r}"
                with lock:
                    starts.append((name, outcome))
                if outcome == "refused":
                    return

        threads = [threading.Thread(target=long_poll, args=(i,)) for i in range(5)]
        threads.append(threading.Thread(target=wait_request))
        for t in threads:
            t.start()
        starters = [threading.Thread(target=starter, args=(k,)) for k in range(3)]
        for t in starters:
            t.start()
        wait_until(lambda: len(starts) >= 30, what="starts under way")
        time.sleep(0.5)  # the long polls and the wait are registered by now

        proc = s.proc
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        # Each starter has one call in flight now; they send no more. (A request arriving
        # while the listener closes, after the drain, may find its connection reset:
        # cpprestsdk's close() drops connections it has not read yet.)
        stop_starting.set()
        code = proc.wait(timeout=30)
        elapsed = time.monotonic() - t0
        s.proc = None
        for t in threads + starters:
            t.join(30)

        self.assertEqual(code, 0, s.log_tail())
        self.assertLess(elapsed, 10, f"shutdown took {elapsed:.1f} s")
        for i in range(5):
            self.assertEqual(results[f"poll-{i}"][0], "ok", results[f"poll-{i}"])
            self.assertFalse(results[f"poll-{i}"][1].get("taskToken"), results[f"poll-{i}"])
        # The waiting request is answered with the execution as it stands: still running (a 202,
        # which urllib hands back like a 200).
        self.assertEqual(results["wait"][0], "ok", results["wait"])
        self.assertEqual(results["wait"][1]["status"], "RUNNING", results["wait"])
        outcomes = {}
        for _, outcome in starts:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        # Taken requests are answered (200, or 503 once draining began); later ones find the
        # port closed, or closing under them before they were sent. None is cut off halfway.
        self.assertEqual(set(outcomes) - {"ok", "503 ServiceUnavailable", "refused", "not taken"},
                         set(), outcomes)
        print(f"shutdown: SIGTERM to exit {elapsed:.2f} s with 5 long polls, 1 ?wait= request and "
              f"3 starters in flight; starts: {outcomes}", flush=True)

        # After a restart everything acknowledged is there and carries on.
        s.start()
        acked = [name for name, outcome in starts if outcome == "ok"] + ["waited"]
        activity_names = {name for name in acked if name == "waited" or int(name.split("-")[1]) % 2}
        got = 0
        while got < len(activity_names):
            task = s.get_activity_task(work, worker="after", timeout=10)
            self.assertTrue(task.get("taskToken"), f"{got} of {len(activity_names)} tasks found")
            self.assertIn(json.loads(task["input"])["id"], activity_names)
            s.aws_json("SendTaskSuccess", {"taskToken": task["taskToken"], "output": "{}"})
            got += 1
        for name in acked:
            machine = "sd-activity" if name in activity_names else "sd-wait"
            d = s.wait_status(f"arn:aws:states:us-east-1:123456789012:execution:{machine}:{name}",
                              timeout=30)
            self.assertEqual(d["status"], "SUCCEEDED", d)


if __name__ == "__main__":
    unittest.main()
