"""`history`: transitions, availability per target and a timeline, from either store."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from typing import Any

from ..config import Config
from ..keep.store import History, StoreError
from ..models import CLIENT_OUTCOMES
from .regions import region_points
from .render import failed_requests

# At most 12 digits: int() refuses a string of thousands of them with its own error.
_WINDOW = re.compile(r"^\s*(\d{1,12})\s*([smhd])\s*$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
TIMELINE_WIDTH = 120
# One character per cycle. Verdicts by severity; canaries by outcome family.
_VERDICT_CHAR = {"ok": ".", "warning": "w", "critical": "X", "unknown": "?"}
_OUTCOME_CHAR = {
    "ok": ".",
    "slow": "s",
    "skipped": " ",
    "rate_limited": "r",
    "network_error": "n",
    "intercepted": "n",  # something on the network path answered for the API
}
_PAGE_CHAR = {
    "operational": ".",
    "under_maintenance": "m",
    "degraded_performance": "d",
    "partial_outage": "p",
    "major_outage": "X",
    None: "?",
}
LEGEND = (
    "legend: . good  w warning  X critical/outage  ? unknown/unreadable  s slow  "
    "c client error  r rate limited  n network path  ! platform error  d degraded  "
    "p partial outage  m maintenance  - region did not report  (blank) not run,"
    " e.g. no API key"
)


def parse_window(text: str) -> timedelta:
    match = _WINDOW.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"--since must look like 90m, 24h or 7d, got {text!r}")
    try:
        window = timedelta(**{_UNIT[match.group(2)]: int(match.group(1))})
        datetime.now(UTC) - window
    except OverflowError:
        # Further back than a date can go: a usage error, not a fault of the store.
        raise ValueError(f"--since reaches back before year 1, got {text!r}") from None
    return window


def _canary_char(outcome: str) -> str:
    if outcome in _OUTCOME_CHAR:
        return _OUTCOME_CHAR[outcome]
    return "c" if outcome in CLIENT_OUTCOMES else "!"


def _bedrock_points(cycle: dict[str, Any], series: dict[str, list[tuple[str, bool | None]]]):
    """`bedrock:<model>` rows from the failover probe kept in the cycle record; a
    hostile or older record (no list, odd entries) adds nothing rather than failing."""
    entries = cycle.get("bedrock")
    if not isinstance(entries, list):
        return
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("outcome"), str):
            continue
        outcome = entry["outcome"]
        good = None if outcome == "skipped" else outcome in ("ok", "slow")
        key = f"bedrock:{str(entry.get('model', '?'))[:80]}"
        series.setdefault(key, []).append((_canary_char(outcome), good))


def _count(counts: dict[str, int], canary: dict[str, Any]) -> None:
    """Add one cycle's requests of a model: `failed` its platform errors (what the
    error window counts), `failed_any` every failed request (what a person counts).
    Records without the counts (older ones) are skipped rather than counted as clean."""
    requests, failed = canary.get("requests"), canary.get("failed_requests")
    if not (isinstance(requests, int) and isinstance(failed, int) and requests > 0):
        return
    samples = canary.get("samples")
    samples = samples if isinstance(samples, int) else 1
    counts["requests"] += requests
    counts["failed"] += failed
    counts["failed_any"] += failed_requests(str(canary["outcome"]), requests, failed, samples)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _canaries(cycle: dict[str, Any]) -> list[dict[str, Any]]:
    """The record's canaries that name a model and an outcome; a hostile or garbled
    record (a newer writer, a broken one) adds nothing rather than failing history."""
    entries = cycle.get("canaries")
    return [
        c
        for c in (entries if isinstance(entries, list) else [])
        if isinstance(c, dict) and _text(c.get("model")) and _text(c.get("outcome"))
    ]


def summarise(history: History, since_iso: str | None) -> dict[str, Any]:
    """The report's data; `since_iso` None: everything stored (said as the stored span)."""
    cycles = [c for c in history.cycles if isinstance(c, dict) and _text(c.get("checked_at"))]
    series: dict[str, list[tuple[str, bool | None]]] = {"overall": [], "status_page": []}
    # Every request, retries included, from records that carry the counts (older ones
    # do not, and are skipped rather than counted as clean).
    rates: dict[str, dict[str, int]] = {}
    for cycle in cycles:
        severity = _text(cycle.get("severity"))
        series["overall"].append(
            (_VERDICT_CHAR.get(severity or "", "?"), cycle.get("verdict") == "operational")
        )
        api = _text(cycle.get("api_status"))
        series["status_page"].append((_PAGE_CHAR.get(api, "?"), api == "operational"))
        for canary in _canaries(cycle):
            key = f"canary:{canary['model']}"
            outcome = canary["outcome"]
            good = None if outcome == "skipped" else outcome in ("ok", "slow")
            series.setdefault(key, []).append((_canary_char(outcome), good))
            _count(rates.setdefault(key, {"requests": 0, "failed": 0, "failed_any": 0}), canary)
        _bedrock_points(cycle, series)
        region_points(cycle, series)  # a fleet's regions, side by side
    availability = {}
    for target, points in series.items():
        judged = [good for _, good in points if good is not None]
        availability[target] = round(100 * sum(judged) / len(judged), 2) if judged else None
    timeline = {
        t: "".join(ch for ch, _ in points)[-TIMELINE_WIDTH:] for t, points in series.items()
    }
    return {
        "since": since_iso,
        "cycles": len(cycles),
        "first": cycles[0]["checked_at"] if cycles else None,
        "last": cycles[-1]["checked_at"] if cycles else None,
        "transitions": history.transitions,
        "availability": availability,
        "failure_rate": {
            target: {
                **counts,
                "share": round(counts["failed"] / counts["requests"], 4),
                "share_any": round(counts["failed_any"] / counts["requests"], 4),
            }
            for target, counts in rates.items()
            if counts["requests"]
        },
        "timeline": timeline,
        "muted": muted_spans(cycles),
    }


def muted_spans(cycles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs of consecutive cycles that found a mute: from, to (the cycles), until, reason."""
    spans: list[dict[str, Any]] = []
    previous = False
    for cycle in cycles:
        until = cycle.get("muted_until")
        if isinstance(until, str) and until:
            if previous and spans[-1]["until"] == until:
                spans[-1]["to"] = cycle["checked_at"]
            else:
                spans.append(
                    {
                        "from": cycle["checked_at"],
                        "to": cycle["checked_at"],
                        "until": until,
                        "reason": str(cycle.get("mute_reason") or ""),
                    }
                )
        previous = bool(until)
    return spans


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def render(summary: dict[str, Any], width: int = 80) -> str:
    """The report for people, fitted to `width` columns: the timeline shows the most
    recent cycles that fit."""
    # No `since` (everything stored, as the demo asks): the stored span is the span.
    head = f"History since {summary['since']}" if summary.get("since") else "History"
    lines = _wrap(
        f"{head}: {summary['cycles']} cycles"
        + (f" ({summary['first']} .. {summary['last']})" if summary["cycles"] else ""),
        width,
    )
    if not summary["cycles"]:
        lines.append("Nothing stored yet. Run `make check` first.")
        return "\n".join(lines)
    lines += ["", "Transitions:"]
    for t in summary["transitions"]:
        lines += _wrap(f"{t['checked_at']}  {t['target']}: {t['from']} -> {t['to']}", width, "  ")
    if not summary["transitions"]:
        lines.append("  none")
    for span in summary.get("muted") or []:
        lines += _wrap(
            f"Muted: {span['from']} .. {span['to']} (until {span['until']}): {span['reason']}",
            width,
        )
    rates = summary.get("failure_rate") or {}
    if rates:
        lines += ["", "Failed requests per model (every request, retries included):"]
        for target, r in rates.items():
            lines += _wrap(
                f"{target.removeprefix('canary:')}: {r['failed_any']} of {r['requests']} "
                f"requests failed ({100 * r['share_any']:.1f}%), {r['failed']} of them "
                "platform errors (the error window's count)",
                width,
                "  ",
            )
    name_width = max(len(t) for t in summary["timeline"])
    room = max(10, width - name_width - 13)  # "  name 100.00% |...|"
    shown = min(room, max((len(line) for line in summary["timeline"].values()), default=0))
    lines += [""]
    lines += _wrap(
        f"Availability and timeline (one character per cycle, the last {shown} shown):",
        width,
    )
    for target, line in summary["timeline"].items():
        share = summary["availability"][target]
        pct = "   n/a " if share is None else f"{share:6.2f}%"
        lines.append(f"  {target.ljust(name_width)} {pct} |{line[-room:]}|")
    lines.append("")
    lines += _wrap(LEGEND, width)
    return "\n".join(lines)


def run_history(config: Config, since: str, as_json: bool, width: int = 80) -> int:
    from ..wiring import build_store

    try:
        window = parse_window(since)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 64  # a bad option value is a usage error
    since_iso = (datetime.now(UTC) - window).strftime("%Y-%m-%dT%H:%M:%SZ")
    store = build_store(config, reader=True)
    try:
        summary = summarise(store.history(since_iso), since_iso)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary) if as_json else render(summary, width))
    return 0
