"""An upgrade keeps open alerts: the state a previous release stored (a committed
fixture, tests/fixtures/stored-state-v1.json, written by the real code) is loaded by
this one, in each store, with nothing set aside and its open alert intact."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from functions.monitor.decide.hold import alert_hold
from functions.monitor.decide.state import OVERALL, MonitorState
from functions.monitor.keep.dynamo import DynamoStore
from functions.monitor.keep.sqlite import SqliteStore
from tests.conftest import run_cli, sim_env

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
STATES = sorted(FIXTURES.glob("stored-state-v*.json"))


def _fixture(path: Path) -> dict:
    return json.loads(path.read_text())


def _sqlite_with(path: Path, fixture: dict) -> SqliteStore:
    """A SQLite file as the previous release left it: its schema and rows, written raw
    (not by this release's code, so a renamed table or column fails the test)."""
    with sqlite3.connect(path) as db:
        for sql in fixture["sqlite_schema"]:
            db.execute(sql)
    store = SqliteStore(str(path))
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO state VALUES (1, ?, ?)", (fixture["version"], fixture["state"]))
        db.executemany("INSERT INTO outbox VALUES (?, ?)", list(fixture["outbox"].items()))
    return store


def _assert_intact(stored, fixture: dict) -> None:
    # Nothing of it is set aside: the parse finds no problem
    _, problems = MonitorState.parse(fixture["state"])
    assert problems == []
    state = stored.state
    assert stored.version == fixture["version"]
    # The open alert, its flap hold, its mute and held digest, its windows and episode
    overall = state.targets[OVERALL]
    assert overall.alerting and overall.reported in ("outage", "unconfirmed_outage")
    assert state.flapping and state.flips
    assert state.quiet and state.quiet["mutes"] and state.quiet["held"]["items"]
    assert state.windows and state.episode and state.episode["since"]
    hold = alert_hold(state, 2, "operational")
    assert hold is not None and hold.reason == "flapping"
    # The unsent notification is still there, with what was committed
    [entry_id] = fixture["outbox"]
    assert stored.outbox[entry_id].notification["subject"].startswith("FLAPPING")
    # And written back, each entry is the same: a renamed field (`done`, the
    # destinations already reached) would send it twice
    # (fields this release added may join them; none of the old is lost or changed)
    for key, text in fixture["outbox"].items():
        old, new = json.loads(text), json.loads(stored.outbox[key].to_json())
        assert {k: new.get(k) for k in old} == old
    # And written back, it is the same state: no field lost or changed
    old_state, new_state = json.loads(fixture["state"]), json.loads(state.to_json())
    assert {k: new_state.get(k) for k in old_state} == old_state


@pytest.mark.parametrize("path", STATES, ids=lambda p: p.name)
def test_given_a_previous_releases_sqlite_state_when_loaded_then_its_open_alert_is_intact(
    path, tmp_path
):
    fixture = _fixture(path)
    store = _sqlite_with(tmp_path / "state.sqlite3", fixture)
    _assert_intact(store.load(), fixture)


@pytest.mark.parametrize("path", STATES, ids=lambda p: p.name)
def test_given_a_previous_releases_dynamodb_item_when_loaded_then_its_open_alert_is_intact(
    path, aws
):
    fixture = _fixture(path)
    client = aws.client("dynamodb")
    client.put_item(
        TableName=aws.table,
        Item={
            # The previous release's key, literally: the key this release reads must match
            **fixture["dynamodb_key"],
            "version": {"N": str(fixture["version"])},
            "state": {"S": fixture["state"]},
            "outbox": {"M": {k: {"S": v} for k, v in fixture["outbox"].items()}},
            "writer": {"S": "previous-release"},
        },
    )
    _assert_intact(DynamoStore(aws.table, client).load(), fixture)


@pytest.mark.parametrize("path", STATES, ids=lambda p: p.name)
def test_given_a_previous_releases_state_when_the_new_release_checks_then_no_alert_resets(
    path, sim, tmp_path
):
    # Given: the previous release's SQLite store, and a healthy API now
    fixture = _fixture(path)
    db = tmp_path / "state.sqlite3"
    _sqlite_with(db, fixture)
    sim.set("healthy")
    # When: the new release runs its first check
    run = run_cli("check", "--json", env=sim_env(sim, tmp_path, LOCAL_DB_PATH=str(db)))
    result = run.json
    # Then: the flap hold goes on (no RESOLVED), and it says so
    assert result["open_alert"]["reason"] == "flapping", run.stderr
    subjects = [n["subject"] for n in result["notifications"]]
    assert not any(s.startswith("RESOLVED") for s in subjects), subjects
    # And: the unsent FLAPPING notification was sent at last, from the outbox
    assert any(s.startswith("FLAPPING") for s in subjects) or "FLAPPING" in run.stderr
    # And: nothing was set aside as unreadable
    assert "unreadable" not in run.stderr
