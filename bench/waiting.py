#!/usr/bin/env python3
"""Issue 6's "waiting" figure: N executions suspended on callbacks (default 1,000,000).

Starts stepd (fresh data directory, free loopback port, --log-level warn), creates an activity and
a one-Task machine, and starts N executions of it with `http_load --scenario start --total N`
(closed loop, --connections clients). Nobody polls the activity, so every execution stays RUNNING
with one activity task queued: the task waits for a worker, as one waiting for SendTaskSuccess
does. Then it measures:

  start rate      executions/s while starting them (each answered after its durable commit)
  RSS             stepd's resident memory with all N waiting (VmRSS, and VmHWM: its peak)
  disk            growth of stepd.db + stepd.db-wal over the N starts, per execution
  scrape          GET /metrics time with N waiting (open executions and callback tasks are
                  counted in the store at every scrape)
  restart         kill -9, start again on the same data directory, time until /healthz is 200
                  (the harder case than SIGTERM: SQLite recovers from the WAL), and RSS then
  still working   after the restart, workers take 100 tasks and answer them: each execution
                  SUCCEEDS (GetActivityTask -> SendTaskSuccess over HTTP)

  python3 bench/waiting.py --build-dir build [--total 1000000] [--json waiting.json]

Builds nothing; standard library only; everything it starts is stopped on the way out.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_suite as rs  # noqa: E402  (the suite's process and HTTP helpers)


def file_bytes(data_dir):
    total = 0
    for name in ("stepd.db", "stepd.db-wal"):
        try:
            total += os.path.getsize(os.path.join(data_dir, name))
        except OSError:
            pass
    return total


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def scrape(port):
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=120) as r:
        text = r.read().decode()
    elapsed = time.monotonic() - t0
    values = {}
    for line in text.splitlines():
        if line.startswith(("stepd_open_executions ", "stepd_callback_tasks_waiting ")):
            name, value = line.split()
            values[name] = float(value)
    return elapsed, values


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(rs.REPO, "build"))
    ap.add_argument("--stepd", help="the stepd binary (default: BUILD_DIR/stepd)")
    ap.add_argument("--total", type=int, default=1_000_000, help="executions to leave waiting")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--http-threads", type=int, default=4)
    ap.add_argument("--answer", type=int, default=100, help="tasks answered after the restart")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()

    stepd_bin = args.stepd or os.path.join(args.build_dir, "stepd")
    load_bin = os.path.join(args.build_dir, "bench", "http_load")
    for b in (stepd_bin, load_bin):
        if not os.access(b, os.X_OK):
            sys.exit(f"no {b} (build the target, or pass --build-dir/--stepd)")

    signal.signal(signal.SIGTERM, rs.on_sigterm)
    tmp = tempfile.mkdtemp(prefix="stepd-waiting-")
    data_dir = os.path.join(tmp, "data")
    children = rs.Children()
    out = {"total": args.total, "connections": args.connections, "load_before": os.getloadavg()}
    try:
        port = rs.free_port()

        def healthy():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                return r.status == 200

        cmd = [stepd_bin, "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir,
               "--log-level", "warn", "--http-threads", str(args.http_threads)]
        stepd = children.start("stepd", cmd, os.path.join(tmp, "stepd.log"), healthy)
        activity = rs.post(port, "/", {"name": "waiting-activity"},
                           target="CreateActivity")["activityArn"]
        machine = rs.post(port, "/v1/state-machines", {
            "name": "waiting-task", "roleArn": rs.ROLE_ARN,
            "definition": rs.activity_machine(activity)})["stateMachineArn"]
        bytes_before = file_bytes(data_dir)
        rss_before = rs.rss_kib(stepd.pid)

        print(f"starting {args.total:,} executions ...", flush=True)
        p = subprocess.run(
            [load_bin, "--port", str(port), "--scenario", "start", "--machine-arn", machine,
             "--total", str(args.total), "--connections", str(args.connections),
             "--seconds", "100000", "--warmup", "0"],
            capture_output=True, text=True, timeout=7200)
        if p.returncode != 0:
            raise RuntimeError(f"http_load failed: {p.stderr}")
        started = json.loads(p.stdout)
        out["start"] = {k: started[k] for k in ("per_second", "ok", "errors", "seconds",
                                                "latency_ms")}
        scrape_s, values = scrape(port)
        out["waiting"] = {
            "rss_mib": rs.rss_kib(stepd.pid) / 1024,
            "peak_rss_mib": peak_rss_kib(stepd.pid) / 1024,
            "rss_before_mib": rss_before / 1024,
            "open_executions": values.get("stepd_open_executions"),
            "callback_tasks_waiting": values.get("stepd_callback_tasks_waiting"),
            "metrics_scrape_s": scrape_s,
            "disk_bytes": file_bytes(data_dir) - bytes_before,
        }
        out["waiting"]["disk_bytes_per_execution"] = out["waiting"]["disk_bytes"] / max(
            1, started["ok"])
        print(json.dumps(out["waiting"], indent=2), flush=True)

        # A crash, and a start on the same data.
        stepd.kill()
        stepd.wait()
        children.procs = [(n, c) for n, c in children.procs if c is not stepd]
        t0 = time.monotonic()
        stepd = children.start("stepd", cmd, os.path.join(tmp, "stepd.log"), healthy, timeout=600)
        out["restart"] = {"to_healthy_s": time.monotonic() - t0,
                          "rss_mib": rs.rss_kib(stepd.pid) / 1024}
        scrape_s, values = scrape(port)
        out["restart"]["open_executions"] = values.get("stepd_open_executions")
        out["restart"]["metrics_scrape_s"] = scrape_s

        answered = 0
        for _ in range(args.answer):
            task = rs.post(port, "/", {"activityArn": activity, "workerName": "w"},
                           target="GetActivityTask", timeout=90)
            if "taskToken" not in task:
                break
            rs.post(port, "/", {"taskToken": task["taskToken"], "output": '{"done": true}'},
                    target="SendTaskSuccess")
            answered += 1
        _, values = scrape(port)
        out["restart"]["answered"] = answered
        out["restart"]["open_after_answers"] = values.get("stepd_open_executions")
        out["restart"]["rss_after_answers_mib"] = rs.rss_kib(stepd.pid) / 1024
        out["load_after"] = os.getloadavg()
        print(json.dumps(out["restart"], indent=2), flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(out, f, indent=2)
        ok = (started["errors"] == 0 and started["ok"] == args.total and
              answered == args.answer and
              out["restart"]["open_after_answers"] == args.total - args.answer)
        return 0 if ok else 1
    finally:
        rs.clean_up(children, tmp, args.keep)


if __name__ == "__main__":
    sys.exit(main())
