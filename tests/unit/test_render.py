"""What people read: the check's table and the history report, from results built by hand."""

from __future__ import annotations

import io

import pytest

from functions.monitor.cli.history import render, summarise
from functions.monitor.cli.main import colour_wanted
from functions.monitor.cli.render import failed_requests, render_table, window_rate
from functions.monitor.keep.store import History
from functions.monitor.models import CanaryResult, CheckResult, Incident, StatusPage, Verdict
from functions.monitor.tell.text import duration_words, resolved_sentence

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
    assert "confirms claude-haiku-5-5" in text
    header = next(line for line in text.splitlines() if line.startswith("model"))
    assert "failed" in header and "window*" in header
    row = next(line for line in text.splitlines() if line.startswith("claude-haiku-5-5 "))
    # Then: this cycle's failed requests of those sent, and the window's platform errors
    assert " 9/9 " in row and " 9/31 " in row
    assert "failed: this cycle's failed requests / requests sent" in text
    assert "* window: platform errors" in text and "last 15 cycles" in text


@pytest.mark.parametrize(
    ("outcome", "requests", "platform", "samples", "failed"),
    [
        ("network_error", 3, 0, 1, 3),  # every request of a failed canary failed
        ("ok", 1, 0, 1, 0),
        ("ok", 3, 0, 1, 2),  # passed on the third try: two retries followed failures
        ("ok", 9, 4, 3, 6),  # three probes, six retries: at least six failures
        ("ok", 3, 1, 3, 1),  # three probes, one platform error among them
        ("skipped", 0, 0, 0, 0),
    ],
)
def test_failed_counts_every_failure_a_person_would_call_one(
    outcome, requests, platform, samples, failed
):
    assert failed_requests(outcome, requests, platform, samples) == failed


def test_a_network_error_row_never_reads_zero_failed():
    # Given: a canary whose three tries could not connect (the window counts none)
    result = _result(
        outcome="network_error",
        http_status=None,
        attempts=3,
        samples=1,
        requests=3,
        failed_requests=0,
        window={"cycles": 1, "requests": 3, "failed": 0},
    )
    row = next(
        line for line in render_table(result, width=120).splitlines() if "network_error" in line
    )
    # Then: 3/3 failed this cycle; the window's 0/3 is footnoted as platform errors only
    assert " 3/3 " in row and " 0/3 " in row


def test_an_open_alert_shows_beside_an_operational_verdict():
    # Given: an operational cycle while the store holds a flapping outage alert
    result = _result(outcome="ok", http_status=200, requests=1, failed_requests=0, samples=1)
    result.verdict = Verdict("operational", "All canaries passed")
    result.open_alert = {
        "reported": "outage",
        "since": "2026-11-25T15:40:00Z",
        "reason": "flapping",
        "good_cycles_to_close": 7,
        "why": "held open as flapping: it closes after 7 more good cycles in a row",
    }
    text = " ".join(render_table(result, width=80).split())
    # Then: the alert, why, and the count; and a next step that says it is not over
    assert "Alert still open (outage since 2026-11-25T15:40:00Z): held open as flapping" in text
    assert (
        "Next step: Keep your fallbacks ready: the alert is still open and closes by "
        "itself after 7 more good cycles in a row" in text
    )
    # And: never "Nothing to do" (the complaint) while the alert is open
    assert "Nothing to do" not in text


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
    assert window_rate({"cycles": 15, "requests": 17, "failed": 0}) == "0/17"


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
    # Then: every failed request (9: the failed cycles' all), and the platform errors (6)
    assert rate == {
        "requests": 28,
        "failed": 6,
        "share": round(6 / 28, 4),
        "failed_any": 9,
        "share_any": round(9 / 28, 4),
    }
    text = " ".join(render(summary, width=80).split())
    assert "claude-haiku-5-5: 9 of 28 requests failed (32.1%), 6 of them platform errors" in text


def test_history_of_a_network_error_never_reads_zero_failed_beside_zero_availability():
    cycles = [_cycle(i, "network_error", requests=3, failed_requests=0) for i in range(3)]
    text = " ".join(render(summarise(History(cycles, []), None), width=80).split())
    assert "9 of 9 requests failed (100.0%), 0 of them platform errors" in text
    assert "0.00%" in text
    # And: without a `since` (everything stored), the span is the stored one, not 1970
    assert text.startswith("History: 3 cycles (2026-11-25T16:00:00Z .. 2026-11-25T16:02:00Z)")


def test_history_fits_the_timeline_to_the_width():
    cycles = [_cycle(i % 60, "ok", requests=1, failed_requests=0) for i in range(300)]
    summary = summarise(History(cycles=cycles, transitions=[]), "2026-11-25T00:00:00Z")
    for width in (60, 80, 200):
        text = render(summary, width=width)
        assert max(len(line) for line in text.splitlines()) <= width


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (16, "16 s"),
        (245, "4 min 5 s"),
        (1380, "23 min"),
        (3600, "1 h"),
        (3900, "1 h 5 min"),
        (97259, "1 d 3 h"),
    ],
)
def test_a_duration_reads_right_at_every_scale(seconds, words):
    assert duration_words(seconds) == words


@pytest.mark.parametrize(
    ("since", "recovered", "said"),
    [
        ("2026-11-25T06:29:04Z", "2026-11-25T06:29:20Z", "Lasted 16 s (06:29:04 to 06:29:20)"),
        ("2026-11-25T16:02:00Z", "2026-11-25T16:25:00Z", "Lasted 23 min (16:02 to 16:25)"),
        ("2026-11-25T23:50:00Z", "2026-11-26T01:05:00Z", "Lasted 1 h 15 min (25 Nov 23:50 to"),
    ],
)
def test_the_resolved_sentence_never_reads_a_span_of_no_time(since, recovered, said):
    episode = {"since": since, "recovered": recovered, "requests": 3, "failed": 3}
    assert resolved_sentence({**episode, "worst": "outage"}).startswith(said)


def test_the_window_footnote_names_every_failure_the_window_counts():
    # Given: a canary whose answers were wrong; the window counts each wrong answer
    # (canary.py tallies every PLATFORM_OUTCOMES failure into failed_requests)
    result = _result(
        outcome="wrong_answer",
        http_status=200,
        requests=3,
        failed_requests=3,
        window={"cycles": 2, "requests": 4, "failed": 4},
    )
    text = " ".join(render_table(result, width=200).split())
    # Then: the footnote does not read as 5xx, 529, timeouts and broken streams only
    assert " 4/4 " in text
    assert "wrong answers" in text and "malformed answers" in text


@pytest.mark.parametrize(
    "garbage",
    [
        {"severity": {"a": 1}},
        {"api_status": ["major_outage"]},
        {"canaries": 5},
        {"canaries": ["claude-haiku-5-5"]},
        {"canaries": [{"outcome": "ok"}]},
        {"canaries": [{"model": "claude-haiku-5-5", "outcome": ["ok"]}]},
        {"checked_at": None, "muted_until": "2026-11-25T18:00:00Z"},
        {"verdict": None, "severity": None},
    ],
)
def test_history_skips_what_it_cannot_read_in_a_garbled_record(garbage):
    # Given: good records around one whose fields a newer or broken writer garbled
    cycles = [_cycle(i, "ok", requests=1, failed_requests=0) for i in range(5)]
    cycles[2] = {**cycles[2], **garbage}
    # When: history summarises and renders them
    summary = summarise(History(cycles=[*cycles, [], "x", None], transitions=[]), None)
    text = render(summary, width=80)
    # Then: the readable records are all there; the garbled part adds nothing
    assert summary["cycles"] >= 4 and "claude-haiku-5-5" in text


def test_an_alert_the_canaries_opened_and_cannot_close_asks_for_the_canaries():
    # Given: an operational verdict from the status page alone (no canary ran), and the
    # outage alert the canaries opened still open
    result = _result(outcome="skipped", http_status=None, requests=0, failed_requests=0)
    result.verdict = Verdict("operational", "Status page operational; canaries skipped")
    result.open_alert = {
        "reported": "unconfirmed_outage",
        "since": "2026-11-25T15:40:00Z",
        "reason": "canaries_not_run",
        "good_cycles_to_close": 2,
        "why": "the canaries that opened it could not run, so they cannot close it",
    }
    text = " ".join(render_table(result, key_present=False, width=80).split())
    # Then: the step does not promise it closes by itself; it says what closes it
    assert "closes by itself" not in text and "Nothing to do" not in text
    assert "Next step: The alert stays open until the canaries run again" in text
