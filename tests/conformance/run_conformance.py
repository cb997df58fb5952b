#!/usr/bin/env python3
"""Runs the AWS-recorded conformance cases (../shared/conformance) against a live stepd.

Starts the built server on a free loopback port with a temporary data directory, runs
run_server.py over every group this build covers, and compares the failing cases with
expected_failures.txt beside this script:
  - a failing case that is not listed fails the test;
  - a listed case that now passes also fails the test (take it off the list: it may only shrink).
Prints the pass rate per group and ends with the usual 'N passed, M failed' line (over the cases
run; listed failures count as failed).
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import stepd_harness  # noqa: E402

# Every group runs; nothing is skipped.
SKIP_PREFIXES = ()


def load_expected(path):
    expected = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition("  # ")
            if not reason.strip():
                raise SystemExit(f"expected_failures.txt: every line needs a reason: {line!r}")
            expected[name.strip()] = reason.strip()
    return expected


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stepd", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--only", action="append", help="restrict to these groups")
    ap.add_argument("-j", "--jobs", type=int, default=8)
    args = ap.parse_args()

    os.environ["STEPD_BIN"] = args.stepd
    cases_dir = os.path.join(args.shared, "conformance", "cases")
    runner = os.path.join(args.shared, "conformance", "run_server.py")
    groups = sorted(g for g in os.listdir(cases_dir) if not g.startswith(SKIP_PREFIXES))
    if args.only:
        groups = [g for g in groups if g in args.only]
    expected = load_expected(os.path.join(HERE, "expected_failures.txt"))

    with stepd_harness.StepdServer(log_level="warn") as server:
        report_path = os.path.join(tempfile.mkdtemp(prefix="stepd-conf-"), "report.json")
        cmd = [sys.executable, runner, "--endpoint", server.endpoint, "--json-report", report_path,
               "-j", str(args.jobs), "--timeout", "30"]
        for g in groups:
            cmd += ["--only", g]
        cmd.append(cases_dir)
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode == 2 or not os.path.exists(report_path):
            print(p.stdout[-4000:], p.stderr[-4000:])
            print(server.log_tail())
            print("0 passed, 1 failed")
            return 1
        with open(report_path) as f:
            report = json.load(f)

    results = report["results"] if isinstance(report, dict) and "results" in report else report
    per_group = collections.defaultdict(lambda: [0, 0])
    unexpected, fixed = [], []
    passed = failed = 0
    for r in results:
        name, group, ok = r["name"], r.get("group", "?"), r.get("pass")
        per_group[group][0 if ok else 1] += 1
        if ok:
            passed += 1
            if name in expected:
                fixed.append(name)
        else:
            failed += 1
            if name not in expected:
                unexpected.append(f"{name}: {r.get('reason')}")

    print("conformance pass rate per group:")
    for g in sorted(per_group):
        ok, bad = per_group[g]
        print(f"  {g:28s} {ok:4d}/{ok + bad:<4d} {100.0 * ok / max(1, ok + bad):6.1f}%")
    for line in unexpected:
        print("UNEXPECTED FAILURE", line)
    for name in fixed:
        print("NOW PASSES (remove from expected_failures.txt):", name)
    print(f"{passed} passed, {failed} failed ({failed - len(unexpected)} of them listed as expected)")
    return 1 if unexpected or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
