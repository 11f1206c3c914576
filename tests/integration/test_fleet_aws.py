"""Three regions, one voice, through moto (one server serves every Region).

Each region's cycle runs as in Lambda (its own clients, its own configuration); the
other regions write their view to the home table, the home reads them, votes, and is
the only one to commit and publish. Every case is also run with duplicate and
concurrent deliveries: the subscriber still gets one message per event, and each
item is stored once.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from functions.monitor.config import load_config
from functions.monitor.wiring import build_cycle
from functions.simulator.regions import PATH_FAILS, RegionalSimulators
from tests.conftest import SECRET, sim_env

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
HOME, OTHERS = REGIONS[0], REGIONS[1:]
T0 = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sims():
    fleet = RegionalSimulators(REGIONS).start()
    yield fleet
    fleet.stop()


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def fleet_cycles(sims, tmp_path, aws, **extra):
    """One cycle per region, each built from the environment its stack would give it."""
    cycles = {}
    for region in REGIONS:
        own = (
            {"TABLE_NAME": aws.table, "TOPIC_ARN": aws.topic_arn}
            if region == HOME
            else {"HOME_TABLE_NAME": aws.table}
        )
        env = sim_env(
            sims.sims[region],
            tmp_path / region,
            AWS_REGION=region,
            FLEET_REGIONS=",".join(REGIONS),
            HOME_REGION=HOME,
            MONITOR_REGION=region,
            **{"REGION_WAIT_SECONDS": "1", **own, **extra},
        )
        cycles[region] = build_cycle(load_config(env))
    return cycles


def minute(cycles, n, *, regions=REGIONS, twice=True):
    """Every region named runs minute `n` (the home last), each delivered twice."""
    results = {}
    for region in [r for r in regions if r != HOME] + [r for r in regions if r == HOME]:
        for _ in range(2 if twice else 1):
            results.setdefault(region, []).append(cycles[region].run(SECRET, at(n)))
    return results


def items(aws, pk):
    return aws.client("dynamodb").query(
        TableName=aws.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": pk}},
    )["Items"]


def attributes(message):
    return {k: v["Value"] for k, v in message["MessageAttributes"].items()}


def test_given_one_region_failing_alone_then_one_warning_naming_it_and_items_stored_once(
    sims, tmp_path, aws
):
    # Given eu-west-1's path to the API fails while the others pass
    sims.play("healthy", eu_west_1=PATH_FAILS)
    cycles = fleet_cycles(sims, tmp_path, aws)
    # When three minutes run, every region delivered twice
    for n in range(3):
        last = minute(cycles, n)
    # Then the subscriber gets one warning that names the regions, from the home only
    [message] = aws.messages()
    assert attributes(message)["severity"] == "warning"
    assert attributes(message)["verdict"] == "network_error"
    assert message["Subject"].startswith("WARNING: eu-west-1 cannot reach the API")
    assert "eu-west-1 cannot reach the API; us-east-1 and ap-southeast-2 can" in message["Message"]
    home = last[HOME][0]
    assert home.verdict.severity == "warning" and home.exit_code == 1
    assert [r["region"] for r in home.regions] == list(REGIONS)
    # And each item is stored once: a cycle per minute, a regional item per region
    assert len(items(aws, "CYCLE")) == 3
    for region in OTHERS:
        assert [i["sk"]["S"] for i in items(aws, f"REGION#{region}")] == [
            "2026-11-25T16:00",
            "2026-11-25T16:01",
            "2026-11-25T16:02",
        ]
    assert items(aws, f"REGION#{HOME}") == []  # the home keeps its view in its record
    # And the other regions published nothing and stored no state of their own
    for region in OTHERS:
        assert all(not r.notifications for r in last[region])
        assert "duplicate delivery" in last[region][1].errors[-1]


def test_given_every_region_failing_then_one_critical_outage_as_a_single_region_says(
    sims, tmp_path, aws
):
    sims.play("outage")
    cycles = fleet_cycles(sims, tmp_path, aws)
    for n in range(3):
        last = minute(cycles, n)
    [message] = aws.messages()
    assert attributes(message)["severity"] == "critical"
    assert attributes(message)["verdict"] == "outage"
    assert "seen from 3 of 3 regions" in last[HOME][0].verdict.summary
    # When they all pass again, one RESOLVED
    sims.play("healthy")
    for n in range(3, 6):
        minute(cycles, n)
    [resolved] = aws.messages()
    assert resolved["Subject"].startswith("RESOLVED")


def test_given_the_home_silent_then_nobody_publishes(sims, tmp_path, aws):
    # Given the home region does not run (it is down), when the others run with a
    # platform outage, then nothing is published: only the home notifies, and its
    # heartbeat alarm is what tells (infra/observability.py)
    sims.play("outage")
    cycles = fleet_cycles(sims, tmp_path, aws)
    for n in range(4):
        minute(cycles, n, regions=OTHERS)
    assert aws.messages() == []
    assert items(aws, "CYCLE") == [] and len(items(aws, "REGION#eu-west-1")) == 4


def test_given_a_region_silent_for_the_threshold_then_one_message_names_it_not_claude(
    sims, tmp_path, aws
):
    sims.play("healthy")
    cycles = fleet_cycles(sims, tmp_path, aws)
    minute(cycles, 0)
    # When ap-southeast-2 stops reporting after 16:00
    for n in range(1, 5):
        last = minute(cycles, n, regions=("us-east-1", "eu-west-1"))
    [message] = aws.messages()
    assert message["Subject"].startswith(
        "WARNING: ap-southeast-2 has not reported since 16:00 UTC (the monitor, not Claude)"
    )
    # And it is a warning of its own, never the healthy API's "ok"
    assert attributes(message)["severity"] == "warning"
    home = last[HOME][0]
    assert home.verdict.verdict == "operational"  # not counted, not an outage
    assert "ap-southeast-2 did not report this minute" in home.verdict.summary
    # When it reports again, one message says so
    for n in range(5, 8):
        minute(cycles, n)
    [back] = aws.messages()
    assert back["Subject"].startswith("RESOLVED: ap-southeast-2 reports again")


def test_given_concurrent_deliveries_of_every_region_then_one_message_and_one_record(
    sims, tmp_path, aws
):
    sims.play("outage")
    runs = [fleet_cycles(sims, tmp_path / str(i), aws) for i in range(2)]
    for n in range(3):
        threads = [
            threading.Thread(target=cycles[region].run, args=(SECRET, at(n)))
            for cycles in runs
            for region in REGIONS
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    [message] = aws.messages()
    assert attributes(message)["verdict"] == "outage"
    assert len(items(aws, "CYCLE")) == 3
    assert all(len(items(aws, f"REGION#{r}")) == 3 for r in OTHERS)


def test_given_a_regions_write_that_hangs_then_the_home_decides_within_its_deadline(
    sims, tmp_path, aws
):
    # Given eu-west-1's write to the home table never answers
    sims.play("healthy")
    cycles = fleet_cycles(sims, tmp_path, aws, REGION_WAIT_SECONDS="2")
    aws.proxy.faults["dynamodb"] = "hang"
    aws.proxy.fault_filter = b"REGION#eu-west-1"
    writer = threading.Thread(target=cycles["eu-west-1"].run, args=(SECRET, at(0)))
    writer.start()
    cycles["ap-southeast-2"].run(SECRET, at(0))
    aws.proxy.fault_filter = b'"view"'  # from here, only regional writes hang
    started = time.monotonic()
    home = cycles[HOME].run(SECRET, at(0))
    elapsed = time.monotonic() - started
    writer.join(timeout=30)
    # Then the home decided without it, named it, and kept inside its deadline
    assert elapsed < cycles[HOME].config.deadline_s
    rows = {r["region"]: r for r in home.regions}
    assert rows["eu-west-1"]["reported"] is False and rows["ap-southeast-2"]["reported"]
    assert "eu-west-1 did not report this minute" in home.verdict.summary
    assert len(items(aws, "CYCLE")) == 1


def test_given_a_regions_write_that_fails_then_it_says_so_and_the_home_names_it(
    sims, tmp_path, aws
):
    # Given the home table throttles eu-west-1's write
    sims.play("healthy")
    cycles = fleet_cycles(sims, tmp_path, aws)
    aws.proxy.faults["dynamodb"] = "throttle"
    aws.proxy.fault_filter = b"REGION#eu-west-1"
    failed = cycles["eu-west-1"].run(SECRET, at(0))
    aws.proxy.clear()
    cycles["ap-southeast-2"].run(SECRET, at(0))
    home = cycles[HOME].run(SECRET, at(0))
    # Then the region reports its failed write in one line, nothing is lost silently,
    # and the home decides without it, naming it
    [error] = [e for e in failed.errors if "not recorded for the home" in e]
    assert "ThrottlingException" in error and "\n" not in error
    assert SECRET not in error
    assert "eu-west-1 did not report this minute" in home.verdict.summary
    assert items(aws, "REGION#eu-west-1") == []


def test_given_an_item_whose_body_claims_another_region_then_the_home_ignores_it(
    sims, tmp_path, aws
):
    # Given eu-west-1 (allowed to write only REGION#eu-west-1) writes a body that
    # claims to be ap-southeast-2's view, failing
    from functions.monitor.decide.vote import RegionView
    from functions.monitor.keep.regions import DynamoRegions

    sims.play("healthy")
    cycles = fleet_cycles(sims, tmp_path, aws)
    forged = RegionView("ap-southeast-2", "2026-11-25T16:00", "network_error", "x", "t")
    item = {
        "pk": {"S": "REGION#eu-west-1"},
        "sk": {"S": "2026-11-25T16:00"},
        "view": {"S": json.dumps(forged.to_dict())},
    }
    aws.client("dynamodb").put_item(TableName=aws.table, Item=item)
    home = cycles[HOME].run(SECRET, at(0))
    # Then the forged view counts for nobody: both regions are named as not reporting
    assert home.verdict.verdict == "operational"
    assert "eu-west-1 and ap-southeast-2 did not report" in home.verdict.summary
    assert (
        DynamoRegions(aws.table, aws.client("dynamodb")).read_regions("2026-11-25T16:00", OTHERS)
        == {}
    )
