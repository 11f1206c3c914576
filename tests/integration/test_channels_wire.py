"""The cycle with its channels, end to end through the moto server (issue 12).

The alert topic has an SQS queue (email text) and a loopback HTTPS-like endpoint in
Amazon Q's place (protocol https: the chat message); the webhook topic has a loopback
endpoint in PagerDuty's place. The fault proxy fails one topic's publish at a time.
Quiet hours and mutes run on a fixed clock (the scheduled event times), no sleeps.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import jsonschema
import pytest

from functions.monitor.cli.mute import run_mute
from functions.monitor.tell.chat import CHAT_SCHEMA, WEBHOOK_SCHEMA
from functions.monitor.values import parse_quiet
from functions.monitor.wiring import build_cycle
from tests.conftest import run_cli
from tests.integration.test_aws import at, cli_env, config_for
from tests.integration.test_channels_sns import _Inbox, _url


@pytest.fixture
def endpoint():
    """Two loopback HTTPS-like subscribers (Amazon Q's place, a webhook's place)."""
    import threading
    from http.server import ThreadingHTTPServer

    servers = []
    for _ in range(2):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Inbox)
        server.received = []  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def wired(sim, tmp_path, aws, endpoint):
    """Config with a webhook topic; (config, amazon_q inbox, webhook inbox, topic ARN)."""
    endpoint, second_endpoint = endpoint
    sns = aws.client("sns")
    hooks = sns.create_topic(Name="monitor-webhooks")["TopicArn"]
    sns.subscribe(TopicArn=hooks, Protocol="https", Endpoint=_url(second_endpoint))
    sns.subscribe(TopicArn=aws.topic_arn, Protocol="https", Endpoint=_url(endpoint))
    config = config_for(sim, tmp_path, aws, WEBHOOK_TOPIC_ARN=hooks)
    return config, endpoint.received, second_endpoint.received, hooks


def _state_item(aws):
    return aws.client("dynamodb").get_item(
        TableName=aws.table, Key={"pk": {"S": "STATE"}, "sk": {"S": "STATE"}}
    )["Item"]


def _ids(messages):
    return [m["MessageAttributes"]["notification_id"]["Value"] for m in messages]


def test_given_webhooks_when_an_alert_opens_then_queue_chat_and_webhook_each_get_it_once(
    sim, aws, wired
):
    config, chat_inbox, hook_inbox, _ = wired
    sim.set("overloaded")
    cycle = build_cycle(config)
    # When two bad cycles open the alert
    cycle.run(config.api_key, at(0))
    opened = cycle.run(config.api_key, at(1))
    # Then each receiver got exactly one message, under one notification id
    [queued] = aws.messages()
    [chat_envelope] = chat_inbox
    [hook_envelope] = hook_inbox
    chat = json.loads(chat_envelope["Message"])
    body = json.loads(hook_envelope["Message"])
    jsonschema.validate(chat, CHAT_SCHEMA)
    jsonschema.validate(body, WEBHOOK_SCHEMA)
    note_id = opened.notifications[0].id
    assert _ids([queued]) == [note_id] and body["notification_id"] == note_id
    assert chat["metadata"]["additionalContext"]["notification_id"] == note_id
    assert hook_envelope["Subject"].startswith("ALARM: CRITICAL")
    assert body["failing_models"] == ["claude-haiku-5-5"] and body["severity"] == "critical"
    # And the outbox is empty: both went out
    assert _state_item(aws)["outbox"]["M"] == {}
    # And the key never travels
    assert config.api_key not in json.dumps([queued, chat_envelope, hook_envelope])


@pytest.mark.parametrize("failing", ["monitor-webhooks", "monitor-alerts"])
def test_given_one_topic_fails_then_the_retry_sends_only_the_other_half_once(
    sim, aws, wired, failing
):
    config, chat_inbox, hook_inbox, _ = wired
    sim.set("overloaded")
    build_cycle(config).record(_probe(config, 0), now_wall=1000)
    # Given the publish to one topic fails (SNS InternalError), the other succeeds
    aws.proxy.faults["sns"] = "error"
    aws.proxy.fault_filter = failing.encode()
    hurt = _probe(config, 1)
    build_cycle(config).record(hurt, now_wall=1060)
    aws.proxy.clear()
    assert any("publish failed" in e for e in hurt.errors)
    first_queue, first_hooks = aws.messages(), list(hook_inbox)
    assert len(first_queue) + len(first_hooks) == 1
    # Then the entry stays, marked with the destination it reached
    [entry] = _state_item(aws)["outbox"]["M"].values()
    reached = "alert" if failing == "monitor-webhooks" else "webhook"
    assert json.loads(entry["S"])["done"] == [reached]
    # When a later cycle takes it over after the lease
    later = _probe(config, 2)
    build_cycle(config).record(later, now_wall=1060 + config.outbox_lease_s)
    # Then only the missing half goes out, under the same id, and the entry is cleared
    again_queue, again_hooks = aws.messages(), hook_inbox[len(first_hooks) :]
    assert len(again_queue) + len(again_hooks) == 1
    sent = _ids(first_queue + again_queue)
    bodies = [json.loads(e["Message"])["notification_id"] for e in first_hooks + again_hooks]
    assert len(sent) == 1 and bodies == sent
    assert _state_item(aws)["outbox"]["M"] == {}
    # And nothing more afterwards
    build_cycle(config).record(_probe(config, 3), now_wall=5000)
    assert aws.messages() == [] and len(hook_inbox) == 1 and len(chat_inbox) == 1


def _probe(config, minute):
    import asyncio

    from functions.monitor.probe import probe

    return asyncio.run(probe(config, config.api_key, at(minute)))


def test_given_quiet_hours_then_a_warning_waits_and_one_digest_reaches_every_receiver(
    sim, aws, wired
):
    config, chat_inbox, hook_inbox, _ = wired
    config = replace(config, quiet_hours=parse_quiet("16-17"))
    sim.set("rate_limited")
    cycle = build_cycle(config)
    # When a warning opens at 16:01, inside quiet hours
    results = [cycle.run(config.api_key, at(m)) for m in (0, 1, 2)]
    # Then its transition is stored but nothing is sent; check shows it held
    assert [t.to for t in results[1].transitions if t.target == "overall"] == ["rate_limited"]
    assert aws.messages() == [] and hook_inbox == [] and chat_inbox == []
    assert results[2].to_dict()["quiet"] is True and results[2].to_dict()["held"] == 1
    # When the hours end
    end = cycle.run(config.api_key, at(60))
    # Then one digest reaches the queue, Amazon Q and the webhook
    [queued] = aws.messages()
    assert queued["Subject"].startswith("DIGEST: 1 held")
    assert json.loads(hook_inbox[0]["Message"])["kind"] == "digest"
    jsonschema.validate(json.loads(chat_inbox[0]["Message"]), CHAT_SCHEMA)
    assert end.held == 0 and not end.quiet
    cycle.run(config.api_key, at(61))
    assert aws.messages() == []


def test_given_a_mute_in_the_table_then_an_outage_waits_for_its_end_and_is_told_once(
    sim, aws, wired
):
    config, chat_inbox, hook_inbox, _ = wired
    # Given a mute written to the table (the AWS form of `mute`), 15:59 for 30 minutes
    assert run_mute(config, "30m", "key rotation", False, now=at(-1)) == 0
    sim.set("overloaded")
    cycle = build_cycle(config)
    # When an outage opens inside it
    results = [cycle.run(config.api_key, at(m)) for m in (0, 1, 2)]
    # Then nothing goes out, the transition is stored, and check says why
    assert aws.messages() == [] and hook_inbox == []
    assert [t.to for t in results[1].transitions if t.target == "overall"] == ["unconfirmed_outage"]
    shown = results[2].to_dict()
    assert shown["muted_until"] == "2026-11-25T16:29:00Z" and shown["held"] == 1
    # When the mute ends with the outage still on
    cycle.run(config.api_key, at(29))
    # Then one digest, critical, reaches the queue and the webhook
    [queued] = aws.messages()
    assert queued["Subject"].startswith("DIGEST: 1 held")
    assert queued["MessageAttributes"]["severity"]["Value"] == "critical"
    body = json.loads(hook_inbox[0]["Message"])
    assert body["kind"] == "digest" and body["NewStateValue"] == "ALARM"


def test_mute_from_the_command_line_against_the_table_then_check_shows_it(sim, tmp_path, aws):
    env = cli_env(sim, tmp_path, aws, TABLE_NAME=aws.table, TOPIC_ARN=aws.topic_arn)
    sim.set("healthy")
    muted = run_cli("mute", "--for", "2h", "--reason", "key rotation", "--json", env=env)
    assert muted.code == 0, muted.stderr
    assert json.loads(muted.stdout)["mutes"][0]["reason"] == "key rotation"
    check = run_cli("check", "--json", env=env)
    shown = json.loads(check.stdout)
    assert shown["muted_until"] and shown["mute_reason"] == "key rotation"
    table = run_cli("check", env=env)
    assert "muted until" in table.stdout
    off = run_cli("mute", "--off", env=env)
    assert off.code == 0 and "unmuted" in off.stdout
    assert json.loads(run_cli("check", "--json", env=env).stdout)["muted_until"] is None
    assert run_cli("mute", "--for", "2h", env=env).code == 64  # no reason
    assert run_cli("mute", "--for", "soon", "--reason", "x", env=env).code == 64


def test_mute_retries_once_when_a_cycle_commits_in_between(sim, aws, wired, monkeypatch):
    config, *_ = wired
    sim.set("healthy")
    build_cycle(config).run(config.api_key, at(0))
    # Given the table answers the first conditional write with a conflict
    from functions.monitor.keep.dynamo import DynamoStore

    calls = {"n": 0}
    original = DynamoStore.write_state

    def racing(self, state, version):
        calls["n"] += 1
        if calls["n"] == 1:  # a cycle commits between our read and our write
            build_cycle(config).run(config.api_key, at(1))
        return original(self, state, version)

    monkeypatch.setattr(DynamoStore, "write_state", racing)
    assert run_mute(config, "1h", "work", False, now=at(1)) == 0
    # Then the mute landed on the newer state, whose cycle is kept
    state = json.loads(_state_item(aws)["state"]["S"])
    assert state["quiet"]["mutes"][0]["reason"] == "work"
    assert state["last_cycle_at"] == "2026-11-25T16:01:00Z" and calls["n"] == 2


def test_history_marks_the_muted_span(sim, aws, wired, tmp_path):
    config, *_ = wired
    assert run_mute(config, "2m", "work", False, now=at(0)) == 0
    sim.set("healthy")
    cycle = build_cycle(config)
    for minute in range(4):
        cycle.run(config.api_key, at(minute) + timedelta(seconds=1))
    env = cli_env(sim, tmp_path, aws, TABLE_NAME=aws.table)
    shown = run_cli("history", "--since", "3000d", "--json", env=env)
    data = json.loads(shown.stdout)
    assert [(s["from"], s["to"]) for s in data["muted"]] == [
        ("2026-11-25T16:00:01Z", "2026-11-25T16:01:01Z")
    ]
    text = run_cli("history", "--since", "3000d", env=env).stdout
    assert "Muted: 2026-11-25T16:00:01Z .. 2026-11-25T16:01:01Z" in text


def test_given_a_mute_written_while_a_cycle_runs_then_the_cycle_honours_it(sim, aws, wired):
    import asyncio

    from functions.monitor.probe import probe

    config, _, hook_inbox, _ = wired
    sim.set("overloaded")
    cycle = build_cycle(config)
    cycle.run(config.api_key, at(0))
    # Given a cycle that read the state and is probing when the mute is written
    read = cycle.store.load()
    result = asyncio.run(probe(config, config.api_key, at(1)))
    assert run_mute(config, "30m", "key rotation", False, now=at(0.5)) == 0
    # When it commits the alert its first read would have sent
    cycle.record(result, stored=read)
    # Then its commit found the state moved, re-planned on the mute, and sent nothing
    assert [t.to for t in result.transitions if t.target == "overall"] == ["unconfirmed_outage"]
    assert result.notifications == [] and aws.messages() == [] and hook_inbox == []
    assert result.muted_until == "2026-11-25T16:30:30Z" and result.held == 1
    # And the mute is still in the table, beside the alert state the cycle wrote
    state = json.loads(_state_item(aws)["state"]["S"])
    assert state["quiet"]["mutes"][0]["reason"] == "key rotation"
    assert state["targets"]["overall"]["alerting"] is True


def test_steady_cycles_while_muted_in_quiet_hours_with_reminders_make_two_dynamodb_requests(
    sim, tmp_path, aws
):
    from tests.integration.test_aws import config_for

    # Given quiet hours, reminders, a mute, and an outage held (muted) from 16:01
    hooks = aws.client("sns").create_topic(Name="monitor-webhooks")["TopicArn"]
    config = config_for(
        sim, tmp_path, aws, QUIET_HOURS="16-18", REMINDER_MINUTES="5", WEBHOOK_TOPIC_ARN=hooks
    )
    assert run_mute(config, "1h", "key rotation", False, now=at(-1)) == 0
    sim.set("overloaded")
    cycle = build_cycle(config)
    for minute in range(3):
        cycle.run(config.api_key, at(minute))
    # When steady cycles follow, reminders due all along
    for minute in range(10, 13):
        aws.proxy.calls.clear()
        steady = cycle.run(config.api_key, at(minute))
        # Then each makes two DynamoDB requests and publishes nothing
        services = [service for service, _ in aws.proxy.calls]
        assert services.count("dynamodb") == 2 and "sns" not in services, services
        assert steady.held == 1 and steady.notifications == []
