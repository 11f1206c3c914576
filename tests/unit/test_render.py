"""What people read: the check's table and the history report, from results built by hand."""

from __future__ import annotations

import io

import pytest

from functions.monitor.cli.history import render, summarise
from functions.monitor.cli.main import colour_wanted
from functions.monitor.cli.render import render_table, window_rate
from functions.monitor.keep.store import History
from functions.monitor.models import CanaryResult, CheckResult, Incident, StatusPage, Verdict

URL = "https://stspg.io/a-rather-long-incident-shortlink-0001"


def _result(**canary: object) -> CheckResult:
    incident = Incident(
        id="inc1",
        name="Elevated errors on Claude Haiku 5.5 for requests in several regions",
        status="investigating",
        impact="none",
        shortlink=URL,
        components=[],
        created_at="2026-11-25T16:00:00Z",
        confirms=["claude-haiku-5-5"],
    )
    page = StatusPage(
        reachable=True,
        indicator="major",
        description="Partial System Outage",
        api_status="major_outage",
        incidents=[incident],
    )
    fields: dict[str, object] = {
        "model": "claude-haiku-5-5",
        "outcome": "overloaded",
        "http_status": 529,
        "attempts": 3,
        "request_id": "req_011CVabcdefghijklmnopqrs",
        "samples": 3,
        "requests": 9,
        "failed_requests": 9,
        "window": {"cycles": 15, "requests": 31, "failed": 9},
    }
    fields.update(canary)
    verdict = Verdict(
        "outage",
        "Outage confirmed by the status page (major_outage): claude-haiku-5-5 overloaded "
        "in 9 of 31 requests over the last 15 cycles",
    )
    return CheckResult(
        checked_at="2026-11-25T16:07:00Z",
        verdict=verdict,
        status_page=page,
        canaries=[CanaryResult(**fields)],  # type: ignore[arg-type]
    )


def test_the_table_shows_window_rate_samples_and_what_the_incident_confirms():
    text = render_table(_result(), width=120)
    assert "9/31 failed" in text
    assert "confirms claude-haiku-5-5" in text
    header = next(line for line in text.splitlines() if line.startswith("model"))
    assert "sent" in header and "window" in header
    row = next(line for line in text.splitlines() if line.startswith("claude-haiku-5-5 "))
    assert " 3 " in row  # samples sent this cycle


@pytest.mark.parametrize("width", [60, 80, 100])
def test_the_table_wraps_on_words_to_the_width(width):
    result = _result()
    text = render_table(result, width=width)
    for line in text.splitlines():
        # never longer than the width, unless one unbreakable word (the URL) is
        assert len(line) <= width or URL in line, line
    # every word arrives whole: nothing is broken mid-word
    tokens = set(text.split())
    assert set(result.verdict.summary.split()) <= tokens
    assert URL in tokens
    assert "Next step:" in text


def test_a_window_without_requests_shows_a_dash():
    assert window_rate(None) == "-"
    assert window_rate({"cycles": 0, "requests": 0, "failed": 0}) == "-"
    assert window_rate({"cycles": 15, "requests": 17, "failed": 0}) == "0/17 failed"


def test_without_a_key_network_error_does_not_claim_the_api_was_unreachable():
    result = _result(outcome="skipped", http_status=None, attempts=0, samples=0)
    result.verdict = Verdict("network_error", "Nothing could be checked")
    text = render_table(result, key_present=False, width=80)
    assert "The API could not be reached" not in text
    assert "no API request was made" in text


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "stream", "wanted"),
    [
        ({"TERM": "xterm"}, _Tty(), True),
        ({"TERM": "xterm", "NO_COLOR": "1"}, _Tty(), False),
        ({"TERM": "xterm", "NO_COLOR": ""}, _Tty(), True),  # empty is unset (no-color.org)
        ({"TERM": "dumb"}, _Tty(), False),
        ({"TERM": "xterm"}, io.StringIO(), False),  # a pipe or a file
    ],
)
def test_colour_only_for_a_terminal_without_no_color_or_term_dumb(monkeypatch, env, stream, wanted):
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert colour_wanted(stream) is wanted


def _cycle(i: int, outcome: str, **counts: int) -> dict:
    return {
        "checked_at": f"2026-11-25T16:{i:02d}:00Z",
        "verdict": "operational" if outcome == "ok" else "unconfirmed_outage",
        "severity": "ok" if outcome == "ok" else "critical",
        "api_status": "operational",
        "canaries": [{"model": "claude-haiku-5-5", "outcome": outcome, **counts}],
    }


def test_history_shows_the_failure_rate_per_model_and_tolerates_old_records():
    cycles = [_cycle(0, "ok")]  # an old record, without counts
    cycles += [_cycle(i, "ok", requests=1, failed_requests=0) for i in range(1, 20)]
    cycles += [_cycle(20 + i, "overloaded", requests=3, failed_requests=2) for i in range(3)]
    summary = summarise(History(cycles=cycles, transitions=[]), "2026-11-25T00:00:00Z")
    rate = summary["failure_rate"]["canary:claude-haiku-5-5"]
    assert rate == {"requests": 28, "failed": 6, "share": round(6 / 28, 4)}
    text = render(summary, width=80)
    assert "claude-haiku-5-5: 6 of 28 requests failed (21.4%)" in text


def test_history_fits_the_timeline_to_the_width():
    cycles = [_cycle(i % 60, "ok", requests=1, failed_requests=0) for i in range(300)]
    summary = summarise(History(cycles=cycles, transitions=[]), "2026-11-25T00:00:00Z")
    for width in (60, 80, 200):
        text = render(summary, width=width)
        assert max(len(line) for line in text.splitlines()) <= width
