"""A sequential test over every canary request: is a model failing more than it should?

Each model keeps a CUSUM of the log-likelihood ratio of "a request fails with
probability P1" against "with probability P0" (Page's CUSUM for Bernoulli data),
where P1 = ERROR_RATE_WARN (5%) and P0 = P1 / 5 (1%). Every request counts, first
tries and retries alike: a failed one adds ln(P1/P0) (+1.61), a passed one adds
ln((1-P1)/(1-P0)) (-0.041). The score never goes below 0 nor above CEILING, so
evidence accumulates across cycles (an empty minute is not "healthy": it only takes
0.041 off per request) and an outage that lasted hours is forgotten in minutes.

The requests of one cycle fail together when something breaks for a moment (the
edge of an outage, a blip), so they are not quite independent: a cycle's failures
count for at most CYCLE_MAX (2) failed requests. A cycle whose canary failed
outright (every sample failed: the verdict already reports an outage) lifts the
score by one failure's worth at most, and never past half of THRESHOLD. So a hard
outage, its ragged edges, a blip or a minute-by-minute flap never open a
partial-outage warning on their own (nor hold one open after a hard outage ends);
only failures the retries hid, over several cycles, take the score over.

Opening: the score reaches THRESHOLD (9): the model is `open`, the verdict
`degraded`, and the hysteresis tells people after FAILURE_THRESHOLD such cycles.
Closing, only on evidence: the score back near zero (NEAR_ZERO), or the upper bound
(Wilson, z = 1.645, `Z_UPPER`) of the failed share over the last ERROR_WINDOW_CYCLES cycles
below ERROR_RATE_WARN; the score restarts at 0 and the hysteresis then needs
RECOVERY_THRESHOLD good cycles. A steady partial outage is one warning, held open
while it lasts, then one RESOLVED.

Sampling: CANARY_SAMPLES concurrent requests per model per cycle (2), plus
CANARY_BURST (10) while the score is at least SUSPICIOUS (0.5: a failure in the
last 25 requests or so) or the model is open. Bursts are how a suspicion is
settled in minutes instead of hours; at a steady 1% background they add about 0.9
requests a minute on average, at 0.1% about 0.05 (the figures are in
docs/SIGNAL.md). SUSPICIOUS = 1.0 would warn on 5% within an hour in 92% of runs
instead of 94%, for 8% fewer requests at a 1% background.

Tolerant loading: a model's stored record ({"v", "score", "open", "recent"}) that
is missing, broken or written by a newer version is read as far as it can be; what
cannot be read starts afresh, except that a model whose warning is open (or any
model while the overall alert is open, after a cold start) starts open at
THRESHOLD: a warning closes on evidence, never on lost state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from ..models import OK, SKIPPED, SLOW, WRONG_ANSWER, CanaryResult
from .errorwindow import wilson_upper

VERSION = 1
THRESHOLD = 9.0
CEILING = THRESHOLD + 1.0
NEAR_ZERO = 1.0
SUSPICIOUS = 0.5
# A cycle's failures count for at most this many failed requests: see the docstring.
CYCLE_MAX = 2
Z_UPPER = 1.645
# The reason's span: "14 of 120 requests failed in the last 60 min".
RECENT_CYCLES = 60
# P0 = P1 / RATIO; the floor keeps ERROR_RATE_WARN = 0 meaningful.
RATIO = 5.0
MIN_P1 = 0.002

PASSED = frozenset({OK, SLOW})
Scores = dict[str, dict[str, Any]]


def rates(warn: float) -> tuple[float, float]:
    """(P0, P1) for a warning share: P1 = warn (at least MIN_P1, below 1), P0 = P1 / RATIO."""
    p1 = min(max(float(warn), MIN_P1), 0.9)
    return p1 / RATIO, p1


def weights(warn: float) -> tuple[float, float]:
    """(added per failed request, added per passed request) for this warning share."""
    p0, p1 = rates(warn)
    return math.log(p1 / p0), math.log((1 - p1) / (1 - p0))


def fresh(opened: bool = False) -> dict[str, Any]:
    """A record with no evidence; `opened` starts it open at THRESHOLD."""
    return {"v": VERSION, "score": THRESHOLD if opened else 0.0, "open": opened, "recent": []}


def load(value: Any, alert_open: bool) -> dict[str, Any]:
    """A stored record, read as far as it can be (never raises).

    `alert_open`: the overall alert is open, so a record that cannot be read starts
    open (the warning must close on evidence). An unreadable `open` is taken as
    open when the score is at or above THRESHOLD."""
    if not isinstance(value, Mapping):
        return fresh(alert_open)
    score = _finite(value.get("score"))
    if score is not None:
        score = min(max(score, 0.0), CEILING)
    opened = value.get("open")
    if not isinstance(opened, bool):
        opened = alert_open if score is None else score >= THRESHOLD or alert_open
    if score is None:
        score = THRESHOLD if opened else 0.0
    record = {k: v for k, v in value.items() if k not in ("v", "score", "open", "recent")}
    record.update(v=VERSION, score=score, open=opened, recent=_recent(value.get("recent")))
    return record


def _finite(value: Any) -> float | None:
    """A stored number as a float; None for anything else (text, bool, NaN, inf)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _recent(value: Any) -> list[list[int]]:
    """The stored [requests, failed] per cycle, minus any entry that is not two whole
    numbers with 0 <= failed <= requests (a newer or broken version wrote it)."""
    if not isinstance(value, list):
        return []
    out = []
    for entry in value[-RECENT_CYCLES:]:
        if type(entry) is list and len(entry) >= 2:
            requests, failed = entry[0], entry[1]
            if type(requests) is int and type(failed) is int and 0 <= failed <= requests:
                out.append([requests, failed])
    return out


def step(
    record: dict[str, Any], canary: CanaryResult, window: list[list[int]], config: Any
) -> dict[str, Any]:
    """The record after this cycle's canary; `window` is the model's error window
    (errorwindow.advance_windows) after it, read by the closing bound."""
    if canary.outcome == SKIPPED:
        return record
    warn = float(config.error_rate_warn)
    up, down = weights(warn)
    requests = max(0, canary.requests)
    failed = max(0, min(canary.failed_requests, requests))
    score = float(record["score"])
    if canary.outcome in PASSED or _spaced_wrong(canary, config):
        added = min(failed * up, CYCLE_MAX * up) + (requests - failed) * down
        score = min(CEILING, max(0.0, score + added))
    elif failed:
        # Failed outright: one piece of evidence, never past half the threshold.
        score = max(score, min(score + up, THRESHOLD / 2))
    recent = (record["recent"] + [[requests, failed]])[-RECENT_CYCLES:]
    opened = bool(record["open"])
    if not opened and score >= THRESHOLD:
        opened = True
    elif opened and (score <= NEAR_ZERO or _bound_below(window, warn)):
        opened, score = False, 0.0
    return {**record, "score": round(score, 4), "open": opened, "recent": recent}


def _spaced_wrong(canary: CanaryResult, config: Any) -> bool:
    """Every sample answered wrong, on a cycle that checks answers while the others do
    not (ANSWER_CHECK_EVERY > 1): evidence like any partial failure, not a hard
    outage's edge. Such cycles are never consecutive, so the verdict's hysteresis
    would never tell even a steady 100% of wrong answers, and capped at half the
    threshold the score would not either."""
    every = getattr(config, "answer_check_every", 1)
    return canary.outcome == WRONG_ANSWER and isinstance(every, int) and every > 1


def _bound_below(window: list[list[int]], warn: float) -> bool:
    """The failed share over the window is confidently below `warn` (upper bound)."""
    requests = sum(e[0] for e in window)
    failed = sum(e[1] for e in window)
    return requests > 0 and wilson_upper(failed, requests, Z_UPPER) < warn


def advance(
    scores: Mapping[str, Any] | None,
    canaries: Iterable[CanaryResult],
    windows: Mapping[str, list[list[int]]],
    config: Any,
    alert_open: bool,
) -> Scores:
    """Every probed model's record after this cycle; models no longer probed are dropped."""
    stored = scores if isinstance(scores, Mapping) else {}
    # A cold start (no record at all) during an open warning starts every model open;
    # a model merely added to the configuration starts afresh.
    cold = alert_open and not stored
    return {
        c.model: step(
            load(stored.get(c.model), cold or (alert_open and c.model in stored)),
            c,
            windows.get(c.model, []),
            config,
        )
        for c in canaries
    }


def figures(record: Mapping[str, Any]) -> dict[str, Any]:
    """What the JSON's `window` shows of the statistic."""
    recent = record.get("recent") or []
    return {
        "score": record.get("score", 0.0),
        "open": bool(record.get("open")),
        "recent_cycles": len(recent),
        "recent_requests": sum(e[0] for e in recent),
        "recent_failed": sum(e[1] for e in recent),
    }


def reason(model: str, window: Mapping[str, Any]) -> str:
    """'claude-haiku-5-5: 14 of 120 requests failed in the last 60 min (12%)'."""
    requests = int(window.get("recent_requests", 0))
    failed = int(window.get("recent_failed", 0))
    share = f" ({failed / requests:.0%})" if requests else ""
    minutes = int(window.get("recent_cycles", 0))
    return f"{model}: {failed} of {requests} requests failed in the last {minutes} min{share}"


def is_open(window: Mapping[str, Any] | None) -> TypeGuard[Mapping[str, Any]]:
    """Is this canary's partial-outage warning open (its `window` says so)?"""
    return bool(window and window.get("open") is True)


def samples_for(state: Any, config: Any) -> dict[str, int]:
    """Requests to send per model this cycle: CANARY_SAMPLES, plus CANARY_BURST while
    the model's score is SUSPICIOUS or its warning is open."""
    scores = getattr(state, "scores", None)
    scores = scores if isinstance(scores, Mapping) else {}
    base = max(1, int(getattr(config, "canary_samples", 1)))
    burst = max(0, int(config.canary_burst))
    return {
        model: base + (burst if _suspicious(scores.get(model)) else 0)
        for model in config.canary_models
    }


def _suspicious(record: Any) -> bool:
    """Open, or a score at least SUSPICIOUS; an unreadable record is not."""
    if not isinstance(record, Mapping):
        return False
    value = _finite(record.get("score"))
    return record.get("open") is True or (value is not None and value >= SUSPICIOUS)
