"""AWS answering too late or not at all, and what the cycle then sends and stores.

The fault proxy forwards a "slow" request to moto (which does the work: SNS
delivers, DynamoDB writes) and answers after the client's read timeout; a "hang"
request is never answered. Deliveries are counted in the SQS queue subscribed to
the topic (issue 10 #2, #9, #14).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from functions.monitor.decide.verdict import decide
from functions.monitor.models import Incident
from functions.monitor.probe import probe
from functions.monitor.wiring import build_cycle
from tests.integration.test_aws import checked, config_for, items

T0 = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def ids(messages):
    return [m["MessageAttributes"]["notification_id"]["Value"] for m in messages]


def test_given_sns_answers_after_the_timeout_then_one_copy_per_cycle_and_the_resend_keeps_its_id(
    sim, tmp_path, aws
):
    # Given an alert about to open, and SNS that accepts but answers too late
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    build_cycle(config).record(checked(config, 0), now_wall=1000)
    aws.proxy.faults["sns"] = "slow"
    aws.proxy.slow_s = config.aws_timeouts_s[1] + 1.5
    # When the cycle publishes
    slow = checked(config, 1)
    build_cycle(config).record(slow, now_wall=1060)
    # Then SNS got exactly one request (no botocore retry) and the entry stays pending
    assert aws.proxy.hits["sns"] == 1
    assert not slow.notifications and any("SNS publish failed" in e for e in slow.errors)
    aws.proxy.clear()
    delivered = aws.messages()
    assert len(delivered) == 1
    # When a later cycle takes the entry over after its lease
    later = checked(config, 2)
    build_cycle(config).record(later, now_wall=1060 + config.outbox_lease_s)
    # Then the re-send is the same notification, under the same id
    again = aws.messages()
    assert len(again) == 1 and ids(again) == ids(delivered)
    assert again[0]["Subject"] == delivered[0]["Subject"]
    assert again[0]["MessageAttributes"]["severity"]["Value"] == "critical"
    # And nothing more goes out afterwards
    build_cycle(config).record(checked(config, 3), now_wall=2000 + config.outbox_lease_s)
    assert aws.messages() == []


def test_given_the_commit_answer_is_lost_then_it_is_not_read_as_a_duplicate_and_sends_once(
    sim, tmp_path, aws
):
    # Given a transition cycle whose TransactWriteItems lands but answers too late
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    cycle = build_cycle(config)
    cycle.run(config.api_key, T0)
    aws.proxy.faults["dynamodb"] = "slow"
    aws.proxy.fault_filter = b"TransactItems"
    aws.proxy.slow_s = config.aws_timeouts_s[1] + 1.5
    hurt = cycle.run(config.api_key, T0 + timedelta(minutes=1))
    aws.proxy.clear()
    # Then the cycle proved its own write landed: not a duplicate, not a conflict
    assert not [e for e in hurt.errors if "duplicate" in e or "not stored" in e], hurt.errors
    assert [t.to for t in hurt.transitions if t.target == "overall"] == ["unconfirmed_outage"]
    assert len(hurt.notifications) == 1
    assert len(aws.messages()) == 1
    # And the next cycles neither repeat it nor stumble
    for minute in (2, 3):
        steady = cycle.run(config.api_key, T0 + timedelta(minutes=minute))
        assert not steady.errors and not steady.notifications
    assert aws.messages() == []
    assert len(items(aws, "CYCLE")) == 4


def test_given_a_dynamodb_outage_of_30_cycles_with_5_models_then_no_result_is_lost(
    sim, tmp_path, aws
):
    # Given 5 models and a table that cannot be reached for 30 cycles
    models = ",".join(f"claude-m{i}" for i in range(5))
    config = config_for(sim, tmp_path, aws, CANARY_MODELS=models)
    sim.set("healthy")
    template = asyncio.run(probe(config, config.api_key, T0))
    cycle = build_cycle(config)

    def result(minute):
        moment = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return replace(template, checked_at=moment, cycle_id=moment, errors=[], transitions=[])

    aws.proxy.faults["dynamodb"] = "down"
    for minute in range(30):
        cycle.record(result(minute))
    aws.proxy.clear()
    # When the table is back, a few cycles run (each commit takes what fits in 100 items)
    for minute in range(30, 34):
        healed = result(minute)
        cycle.record(healed)
        assert not healed.errors, healed.errors
    # Then every cycle and every canary result is stored
    assert len(items(aws, "CYCLE")) == 34
    for i in range(5):
        assert len(items(aws, f"CANARY#claude-m{i}")) == 34
    assert cycle.backlog == []


@pytest.mark.parametrize(("fault", "models"), [("throttle", 5), ("down", 12)])
def test_given_dynamodb_denies_every_request_for_30_cycles_then_every_result_is_kept(
    sim, tmp_path, aws, fault, models
):
    # Given many models and a table that denies every request for 30 cycles (issue 18:
    # 33 of 35 cycle records were stored)
    names = ",".join(f"claude-m{i}" for i in range(models))
    config = config_for(sim, tmp_path, aws, CANARY_MODELS=names)
    sim.set("healthy")
    template = asyncio.run(probe(config, config.api_key, T0))
    cycle = build_cycle(config)

    def result(minute):
        moment = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return replace(template, checked_at=moment, cycle_id=moment, errors=[], transitions=[])

    aws.proxy.faults["dynamodb"] = fault
    for minute in range(30):
        cycle.record(result(minute))
    aws.proxy.clear()
    # When the table is back (a few cycles: each writes what its deadline allows, and
    # the moto server, slower than DynamoDB, may time a write out)
    for minute in range(30, 40):
        cycle.record(result(minute))
        if minute >= 34 and not cycle.backlog:
            break
    # Then every cycle record and every canary result is stored, and nothing waits
    assert cycle.backlog == []
    assert len(items(aws, "CYCLE")) == minute + 1
    for i in range(models):
        assert len(items(aws, f"CANARY#claude-m{i}")) == minute + 1


def test_given_150_long_incidents_then_the_message_fits_sns_and_is_delivered(sim, tmp_path, aws):
    # Given an outage announced with 150 open incidents with long names
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    cycle = build_cycle(config)
    incidents = [
        Incident(
            f"i{i}",
            f"Incident {i} " + "elevated errors " * 120,
            "investigating",
            "major",
            f"https://stspg.io/{i}",
            ["Claude API (api.anthropic.com)"],
            None,
        )
        for i in range(150)
    ]

    def crowded(minute):
        result = checked(config, minute)
        result.status_page.incidents = incidents
        result.verdict = decide(result.status_page, result.canaries)
        return result

    cycle.record(crowded(0), now_wall=1000)
    sent = crowded(1)
    cycle.record(sent, now_wall=1060)
    # Then it is published (not refused as too long), and says what was left out
    assert not sent.errors, sent.errors
    [message] = aws.messages()
    assert "more incidents" in message["Message"] and "Incident 0 " in message["Message"]


def test_given_a_crash_after_sns_accepted_but_before_the_clear_then_the_resend_has_the_same_id(
    sim, tmp_path, aws
):
    # Given a container that publishes and then dies before clearing the outbox
    # (the clear never reaches DynamoDB; the container is never seen again)
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    build_cycle(config).record(checked(config, 0), now_wall=1000)
    aws.proxy.faults["dynamodb"] = "down"
    aws.proxy.fault_filter = b"REMOVE outbox"
    build_cycle(config).record(checked(config, 1), now_wall=1060)
    aws.proxy.clear()
    first = aws.messages()
    # When another container takes the entry over after its lease
    sim.set("healthy")
    later = checked(config, 2)
    build_cycle(config).record(later, now_wall=1060 + config.outbox_lease_s)
    # Then the duplicate carries the first one's id, subject and severity, so a
    # subscriber can drop it; and it is not turned into an "operational" message
    again = aws.messages()
    assert len(first) == len(again) == 1 and ids(again) == ids(first)
    assert again[0]["Subject"] == first[0]["Subject"]
    assert again[0]["MessageAttributes"]["severity"]["Value"] == "critical"


def test_a_transition_cycle_makes_at_most_three_dynamodb_requests_and_one_sns(sim, tmp_path, aws):
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    cycle = build_cycle(config)
    cycle.run(config.api_key, T0)
    aws.proxy.calls.clear()
    moved = cycle.run(config.api_key, T0 + timedelta(minutes=1))
    assert moved.notifications
    services = [service for service, _ in aws.proxy.calls]
    assert services.count("dynamodb") <= 3 and services.count("sns") == 1


def test_given_two_containers_race_to_take_over_a_stale_entry_then_it_is_sent_once(
    sim, tmp_path, aws
):
    import threading

    from tests.integration.test_aws import _Barrier

    # Given a committed alert whose publish failed
    config = config_for(sim, tmp_path, aws)
    sim.set("overloaded")
    build_cycle(config).record(checked(config, 0), now_wall=1000)
    aws.proxy.faults["sns"] = "error"
    build_cycle(config).record(checked(config, 1), now_wall=1060)
    aws.proxy.clear()
    # When two containers, after the lease, read the same state and both want it
    barrier = threading.Barrier(2)
    results = []

    def take_over(minute):
        cycle = build_cycle(config)
        cycle.store = _Barrier(cycle.store, barrier)
        result = checked(config, minute)
        cycle.record(result, now_wall=1060 + config.outbox_lease_s)
        results.append(result)

    threads = [threading.Thread(target=take_over, args=(m,)) for m in (2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # Then it goes out once, as committed
    [message] = aws.messages()
    assert sum(len(r.notifications) for r in results) == 1
    assert message["MessageAttributes"]["severity"]["Value"] == "critical"
