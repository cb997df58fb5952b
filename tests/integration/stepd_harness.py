"""Runs the built stepd as a real process for integration tests.

Each server gets a free loopback port and a temporary data directory; restart() brings it
back on the same port and data (after stop() or kill9()). Clients: aws_json() speaks the
AWS JSON 1.0 protocol with urllib, rest() calls the /v1 routes, aws_cli() runs the real
AWS CLI. Standard library only.
"""
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

def _bin():
    return os.environ.get("STEPD_BIN", "")
REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/stepd-test"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def activity_arn(name):
    return f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{name}"


class ApiError(Exception):
    def __init__(self, status, body):
        self.status = status
        self.body = body
        self.type = body.get("__type", "") if isinstance(body, dict) else ""
        self.message = body.get("message", "") if isinstance(body, dict) else ""
        super().__init__(f"HTTP {status} {self.type}: {self.message}")


class StepdServer:
    def __init__(self, extra_config=None, log_level="info"):
        if not _bin() or not os.path.exists(_bin()):
            raise RuntimeError("STEPD_BIN must point at the built stepd")
        self.tmp = tempfile.mkdtemp(prefix="stepd-it-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        config = {"activity_poll_seconds": 60}
        config.update(extra_config or {})
        self.config_path = os.path.join(self.tmp, "config.json")
        with open(self.config_path, "w") as f:
            json.dump(config, f)
        self.log_level = log_level
        self.proc = None
        self.log_path = os.path.join(self.tmp, "stepd.log")
        self.starts = 0

    # --- lifecycle

    def start(self, timeout=20):
        self.starts += 1
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [_bin(), "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir,
             "--config", self.config_path, "--log-level", self.log_level],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"stepd exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"stepd did not become healthy:\n{self.log_tail()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def close(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def log_tail(self, n=60):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # --- clients

    def aws_json(self, action, body=None, timeout=70):
        data = json.dumps(body if body is not None else {}).encode()
        req = urllib.request.Request(self.endpoint + "/", data=data, method="POST", headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"AWSStepFunctions.{action}",
        })
        return _send(req, timeout)

    def rest(self, method, path, body=None, timeout=70, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        return _send(req, timeout)

    def aws_cli(self, *args, check=True, service="stepfunctions"):
        """Runs `aws SERVICE ARGS` (stepfunctions unless told) against this server; returns the
        parsed JSON output."""
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": "AKIDSTEPDTEST", "AWS_SECRET_ACCESS_KEY": "secret",
                    "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": "",
                    "AWS_CONFIG_FILE": os.path.join(self.tmp, "aws-config"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.tmp, "aws-credentials")})
        cmd = [shutil.which("aws") or "aws", service, *args,
               "--endpoint-url", self.endpoint, "--output", "json"]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({p.returncode}): {p.stderr}")
        if p.returncode != 0:
            return {"returncode": p.returncode, "stderr": p.stderr}
        return json.loads(p.stdout) if p.stdout.strip() else {}

    # --- conveniences

    def create_state_machine(self, name, definition):
        return self.aws_json("CreateStateMachine", {
            "name": name, "definition": json.dumps(definition), "roleArn": ROLE_ARN})["stateMachineArn"]

    def create_activity(self, name):
        return self.aws_json("CreateActivity", {"name": name})["activityArn"]

    def start_execution(self, sm_arn, input_obj=None, name=None):
        body = {"stateMachineArn": sm_arn, "input": json.dumps(input_obj if input_obj is not None else {})}
        if name:
            body["name"] = name
        return self.aws_json("StartExecution", body)["executionArn"]

    def describe(self, execution_arn):
        return self.aws_json("DescribeExecution", {"executionArn": execution_arn})

    def history(self, execution_arn):
        events, token = [], None
        while True:
            body = {"executionArn": execution_arn, "maxResults": 1000}
            if token:
                body["nextToken"] = token
            page = self.aws_json("GetExecutionHistory", body)
            events.extend(page["events"])
            token = page.get("nextToken")
            if not token:
                return events

    def wait_status(self, execution_arn, timeout=30, not_status="RUNNING"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            d = self.describe(execution_arn)
            if d["status"] != not_status:
                return d
            time.sleep(0.05)
        raise AssertionError(f"{execution_arn} still {not_status} after {timeout}s")

    def get_activity_task(self, arn, worker="worker-1", timeout=70):
        return self.aws_json("GetActivityTask", {"activityArn": arn, "workerName": worker},
                             timeout=timeout)


def wait_until(predicate, timeout=30, interval=0.05, what="condition"):
    """Polls predicate() until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached after {timeout}s")
        time.sleep(interval)


class ServerTestCase(unittest.TestCase):
    """A TestCase whose servers are always closed, with their log tails printed when a test fails."""

    def start_server(self, **kwargs):
        server = StepdServer(**kwargs)
        self.addCleanup(self._close_server, server)
        return server.start()

    def _failed(self):
        result = getattr(getattr(self, "_outcome", None), "result", None)
        if result is None:
            return True
        for test, _ in list(getattr(result, "failures", [])) + list(getattr(result, "errors", [])):
            if test is self or getattr(test, "test_case", None) is self:
                return True
        return False

    def _close_server(self, server):
        if self._failed():
            sys.stderr.write(f"\n--- stepd log tail ({self.id()}) ---\n{server.log_tail()}\n---\n")
        server.close()

    def assertApiError(self, error_type, fn, *args, status=400, **kwargs):
        """Calls fn(*args, **kwargs), asserts it raises ApiError with that __type and status; returns it."""
        with self.assertRaises(ApiError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.type, error_type, str(cm.exception.body))
        self.assertEqual(cm.exception.status, status, str(cm.exception.body))
        return cm.exception


class HttpReceiver:
    """A small HTTP server on a free loopback port, run in a thread: records each request as
    {method, path, query, headers, body (parsed JSON or text)} and answers with `respond(request)`
    -> (status, body object) (default 200 {"received": true}). `requests` lists the requests
    answered (in the order their answers were sent), `arrivals` every request as it arrived
    (before respond() ran, so it includes calls still being answered)."""

    def __init__(self, respond=None):
        self.requests = []
        self.arrivals = []
        self.cond = threading.Condition()
        self.respond = respond or (lambda req: (200, {"received": True}))
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                text = raw.decode("utf-8", "replace")
                try:
                    body = json.loads(text) if text else None
                except ValueError:
                    body = text
                parsed = urllib.parse.urlsplit(self.path)
                req = {"method": self.command, "path": parsed.path,
                       "query": urllib.parse.parse_qs(parsed.query),
                       "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                with receiver.cond:
                    receiver.arrivals.append(req)
                    receiver.cond.notify_all()
                status, answer = receiver.respond(req)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                with receiver.cond:
                    receiver.requests.append(req)
                    receiver.cond.notify_all()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # a client that goes away (e.g. a stepd killed with SIGKILL) is not an error here
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                    super().handle_error(request, client_address)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count, timeout=30, arrived=False):
        """Waits until at least `count` requests were answered (or, with arrived=True, had
        arrived); returns a copy of that list."""
        deadline = time.monotonic() + timeout
        with self.cond:
            seen = self.arrivals if arrived else self.requests
            while len(seen) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"receiver got {len(seen)} requests, expected {count}")
                self.cond.wait(left)
            return list(seen)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _send(req, timeout):
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode()
            return json.loads(text) if text.strip() else {}
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace")
        try:
            body = json.loads(text)
        except ValueError:
            body = {"raw": text}
        raise ApiError(e.code, body) from None
