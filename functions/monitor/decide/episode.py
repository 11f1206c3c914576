"""The episode: lead time over the status page, the error-rate window, what a RESOLVED reports.

The lead time is the confirming incident's `created_at` minus our first failure. The
error-rate window (errorwindow.py) advances here too, since it lives in the alert
state, and the verdict is re-decided with it. Pure functions over the state.
"""

from __future__ import annotations

from typing import Any

from ..decide import errorwindow, score
from ..models import PLATFORM_OUTCOMES, SKIPPED, CheckResult, Incident, Transition
from .failover import annotate
from .hysteresis import Signal, _ran
from .state import OVERALL, RANK, MonitorState, parse_time
from .verdict import decide


def minutes_between(start: str, end: str) -> float:
    return round((parse_time(end) - parse_time(start)).total_seconds() / 60, 2)


def _suspects(result: CheckResult, warn: float | None) -> set[str]:
    """Models our own signal says are failing: a failed canary, or a model whose
    partial-outage score is open (score.py)."""
    failed = {c.model for c in result.canaries if c.outcome in PLATFORM_OUTCOMES}
    if warn is not None:
        failed |= {c.model for c in result.canaries if score.is_open(c.window)}
    return failed


def _confirming_incident(
    result: CheckResult, suspects: set[str]
) -> tuple[Incident | None, list[str]]:
    """The incident that confirms what we suspect, and the suspected models it names."""
    page = result.status_page
    if not page.reachable:
        return None, []
    for incident in page.incidents:
        named = sorted(suspects & set(incident.confirms))
        if named or (suspects and "api" in incident.confirms):
            return incident, named or sorted(suspects)
    if page.api_incident:
        dated = [i for i in page.incidents if i.created_at] or page.incidents
        return (dated[0] if dated else None), []
    return None, []


def lead_time(state: MonitorState, result: CheckResult, warn: float | None = None) -> float | None:
    """Track how long the canary saw an outage before the status page confirmed it.

    Ours: a canary failed (unconfirmed_outage), or with `warn`, a model's window is
    confidently above it (a partial outage, verdict degraded). Confirmed: the API
    component not operational, an incident on it, or an incident whose text names a
    suspected model or the API. With the incident's `created_at` (when it was
    posted), the lead time is created_at minus our first failure; otherwise the
    cycles between our first failure and the confirming cycle.
    """
    page = result.status_page
    suspects = _suspects(result, warn)
    incident, models = _confirming_incident(result, suspects)
    confirmed = page.reachable and (
        incident is not None or page.api_incident or (page.api_status not in (None, "operational"))
    )
    verdict = result.verdict.verdict
    measured = None
    if state.suspected_at and confirmed:
        posted = incident.created_at if incident else None
        try:
            measured = max(0.0, minutes_between(state.suspected_at, posted or result.checked_at))
        except ValueError:
            posted, measured = (
                None,
                max(0.0, minutes_between(state.suspected_at, result.checked_at)),
            )
        state.lead = {
            "minutes": measured,
            "first_failure": state.suspected_at,
            "incident": incident.name if incident else None,
            "created_at": posted,
            "started_at": incident.started_at if incident else None,
            "models": models,
        }
        state.suspected_at = None
        state.pending_lead_time_min = measured
    elif suspects and state.suspected_at is None and not confirmed:
        state.suspected_at = result.checked_at
    elif verdict == "operational":
        state.suspected_at = None
    return measured


def apply_window(state: MonitorState, result: CheckResult, config: Any) -> None:
    """Advance the error-rate windows and the scores, show them on the canaries,
    re-decide the verdict with them. Idempotent for a given stored state: it starts
    from the raw results."""
    state.windows = errorwindow.advance_windows(
        state.windows, result.canaries, config.error_window_cycles
    )
    overall = state.targets.get(OVERALL)
    warned = bool(overall and overall.alerting and overall.reported == "degraded")
    state.scores = score.advance(state.scores, result.canaries, state.windows, config, warned)
    for canary in result.canaries:
        entries = state.windows.get(canary.model)
        ran = canary.outcome != SKIPPED
        canary.window = (
            {**errorwindow.summary(entries), **score.figures(state.scores[canary.model])}
            if ran and entries
            else None
        )
    result.verdict = decide(result.status_page, result.canaries, config.error_rate_warn)
    annotate(result)  # the failover step rides on the re-decided verdict


def track_episode(
    state: MonitorState, result: CheckResult, transitions: list[Transition], signal: Signal
) -> None:
    """Follow the overall alert from its first bad cycle to its recovery; drop what
    belongs to an outage that is over (its unannounced lead time included)."""
    verdict = result.verdict.verdict
    good = verdict == "operational"
    ep = state.episode
    if ep is None and not good:
        ep = state.episode = {
            "since": result.checked_at,
            "good_since": None,
            "requests": 0,
            "failed": 0,
            "worst": verdict,
        }
    if ep is not None:
        ep["requests"] += sum(c.requests for c in result.canaries)
        ep["failed"] += sum(c.failed_requests for c in result.canaries)
        if RANK.get(verdict, 0) > RANK.get(ep["worst"], 0):
            ep["worst"] = verdict
        if not signal.held:  # a cycle without canaries says nothing about recovery
            ep["good_since"] = (ep["good_since"] or result.checked_at) if good else None
    moved = [t for t in transitions if t.target == OVERALL]
    if any("operational" in (t.from_, t.to) for t in moved):
        # Only an opening or a closing is a flip: an open alert moving between bad
        # verdicts (the page confirming, then not) is one outage, not flapping.
        state.flips.append(state.cycle_no)
    if moved:
        state.canary_alert = _ran(result)
    overall = state.targets.get(OVERALL)
    if (overall and overall.alerting) or not (good or moved):
        return
    if moved and ep is not None:
        signal.resolved = dict(ep, recovered=ep["good_since"] or result.checked_at)
    # The outage is over: a lead time nobody was told about dies with it.
    state.episode, state.lead, state.pending_lead_time_min = None, None, None
    state.canary_alert = False
