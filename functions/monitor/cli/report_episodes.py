"""Them beside us: each alert from our first failure to recovery, next to what the
status page said, and the page's incidents that our canaries never felt.

An episode is the overall alert opening (a transition away from `operational`) and
closing (back to it). From the stored records around it: our first failure (the
first of the bad cycles that led to the alert), the confirming incident's
`created_at` (posted) and `started_at` (impact dated from) as the cycle that
measured the lead time kept them (`lead`), the recovery (the first good cycle of
the run that closed it), and the lead time itself.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from .report_data import as_list, when

OPERATIONAL = "operational"
FINE = ("ok", "slow", "skipped")


@dataclass
class Episode:
    first_failure: float
    alert: float | None
    recovered: float | None  # None: still open when the report was made
    worst: str
    started_at: float | None = None
    created_at: float | None = None
    incident: str | None = None
    lead_min: float | None = None
    models: list[str] = field(default_factory=list)
    confirmed: bool = False
    canary_failed: bool = False
    before_window: bool = False
    page_first: bool = False  # the page said so in or before our first failing cycle

    def duration_min(self, now: float) -> float:
        return ((self.recovered or now) - self.first_failure) / 60

    def times(self) -> list[float]:
        marks = [self.first_failure, self.alert, self.recovered, self.started_at, self.created_at]
        return [t for t in marks if t is not None]

    def sentence(self) -> str:
        """The lead time, written out."""
        if not self.canary_failed:
            return "the page reported it; our canaries saw nothing"
        if not self.confirmed:
            return "the page never confirmed it"
        if self.lead_min is None:
            return "the page knew first" if self.page_first else "the page confirmed it"
        if self.lead_min <= 0:
            return "the page knew as soon as we did"
        return f"we knew {_minutes(self.lead_min)} before the page"


@dataclass
class PageIncident:
    """An incident the page listed while our verdict stayed good: our canaries never
    felt it (it may concern another product)."""

    name: str
    first_seen: float
    last_seen: float


def _minutes(value: float) -> str:
    if value < 1:
        return f"{round(value * 60)} s"
    return f"{value:.0f} min" if value >= 10 else f"{value:.1f} min".replace(".0 min", " min")


def _bad(cycle: dict[str, Any]) -> bool:
    return cycle.get("verdict") != OPERATIONAL


def _canary_failed(cycle: dict[str, Any]) -> bool:
    return any(
        isinstance(c, dict) and c.get("outcome") not in FINE for c in as_list(cycle.get("canaries"))
    )


def _confirms(cycle: dict[str, Any]) -> bool:
    api = cycle.get("api_status")
    return bool(
        cycle.get("confirmed_by")
        or cycle.get("lead")
        or (isinstance(api, str) and api != OPERATIONAL)
    )


def _overall(transitions: list[dict[str, Any]]) -> list[tuple[float, str, str]]:
    moves = []
    for t in transitions:
        at = when(t.get("checked_at"))
        if t.get("target") == "overall" and at is not None:
            moves.append((at, str(t.get("from")), str(t.get("to"))))
    return sorted(moves)


def _spans(
    cycles: list[dict[str, Any]], transitions: list[dict[str, Any]]
) -> list[tuple[float | None, float | None]]:
    """(alert opened, alert closed) pairs; None where it lies outside the window."""
    spans: list[tuple[float | None, float | None]] = []
    opened: float | None = None
    first = True
    for at, before, after in _overall(transitions):
        if before == OPERATIONAL and after != OPERATIONAL:
            opened, first = at, False
        elif after == OPERATIONAL:
            if opened is not None or first:
                spans.append((opened, at))  # opened None: before the window
            opened, first = None, False
    if opened is not None:
        spans.append((opened, None))
    return spans


def episodes(cycles: list[dict[str, Any]], transitions: list[dict[str, Any]]) -> list[Episode]:
    times = [c["_at"] for c in cycles]
    out = []
    for opened, closed in _spans(cycles, transitions):
        ep = _episode(cycles, times, opened, closed)
        if ep is not None:
            out.append(ep)
    return out


def _index(times: list[float], at: float) -> int:
    """The index of the first cycle at or after `at`."""
    return bisect.bisect_left(times, at)


def _episode(
    cycles: list[dict[str, Any]], times: list[float], opened: float | None, closed: float | None
) -> Episode | None:
    if not cycles:
        return None
    start = 0 if opened is None else min(_index(times, opened), len(cycles) - 1)
    first = start
    while first > 0 and _bad(cycles[first - 1]):
        first -= 1
    stop = len(cycles) if closed is None else min(_index(times, closed) + 1, len(cycles))
    inside = cycles[first:stop]
    recovered = None
    if closed is not None:
        i = stop - 1  # back to the first good cycle of the run that closed the alert
        while i > first and not _bad(cycles[i - 1]):
            i -= 1
        recovered = cycles[i]["_at"]
    ep = Episode(
        first_failure=cycles[first]["_at"],
        alert=opened,
        recovered=recovered,
        worst=_worst(inside),
        confirmed=any(_confirms(c) for c in inside),
        canary_failed=any(_canary_failed(c) for c in inside),
        before_window=opened is None,
    )
    confirmed_at = next((i for i, c in enumerate(inside) if _confirms(c)), None)
    failed_at = next((i for i, c in enumerate(inside) if _canary_failed(c)), None)
    ep.page_first = confirmed_at is not None and failed_at is not None and confirmed_at <= failed_at
    lead = next((c["lead"] for c in inside if isinstance(c.get("lead"), dict)), None)
    if lead is not None:
        ep.first_failure = when(lead.get("first_failure")) or ep.first_failure
        ep.created_at, ep.started_at = when(lead.get("created_at")), when(lead.get("started_at"))
        minutes = lead.get("minutes")
        ep.lead_min = float(minutes) if isinstance(minutes, (int, float)) else None
        ep.incident = str(lead.get("incident") or "") or None
        ep.models = [m for m in as_list(lead.get("models")) if isinstance(m, str)]
    elif ep.confirmed:
        names = (n for c in inside for n in as_list(c.get("incidents")) if isinstance(n, str))
        ep.incident = next(names, None)
    return ep


def _worst(inside: list[dict[str, Any]]) -> str:
    """The worst verdict of the episode, ranked as the alert ranks them."""
    from ..decide.state import RANK

    bad = [str(c.get("verdict")) for c in inside if _bad(c)]
    return max(bad, key=lambda v: RANK.get(v, 0)) if bad else "unknown"


def page_incidents(cycles: list[dict[str, Any]], found: list[Episode]) -> list[PageIncident]:
    """Incidents the page listed in cycles outside every episode: runs of consecutive
    cycles naming the same incident."""
    spans = [(e.first_failure, e.recovered or float("inf")) for e in found]
    open_runs: dict[str, PageIncident] = {}
    out: list[PageIncident] = []
    for cycle in cycles:
        names = {n[:200] for n in as_list(cycle.get("incidents")) if isinstance(n, str)}
        for name in list(open_runs):
            if name not in names:
                out.append(open_runs.pop(name))
        for name in names:
            run = open_runs.get(name)
            if run is None:
                open_runs[name] = PageIncident(name, cycle["_at"], cycle["_at"])
            else:
                run.last_seen = cycle["_at"]
    out += open_runs.values()
    return sorted(
        (p for p in out if not any(a <= p.last_seen and p.first_seen <= b for a, b in spans)),
        key=lambda p: p.first_seen,
    )
