#!/usr/bin/env python3
"""SQL steps against pgbench -S (issue 4), on one throwaway PostgreSQL server in one run.

Starts PostgreSQL exactly as the integration tests do (tests/integration/pg_harness.py: initdb in a
temporary directory, loopback TCP, scram password, fsync=off), loads `pgbench -i -s 1`, then
repeats R rounds of, interleaved so that machine noise hits every figure alike:

  pgbench -S -c N -j 2 -T secs -M simple      (pgbench's default protocol)
  pgbench -S -c N -j 2 -T secs -M prepared
  sql_step_bench --mode both                   (the pool alone, then .sync SQL steps)

and prints min / median / max of each figure and the ratios of the medians. Standard library
only. Every child process has a timeout; nothing listens beyond 127.0.0.1.

  python3 bench/run_sql_bench.py --binary build/bench/sql_step_bench [--quick] [--json out.json]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import pg_harness  # noqa: E402

PASSWORD_ENV = "STEPD_BENCH_PG_PASSWORD"
TPS_RE = re.compile(
    r"tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)\)")


def pgbench(server, mode, clients, secs):
    cmd = ["pgbench", "-n", "-S", "-c", str(clients), "-j", "2", "-T", str(secs), "-M", mode,
           pg_harness.DATABASE]
    p = subprocess.run(cmd, env=server.env(), capture_output=True, text=True, timeout=secs + 60)
    if p.returncode != 0:
        raise RuntimeError(f"pgbench failed ({p.returncode}): {p.stderr}")
    m = TPS_RE.search(p.stdout)
    if not m:
        raise RuntimeError(f"no tps in pgbench output:\n{p.stdout}")
    return float(m.group(1))


def step_bench(server, args, secs, warmup):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    try:
        cmd = [args.binary, "--conninfo", server.conninfo() + f" user={pg_harness.USER}",
               "--password-env", PASSWORD_ENV, "--database", pg_harness.DATABASE,
               "--connections", str(args.connections), "--inflight", str(args.inflight),
               "--warmup", str(warmup), "--seconds", str(secs), "--json", out]
        env = dict(os.environ)
        env[PASSWORD_ENV] = pg_harness.PASSWORD
        p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                           timeout=2 * (secs + warmup) + 180)
        sys.stdout.write(p.stdout)
        if p.returncode != 0:
            raise RuntimeError(f"sql_step_bench failed ({p.returncode}): {p.stderr}")
        with open(out) as f:
            return json.load(f)
    finally:
        os.remove(out)


def spread(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values),
            "values": values}


def measure(binary, seconds, warmup, repeat, connections, inflight, log=print):
    """Runs the rounds on one throwaway PostgreSQL server; returns (summary, ratios, raw rounds,
    failures). Also called by bench/run_suite.py for issue 6's SQL figure."""
    figures = {"pgbench_simple": [], "pgbench_prepared": [], "pool": [], "steps": [],
               "pool_p50_ms": [], "pool_p99_ms": [], "steps_p50_ms": [], "steps_p99_ms": []}
    raw = []
    failures = 0
    opts = argparse.Namespace(binary=binary, connections=connections, inflight=inflight)
    with pg_harness.PostgresServer() as server:
        p = subprocess.run(["pgbench", "-i", "-q", "-s", "1", pg_harness.DATABASE],
                           env=server.env(), capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError(f"pgbench -i failed: {p.stderr}")
        for r in range(repeat):
            log(f"round {r + 1}/{repeat}, load average {os.getloadavg()[0]:.2f}")
            for mode in ("simple", "prepared"):
                tps = pgbench(server, mode, connections, seconds)
                figures[f"pgbench_{mode}"].append(tps)
                log(f"pgbench -S -M {mode:8} {tps:9.0f} tps")
            res = step_bench(server, opts, seconds, warmup)
            for k in ("pool", "steps"):
                figures[k].append(res[k]["per_second"])
                figures[f"{k}_p50_ms"].append(res[k]["p50_ms"])
                figures[f"{k}_p99_ms"].append(res[k]["p99_ms"])
                failures += res[k]["failed_total"]
            raw.append(res)
    summary = {k: spread(v) for k, v in figures.items()}
    med = {k: v["median"] for k, v in summary.items()}
    ratios = {
        "steps / pgbench -S simple": med["steps"] / med["pgbench_simple"],
        "steps / pgbench -S prepared": med["steps"] / med["pgbench_prepared"],
        "pool / pgbench -S simple": med["pool"] / med["pgbench_simple"],
        "steps / pool": med["steps"] / med["pool"],
    }
    return summary, ratios, raw, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(REPO, "build", "bench", "sql_step_bench"),
                    help="the sql_step_bench executable")
    ap.add_argument("--seconds", type=int, default=10, help="length of each measurement")
    ap.add_argument("--warmup", type=float, default=2, help="sql_step_bench warm-up seconds")
    ap.add_argument("--repeat", type=int, default=3, help="rounds (each figure R times)")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--inflight", type=int, default=256)
    ap.add_argument("--quick", action="store_true", help="3 s measurements, 1 s warm-up, 1 round")
    ap.add_argument("--json", help="write all figures here")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.warmup, args.repeat = 3, 1, 1
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"no sql_step_bench at {args.binary} (build the target, or pass --binary)")
    if not pg_harness.available():
        sys.exit("PostgreSQL server binaries or psql are missing")

    load = {"before": os.getloadavg()}
    started = time.time()
    summary, ratios, raw, failures = measure(args.binary, args.seconds, args.warmup, args.repeat,
                                             args.connections, args.inflight,
                                             log=lambda m: print(m, flush=True))
    load["after"] = os.getloadavg()

    names = [("pgbench_simple", "pgbench -S -M simple (tps)"),
             ("pgbench_prepared", "pgbench -S -M prepared (tps)"),
             ("pool", "pool alone, SELECT 1 (/s)"),
             ("steps", ".sync SQL steps, SELECT 1 (executions/s)"),
             ("pool_p50_ms", "pool alone p50 (ms)"), ("pool_p99_ms", "pool alone p99 (ms)"),
             ("steps_p50_ms", "SQL steps p50 start→close (ms)"),
             ("steps_p99_ms", "SQL steps p99 start→close (ms)")]
    print()
    print(f"{args.connections} connections, {args.inflight} in flight, {args.seconds} s each, "
          f"{args.repeat} rounds; load average {load['before'][0]:.2f} before, "
          f"{load['after'][0]:.2f} after")
    print(f"| figure | min | median | max |\n|---|---|---|---|")
    for k, label in names:
        s = summary[k]
        fmt = "{:.2f}" if k.endswith("_ms") else "{:,.0f}"
        print(f"| {label} | {fmt.format(s['min'])} | {fmt.format(s['median'])} | "
              f"{fmt.format(s['max'])} |")
    for k, v in ratios.items():
        print(f"{k} (medians): {v:.3f}")
    if failures:
        print(f"FAILED requests or executions: {failures} (see the JSON)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": summary, "ratios": ratios, "load_average": load,
                       "connections": args.connections, "inflight": args.inflight,
                       "seconds": args.seconds, "repeat": args.repeat,
                       "wall_s": time.time() - started, "rounds": raw}, f, indent=2)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
