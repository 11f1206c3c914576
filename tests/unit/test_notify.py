"""Notification limits: subject <= 100 ASCII, SMS one GSM-7 part, email complete."""

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.monitor.models import (
    SEVERITY,
    CanaryResult,
    CheckResult,
    Incident,
    StatusPage,
    Transition,
    Verdict,
)
from functions.monitor.tell.text import (
    _GSM7,
    SMS_MAX,
    SUBJECT_MAX,
    Extra,
    compose,
    gsm7,
    lead_sentence,
)


def result(
    verdict="outage", models=("claude-haiku-4-5",), outcome="overloaded", region="eu-west-1"
):
    page = StatusPage(
        True,
        api_status="major_outage",
        description="Partial System Outage",
        incidents=[
            Incident(
                "i",
                "Elevated errors",
                "investigating",
                "major",
                "https://stspg.io/x",
                ["API"],
                None,
            )
        ],
    )
    canaries = [
        CanaryResult(m, outcome, http_status=529, request_id="req_1", attempts=3, latency_ms=None)
        for m in models
    ]
    return CheckResult(
        "2026-11-25T16:00:00Z", Verdict(verdict, "summary here"), page, canaries, region=region
    )


def test_the_email_says_what_changed_the_verdict_canaries_incidents_and_next_step():
    n = compose("n-1", [Transition("overall", "operational", "outage")], result(), 6.0)
    for text in (
        "overall: operational -> outage",
        "Verdict: outage (critical)",
        "claude-haiku-4-5: overloaded, HTTP 529, request id req_1",
        "https://stspg.io/x",
        "Next step:",
        "Seen 6 min before the status page",
        "Region: eu-west-1",
    ):
        assert text in n.email, text
    assert n.severity == "critical" and n.verdict == "outage"
    assert "eu-west-1" in n.subject


@settings(max_examples=200, deadline=None)
@given(
    verdict=st.sampled_from(sorted(SEVERITY)),
    models=st.lists(st.text(min_size=1, max_size=60), min_size=1, max_size=25),
    region=st.text(max_size=30),
)
def test_property_subject_and_sms_always_fit(verdict, models, region):
    n = compose(
        "n",
        [Transition("overall", "operational", verdict)],
        result(verdict, tuple(models), region=region),
        12.0,
    )
    assert len(n.subject) <= SUBJECT_MAX
    assert all(32 <= ord(ch) < 127 for ch in n.subject)
    assert len(n.sms) <= SMS_MAX
    assert set(n.sms) <= _GSM7


def test_gsm7_replaces_what_it_cannot_carry():
    assert gsm7("a[b]c€ ✓") == "a(b)cEUR ?"


def test_lead_sentence_says_when_the_page_posted_and_dated_the_impact():
    lead = {
        "minutes": 12.0,
        "created_at": "2026-11-25T14:07:10Z",
        "started_at": "2026-11-25T13:55:00Z",
    }
    assert lead_sentence(lead) == (
        "Seen 12 min before the status page posted an incident "
        "(posted 14:07, impact dated from 13:55)."
    )
    assert lead_sentence({"minutes": 12.0, "created_at": "2026-11-25T14:07:10Z"}) == (
        "Seen 12 min before the status page posted an incident (posted 14:07)."
    )
    assert lead_sentence({"minutes": 6.0}) == "Seen 6 min before the status page."
    assert lead_sentence(None) == lead_sentence({"minutes": 0}) == ""


def test_resolved_message_gives_duration_failed_share_and_worst_verdict():
    episode = {
        "since": "2026-11-25T16:02:00Z",
        "recovered": "2026-11-25T16:25:00Z",
        "requests": 120,
        "failed": 31,
        "worst": "outage",
    }
    n = compose(
        "n-2",
        [Transition("overall", "outage", "operational")],
        result("operational", outcome="ok"),
        None,
        extra=Extra(resolved=episode),
    )
    assert n.subject.startswith("RESOLVED")
    want = "Lasted 23 min (16:02 to 16:25); 31 of 120 requests failed (26%); worst: outage."
    assert want in n.email
    assert "Lasted 23 min" in n.sms and len(n.sms) <= SMS_MAX


def test_a_flapping_notice_says_so_in_subject_and_email():
    n = compose("n-3", [], result("unconfirmed_outage"), None, extra=Extra(flapping=True))
    assert n.subject.startswith("FLAPPING") and "flapping" in n.email
    assert n.severity == "critical"


def test_an_intercepted_answer_gives_the_middlebox_next_step():
    verdict = Verdict("network_error", "No canary reached the API", "Check the proxy.")
    r = result("network_error", outcome="intercepted")
    r.verdict = verdict
    n = compose("n-4", [Transition("overall", "operational", "network_error")], r, None)
    assert "Next step: Check the proxy." in n.email


@settings(max_examples=100, deadline=None)
@given(
    models=st.lists(st.text(min_size=1, max_size=60), min_size=1, max_size=10),
    name=st.text(max_size=200),
    minutes=st.floats(min_value=0, max_value=10_000),
)
def test_property_sms_fits_with_every_extra(models, name, minutes):
    lead = {"minutes": minutes, "created_at": "2026-11-25T14:07:10Z", "incident": name}
    episode = {
        "since": "2026-11-25T14:00:00Z",
        "recovered": "2026-11-26T14:00:00Z",
        "requests": 10**9,
        "failed": 10**8,
        "worst": "unconfirmed_outage",
    }
    for transitions in ([Transition("overall", "outage", "operational")], []):
        n = compose(
            "n",
            transitions,
            result(models=tuple(models)),
            minutes,
            extra=Extra(lead=lead, flapping=True, resolved=episode),
        )
        assert len(n.sms) <= SMS_MAX and set(n.sms) <= _GSM7
        assert len(n.subject) <= SUBJECT_MAX


def test_given_a_flap_held_open_on_a_good_cycle_then_the_step_is_never_the_all_clear():
    # Given an outage alert held open as flapping (the plan passes the open alert's
    # verdict), announced on a cycle whose verdict is good
    good = result("operational", outcome="ok")
    n = compose("n-4", [], good, None, extra=Extra(flapping=True, held="outage"))
    # Then it carries the open alert, and neither the SMS nor the email says "Nothing
    # to do": the alert is still open
    assert n.severity == "critical" and n.verdict == "outage"
    assert "Nothing to do" not in n.sms and "Nothing to do" not in n.email
    assert "stays open" in n.email and "fallbacks" in n.sms


def test_given_a_reminder_of_an_open_outage_on_a_good_cycle_then_the_step_says_still_open():
    # Given a reminder of an open outage that falls due on one good cycle (a blip)
    good = result("operational", outcome="ok")
    n = compose("n-5", [], good, None, reminder=True, extra=Extra(held="outage"))
    # Then it carries the open alert (issue 18) and its step is not the all-clear
    assert n.severity == "critical" and n.verdict == "outage"
    assert "Nothing to do" not in n.email and "stays open" in n.email


def test_given_a_digest_of_a_still_open_alert_on_a_good_cycle_then_no_all_clear():
    from functions.monitor.tell.text import compose_digest

    good = result("operational", outcome="ok")
    n = compose_digest("held: outage at 22:41", "critical", "outage", 2, good)
    assert "Nothing to do" not in n.email and "stays open" in n.email
    # And a digest whose alert closed says what the verdict says
    closed = compose_digest("held: resolved", "ok", "operational", 1, good)
    assert "Nothing to do" in closed.email


def test_given_a_digest_of_a_closed_alert_on_a_bad_blip_then_it_never_says_it_stays_open():
    from functions.monitor.tell.text import compose_digest

    # Given the alert closed (operational) and the cycle releasing the digest a blip
    # below FAILURE_THRESHOLD (degraded, not reported)
    blip = result("degraded", outcome="slow")
    n = compose_digest("held: resolved at 03:10", "ok", "operational", 1, blip)
    # Then it does not claim an alert "stays open: operational (ok)"
    assert "stays open" not in n.email and n.severity == "ok"
