#!/usr/bin/env python3
"""An activity worker for stepd, written with boto3 as for AWS Step Functions.

It long-polls one activity, runs each task's input through `work()`, heartbeats while working,
and answers SendTaskSuccess or, when `work()` raises, SendTaskFailure with the exception's name
as the error. Credentials come the usual boto3 ways (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
a profile ...); give it a key with the `worker` role (`stepd keys create --role worker`).

    AWS_ACCESS_KEY_ID=STPD... AWS_SECRET_ACCESS_KEY=... \\
      python3 activity_worker.py --endpoint http://stepd:8080 --activity-arn ARN

Stops after --max-tasks tasks (0: never), or on Ctrl-C after answering the task in hand.
"""
import argparse
import json
import signal
import socket
import threading

import boto3
from botocore.config import Config


def work(task_input):
    """The job. Replace with yours: here, greet whoever the input names."""
    name = task_input.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("the input has no 'name'")
    return {"greeting": f"Hello, {name}!"}


class Heartbeat:
    """Sends SendTaskHeartbeat every `every` seconds until stopped."""

    def __init__(self, client, token, every):
        self.client, self.token, self.every = client, token, every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stopped.wait(self.every):
            self.client.send_task_heartbeat(taskToken=self.token)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="stepd's URL, e.g. http://stepd:8080")
    parser.add_argument("--activity-arn", required=True)
    parser.add_argument("--region", default="us-east-1", help="any region: stepd accepts all")
    parser.add_argument("--worker-name", default=socket.gethostname())
    parser.add_argument("--heartbeat-seconds", type=float, default=30.0)
    parser.add_argument("--max-tasks", type=int, default=0)
    args = parser.parse_args()

    # GetActivityTask holds the request for up to 60 s when no task is waiting, so the read
    # timeout must be longer than botocore's default of 60 s.
    client = boto3.client("stepfunctions", endpoint_url=args.endpoint, region_name=args.region,
                          config=Config(read_timeout=70, retries={"mode": "standard"}))
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())

    done = 0
    while not stopping.is_set() and (args.max_tasks == 0 or done < args.max_tasks):
        task = client.get_activity_task(activityArn=args.activity_arn,
                                        workerName=args.worker_name)
        token = task.get("taskToken")
        if not token:
            continue  # the poll ended empty; ask again
        try:
            with Heartbeat(client, token, args.heartbeat_seconds):
                result = work(json.loads(task["input"]))
        except Exception as e:  # the task fails; the worker carries on
            client.send_task_failure(taskToken=token, error=type(e).__name__,
                                     cause=str(e)[:32768])
        else:
            client.send_task_success(taskToken=token, output=json.dumps(result))
        done += 1


if __name__ == "__main__":
    main()
