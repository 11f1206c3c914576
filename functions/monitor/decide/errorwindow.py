"""Per-model error rate over a sliding window of cycles. Pure functions over data.

Every canary request, first tries and retries alike, is a sample; only platform
failures count as failed (the canary counts them in `failed_requests`). The window
holds one `[requests, failed, canary_failed]` entry per cycle in which the model's
canary ran, the last `ERROR_WINDOW_CYCLES` of them, in the alert state.

The rule looks at the failures the retries hid: the cycles whose canary passed in
the end. A cycle whose canary failed already makes its own verdict (outage or
unconfirmed_outage); counting it again would keep a hard outage "degraded" for a
whole window after it recovered, with one more message and a late RESOLVED.
A model's failure share is "confidently above" `ERROR_RATE_WARN` when, over those
cycles, the Wilson score lower bound (z = Z) of failed/requests is above it with at
least MIN_REQUESTS requests and MIN_FAILED failures. The hysteresis then needs that
to hold FAILURE_THRESHOLD (2) cycles in a row before anyone is told.

The trade-off, measured with a pure simulation (tests/unit/test_error_window.py
runs a smaller one): Bernoulli failures per request; one sample per cycle while the
window is clean, CANARY_BURST = 3 while it holds a failure; up to 3 attempts per
sample; window 15 cycles; warn 5%; 400 seeds per row; "warned" = the overall
alert opened (two bad cycles in a row). Minutes from the start of the outage:

    z / min failed    25%: median, p90 min,   10%: median, p90 min,   1% for 24 h:
                      missed in 15 min        missed in 30 min        days warned
    1.96 / 4          8, 15, 8.0%             26, 60, 41%              3 / 400
    1.645 / 3         7, 13, 6.0%             21, 56, 32%             22 / 400
    1.645 / 4         8, 14, 7.2%             22, 57, 35%              9 / 400
    1.5 / 5 (chosen)  9, 16, 10%              24, 51, 33%              3 / 400
    2.326 / 4         8, 15, 9.5%             31, >60, 51%             0 / 400

Deterministic "every k-th request fails": k = 4 warns at minute 9, k = 10 at 23,
k = 100 for 1,440 cycles never (z = 1.96 never warns at k = 10: too strict).

What limits it is not the statistics but the evidence: with one request a minute
while the window is clean, a 10% outage takes 10 minutes on average just to show its
first failure (18% of the time more than 15), and 15 cycles at 3 samples hold only
about 50 requests, 5 failures at 10% against 0.5 at 1%. So no z meets "10% within
30 min" and "1% never" at once with these defaults; z = 1.5 with at least 5 failures
buys a false warning on about 1 day in 130 at a steady 1% for a median 24 min at 10%
(z = 1.645 with 4 failures: 1 day in 45, 22 min).
With z = 1.645 and 3 failures, ERROR_WINDOW_CYCLES = 30 removes the false warnings
(0 of 300 days, against 22 of 400 at 15) but misses as many 10% outages (35%);
CANARY_BURST = 5 detects 10% in 17 min median (22% missed), for more tokens.
MIN_REQUESTS = 10 keeps the first cycles after a cold start quiet.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..models import OK, SKIPPED, SLOW, CanaryResult

Z = 1.5
MIN_REQUESTS = 10
MIN_FAILED = 5

# The canary passed in the end: its failed requests were hidden by the retries.
PASSED = frozenset({OK, SLOW})
# model -> [[requests, failed, canary_failed], ...], oldest first.
Windows = dict[str, list[list[int]]]


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
    (the failures retries hid), which the rule reads."""
    passed = [e for e in entries if not (len(e) > 2 and e[2])]
    return {
        "cycles": len(entries),
        "requests": sum(e[0] for e in entries),
        "failed": sum(e[1] for e in entries),
        "hidden_requests": sum(e[0] for e in passed),
        "hidden_failed": sum(e[1] for e in passed),
    }


def _rule_counts(window: Mapping[str, int]) -> tuple[int, int]:
    """(failed, requests) the rule reads: the hidden ones when present."""
    if "hidden_requests" in window:
        return window.get("hidden_failed", 0), window["hidden_requests"]
    return window.get("failed", 0), window.get("requests", 0)


def share(window: Mapping[str, int] | None) -> float | None:
    """The window's failure share, or None when it holds no request."""
    if not window or not window.get("requests"):
        return None
    return window.get("failed", 0) / window["requests"]


def above(window: Mapping[str, int] | None, warn: float) -> bool:
    """Is this window's failure share confidently above `warn`?"""
    if not window:
        return False
    failed, requests = _rule_counts(window)
    if requests < MIN_REQUESTS or failed < MIN_FAILED:
        return False
    return wilson_lower(failed, requests) > warn


def reason(model: str, window: Mapping[str, int]) -> str:
    """'claude-haiku-5-5: 9 of 31 requests failed in the last 15 min' (a cycle a minute)."""
    failed, requests = _rule_counts(window)
    return f"{model}: {failed} of {requests} requests failed in the last {window['cycles']} min"


def samples_for(state: Any, config: Any) -> dict[str, int]:
    """Independent requests to send per model this cycle: CANARY_BURST while the
    model's window holds any failure, one otherwise."""
    windows = getattr(state, "windows", None)
    windows = windows if isinstance(windows, Mapping) else {}
    burst = max(1, int(config.canary_burst))
    return {
        model: burst if any(e[1] for e in _valid(windows.get(model))) else 1
        for model in config.canary_models
    }
