"""The real AWS CLI (`aws stepfunctions ... --endpoint-url`) against a real stepd: an activity
worker's whole life (create, start, poll, succeed/fail), history, listing, state machine
updates and deletion, and AWS error names on stderr."""
import json
import shutil
import unittest

from stepd_harness import ROLE_ARN, ServerTestCase

EXPECTED_ACTIVITY_EVENTS = [
    "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
    "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded",
]


@unittest.skipUnless(shutil.which("aws"), "the aws CLI is not installed")
class AwsCliTest(ServerTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.cli = self.server.aws_cli

    def activity_machine(self, name, activity_arn):
        definition = {
            "Comment": "one activity task",
            "StartAt": "Work",
            "States": {
                "Work": {"Type": "Task", "Resource": activity_arn, "TimeoutSeconds": 300,
                         "ResultPath": "$.result", "End": True},
            },
        }
        out = self.cli("create-state-machine", "--name", name, "--definition", json.dumps(definition),
                       "--role-arn", ROLE_ARN)
        self.assertTrue(out["stateMachineArn"].endswith(f":stateMachine:{name}"), out)
        self.assertIn("creationDate", out)
        return out["stateMachineArn"], definition

    def test_activity_success_flow(self):
        act = self.cli("create-activity", "--name", "cli-worker")
        activity_arn = act["activityArn"]
        self.assertEqual(activity_arn, "arn:aws:states:us-east-1:123456789012:activity:cli-worker")
        sm_arn, _ = self.activity_machine("cli-activity", activity_arn)

        started = self.cli("start-execution", "--state-machine-arn", sm_arn, "--name", "run-1",
                           "--input", json.dumps({"order": 42, "items": ["a", "b"]}))
        exec_arn = started["executionArn"]
        self.assertEqual(exec_arn, "arn:aws:states:us-east-1:123456789012:execution:cli-activity:run-1")
        self.assertIn("startDate", started)

        task = self.cli("get-activity-task", "--activity-arn", activity_arn, "--worker-name", "cli-worker-7")
        self.assertTrue(task.get("taskToken"), task)
        self.assertEqual(json.loads(task["input"]), {"order": 42, "items": ["a", "b"]})

        events = self.cli("get-execution-history", "--execution-arn", exec_arn)["events"]
        started_events = [e for e in events if e["type"] == "ActivityStarted"]
        self.assertEqual(len(started_events), 1, events)
        self.assertEqual(started_events[0]["activityStartedEventDetails"]["workerName"], "cli-worker-7")
        self.assertEqual(self.cli("describe-execution", "--execution-arn", exec_arn)["status"], "RUNNING")

        running = self.cli("list-executions", "--state-machine-arn", sm_arn, "--status-filter", "RUNNING")
        self.assertEqual([e["executionArn"] for e in running["executions"]], [exec_arn])

        self.assertEqual(self.cli("send-task-success", "--task-token", task["taskToken"],
                                  "--task-output", json.dumps({"done": True, "n": 3})), {})

        desc = self.server.wait_status(exec_arn)  # poll with the JSON client, then check with the CLI
        desc = self.cli("describe-execution", "--execution-arn", exec_arn)
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        self.assertEqual(json.loads(desc["output"]),
                         {"order": 42, "items": ["a", "b"], "result": {"done": True, "n": 3}})
        self.assertEqual(desc["stateMachineArn"], sm_arn)
        self.assertEqual(desc["name"], "run-1")
        self.assertIn("stopDate", desc)

        events = self.cli("get-execution-history", "--execution-arn", exec_arn)["events"]
        self.assertEqual([e["type"] for e in events], EXPECTED_ACTIVITY_EVENTS)
        self.assertEqual([e["id"] for e in events], list(range(1, len(events) + 1)))
        # previousEventId: 0 for the first two (as AWS records them), then the event before.
        self.assertEqual(events[0]["previousEventId"], 0)
        self.assertEqual(events[1]["previousEventId"], 0)
        for prev, ev in zip(events[2:], events[3:]):
            self.assertEqual(ev["previousEventId"], prev["id"], ev)
        self.assertEqual(events[2]["previousEventId"], events[1]["id"])
        sched = events[2]["activityScheduledEventDetails"]
        self.assertEqual(sched["resource"], activity_arn)
        self.assertEqual(sched["timeoutInSeconds"], 300)
        self.assertEqual(json.loads(sched["input"]), {"order": 42, "items": ["a", "b"]})
        self.assertEqual(json.loads(events[4]["activitySucceededEventDetails"]["output"]),
                         {"done": True, "n": 3})
        self.assertEqual(events[5]["stateExitedEventDetails"]["name"], "Work")
        self.assertEqual(json.loads(events[6]["executionSucceededEventDetails"]["output"]),
                         json.loads(desc["output"]))

        # reverse order through the CLI, too
        rev = self.cli("get-execution-history", "--execution-arn", exec_arn, "--reverse-order")["events"]
        self.assertEqual([e["id"] for e in rev], list(range(len(events), 0, -1)))

        succeeded = self.cli("list-executions", "--state-machine-arn", sm_arn, "--status-filter", "SUCCEEDED")
        self.assertEqual([e["executionArn"] for e in succeeded["executions"]], [exec_arn])
        self.assertEqual(succeeded["executions"][0]["status"], "SUCCEEDED")
        running = self.cli("list-executions", "--state-machine-arn", sm_arn, "--status-filter", "RUNNING")
        self.assertEqual(running["executions"], [])

        # the token is spent: the CLI reports TaskTimedOut
        again = self.cli("send-task-success", "--task-token", task["taskToken"], "--task-output", "{}",
                         check=False)
        self.assertNotEqual(again.get("returncode", 0), 0)
        self.assertIn("TaskTimedOut", again["stderr"])

    def test_activity_failure_flow(self):
        activity_arn = self.cli("create-activity", "--name", "cli-failing")["activityArn"]
        sm_arn, _ = self.activity_machine("cli-fail", activity_arn)
        exec_arn = self.cli("start-execution", "--state-machine-arn", sm_arn,
                            "--input", '{"k": "v"}')["executionArn"]
        task = self.cli("get-activity-task", "--activity-arn", activity_arn, "--worker-name", "w")
        self.assertEqual(json.loads(task["input"]), {"k": "v"})
        self.assertEqual(self.cli("send-task-failure", "--task-token", task["taskToken"],
                                  "--error", "Worker.Broken", "--cause", "disk on fire"), {})
        self.server.wait_status(exec_arn)
        desc = self.cli("describe-execution", "--execution-arn", exec_arn)
        self.assertEqual(desc["status"], "FAILED", desc)
        self.assertEqual(desc["error"], "Worker.Broken")
        self.assertEqual(desc["cause"], "disk on fire")
        types = [e["type"] for e in self.cli("get-execution-history", "--execution-arn", exec_arn)["events"]]
        self.assertEqual(types, ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                                 "ActivityStarted", "ActivityFailed", "ExecutionFailed"])
        failed = self.cli("list-executions", "--state-machine-arn", sm_arn, "--status-filter", "FAILED")
        self.assertEqual([e["executionArn"] for e in failed["executions"]], [exec_arn])

    def test_jsonata_failure_history(self):
        # AWS records a failing JSONata expression as EvaluationFailed; the CLI reads its details
        # through the service model, so a member it does not know would not come through.
        definition = {
            "QueryLanguage": "JSONata", "StartAt": "S",
            "States": {"S": {"Type": "Pass", "Output": {"result": "{% $doesNotExist %}"}, "End": True}},
        }
        sm_arn = self.cli("create-state-machine", "--name", "cli-jsonata-fail", "--definition",
                          json.dumps(definition), "--role-arn", ROLE_ARN)["stateMachineArn"]
        exec_arn = self.cli("start-execution", "--state-machine-arn", sm_arn)["executionArn"]
        self.server.wait_status(exec_arn)
        events = self.cli("get-execution-history", "--execution-arn", exec_arn)["events"]
        self.assertEqual([e["type"] for e in events],
                         ["ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"])
        details = events[2]["evaluationFailedEventDetails"]
        self.assertEqual(details["state"], "S")
        self.assertEqual(details["error"], "States.QueryEvaluationError")
        self.assertEqual(details["location"], "Output/result")
        self.assertTrue(details["cause"].endswith(
            "specified for the field 'Output/result' returned nothing (undefined)."), details)

    def test_state_machine_lifecycle(self):
        pass_def = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 1}, "End": True}}}
        created = self.cli("create-state-machine", "--name", "cli-life", "--definition", json.dumps(pass_def),
                           "--role-arn", ROLE_ARN)
        sm_arn = created["stateMachineArn"]
        other = self.cli("create-state-machine", "--name", "cli-other", "--definition", json.dumps(pass_def),
                         "--role-arn", ROLE_ARN)["stateMachineArn"]

        desc = self.cli("describe-state-machine", "--state-machine-arn", sm_arn)
        self.assertEqual(desc["name"], "cli-life")
        self.assertEqual(desc["stateMachineArn"], sm_arn)
        self.assertEqual(desc["status"], "ACTIVE")
        self.assertEqual(desc["type"], "STANDARD")
        self.assertEqual(desc["roleArn"], ROLE_ARN)
        self.assertEqual(json.loads(desc["definition"]), pass_def)

        listed = self.cli("list-state-machines")["stateMachines"]
        self.assertEqual(sorted(m["name"] for m in listed), ["cli-life", "cli-other"])
        self.assertEqual({m["stateMachineArn"] for m in listed}, {sm_arn, other})

        # the first execution runs the old definition
        first = self.cli("start-execution", "--state-machine-arn", sm_arn)["executionArn"]
        self.assertEqual(json.loads(self.server.wait_status(first)["output"]), {"v": 1})

        new_def = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 2}, "End": True}}}
        updated = self.cli("update-state-machine", "--state-machine-arn", sm_arn,
                           "--definition", json.dumps(new_def))
        self.assertIn("updateDate", updated)
        desc = self.cli("describe-state-machine", "--state-machine-arn", sm_arn)
        self.assertEqual(json.loads(desc["definition"]), new_def)

        second = self.cli("start-execution", "--state-machine-arn", sm_arn)["executionArn"]
        self.assertEqual(json.loads(self.server.wait_status(second)["output"]), {"v": 2})
        self.assertEqual(json.loads(self.cli("describe-execution", "--execution-arn", first)["output"]), {"v": 1})

        # an invalid update is refused with the AWS error name and changes nothing
        bad = self.cli("update-state-machine", "--state-machine-arn", sm_arn,
                       "--definition", '{"StartAt": "Nowhere", "States": {}}', check=False)
        self.assertNotEqual(bad.get("returncode", 0), 0)
        self.assertIn("InvalidDefinition", bad["stderr"])
        desc = self.cli("describe-state-machine", "--state-machine-arn", sm_arn)
        self.assertEqual(json.loads(desc["definition"]), new_def)

        self.assertEqual(self.cli("delete-state-machine", "--state-machine-arn", sm_arn), {})
        names = [m["name"] for m in self.cli("list-state-machines")["stateMachines"]]
        self.assertEqual(names, ["cli-other"])
        gone = self.cli("start-execution", "--state-machine-arn", sm_arn, check=False)
        self.assertNotEqual(gone.get("returncode", 0), 0)
        self.assertTrue("StateMachineDoesNotExist" in gone["stderr"] or "StateMachineDeleting" in gone["stderr"],
                        gone["stderr"])

    def test_errors_are_reported_with_aws_names(self):
        missing = "arn:aws:states:us-east-1:123456789012:execution:nope:nothing"
        out = self.cli("describe-execution", "--execution-arn", missing, check=False)
        self.assertNotEqual(out.get("returncode", 0), 0)
        self.assertIn("ExecutionDoesNotExist", out["stderr"])

        out = self.cli("describe-state-machine", "--state-machine-arn",
                       "arn:aws:states:us-east-1:123456789012:stateMachine:nope", check=False)
        self.assertNotEqual(out.get("returncode", 0), 0)
        self.assertIn("StateMachineDoesNotExist", out["stderr"])

        out = self.cli("send-task-success", "--task-token", "not-a-real-token", "--task-output", "{}", check=False)
        self.assertNotEqual(out.get("returncode", 0), 0)
        self.assertIn("InvalidToken", out["stderr"])

        out = self.cli("create-state-machine", "--name", "has space", "--role-arn", ROLE_ARN, "--definition",
                       '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}', check=False)
        self.assertNotEqual(out.get("returncode", 0), 0)
        self.assertIn("InvalidName", out["stderr"])

        out = self.cli("create-state-machine", "--name", "bad-def", "--role-arn", ROLE_ARN,
                       "--definition", '{"StartAt":"P"}', check=False)
        self.assertNotEqual(out.get("returncode", 0), 0)
        self.assertIn("InvalidDefinition", out["stderr"])
        self.assertEqual(self.cli("list-state-machines")["stateMachines"], [])


if __name__ == "__main__":
    unittest.main()
