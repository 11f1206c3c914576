"""Why a stored alert is still open, and how many good cycles close it: what `check`
shows beside the verdict, so that an OPERATIONAL line never hides an open alert.

Pure over the stored state (decide/state.py) and the rules of decide/hysteresis.py:
- an alert closes after RECOVERY_THRESHOLD good cycles in a row;
- a flapping alert (FLAP_TRANSITIONS changes within FLAP_WINDOW cycles) is held open
  until FLAP_CLEAN good cycles in a row, then closes by the usual rule;
- an alert opened by canary failures is not closed by a cycle whose canaries could
  not run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .hysteresis import FLAP_CLEAN, FLAP_TRANSITIONS, FLAP_WINDOW
from .state import OVERALL, MonitorState

FLAPPING, RECOVERING, BAD, NO_CANARIES = "flapping", "recovering", "still_bad", "canaries_not_run"


@dataclass(frozen=True)
class AlertHold:
    """The open overall alert. `reason`: flapping, recovering (good cycles are being
    counted), still_bad (the latest verdict is bad), canaries_not_run."""

    reported: str
    since: str | None
    reason: str
    good_cycles_to_close: int
    why: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cycles_to_close(state: MonitorState, recovery_threshold: int, good_now: bool) -> int:
    """Good cycles in a row, from now, after which the open overall alert closes."""
    overall = state.targets[OVERALL]
    if state.flapping:
        # The hold ends at the FLAP_CLEAN-th clean cycle, which also counts toward
        # recovery; the flap hold kept the target's own good streak where it was.
        hold_left = FLAP_CLEAN - state.clean_streak
        return hold_left + max(0, recovery_threshold - overall.good_streak - 1)
    left = max(1, recovery_threshold - overall.good_streak) if good_now else recovery_threshold
    if _flaps_when_closing(state, left):
        # The closing cycle would start a flap hold (with the good cycles so far as
        # its clean ones), and the hold then runs to FLAP_CLEAN.
        return max(left, FLAP_CLEAN - (recovery_threshold - left))
    return left


def _flaps_when_closing(state: MonitorState, left: int) -> bool:
    """Whether the cycle `left` cycles from now, closing the alert, starts a flap hold:
    FLAP_TRANSITIONS - 1 changes still within FLAP_WINDOW by then."""
    closing_cycle = state.cycle_no + left
    recent = [n for n in state.flips if n > closing_cycle - FLAP_WINDOW]
    return len(recent) >= FLAP_TRANSITIONS - 1


def alert_hold(
    state: MonitorState, recovery_threshold: int, verdict: str, canaries_ran: bool = True
) -> AlertHold | None:
    """The open overall alert as stored after this cycle, or None when none is open."""
    overall = state.targets.get(OVERALL)
    if overall is None or not overall.alerting:
        return None
    good_now = verdict == "operational"
    left = cycles_to_close(state, recovery_threshold, good_now)
    since = (state.episode or {}).get("since")
    plural = "s" if left != 1 else ""
    closes = f"it closes after {left} more good cycle{plural} in a row"
    if state.flapping:
        reason = FLAPPING
        why = (
            f"held open as flapping (it opened or closed {FLAP_TRANSITIONS} times within "
            f"{FLAP_WINDOW} cycles): {closes}"
        )
    elif state.canary_alert and not canaries_ran:
        reason = NO_CANARIES
        why = f"the canaries that opened it could not run, so they cannot close it; {closes}"
    elif good_now:
        reason = RECOVERING
        why = f"recovering: {closes} (RECOVERY_THRESHOLD {recovery_threshold}"
        if left > recovery_threshold - overall.good_streak:
            why += f", then held as flapping until {FLAP_CLEAN} clean cycles"
        why += ")"
    else:
        reason = BAD
        why = f"still {verdict.replace('_', ' ')}: {closes}"
    return AlertHold(overall.reported, since, reason, left, why)
