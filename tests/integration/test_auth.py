"""Authentication and authorisation with real clients: keys made by `stepd keys` (a separate
process on the same database, while the server runs), the real AWS CLI signing SigV4 with them,
curl-style Bearer tokens, roles refused with AWS's error names, revocation seen at once, the
safe default (no keys: loopback only), and secrets at rest (the database alone holds none)."""
import json
import os
import shutil
import subprocess
import unittest
import urllib.request

from stepd_harness import (REGION, ROLE_ARN, ApiError, ServerTestCase, _bin, _send, free_port,
                           wait_until)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER_EXAMPLE = os.path.join(REPO, "examples", "workers", "activity_worker.py")
PASS_MACHINE = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def stepd_keys(data_dir, *args, check=True):
    p = subprocess.run([_bin(), "keys", *args, "--data-dir", data_dir],
                       capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"stepd keys {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def create_key(data_dir, role):
    return json.loads(stepd_keys(data_dir, "create", "--role", role).stdout)


class AuthTest(ServerTestCase):
    def setUp(self):
        self.server = self.start_server()
        # The first key turns authentication on for the running server.
        self.admin = create_key(self.server.data_dir, "admin")
        self.worker = create_key(self.server.data_dir, "worker")

    def cli(self, key, *args, service="stepfunctions", secret=None):
        """`aws SERVICE ARGS` signed with `key`; (returncode, parsed stdout or stderr)."""
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": key["access_key_id"],
                    "AWS_SECRET_ACCESS_KEY": secret or key["secret_access_key"],
                    "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": "",
                    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
        p = subprocess.run([shutil.which("aws"), service, *args, "--endpoint-url",
                            self.server.endpoint, "--output", "json"],
                           env=env, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            return p.returncode, p.stderr
        return 0, json.loads(p.stdout) if p.stdout.strip() else {}

    def bearer(self, token, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server.endpoint + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {token}"})
        return _send(req, 30)

    def test_keys_have_the_promised_shape_and_list_shows_no_secret(self):
        self.assertEqual(self.admin["role"], "admin")
        self.assertRegex(self.admin["access_key_id"], r"^STPD[A-Z2-7]{16}$")
        self.assertEqual(len(self.admin["secret_access_key"]), 40)
        listed = stepd_keys(self.server.data_dir, "list").stdout
        self.assertNotIn(self.admin["secret_access_key"], listed)
        self.assertNotIn(self.worker["secret_access_key"], listed)
        rows = {k["access_key_id"]: k for k in json.loads(listed)["access_keys"]}
        self.assertEqual(rows[self.admin["access_key_id"]]["role"], "admin")
        self.assertEqual(rows[self.worker["access_key_id"]]["status"], "Active")
        self.assertEqual(set(rows[self.worker["access_key_id"]]),
                         {"access_key_id", "role", "created", "status"})

    @unittest.skipUnless(shutil.which("aws"), "the aws CLI is not installed")
    def test_the_aws_cli_signs_with_issued_keys_and_roles_decide(self):
        rc, sm = self.cli(self.admin, "create-state-machine", "--name", "auth-m",
                          "--definition", PASS_MACHINE, "--role-arn", ROLE_ARN)
        self.assertEqual(rc, 0, sm)
        rc, started = self.cli(self.admin, "start-execution", "--state-machine-arn",
                               sm["stateMachineArn"])
        self.assertEqual(rc, 0, started)

        # A worker may report on tasks (the token is unknown, but it got past authorisation)...
        rc, err = self.cli(self.worker, "send-task-success", "--task-token", "not-a-token",
                           "--task-output", "{}")
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidToken", err)
        # ...and may not define machines.
        rc, err = self.cli(self.worker, "create-state-machine", "--name", "nope",
                           "--definition", PASS_MACHINE, "--role-arn", ROLE_ARN)
        self.assertNotEqual(rc, 0)
        self.assertIn("AccessDeniedException", err)
        self.assertIn("states:CreateStateMachine", err)

        rc, err = self.cli(self.admin, "list-state-machines", secret="x" * 40)
        self.assertIn("InvalidSignatureException", err)
        unknown = {"access_key_id": "STPDAAAAAAAAAAAAAAAA", "secret_access_key": "y" * 40}
        rc, err = self.cli(unknown, "list-state-machines")
        self.assertIn("UnrecognizedClientException", err)

        # The Data API door is signed for another service and checked by the same policy.
        rc, err = self.cli(self.worker, "list-statements", service="redshift-data")
        self.assertIn("AccessDeniedException", err)
        rc, out = self.cli(self.admin, "list-statements", service="redshift-data")
        self.assertEqual(rc, 0, out)

    def test_bearer_tokens_for_curl(self):
        admin = f"{self.admin['access_key_id']}:{self.admin['secret_access_key']}"
        worker = f"{self.worker['access_key_id']}:{self.worker['secret_access_key']}"
        self.assertIn("stateMachines", self.bearer(admin, "GET", "/v1/state-machines"))
        err = self.assertApiError("AccessDeniedException", self.bearer, worker, "GET",
                                  "/v1/state-machines")
        self.assertNotIn(self.worker["secret_access_key"], json.dumps(err.body))
        self.assertApiError("UnrecognizedClientException", self.bearer, admin[:-1], "GET",
                            "/v1/state-machines")
        # Keys exist now: no credentials, no entry; /healthz stays open.
        self.assertApiError("MissingAuthenticationTokenException", self.server.rest, "GET",
                            "/v1/state-machines")
        self.assertApiError("MissingAuthenticationTokenException", self.server.aws_json,
                            "ListStateMachines")
        with urllib.request.urlopen(self.server.endpoint + "/healthz", timeout=5) as r:
            self.assertEqual(r.status, 200)
        # No secret or signature reaches the log.
        log = read_text(self.server.log_path)
        self.assertIn(self.worker["access_key_id"], log)
        for key in (self.admin, self.worker):
            self.assertNotIn(key["secret_access_key"], log)

    def test_the_boto3_worker_example_finishes_tasks_with_a_worker_key(self):
        rc, activity = self.cli(self.admin, "create-activity", "--name", "greeter")
        self.assertEqual(rc, 0, activity)
        machine = json.dumps({"StartAt": "Greet", "States": {"Greet": {
            "Type": "Task", "Resource": activity["activityArn"], "HeartbeatSeconds": 30,
            "End": True}}})
        rc, sm = self.cli(self.admin, "create-state-machine", "--name", "greet",
                          "--definition", machine, "--role-arn", ROLE_ARN)
        self.assertEqual(rc, 0, sm)
        runs = {}
        for name in ("Ada", "Grace", ""):
            rc, started = self.cli(self.admin, "start-execution", "--state-machine-arn",
                                   sm["stateMachineArn"], "--input", json.dumps({"name": name}))
            self.assertEqual(rc, 0, started)
            runs[name] = started["executionArn"]

        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": self.worker["access_key_id"],
                    "AWS_SECRET_ACCESS_KEY": self.worker["secret_access_key"],
                    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
        p = subprocess.run(["python3", WORKER_EXAMPLE, "--endpoint", self.server.endpoint,
                            "--activity-arn", activity["activityArn"], "--max-tasks", "3",
                            "--heartbeat-seconds", "0.2"],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)

        def described(arn):
            rc, out = self.cli(self.admin, "describe-execution", "--execution-arn", arn)
            self.assertEqual(rc, 0, out)
            return out
        for name in ("Ada", "Grace"):
            out = described(runs[name])
            self.assertEqual(out["status"], "SUCCEEDED", out)
            self.assertEqual(json.loads(out["output"]), {"greeting": f"Hello, {name}!"})
        out = described(runs[""])
        self.assertEqual(out["status"], "FAILED", out)
        self.assertEqual(out["error"], "ValueError")
        # The worker key did the work, and its secret stayed out of the log.
        log = read_text(self.server.log_path)
        self.assertNotIn(self.worker["secret_access_key"], log)

    def test_a_key_revoked_while_the_server_runs_is_refused_on_the_next_call(self):
        token = f"{self.worker['access_key_id']}:{self.worker['secret_access_key']}"
        self.assertApiError("InvalidToken", self.bearer, token, "POST", "/v1/tasks/success",
                            {"taskToken": "x", "output": {}})
        stepd_keys(self.server.data_dir, "revoke", self.worker["access_key_id"])
        self.assertApiError("UnrecognizedClientException", self.bearer, token, "POST",
                            "/v1/tasks/success", {"taskToken": "x", "output": {}})
        rows = json.loads(stepd_keys(self.server.data_dir, "list").stdout)["access_keys"]
        self.assertEqual([k["status"] for k in rows if k["access_key_id"] ==
                          self.worker["access_key_id"]], ["Revoked"])
        p = stepd_keys(self.server.data_dir, "revoke", "STPDNOSUCHKEY0000000", check=False)
        self.assertEqual(p.returncode, 1)

    def test_the_database_alone_holds_no_secret(self):
        self.server.stop()
        db = os.path.join(self.server.data_dir, "stepd.db")
        raw = b""
        for suffix in ("", "-wal"):
            if os.path.exists(db + suffix):
                with open(db + suffix, "rb") as f:
                    raw += f.read()
        self.assertIn(self.admin["access_key_id"].encode(), raw)
        for key in (self.admin, self.worker):
            self.assertNotIn(key["secret_access_key"].encode(), raw)
        master = os.path.join(self.server.data_dir, "master.key")
        self.assertEqual(os.stat(master).st_mode & 0o777, 0o600)
        self.assertEqual(os.path.getsize(master), 32)

        # The database copied elsewhere, without master.key: the keys are there, but nothing
        # opens them, and the server refuses to make a new master key over them.
        copy = os.path.join(self.server.tmp, "copy")
        os.makedirs(copy)
        for suffix in ("", "-wal"):
            if os.path.exists(db + suffix):
                shutil.copy(db + suffix, copy)
        port = free_port()
        p = subprocess.run([_bin(), "--listen", f"127.0.0.1:{port}", "--data-dir", copy],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("master key file", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(copy, "master.key")))


class SafeDefaultTest(ServerTestCase):
    def test_without_keys_a_public_address_is_refused(self):
        data = os.path.join(self.start_server().tmp, "fresh")
        p = subprocess.run([_bin(), "--listen", f"0.0.0.0:{free_port()}", "--data-dir", data],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("no access keys", p.stderr)
        self.assertIn("stepd keys create --role admin", p.stderr)

    def test_without_keys_loopback_is_open_and_says_so(self):
        server = self.start_server()
        self.assertIn("stateMachines", server.rest("GET", "/v1/state-machines"))
        log = read_text(server.log_path)
        self.assertIn("no access keys: serving 127.0.0.1 only, without authentication", log)

    def test_with_a_key_a_public_address_is_served(self):
        server = self.start_server()
        key = create_key(server.data_dir, "operator")
        server.stop()
        port = free_port()
        proc = subprocess.Popen([_bin(), "--listen", f"0.0.0.0:{port}", "--data-dir",
                                 server.data_dir], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            token = f"{key['access_key_id']}:{key['secret_access_key']}"

            def listed():
                try:
                    req = urllib.request.Request(
                        f"http://127.0.0.1:{port}/v1/state-machines",
                        headers={"Authorization": f"Bearer {token}"})
                    return _send(req, 5)
                except (OSError, ApiError):
                    return None
            self.assertIn("stateMachines", wait_until(listed, timeout=20, what="server up"))
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    unittest.main()
