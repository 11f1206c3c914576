"""The Lambda handler against moto: key from SSM, scheduled events, EMF on stdout."""

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from functions.monitor import handler as lambda_handler
from tests.conftest import SECRET, sim_env

PARAMETER = "/claude-monitor/anthropic-api-key"
# Scheduled times near now: the handler replaces times far from now with now.
BASE = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)


def minute(n: int) -> str:
    return (BASE + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(time=None):
    time = time or minute(0)
    return {
        "version": "0",
        "id": "e1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/monitor"],
        "detail": {},
    }


CONTEXT = SimpleNamespace(
    function_name="monitor",
    memory_limit_in_mb=256,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:monitor",
    aws_request_id="req-1",
    function_version="$LATEST",
)


@pytest.fixture
def lambda_env(sim, tmp_path, aws, monkeypatch):
    env = sim_env(
        sim,
        tmp_path,
        TABLE_NAME=aws.table,
        TOPIC_ARN=aws.topic_arn,
        ANTHROPIC_API_KEY="",
        ANTHROPIC_API_KEY_PARAMETER=PARAMETER,
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=aws.proxy.url,
    )
    for key, value in env.items():
        if key.startswith(
            ("STATUS_", "ANTHROPIC_", "CANARY_", "CHECK_", "TABLE_", "TOPIC_", "AWS_")
        ):
            monkeypatch.setenv(key, value)
    monkeypatch.setattr(lambda_handler, "_cycle", None)
    monkeypatch.setattr(lambda_handler, "_config", None)
    from functions.monitor.apikey import _provider

    _provider.cache_clear()
    return aws


def test_given_scheduled_events_then_the_handler_checks_stores_and_dedupes(sim, lambda_env, capsys):
    aws = lambda_env
    aws.client("ssm").put_parameter(Name=PARAMETER, Value=SECRET, Type="SecureString")
    sim.set("overloaded")
    first = lambda_handler.handler(event(minute(0)), CONTEXT)
    second = lambda_handler.handler(event(minute(1)), CONTEXT)
    duplicate = lambda_handler.handler(event(minute(1)), CONTEXT)
    assert first["verdict"] == "unconfirmed_outage" and first["notified"] == 0
    assert second["notified"] == 1 and duplicate["notified"] == 0
    assert len(aws.messages()) == 1
    # The canary really ran with the key from SSM: the simulator answered 529, not 401.
    assert sim.requests()["messages"]["claude-haiku-5-5"] >= 3
    out = capsys.readouterr().out
    emf = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    assert any("Heartbeat" in doc for doc in emf)
    assert SECRET not in out


def test_given_the_key_parameter_is_missing_then_the_cycle_is_stored_and_the_invocation_fails(
    sim, lambda_env
):
    aws = lambda_env
    sim.set("healthy")
    with pytest.raises(lambda_handler.KeyUnavailable) as caught:
        lambda_handler.handler(event(), CONTEXT)
    assert PARAMETER in str(caught.value)
    cycles = aws.client("dynamodb").query(
        TableName=aws.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "CYCLE"}},
    )["Items"]
    assert len(cycles) == 1 and cycles[0]["verdict"]["S"] == "operational"


def test_scheduled_time_reads_the_event_and_falls_back_to_now():
    assert lambda_handler.scheduled_time(event(minute(5))) == BASE + timedelta(minutes=5)
    assert lambda_handler.scheduled_time({"time": "garbage"}).tzinfo is not None
    assert lambda_handler.scheduled_time(None).tzinfo is not None
