"""`history`: transitions, availability per target and a timeline, from either store."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import Config
from .models import CLIENT_OUTCOMES
from .store import History, StoreError

_WINDOW = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
TIMELINE_WIDTH = 120
# One character per cycle. Verdicts by severity; canaries by outcome family.
_VERDICT_CHAR = {"ok": ".", "warning": "w", "critical": "X", "unknown": "?"}
_OUTCOME_CHAR = {"ok": ".", "slow": "s", "skipped": " ", "rate_limited": "r", "network_error": "n"}
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
    "c client error  r rate limited  n network  ! platform error  d degraded  "
    "p partial outage  m maintenance"
)


def parse_window(text: str) -> timedelta:
    match = _WINDOW.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"--since must look like 90m, 24h or 7d, got {text!r}")
    return timedelta(**{_UNIT[match.group(2)]: int(match.group(1))})


def _canary_char(outcome: str) -> str:
    if outcome in _OUTCOME_CHAR:
        return _OUTCOME_CHAR[outcome]
    return "c" if outcome in CLIENT_OUTCOMES else "!"


def summarise(history: History, since_iso: str) -> dict[str, Any]:
    cycles = history.cycles
    series: dict[str, list[tuple[str, bool | None]]] = {"overall": [], "status_page": []}
    for cycle in cycles:
        series["overall"].append(
            (_VERDICT_CHAR.get(cycle["severity"], "?"), cycle["verdict"] == "operational")
        )
        api = cycle.get("api_status")
        series["status_page"].append((_PAGE_CHAR.get(api, "?"), api == "operational"))
        for canary in cycle.get("canaries", []):
            key = f"canary:{canary['model']}"
            outcome = canary["outcome"]
            good = None if outcome == "skipped" else outcome in ("ok", "slow")
            series.setdefault(key, []).append((_canary_char(outcome), good))
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
        "timeline": timeline,
    }


def render(summary: dict[str, Any]) -> str:
    lines = [
        f"History since {summary['since']}: {summary['cycles']} cycles"
        + (f" ({summary['first']} .. {summary['last']})" if summary["cycles"] else "")
    ]
    if not summary["cycles"]:
        lines.append("Nothing stored yet. Run `python -m functions.monitor check` first.")
        return "\n".join(lines)
    lines += ["", "Transitions:"]
    lines += [
        f"  {t['checked_at']}  {t['target']}: {t['from']} -> {t['to']}"
        for t in summary["transitions"]
    ] or ["  none"]
    width = max(len(t) for t in summary["timeline"])
    lines += [
        "",
        f"Availability and timeline (one character per cycle, last {TIMELINE_WIDTH} shown):",
    ]
    for target, line in summary["timeline"].items():
        share = summary["availability"][target]
        pct = "   n/a" if share is None else f"{share:6.2f}%"
        lines.append(f"  {target.ljust(width)} {pct} |{line}|")
    lines += ["", LEGEND]
    return "\n".join(lines)


def run_history(config: Config, since: str, as_json: bool) -> int:
    from .cycle import build_store

    try:
        window = parse_window(since)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    since_iso = (datetime.now(UTC) - window).strftime("%Y-%m-%dT%H:%M:%SZ")
    store = build_store(config)
    try:
        summary = summarise(store.history(since_iso), since_iso)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary) if as_json else render(summary))
    return 0
