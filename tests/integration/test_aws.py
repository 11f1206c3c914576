"""The cycle against DynamoDB and SNS, played by a moto server over HTTP.

Exactly-once (duplicate delivery, racing cycles, a crash before or after the
publish) and faults (throttling, an unreachable table, SNS errors) are shown here.
"""

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from functions.monitor.config import load_config
from functions.monitor.probe import probe
from functions.monitor.wiring import build_cycle
from tests.conftest import SECRET, run_cli, sim_env

T0 = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def config_for(sim, tmp_path, aws, **extra):
    env = sim_env(
        sim,
        tmp_path,
        TABLE_NAME=aws.table,
        TOPIC_ARN=aws.topic_arn,
        AWS_REGION="us-east-1",
        **extra,
    )
    return load_config(env)


def cli_env(sim, tmp_path, aws, **extra):
    """Environment for the command line in a subprocess, reaching moto through the proxy."""
    return sim_env(
        sim,
        tmp_path,
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=aws.proxy.url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        **extra,
    )


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def checked(config, minute):
    return asyncio.run(probe(config, config.api_key, at(minute)))


def items(aws, pk, since="2026-11-25T00:00:00Z"):
    ddb = aws.client("dynamodb")
    return ddb.query(
        TableName=aws.table,
        KeyConditionExpression="pk = :p AND sk >= :s",
        ExpressionAttributeValues={":p": {"S": pk}, ":s": {"S": since}},
    )["Items"]


def test_given_cycles_then_results_land_and_the_readme_queries_answer(sim, tmp_path, aws):
    sim.set("healthy")
    config = config_for(sim, tmp_path, aws)
    cycle = build_cycle(config)
    for minute in range(3):
        cycle.run(config.api_key, at(minute))
    rows = items(aws, "CANARY#claude-haiku-5-5", "2026-11-25T16:01:00Z")
    assert [r["sk"]["S"] for r in rows] == ["2026-11-25T16:01:00Z", "2026-11-25T16:02:00Z"]
    row = rows[0]
    assert row["outcome"]["S"] == "ok" and row["http_status"]["N"] == "200"
    assert row["request_id"]["S"].startswith("req_sim")
    assert {"ttft_ms", "latency_ms", "expires_at", "verdict"} <= set(row)
    expiry = int(row["expires_at"]["N"]) - int(at(1).timestamp())
    assert expiry == 90 * 86400
    cycles = items(aws, "CYCLE")
    assert len(cycles) == 3 and cycles[0]["api_status"]["S"] == "operational"
    state = aws.client("dynamodb").get_item(
        TableName=aws.table, Key={"pk": {"S": "STATE"}, "sk": {"S": "STATE"}}
    )["Item"]
    assert "expires_at" not in state  # alert state never expires
    assert SECRET not in str(cycles) + str(rows) + str(state)


def test_given_a_wrong_answer_then_the_canary_item_keeps_expected_and_got(sim, tmp_path, aws):
    # Given an API whose streams are fine but whose answer is in the wrong script
    sim.set("garbled")
    config = config_for(sim, tmp_path, aws)
    # When one cycle runs against DynamoDB
    build_cycle(config).run(config.api_key, at(0))
    # Then the canary item and the cycle's record say what was expected and what came
    [row] = items(aws, "CANARY#claude-haiku-5-5")
    assert row["outcome"]["S"] == "wrong_answer"
    assert (row["answer_check"]["S"], row["answer_expected"]["S"]) == ("wrong", "OK")
    assert row["answer_got"]["S"] == "好的"
    [cycle] = items(aws, "CYCLE")
    [canary] = json.loads(cycle["record"]["S"])["canaries"]
    assert (canary["answer_check"], canary["answer_got"]) == ("wrong", "好的")


def test_given_an_outage_then_one_sns_message_per_change_with_filterable_attributes(
    sim, tmp_path, aws
):
    config = config_for(sim, tmp_path, aws)
    cycle = build_cycle(config)
    sim.set("outage")
    first = cycle.run(config.api_key, at(0))
    second = cycle.run(config.api_key, at(1))
    third = cycle.run(config.api_key, at(2))
    assert first.notifications == [] and third.notifications == []
    assert [t.to_dict() for t in second.transitions if t.target == "overall"] == [
        {"target": "overall", "from": "operational", "to": "outage"}
    ]
    [message] = aws.messages()
    assert message["Subject"] == second.notifications[0].subject
    assert len(message["Subject"]) <= 100
    attributes = {k: v["Value"] for k, v in message["MessageAttributes"].items()}
    assert attributes["severity"] == "critical" and attributes["verdict"] == "outage"
    assert "https://stspg.io/sim0001" in message["Message"]  # the email/default body
    transitions = items(aws, "TRANSITION")
    assert {t["target"]["S"] for t in transitions} >= {"overall", "canary:claude-haiku-5-5"}
    sim.set("healthy")
    cycle.run(config.api_key, at(3))
    recovered = cycle.run(config.api_key, at(4))
    assert recovered.notifications and recovered.notifications[0].subject.startswith("RESOLVED")
    assert len(aws.messages()) == 1


def test_given_a_duplicate_scheduled_event_then_nothing_more_is_sent(sim, tmp_path, aws):
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    cycle = build_cycle(config)
    cycle.run(config.api_key, at(0))
    sent = cycle.run(config.api_key, at(1))
    again = build_cycle(config).run(config.api_key, at(1))  # same scheduled time, new container
    assert sent.notifications and not again.notifications and not again.transitions
    assert any("duplicate" in e for e in again.errors)
    assert len(aws.messages()) == 1
    assert len(items(aws, "CYCLE")) == 2


class _Barrier:
    """Wraps the real store so two cycles read the same state before either writes.

    Their commits then reach the table one after the other: DynamoDB isolates
    concurrent transactions from each other (serializable), but the moto server checks
    and applies them in request threads without a lock, so two commits landing in the
    same millisecond could both pass their conditions there, a race real DynamoDB does
    not have. The race under test (both plan on the same version) is untouched."""

    _commits = threading.Lock()

    def __init__(self, store, barrier):
        self.store, self.barrier, self.first = store, barrier, True

    def commit(self, *args, **kwargs):
        with self._commits:
            return self.store.commit(*args, **kwargs)

    def load(self):
        stored = self.store.load()
        if self.first:
            self.first = False
            self.barrier.wait(timeout=10)
        return stored

    def __getattr__(self, name):
        return getattr(self.store, name)


@pytest.mark.parametrize("same_time", [True, False])
def test_given_two_racing_cycles_then_only_one_notification(sim, tmp_path, aws, same_time):
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    build_cycle(config).run(config.api_key, at(0))  # one bad cycle: the next one alerts
    barrier = threading.Barrier(2)
    results = []

    def race(minute):
        cycle = build_cycle(config)
        cycle.store = _Barrier(cycle.store, barrier)
        results.append(cycle.run(config.api_key, at(minute)))

    threads = [threading.Thread(target=race, args=(1 if same_time else m,)) for m in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sum(len(r.notifications) for r in results) == 1
    assert sum(1 for r in results for t in r.transitions if t.target == "overall") == 1
    assert len(aws.messages()) == 1


# "html": a proxy answering 200 with its own page, which botocore cannot parse (it
# raises a ResponseParserError or a KeyError, no BotoCoreError): kept, not a crash.
@pytest.mark.parametrize("fault", ["error", "html"])
def test_given_sns_fails_then_the_transition_is_sent_once_by_a_later_cycle(
    sim, tmp_path, aws, fault
):
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    cycle = build_cycle(config)
    cycle.record(checked(config, 0), now_wall=1000)
    aws.proxy.faults["sns"] = fault
    failed = checked(config, 1)
    cycle.record(failed, now_wall=1060)
    assert failed.transitions and not failed.notifications
    assert any("SNS publish failed" in e for e in failed.errors)
    assert aws.messages() == []
    aws.proxy.clear()
    later = checked(config, 2)
    build_cycle(config).record(later, now_wall=1120)  # a new container takes over
    assert len(later.notifications) == 1
    [message] = aws.messages()
    assert "overall: operational -> unconfirmed_outage" in message["Message"]
    quiet = checked(config, 3)
    build_cycle(config).record(quiet, now_wall=1180)
    assert aws.messages() == [] and not quiet.notifications


def test_given_a_crash_between_commit_and_publish_then_a_later_cycle_sends_it(sim, tmp_path, aws):
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    build_cycle(config).record(checked(config, 0), now_wall=1000)
    aws.proxy.faults["sns"] = "down"  # the connection dies mid-publish, as in a crash
    build_cycle(config).record(checked(config, 1), now_wall=1060)
    aws.proxy.clear()
    within_lease = checked(config, 2)
    build_cycle(config).record(within_lease, now_wall=1061)  # the owner may still be sending
    assert not within_lease.notifications
    after_lease = checked(config, 3)
    build_cycle(config).record(after_lease, now_wall=1060 + config.outbox_lease_s)
    assert len(after_lease.notifications) == 1
    assert len(aws.messages()) == 1


def test_given_the_outbox_clear_fails_then_the_same_container_does_not_resend(sim, tmp_path, aws):
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    cycle = build_cycle(config)
    cycle.record(checked(config, 0), now_wall=1000)
    aws.proxy.faults["dynamodb"] = "throttle"
    aws.proxy.fault_filter = b"REMOVE outbox"
    sent = checked(config, 1)
    cycle.record(sent, now_wall=1060)
    assert len(sent.notifications) == 1 and any("may be sent once more" in e for e in sent.errors)
    aws.proxy.clear()
    later = checked(config, 2)
    cycle.record(later, now_wall=1200)
    assert not later.notifications
    assert len(aws.messages()) == 1


@pytest.mark.parametrize("fault", ["throttle", "down"])
def test_given_dynamodb_fails_then_the_cycle_survives_and_catches_up(sim, tmp_path, aws, fault):
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    cycle = build_cycle(config)
    cycle.run(config.api_key, at(0))
    aws.proxy.faults["dynamodb"] = fault
    hurt = cycle.run(config.api_key, at(1))
    assert hurt.verdict.verdict == "unconfirmed_outage"  # the result is still whole
    assert not hurt.transitions and not hurt.notifications
    assert any("DynamoDB" in e for e in hurt.errors)
    assert aws.messages() == []
    aws.proxy.clear()
    healed = cycle.run(config.api_key, at(2))
    assert [t.to for t in healed.transitions if t.target == "overall"] == ["unconfirmed_outage"]
    assert len(aws.messages()) == 1
    # The cycle the store missed was written with the next commit: no lost data.
    assert [c["sk"]["S"] for c in items(aws, "CYCLE")] == [
        "2026-11-25T16:00:00Z",
        "2026-11-25T16:01:00Z",
        "2026-11-25T16:02:00Z",
    ]


def test_a_steady_cycle_makes_two_dynamodb_requests_and_no_sns_or_cloudwatch(sim, tmp_path, aws):
    config = config_for(sim, tmp_path, aws)
    sim.set("healthy")
    cycle = build_cycle(config)
    cycle.run(config.api_key, at(0))
    aws.proxy.calls.clear()
    cycle.run(config.api_key, at(1))
    services = [service for service, _ in aws.proxy.calls]
    assert services.count("dynamodb") == 2
    assert "sns" not in services and "other" not in services


def test_check_and_history_from_the_command_line_use_dynamodb(sim, tmp_path, aws):
    sim.set("healthy")
    env = cli_env(sim, tmp_path, aws, TABLE_NAME=aws.table, TOPIC_ARN=aws.topic_arn)
    run = run_cli("check", "--json", env=env)
    assert run.code == 0, run.stderr
    history = run_cli("history", "--since", "1h", "--json", env=env)
    assert history.code == 0, history.stderr
    assert history.json["cycles"] == 1
    assert history.json["availability"]["overall"] == 100.0
    assert not (tmp_path / "state.sqlite3").exists()  # nothing went to the local store


def test_locally_the_key_can_come_from_ssm_too(sim, tmp_path, aws):
    sim.set("healthy")
    env = cli_env(sim, tmp_path, aws, ANTHROPIC_API_KEY="", ANTHROPIC_API_KEY_PARAMETER="/mon/key")
    missing = run_cli("check", "--json", env=env)
    assert missing.code == 3 and missing.stdout == ""
    assert missing.stderr.count("\n") == 1 and "/mon/key" in missing.stderr
    aws.client("ssm").put_parameter(Name="/mon/key", Value=SECRET, Type="SecureString")
    found = run_cli("check", "--json", env=env)
    assert found.code == 0 and found.json["canaries"][0]["outcome"] == "ok"
    assert SECRET not in found.stdout + found.stderr


@pytest.mark.parametrize(
    "state",
    [
        {"state": {"S": "][ not json"}},
        {"state": {"S": '{"targets": null}'}},
        {"state": {"S": '{"targets": {"overall": {"alerting": true}}}'}},
        {"state": {"S": '{"targets": {"overall": {"reported": "x", "v9": 1}}}'}},
        {"state": {"N": "5"}},
        {"outbox": {"M": {"n-x": {"S": '{"id": "n-x", "created_wall": 0, "v9": {}}'}}}},
        {"outbox": {"M": {"n-y": {"S": "{{"}}}},
        {"outbox": {"S": "newer shape"}},
        {"version": {"S": "4"}},
        {"version": None},
    ],
)
def test_given_odd_stored_state_then_dynamodb_cycles_still_store_and_plan(
    sim, tmp_path, aws, state, caplog
):
    # Given a state item a newer (or broken) writer left behind
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    item = {"pk": {"S": "STATE"}, "sk": {"S": "STATE"}, "version": {"N": "4"}, **state}
    item = {k: v for k, v in item.items() if v is not None}
    aws.client("dynamodb").put_item(TableName=aws.table, Item=item)
    # When two cycles run
    cycle = build_cycle(config)
    first = cycle.run(config.api_key, at(0))
    second = cycle.run(config.api_key, at(1))
    # Then both are stored, nothing raised, and the alert machinery keeps working
    assert not [e for e in first.errors + second.errors if "DynamoDB" in e]
    assert len(items(aws, "CYCLE")) == 2
    assert (
        second.transitions
        or first.transitions
        or any(m["MessageAttributes"]["notification_id"]["Value"] == "n-x" for m in aws.messages())
    )
