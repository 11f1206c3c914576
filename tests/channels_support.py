"""A notification and its cycle result, as plain dicts, for the chat and webhook tests."""

from __future__ import annotations

from functions.monitor.models import (
    CanaryResult,
    CheckResult,
    Incident,
    StatusPage,
    Transition,
    Verdict,
)
from functions.monitor.tell.text import compose


def outage(region="eu-west-1", transitions=None, lead=4.0, verdict="outage", reachable=True):
    page = StatusPage(
        reachable,
        error=None if reachable else "HTTP 503 from the status page",
        api_status="major_outage",
        description="Major outage",
        incidents=[
            Incident(
                "inc1",
                "Elevated errors on Claude API",
                "investigating",
                "major",
                "https://stspg.io/abc",
                ["Claude API (api.anthropic.com)"],
                None,
                started_at="2026-11-25T15:55:00Z",
                confirms=["api"],
            )
        ],
    )
    canaries = [
        CanaryResult(
            "claude-haiku-5-5",
            "overloaded",
            http_status=529,
            request_id="req_9",
            attempts=3,
            detail="upstream text that must not leak",
        ),
        CanaryResult(
            "claude-sonnet-4-5",
            "ok",
            http_status=200,
            request_id="req_8",
            attempts=1,
            latency_ms=700,
        ),
    ]
    result = CheckResult(
        "2026-11-25T16:00:00Z",
        Verdict(verdict, "Anthropic confirms an outage"),
        page,
        canaries,
        region=region,
        lead_time_min=lead,
    )
    result.transitions = (
        [Transition("overall", "operational", verdict)] if transitions is None else transitions
    )
    note = compose("n-42", result.transitions, result, lead)
    return note.to_dict(), result.to_dict()
