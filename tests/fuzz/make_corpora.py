#!/usr/bin/env python3
"""Builds the seed corpus of every fuzz target in OUT/<target>/.

Seeds come from the conformance cases recorded against AWS (definitions, inputs, and the paths,
intrinsic calls, Choice rules and payload templates written in those definitions), from the
repository's own SQL files, and from the hand-written seeds and regression inputs kept in
tests/fuzz/seeds/<target>/ and tests/fuzz/regressions/<target>/. Each input is stored under the
SHA-1 of its bytes, as libFuzzer names the inputs it adds, so running this again only adds what
is new and keeps what earlier fuzz runs found.

    make_corpora.py --shared ../shared --source tests/fuzz --out build-fuzz/tests/fuzz/corpus
"""
import argparse
import base64
import glob
import hashlib
import hmac
import json
import os
import struct
import sys

TARGETS = ["asl_definition", "json_path", "intrinsics", "choice_rule", "payload_template",
           "task_token", "aws_json_request", "rest_request", "sql_script", "sigv4", "jsonata"]
SEPARATOR = "\n---\n"  # tests/fuzz/fuzz_input.h: kPartSeparator
TOKEN_KEY = b"k" * 32  # tests/fuzz/task_token_fuzz.cpp: the codec's fixed key
ROLE = "arn:aws:iam::123456789012:role/stepd"
SIGV4_SECRET = b"stepd-fuzz-secret"  # tests/fuzz/sigv4_fuzz.cpp: kSecret
SIGV4_DATE = "20231114T221320Z"  # 1,700,000,000 s, the target's clock when a request has no date
# Seeds per target taken from the cases: enough to cover every feature, few enough that loading
# them stays a small part of a 20-second run.
MAX_CASE_SEEDS = 400
MAX_SEED_BYTES = 16384


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def walk(node, visit, key=None):
    """Calls visit(key, value) for every member and array item, depth first."""
    visit(key, node)
    if isinstance(node, dict):
        for k, v in node.items():
            walk(v, visit, k)
    elif isinstance(node, list):
        for v in node:
            walk(v, visit, key)


class Corpus:
    def __init__(self, out):
        self.out = out
        self.seeds = {t: {} for t in TARGETS}

    def add(self, target, data, from_cases=True):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if len(data) > MAX_SEED_BYTES:
            return
        seeds = self.seeds[target]
        if from_cases and len(seeds) >= MAX_CASE_SEEDS:
            return
        seeds[hashlib.sha1(data).hexdigest()] = data

    def write(self):
        for target, seeds in self.seeds.items():
            folder = os.path.join(self.out, target)
            os.makedirs(folder, exist_ok=True)
            for name, data in seeds.items():
                path = os.path.join(folder, name)
                if not os.path.exists(path):
                    with open(path, "wb") as f:
                        f.write(data)
            count = len(os.listdir(folder))
            print(f"{target}: {len(seeds)} seeds, {count} inputs in {folder}")


def add_case(corpus, case):
    definition = case.get("definition")
    text = case.get("definition_string") or compact(definition)
    corpus.add("asl_definition", text)
    doc = compact(case.get("input", {}))

    def visit(key, value):
        if isinstance(value, str) and value.startswith("{%") and value.endswith("%}"):
            corpus.add("jsonata", value[2:-2].strip() + SEPARATOR + doc)
        if isinstance(value, str) and key is not None:
            if key.endswith(".$") or key.endswith("Path") or key == "Variable":
                if value.startswith("States."):
                    corpus.add("intrinsics", value + SEPARATOR + doc)
                elif value.startswith("$"):
                    corpus.add("json_path", value + SEPARATOR + doc)
        if isinstance(value, dict):
            if key == "Choices" or "Variable" in value or "Not" in value:
                corpus.add("choice_rule", compact(value) + SEPARATOR + doc)
        if key in ("Parameters", "ResultSelector", "ItemSelector", "Arguments") and isinstance(
                value, (dict, list)):
            corpus.add("payload_template", compact(value) + SEPARATOR + doc)

    if isinstance(definition, dict):
        walk(definition, visit)

    name = "m" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    create = {"name": name, "definition": text, "roleArn": ROLE}
    corpus.add("aws_json_request", "AWSStepFunctions.CreateStateMachine\n" + compact(create))
    start = {"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:" + name,
             "input": doc}
    corpus.add("aws_json_request", "AWSStepFunctions.StartExecution\n" + compact(start))
    inline = {"name": name, "roleArn": ROLE, "definition": definition}
    corpus.add("rest_request", "POST /v1/state-machines\n" + compact(inline))
    corpus.add("rest_request", f"POST /v1/state-machines/{name}/executions?wait=10\n"
               + compact({"name": "run-1", "input": case.get("input", {})}))


def sealed_token(execution_id, task_seq, nonce):
    body = struct.pack(">BQQQ", 1, execution_id, task_seq, nonce)
    mac = hmac.new(TOKEN_KEY, body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(body + mac).rstrip(b"=")


def signed_request(method, path, query, body, service, extra_headers=(), content_sha=False):
    """A request signed with SigV4 as the AWS SDKs sign one (plain paths, so no encoding)."""
    body = body.encode("utf-8")
    payload_hash = hashlib.sha256(body).hexdigest()
    headers = [("Host", "127.0.0.1:8080"), ("X-Amz-Date", SIGV4_DATE)] + list(extra_headers)
    if content_sha:
        headers.append(("X-Amz-Content-Sha256", payload_hash))
    signed = sorted((name.lower(), value.strip()) for name, value in headers)
    names = ";".join(name for name, _ in signed)
    canonical_query = "&".join(sorted(query.split("&"))) if query else ""
    canonical = "\n".join([method, path, canonical_query]
                          + [f"{name}:{value}" for name, value in signed]
                          + ["", names, payload_hash])
    scope = f"{SIGV4_DATE[:8]}/us-east-1/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", SIGV4_DATE, scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = b"AWS4" + SIGV4_SECRET
    for part in (SIGV4_DATE[:8], "us-east-1", service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers.append(("Authorization", f"AWS4-HMAC-SHA256 Credential=AKIDFUZZ/{scope}, "
                                     f"SignedHeaders={names}, Signature={signature}"))
    target = path + ("?" + query if query else "")
    lines = [f"{method} {target} HTTP/1.1"] + [f"{name}: {value}" for name, value in headers]
    return "\r\n".join(lines) + "\r\n\r\n" + body.decode("utf-8")


def add_sigv4_seeds(corpus):
    json_type = ("Content-Type", "application/x-amz-json-1.0")
    states = lambda action: ("X-Amz-Target", "AWSStepFunctions." + action)
    corpus.add("sigv4", signed_request("POST", "/", "", '{"maxResults":10}', "states",
                                       [json_type, states("ListStateMachines")]))
    corpus.add("sigv4", signed_request("POST", "/", "", '{"taskToken":"AQ","output":"{}"}',
                                       "states", [json_type, states("SendTaskSuccess")],
                                       content_sha=True))
    corpus.add("sigv4", signed_request("POST", "/", "", '{"Sql":"select 1"}', "redshift-data",
                                       [json_type, ("X-Amz-Target",
                                                    "RedshiftData.ExecuteStatement")]))
    corpus.add("sigv4", signed_request("GET", "/v1/executions", "maxResults=5&statusFilter=RUNNING",
                                       "", "states"))
    corpus.add("sigv4", signed_request("GET", "/healthz", "", "", "execute-api"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", required=True, help="the shared folder (conformance cases)")
    parser.add_argument("--source", required=True, help="tests/fuzz in the source tree")
    parser.add_argument("--out", required=True, help="where the corpora go")
    args = parser.parse_args()
    corpus = Corpus(args.out)

    cases = sorted(glob.glob(os.path.join(args.shared, "conformance", "cases", "*", "*.json")))
    if not cases:
        print(f"make_corpora.py: no conformance cases under {args.shared}; hand seeds only",
              file=sys.stderr)
    for path in cases:
        with open(path, encoding="utf-8") as f:
            add_case(corpus, json.load(f))

    for ids in [(1, 1, 0), (42, 7, 2**64 - 1), (2**63 - 1, 0, 12345)]:
        corpus.add("task_token", sealed_token(*ids))

    add_sigv4_seeds(corpus)

    repo = os.path.dirname(os.path.dirname(os.path.abspath(args.source)))
    for pattern in ("examples/**/*.sql", "migrations/**/*.sql"):
        for path in sorted(glob.glob(os.path.join(repo, pattern), recursive=True)):
            with open(path, "rb") as f:
                corpus.add("sql_script", b"\n" + f.read())

    for kind in ("seeds", "regressions"):
        for target in TARGETS:
            for path in sorted(glob.glob(os.path.join(args.source, kind, target, "*"))):
                if os.path.basename(path) != "README.md":
                    with open(path, "rb") as f:
                        corpus.add(target, f.read(), from_cases=False)

    corpus.write()


if __name__ == "__main__":
    main()
