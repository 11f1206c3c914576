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
    # And: the cycle before, still recovering, already counted the hold it would start
    before = results[-2]["open_alert"]
    assert before["reason"] == "recovering" and before["good_cycles_to_close"] == left + 1
    # And: the table says the same to a person, with a next step that is not silent
    sim.set("healthy")
    table = run_cli("check", env=env)
    assert "Alert still open (outage" in table.stdout
    assert "held open as flapping" in table.stdout
    assert f"after {left - 1} more good" in table.stdout.replace("\n", " ").replace("  ", " ")
    said = table.stdout.replace("\n  ", " ")
    assert "the alert is still open and closes by itself" in said
    assert "Nothing to do" not in said
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


def test_given_no_simulator_on_a_loopback_url_when_check_then_it_says_nothing_answers_there(
    sim, tmp_path
):
    # Given: base URLs on loopback where nothing listens
    port = _closed_port()
    url = f"http://127.0.0.1:{port}"
    env = sim_env(sim, tmp_path, STATUS_PAGE_URL=url, ANTHROPIC_BASE_URL=url, COLUMNS="200")
    # When: check
    run = run_cli("check", env=env)
    # Then: still network_error (exit 3), and the step names the address and the simulator
    assert run.code == 3
    assert f"Next step: Nothing answers on 127.0.0.1:{port}:" in run.stdout
    assert "`make simulate`" in run.stdout
    assert "Check DNS, proxy, firewall" not in run.stdout
    assert run_cli("check", "--json", env=env).json["verdict"] == "network_error"
    # And: without a key (the status page alone), the same
    no_key = run_cli("check", env={**env, "ANTHROPIC_API_KEY": ""})
    assert f"Nothing answers on 127.0.0.1:{port}" in no_key.stdout


def test_given_a_remote_host_that_fails_when_check_then_the_network_advice_stands(sim, tmp_path):
    # Given: a name that does not resolve (not this machine)
    url = "http://monitor-test.invalid"
    env = sim_env(sim, tmp_path, STATUS_PAGE_URL=url, ANTHROPIC_BASE_URL=url, COLUMNS="200")
    run = run_cli("check", env=env)
    # Then: the advice is about the network, not about a local server
    assert run.code == 3
    assert "Nothing answers on" not in run.stdout
    assert "Check DNS" in run.stdout
