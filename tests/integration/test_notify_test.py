"""`notify --test` (make test-alert): the real command line, through the moto server over
HTTP to an SQS queue (email text), a loopback https endpoint in Amazon Q's place and
one in a webhook's place; and locally, where it is printed."""

from __future__ import annotations

import json

import jsonschema
import pytest

from functions.monitor.tell.chat import CHAT_SCHEMA, WEBHOOK_SCHEMA
from tests.conftest import run_cli, sim_env
from tests.integration.test_aws import cli_env
from tests.integration.test_channels_sns import _url
from tests.integration.test_channels_wire import endpoint  # noqa: F401 - fixture


@pytest.fixture
def topics(aws, endpoint):  # noqa: F811
    """The alert topic (queue + Amazon Q's place) and a webhook topic (a webhook's place)."""
    chat, hook = endpoint
    sns = aws.client("sns")
    hooks = sns.create_topic(Name="monitor-webhooks")["TopicArn"]
    sns.subscribe(TopicArn=hooks, Protocol="https", Endpoint=_url(hook))
    sns.subscribe(TopicArn=aws.topic_arn, Protocol="https", Endpoint=_url(chat))
    return hooks, chat.received, hook.received


def test_given_both_topics_when_notify_test_then_every_destination_gets_one_marked_test(
    sim, tmp_path, aws, topics
):
    hooks, chat_inbox, hook_inbox = topics
    env = cli_env(sim, tmp_path, aws, TOPIC_ARN=aws.topic_arn, WEBHOOK_TOPIC_ARN=hooks)
    # When: notify --test
    run = run_cli("notify", "--test", "--json", env=env)
    # Then: it says it went to both topics, and exits 0
    assert run.code == 0, run.stderr
    report = run.json
    assert report["ok"] is True
    assert [(d["destination"], d["status"]) for d in report["destinations"]] == [
        ("alert", "sent"),
        ("webhook", "sent"),
        ("webhook resolve", "sent"),
    ]
    # And: the email/SMS topic's queue got one message marked TEST, severity critical
    [queued] = aws.messages()
    assert queued["Subject"].startswith("TEST:")
    assert queued["Message"].startswith("TEST notification")
    attributes = {k: v["Value"] for k, v in queued["MessageAttributes"].items()}
    assert attributes["severity"] == "critical"
    assert attributes["notification_id"].startswith("test-")
    # And: Amazon Q got a valid chat message titled TEST
    [chat_envelope] = chat_inbox
    chat = json.loads(chat_envelope["Message"])
    jsonschema.validate(chat, CHAT_SCHEMA)
    assert "TEST" in chat["content"]["title"]
    # And: the webhook got the alarm and then its resolve, under a dedup key of their own
    alarm, resolve = (json.loads(e["Message"]) for e in hook_inbox)
    for body in (alarm, resolve):
        jsonschema.validate(body, WEBHOOK_SCHEMA)
        assert body["test"] is True
        assert body["dedup_key"] == "claude-api-monitor-test:us-east-1"
    assert (alarm["NewStateValue"], resolve["NewStateValue"]) == ("ALARM", "OK")
    assert alarm["notification_id"].startswith(attributes["notification_id"])
    assert resolve["notification_id"] != alarm["notification_id"]


def test_given_a_real_alert_and_a_test_then_the_test_is_neither_stored_nor_deduplicated(
    sim, tmp_path, aws, topics
):
    hooks, _, hook_inbox = topics
    env = cli_env(
        sim,
        tmp_path,
        aws,
        TOPIC_ARN=aws.topic_arn,
        WEBHOOK_TOPIC_ARN=hooks,
        TABLE_NAME=aws.table,
    )
    # Given: an outage alert opened by two bad cycles
    sim.set("overloaded")
    run_cli("check", env=env)
    opened = run_cli("check", "--json", env=env).json
    [real] = opened["notifications"]
    before = aws.client("dynamodb").scan(TableName=aws.table)["Items"]
    aws.messages()
    hook_inbox.clear()
    # When: a test is sent twice
    first = run_cli("notify", "--test", "--json", env=env)
    second = run_cli("notify", "--test", "--json", env=env)
    assert first.code == second.code == 0
    # Then: the store is exactly as it was (no alert counted, no state moved)
    assert aws.client("dynamodb").scan(TableName=aws.table)["Items"] == before
    # And: each test got through, under its own id, never the real alert's
    queued = aws.messages()
    ids = [m["MessageAttributes"]["notification_id"]["Value"] for m in queued]
    assert len(ids) == 2 and len(set(ids)) == 2 and real["id"] not in ids
    keys = {json.loads(e["Message"])["dedup_key"] for e in hook_inbox}
    assert keys == {"claude-api-monitor-test:us-east-1"}
    assert json.loads(real["webhook"] or "{}").get("dedup_key") not in keys
    # And: the alert is still open for the next check
    sim.set("overloaded")
    assert run_cli("check", "--json", env=env).json["open_alert"]["reported"] == opened["verdict"]


def test_given_a_topic_that_refuses_when_notify_test_then_one_line_and_exit_1(sim, tmp_path, aws):
    env = cli_env(sim, tmp_path, aws, TOPIC_ARN=aws.topic_arn)
    aws.proxy.faults["sns"] = "error"
    run = run_cli("notify", "--test", env=env)
    assert run.code == 1
    assert "alert arn:aws:sns" in run.stdout and "failed: SNS publish failed" in run.stdout
    assert "Traceback" not in run.stderr


def test_given_a_proxy_answering_for_sns_when_notify_test_then_each_destination_says_so(
    sim, tmp_path, aws
):
    # Given: both topics, and something on the path answering SNS with a 200 HTML page
    # (botocore cannot parse it: a ResponseParserError, not a BotoCoreError)
    env = cli_env(sim, tmp_path, aws, TOPIC_ARN=aws.topic_arn, WEBHOOK_TOPIC_ARN=aws.topic_arn)
    aws.proxy.faults["sns"] = "html"
    run = run_cli("notify", "--test", env=env)
    # Then: the report of what went where, each failure on its line, exit 1, no traceback
    assert run.code == 1, run.stderr
    assert "alert arn:aws:sns" in run.stdout and "failed: SNS publish failed" in run.stdout
    assert "webhook arn:aws:sns" in run.stdout
    assert "Traceback" not in run.stderr and "ResponseParserError" not in run.stderr


def test_given_no_topic_when_notify_test_then_it_is_printed_and_says_it_was_not_sent(sim, tmp_path):
    run = run_cli("notify", "--test", env=sim_env(sim, tmp_path))
    assert run.code == 0, run.stderr
    assert "NOTIFICATION TEST:" in run.stdout
    assert "alert: printed above, not sent: TOPIC_ARN is not set" in run.stdout
    assert "webhook: none: WEBHOOK_TOPIC_ARN is not set" in run.stdout
    # And: nothing was stored locally
    assert not (tmp_path / "state.sqlite3").exists()


def test_the_test_messages_fit_their_channels_and_say_test_everywhere():
    from functions.monitor.cli.notify_test import alert_test_notification, webhook_test_pair
    from functions.monitor.config import load_config
    from functions.monitor.tell.text import SMS_MAX, gsm7

    config = load_config({"MONITOR_REGION": "ap-southeast-2"})
    note = alert_test_notification(config, "2026-12-06T08:00:00Z", "abc123")
    # Then: one SMS part in GSM-7, a subject SNS takes, TEST in every variant
    assert len(note.sms) <= SMS_MAX and gsm7(note.sms) == note.sms
    assert len(note.subject) <= 100 and note.subject.startswith("TEST")
    assert note.email.startswith("TEST") and "TEST" in json.loads(note.chat)["content"]["title"]
    alarm, resolve = webhook_test_pair(config, note, "2026-12-06T08:00:00Z")
    bodies = [json.loads(n.webhook) for n in (alarm, resolve)]
    for body in bodies:
        jsonschema.validate(body, WEBHOOK_SCHEMA)
    assert [b["kind"] for b in bodies] == ["alert", "resolved"]
    assert alarm.id != resolve.id != note.id.replace("test-", "n-")
