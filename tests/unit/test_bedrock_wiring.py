"""The Bedrock probe in the cycle's data: failover step, alert targets, record, history,
table. Results built by hand; the real boto3 path is in tests/integration."""

from __future__ import annotations

from functions.monitor.cli.history import render, summarise
from functions.monitor.cli.render import render_table
from functions.monitor.config import Config
from functions.monitor.decide.failover import BEDROCK_ONLY, FAIL_OVER, FAILING_EVERYWHERE, annotate
from functions.monitor.decide.state import MonitorState, Stored
from functions.monitor.decide.verdict import decide, next_step
from functions.monitor.keep.store import History, cycle_record
from functions.monitor.models import BedrockResult, CanaryResult, CheckResult, StatusPage
from functions.monitor.plan import plan_cycle

MODEL = "claude-haiku-4-5"
PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
CONFIG = Config(canary_models=(MODEL,), bedrock_models=((MODEL, PROFILE),))


def result(api: str, bedrock: str | None, minute: int = 0) -> CheckResult:
    page = StatusPage(reachable=True, api_status="operational")
    canaries = [CanaryResult(MODEL, api, attempts=1)]
    probes = (
        [
            BedrockResult(
                MODEL,
                bedrock,
                model_id=PROFILE,
                http_status=200 if bedrock == "ok" else 503,
                request_id="3f0e5a2c-1b7d-4c8e-9f21-0a6b5c4d3e2f",
                latency_ms=420,
                detail=None if bedrock == "ok" else "ServiceUnavailableException: busy",
            )
        ]
        if bedrock
        else []
    )
    out = CheckResult(
        f"2026-11-25T16:{minute:02d}:00Z", decide(page, canaries), page, canaries, bedrock=probes
    )
    annotate(out)
    return out


def test_given_the_api_failing_and_bedrock_passing_then_the_next_step_says_fail_over():
    got = result("server_error", "ok")
    assert got.verdict.verdict == "unconfirmed_outage"  # unchanged by Bedrock
    assert got.failover == {MODEL: FAIL_OVER}
    assert next_step(got.verdict).startswith(FAIL_OVER + ". ")
    assert next_step(got.verdict).split(".")[0] == FAIL_OVER  # what an SMS carries
    assert FAIL_OVER in got.verdict.summary


def test_given_both_paths_failing_then_it_is_a_model_level_problem():
    got = result("server_error", "server_error")
    assert got.failover == {MODEL: FAILING_EVERYWHERE}
    assert next_step(got.verdict).startswith(FAILING_EVERYWHERE)


def test_given_the_api_passing_and_bedrock_failing_then_operational_with_a_note():
    got = result("ok", "server_error")
    assert got.verdict.verdict == "operational"
    assert got.verdict.next_step is None  # the verdict's own step stands
    assert got.verdict.summary.endswith("; note: " + BEDROCK_ONLY)


def test_given_no_bedrock_path_then_nothing_changes():
    got = result("server_error", None)
    assert got.failover == {} and got.verdict.next_step is None
    assert "bedrock" not in cycle_record(got)
    assert got.to_dict()["bedrock"] == [] and got.to_dict()["failover"] == {}


def test_given_the_verdict_is_re_decided_by_the_window_then_the_step_is_kept():
    # Given: the cycle's plan re-decides the verdict with the error-rate window
    got = result("server_error", "ok")
    plan_cycle(Stored(MonitorState(), 0, {}), got, CONFIG, 1000.0)
    # Then: the failover step is still on the verdict it made, said once
    assert next_step(got.verdict).startswith(FAIL_OVER)
    assert got.verdict.summary.count(FAIL_OVER) == 1


def test_bedrock_transitions_are_recorded_and_wake_nobody_by_default():
    stored, notes, moved = Stored(MonitorState(), 0, {}), [], []
    for minute in range(3):
        plan = plan_cycle(stored, result("ok", "server_error", minute), CONFIG, 1000.0 + minute)
        stored = Stored(plan.state, stored.version + 1, plan.outbox)
        notes.append(plan.notification)
        moved += [t.to_dict() for t in plan.transitions]
    assert {"target": f"bedrock:{MODEL}", "from": "ok", "to": "server_error"} in moved
    assert notes == [None, None, None]
    assert stored.state.targets[f"bedrock:{MODEL}"].alerting


def test_with_bedrock_alerts_a_bedrock_transition_wakes_people_and_says_so():
    config = Config(
        canary_models=(MODEL,), bedrock_models=CONFIG.bedrock_models, bedrock_alerts=True
    )
    stored, notes = Stored(MonitorState(), 0, {}), []
    for minute, outcome in enumerate(["server_error", "server_error", "ok", "ok"]):
        plan = plan_cycle(stored, result("ok", outcome, minute), config, 1000.0 + minute)
        stored = Stored(plan.state, stored.version + 1, {})
        notes.append(plan.notification)
    assert notes[0] is None and notes[2] is None
    assert notes[1] is not None and notes[1].subject.startswith("WARNING: Amazon Bedrock")
    assert notes[3] is not None and notes[3].subject.startswith("RESOLVED: Amazon Bedrock")
    assert "Amazon Bedrock (failover path):" in notes[1].email


def test_the_cycle_record_carries_bedrock_and_history_shows_its_row():
    records = [cycle_record(result("ok", o, m)) for m, o in enumerate(["ok", "server_error"])]
    assert records[1]["bedrock"][0]["model_id"] == PROFILE
    assert records[1]["failover"] == {MODEL: BEDROCK_ONLY}
    summary = summarise(History(records, []), "2026-11-25T15:00:00Z")
    assert summary["availability"][f"bedrock:{MODEL}"] == 50.0
    assert summary["timeline"][f"bedrock:{MODEL}"] == ".!"
    assert f"bedrock:{MODEL}" in render(summary, width=80)


def test_a_hostile_stored_bedrock_field_adds_nothing_and_does_not_fail():
    good = cycle_record(result("ok", "ok"))
    hostile = [
        {**good, "bedrock": "not a list"},
        {**good, "bedrock": [None, 7, {"model": MODEL}, {"model": MODEL, "outcome": 5}]},
        {**good, "bedrock": [{"outcome": "ok"}]},  # no model: shown under "?"
    ]
    summary = summarise(History(hostile, []), "2026-11-25T15:00:00Z")
    assert summary["cycles"] == 3
    assert summary["timeline"].get(f"bedrock:{MODEL}") is None
    assert summary["timeline"]["bedrock:?"] == "."


def test_the_table_shows_bedrock_rows_within_80_columns():
    table = render_table(result("server_error", "server_error"), width=80)
    lines = table.splitlines()
    assert all(len(line) <= 80 for line in lines), table
    assert any(line.startswith("bedrock") for line in lines)
    assert any(line.startswith(MODEL) and "server_error" in line for line in lines)
    assert "ServiceUnavailableException" in table
    assert " ".join(table.split()).count("Next step: " + FAILING_EVERYWHERE) == 1


def test_a_bedrock_alert_while_the_api_is_fine_is_a_warning_not_an_ok():
    import json
    from dataclasses import replace

    from functions.monitor.values import parse_quiet

    # Given BEDROCK_ALERTS, webhooks, and the Anthropic API passing all along
    hooks = "arn:aws:sns:us-east-1:123456789012:monitor-webhooks"
    config = Config(
        canary_models=(MODEL,),
        bedrock_models=CONFIG.bedrock_models,
        bedrock_alerts=True,
        webhook_topic_arn=hooks,
    )
    stored = Stored(MonitorState(), 0, {})
    for minute, outcome in enumerate(["server_error", "server_error"]):
        plan = plan_cycle(stored, result("ok", outcome, minute), config, 1000.0 + minute)
        stored = Stored(plan.state, stored.version + 1, {})
    # When Bedrock's failure opens its alert
    note = plan.notification
    assert note is not None and note.subject.startswith("WARNING: Amazon Bedrock")
    # Then it goes out as a warning (phone filters, quiet hours and pagers read the
    # severity), and the webhook raises an alarm instead of resolving one
    assert note.severity == "warning"
    body = json.loads(note.webhook)
    assert body["NewStateValue"] == "ALARM" and body["severity"] == "warning"
    assert json.loads(note.chat)["content"]["title"].startswith("🟠")
    # And quiet hours hold it like any other warning
    hour = int(result("ok", "ok").checked_at[11:13])
    quiet = replace(config, quiet_hours=parse_quiet(f"{hour}-{(hour + 2) % 24}"))
    stored = Stored(MonitorState(), 0, {})
    for minute, outcome in enumerate(["server_error", "server_error"]):
        plan = plan_cycle(stored, result("ok", outcome, minute), quiet, 1000.0 + minute)
        stored = Stored(plan.state, stored.version + 1, {})
    assert plan.notification is None and stored.state.quiet is not None
