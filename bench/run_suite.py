#!/usr/bin/env python3
"""Issue 6's benchmark suite: every figure next to its baseline, measured in the same run.

Builds nothing: give it a build folder holding stepd, bench/echo_server and bench/http_load (and,
if present, bench/engine_bench). It starts the echo server and stepd (fresh temporary data
directory, free loopback ports, --log-level warn), then repeats R rounds of, interleaved so that
machine noise hits every figure alike:

  echo           http_load --scenario echo against echo_server         (the HTTP ceiling)
  start-sync     http_load --scenario start-sync against stepd         (5-Pass start-to-finish)
  transitions    start-sync of a 100-item Map of Pass, counted by stepd_state_transitions_total
  callbacks      http_load --scenario activity-worker against stepd    (GetActivityTask ->
                                                                        SendTaskSuccess loops)
  queued         the same, workers only, draining executions started just before (untimed)
  callback p99   http_load --scenario send-success --rate 1000         (SendTaskSuccess, open loop)
  sqlite         raw SQLite commits/s, stepd's PRAGMAs (WAL, synchronous=FULL)  (store baseline)

then, R times each, one Map of 1,000 / 2,500 / 5,000 / 10,000 Pass items through the same stepd
(time to SUCCEEDED, stepd's RSS growth while it runs: is it linear in items?), engine_bench once
(--benchmark_format=json) if it exists, and bench/run_sql_bench.py's rounds (pgbench -S against
.sync SQL steps on a throwaway PostgreSQL) if sql_step_bench and PostgreSQL are there. It prints a
table of min / median / max per figure with its baseline, ratio and target, and writes everything
to --json. Everything
it starts is stopped on the way out (exceptions, Ctrl-C and SIGTERM included); every child has a
timeout; nothing listens beyond 127.0.0.1. Standard library only.

  python3 bench/run_suite.py --build-dir build [--quick] [--json suite.json]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLE_ARN = "arn:aws:iam::123456789012:role/stepd-bench"

# The machine of engine_bench's BM_FivePassStates, so that the engine core and start-to-finish
# figures run the same states.
FIVE_PASS = {"StartAt": "P1", "States": {
    "P1": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.a", "Next": "P2"},
    "P2": {"Type": "Pass", "Parameters": {"x.$": "$.a.x", "name.$": "$$.Execution.Name"},
           "ResultPath": "$.b", "Next": "P3"},
    "P3": {"Type": "Pass", "Next": "P4"},
    "P4": {"Type": "Pass", "Result": "done", "ResultPath": "$.c", "Next": "P5"},
    "P5": {"Type": "Pass", "OutputPath": "$.b", "End": True}}}

# The transitions figure: a Map of 100 Pass iterations per execution (102 states entered: the
# Map, 100 iterations' Pass, the final Pass), so that each execution is many transitions.
MAP_ITEMS = 100

# Executions queued per second of the workers-only callbacks figure: more than they can drain.
QUEUED_PER_SECOND = 8000
MAP_OF_PASS = {"StartAt": "M", "States": {
    "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
          "ItemProcessor": {"StartAt": "P", "States": {
              "P": {"Type": "Pass", "Parameters": {"v.$": "$"}, "End": True}}},
          "ResultPath": "$.results", "Next": "Done"},
    "Done": {"Type": "Pass", "OutputPath": "$.count", "End": True}}}


def activity_machine(activity_arn):
    return {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity_arn, "End": True}}}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, path, body, target=None, timeout=10):
    headers = {"Content-Type": "application/json"}
    if target:
        headers = {"Content-Type": "application/x-amz-json-1.0",
                   "X-Amz-Target": f"AWSStepFunctions.{target}"}
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 method="POST", headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode() or "{}")


class Children:
    """The processes this run started; stop_all() ends each by its own pid."""

    def __init__(self):
        self.procs = []

    def start(self, name, cmd, log_path, ready, timeout=20):
        log = open(log_path, "ab")
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.procs.append((name, p))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.returncode}; see {log_path}")
            try:
                if ready():
                    return p
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not become ready in {timeout} s; see {log_path}")

    def stop_all(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []


def metric_value(port, name, **labels):
    """The value of one sample of stepd's GET /metrics (0 if absent)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        text = r.read().decode()
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        if key == name or key == f"{name}{{{want}}}":
            return float(value)
    return 0.0


def clean_up(children, tmp, keep):
    """Stops what a run started and removes its temporary folder (unless asked to keep it)."""
    children.stop_all()
    if keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def http_load(binary, args, extra, secs, pid=None, extra_timeout=0):
    cmd = [binary, "--seconds", str(secs), "--warmup", str(args.warmup),
           "--threads", str(args.load_threads)] + extra
    cpu_before = cpu_seconds(pid) if pid else None
    p = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=secs + args.warmup + extra_timeout + 60)
    if p.returncode != 0:
        raise RuntimeError(f"http_load failed ({p.returncode}): {p.stderr}")
    res = json.loads(p.stdout)
    if pid and cpu_before is not None:
        # CPU of the server over warm-up + measurement, per answered request of the window
        # (an upper bound: warm-up requests are not in the count).
        used = cpu_seconds(pid) - cpu_before
        res["server_cpu_s"] = used
    return res


def sqlite_commit_rate(path, secs, rows_per_commit):
    """Raw SQLite commits with the store's PRAGMAs (core/store/sqlite_store.cpp: WAL,
    synchronous=FULL): one INSERT of a ~200-byte row per transaction, or rows_per_commit rows."""
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        assert mode == "wal", mode
        db.execute("PRAGMA synchronous = FULL")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        payload = "x" * 200
        commits = rows = 0
        end = time.monotonic() + secs
        while time.monotonic() < end:
            db.execute("BEGIN")
            db.executemany("INSERT INTO t (body) VALUES (?)", [(payload,)] * rows_per_commit)
            db.execute("COMMIT")
            commits += 1
            rows += rows_per_commit
        return {"commits_per_second": commits / secs, "rows_per_second": rows / secs}
    finally:
        db.close()
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(path + suffix)
            except OSError:
                pass


def engine_bench(binary, repeat, quick):
    cmd = [binary, "--benchmark_format=json",
           "--benchmark_filter=BM_FivePassStates$|BM_MapOfPassStates/100$",
           f"--benchmark_repetitions={repeat}"]
    if quick:
        cmd.append("--benchmark_min_time=0.2")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"engine_bench failed ({p.returncode}): {p.stderr}")
    out = {"five_pass": [], "map100": []}
    for b in json.loads(p.stdout)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        if b["name"].startswith("BM_FivePassStates"):
            out["five_pass"].append(b["items_per_second"])
        elif b["name"].startswith("BM_MapOfPassStates/100"):
            out["map100"].append(b["items_per_second"] / 100)  # items are Map items
    return out


def map_scale(port, pid, items):
    """One execution of the Map of Pass over `items` items through the REST start that answers
    once the execution ended; returns its wall time, the peak growth of stepd's RSS while it
    ran (sampled every 2 ms)."""
    base_rss, peak = rss_kib(pid) or 0, [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid) or 0)
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.monotonic()
    try:
        res = post(port, "/v1/state-machines/bench-map100/executions?wait=300",
                   {"input": {"items": list(range(items)), "count": items}}, timeout=320)
    finally:
        done.set()
        sampler.join()
    elapsed = time.monotonic() - t0
    if res.get("status") != "SUCCEEDED" or json.loads(res.get("output", "null")) != items:
        raise RuntimeError(f"the {items}-item Map did not succeed: {str(res)[:300]}")
    return {"items": items, "seconds": elapsed, "rss_growth_kib": max(0, peak[0] - base_rss)}


def per_item_spread(points):
    """(items, seconds) points -> µs per item at each size, and the largest over the smallest
    of those. Linear time keeps the ratio near 1; quadratic time makes it grow with the sizes
    (10 from 1,000 to 10,000 items)."""
    per_item = {n: 1e6 * t / n for n, t in points}
    return per_item, max(per_item.values()) / min(per_item.values())


def spread(values):
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values),
            "values": values}


def on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"),
                    help="the CMake build folder (stepd, bench/echo_server, bench/http_load)")
    ap.add_argument("--stepd", help="the stepd binary to measure (default: BUILD_DIR/stepd), "
                    "e.g. an older build, with the same load programs")
    ap.add_argument("--seconds", type=float, default=10, help="length of each measurement")
    ap.add_argument("--warmup", type=float, default=1, help="http_load warm-up seconds")
    ap.add_argument("--repeat", type=int, default=3, help="rounds (each figure R times)")
    ap.add_argument("--quick", action="store_true", help="3 rounds of 2 s, 0.5 s warm-up")
    ap.add_argument("--connections", type=int, default=64, help="HTTP clients (closed loop)")
    ap.add_argument("--http-threads", type=int, default=4,
                    help="cpprestsdk pool of both servers (stepd's --http-threads default: 4)")
    ap.add_argument("--stepd-http-threads", type=int,
                    help="stepd's --http-threads, if not --http-threads (an experiment: stepd's "
                         "blocking operations hold a pool thread until their commit)")
    ap.add_argument("--load-threads", type=int, default=1, help="http_load threads")
    ap.add_argument("--workers", type=int, default=16, help="activity workers (callbacks)")
    ap.add_argument("--queue-workers", type=int, default=64,
                    help="activity workers draining a queue started beforehand")
    ap.add_argument("--no-callbacks", action="store_true", help="skip the callbacks figures")
    ap.add_argument("--callback-rate", type=float, default=1000,
                    help="SendTaskSuccess/s offered for the callback latency figure")
    ap.add_argument("--collect-timeout", type=float, default=120,
                    help="most seconds to collect the task tokens that figure spends")
    ap.add_argument("--no-sqlite", action="store_true", help="skip the raw SQLite baseline")
    ap.add_argument("--no-engine", action="store_true", help="skip engine_bench")
    ap.add_argument("--map-scale", default="1000,2500,5000,10000",
                    help="Map sizes of the Map scale figure (comma-separated; empty: skip)")
    ap.add_argument("--no-sql", action="store_true",
                    help="skip the SQL figure (bench/run_sql_bench.py's rounds)")
    ap.add_argument("--sql-connections", type=int, default=8,
                    help="PostgreSQL connections of the SQL figure (pgbench -c and the pool)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, db)")
    ap.add_argument("--json", help="write all figures here")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.warmup, args.repeat = 2, 0.5, 3
    if args.stepd_http_threads is None:
        args.stepd_http_threads = args.http_threads

    bins = {"stepd": args.stepd or os.path.join(args.build_dir, "stepd"),
            "echo_server": os.path.join(args.build_dir, "bench", "echo_server"),
            "http_load": os.path.join(args.build_dir, "bench", "http_load"),
            "engine_bench": os.path.join(args.build_dir, "bench", "engine_bench"),
            "sql_step_bench": os.path.join(args.build_dir, "bench", "sql_step_bench")}
    for name in ("stepd", "echo_server", "http_load"):
        if not os.access(bins[name], os.X_OK):
            sys.exit(f"no {name} at {bins[name]} (build the target, or pass --build-dir)")

    signal.signal(signal.SIGTERM, on_sigterm)
    tmp = tempfile.mkdtemp(prefix="stepd-bench-")
    children = Children()
    figures = {k: [] for k in ("echo", "start_sync", "transitions", "callbacks", "sqlite_commits",
                               "sqlite_rows_batched", "callbacks_queued", "echo_p99_ms", "start_sync_p50_ms",
                               "start_sync_p99_ms", "callback_p99_ms", "stepd_cpu_ms_per_exec",
                               "send_success_rate", "send_success_p50_ms",
                               "send_success_p99_ms")}
    raw = []
    failures = 0
    load = {"before": os.getloadavg()}
    started = time.time()
    try:
        echo_port, stepd_port = free_port(), free_port()
        children.start(
            "echo_server",
            [bins["echo_server"], "--listen", f"127.0.0.1:{echo_port}",
             "--threads", str(args.http_threads)],
            os.path.join(tmp, "echo_server.log"),
            lambda: post(echo_port, "/", {"ping": 1}, timeout=1) == {"ping": 1})
        config = os.path.join(tmp, "config.json")
        with open(config, "w") as f:
            # Short long polls, so that workers left polling at the end of a round finish soon.
            # A Map of N Pass items writes about 4 N history events; AWS's limit of 25,000 per
            # execution (stepd's default) would stop the 10,000-item Map of the Map scale
            # figure, which on AWS needs a Distributed Map.
            json.dump({"activity_poll_seconds": 5, "history_limit": 100000}, f)

        def healthy():
            with urllib.request.urlopen(f"http://127.0.0.1:{stepd_port}/healthz", timeout=1) as r:
                return r.status == 200

        stepd = children.start(
            "stepd",
            [bins["stepd"], "--listen", f"127.0.0.1:{stepd_port}",
             "--data-dir", os.path.join(tmp, "data"), "--config", config,
             "--log-level", "warn", "--http-threads", str(args.stepd_http_threads)],
            os.path.join(tmp, "stepd.log"), healthy)

        post(stepd_port, "/v1/state-machines",
             {"name": "bench-5pass", "roleArn": ROLE_ARN, "definition": FIVE_PASS})
        post(stepd_port, "/v1/state-machines",
             {"name": "bench-map100", "roleArn": ROLE_ARN, "definition": MAP_OF_PASS})
        activity_arn = post(stepd_port, "/", {"name": "bench-activity"},
                            target="CreateActivity")["activityArn"]
        worker_machine_arn = post(stepd_port, "/v1/state-machines", {
            "name": "bench-activity-task", "roleArn": ROLE_ARN,
            "definition": activity_machine(activity_arn)})["stateMachineArn"]

        secs = args.seconds
        for r in range(args.repeat):
            print(f"round {r + 1}/{args.repeat}, load average {os.getloadavg()[0]:.2f}",
                  flush=True)
            rnd = {}
            rnd["echo"] = res = http_load(
                bins["http_load"], args,
                ["--port", str(echo_port), "--scenario", "echo",
                 "--connections", str(args.connections)], secs)
            figures["echo"].append(res["per_second"])
            figures["echo_p99_ms"].append(res["latency_ms"]["p99"])
            failures += res["errors"]
            print(f"  echo                 {res['per_second']:10,.0f} req/s   "
                  f"p99 {res['latency_ms']['p99']:.2f} ms  errors {res['errors']}", flush=True)

            rnd["start_sync"] = res = http_load(
                bins["http_load"], args,
                ["--port", str(stepd_port), "--scenario", "start-sync", "--machine", "bench-5pass",
                 "--connections", str(args.connections)], secs, pid=stepd.pid)
            figures["start_sync"].append(res["per_second"])
            figures["start_sync_p50_ms"].append(res["latency_ms"]["p50"])
            figures["start_sync_p99_ms"].append(res["latency_ms"]["p99"])
            if res["ok"]:
                answered = res["per_second"] * (secs + args.warmup)
                figures["stepd_cpu_ms_per_exec"].append(1000 * res["server_cpu_s"] / answered)
            failures += res["errors"]
            print(f"  start-sync (5 Pass)  {res['per_second']:10,.0f} exec/s  "
                  f"p99 {res['latency_ms']['p99']:.2f} ms  errors {res['errors']}", flush=True)

            # Durable transitions with --connections executions in flight, counted by stepd
            # itself (stepd_state_transitions_total) over the whole run, warm-up included.
            before = metric_value(stepd_port, "stepd_state_transitions_total",
                                  state_machine="bench-map100")
            t0 = time.monotonic()
            rnd["transitions"] = res = http_load(
                bins["http_load"], args,
                ["--port", str(stepd_port), "--scenario", "start-sync", "--machine", "bench-map100",
                 "--map-items", str(MAP_ITEMS), "--connections", str(args.connections)], secs,
                pid=stepd.pid)
            elapsed = time.monotonic() - t0
            entered = metric_value(stepd_port, "stepd_state_transitions_total",
                                   state_machine="bench-map100") - before
            res["transitions"] = entered
            res["transitions_elapsed_s"] = elapsed
            figures["transitions"].append(entered / elapsed)
            failures += res["errors"]
            print(f"  transitions          {entered / elapsed:10,.0f} /s      "
                  f"({res['per_second']:,.0f} Map executions/s, p99 "
                  f"{res['latency_ms']['p99']:.2f} ms, errors {res['errors']})", flush=True)

            if not args.no_callbacks:
                rnd["callbacks"] = res = http_load(
                    bins["http_load"], args,
                    ["--port", str(stepd_port), "--scenario", "activity-worker",
                     "--machine-arn", worker_machine_arn, "--activity-arn", activity_arn,
                     "--connections", "8", "--workers", str(args.workers)], secs, pid=stepd.pid)
                figures["callbacks"].append(res["per_second"])
                figures["callback_p99_ms"].append(res["latency_ms"]["p99"])
                failures += sum(k["errors"] for k in res["by_kind"].values())
                print(f"  callbacks            {res['per_second']:10,.0f} /s      "
                      f"SendTaskSuccess p99 {res['latency_ms']['p99']:.2f} ms  "
                      f"errors {res['errors']}", flush=True)

                # Workers only, draining executions started beforehand (untimed): the callback
                # rate without StartExecution competing for the same two cores.
                backlog = int(QUEUED_PER_SECOND * (secs + args.warmup))
                queued = subprocess.run(
                    [bins["http_load"], "--port", str(stepd_port), "--scenario", "start",
                     "--machine-arn", worker_machine_arn, "--total", str(backlog),
                     "--connections", str(args.connections), "--seconds", "100000",
                     "--warmup", "0"], capture_output=True, text=True, timeout=600)
                if queued.returncode != 0:
                    raise RuntimeError(f"http_load start failed: {queued.stderr}")
                rnd["callbacks_queued"] = res = http_load(
                    bins["http_load"], args,
                    ["--port", str(stepd_port), "--scenario", "activity-worker",
                     "--machine-arn", worker_machine_arn, "--activity-arn", activity_arn,
                     "--connections", "0", "--workers", str(args.queue_workers)], secs,
                    pid=stepd.pid)
                res["backlog"] = backlog
                figures["callbacks_queued"].append(res["per_second"])
                failures += sum(k["errors"] for k in res["by_kind"].values())
                print(f"  callbacks, queued    {res['per_second']:10,.0f} /s      "
                      f"({args.queue_workers} workers, {backlog:,} executions started before; "
                      f"SendTaskSuccess p99 {res['latency_ms']['p99']:.2f} ms)", flush=True)

                # Untimed: tokens are collected first (as fast as claims go), then spent at the
                # offered rate; latency from the intended send time.
                rnd["send_success"] = res = http_load(
                    bins["http_load"], args,
                    ["--port", str(stepd_port), "--scenario", "send-success",
                     "--machine-arn", worker_machine_arn, "--activity-arn", activity_arn,
                     "--rate", str(args.callback_rate), "--connections", str(args.connections),
                     "--workers", str(args.workers),
                     "--collect-timeout", str(args.collect_timeout)],
                    secs, extra_timeout=args.collect_timeout)
                figures["send_success_rate"].append(res["per_second"])
                figures["send_success_p50_ms"].append(res["latency_ms"]["p50"])
                figures["send_success_p99_ms"].append(res["latency_ms"]["p99"])
                failures += res["errors"]
                print(f"  SendTaskSuccess at {args.callback_rate:,.0f}/s offered: "
                      f"{res['per_second']:,.0f}/s answered, p50 "
                      f"{res['latency_ms']['p50']:.2f} ms, p99 {res['latency_ms']['p99']:.2f} ms "
                      f"(tokens collected in {res['collect_seconds']:.1f} s)", flush=True)

            if not args.no_sqlite:
                db = os.path.join(tmp, "raw.db")
                rnd["sqlite_1"] = one = sqlite_commit_rate(db, secs, 1)
                rnd["sqlite_100"] = hundred = sqlite_commit_rate(db, secs, 100)
                figures["sqlite_commits"].append(one["commits_per_second"])
                figures["sqlite_rows_batched"].append(hundred["rows_per_second"])
                print(f"  sqlite               {one['commits_per_second']:10,.0f} commits/s "
                      f"(1 row); {hundred['rows_per_second']:,.0f} rows/s (100 per commit)",
                      flush=True)
            raw.append(rnd)

        map_runs = []
        sizes = [int(n) for n in args.map_scale.split(",") if n.strip()]
        for r in range(args.repeat if sizes else 0):
            for n in sizes:
                try:
                    run = map_scale(stepd_port, stepd.pid, n)
                except (RuntimeError, OSError) as e:  # urllib's errors are OSErrors
                    failures += 1
                    print(f"  Map of {n:6,} items    FAILED: {e}", flush=True)
                    continue
                map_runs.append(run)
                print(f"  Map of {n:6,} items    {run['seconds']:8.3f} s   RSS +"
                      f"{run['rss_growth_kib'] / 1024:.1f} MiB", flush=True)

        rss = rss_kib(stepd.pid)
        engine = None
        if not args.no_engine and os.access(bins["engine_bench"], os.X_OK):
            print("engine_bench ...", flush=True)
            engine = engine_bench(bins["engine_bench"], args.repeat, args.quick)

        sql = None
        if not args.no_sql and os.access(bins["sql_step_bench"], os.X_OK):
            import run_sql_bench  # bench/, beside this file; it brings tests/integration/pg_harness
            if run_sql_bench.pg_harness.available():
                print("SQL steps against pgbench -S ...", flush=True)
                summary_sql, ratios_sql, raw_sql, sql_failures = run_sql_bench.measure(
                    bins["sql_step_bench"], max(1, round(args.seconds)), 1 if args.quick else 2,
                    1 if args.quick else args.repeat, args.sql_connections, 256,
                    log=lambda m: print("  " + m, flush=True))
                failures += sql_failures
                sql = {"summary": summary_sql, "ratios": ratios_sql, "rounds": raw_sql}
            else:
                print("SQL figure skipped: PostgreSQL server binaries or psql are missing")
    finally:
        clean_up(children, tmp, args.keep)
    load["after"] = os.getloadavg()

    summary = {k: spread(v) for k, v in figures.items() if v}
    if engine:
        summary["engine_five_pass"] = spread(engine["five_pass"])
        summary["engine_map100"] = spread(engine["map100"])
    if sql:
        summary["pgbench_select"] = sql["summary"]["pgbench_simple"]
        summary["sql_steps"] = sql["summary"]["steps"]
    map_scale_fit = None
    for n in sorted({run["items"] for run in map_runs}):
        runs = [run for run in map_runs if run["items"] == n]
        summary[f"map_{n}_s"] = spread([run["seconds"] for run in runs])
        summary[f"map_{n}_rss_mib"] = spread([run["rss_growth_kib"] / 1024 for run in runs])
    if len({run["items"] for run in map_runs}) >= 2:
        medians = [(n, summary[f"map_{n}_s"]["median"])
                   for n in sorted({run["items"] for run in map_runs})]
        per_item, ratio = per_item_spread(medians)
        map_scale_fit = {"us_per_item": per_item, "largest_over_smallest": ratio,
                         "linear": ratio <= 1.5}
    med = {k: v["median"] for k, v in summary.items()}

    # (key, label, baseline key or None, target ratio or absolute target, kind)
    rows = [
        ("echo", "HTTP echo ceiling (req/s)", None, None, None),
        ("start_sync", "start-to-finish, 5 Pass, 64 clients (exec/s)", "echo", 0.5, "ratio"),
        ("transitions", f"transitions/s (100-item Map of Pass, {args.connections} in flight)",
         None, 50000, "abs"),
        ("callbacks", "callbacks/s, starting executions alongside (GetActivityTask → "
         "SendTaskSuccess)", None, None, None),
        ("callbacks_queued", "callbacks/s, workers draining executions started before", None,
         5000, "abs"),
        ("sqlite_commits", "raw SQLite commits/s (1 row, WAL, FULL)", None, None, None),
        ("sqlite_rows_batched", "raw SQLite rows/s (100 per commit)", None, None, None),
        ("engine_five_pass", "engine core, 5 Pass (exec/s per CPU s)", None, 100000, "abs"),
        ("engine_map100", "engine core, 100-item Map (exec/s per CPU s)", None, 3000, "abs"),
        ("pgbench_select", f"pgbench -S -c {args.sql_connections} (tps)", None, None, None),
        ("sql_steps", f".sync SQL steps, SELECT 1, {args.sql_connections} connections "
         "(exec/s)", "pgbench_select", 0.7, "ratio"),
        *[(f"map_{n}_s", f"Map of {n:,} Pass items over HTTP, start to SUCCEEDED (s)", None,
           None, None) for n in sorted({run["items"] for run in map_runs})],
        *[(f"map_{n}_rss_mib", f"Map of {n:,} items: stepd RSS growth while it runs (MiB)",
           None, None, None) for n in sorted({run["items"] for run in map_runs})],
        ("echo_p99_ms", "echo p99 (ms)", None, None, None),
        ("start_sync_p50_ms", "start-to-finish p50 (ms)", None, None, None),
        ("start_sync_p99_ms", "start-to-finish p99 (ms)", None, None, None),
        ("callback_p99_ms", "SendTaskSuccess p99, closed loop (ms)", None, None, None),
        ("send_success_rate", "SendTaskSuccess answered/s at the offered rate", None, None, None),
        ("send_success_p50_ms", "SendTaskSuccess p50 at the offered rate (ms)", None, None,
         None),
        ("send_success_p99_ms", "SendTaskSuccess p99 at the offered rate (ms)", None, 5, "le"),
        ("stepd_cpu_ms_per_exec", "stepd CPU per 5-Pass execution (ms)", None, None, None),
    ]
    results = {}
    print()
    print(f"{args.repeat} rounds of {args.seconds:g} s (+{args.warmup:g} s warm-up), "
          f"{args.connections} clients, HTTP threads: echo {args.http_threads}, stepd "
          f"{args.stepd_http_threads}; load average "
          f"{load['before'][0]:.2f} before, {load['after'][0]:.2f} after; stepd RSS at the end "
          f"{(rss or 0) / 1024:.0f} MiB; SendTaskSuccess offered at {args.callback_rate:,.0f}/s")
    print("| figure | min | median | max | baseline (median) | ratio | target | met |")
    print("|---|---|---|---|---|---|---|---|")
    for key, label, base, target, kind in rows:
        s = summary.get(key)
        if not s:
            continue
        fmt = ("{:.2f}" if key.endswith(("_ms", "_exec", "_s")) else
               "{:.1f}" if key.endswith("_mib") else "{:,.0f}")
        baseline = ratio = met = ""
        entry = {"label": label, **s}
        if base and base in med and med[base]:
            r = med[key] / med[base]
            baseline, ratio = fmt.format(med[base]), f"{r:.2f}"
            entry.update(baseline=med[base], ratio=r)
            if kind == "ratio":
                met = "yes" if r >= target else "no"
        if kind == "abs":
            met = "yes" if med[key] >= target else "no"
        if kind == "le":
            met = "yes" if med[key] <= target else "no"
        tgt = "" if target is None else (f"≥ {target:.0%} of baseline" if kind == "ratio"
                                         else f"≤ {target:,}" if kind == "le"
                                         else f"≥ {target:,}")
        if target is not None:
            entry.update(target=target, target_kind=kind, met=met == "yes")
        results[key] = entry
        print(f"| {label} | {fmt.format(s['min'])} | {fmt.format(s['median'])} | "
              f"{fmt.format(s['max'])} | {baseline} | {ratio} | {tgt} | {met} |")
    if map_scale_fit:
        print("Map scale, median time per item: " +
              ", ".join(f"{n:,} items {us:.1f} µs" for n, us in
                        map_scale_fit["us_per_item"].items()) +
              f"; largest / smallest {map_scale_fit['largest_over_smallest']:.2f} "
              f"({'linear' if map_scale_fit['linear'] else 'NOT linear'}: ≤ 1.5 counts as linear)")
    if sql:
        print("SQL ratios (medians): " + ", ".join(f"{k} {v:.3f}" for k, v in sql["ratios"].items()))
    if failures:
        print(f"FAILED requests: {failures} (see error_samples in the JSON)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"figures": results, "load_average": load, "seconds": args.seconds,
                       "warmup": args.warmup, "repeat": args.repeat,
                       "connections": args.connections, "http_threads": args.http_threads,
                       "stepd_http_threads": args.stepd_http_threads,
                       "callback_rate": args.callback_rate,
                       "stepd_rss_kib_end": rss, "wall_s": time.time() - started,
                       "engine_bench": engine, "map_scale": {"runs": map_runs,
                                                             "fit": map_scale_fit},
                       "sql": sql, "rounds": raw}, f, indent=2)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as e:
        sys.exit(f"interrupted ({e}); everything started was stopped")
