"""Locally: SQLite keeps history and alert state between cron runs; the terminal notifies."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from functions.monitor.config import load_config
from functions.monitor.decide.state import OutboxEntry
from functions.monitor.keep.sqlite import SqliteStore
from functions.monitor.probe import probe
from functions.monitor.wiring import build_cycle
from tests.conftest import run_cli, sim_env

T0 = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def test_given_cron_runs_then_the_alert_opens_once_and_prints_to_stderr(sim, tmp_path):
    sim.set("overloaded")
    env = sim_env(sim, tmp_path)
    runs = [run_cli("check", "--json", env=env) for _ in range(3)]
    notified = [len(r.json["notifications"]) for r in runs]
    assert notified == [0, 1, 0]
    assert "NOTIFICATION CRITICAL: Claude API unconfirmed_outage" in runs[1].stderr
    assert "NOTIFICATION" not in runs[0].stderr + runs[2].stderr
    assert runs[1].json["transitions"][0]["from"] == "ok"
    history = run_cli("history", "--since", "1h", env=env)
    assert history.code == 0
    assert "overall: operational -> unconfirmed_outage" in history.stdout
    assert "|!!!|" in history.stdout


def test_given_the_same_scheduled_time_twice_then_the_second_is_a_duplicate(sim, tmp_path):
    sim.set("overloaded")
    config = load_config(sim_env(sim, tmp_path))
    cycle = build_cycle(config)
    for minute in (0, 1, 1):
        result = asyncio.run(probe(config, config.api_key, T0 + timedelta(minutes=minute)))
        cycle.record(result)
    assert "duplicate" in result.errors[0] and not result.notifications
    assert len(SqliteStore(config.local_db_path).history("2026").cycles) == 2


def test_given_an_unwritable_store_then_check_still_prints_its_result(sim, tmp_path):
    sim.set("healthy")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    run = run_cli(
        "check", "--json", env=sim_env(sim, tmp_path, LOCAL_DB_PATH=str(blocker / "x.db"))
    )
    assert run.code == 0 and run.json["verdict"] == "operational"
    [error] = [e for e in run.json["errors"] if "LOCAL_DB_PATH" in e]
    assert error.startswith("history was not stored: ") and "\n" not in error
    assert "Traceback" not in run.stderr


def test_history_rejects_a_bad_window_in_one_line(healthy_sim, tmp_path):
    run = run_cli("history", "--since", "yesterday", env=sim_env(healthy_sim, tmp_path))
    assert run.code == 64 and run.stderr.count("\n") == 1 and "--since" in run.stderr  # usage


def test_history_on_an_empty_store_says_how_to_start(healthy_sim, tmp_path):
    run = run_cli("history", env=sim_env(healthy_sim, tmp_path))
    assert run.code == 0 and "Nothing stored yet" in run.stdout


def test_the_key_never_reaches_the_local_store_or_the_terminal(sim, tmp_path):
    from tests.conftest import SECRET

    env = sim_env(sim, tmp_path)
    outputs = ""
    for scenario in ("auth_error", "overloaded", "overloaded", "healthy"):
        sim.set(scenario)
        run = run_cli("check", env=env)
        outputs += run.stdout + run.stderr
    assert SECRET not in outputs
    assert SECRET.encode() not in (tmp_path / "state.sqlite3").read_bytes()


ODD_STATES = [
    "not json {",
    '{"targets": null}',
    '{"targets": {"overall": {"alerting": true}}}',
    '{"targets": {"overall": {"reported": "outage", "alerting": true, "added_later": [1]}}}',
]


def test_given_odd_stored_state_then_sqlite_cycles_still_store_their_results(sim, tmp_path):
    import sqlite3

    sim.set("overloaded")
    config = load_config(sim_env(sim, tmp_path))
    cycle = build_cycle(config)
    for minute, text in enumerate(ODD_STATES):
        cycle.record(asyncio.run(probe(config, config.api_key, T0 + timedelta(minutes=minute))))
        db = sqlite3.connect(config.local_db_path)
        db.execute("UPDATE state SET state = ?", (text,))
        db.execute(
            "INSERT OR REPLACE INTO outbox VALUES ('n-x', ?)",
            ('{"id": "n-x", "created_wall": 0, "transitions": [], "future": 1}',),
        )
        db.commit()
        db.close()
    last = asyncio.run(probe(config, config.api_key, T0 + timedelta(minutes=9)))
    cycle.record(last)
    assert not [e for e in last.errors if "SQLite" in e]
    assert len(SqliteStore(config.local_db_path).history("2026").cycles) == len(ODD_STATES) + 1


def test_given_api_components_that_match_nothing_then_one_warning_lists_the_page(sim, tmp_path):
    sim.set("healthy")
    run = run_cli("check", "--json", env=sim_env(sim, tmp_path, API_COMPONENTS="Claude APl"))
    [warning] = [e for e in run.json["errors"] if "API_COMPONENTS" in e]
    assert "Claude API (api.anthropic.com)" in warning and "\n" not in warning
    matched = run_cli("check", "--json", env=sim_env(sim, tmp_path))
    assert not [e for e in matched.json["errors"] if "API_COMPONENTS" in e]


def test_given_a_key_with_a_trailing_newline_then_the_command_line_works_and_never_prints_it(
    sim, tmp_path
):
    from tests.conftest import SECRET

    sim.set("healthy")
    run = run_cli("check", "--json", env=sim_env(sim, tmp_path, ANTHROPIC_API_KEY=SECRET + "\n"))
    assert run.code == 0 and run.json["canaries"][0]["outcome"] == "ok"
    assert SECRET[:12] not in run.stdout + run.stderr


def test_given_a_store_down_longer_than_the_backlog_cap_then_the_oldest_are_dropped_and_named(
    sim, tmp_path, monkeypatch, caplog
):
    import functions.monitor.cycle as cycle_module

    monkeypatch.setattr(cycle_module, "MAX_BACKLOG", 3)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    sim.set("healthy")
    config = load_config(sim_env(sim, tmp_path, LOCAL_DB_PATH=str(blocker / "x.db")))
    cycle = build_cycle(config)
    template = asyncio.run(probe(config, config.api_key, T0))
    results = []
    for minute in range(5):
        moment = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        results.append(replace(template, checked_at=moment, cycle_id=moment, errors=[]))
        cycle.record(results[-1])
    assert [r.cycle_id for r in cycle.backlog] == [r.cycle_id for r in results[2:]]
    assert any("dropped" in e for e in results[3].errors + results[4].errors)
    dropped = [r for r in caplog.records if "backlog full" in r.getMessage()]
    assert [r.cycles for r in dropped] == [["2026-11-25T16:00:00Z"], ["2026-11-25T16:01:00Z"]]


def test_a_backlogged_result_keeps_only_what_the_store_needs(sim, tmp_path):
    # Given a store that is down while 150 long incidents are open
    from functions.monitor.models import Incident

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    sim.set("healthy")
    config = load_config(sim_env(sim, tmp_path, LOCAL_DB_PATH=str(blocker / "x.db")))
    cycle = build_cycle(config)
    result = asyncio.run(probe(config, config.api_key, T0))
    result.status_page.incidents = [
        Incident(f"i{i}", "x" * 5000, "investigating", "major", None, [], None) for i in range(150)
    ]
    # When the result is kept for later
    cycle.record(result)
    # Then the kept copy is small (a day of them fits the Lambda's memory), and the
    # result the caller prints is whole
    [kept] = cycle.backlog
    assert len(kept.status_page.incidents) == 50
    assert max(len(i.name) for i in kept.status_page.incidents) == 200
    assert len(result.status_page.incidents) == 150


def test_given_fields_a_newer_version_stored_then_a_cycle_and_a_mute_write_them_back(sim, tmp_path):
    import json
    import sqlite3
    import time

    from functions.monitor.cli.mute import run_mute

    # Given a store whose state, one target and one outbox entry carry fields that a
    # newer version wrote (as after a rollback)
    sim.set("overloaded")
    config = load_config(sim_env(sim, tmp_path))
    cycle = build_cycle(config)
    cycle.record(asyncio.run(probe(config, config.api_key, T0)))
    db = sqlite3.connect(config.local_db_path)
    [text] = db.execute("SELECT state FROM state").fetchone()
    state = json.loads(text)
    state["escalation"] = {"level": 2, "paged": ["oncall"]}
    state["targets"]["overall"]["opened_at"] = "2026-11-25T16:00:00Z"
    mute = {"until_iso": "2026-11-25T18:00:00Z", "reason": "gateway", "set_at": T0.isoformat()}
    state["quiet"] = {"mutes": [{**mute, "scope": "webhooks"}], "calendar": "ops"}
    state["quiet"]["held"] = {"items": [], "folded": {}, "last_sent_at": None}
    db.execute("UPDATE state SET state = ?", (json.dumps(state),))
    # (an entry still within its lease: its owner is sending it)
    entry = {"id": "n-x", "created_wall": time.time(), "transitions": [], "route": "pager"}
    db.execute("INSERT OR REPLACE INTO outbox VALUES ('n-x', ?)", (json.dumps(entry),))
    db.commit()
    # When this version runs a cycle and then the mute command against it
    cycle.record(asyncio.run(probe(config, config.api_key, T0 + timedelta(minutes=1))))
    assert run_mute(config, "1h", "key rotation", False, now=T0 + timedelta(minutes=2)) == 0
    # Then what the newer version keeps is still there, beside this version's writes
    [text] = db.execute("SELECT state FROM state").fetchone()
    state = json.loads(text)
    assert state["escalation"] == {"level": 2, "paged": ["oncall"]}
    assert state["targets"]["overall"]["opened_at"] == "2026-11-25T16:00:00Z"
    assert state["targets"]["overall"]["alerting"] is True
    assert state["quiet"]["calendar"] == "ops" and len(state["quiet"]["mutes"]) == 2
    assert state["quiet"]["mutes"][0]["scope"] == "webhooks"
    [entry_text] = db.execute("SELECT entry FROM outbox WHERE id = 'n-x'").fetchone()
    assert json.loads(entry_text)["route"] == "pager"
    db.close()


def test_given_an_outbox_clear_that_fails_then_the_next_writes_of_the_same_store_work(
    sim, tmp_path
):
    import sqlite3

    from functions.monitor.keep.store import StoreError

    # Given a warm process's store whose outbox clear and mark fail (the database
    # refuses the write)
    sim.set("overloaded")
    config = load_config(sim_env(sim, tmp_path))
    cycle = build_cycle(config)
    cycle.record(asyncio.run(probe(config, config.api_key, T0)))
    db = sqlite3.connect(config.local_db_path)
    db.execute("CREATE TRIGGER no BEFORE DELETE ON outbox BEGIN SELECT RAISE(ABORT, 'no'); END")
    db.execute("CREATE TRIGGER nu BEFORE UPDATE ON outbox BEGIN SELECT RAISE(ABORT, 'no'); END")
    db.execute('INSERT INTO outbox VALUES (\'n-x\', \'{"id": "n-x", "created_wall": 9e9}\')')
    db.commit()
    store = cycle.store
    for failing in (
        lambda: store.clear_outbox("n-x"),
        lambda: store.mark_outbox(OutboxEntry("n-x", 0.0, [], {})),
    ):
        try:
            failing()
        except StoreError:
            pass
    db.execute("DROP TRIGGER no")
    db.execute("DROP TRIGGER nu")
    db.commit()
    db.close()
    # When the same process runs its next cycle, then it is stored (the failed write
    # left no transaction open to refuse every later one)
    later = asyncio.run(probe(config, config.api_key, T0 + timedelta(minutes=1)))
    cycle.record(later)
    assert not [e for e in later.errors if "SQLite" in e], later.errors
    assert len(SqliteStore(config.local_db_path).history("2026").cycles) == 2
