"""`make bench`, a fleet of three regions: the home's cycle time, as a ratio to its
slowest probe, and its DynamoDB calls per steady cycle.

Each region has its own simulator answering in D (functions/simulator/regions.py) and
its own cycle, built as its stack would configure it; the two other regions run at
the same scheduled minute as the home, concurrently, as EventBridge would start them.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from functions.monitor.config import load_config
from functions.monitor.wiring import build_cycle
from functions.simulator.regions import REGIONS, RegionalSimulators
from tests.aws_support import CREDENTIALS, MotoServer
from tests.integration.conftest import create_table

Row = tuple[str, str, str, bool | None]


def _cycles(sims: RegionalSimulators, moto: MotoServer, table: str, topic: str) -> dict[str, Any]:
    cycles = {}
    for region in REGIONS:
        own = {"TABLE_NAME": table, "TOPIC_ARN": topic} if region == REGIONS[0] else {}
        env = {
            **os.environ,
            **CREDENTIALS,
            "AWS_REGION": region,
            "AWS_ENDPOINT_URL": moto.url,
            "STATUS_PAGE_URL": sims.url(region),
            "ANTHROPIC_BASE_URL": sims.url(region),
            "ANTHROPIC_API_KEY": "bench-key",
            "CANARY_MODELS": "claude-haiku-4-5",
            "CANARY_RETRY_BASE_SECONDS": "0.01",
            "FLEET_REGIONS": ",".join(REGIONS),
            "MONITOR_REGION": region,
            **(own or {"HOME_TABLE_NAME": table}),
        }
        cycles[region] = build_cycle(load_config(env))
    return cycles


def _minute(cycles: dict[str, Any], moment: datetime) -> float:
    """One scheduled minute of the fleet, every region at once; the home's time."""
    home = cycles[REGIONS[0]]
    others = [
        threading.Thread(target=cycles[r].run, args=(home.config.api_key, moment))
        for r in REGIONS[1:]
    ]
    for t in others:
        t.start()
    started = time.perf_counter()
    home.run(home.config.api_key, moment)
    took = time.perf_counter() - started
    for t in others:
        t.join()
    return took


def fleet_rows(
    moto: MotoServer, delay_ms: int, count: Callable[[dict[str, int]], Callable[..., None]]
) -> list[Row]:
    """`count(counts)` is a botocore before-call hook counting into `counts` (run.py)."""
    os.environ.update(CREDENTIALS, AWS_ENDPOINT_URL=moto.url)
    ddb = boto3.client("dynamodb", endpoint_url=moto.url, region_name="us-east-1")
    table = f"fleet-{time.monotonic_ns()}"
    create_table(ddb, table)
    topic = boto3.client("sns", endpoint_url=moto.url, region_name="us-east-1").create_topic(
        Name=table
    )["TopicArn"]
    sims = RegionalSimulators(REGIONS).start()
    try:
        for sim in sims.sims.values():
            sim.set("healthy", delay_ms=delay_ms)
        cycles = _cycles(sims, moto, table, topic)
        # Each region's DynamoDB client counts its own calls.
        counts: dict[str, dict[str, int]] = {r: {} for r in REGIONS}
        for region, cycle in cycles.items():
            cycle.regions.client.meta.events.register("before-call", count(counts[region]))
        start = datetime.now(UTC).replace(second=0, microsecond=0)
        for n in range(2):  # warm: the state item exists afterwards
            _minute(cycles, start + timedelta(minutes=n))
        times = []
        home_calls, other_calls = [], []
        for n in range(2, 7):
            for c in counts.values():
                c.clear()
            times.append(_minute(cycles, start + timedelta(minutes=n)))
            home_calls.append(counts[REGIONS[0]].get("dynamodb", 0))
            other_calls.append(max(counts[r].get("dynamodb", 0) for r in REGIONS[1:]))
    finally:
        sims.stop()
    ratio = statistics.median(times) / (delay_ms / 1000)
    home, other = statistics.median(home_calls), max(other_calls)
    return [
        (
            f"Fleet of 3 regions: the home's cycle (probe, wait for the others, vote, "
            f"store) / its slowest probe, D = {delay_ms} ms",
            f"{ratio:.2f}",
            "<= 1.5",
            ratio <= 1.5,
        ),
        (
            "  DynamoDB calls per steady minute: the home (state, the regions' items, "
            "commit, and one re-read when a write lands just after its first; median) / "
            "each other region (its one write; most)",
            f"{home:g} / {other}",
            "<= 4 / 1",
            home <= 4 and other <= 1,
        ),
    ]
