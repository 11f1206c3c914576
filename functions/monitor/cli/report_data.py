"""The report's figures, from the stored cycle records: bars, latency, monthly rows.

Everything is aggregated into time buckets here (one per day, per hour, or per minute
for short spans), so the drawing never holds one element per cycle. A cycle counts
for the cadence (the median interval between one region's cycles); time in a bucket
that no cycle covers is "no data", never up.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ..models import CLIENT_OUTCOMES, PLATFORM_OUTCOMES

UP, WARN, UNKNOWN, DOWN, NODATA = "up", "warn", "unknown", "down", "nodata"
# Worst first wins a bucket's colour (higher = worse).
WORST = {UP: 0, WARN: 1, UNKNOWN: 2, DOWN: 3}
DAY, HOUR, MINUTE = 86_400, 3_600, 60
DEFAULT_CADENCE_S = 60.0  # the schedule's rate(1 minute), when it cannot be measured
_PAGE_STATE = {
    "operational": UP,
    "degraded_performance": WARN,
    "under_maintenance": WARN,
    "partial_outage": DOWN,
    "major_outage": DOWN,
}
STATE_NAME = {
    UP: "up",
    WARN: "warning",
    UNKNOWN: "unknown",
    DOWN: "down",
    NODATA: "no data",
}
_SEVERITY_STATE = {"ok": UP, "warning": WARN, "critical": DOWN, "unknown": UNKNOWN}


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# At most this many bars a row: a year and a day of daily bars. A longer --since
# (years) gets bars of several days each, or the file outgrows its 2 MB.
MAX_BARS = 366


def bucket_seconds(span_s: float) -> int:
    """One bar per day; per hour for spans under 3 days; per minute under 3 hours;
    per several days beyond MAX_BARS days."""
    if span_s >= 3 * DAY:
        return DAY * max(1, math.ceil(span_s / (MAX_BARS * DAY)))
    return HOUR if span_s >= 3 * HOUR else MINUTE


def outcome_state(outcome: str) -> str | None:
    """A canary's (or Bedrock probe's) outcome as a bar state; None = not judged."""
    if outcome == "skipped":
        return None
    if outcome == "ok":
        return UP
    if outcome in ("slow", "rate_limited"):
        return WARN
    if outcome in PLATFORM_OUTCOMES or outcome in CLIENT_OUTCOMES:
        return DOWN
    return UNKNOWN  # network path, or an outcome this version does not know


@dataclass(slots=True)
class Point:
    """One target in one cycle: its state, and whether `history` counts it as good."""

    at: float
    state: str
    good: bool
    region: str
    month: str  # YYYY-MM, UTC


@dataclass
class Bucket:
    start: float
    end: float
    cycles: int = 0
    bad: int = 0
    worst: str = NODATA
    nodata_min: float = 0.0

    @property
    def availability(self) -> float | None:
        return None if not self.cycles else 100 * (self.cycles - self.bad) / self.cycles


@dataclass
class Row:
    target: str
    label: str
    buckets: list[Bucket]
    downtime_min: float
    availability: float | None
    regions: int = 1


@dataclass
class Series:
    """p50/p90 per bucket of one latency measure of one model (None: no sample)."""

    model: str
    ttft: list[tuple[float | None, float | None]]
    total: list[tuple[float | None, float | None]]


def target_points(cycles: list[dict[str, Any]]) -> dict[str, list[Point]]:
    """Each target's points, in the order `history` lists them; a region row only when
    the records carry more than one `region` (a fleet writing to one table)."""
    series: dict[str, list[Point]] = {"status_page": [], "overall": []}
    regions: dict[str, list[Point]] = defaultdict(list)
    for cycle in cycles:
        at, region, name = cycle["_at"], str(cycle.get("region") or "local"), cycle["_month"]
        api = cycle.get("api_status")
        page = _PAGE_STATE.get(api, UNKNOWN) if isinstance(api, str) else UNKNOWN
        series["status_page"].append(Point(at, page, api == "operational", region, name))
        verdict = _SEVERITY_STATE.get(str(cycle.get("severity")), UNKNOWN)
        overall = Point(at, verdict, cycle.get("verdict") == "operational", region, name)
        series["overall"].append(overall)
        regions[region].append(overall)
        for kind, entries in (("canary", cycle.get("canaries")), ("bedrock", cycle.get("bedrock"))):
            for entry in as_list(entries):
                if not isinstance(entry, dict) or not isinstance(entry.get("outcome"), str):
                    continue  # a hostile or older record adds nothing
                state = outcome_state(entry["outcome"])
                if state is not None:
                    key = f"{kind}:{str(entry.get('model', '?'))[:80]}"
                    good = entry["outcome"] in ("ok", "slow")
                    series.setdefault(key, []).append(Point(at, state, good, region, name))
    if len(regions) > 1:
        for region in sorted(regions):
            series[f"region:{region[:40]}"] = regions[region]
    return series


def label(target: str) -> str:
    kind, _, name = target.partition(":")
    return {
        "status_page": "Status page: API",
        "overall": "Our verdict",
        "canary": f"Canary {name}",
        "bedrock": f"Bedrock {name}",
        "region": f"Region {name}",
    }.get(kind, target)


def cadence_s(cycles: list[dict[str, Any]]) -> float:
    """The median interval between consecutive cycles of one region."""
    last: dict[str, float] = {}
    gaps: list[float] = []
    for cycle in cycles:
        region = str(cycle.get("region") or "local")
        if region in last and cycle["_at"] > last[region]:
            gaps.append(cycle["_at"] - last[region])
        last[region] = cycle["_at"]
    if not gaps:
        return DEFAULT_CADENCE_S
    return min(max(statistics.median(gaps), 1.0), float(DAY))


@dataclass
class Frame:
    """The report's time axis: [start, end) cut into buckets of `size` seconds."""

    start: float
    end: float
    size: int
    cadence: float
    now: float
    regions: int = 1
    edges: list[float] = field(default_factory=list)

    @classmethod
    def make(cls, since: float, now: float, cadence: float, regions: int) -> Frame:
        size = bucket_seconds(now - since)
        start = since - since % size
        count = max(1, int(-(-(now - start) // size)))
        edges = [start + i * size for i in range(count + 1)]
        return cls(start, edges[-1], size, cadence, now, max(1, regions), edges)

    @property
    def count(self) -> int:
        return len(self.edges) - 1

    def index(self, at: float) -> int | None:
        i = int((at - self.start) // self.size)
        return i if 0 <= i < self.count else None


def bars(points: list[Point], frame: Frame) -> list[Bucket]:
    buckets = [Bucket(frame.edges[i], frame.edges[i + 1]) for i in range(frame.count)]
    for p in points:
        i = frame.index(p.at)
        if i is None:
            continue
        b = buckets[i]
        b.cycles += 1
        b.bad += not p.good
        if b.worst == NODATA or WORST[p.state] > WORST[b.worst]:
            b.worst = p.state
    for b in buckets:
        span_min = max(0.0, min(b.end, frame.now) - b.start) / 60
        covered = b.cycles * frame.cadence / frame.regions / 60
        b.nodata_min = max(0.0, span_min - covered)
    return buckets


def rows(series: dict[str, list[Point]], frame: Frame) -> list[Row]:
    out = []
    for target, points in series.items():
        regions = 1 if target.startswith("region:") else frame.regions
        buckets = bars(points, replace(frame, regions=regions))
        cycles = sum(b.cycles for b in buckets)
        bad = sum(b.bad for b in buckets)
        out.append(
            Row(
                target,
                label(target),
                buckets,
                downtime_min=bad * frame.cadence / regions / 60,
                availability=100 * (cycles - bad) / cycles if cycles else None,
                regions=regions,
            )
        )
    return out


def _pcts(values: list[int]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    values.sort()
    pick = lambda q: float(values[min(len(values) - 1, int(q * len(values)))])  # noqa: E731
    return pick(0.5), pick(0.9)


def latency(cycles: list[dict[str, Any]], frame: Frame) -> list[Series]:
    """TTFT and total latency of successful canaries (ok, slow), p50 and p90 per bucket."""
    samples: dict[str, list[tuple[list[int], list[int]]]] = {}
    for cycle in cycles:
        i = frame.index(cycle["_at"])
        if i is None:
            continue
        for c in as_list(cycle.get("canaries")):
            if not isinstance(c, dict) or c.get("outcome") not in ("ok", "slow"):
                continue
            model = str(c.get("model", "?"))[:80]
            per = samples.setdefault(model, [([], []) for _ in range(frame.count)])
            for slot, key in ((0, "ttft_ms"), (1, "latency_ms")):
                value = c.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                    per[i][slot].append(value)
    return [
        Series(model, [_pcts(t) for t, _ in per], [_pcts(total) for _, total in per])
        for model, per in samples.items()
    ]


def as_list(value: Any) -> list[Any]:
    """A record's list field, or [] when a hostile or older record holds something else."""
    return value if isinstance(value, list) else []


def when(value: Any) -> float | None:
    """An ISO time as epoch seconds; None for anything else (a hostile record)."""
    try:
        return epoch(value) if isinstance(value, str) else None
    except ValueError:
        return None


def month(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m")


def monthly(
    series: dict[str, list[Point]],
    transitions: list[dict[str, Any]],
    leads: list[tuple[float, float, list[str]]],
    frame: Frame,
) -> list[dict[str, Any]]:
    """Per month and target: availability, downtime minutes, alerts opened (episodes),
    and the median lead time of the episodes that measured one for that target."""
    opened: dict[tuple[str, str], int] = defaultdict(int)
    for t in transitions:
        target = str(t.get("target", ""))
        good = "ok" if target.startswith(("canary:", "bedrock:")) else "operational"
        at = when(t.get("checked_at"))
        if at is not None and t.get("from") == good and t.get("to") != good:
            opened[(month(at), target)] += 1
    out = []
    for target, points in series.items():
        regions = 1 if target.startswith("region:") else frame.regions
        by_month: dict[str, list[Point]] = defaultdict(list)
        for p in points:
            by_month[p.month].append(p)
        for name in sorted(by_month):
            got = by_month[name]
            bad = sum(not p.good for p in got)
            lead = [m for at, m, models in leads if month(at) == name and _leads(target, models)]
            out.append(
                {
                    "month": name,
                    "target": target,
                    "availability_pct": round(100 * (len(got) - bad) / len(got), 3),
                    "downtime_min": round(bad * frame.cadence / regions / 60, 1),
                    "cycles": len(got),
                    # Alerts are decided once for the fleet: a region row has none.
                    "episodes": None
                    if target.startswith("region:")
                    else opened.get((name, target), 0),
                    "median_lead_min": round(statistics.median(lead), 1) if lead else None,
                }
            )
    return sorted(out, key=lambda r: (r["month"], list(series).index(r["target"])))


def _leads(target: str, models: list[str]) -> bool:
    """Whether an episode's lead time speaks for this target: the overall verdict
    always, a model's canary when the confirming incident named it (or named none)."""
    if target == "overall":
        return True
    if target.startswith("canary:"):
        return not models or target.removeprefix("canary:") in models
    return False


def prepare(cycles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with a parsed time (`_at`, `_month`), oldest first; unreadable ones
    dropped."""
    ready = []
    for cycle in cycles:
        try:
            cycle["_at"] = epoch(str(cycle["checked_at"]))
        except (KeyError, ValueError, TypeError):
            continue
        cycle["_month"] = month(cycle["_at"])
        ready.append(cycle)
    ready.sort(key=lambda c: c["_at"])
    return ready


def span_label(size: int) -> str:
    if size > DAY:
        return f"{size // DAY} days"
    return {DAY: "day", HOUR: "hour", MINUTE: "minute"}[size]


def bucket_title(b: Bucket, frame: Frame, regions: int) -> str:
    """The hover text of one bar: when, availability, downtime and no-data minutes."""
    fmt = "%Y-%m-%d" if frame.size >= DAY else "%Y-%m-%d %H:%M"
    when = datetime.fromtimestamp(b.start, UTC).strftime(fmt)
    if frame.size > DAY:  # a bar of several days names its last one too
        when += " to " + datetime.fromtimestamp(b.end - DAY, UTC).strftime(fmt)
    when += " UTC"
    if b.availability is None:
        return f"{when}: no data"
    down = b.bad * frame.cadence / regions / 60
    text = f"{when}: {b.availability:.2f}% available, {down:.0f} min down ({STATE_NAME[b.worst]})"
    return text + (f", {b.nodata_min:.0f} min no data" if b.nodata_min >= 1 else "")
