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
    from functions.monitor.keep.apikey import _provider

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


def test_given_the_key_parameter_is_missing_then_the_cycle_is_stored_and_one_alarm_metric_says_so(
    sim, lambda_env, capsys
):
    aws = lambda_env
    sim.set("healthy")
    # moto loads its SSM backend on the first request, slower than the cycle's AWS read
    # timeout; real SSM answers in milliseconds. Warm it, so the answer is the real one.
    aws.client("ssm").describe_parameters()
    summary = lambda_handler.handler(event(), CONTEXT)
    # The cause in AWS's words, so the fix is obvious: the parameter does not exist.
    assert PARAMETER in summary["key_unavailable"]
    assert "ParameterNotFound" in summary["key_unavailable"]
    # The ApiKeyUnavailable metric went out (EMF on stdout), for its alarm.
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(doc.get("ApiKeyUnavailable") in (1.0, [1.0]) for doc in emf), emf
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


@pytest.fixture
def hanging_page():
    """A second simulator whose status page hangs (the first one hangs the API)."""
    from functions.simulator.server import Simulator

    with Simulator(scenario="page_hang") as page:
        yield page


@pytest.mark.parametrize(
    "hanging", [("ssm", "dynamodb", "sns"), ("ssm", "sns"), ("sns",)], ids="-".join
)
def test_given_every_dependency_hangs_then_the_invocation_ends_within_the_deadline(
    sim, lambda_env, hanging_page, monkeypatch, hanging
):
    # Given the API and the status page accepting and never answering, these AWS
    # services too, and a 4 s deadline
    import time

    aws = lambda_env
    aws.client("ssm").put_parameter(Name=PARAMETER, Value=SECRET, Type="SecureString")
    monkeypatch.setenv("CHECK_DEADLINE_SECONDS", "4")
    monkeypatch.setenv("STATUS_PAGE_URL", hanging_page.url)
    sim.set("api_hang")
    for service in hanging:
        aws.proxy.faults[service] = "hang"
    # When the handler is invoked twice (the second opens an alert, so SNS is tried
    # whenever DynamoDB answers)
    elapsed, hits = [], {}
    try:
        for n in range(2):
            started = time.monotonic()
            summary = lambda_handler.handler(event(minute(n)), CONTEXT)
            assert ("key_unavailable" in summary) == ("ssm" in hanging)
            elapsed.append(time.monotonic() - started)
        hits = dict(aws.proxy.hits)
    finally:
        aws.proxy.clear()
    # Then each invocation ends within the deadline + 1 s, trying each service once
    assert max(elapsed) <= 5.0, elapsed
    assert all(count <= 2 for count in hits.values()), hits
    if "dynamodb" not in hanging:
        assert hits.get("sns") == 1, hits
    if "ssm" not in hanging:
        assert sim.requests()["messages"]  # the canaries ran, into the hanging API


def test_given_an_event_dated_a_year_ahead_then_later_reminders_still_come(
    sim, lambda_env, monkeypatch
):
    # Given an open alert with reminders every 5 minutes, opened half an hour ago
    # (times from now at the test's start: the handler checks event times against it)
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)

    def at(n: int) -> str:
        return (base + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")

    aws = lambda_env
    aws.client("ssm").put_parameter(Name=PARAMETER, Value=SECRET, Type="SecureString")
    monkeypatch.setenv("REMINDER_MINUTES", "5")
    sim.set("overloaded")
    assert lambda_handler.handler(event(at(0)), CONTEXT)["notified"] == 0
    assert lambda_handler.handler(event(at(1)), CONTEXT)["notified"] == 1
    # When one event claims to be a year ahead
    ahead = (base + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    odd = lambda_handler.handler(event(ahead), CONTEXT)
    # Then it is checked as now (a reminder is due: about 29 min since the alert)
    assert at(29) <= odd["checked_at"] < at(40) and odd["notified"] == 1
    # And the next reminder, 8 minutes on, still comes
    assert lambda_handler.handler(event(at(38)), CONTEXT)["notified"] == 1
    assert len(aws.messages()) == 3


def key_forms(key: str) -> list[str]:
    """Every way a key could leak: whole, with its newline, escaped, JSON-escaped,
    and every run of 12 characters of it."""
    forms = [key, key + "\n", key + "\\n", json.dumps(key + "\n")[1:-1], repr(key + "\n")]
    return forms + [key[i : i + 12] for i in range(len(key) - 11)]


def test_given_a_key_with_a_trailing_newline_in_ssm_then_it_works_and_never_leaks(
    sim, lambda_env, capsys, caplog
):
    # Given the key stored as `--value file://key.txt` stores it: with a newline
    aws = lambda_env
    aws.client("ssm").put_parameter(Name=PARAMETER, Value=SECRET + "\n", Type="SecureString")
    sim.set("overloaded")
    # When cycles run, open an alert and notify
    results = [lambda_handler.handler(event(minute(m)), CONTEXT) for m in range(3)]
    sim.set("auth_error")
    results += [lambda_handler.handler(event(minute(m)), CONTEXT) for m in range(3, 6)]
    # Then the key was used (the API answered 529, then 401), not rejected as a header
    assert results[0]["verdict"] == "unconfirmed_outage"
    assert results[-1]["verdict"] == "client_error"
    # And no output, log line, stored item or message holds any form of it
    out = capsys.readouterr()
    scan = aws.client("dynamodb").scan(TableName=aws.table)["Items"]
    haystack = "\n".join(
        [out.out, out.err, caplog.text, json.dumps(scan), json.dumps(aws.messages())]
    )
    assert [form for form in key_forms(SECRET) if form in haystack] == []


@pytest.mark.parametrize("value", ["sk-ant-\u200bzerowidth-0123456789", "sk ant with space"])
def test_given_an_unusable_key_in_ssm_then_the_error_names_the_parameter_not_the_value(
    sim, lambda_env, value, capsys
):
    aws = lambda_env
    aws.client("ssm").put_parameter(Name=PARAMETER, Value=value, Type="SecureString")
    sim.set("healthy")
    message = lambda_handler.handler(event(), CONTEXT)["key_unavailable"]
    assert PARAMETER in message and "\n" not in message
    assert "zerowidth" not in message and "with space" not in message
    out = capsys.readouterr()
    assert "zerowidth" not in out.out + out.err and "with space" not in out.out + out.err
