"""Signal quality over time: incidents that confirm by text, the status page's lag,
RESOLVED figures, holding an alert when the canaries cannot run, flap damping, and
the hysteresis invariants under random sequences. Pure: plan_cycle over data."""

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.monitor.config import Config
from functions.monitor.decide.state import OVERALL, MonitorState, Stored
from functions.monitor.decide.verdict import decide
from functions.monitor.models import CanaryResult, CheckResult, Incident, StatusPage
from functions.monitor.plan import plan_cycle

MODEL = "claude-haiku-5-5"
CONFIG = Config(canary_models=(MODEL,), failure_threshold=2, recovery_threshold=2)
HAIKU_INCIDENT = Incident(
    "inc1",
    "Elevated errors on Claude Haiku 5.5",
    "investigating",
    "none",
    "https://stspg.io/h55",
    [],
    "2026-11-25T16:04:30Z",
    started_at="2026-11-25T15:58:00Z",
    confirms=[MODEL],
)


def page(api="operational", incidents=(), reachable=True, api_incident=False):
    if not reachable:
        return StatusPage(False, error="status page answered HTTP 503")
    return StatusPage(True, api_status=api, incidents=list(incidents), api_incident=api_incident)


def canary(outcome="ok", requests=None, failed=None):
    bad = outcome not in ("ok", "skipped")
    return CanaryResult(
        MODEL,
        outcome,
        requests=(3 if bad else 1) if requests is None else requests,
        failed_requests=(3 if bad else 0) if failed is None else failed,
    )


def at(minute):
    return f"2026-11-25T{16 + minute // 60:02d}:{minute % 60:02d}:00Z"


def replay(steps, config=CONFIG):
    """steps: (status page, canary outcome) per minute from 16:01. Returns the plans."""
    stored = Stored(MonitorState(), 0, {})
    plans = []
    for minute, (status, outcome) in enumerate(steps, start=1):
        canaries = [canary(outcome)]
        result = CheckResult(at(minute), decide(status, canaries), status, canaries)
        plan = plan_cycle(stored, result, config, 1000.0 + 60 * minute)
        plan.result = result  # for the assertions below
        plans.append(plan)
        stored = Stored(plan.state, stored.version + 1, {})
    return plans


def sent(plans):
    return [(i + 1, p.notification) for i, p in enumerate(plans) if p.notification]


# ------------------------------------------------------ item 2: incidents confirm


def test_given_an_incident_naming_the_failing_model_then_the_verdict_is_outage():
    verdict = decide(page(incidents=[HAIKU_INCIDENT]), [canary("overloaded")])
    assert verdict.verdict == "outage"
    assert f'"Elevated errors on Claude Haiku 5.5" confirms {MODEL}' in verdict.summary


def test_given_an_incident_confirming_the_api_then_any_failing_model_is_confirmed():
    api_text = Incident("i2", "Errors on the API", "identified", "major", None, [], None)
    api_text.confirms = ["api"]
    assert decide(page(incidents=[api_text]), [canary("timeout")]).verdict == "outage"


def test_given_an_incident_confirming_nothing_then_nothing_changes():
    claude_ai = Incident("i3", "claude.ai login errors", "investigating", "minor", None, [], None)
    assert decide(page(incidents=[claude_ai]), [canary("overloaded")]).verdict == (
        "unconfirmed_outage"
    )
    assert decide(page(incidents=[claude_ai]), [canary("ok")]).verdict == "operational"


def test_given_an_incident_naming_another_model_then_this_failure_is_unconfirmed():
    other = Incident("i4", "Errors on Opus 5.5", "investigating", "minor", None, [], None)
    other.confirms = ["claude-opus-5-5"]
    assert decide(page(incidents=[other]), [canary("server_error")]).verdict == (
        "unconfirmed_outage"
    )


def test_given_an_incident_confirming_the_model_and_canaries_pass_then_degraded():
    verdict = decide(page(incidents=[HAIKU_INCIDENT]), [canary("ok")])
    assert verdict.verdict == "degraded" and "open incident" in verdict.summary


# ------------------------------------------------ item 3: the status page's lag


def test_given_a_text_incident_then_lead_time_is_measured_from_its_posting_time():
    bad = (page(), "overloaded")
    confirmed = (page(incidents=[HAIKU_INCIDENT]), "overloaded")
    plans = replay([bad, bad, bad, bad, confirmed, confirmed, (page(), "ok"), (page(), "ok")])
    # First failure 16:01, incident posted 16:04:30: 3.5 min, not the 4 cycles to 16:05.
    assert plans[4].lead_time_min == 3.5
    assert plans[4].state.lead["started_at"] == "2026-11-25T15:58:00Z"
    notes = sent(plans)
    assert [i for i, _ in notes] == [2, 6, 8]
    confirmed_note = notes[1][1]
    assert "unconfirmed_outage -> outage" in confirmed_note.email
    want = "before the status page posted an incident (posted 16:04, impact dated from 15:58)"
    assert want in confirmed_note.email
    assert f'Incident "Elevated errors on Claude Haiku 5.5" confirms {MODEL}' in (
        confirmed_note.email
    )
    assert "Seen 4 min before" in confirmed_note.sms  # 3.5 rounds to 4 in words
    assert "Seen" not in notes[2][1].sms


def test_given_a_component_confirmation_without_an_incident_then_cycles_are_counted():
    bad = (page(), "overloaded")
    confirmed = (page("major_outage"), "overloaded")
    plans = replay([bad, bad, bad, confirmed, confirmed])
    assert plans[3].lead_time_min == 3.0
    assert "Seen 3 min before the status page." in sent(plans)[1][1].email


# ------------------------------------------------------ item 4: RESOLVED figures


def test_given_an_outage_then_resolved_says_how_long_how_many_failed_and_the_worst():
    steps = [(page(), "ok"), (page(), "overloaded"), (page(), "overloaded")]
    steps += [(page("major_outage", api_incident=True), "overloaded")] * 3
    steps += [(page(), "ok")] * 2
    plans = replay(steps)
    resolved = sent(plans)[-1][1]
    assert resolved.subject.startswith("RESOLVED")
    # Bad from 16:02 to the first good cycle at 16:07; 15 of 17 requests failed.
    assert "Lasted 5 min (16:02 to 16:07)" in resolved.email
    assert "15 of 17 requests failed (88%)" in resolved.email
    assert "worst: outage" in resolved.email
    assert "Lasted 5 min" in resolved.sms
    assert plans[-1].state.episode is None


# ------------------------------------------- item 7: canaries could not run


def test_given_the_key_is_lost_mid_outage_then_no_resolved_is_sent():
    steps = [(page(), "overloaded")] * 2 + [(page(), "skipped")] * 3
    plans = replay(steps)
    assert [i for i, _ in sent(plans)] == [2]
    assert plans[-1].state.targets[OVERALL].alerting
    assert "canaries unknown" in plans[-1].result.verdict.summary
    # The key comes back and the canaries pass: the alert closes as usual.
    plans = replay(steps + [(page(), "ok")] * 2)
    assert sent(plans)[-1][1].subject.startswith("RESOLVED")
    assert [i for i, _ in sent(plans)] == [2, 7]


def test_given_an_alert_opened_by_the_page_alone_then_the_page_may_close_it():
    steps = [(page("major_outage"), "skipped")] * 2 + [(page(), "skipped")] * 2
    plans = replay(steps)
    assert [n.subject.split(":")[0] for _, n in sent(plans)] == ["CRITICAL", "RESOLVED"]


def test_given_the_key_is_lost_then_a_worse_page_still_moves_the_alert():
    steps = [(page("degraded_performance"), "ok")] * 2 + [(page("major_outage"), "skipped")] * 2
    plans = replay(steps)
    overall = [t.to for p in plans for t in p.transitions if t.target == OVERALL]
    assert overall == ["degraded", "outage"]


# --------------------------------------------------------- item 8: flapping


def test_a_two_bad_two_good_flap_for_an_hour_sends_a_handful_and_says_flapping_once():
    flap = ([(page(), "overloaded")] * 2 + [(page(), "ok")] * 2) * 15
    plans = replay(flap)
    notes = sent(plans)
    # Open, close, open, then held as one flapping event: 4 messages, not 30.
    assert len(notes) == 4, [n.subject for _, n in notes]
    assert sum(1 for _, n in notes if n.subject.startswith("FLAPPING")) == 1
    # The notice stands for the held outage alert, so the phone filter keeps it.
    assert (notes[-1][1].severity, notes[-1][1].verdict) == ("critical", "unconfirmed_outage")
    assert "flapping" in notes[-1][1].email
    assert plans[-1].state.targets[OVERALL].alerting
    # After a clean stretch it closes, once.
    plans = replay(flap + [(page(), "ok")] * 20)
    after = [n.subject.split(":")[0] for i, n in sent(plans) if i > 60]
    assert after == ["RESOLVED"]


# ------------------------------------------- item 9: a stale lead time dies


def test_an_unannounced_lead_time_never_rides_on_a_later_resolved():
    bad = (page(), "overloaded")
    steps = [bad, bad, (page("major_outage"), "overloaded"), (page(), "ok"), (page(), "ok")]
    plans = replay(steps)
    assert plans[2].lead_time_min == 2.0  # measured, but the outage verdict lasted 1 cycle
    resolved = sent(plans)[-1][1]
    assert resolved.subject.startswith("RESOLVED")
    assert "Seen" not in resolved.sms and "Seen" not in resolved.email
    assert plans[-1].state.lead is None and plans[-1].state.pending_lead_time_min is None


# ------------------------------------------------ the invariants, at random

STEPS = [
    (page(), "ok"),
    (page(), "overloaded"),
    (page("major_outage"), "overloaded"),
    (page(), "slow"),
    (page(), "skipped"),
    (page("major_outage"), "skipped"),
    (page(reachable=False), "ok"),
    (page(incidents=[HAIKU_INCIDENT]), "timeout"),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, len(STEPS) - 1), min_size=1, max_size=80))
def test_no_transition_is_lost_and_no_alert_closes_without_recovery_cycles(picks):
    plans = replay([STEPS[i] for i in picks])
    verdicts = [p.result.verdict.verdict for p in plans]
    last = "operational"
    for i, plan in enumerate(plans):
        for t in (t for t in plan.transitions if t.target == OVERALL):
            assert t.from_ == last, "a transition was lost"
            last = t.to
            line = f"overall: {t.from_} -> {t.to}"
            assert plan.notification is not None and line in plan.notification.email
            window = verdicts[max(0, i - CONFIG.recovery_threshold + 1) : i + 1]
            if t.to == "operational":
                assert len(window) == CONFIG.recovery_threshold
                assert set(window) == {"operational"}, "closed without recovery cycles"
            elif t.from_ == "operational":
                assert "operational" not in verdicts[i - CONFIG.failure_threshold + 1 : i + 1]
    final = plans[-1].state.targets[OVERALL]
    assert final.reported == last and final.alerting == (last != "operational")


# ------------------------------------------------ item 6: an unreadable page


def test_given_canaries_pass_and_the_page_is_unreadable_then_nothing_is_sent_but_recorded():
    steps = [(page(), "ok")] + [(page(reachable=False), "ok")] * 3 + [(page(), "ok")] * 2
    plans = replay(steps)
    assert sent(plans) == []
    assert {p.result.verdict.verdict for p in plans} == {"operational"}
    moved = [(t.from_, t.to) for p in plans for t in p.transitions if t.target == "status_page"]
    assert moved == [("operational", "unreadable"), ("unreadable", "operational")]


def test_the_plan_and_a_record_helper_say_which_incident_confirmed_which_model():
    from functions.monitor.decide.verdict import confirmed_by

    bad = (page(), "overloaded")
    plans = replay([bad] * 4 + [(page(incidents=[HAIKU_INCIDENT]), "overloaded")])
    assert plans[4].lead == {
        "minutes": 3.5,
        "first_failure": "2026-11-25T16:01:00Z",
        "incident": "Elevated errors on Claude Haiku 5.5",
        "created_at": "2026-11-25T16:04:30Z",
        "started_at": "2026-11-25T15:58:00Z",
        "models": [MODEL],
    }
    assert plans[3].lead is None
    result = plans[4].result
    assert confirmed_by(result.status_page, result.canaries) == [
        {"incident": "inc1", "name": "Elevated errors on Claude Haiku 5.5", "model": MODEL}
    ]


def test_given_the_key_was_lost_then_recovery_is_dated_from_the_canaries_passing_again():
    steps = [(page(), "overloaded")] * 2 + [(page(), "skipped")] * 3 + [(page(), "ok")] * 2
    resolved = sent(replay(steps))[-1][1]
    # Bad from 16:01; the canaries passed again at 16:06, not at 16:03 when they stopped.
    assert "Lasted 5 min (16:01 to 16:06)" in resolved.email


# ------------------------------- a partial outage: hidden failures, then the page


def test_given_a_partial_outage_then_warning_and_later_the_page_confirmation_with_lead():
    posted = Incident(
        "inc9",
        "Elevated errors on Claude Haiku 5.5",
        "investigating",
        "none",
        None,
        [],
        "2026-11-25T16:09:00Z",
        started_at="2026-11-25T16:00:00Z",
        confirms=[MODEL],
    )
    stored = Stored(MonitorState(), 0, {})
    plans = []
    for minute in range(1, 13):
        status = page(incidents=[posted]) if minute >= 10 else page()
        canaries = [canary("ok", requests=4, failed=1)]  # 1 in 4 fails, retries hide it
        result = CheckResult(at(minute), decide(status, canaries), status, canaries)
        plans.append(plan_cycle(stored, result, CONFIG, 1000.0 + 60 * minute))
        plans[-1].result = result
        stored = Stored(plans[-1].state, minute, {})
    notes = sent(plans)
    # The score crosses its threshold at 16:07 (7 cycles of 1 failure in 4 requests);
    # the hysteresis tells at 16:08.
    assert [i for i, _ in notes] == [8, 10]
    warning, confirmed = notes[0][1], notes[1][1]
    assert warning.subject.startswith("WARNING: Claude API degraded")
    assert "requests failed in the last" in warning.email
    # Our score was open from 16:07; the page posted at 16:09.
    assert plans[9].lead_time_min == 2.0
    assert confirmed.subject.startswith("CONFIRMED")
    assert "Seen 2 min before the status page posted an incident (posted 16:09" in (confirmed.email)
    assert confirmed.severity == "warning"
