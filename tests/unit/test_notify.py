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
from functions.monitor.notify import _GSM7, SMS_MAX, SUBJECT_MAX, compose, gsm7


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
