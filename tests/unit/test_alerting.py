"""Hysteresis, lead time, reminders and the one-notification-per-cycle plan. Pure."""

from dataclasses import replace

from functions.monitor.config import Config
from functions.monitor.decide.hysteresis import advance
from functions.monitor.decide.state import OVERALL, MonitorState, OutboxEntry, Stored, TargetState
from functions.monitor.decide.verdict import decide
from functions.monitor.models import CanaryResult, CheckResult, StatusPage, Verdict
from functions.monitor.plan import plan_cycle

CONFIG = Config(failure_threshold=2, recovery_threshold=2)


def run(values, fail=2, recover=2):
    """Feed one target a sequence of observations; return the transitions as tuples."""
    targets, seen = {}, []
    for value in values:
        targets, moved = advance(targets, {"t": (value, "ok")}, fail, recover)
        seen += [(t.from_, t.to) for t in moved]
    return seen, targets["t"]


def test_a_single_bad_cycle_is_a_blip_and_gives_no_alert():
    assert run(["ok", "bad", "ok", "ok"])[0] == []


def test_an_alert_opens_after_the_failure_threshold_and_closes_after_recovery():
    seen, state = run(["ok", "bad", "bad", "bad", "ok", "ok"])
    assert seen == [("ok", "bad"), ("bad", "ok")]
    assert not state.alerting


def test_flapping_never_opens_an_alert():
    assert run(["bad", "ok"] * 20)[0] == []


def test_one_good_cycle_inside_an_outage_does_not_close_it():
    seen, state = run(["bad", "bad", "ok", "bad", "ok", "bad"])
    assert seen == [("ok", "bad")] and state.alerting


def test_a_new_bad_value_while_open_must_persist_before_it_is_announced():
    seen, _ = run(["a", "a", "b", "a", "b", "b"])
    assert seen == [("ok", "a"), ("a", "b")]


def test_thresholds_of_one_alert_and_recover_immediately():
    assert run(["bad", "ok"], fail=1, recover=1)[0] == [("ok", "bad"), ("bad", "ok")]


def test_a_target_not_observed_keeps_its_state():
    targets, _ = advance({"t": TargetState("bad", alerting=True)}, {}, 2, 2)
    assert targets["t"].alerting


def result_at(minute, verdict, api_status="operational", incident=False, outcome="ok"):
    page = StatusPage(reachable=True, api_status=api_status, api_incident=incident)
    canaries = [CanaryResult("claude-haiku-4-5", outcome, attempts=1)]
    got = decide(page, canaries)
    assert got.verdict == verdict, got
    return CheckResult(f"2026-11-25T16:{minute:02d}:00Z", got, page, canaries)


def cycle(results, config=CONFIG, now=1000.0):
    stored = Stored(MonitorState(), 0, {})
    plans = []
    for r in results:
        plan = plan_cycle(stored, r, config, now)
        plans.append(plan)
        stored = Stored(plan.state, stored.version + 1, {} if plan.notification else plan.outbox)
        now += 60
    return plans


def test_given_an_outage_timeline_then_notifications_are_few_and_carry_the_lead_time():
    plans = cycle(
        [
            result_at(0, "operational"),
            result_at(1, "unconfirmed_outage", outcome="overloaded"),
            result_at(2, "unconfirmed_outage", outcome="overloaded"),
            result_at(3, "unconfirmed_outage", outcome="overloaded"),
            result_at(7, "outage", "major_outage", True, "overloaded"),
            result_at(8, "outage", "major_outage", True, "overloaded"),
            result_at(9, "operational"),
            result_at(10, "operational"),
        ]
    )
    sent = [(i, p.notification) for i, p in enumerate(plans) if p.notification]
    assert [i for i, _ in sent] == [2, 5, 7]
    assert plans[4].lead_time_min == 6.0  # first seen 16:01, confirmed 16:07
    _, confirmed = sent[1]
    assert "Seen 6 min before the status page" in confirmed.email
    assert "Seen 6 min" in confirmed.sms
    assert sent[2][1].subject.startswith("RESOLVED")
    overall = [t.to_dict() for p in plans for t in p.transitions if t.target == OVERALL]
    assert overall == [
        {"target": "overall", "from": "operational", "to": "unconfirmed_outage"},
        {"target": "overall", "from": "unconfirmed_outage", "to": "outage"},
        {"target": "overall", "from": "outage", "to": "operational"},
    ]


def test_status_page_only_transitions_are_recorded_without_waking_anyone():
    plans = cycle([result_at(0, "degraded", "degraded_performance")] * 2)
    moved = [t.target for t in plans[1].transitions]
    assert "status_page" in moved and "overall" in moved
    assert plans[1].notification is not None
    # Now the page changes while the overall verdict stays degraded: recorded, silent.
    plans = cycle(
        [result_at(0, "degraded", "degraded_performance")] * 2
        + [result_at(2, "degraded", "partial_outage")] * 2
    )
    assert [t.target for t in plans[3].transitions] == ["status_page"]
    assert plans[3].notification is None


def test_a_reminder_is_sent_while_an_alert_stays_open():
    config = replace(CONFIG, reminder_minutes=3)
    bad = [result_at(m, "unconfirmed_outage", outcome="overloaded") for m in range(8)]
    plans = cycle(bad, config)
    sent = [i for i, p in enumerate(plans) if p.notification]
    assert sent == [1, 4, 7]
    assert plans[4].notification.subject.startswith("REMINDER")


def test_no_reminders_by_default():
    bad = [result_at(m, "unconfirmed_outage", outcome="overloaded") for m in range(30)]
    assert sum(1 for p in cycle(bad) if p.notification) == 1


def test_a_stale_outbox_entry_is_taken_over_and_merged_into_one_notification():
    entry = OutboxEntry(
        "n-old",
        created_wall=0.0,
        transitions=[{"target": "overall", "from": "operational", "to": "outage"}],
        notification={},
    )
    stored = Stored(MonitorState(), 3, {"n-old": entry})
    plan = plan_cycle(stored, result_at(5, "operational"), CONFIG, now_wall=1000.0)
    assert plan.taken_over == ["n-old"]
    assert list(plan.outbox) == [plan.notification.id]
    assert "overall: operational -> outage" in plan.notification.email


def test_a_fresh_outbox_entry_of_another_cycle_is_left_to_its_owner():
    entry = OutboxEntry("n-new", created_wall=995.0, transitions=[], notification={})
    stored = Stored(MonitorState(), 3, {"n-new": entry})
    plan = plan_cycle(stored, result_at(5, "operational"), CONFIG, now_wall=1000.0)
    assert plan.notification is None and "n-new" in plan.outbox


def test_state_round_trips_through_json():
    state = MonitorState(
        targets={"overall": TargetState("outage", True, 0, 1, "x", 1)},
        suspected_at="2026-11-25T16:00:00Z",
        pending_lead_time_min=3.0,
    )
    assert MonitorState.from_json(state.to_json()) == state


def test_verdict_helper_is_consistent():
    assert Verdict("outage", "s").severity == "critical"
