"""`aws stepfunctions test-state` (the real AWS CLI) against a real stepd.

botocore sends TestState to the host with the `sync-` prefix (sync-127.0.0.1), which does not
resolve; AWS_DISABLE_HOST_PREFIX_INJECTION=true (or `disable_host_prefix_injection = true` in
the CLI's config file) makes it use the endpoint as given. The first test shows the failure
without it, so that a botocore change in that behaviour is noticed."""
import json
import os
import shutil
import subprocess
import unittest

from stepd_harness import REGION, ROLE_ARN, HttpReceiver, ServerTestCase

MAP_STATE = {
    "Type": "Map",
    "ItemsPath": "$.items",
    "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}},
    "End": True,
}


@unittest.skipUnless(shutil.which("aws"), "the aws CLI is not installed")
class TestStateCliTest(ServerTestCase):
    def setUp(self):
        self.server = self.start_server()

    def cli(self, *args, prefix_injection=False, check=True):
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": "AKIDSTEPDTEST", "AWS_SECRET_ACCESS_KEY": "secret",
                    "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": "",
                    "AWS_CONFIG_FILE": os.path.join(self.server.tmp, "aws-config"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.server.tmp, "aws-credentials"),
                    "AWS_MAX_ATTEMPTS": "1"})
        env.pop("AWS_DISABLE_HOST_PREFIX_INJECTION", None)
        if not prefix_injection:
            env["AWS_DISABLE_HOST_PREFIX_INJECTION"] = "true"
        cmd = [shutil.which("aws"), "stepfunctions", "test-state", *args,
               "--endpoint-url", self.server.endpoint, "--output", "json",
               "--cli-connect-timeout", "5"]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"test-state failed ({p.returncode}): {p.stderr}")
        if p.returncode != 0:
            return {"returncode": p.returncode, "stderr": p.stderr}
        return json.loads(p.stdout)

    def test_host_prefix_must_be_disabled(self):
        out = self.cli("--definition", json.dumps({"Type": "Pass", "End": True}),
                       prefix_injection=True, check=False)
        self.assertNotEqual(out.get("returncode", 0), 0, out)
        self.assertIn("sync-127.0.0.1", out["stderr"])

    def test_pass_state(self):
        definition = {"Type": "Pass", "Parameters": {"greeting.$": "$.name"},
                      "ResultPath": "$.out", "Next": "Done"}
        out = self.cli("--definition", json.dumps(definition), "--input", json.dumps({"name": "Ada"}),
                       "--inspection-level", "DEBUG")
        self.assertEqual(out["status"], "SUCCEEDED", out)
        self.assertEqual(json.loads(out["output"]), {"name": "Ada", "out": {"greeting": "Ada"}})
        self.assertEqual(out["nextState"], "Done")
        data = out["inspectionData"]
        self.assertEqual(json.loads(data["input"]), {"name": "Ada"})
        self.assertEqual(json.loads(data["afterParameters"]), {"greeting": "Ada"})

        info = self.cli("--definition", json.dumps(definition), "--input", json.dumps({"name": "Ada"}))
        self.assertEqual(info["status"], "SUCCEEDED", info)
        self.assertNotIn("inspectionData", info)

    def test_state_of_a_whole_machine(self):
        machine = {"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "B"},
            "B": {"Type": "Fail", "Error": "Stop", "Cause": "by design"}}}
        a = self.cli("--definition", json.dumps(machine), "--state-name", "A")
        self.assertEqual((a["status"], a["nextState"]), ("SUCCEEDED", "B"), a)
        b = self.cli("--definition", json.dumps(machine), "--state-name", "B")
        self.assertEqual((b["status"], b["error"], b["cause"]), ("FAILED", "Stop", "by design"), b)
        missing = self.cli("--definition", json.dumps(machine), "--state-name", "C", check=False)
        self.assertIn("ValidationException", missing["stderr"])

    def test_map_with_mock_and_iteration_failures(self):
        def run(tolerated):
            definition = dict(MAP_STATE, ToleratedFailureCount=tolerated)
            return self.cli("--definition", json.dumps(definition),
                            "--input", json.dumps({"items": [1, 2, 3]}),
                            "--mock", json.dumps({"result": json.dumps([1, 2, 3])}),
                            "--state-configuration", "mapIterationFailureCount=1")

        over = run(0)
        self.assertEqual(over["status"], "FAILED", over)
        self.assertEqual(over["error"], "States.ExceedToleratedFailureThreshold")
        within = run(1)
        self.assertEqual(within["status"], "SUCCEEDED", within)
        self.assertEqual(json.loads(within["output"]), [1, 2, 3])

    def test_map_without_mock_is_refused(self):
        out = self.cli("--definition", json.dumps(MAP_STATE), check=False)
        self.assertIn("InvalidDefinition", out["stderr"])

    def test_mocked_task_error_with_retry_and_catch(self):
        definition = {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f"},
            "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
            "End": True,
        }
        mock = json.dumps({"errorOutput": {"error": "Flaky", "cause": "again"}})
        retry = self.cli("--definition", json.dumps(definition), "--mock", mock,
                         "--inspection-level", "DEBUG")
        self.assertEqual(retry["status"], "RETRIABLE", retry)
        self.assertEqual(retry["inspectionData"]["errorDetails"]["retryIndex"], 0)
        caught = self.cli("--definition", json.dumps(definition), "--mock", mock,
                          "--state-configuration", "retrierRetryCount=2")
        self.assertEqual((caught["status"], caught["nextState"]), ("CAUGHT_ERROR", "Recover"), caught)
        self.assertEqual(json.loads(caught["output"])["error"], {"Error": "Flaky", "Cause": "again"})

    def test_http_task_calls_out_and_traces_the_call(self):
        receiver = HttpReceiver(lambda req: (201, {"accepted": req["body"]}))
        self.addCleanup(receiver.close)
        definition = {
            "Type": "Task", "Resource": "arn:aws:states:::http:invoke",
            "Parameters": {"ApiEndpoint": receiver.url + "/orders", "Method": "POST",
                           "RequestBody": {"id.$": "$.id"}},
            "ResultSelector": {"status.$": "$.StatusCode", "body.$": "$.ResponseBody"},
            "End": True,
        }
        out = self.cli("--definition", json.dumps(definition), "--role-arn", ROLE_ARN,
                       "--input", json.dumps({"id": 9}), "--inspection-level", "TRACE")
        self.assertEqual(out["status"], "SUCCEEDED", out)
        self.assertEqual(json.loads(out["output"]), {"status": 201, "body": {"accepted": {"id": 9}}})
        sent = receiver.wait_for(1)
        self.assertEqual((sent[0]["method"], sent[0]["path"], sent[0]["body"]), ("POST", "/orders", {"id": 9}))
        trace = out["inspectionData"]
        self.assertEqual(trace["request"]["method"], "POST")
        self.assertEqual(trace["request"]["url"], receiver.url + "/orders")
        self.assertEqual(trace["response"]["statusCode"], "201")
        self.assertEqual(json.loads(trace["response"]["body"]), {"accepted": {"id": 9}})

        no_role = self.cli("--definition", json.dumps(definition), check=False)
        self.assertIn("ValidationException", no_role["stderr"])


if __name__ == "__main__":
    unittest.main()
