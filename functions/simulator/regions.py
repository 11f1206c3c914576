"""A fleet played on one machine: one simulator per region, each in its own scenario.

A region's network path failing is its own simulator answering `api_reset` (the
connection is reset, as a broken egress or DNS would) while the others stay
`healthy`; a platform outage is every simulator in `outage`.

`python -m functions.simulator.regions` plays the README's "Several regions" cases
through the real command line: each region runs `check` with MONITOR_REGION set,
sharing one SQLite file, the home last, and the home's answer is printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .server import Simulator

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
# A region's network path fails: the connection to the API is reset.
PATH_FAILS = "api_reset"


class RegionalSimulators:
    """One simulator per region; `play` sets each region's scenario."""

    def __init__(self, regions: tuple[str, ...] = REGIONS) -> None:
        self.sims = {region: Simulator() for region in regions}

    def start(self) -> RegionalSimulators:
        for sim in self.sims.values():
            sim.start()
        return self

    def stop(self) -> None:
        for sim in self.sims.values():
            sim.stop()

    def play(self, scenario: str = "healthy", **per_region: str) -> None:
        """Every region in `scenario`, except those named (eu_west_1="api_reset")."""
        named = {k.replace("_", "-"): v for k, v in per_region.items()}
        for region, sim in self.sims.items():
            sim.set(named.get(region, scenario))

    def url(self, region: str) -> str:
        return self.sims[region].url


@contextmanager
def fleet(regions: tuple[str, ...] = REGIONS) -> Iterator[RegionalSimulators]:
    sims = RegionalSimulators(regions).start()
    try:
        yield sims
    finally:
        sims.stop()


def region_env(sims: RegionalSimulators, region: str, db: str) -> dict[str, str]:
    """The environment of `check` as `region` of the fleet (the home is the first)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_", "TOPIC_"))}
    env.update(
        STATUS_PAGE_URL=sims.url(region),
        ANTHROPIC_BASE_URL=sims.url(region),
        ANTHROPIC_API_KEY=env.get("ANTHROPIC_API_KEY", "sk-ant-demo-key-for-the-simulator"),
        CANARY_RETRY_BASE_SECONDS="0.01",
        CHECK_DEADLINE_SECONDS="10",
        REGION_WAIT_SECONDS="1",
        FLEET_REGIONS=",".join(sims.sims),
        MONITOR_REGION=region,
        LOCAL_DB_PATH=db,
        NO_COLOR="1",
    )
    return env


def check_fleet(sims: RegionalSimulators, db: str) -> str:
    """One minute of the fleet: the other regions first, then the home; the home's
    `check` output. Locally the minute is the clock's (in Lambda, the schedule's):
    a fleet that would straddle two minutes waits for the next one to start."""
    same_minute()
    regions = list(sims.sims)
    for region in regions[1:]:
        _check(sims, region, db)
    return _check(sims, regions[0], db)


def same_minute(room_s: float = 15.0) -> None:
    """Wait for the next minute when fewer than `room_s` seconds are left of this one."""
    if time.time() % 60 > 60 - room_s:
        time.sleep(60.5 - time.time() % 60)


def _check(sims: RegionalSimulators, region: str, db: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "functions.monitor", "check"],
        env=region_env(sims, region, db),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return run.stdout


CASES: tuple[tuple[str, dict[str, str]], ...] = (
    ("Every region passes", {}),
    ("eu-west-1 fails alone: its network path, a warning", {"eu_west_1": PATH_FAILS}),
    ("Every region fails: the platform, as one region would say", {"scenario": "outage"}),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m functions.simulator.regions",
        description="Play a fleet of three regions on loopback and show the home's vote.",
    )
    parser.parse_args(argv)
    with fleet() as sims, tempfile.TemporaryDirectory() as folder:
        for number, (title, case) in enumerate(CASES):
            options = dict(case)
            scenario = options.pop("scenario", "healthy")
            sims.play(scenario, **options)
            print(f"== {title}")
            # A file per case: a region writes one item per minute, and the cases run
            # within the same minute.
            print(check_fleet(sims, os.path.join(folder, f"fleet{number}.sqlite3")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
