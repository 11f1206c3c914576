"""The vote without AWS: three `check` runs, one per region, sharing the SQLite file.

Each region's simulator plays its own path (functions/simulator/regions.py); the home
runs last and answers for the fleet, as the README's "Several regions" shows.
"""

from __future__ import annotations

import pytest

from functions.simulator.regions import (
    PATH_FAILS,
    REGIONS,
    RegionalSimulators,
    region_env,
    same_minute,
)
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def sims():
    fleet = RegionalSimulators(REGIONS).start()
    yield fleet
    fleet.stop()


def run_fleet(sims, db):
    same_minute()
    for region in REGIONS[1:]:
        run_cli("check", "--json", env=region_env(sims, region, db))
    return run_cli("check", "--json", env=region_env(sims, REGIONS[0], db))


def test_given_eu_west_1_failing_alone_when_checked_then_the_home_says_its_path_a_warning(
    sims, tmp_path
):
    sims.play("healthy", eu_west_1=PATH_FAILS)
    home = run_fleet(sims, str(tmp_path / "fleet.sqlite3"))
    assert home.code == 1, home.stderr  # warning
    data = home.json
    assert data["verdict"] == "network_error" and data["severity"] == "warning"
    assert data["summary"] == "eu-west-1 cannot reach the API; us-east-1 and ap-southeast-2 can"
    rows = {r["region"]: r for r in data["regions"]}
    assert rows["eu-west-1"]["canaries"] == {"claude-haiku-5-5": "network_error"}
    assert rows["us-east-1"]["home"] and all(r["reported"] for r in rows.values())
    # And history shows each region's own view over time
    hist = run_cli(
        "history", "--json", env=region_env(sims, REGIONS[0], str(tmp_path / "fleet.sqlite3"))
    )
    assert hist.code == 0, hist.stderr
    timeline = hist.json["timeline"]
    assert timeline["region:eu-west-1"] == "?" and timeline["region:ap-southeast-2"] == "."


def test_given_every_region_failing_when_checked_then_the_platform_verdict_stands(sims, tmp_path):
    sims.play("outage")
    home = run_fleet(sims, str(tmp_path / "fleet.sqlite3"))
    assert home.code == 2 and home.json["verdict"] == "outage"
    assert "seen from 3 of 3 regions" in home.json["summary"]


def test_given_a_region_outside_the_fleet_then_one_line_and_exit_3(sims, tmp_path):
    env = region_env(sims, REGIONS[0], str(tmp_path / "f.sqlite3"))
    env["MONITOR_REGION"] = "sa-east-1"
    run = run_cli("check", env=env)
    assert run.code == 3
    assert run.stderr.strip().splitlines()[-1].endswith("is not in FLEET_REGIONS")
    assert "Traceback" not in run.stderr


def test_given_answers_checked_every_5_cycles_then_a_region_without_state_checks_1_in_5(
    sims, tmp_path
):
    # Given ANSWER_CHECK_EVERY=5 in a region that is not the home (it keeps no state,
    # so no cycle counter of its own)
    from datetime import UTC, datetime, timedelta

    from functions.monitor.config import load_config
    from functions.monitor.wiring import build_cycle

    sims.play("healthy")
    env = region_env(sims, REGIONS[1], str(tmp_path / "fleet.sqlite3"))
    cycle = build_cycle(load_config({**env, "ANSWER_CHECK_EVERY": "5"}))
    start = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
    # When it runs ten scheduled minutes
    checked = [
        cycle.run(env["ANTHROPIC_API_KEY"], start + timedelta(minutes=n)).canaries[0]
        for n in range(10)
    ]
    # Then its canaries ask the answer check's question on 2 of them, as the home does
    # (and as `make cost` prices), not on every one
    assert sum(1 for c in checked if c.answers_checked) == 2
