"""A catalogue of malformed, oversized, mistyped and out-of-order requests against a live server.

Each case is data: which door, the raw request (method, path, headers, body bytes) and the
answer it must get (a 4xx status and the AWS error name in `__type`). The server is seeded with
state machines, executions and activities first; the whole SQLite database is read before and
after the catalogue and must be identical, and /healthz must answer 200 after every case.
"""
import json
import os
import socket
import sqlite3
import time
import unittest

from stepd_harness import ACCOUNT, REGION, ROLE_ARN, ServerTestCase, wait_until

AWS = "aws"  # POST / with X-Amz-Target
REST = "rest"  # /v1/...
RAW = "raw"  # bytes exactly as given

PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}"
SM = f"{PREFIX}:stateMachine:"
ACT = f"{PREFIX}:activity:"
EXE = f"{PREFIX}:execution:"

PASS_DEF = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
FAIL_DEF = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Biz.Broken", "Cause": "x"}}}


def task_def(activity_arn):
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity_arn, "End": True}}}


class Case:
    def __init__(self, name, door, method="POST", path="/", headers=None, body=b"", status=400,
                 type=None, target=None, raw=None, half_close=False):
        self.name = name
        self.door = door
        self.method = method
        self.path = path
        self.headers = dict(headers or {})
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.status = status
        self.type = type
        self.target = target
        self.raw = raw  # for RAW: the whole request as bytes
        self.half_close = half_close  # shut down our sending side once the request is out

    def request_bytes(self):
        if self.raw is not None:
            return self.raw
        headers = {"Host": "stepd", "Connection": "close"}
        if self.door == AWS:
            headers["Content-Type"] = "application/x-amz-json-1.0"
            if self.target is not None:
                headers["X-Amz-Target"] = self.target
        elif self.body:
            headers["Content-Type"] = "application/json"
        headers.update(self.headers)
        if "Transfer-Encoding" not in headers and (self.body or self.method in ("POST", "PUT", "PATCH")):
            headers.setdefault("Content-Length", str(len(self.body)))
        head = f"{self.method} {self.path} HTTP/1.1\r\n".encode("latin-1")
        for k, v in headers.items():
            head += f"{k}: {v}\r\n".encode("latin-1")
        return head + b"\r\n" + self.body


def send(port, data, timeout=30, half_close=False):
    """Sends raw bytes; returns (status, parsed JSON body or text)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        for i in range(0, len(data), 1 << 20):
            s.sendall(data[i:i + (1 << 20)])
        if half_close:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            # A reply to Connection: close ends when the server closes; stop early once the
            # declared body is complete, for servers that keep the connection anyway.
            whole = b"".join(chunks)
            head, sep, body = whole.partition(b"\r\n\r\n")
            if sep:
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length" and len(body) >= int(v):
                        chunks = [whole]
                        break
                else:
                    continue
                break
    whole = b"".join(chunks)
    head, _, body = whole.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split(b" ")
    status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
    text = body.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def aws(name, action, body, type, status=400, target_prefix="AWSStepFunctions."):
    return Case(f"aws {action}: {name}", AWS, body=body, status=status, type=type,
                target=target_prefix + action)


def rest(name, method, path, body=b"", type="ValidationException", status=400, headers=None):
    return Case(f"rest {method} {path[:60]}: {name}", REST, method=method, path=path, body=body,
                status=status, type=type, headers=headers)


class Seed:
    """What the store holds before the catalogue runs; the cases refer to it by name."""


def seed_store(server):
    s = Seed()
    s.act = server.create_activity("hostile-act")
    s.gone_act = server.create_activity("hostile-gone-act")
    server.aws_json("DeleteActivity", {"activityArn": s.gone_act})
    s.pass_sm = server.create_state_machine("hostile-pass", PASS_DEF)
    s.fail_sm = server.create_state_machine("hostile-fail", FAIL_DEF)
    s.task_sm = server.create_state_machine("hostile-task", task_def(s.act))
    s.gone_sm = server.create_state_machine("hostile-gone", PASS_DEF)
    server.aws_json("DeleteStateMachine", {"stateMachineArn": s.gone_sm})

    s.done = server.start_execution(s.pass_sm, {"n": 1}, name="done")
    s.failed = server.start_execution(s.fail_sm, {"n": 2}, name="failed")
    s.stopped = server.start_execution(s.task_sm, {"n": 3}, name="stopped")
    server.aws_json("StopExecution", {"executionArn": s.stopped, "error": "E", "cause": "C"})
    # An execution whose task was answered, so its token is closed ...
    s.answered = server.start_execution(s.task_sm, {"n": 4}, name="answered")
    task = wait_until(lambda: server.get_activity_task(s.act, timeout=10).get("taskToken"),
                      what="a queued activity task")
    s.closed_token = task
    server.aws_json("SendTaskSuccess", {"taskToken": task, "output": "{}"})
    # ... and one left waiting, its task queued and never polled.
    s.running = server.start_execution(s.task_sm, {"n": 5}, name="running")
    for arn in (s.done, s.failed, s.stopped, s.answered):
        server.wait_status(arn)
    return s


def store_dump(db_path):
    """Every row of every table, through a read-only connection."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    finally:
        conn.close()


# --- the catalogue

# Every action of the AWS door with a request that is valid in shape, used as the base for
# mistyped and missing members.
def base_requests(s):
    return {
        "CreateStateMachine": {"name": "hostile-new", "definition": json.dumps(PASS_DEF), "roleArn": ROLE_ARN},
        "DescribeStateMachine": {"stateMachineArn": s.pass_sm},
        "UpdateStateMachine": {"stateMachineArn": s.pass_sm, "definition": json.dumps(PASS_DEF)},
        "DeleteStateMachine": {"stateMachineArn": s.pass_sm},
        "ListStateMachines": {"maxResults": 10},
        "ValidateStateMachineDefinition": {"definition": json.dumps(PASS_DEF)},
        "DescribeStateMachineForExecution": {"executionArn": s.done},
        "StartExecution": {"stateMachineArn": s.pass_sm, "input": "{}"},
        "DescribeExecution": {"executionArn": s.done},
        "ListExecutions": {"stateMachineArn": s.pass_sm},
        "StopExecution": {"executionArn": s.running},
        "RedriveExecution": {"executionArn": s.failed},
        "GetExecutionHistory": {"executionArn": s.done},
        "CreateActivity": {"name": "hostile-new-act"},
        "DescribeActivity": {"activityArn": s.act},
        "ListActivities": {},
        "DeleteActivity": {"activityArn": s.act},
        "SendTaskSuccess": {"taskToken": s.closed_token, "output": "{}"},
        "SendTaskFailure": {"taskToken": s.closed_token},
        "SendTaskHeartbeat": {"taskToken": s.closed_token},
        "GetActivityTask": {"activityArn": s.act},
        "TestState": {"definition": json.dumps({"Type": "Pass", "End": True}), "roleArn": ROLE_ARN},
    }


REQUIRED = {
    "CreateStateMachine": ["name", "definition", "roleArn"],
    "DescribeStateMachine": ["stateMachineArn"],
    "UpdateStateMachine": ["stateMachineArn"],
    "DeleteStateMachine": ["stateMachineArn"],
    "ValidateStateMachineDefinition": ["definition"],
    "DescribeStateMachineForExecution": ["executionArn"],
    "StartExecution": ["stateMachineArn"],
    "DescribeExecution": ["executionArn"],
    "StopExecution": ["executionArn"],
    "RedriveExecution": ["executionArn"],
    "GetExecutionHistory": ["executionArn"],
    "CreateActivity": ["name"],
    "DescribeActivity": ["activityArn"],
    "DeleteActivity": ["activityArn"],
    "SendTaskSuccess": ["taskToken", "output"],
    "SendTaskFailure": ["taskToken"],
    "SendTaskHeartbeat": ["taskToken"],
    "GetActivityTask": ["activityArn"],
    "TestState": ["definition"],
}

# String members of each action and the limit of their length.
STRINGS = {
    "CreateStateMachine": {"name": 80, "roleArn": 256},
    "DescribeStateMachine": {"stateMachineArn": 256},
    "UpdateStateMachine": {"stateMachineArn": 256, "roleArn": 256},
    "DeleteStateMachine": {"stateMachineArn": 256},
    "DescribeStateMachineForExecution": {"executionArn": 256},
    "StartExecution": {"stateMachineArn": 256, "name": 80},
    "DescribeExecution": {"executionArn": 256},
    "ListExecutions": {"stateMachineArn": 256},
    "StopExecution": {"executionArn": 256, "error": 256},
    "RedriveExecution": {"executionArn": 256, "clientToken": 64},
    "GetExecutionHistory": {"executionArn": 256},
    "CreateActivity": {"name": 80},
    "DescribeActivity": {"activityArn": 256},
    "DeleteActivity": {"activityArn": 256},
    "SendTaskSuccess": {"taskToken": 2048},
    "SendTaskFailure": {"taskToken": 2048, "error": 256},
    "SendTaskHeartbeat": {"taskToken": 2048},
    "GetActivityTask": {"activityArn": 256, "workerName": 80},
}


def generated_cases(s):
    """Per action: each required member missing or null, each string member mistyped, empty
    and over-long, and bodies that are not objects."""
    cases = []
    base = base_requests(s)
    for action, req in base.items():
        for member in REQUIRED.get(action, []):
            body = {k: v for k, v in req.items() if k != member}
            cases.append(aws(f"{member} missing", action, body, "ValidationException"))
        for member in REQUIRED.get(action, [])[:1]:
            cases.append(aws(f"{member} null", action, {**req, member: None}, "ValidationException"))
        for member, limit in STRINGS.get(action, {}).items():
            for label, value in (("a number", 42), ("an array", ["x"]), ("an object", {"a": 1}),
                                 ("a boolean", True)):
                cases.append(aws(f"{member} is {label}", action, {**req, member: value},
                                 "ValidationException"))
            cases.append(aws(f"{member} over {limit} characters", action,
                             {**req, member: "a" * (limit + 1)}, "ValidationException"))
            if member not in ("error",):  # error may be empty
                cases.append(aws(f"{member} empty", action, {**req, member: ""}, "ValidationException"))
        for label, raw in (("an array", b"[]"), ("a string", b'"x"'), ("a number", b"1"),
                           ("null", b"null")):
            cases.append(aws(f"body is {label}", action, raw, "SerializationException"))
    return cases


def json_cases(s):
    """Bytes that are not acceptable JSON, on both doors."""
    bad = [
        ("truncated", b'{"name": "x'),
        ("trailing garbage", b'{"name": "x"} garbage'),
        ("two objects", b'{}{}'),
        ("invalid UTF-8 in a string", b'{"name": "\xff\xfe"}'),
        ("overlong UTF-8", b'{"name": "\xc0\xaf"}'),
        ("lone surrogate escape", b'{"name": "\\ud800"}'),
        ("NaN", b'{"maxResults": NaN}'),
        ("Infinity", b'{"maxResults": Infinity}'),
        ("single quotes", b"{'name': 'x'}"),
        ("comment", b'{"name": "x" /* hi */}'),
        ("unquoted key", b'{name: "x"}'),
        ("trailing comma", b'{"name": "x",}'),
        ("control character in a string", b'{"name": "a\x01b"}'),
        ("bad escape", b'{"name": "\\q"}'),
        ("leading zero", b'{"maxResults": 012}'),
        ("nested 200 deep", b'{"a":' * 200 + b"1" + b"}" * 200),
        ("arrays nested 100000 deep", b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}"),
        ("NUL byte", b'{"name": "x"}\x00'),
    ]
    cases = []
    for label, raw in bad:
        cases.append(aws(label, "ListActivities", raw, "SerializationException"))
        cases.append(aws(label, "CreateActivity", raw, "SerializationException"))
        cases.append(rest(label, "POST", "/v1/activities", raw, "SerializationException"))
    # Too many members in one object (quadratic to parse).
    wide = b"{" + b",".join(b'"k%d": 1' % i for i in range(1500)) + b"}"
    cases.append(aws("1500 members", "ListActivities", wide, "SerializationException"))
    cases.append(rest("1500 members", "POST", "/v1/activities", wide, "SerializationException"))
    return cases


def number_cases(s):
    cases = []
    for label, raw in (("1e400", b"1e400"), ("-1e400", b"-1e400"), ("2^64", b"18446744073709551616"),
                       ("a fraction", b"1.5"), ("negative", b"-1"), ("1001", b"1001"),
                       ("a string", b'"10"'), ("huge negative", b"-99999999999999999999")):
        for action, extra in (("ListStateMachines", b""), ("ListActivities", b""),
                              ("ListExecutions", b', "stateMachineArn": "%s"' % s.pass_sm.encode()),
                              ("GetExecutionHistory", b', "executionArn": "%s"' % s.done.encode())):
            body = b'{"maxResults": ' + raw + extra + b"}"
            # Beyond double's range is bad JSON, not a bad value.
            type = "SerializationException" if "e400" in label else "ValidationException"
            cases.append(aws(f"maxResults {label}", action, body, type))
    return cases


def arn_cases(s):
    cases = []
    bad_arns = [
        ("not an ARN", "hostile-pass", "InvalidArn"),
        ("too many colons", SM + "hostile-pass:x:y:z", "InvalidArn"),
        ("activity ARN for a state machine", s.act, "InvalidArn"),
        ("execution ARN for a state machine", s.done, "InvalidArn"),
        ("wrong service", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f", "InvalidArn"),
        ("empty region", f"arn:aws:states::{ACCOUNT}:stateMachine:x", "InvalidArn"),
        ("empty account", f"arn:aws:states:{REGION}::stateMachine:x", "InvalidArn"),
        ("only the prefix", "arn:", "InvalidArn"),
        ("wrong partition", f"arn:aws-cn:states:{REGION}:{ACCOUNT}:stateMachine:hostile-pass",
         "StateMachineDoesNotExist"),
        ("wrong region", f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:hostile-pass",
         "StateMachineDoesNotExist"),
        ("wrong account", f"arn:aws:states:{REGION}:999999999999:stateMachine:hostile-pass",
         "StateMachineDoesNotExist"),
    ]
    for label, arn, type in bad_arns:
        cases.append(aws(label, "DescribeStateMachine", {"stateMachineArn": arn}, type))
        cases.append(aws(label, "StartExecution", {"stateMachineArn": arn}, type))
        if type == "InvalidArn":
            cases.append(aws(label, "DeleteStateMachine", {"stateMachineArn": arn}, type))
    for label, arn in (("state machine ARN", s.pass_sm), ("activity ARN", s.act),
                       ("not an ARN", "done"), ("too few parts", SM + "x"),
                       ("too many colons", EXE + "hostile-pass:done:x:y")):
        for action in ("DescribeExecution", "StopExecution", "GetExecutionHistory", "RedriveExecution",
                       "DescribeStateMachineForExecution"):
            cases.append(aws(label, action, {"executionArn": arn}, "InvalidArn"))
    for label, arn in (("state machine ARN", s.pass_sm), ("not an ARN", "hostile-act"),
                       ("execution ARN", s.done)):
        for action in ("DescribeActivity", "DeleteActivity", "GetActivityTask"):
            cases.append(aws(label, action, {"activityArn": arn}, "InvalidArn"))
    cases.append(aws("state machine ARN", "ListExecutions", {"stateMachineArn": s.act}, "InvalidArn"))
    return cases


def name_cases(s):
    cases = []
    for label, name in (("a space", "a b"), ("a slash", "a/b"), ("a colon", "a:b"), ("a star", "a*"),
                        ("a control character", "a\u0001b"), ("a DEL", "a\u007fb"),
                        ("a C1 control", "a\u0085b"), ("a no-break space", "a\u00a0b"),
                        ("an ideographic space", "a\u3000b"), ("U+FFFF", "a\uffffb"),
                        ("braces", "{x}"), ("a dollar", "$x"), ("a quote", 'a"b'), ("a backslash", "a\\b")):
        cases.append(aws(f"name with {label}", "CreateStateMachine",
                         {"name": name, "definition": json.dumps(PASS_DEF), "roleArn": ROLE_ARN}, "InvalidName"))
        cases.append(aws(f"name with {label}", "CreateActivity", {"name": name}, "InvalidName"))
        cases.append(aws(f"name with {label}", "StartExecution", {"stateMachineArn": s.pass_sm, "name": name},
                         "InvalidName"))
    cases.append(aws("81 multi-byte characters", "CreateActivity", {"name": "é" * 81}, "ValidationException"))
    return cases


def definition_cases(s):
    bad = [
        ("not JSON", "{"),
        ("a JSON array", "[]"),
        ("no StartAt", json.dumps({"States": {"P": {"Type": "Pass", "End": True}}})),
        ("StartAt names no state", json.dumps({"StartAt": "Q", "States": {"P": {"Type": "Pass", "End": True}}})),
        ("no States", json.dumps({"StartAt": "P"})),
        ("empty States", json.dumps({"StartAt": "P", "States": {}})),
        ("unknown state type", json.dumps({"StartAt": "P", "States": {"P": {"Type": "Teleport", "End": True}}})),
        ("Next to nowhere", json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Z"}}})),
        ("neither Next nor End", json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass"}}})),
        ("both Next and End", json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "P",
                                                                           "End": True}}})),
        ("bad JSONPath", json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$$$[",
                                                                      "End": True}}})),
        ("Choice without Choices", json.dumps({"StartAt": "C", "States": {"C": {"Type": "Choice"}}})),
        ("Wait without a time", json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "End": True}}})),
        ("negative Wait", json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": -1,
                                                                       "End": True}}})),
        ("Task without Resource", json.dumps({"StartAt": "T", "States": {"T": {"Type": "Task", "End": True}}})),
        ("Parallel without Branches", json.dumps({"StartAt": "P", "States": {"P": {"Type": "Parallel",
                                                                                   "End": True}}})),
        ("Map without ItemProcessor", json.dumps({"StartAt": "M", "States": {"M": {"Type": "Map", "End": True}}})),
        ("Retry with a bad interval", json.dumps({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": s.act, "End": True,
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 0}]}}})),
        ("a state name of 81 characters", json.dumps({"StartAt": "S" * 81, "States": {"S" * 81: {
            "Type": "Pass", "End": True}}})),
        ("bad intrinsic", json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {
            "x.$": "States.Format("}, "End": True}}})),
        ("unreachable state", json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True},
                                                                      "Q": {"Type": "Pass", "End": True}}})),
        ("nested 300 deep", json.dumps(nested_parallel(80))),
        ("with a NUL after it", json.dumps(PASS_DEF) + "\u0000garbage"),
        ("with a number beyond double", json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "End": True,
                                                                                     "Seconds": 1}}}).replace(
            "1}", "1e400}")),
    ]
    cases = []
    for label, text in bad:
        cases.append(aws(f"definition {label}", "CreateStateMachine",
                         {"name": "hostile-bad", "definition": text, "roleArn": ROLE_ARN}, "InvalidDefinition"))
    for label, text in bad[:8]:
        cases.append(aws(f"definition {label}", "UpdateStateMachine",
                         {"stateMachineArn": s.pass_sm, "definition": text}, "InvalidDefinition"))
        cases.append(rest(f"definition {label}", "POST", "/v1/state-machines",
                          {"name": "hostile-bad", "definition": text, "roleArn": ROLE_ARN}, "InvalidDefinition"))
    big = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "x" * (1 << 20), "End": True}}})
    cases.append(aws("definition over 1 MiB", "CreateStateMachine",
                     {"name": "hostile-big", "definition": big, "roleArn": ROLE_ARN}, "ValidationException"))
    cases.append(aws("definition over 1 MiB", "UpdateStateMachine",
                     {"stateMachineArn": s.pass_sm, "definition": big}, "ValidationException"))
    many = {"StartAt": "S0", "States": {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(30000)}}
    many["States"]["S30000"] = {"Type": "Pass", "End": True}
    cases.append(aws("30001 states (over 1 MiB)", "CreateStateMachine",
                     {"name": "hostile-many", "definition": json.dumps(many), "roleArn": ROLE_ARN},
                     "ValidationException"))
    cases.append(aws("definition empty", "CreateStateMachine",
                     {"name": "hostile-bad", "definition": "", "roleArn": ROLE_ARN}, "ValidationException"))
    cases.append(aws("type unknown", "CreateStateMachine",
                     {"name": "hostile-bad", "definition": json.dumps(PASS_DEF), "roleArn": ROLE_ARN,
                      "type": "TURBO"}, "ValidationException"))
    cases.append(aws("roleArn not an ARN", "CreateStateMachine",
                     {"name": "hostile-bad", "definition": json.dumps(PASS_DEF), "roleArn": "nope"}, "InvalidArn"))
    cases.append(aws("51 tags", "CreateActivity",
                     {"name": "hostile-tags", "tags": [{"key": f"k{i}", "value": "v"} for i in range(51)]},
                     "TooManyTags"))
    return cases


def nested_parallel(depth):
    state = {"Type": "Pass", "End": True}
    for _ in range(depth):
        state = {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "X", "States": {"X": state}}]}
    return {"StartAt": "X", "States": {"X": state}}


def payload_cases(s):
    cases = []
    for label, text in (("not JSON", "{"), ("truncated", '{"a": [1, 2'), ("nested 1001 deep", "[" * 1001 + "]" * 1001)):
        cases.append(aws(f"input {label}", "StartExecution", {"stateMachineArn": s.pass_sm, "input": text},
                         "InvalidExecutionInput"))
        cases.append(aws(f"output {label}", "SendTaskSuccess", {"taskToken": s.closed_token, "output": text},
                         "InvalidOutput"))
    for label, text in (("with a NUL after it", "{}\u0000garbage"), ("a number beyond double", "1e400"),
                        ("holding a number beyond double", '{"a": -1e999}')):
        cases.append(aws(f"input {label}", "StartExecution", {"stateMachineArn": s.pass_sm, "input": text},
                         "InvalidExecutionInput"))
        cases.append(aws(f"output {label}", "SendTaskSuccess", {"taskToken": s.closed_token, "output": text},
                         "InvalidOutput"))
        cases.append(rest(f"input {label}", "POST", "/v1/state-machines/hostile-pass/executions",
                          {"input": text}, "InvalidExecutionInput"))
    cases.append(aws("input over 256 KiB", "StartExecution",
                     {"stateMachineArn": s.pass_sm, "input": json.dumps("x" * 262144)}, "ValidationException"))
    cases.append(aws("output over 256 KiB", "SendTaskSuccess",
                     {"taskToken": s.closed_token, "output": json.dumps("x" * 262144)}, "ValidationException"))
    cases.append(aws("cause over 32768", "SendTaskFailure",
                     {"taskToken": s.closed_token, "cause": "c" * 32769}, "ValidationException"))
    cases.append(aws("input is an object", "StartExecution", {"stateMachineArn": s.pass_sm, "input": {"a": 1}},
                     "ValidationException"))
    return cases


def out_of_order_cases(s):
    forged = "AAAA" + "x" * 100
    other = s.closed_token[:-4] + ("AAAA" if not s.closed_token.endswith("AAAA") else "BBBB")
    return [
        aws("forged token", "SendTaskSuccess", {"taskToken": forged, "output": "{}"}, "InvalidToken"),
        aws("forged token", "SendTaskFailure", {"taskToken": forged}, "InvalidToken"),
        aws("forged token", "SendTaskHeartbeat", {"taskToken": forged}, "InvalidToken"),
        aws("token with a changed signature", "SendTaskSuccess", {"taskToken": other, "output": "{}"}, "InvalidToken"),
        aws("token of an answered task", "SendTaskSuccess", {"taskToken": s.closed_token, "output": "{}"},
            "TaskTimedOut"),
        aws("token of an answered task", "SendTaskFailure", {"taskToken": s.closed_token}, "TaskTimedOut"),
        aws("token of an answered task", "SendTaskHeartbeat", {"taskToken": s.closed_token}, "TaskTimedOut"),
        aws("running execution", "RedriveExecution", {"executionArn": s.running}, "ExecutionNotRedrivable"),
        aws("succeeded execution", "RedriveExecution", {"executionArn": s.done}, "ExecutionNotRedrivable"),
        aws("deleted state machine", "DescribeStateMachine", {"stateMachineArn": s.gone_sm},
            "StateMachineDoesNotExist"),
        aws("deleted state machine", "StartExecution", {"stateMachineArn": s.gone_sm}, "StateMachineDoesNotExist"),
        aws("deleted state machine", "UpdateStateMachine",
            {"stateMachineArn": s.gone_sm, "definition": json.dumps(PASS_DEF)}, "StateMachineDoesNotExist"),
        aws("deleted state machine", "ListExecutions", {"stateMachineArn": s.gone_sm}, "StateMachineDoesNotExist"),
        aws("deleted activity", "DescribeActivity", {"activityArn": s.gone_act}, "ActivityDoesNotExist"),
        aws("deleted activity", "GetActivityTask", {"activityArn": s.gone_act}, "ActivityDoesNotExist"),
        aws("execution never started", "DescribeExecution", {"executionArn": EXE + "hostile-pass:nope"},
            "ExecutionDoesNotExist"),
        aws("execution never started", "StopExecution", {"executionArn": EXE + "hostile-pass:nope"},
            "ExecutionDoesNotExist"),
        aws("execution never started", "GetExecutionHistory", {"executionArn": EXE + "hostile-pass:nope"},
            "ExecutionDoesNotExist"),
        aws("name of a closed execution", "StartExecution",
            {"stateMachineArn": s.pass_sm, "name": "done", "input": "{}"}, "ExecutionAlreadyExists"),
        aws("name of a running execution, other input", "StartExecution",
            {"stateMachineArn": s.task_sm, "name": "running", "input": '{"other": 1}'}, "ExecutionAlreadyExists"),
        aws("same name, other definition", "CreateStateMachine",
            {"name": "hostile-pass", "definition": json.dumps(FAIL_DEF), "roleArn": ROLE_ARN},
            "StateMachineAlreadyExists"),
        aws("forged nextToken", "ListStateMachines", {"nextToken": "bm90IGEgdG9rZW4="}, "InvalidToken"),
        aws("forged nextToken", "GetExecutionHistory", {"executionArn": s.done, "nextToken": "garbage"},
            "InvalidToken"),
        aws("forged nextToken", "ListExecutions", {"stateMachineArn": s.pass_sm, "nextToken": "x" * 100},
            "InvalidToken"),
        aws("neither definition nor roleArn", "UpdateStateMachine", {"stateMachineArn": s.pass_sm},
            "MissingRequiredParameter"),
        aws("statusFilter unknown", "ListExecutions", {"stateMachineArn": s.pass_sm, "statusFilter": "DANCING"},
            "ValidationException"),
        aws("includedData unknown", "DescribeExecution", {"executionArn": s.done, "includedData": "SOME"},
            "ValidationException"),
        aws("reverseOrder a string", "GetExecutionHistory", {"executionArn": s.done, "reverseOrder": "yes"},
            "ValidationException"),
    ]


def protocol_cases(s):
    body = b"{}"
    return [
        Case("aws: no X-Amz-Target", AWS, body=body, type="UnknownOperationException"),
        Case("aws: empty X-Amz-Target", AWS, body=body, target="", type="UnknownOperationException"),
        Case("aws: unknown prefix", AWS, body=body, target="AmazonSQS.ListQueues", type="UnknownOperationException"),
        Case("aws: unknown action", AWS, body=body, target="AWSStepFunctions.DanceAround",
             type="UnknownOperationException"),
        Case("aws: prefix only", AWS, body=body, target="AWSStepFunctions.", type="UnknownOperationException"),
        Case("aws: lower-case action", AWS, body=body, target="AWSStepFunctions.listactivities",
             type="UnknownOperationException"),
        Case("aws: action with a space inside", AWS, body=body, target="AWSStepFunctions.List Activities",
             type="UnknownOperationException"),
        Case("aws: action with a NUL", AWS, body=body, target="AWSStepFunctions.ListActivities\x00",
             type="UnknownOperationException"),
        Case("aws: Redshift unknown action", AWS, body=body, target="RedshiftData.DropEverything",
             type="UnknownOperationException"),
        Case("aws: 10 KiB target", AWS, body=body, target="AWSStepFunctions." + "A" * 10240,
             type="UnknownOperationException"),
        Case("aws: GET /", RAW, status=405, type="UnknownOperationException",
             raw=b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        Case("aws: DELETE /", RAW, status=405, type="UnknownOperationException",
             raw=b"DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        rest("unknown route", "GET", "/v2/state-machines", type="UnknownOperationException", status=404),
        rest("unknown route", "GET", "/v1/nothing", type="UnknownOperationException", status=404),
        rest("too deep", "GET", "/v1/state-machines/a/b/c/d", type="UnknownOperationException", status=404),
        rest("wrong method", "PUT", "/v1/activities", body=b"{}", type="UnknownOperationException", status=405),
        rest("wrong method", "DELETE", "/v1/state-machines", type="UnknownOperationException", status=405),
        rest("wrong method", "POST", "/healthz", body=b"{}", type="UnknownOperationException", status=405),
        rest("odd method", "BREW", "/v1/activities", type="UnknownOperationException", status=405),
        rest("unknown query parameter", "GET", "/v1/state-machines?colour=blue"),
        rest("unknown query parameter", "GET", "/v1/activities?maxResults=1&x=1"),
        rest("maxResults not a number", "GET", "/v1/activities?maxResults=ten"),
        rest("maxResults too large", "GET", "/v1/activities?maxResults=100000"),
        rest("maxResults negative", "GET", "/v1/state-machines?maxResults=-5"),
        rest("maxResults overflowing", "GET", "/v1/state-machines?maxResults=99999999999999999999999"),
        rest("repeated query parameter", "GET", "/v1/activities?maxResults=1&maxResults=2"),
        rest("bad percent escape", "GET", "/v1/activities?maxResults=%zz"),
        rest("wait too long", "POST", f"/v1/state-machines/hostile-pass/executions?wait=301", body=b"{}"),
        rest("wait negative", "POST", f"/v1/state-machines/hostile-pass/executions?wait=-1", body=b"{}"),
        rest("wait not a number", "POST", f"/v1/state-machines/hostile-pass/executions?wait=soon", body=b"{}"),
        rest("wait on a route without it", "GET", "/v1/activities?wait=5"),
        rest("boolean not a boolean", "GET", f"/v1/executions/hostile-pass:done/history?reverseOrder=maybe"),
        rest("bare execution name", "GET", "/v1/executions/done"),
        rest("body contradicts path", "PUT", "/v1/state-machines/hostile-pass",
             {"stateMachineArn": s.fail_sm, "definition": json.dumps(PASS_DEF)}),
        rest("name too long in path", "GET", "/v1/state-machines/" + "a" * 300),
        rest("deleted machine", "GET", "/v1/state-machines/hostile-gone", type="StateMachineDoesNotExist"),
        rest("deleted activity", "GET", "/v1/activities/hostile-gone-act", type="ActivityDoesNotExist"),
        rest("deleted activity", "POST", "/v1/activities/hostile-gone-act/tasks", body=b"{}",
             type="ActivityDoesNotExist"),
        rest("redrive a running execution", "POST", "/v1/executions/hostile-task:running/redrive", body=b"{}",
             type="ExecutionNotRedrivable"),
        rest("missing definition", "POST", "/v1/state-machines", {"name": "x", "roleArn": ROLE_ARN}),
        rest("missing output", "POST", "/v1/tasks/success", {"taskToken": s.closed_token}),
        rest("body is an array", "POST", "/v1/activities", b"[1]", type="SerializationException"),
    ]


def transport_cases(s, max_body):
    over = max_body + 1
    big = b'{"name": "' + b"x" * over + b'"}'
    chunked_big = b"".join(b"%x\r\n" % (1 << 20) + b" " * (1 << 20) + b"\r\n" for _ in range(max_body // (1 << 20) + 2))
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Target: AWSStepFunctions.CreateActivity\r\n")
    return [
        Case("body over the cap by Content-Length (aws)", AWS, body=big, target="AWSStepFunctions.CreateActivity",
             status=413, type="ValidationException"),
        rest("body over the cap by Content-Length", "POST", "/v1/activities", big, status=413),
        Case("body over the cap, chunked (aws)", RAW, status=413, type="ValidationException",
             raw=head + b"Transfer-Encoding: chunked\r\n\r\n" + chunked_big + b"0\r\n\r\n"),
        Case("body over the cap, chunked (rest)", RAW, status=413, type="ValidationException",
             raw=b"POST /v1/activities HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
                 b"Content-Type: application/json\r\n\r\n" + chunked_big + b"0\r\n\r\n"),
        Case("Content-Length larger than the body sent, then close", RAW, status=400, type="SerializationException",
             raw=head + b"Content-Length: 100\r\n\r\n{}", half_close=True),
        Case("chunked body cut short, then close", RAW, status=400, type="SerializationException",
             raw=head + b"Transfer-Encoding: chunked\r\n\r\n10\r\n{}", half_close=True),
        Case("request line over 16 KiB", RAW, status=414, type="ValidationException",
             raw=b"GET /v1/activities?" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        Case("header over 16 KiB", RAW, status=431, type="ValidationException",
             raw=b"GET /v1/activities HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: " + b"v" * 20000 +
                 b"\r\n\r\n"),
        Case("headers over 64 KiB in all", RAW, status=431, type="ValidationException",
             raw=b"GET /v1/activities HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                 b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(70)) + b"\r\n"),
        Case("more than 100 headers", RAW, status=431, type="ValidationException",
             raw=b"GET /v1/activities HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                 b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n"),
        Case("wrong Content-Type (aws)", AWS, body=b'{"name": "x y"}', target="AWSStepFunctions.CreateActivity",
             headers={"Content-Type": "text/plain"}, type="InvalidName"),
        Case("form body (rest)", REST, method="POST", path="/v1/activities", body=b"name=x",
             headers={"Content-Type": "application/x-www-form-urlencoded"}, type="SerializationException"),
    ]


def no_op_cases(s):
    """Accepted, as AWS accepts them, but they must change nothing."""
    return [
        aws("execution that has succeeded", "StopExecution", {"executionArn": s.done}, None, status=200),
        aws("execution that was stopped", "StopExecution", {"executionArn": s.stopped}, None, status=200),
        rest("stop a finished execution", "POST", "/v1/executions/hostile-pass:done/stop", body=b"{}", type=None,
             status=200),
        aws("unknown members are ignored", "DescribeExecution", {"executionArn": s.done, "colour": "blue"}, None,
            status=200),
        aws("duplicate keys: the last wins", "DescribeActivity",
            b'{"activityArn": "nope", "activityArn": "%s"}' % s.act.encode(), None, status=200),
    ]


def all_cases(s, max_body):
    return (generated_cases(s) + json_cases(s) + number_cases(s) + arn_cases(s) + name_cases(s) +
            definition_cases(s) + payload_cases(s) + out_of_order_cases(s) + protocol_cases(s) +
            transport_cases(s, max_body) + no_op_cases(s))


class HostileRequestsTest(ServerTestCase):
    def test_catalogue(self):
        server = self.start_server(extra_config={"activity_poll_seconds": 2})
        seed = seed_store(server)
        time.sleep(1)  # let the outbox of the seeding drain
        db = os.path.join(server.data_dir, "stepd.db")
        before = store_dump(db)
        self.assertGreater(len(before["executions"]), 4)

        cases = all_cases(seed, 3 * 1024 * 1024)
        failures = []
        for case in cases:
            try:
                status, body = send(server.port, case.request_bytes(), half_close=case.half_close)
            except OSError as e:
                status, body = 0, f"no answer: {e!r}"
            got_type = body.get("__type") if isinstance(body, dict) else None
            if status != case.status or got_type != case.type:
                msg = body.get("message", "")[:200] if isinstance(body, dict) else str(body)[:200]
                failures.append(f"{case.name}: expected {case.status} {case.type}, got {status} {got_type} {msg}")
            if case.status >= 400 and (not isinstance(body, dict) or "message" not in body):
                failures.append(f"{case.name}: reply has no AWS error body: {str(body)[:100]}")
            health, _ = send(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if health != 200:
                self.fail(f"server unhealthy ({health}) after {case.name}; failures so far: {failures}")
        refusals = sum(1 for c in cases if c.status >= 400)
        print(f"\nhostile requests tried: {len(cases)} ({refusals} to be refused, {len(cases) - refusals} "
              f"accepted as no-ops), failed: {len(failures)}")
        self.assertEqual([], failures, "\n".join(failures))
        self.assertGreaterEqual(refusals, 200)

        after = store_dump(db)
        for table in before:
            self.assertEqual(before[table], after[table], f"table {table} changed")
        self.assertEqual(set(before), set(after))


if __name__ == "__main__":
    unittest.main()
