"""What `check` prints is what the store holds: the real command line against the
simulator on loopback (issue 19: the flap hold, the columns, a simulator not running)."""

from __future__ import annotations

import socket

from tests.conftest import run_cli, sim_env

FLAP = ["outage", "outage", "healthy", "healthy", "outage", "outage", "healthy", "healthy"]


def _check(sim, env, scenario: str) -> dict:
    sim.set(scenario)
    run = run_cli("check", "--json", env=env)
    assert run.code in (0, 1, 2), run.stderr
    return run.json


def test_given_a_flap_hold_when_check_then_it_says_the_alert_is_held_and_when_it_closes(
    sim, tmp_path
):
    # Given: a fresh store, and the verdict flapping outage/healthy twice
    env = sim_env(sim, tmp_path, COLUMNS="80")
    results = [_check(sim, env, scenario) for scenario in FLAP]
    subjects = [n["subject"] for r in results for n in r["notifications"]]
    assert any("FLAPPING" in s for s in subjects), subjects
    held = results[-1]
    # Then: the operational check says the alert is still open, why, and in how many
    assert held["verdict"] == "operational"
    hold = held["open_alert"]
    assert hold["reason"] == "flapping" and hold["reported"] == "outage"
    left = hold["good_cycles_to_close"]
    assert 1 < left <= 15, hold
    # And: the table says the same to a person, with a next step that is not silent
    sim.set("healthy")
    table = run_cli("check", env=env)
    assert "Alert still open (outage" in table.stdout
    assert "held open as flapping" in table.stdout
    assert f"after {left - 1} more good" in table.stdout.replace("\n", " ").replace("  ", " ")
    assert "Nothing to do now; the alert closes by itself" in table.stdout.replace("\n  ", " ")
    # When: exactly the promised number of good cycles follow
    counts = []
    for _ in range(left - 2):
        result = _check(sim, env, "healthy")
        counts.append(result["open_alert"]["good_cycles_to_close"])
        assert not result["notifications"], "nothing is sent while the hold lasts"
    closing = _check(sim, env, "healthy")
    # Then: it counted down one per cycle, and the last one closes it with a RESOLVED
    assert counts == list(range(left - 2, 0, -1))
    assert closing["open_alert"] is None
    assert [n["subject"].split(":")[0] for n in closing["notifications"]] == ["RESOLVED"]


def test_given_an_ordinary_recovery_when_one_good_cycle_then_check_says_one_more_closes_it(
    sim, tmp_path
):
    # Given: an open outage alert (two bad cycles)
    env = sim_env(sim, tmp_path)
    _check(sim, env, "outage")
    opened = _check(sim, env, "outage")
    assert opened["open_alert"]["reason"] == "still_bad"
    assert opened["open_alert"]["good_cycles_to_close"] == 2
    # When: one good cycle
    first = _check(sim, env, "healthy")
    # Then: recovering, one more closes it; after it, nothing is open
    assert first["open_alert"]["reason"] == "recovering"
    assert first["open_alert"]["good_cycles_to_close"] == 1
    assert _check(sim, env, "healthy")["open_alert"] is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
