"""The deploy path end to end, against a moto server's CloudFormation.

Synthesise with the pinned CDK command-line tool, bootstrap (bucket and version
parameter), upload the function's asset, deploy the template, then run the handler
from the unpacked asset, as Lambda would, with the deployed function's environment
and the simulator as upstream. moto skips the resource types it does not know
(alarms, dashboard, event invoke config); the template tests cover those.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from tests.aws_support import CREDENTIALS
from tests.conftest import ROOT, SECRET

ACCOUNT = "123456789012"
REGION = "us-east-1"
STACK = f"ClaudeMonitor-{REGION}"
pytestmark = pytest.mark.slow


def _synth(out: Path) -> None:
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        "CDK_DISABLE_VERSION_CHECK": "1",
    }
    run = subprocess.run(
        [
            "npx",
            "--no-install",
            "cdk",
            "synth",
            "--quiet",
            "--no-notices",
            "-o",
            str(out),
            "-c",
            f"regions={REGION}",
            "-c",
            "emails=oncall@example.com",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def _publish_assets(out: Path, s3) -> None:
    manifest = json.loads((out / f"{STACK}.assets.json").read_text())
    for asset in manifest["files"].values():
        source = out / asset["source"]["path"]
        if asset["source"].get("packaging") == "zip":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(source.rglob("*")):
                    if path.is_file():
                        archive.write(path, path.relative_to(source))
            body = buffer.getvalue()
        else:
            body = source.read_bytes()
        for destination in asset["destinations"].values():
            bucket = destination["bucketName"].replace("${AWS::AccountId}", ACCOUNT)
            bucket = bucket.replace("${AWS::Region}", REGION)
            s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)


def _deploy(out: Path, clients) -> dict[str, str]:
    cfn = clients("cloudformation")
    template = json.loads((out / f"{STACK}.template.json").read_text())
    for name, resource in list(template["Resources"].items()):
        # moto's KMS handler reads tags as TagKey/TagValue and fails on CloudFormation's
        # Key/Value; the real service takes them. Only the emulator's copy loses them.
        if resource["Type"] == "AWS::KMS::Key":
            resource["Properties"].pop("Tags", None)
        # moto skips alarms, then rejects the dashboard's GetAtt on them; the template
        # tests pin both, so the emulator's copy leaves them out.
        if resource["Type"] in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard"):
            del template["Resources"][name]
    cfn.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.5)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _unpack_function(
    function_name: str, template: dict, clients, into: Path
) -> tuple[Path, dict[str, str]]:
    """Fetch the deployed function's zip from the asset bucket and unpack it."""
    [code] = [
        r["Properties"]["Code"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    ]
    data = clients("s3").get_object(Bucket=_bucket(), Key=code["S3Key"])["Body"].read()
    config = clients("lambda").get_function(FunctionName=function_name)["Configuration"]
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert config["CodeSha256"] == digest  # the very code the stack deployed
    zipfile.ZipFile(io.BytesIO(data)).extractall(into)
    return into, config["Environment"]["Variables"]


def _bucket() -> str:
    return f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"


def _invoke(asset: Path, env: dict[str, str], time_: str) -> dict:
    event = {
        "version": "0",
        "id": "deploy-test",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": time_,
        "region": REGION,
        "resources": [],
        "detail": {},
    }
    script = (
        "import json, sys, types\n"
        "from functions.monitor.handler import handler\n"
        "ctx = types.SimpleNamespace(function_name='monitor', memory_limit_in_mb=256, "
        "invoked_function_arn='arn:aws:lambda:us-east-1:123456789012:function:monitor', "
        "aws_request_id='r', function_version='$LATEST')\n"
        "import functions.monitor as pkg\n"
        "assert pkg.__file__.startswith(sys.argv[2]), pkg.__file__\n"
        "print('RESULT ' + json.dumps(handler(json.loads(sys.argv[1]), ctx)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, json.dumps(event), str(asset)],
        cwd=asset,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert SECRET not in run.stdout + run.stderr
    [line] = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")]
    return json.loads(line[len("RESULT ") :])


def test_synth_deploy_and_run_the_handler_from_the_asset(moto_server, sim, tmp_path, monkeypatch):
    server, _ = moto_server
    server.reset()
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)

    def clients(service):
        return boto3.client(service, endpoint_url=server.url, region_name=REGION)

    # Bootstrap as `cdk bootstrap` would leave it: the asset bucket and version parameter.
    clients("s3").create_bucket(Bucket=_bucket())
    clients("ssm").put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
    out = tmp_path / "cdk.out"
    _synth(out)
    _publish_assets(out, clients("s3"))
    outputs = _deploy(out, clients)

    template = json.loads((out / f"{STACK}.template.json").read_text())
    asset, function_env = _unpack_function(
        outputs["FunctionName"], template, clients, tmp_path / "asset"
    )
    assert function_env["TABLE_NAME"] == outputs["TableName"]
    assert function_env["TOPIC_ARN"] == outputs["TopicArn"]
    clients("ssm").put_parameter(
        Name=function_env["ANTHROPIC_API_KEY_PARAMETER"], Value=SECRET, Type="SecureString"
    )
    sqs = clients("sqs")
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    clients("sns").subscribe(TopicArn=outputs["TopicArn"], Protocol="sqs", Endpoint=queue_arn)

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "TABLE_", "TOPIC_", "PYTHONPATH"))
    }
    env.update(function_env)
    env.update(
        CREDENTIALS,
        AWS_ENDPOINT_URL=server.url,
        STATUS_PAGE_URL=sim.url,
        ANTHROPIC_BASE_URL=sim.url,
        CANARY_RETRY_BASE_SECONDS="0.01",
        AWS_LAMBDA_FUNCTION_NAME=outputs["FunctionName"],
    )
    sim.set("overloaded")
    # Scheduled times near now: the handler distrusts event times far from its clock.
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    times = [(minute + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ") for n in (0, 1)]
    first = _invoke(asset, env, times[0])
    second = _invoke(asset, env, times[1])
    duplicate = _invoke(asset, env, times[1])
    assert first["verdict"] == "unconfirmed_outage" and first["notified"] == 0
    assert second["notified"] == 1 and duplicate["notified"] == 0
    assert any("duplicate" in e for e in duplicate["errors"])

    ddb = clients("dynamodb")
    cycles = ddb.query(
        TableName=outputs["TableName"],
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "CYCLE"}},
    )["Items"]
    assert [c["sk"]["S"] for c in cycles] == times
    assert all(c["region"]["S"] == REGION for c in cycles)
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body["Subject"].startswith("CRITICAL: Claude API unconfirmed_outage")
