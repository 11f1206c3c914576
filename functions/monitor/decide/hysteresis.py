"""Hysteresis and flap damping: when an observed change becomes an alert change.

A target's alert opens after FAILURE_THRESHOLD consecutive bad cycles and closes after
RECOVERY_THRESHOLD good ones; while open, a different bad value must also persist
FAILURE_THRESHOLD cycles before it is announced. So a blip is silent. On top of that
(`damp`), an overall alert that keeps opening and closing is held open as one flapping
event, and one opened by canary failures is not closed by a cycle whose canaries could
not run. Pure functions over the state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..models import SKIPPED, CheckResult, Transition
from .failover import bedrock_observations
from .state import OVERALL, RANK, STATUS_PAGE, MonitorState, TargetState, canary_target

# Flap damping: FLAP_TRANSITIONS transitions of the overall target within FLAP_WINDOW
# cycles hold the alert open (announced once as flapping) until FLAP_CLEAN good
# cycles in a row. A 2-bad / 2-good flap then sends 4 messages, not 30 an hour.
FLAP_TRANSITIONS = 4
FLAP_WINDOW = 30
FLAP_CLEAN = 15


def observations(result: CheckResult) -> dict[str, tuple[str, str]]:
    """target -> (observed value, the value that means good); absent = no observation."""
    obs = {OVERALL: (result.verdict.verdict, "operational")}
    page = result.status_page
    page_value = (page.api_status or "not_listed") if page.reachable else "unreadable"
    obs[STATUS_PAGE] = (page_value, "operational")
    for canary in result.canaries:
        if canary.outcome != SKIPPED:
            obs[canary_target(canary.model)] = (canary.outcome, "ok")
    obs.update(bedrock_observations(result.bedrock))
    return obs


def advance(
    targets: dict[str, TargetState],
    observed: dict[str, tuple[str, str]],
    failure_threshold: int,
    recovery_threshold: int,
) -> tuple[dict[str, TargetState], list[Transition]]:
    """Apply one cycle's observations to every target; return new states and transitions."""
    new: dict[str, TargetState] = {}
    transitions: list[Transition] = []
    for name in sorted(set(targets) | set(observed)):
        old = targets.get(name)
        if name not in observed:
            if old:
                new[name] = old
            continue
        value, good_value = observed[name]
        ts = TargetState(**asdict(old)) if old else TargetState(reported=good_value)
        moved = _step(ts, value, value == good_value, failure_threshold, recovery_threshold)
        if moved:
            transitions.append(Transition(name, moved, value))
        new[name] = ts
    return new, transitions


def _step(ts: TargetState, value: str, good: bool, fail_n: int, recover_n: int) -> str | None:
    """Advance one target; return the old reported value when a transition happens."""
    if good:
        ts.bad_streak, ts.candidate, ts.candidate_streak = 0, None, 0
        if not ts.alerting:
            ts.reported, ts.good_streak = value, 0
            return None
        ts.good_streak += 1
        if ts.good_streak < recover_n:
            return None
        before, ts.reported, ts.alerting, ts.good_streak = ts.reported, value, False, 0
        return before
    ts.good_streak = 0
    if not ts.alerting:
        ts.bad_streak += 1
        if ts.bad_streak < fail_n:
            return None
        before, ts.reported, ts.alerting, ts.bad_streak = ts.reported, value, True, 0
        return before
    if value == ts.reported:
        ts.candidate, ts.candidate_streak = None, 0
        return None
    if value == ts.candidate:
        ts.candidate_streak += 1
    else:
        ts.candidate, ts.candidate_streak = value, 1
    if ts.candidate_streak < fail_n:
        return None
    before, ts.reported, ts.candidate, ts.candidate_streak = ts.reported, value, None, 0
    return before


@dataclass
class Signal:
    """What this cycle's hysteresis decided beyond the transitions themselves."""

    held: bool = False
    flap_started: bool = False
    resolved: dict[str, Any] | None = None


def _ran(result: CheckResult) -> bool:
    return any(c.outcome != SKIPPED for c in result.canaries)


def damp(
    state: MonitorState, observed: dict[str, tuple[str, str]], result: CheckResult, config: Any
) -> Signal:
    """Hold the overall alert open where closing it would be wrong. Pure over its inputs.

    - No canary ran (key unavailable) and the alert rests on canary failures: the
      overall target gets no observation that would make it better.
    - Flapping: the transition that would close the alert after FLAP_TRANSITIONS - 1
      others within FLAP_WINDOW cycles is held; the hold ends after FLAP_CLEAN good
      cycles in a row; the alert then recovers as usual.
    """
    signal = Signal()
    overall = state.targets.get(OVERALL)
    verdict = result.verdict.verdict
    good = verdict == "operational"
    state.cycle_no += 1
    state.flips = [n for n in state.flips if n > state.cycle_no - FLAP_WINDOW]
    if not (overall and overall.alerting):
        state.flapping, state.clean_streak = False, 0
        return signal
    worse = RANK.get(verdict, 0) >= RANK.get(overall.reported, 0)
    if state.canary_alert and not _ran(result) and not worse:
        observed.pop(OVERALL, None)
        signal.held = True
        return signal
    if state.flapping:
        state.clean_streak = state.clean_streak + 1 if good else 0
        if state.clean_streak < FLAP_CLEAN:
            if good:
                observed.pop(OVERALL, None)
            return signal
        state.flapping, state.clean_streak, state.flips = False, 0, []
        return signal
    closing = good and overall.good_streak + 1 >= config.recovery_threshold
    if closing and len(state.flips) >= FLAP_TRANSITIONS - 1:
        observed.pop(OVERALL, None)
        state.flapping, state.clean_streak = True, overall.good_streak + 1
        signal.flap_started = True
    return signal
