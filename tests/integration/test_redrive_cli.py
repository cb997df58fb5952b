"""RedriveExecution through the real AWS CLI: a Map whose iterations are activity tasks, two of
which fail the first time. The redrive runs only those two again, keeps the result of the one
that succeeded, and the history, DescribeExecution and ListExecutions show the redrive."""
import json
import shutil
import unittest

from stepd_harness import ROLE_ARN, ServerTestCase


@unittest.skipUnless(shutil.which("aws"), "the aws CLI is not installed")
class RedriveCliTest(ServerTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.cli = self.server.aws_cli

    def start_map_execution(self):
        activity_arn = self.cli("create-activity", "--name", "redrive-worker")["activityArn"]
        definition = {
            "StartAt": "Prepare",
            "States": {
                "Prepare": {"Type": "Pass", "Assign": {"runs": 1}, "Next": "Each"},
                "Each": {
                    "Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.results",
                    "ItemProcessor": {"StartAt": "Work", "States": {
                        "Work": {"Type": "Task", "Resource": activity_arn, "End": True}}},
                    "End": True,
                },
            },
        }
        sm_arn = self.cli("create-state-machine", "--name", "redrive-map", "--definition",
                          json.dumps(definition), "--role-arn", ROLE_ARN)["stateMachineArn"]
        exec_arn = self.cli("start-execution", "--state-machine-arn", sm_arn, "--name", "run-1",
                            "--input", json.dumps({"items": [1, 2, 3]}))["executionArn"]
        return activity_arn, sm_arn, exec_arn

    def take_tasks(self, activity_arn, count):
        tasks = {}
        for _ in range(count):
            task = self.cli("get-activity-task", "--activity-arn", activity_arn)
            self.assertTrue(task.get("taskToken"), task)
            tasks[json.loads(task["input"])] = task["taskToken"]
        return tasks

    def test_redrive_runs_only_the_failed_iterations(self):
        activity_arn, sm_arn, exec_arn = self.start_map_execution()
        tasks = self.take_tasks(activity_arn, 3)
        self.assertEqual(sorted(tasks), [1, 2, 3])

        desc = self.cli("describe-execution", "--execution-arn", exec_arn)
        self.assertEqual(desc["redriveStatus"], "NOT_REDRIVABLE")
        not_yet = self.cli("redrive-execution", "--execution-arn", exec_arn, check=False)
        self.assertIn("ExecutionNotRedrivable", not_yet["stderr"])

        self.cli("send-task-success", "--task-token", tasks[1], "--task-output", '"one"')
        self.cli("send-task-failure", "--task-token", tasks[2], "--error", "Flaky",
                 "--cause", "first attempt")
        self.server.wait_status(exec_arn)
        desc = self.cli("describe-execution", "--execution-arn", exec_arn)
        self.assertEqual(desc["status"], "FAILED", desc)
        self.assertEqual(desc["error"], "Flaky")
        self.assertEqual(desc["redriveStatus"], "REDRIVABLE", desc)
        self.assertEqual(desc.get("redriveCount", 0), 0)
        # The third iteration was aborted with the Map: its token no longer applies.
        late = self.cli("send-task-success", "--task-token", tasks[3], "--task-output", '"x"',
                        check=False)
        self.assertIn("TaskTimedOut", late["stderr"])

        first = self.cli("redrive-execution", "--execution-arn", exec_arn,
                         "--client-token", "redrive-attempt-1")
        self.assertIn("redriveDate", first)
        again = self.cli("redrive-execution", "--execution-arn", exec_arn,
                         "--client-token", "redrive-attempt-1")
        self.assertEqual(again["redriveDate"], first["redriveDate"],
                         "a repeat with the same client token gets the same answer")
        other = self.cli("redrive-execution", "--execution-arn", exec_arn,
                         "--client-token", "redrive-attempt-2", check=False)
        self.assertIn("ExecutionNotRedrivable", other["stderr"], "a running execution")

        desc = self.cli("describe-execution", "--execution-arn", exec_arn)
        self.assertEqual(desc["status"], "RUNNING")
        self.assertEqual(desc["redriveCount"], 1)
        self.assertIn("redriveDate", desc)

        rerun = self.take_tasks(activity_arn, 2)
        self.assertEqual(sorted(rerun), [2, 3], "only the failed and the aborted iteration run again")
        for item, token in rerun.items():
            self.cli("send-task-success", "--task-token", token, "--task-output", json.dumps(item * 10))
        self.server.wait_status(exec_arn)
        desc = self.cli("describe-execution", "--execution-arn", exec_arn)
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        self.assertEqual(json.loads(desc["output"]), {"items": [1, 2, 3], "results": ["one", 20, 30]})
        self.assertEqual(desc["redriveStatus"], "NOT_REDRIVABLE")

        events = self.cli("get-execution-history", "--execution-arn", exec_arn)["events"]
        types = [e["type"] for e in events]
        self.assertEqual(types.count("ExecutionFailed"), 1)
        self.assertEqual(types.count("ExecutionRedriven"), 1)
        redriven = events[types.index("ExecutionRedriven")]
        self.assertEqual(redriven["executionRedrivenEventDetails"], {"redriveCount": 1})
        self.assertEqual(types.count("PassStateEntered"), 1, "Prepare succeeded and does not run again")
        self.assertEqual(types.count("MapStateEntered"), 1)
        self.assertEqual(types[-1], "ExecutionSucceeded")
        self.assertEqual([e["id"] for e in events], list(range(1, len(events) + 1)))

        redriven_list = self.cli("list-executions", "--state-machine-arn", sm_arn,
                                 "--redrive-filter", "REDRIVEN")["executions"]
        self.assertEqual([e["executionArn"] for e in redriven_list], [exec_arn])
        self.assertEqual(redriven_list[0]["redriveCount"], 1)
        never = self.cli("list-executions", "--state-machine-arn", sm_arn,
                         "--redrive-filter", "NOT_REDRIVEN")["executions"]
        self.assertEqual(never, [])

    def test_redrive_survives_a_restart(self):
        activity_arn, _, exec_arn = self.start_map_execution()
        tasks = self.take_tasks(activity_arn, 3)
        self.cli("send-task-success", "--task-token", tasks[1], "--task-output", '"one"')
        self.cli("send-task-failure", "--task-token", tasks[2], "--error", "Flaky")
        self.server.wait_status(exec_arn)
        self.server.kill9()
        self.server.restart()
        self.cli("redrive-execution", "--execution-arn", exec_arn)
        rerun = self.take_tasks(activity_arn, 2)
        for token in rerun.values():
            self.cli("send-task-success", "--task-token", token, "--task-output", '"again"')
        desc = self.server.wait_status(exec_arn)
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        self.assertEqual(json.loads(desc["output"])["results"], ["one", "again", "again"])

    def test_unknown_execution(self):
        out = self.cli("redrive-execution", "--execution-arn",
                       "arn:aws:states:us-east-1:123456789012:execution:nope:nope", check=False)
        self.assertIn("ExecutionDoesNotExist", out["stderr"])


if __name__ == "__main__":
    unittest.main()
