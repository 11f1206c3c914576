"""The fast path for stochastic replays: the real decision, hand-built canary results.

Each cycle asks the real `samples_for` how many requests to send, draws each
request's fate (it fails with probability `rate(minute)`, a failed one is retried up
to CANARY_MAX_ATTEMPTS times, as the canary does), builds the `CanaryResult` that
`probe()` would merge from them, and runs the real `plan_cycle` (verdict, window,
score, hysteresis, flap damping, episode, notification text). What it leaves out is
only the HTTP: the same timelines also run through the handler against the
simulator (tests/replay.py), on fewer seeds.

Used by tests/unit/test_score.py and tests/bench/replay.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.monitor.config import Config
from functions.monitor.decide.score import samples_for
from functions.monitor.decide.state import MonitorState, Stored
from functions.monitor.decide.verdict import decide
from functions.monitor.models import CanaryResult, CheckResult, StatusPage

MODEL = "claude-haiku-5-5"
START = datetime(2026, 4, 9, 12, 0, tzinfo=UTC)
PAGE = StatusPage(True, api_status="operational")


@dataclass
class Played:
    """What a run sent: (minute, severity, subject) per notification; requests sent."""

    sent: list[tuple[int, str, str]] = field(default_factory=list)
    requests: int = 0
    verdicts: list[str] = field(default_factory=list)
    # Cycles that sent more than CANARY_SAMPLES requests' worth of samples (bursts).
    bursts: int = 0
    texts: list[str] = field(default_factory=list)

    def first(self, severity: str | None = None, after: int = 0) -> int | None:
        for minute, sev, _ in self.sent:
            if minute >= after and (severity is None or sev == severity):
                return minute
        return None

    def count(self, severity: str | None = None, after: int = 0, before: int = 10**9) -> int:
        return sum(
            1
            for minute, sev, _ in self.sent
            if after <= minute < before and (severity is None or sev == severity)
        )


def canary(samples: int, attempts: int, fails: Callable[[], bool]) -> CanaryResult:
    """The merged result of `samples` concurrent canaries, each retried on failure."""
    requests = failed = 0
    passed = False
    for _ in range(samples):
        for _attempt in range(attempts):
            requests += 1
            if not fails():
                passed = True
                break
            failed += 1
    return CanaryResult(
        MODEL,
        "ok" if passed else "api_error",
        attempts=requests,
        samples=samples,
        requests=requests,
        failed_requests=failed,
    )


def play(
    rate: Callable[[int], float],
    cycles: int,
    seed: int,
    config: Config | None = None,
    stop_at_first: bool = False,
) -> Played:
    """Run `cycles` minutes of the real decision; `rate(minute)` is the failure share."""
    config = config or Config(canary_models=(MODEL,))
    rng = random.Random(seed)
    stored = Stored(MonitorState(), 0, {})
    played = Played()
    for minute in range(cycles):
        p = rate(minute)
        samples = samples_for(stored.state, config)[MODEL]
        result = _result(minute, canary(samples, config.max_attempts, lambda: rng.random() < p))
        played.requests += result.canaries[0].requests
        played.bursts += samples > config.canary_samples
        plan = _plan(stored, result, config, minute)
        played.verdicts.append(result.verdict.verdict)
        if plan.notification is not None:
            n = plan.notification
            played.sent.append((minute, n.severity, n.subject))
            played.texts.append(n.email)
            if stop_at_first:
                break
        stored = Stored(plan.state, stored.version + 1, {})
    return played


def _result(minute: int, result: CanaryResult) -> CheckResult:
    at = (START + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return CheckResult(at, decide(PAGE, [result]), PAGE, [result])


def _plan(stored: Stored, result: CheckResult, config: Config, minute: int) -> Any:
    from functions.monitor.plan import plan_cycle

    return plan_cycle(stored, result, config, 1_000_000.0 + 60 * minute)


def steady(p: float) -> Callable[[int], float]:
    return lambda _minute: p


def outage(p: float, starts: int, ends: int, background: float = 0.0) -> Callable[[int], float]:
    return lambda minute: p if starts <= minute < ends else background


def warnings_by_statistic(
    rate: float, cycles: int, seed: int, config: Config | None = None
) -> tuple[int, int, int]:
    """Warnings in `cycles` minutes at a steady `rate`, by the statistic alone: the
    real `samples_for`, `advance_windows` and `score.advance`, a warning being the
    model open for FAILURE_THRESHOLD cycles in a row (as the hysteresis needs). About
    thirty times faster than `play`, for the long background runs (hundreds of days).
    Returns (warnings, requests sent, cycles that burst)."""
    from functions.monitor.decide import errorwindow, score

    config = config or Config(canary_models=(MODEL,))
    rng = random.Random(seed)
    state = MonitorState()
    warned = streak = requests = bursts = 0
    for _minute in range(cycles):
        samples = samples_for(state, config)[MODEL]
        bursts += samples > config.canary_samples
        result = canary(samples, config.max_attempts, lambda: rng.random() < rate)
        requests += result.requests
        state.windows = errorwindow.advance_windows(
            state.windows, [result], config.error_window_cycles
        )
        state.scores = score.advance(state.scores, [result], state.windows, config, False)
        if state.scores[MODEL]["open"]:
            streak += 1
            warned += streak == config.failure_threshold
        else:
            streak = 0
    return warned, requests, bursts
