"""Per-model counts over a sliding window of cycles. Pure functions over data.

Every canary request, first tries and retries alike, is a sample; only platform
failures count as failed (the canary counts them in `failed_requests`). The window
holds one `[requests, failed, canary_failed]` entry per cycle in which the model's
canary ran, the last `ERROR_WINDOW_CYCLES` of them, in the alert state. It is what
the JSON's `window` shows, and the span over which a partial-outage warning may
close early: when the upper bound of its failed share is below ERROR_RATE_WARN
(score.py, the sequential test that opens and closes the warning).

Until this version the window itself decided (the Wilson lower bound of the
failures the retries hid, above ERROR_RATE_WARN): an empty window then read as
healthy, and a steady 10% outage sent RESOLVED while it went on. The decision is now
score.py's; `wilson_lower` and `summary`'s hidden counts stay for what reads them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..models import OK, SKIPPED, SLOW, CanaryResult

Z = 1.5

# The canary passed in the end: its failed requests were hidden by the retries.
PASSED = frozenset({OK, SLOW})
# model -> [[requests, failed, canary_failed], ...], oldest first.
Windows = dict[str, list[list[int]]]


def wilson_upper(failed: int, requests: int, z: float = Z) -> float:
    """Wilson score interval's upper bound for the share failed/requests (1 when empty)."""
    if requests <= 0:
        return 1.0
    share = failed / requests
    z2 = z * z
    centre = share + z2 / (2 * requests)
    spread = z * math.sqrt(share * (1 - share) / requests + z2 / (4 * requests * requests))
    return min(1.0, (centre + spread) / (1 + z2 / requests))


def wilson_lower(failed: int, requests: int, z: float = Z) -> float:
    """Wilson score interval's lower bound for the share failed/requests."""
    if requests <= 0:
        return 0.0
    share = failed / requests
    z2 = z * z
    centre = share + z2 / (2 * requests)
    spread = z * math.sqrt(share * (1 - share) / requests + z2 / (4 * requests * requests))
    return max(0.0, (centre - spread) / (1 + z2 / requests))


def advance_windows(
    windows: Mapping[str, Any] | None, canaries: Iterable[CanaryResult], cycles: int
) -> Windows:
    """Add this cycle's counts for every canary that ran; keep the last `cycles` entries.

    A skipped canary (no key) adds nothing and keeps its window; a model no longer
    probed is forgotten, so the state stays bounded by the configured models.
    """
    new: Windows = {}
    for canary in canaries:
        entries = _valid((windows or {}).get(canary.model))
        if canary.outcome != SKIPPED:
            failed = max(0, min(canary.failed_requests, canary.requests))
            hard = int(canary.outcome not in PASSED)
            entries.append([max(0, canary.requests), failed, hard])
        new[canary.model] = entries[-max(1, cycles) :]
    return new


def _valid(entries: Any) -> list[list[int]]:
    """Entries as stored, minus any a newer or broken version left malformed."""
    if not isinstance(entries, list):
        return []
    return [
        [int(v) for v in e[:3]]
        for e in entries
        if isinstance(e, list) and len(e) >= 2 and all(isinstance(v, int) for v in e[:3])
    ]


def summary(entries: list[list[int]]) -> dict[str, int]:
    """The JSON's `window`: cycles held, requests and failed requests in them; and
    `hidden_requests`/`hidden_failed`, the same over the cycles whose canary passed
    (the failures retries hid)."""
    passed = [e for e in entries if not (len(e) > 2 and e[2])]
    return {
        "cycles": len(entries),
        "requests": sum(e[0] for e in entries),
        "failed": sum(e[1] for e in entries),
        "hidden_requests": sum(e[0] for e in passed),
        "hidden_failed": sum(e[1] for e in passed),
    }


def share(window: Mapping[str, int] | None) -> float | None:
    """The window's failure share, or None when it holds no request."""
    if not window or not window.get("requests"):
        return None
    return window.get("failed", 0) / window["requests"]
