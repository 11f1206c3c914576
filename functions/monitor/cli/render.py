"""The table people read after `check`, wrapped on words to the terminal's width."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from ..decide.hold import NO_CANARIES
from ..decide.loopback import NOTHING_ANSWERS
from ..decide.verdict import next_step
from ..models import OK, SKIPPED, SLOW, CanaryResult, CheckResult
from ..tell.text import answer_line, lead_words
from .regions import region_lines

_COLOUR = {"ok": "32", "warning": "33", "critical": "31", "unknown": "35"}
# Without a key no API request is made, so "the API could not be reached" would mislead.
NO_KEY_NETWORK_STEP = (
    "Nothing could be checked from here: the status page could not be read, and without "
    "ANTHROPIC_API_KEY no API request was made. Check DNS, proxy and firewall for "
    "status.claude.com, or set the key to probe the API itself."
)


def _ms(value: int | None) -> str:
    return "-" if value is None else f"{value} ms"


def _wrap(text: str, width: int, indent: str = "", hang: str = "  ") -> list[str]:
    """Wrap on words only: URLs, ids and words like major_outage are never split."""
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent + hang,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent]


def window_rate(window: dict[str, int] | None) -> str:
    """'9/31' platform errors over the model's sliding window, or '-' before there is one."""
    if not window or not window.get("requests"):
        return "-"
    return f"{window.get('failed', 0)}/{window['requests']}"


def failed_requests(outcome: str, requests: int, platform_failed: int, samples: int) -> int:
    """Of this cycle's requests (retries included), how many failed for any reason: a
    person's count, not the error window's (platform errors only).

    A retry follows only a failure, so a model that failed in the end failed every
    request; one that passed failed at least its retries (every request beyond one
    per probe) and its platform errors."""
    if outcome == SKIPPED or requests <= 0:
        return 0
    if outcome not in (OK, SLOW):
        return requests
    return min(requests, max(platform_failed, requests - max(samples, 1)))


def cycle_rate(c: CanaryResult) -> str:
    """'2/3': this cycle's failed requests of those sent, retries included."""
    requests = c.requests or c.attempts
    if c.outcome == SKIPPED or requests <= 0:
        return "-"
    return f"{failed_requests(c.outcome, requests, c.failed_requests, c.samples)}/{requests}"


def window_note(result: CheckResult) -> list[str]:
    """The footnotes of the two counting columns: what each counts."""
    ran = [c for c in result.canaries if c.outcome != SKIPPED]
    if not ran:
        return []
    notes = ["failed: this cycle's failed requests / requests sent (retries included)."]
    cycles = [c.window.get("cycles", 0) for c in ran if c.window]
    if cycles:
        notes.append(
            "* window: platform errors (5xx, 529, timeouts, broken streams, malformed "
            "answers, wrong answers) / requests "
            f"of the last {max(cycles)} cycles, as the error-rate rule counts them; "
            "not network or client errors."
        )
    return notes


def _columns(rows: Sequence[tuple[str, ...]], width: int) -> list[str] | None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    if sum(widths) + 2 * (len(widths) - 1) > width:
        return None
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def _table(rows: Sequence[tuple[str, ...]], width: int) -> list[str]:
    """Columns that fit `width`; else the last column (request ids) below the table;
    else one block of `label value` pairs per row."""
    fitted = _columns(rows, width)
    if fitted:
        return fitted
    fitted = _columns([row[:-1] for row in rows], width)
    if fitted:
        label = rows[0][-1]
        return fitted + [f"  {row[0]} {label}: {row[-1]}" for row in rows[1:]]
    head, lines = rows[0], []
    for row in rows[1:]:
        lines.append(row[0])
        pairs = [f"{h} {v}" for h, v in zip(head[1:], row[1:], strict=True)]
        lines += _wrap(", ".join(pairs), width, indent="  ")
    return lines


def _alert_lines(hold: dict[str, Any] | None, width: int) -> list[str]:
    """The open alert beside the verdict: an OPERATIONAL line must not hide it."""
    if not hold:
        return []
    since = f" since {hold['since']}" if hold.get("since") else ""
    reported = str(hold["reported"]).replace("_", " ")
    return _wrap(f"Alert still open ({reported}{since}): {hold['why']}.", width)


def _bedrock_lines(result: CheckResult, width: int) -> list[str]:
    """The failover probe's rows, under the canaries, in the same 80-column habit."""
    if not result.bedrock:
        return []
    rows = [("bedrock", "outcome", "http", "latency", "request id")]
    for b in result.bedrock:
        rows.append(
            (b.model, b.outcome, str(b.http_status or "-"), _ms(b.latency_ms), b.request_id or "-")
        )
    lines = [""] + _table(rows, width)
    for b in result.bedrock:
        if b.detail and b.outcome not in ("ok", "skipped"):
            lines += _wrap(f"bedrock {b.model}: {b.detail}", width, indent="  ")
    return lines


def render_table(
    result: CheckResult, colour: bool = False, key_present: bool = True, width: int = 80
) -> str:
    verdict = result.verdict
    head = f"{verdict.verdict.upper()} ({verdict.severity})"
    lines = _wrap(f"{head}  {result.checked_at}  {verdict.summary}", width)
    if colour:
        lines[0] = lines[0].replace(head, f"\033[1;{_COLOUR[verdict.severity]}m{head}\033[0m", 1)
    lines += _alert_lines(result.open_alert, width)
    lines.append("")

    page = result.status_page
    if page.reachable:
        lines += _wrap(
            f"Status page: API {page.api_status or 'not listed'}; "
            f"page says {page.description or page.indicator or '?'}",
            width,
        )
    else:
        lines += _wrap(f"Status page: unreadable ({page.error})", width)
    for incident in page.incidents + page.maintenances:
        link = f" {incident.shortlink}" if incident.shortlink else ""
        confirms = incident.confirms
        said = f"; confirms {', '.join(confirms)}" if confirms else ""
        lines += _wrap(
            f"- {incident.name} [{incident.status}, {incident.impact}{said}]{link}",
            width,
            indent="  ",
        )

    rows = [("model", "outcome", "http", "ttft", "latency", "failed", "window*", "request id")]
    for c in result.canaries:
        rows.append(
            (
                c.model,
                c.outcome,
                str(c.http_status or "-"),
                _ms(c.ttft_ms),
                _ms(c.latency_ms),
                cycle_rate(c),
                window_rate(c.window),
                c.request_id or "-",
            )
        )
    lines.append("")
    lines += _table(rows, width)
    for note in window_note(result):
        lines += _wrap(note, width, indent="  ")
    for c in result.canaries:
        if c.detail and c.outcome not in ("ok", "skipped"):
            lines += _wrap(f"{c.model}: {c.detail}", width, indent="  ")
        checked = answer_line(c)
        if checked and c.outcome != "wrong_answer":  # else the detail says it
            lines += _wrap(f"{c.model}: {checked}", width, indent="  ")
    lines += _bedrock_lines(result, width)
    lines += region_lines(result.regions, width)  # a fleet's regions, side by side
    if result.lead_time_min is not None:
        lines += _wrap(f"Seen {lead_words(result.lead_time_min)} before the status page.", width)
    for t in result.transitions:
        lines += _wrap(f"Transition: {t.target} {t.from_} -> {t.to}", width)
    quiet = []
    if result.muted_until:
        quiet.append(f"muted until {result.muted_until}: {result.mute_reason or ''}".rstrip(": "))
    if result.quiet:
        quiet.append("quiet hours: warnings are held")
    if result.held:
        quiet.append(f"{result.held} notification{'s' if result.held != 1 else ''} held")
    if quiet:
        lines += _wrap("Notifications: " + "; ".join(quiet), width)
    # The verdict's own step: it carries the failover step when Bedrock is probed.
    step = next_step(verdict)
    hold = result.open_alert
    if hold and verdict.verdict == "operational":
        n = hold["good_cycles_to_close"]
        cycles = f"{n} more good cycle{'s' if n != 1 else ''} in a row"
        # Not "Nothing to do": the alert is open, and a flap can turn bad again.
        step = (
            f"Keep your fallbacks ready: the alert is still open and closes by itself "
            f"after {cycles} (no RESOLVED is sent before)."
        )
        if hold.get("reason") == NO_CANARIES:
            step = (
                "The alert stays open until the canaries run again (an API key they can "
                f"read) and pass {cycles}; the status page alone cannot close it."
            )
    local = step.startswith(NOTHING_ANSWERS)
    if not key_present and verdict.verdict == "network_error" and not local:
        step = NO_KEY_NETWORK_STEP
    lines.append("")
    lines += _wrap(f"Next step: {step}", width)
    if not key_present:
        lines += _wrap(
            "No ANTHROPIC_API_KEY: canaries skipped, verdict rests on the status page. "
            "Set it to probe the API: export ANTHROPIC_API_KEY=sk-ant-...",
            width,
        )
    for error in result.errors:
        lines += _wrap(f"Warning: {error}", width)
    return "\n".join(lines)
