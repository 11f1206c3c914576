"""Alert state, hysteresis, detection lead time and the cycle's plan. Pure functions.

Targets are the overall verdict (`overall`), each canary model (`canary:<model>`)
and the status page's API component (`status_page`). A target's alert opens after
FAILURE_THRESHOLD consecutive bad cycles and closes after RECOVERY_THRESHOLD good
ones; while open, a different bad value must also persist FAILURE_THRESHOLD cycles
before it is announced. So a blip is silent and flapping never storms.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from .models import SKIPPED, CheckResult, Notification, Transition
from .notify import compose
from .outbox import fit as fit_notification
from .outbox import merge, stored_notification

OVERALL = "overall"
STATUS_PAGE = "status_page"


def canary_target(model: str) -> str:
    return f"canary:{model}"


@dataclass
class TargetState:
    reported: str
    alerting: bool = False
    bad_streak: int = 0
    good_streak: int = 0
    candidate: str | None = None
    candidate_streak: int = 0


def _target(value: Any) -> TargetState | None:
    """A stored target, or None when it lacks `reported` or holds the wrong types."""
    if not isinstance(value, dict) or not isinstance(value.get("reported"), str):
        return None
    target = TargetState(reported=value["reported"])
    for key, default in asdict(target).items():
        got = value.get(key, default)
        if key == "candidate":
            ok = got is None or isinstance(got, str)
        else:
            ok = type(got) is type(default)
        if not ok:
            return None
        setattr(target, key, got)
    return target


def _iso_or_none(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        _parse(value)
    except ValueError:
        return False
    return True


# Checks for the scalar fields whose bad value would raise later (e.g. in lead_time).
_STATE_CHECKS = {
    "suspected_at": _iso_or_none,
    "last_notified_at": _iso_or_none,
    "last_cycle_at": _iso_or_none,
    "pending_lead_time_min": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


@dataclass
class MonitorState:
    targets: dict[str, TargetState] = field(default_factory=dict)
    # First cycle of an unconfirmed outage the status page has not confirmed yet.
    suspected_at: str | None = None
    # A measured lead time not yet announced in a notification.
    pending_lead_time_min: float | None = None
    last_notified_at: str | None = None
    last_cycle_at: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> MonitorState:
        return cls.parse(text)[0]

    @classmethod
    def parse(cls, text: str | None) -> tuple[MonitorState, list[str]]:
        """The state, and what of it could not be read (set aside, never crashed on).

        A newer version may add fields (ignored here), an older one may lack some
        (defaults); a target that cannot be read starts afresh; text that is not a
        JSON object gives a fresh state."""
        if not text:
            return cls(), []
        try:
            data = json.loads(text)
        except ValueError:
            return cls(), ["state is not JSON"]
        if not isinstance(data, dict):
            return cls(), ["state is not a JSON object"]
        problems: list[str] = []
        raw_targets = data.get("targets")
        if not isinstance(raw_targets, dict):
            if raw_targets is not None:
                problems.append("targets is not an object")
            raw_targets = {}
        targets = {}
        for name, value in raw_targets.items():
            target = _target(value)
            if target is None:
                problems.append(f"target {str(name)[:60]!r} unreadable")
            else:
                targets[str(name)] = target
        known: dict[str, Any] = {}
        for key in cls.__dataclass_fields__:
            if key == "targets" or key not in data or data[key] is None:
                continue
            if key in _STATE_CHECKS and not _STATE_CHECKS[key](data[key]):
                problems.append(f"{key} unreadable")
                continue
            known[key] = data[key]
        return cls(targets=targets, **known), problems


@dataclass
class OutboxEntry:
    """A notification committed with its transitions, not yet confirmed as sent."""

    id: str
    created_wall: float
    transitions: list[dict[str, str]]
    notification: dict[str, str]

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, entry_id: str | None = None) -> OutboxEntry | None:
        """The entry, or None when it cannot be read. Unknown fields are ignored; a
        missing or bad `created_wall` makes the entry due at once (sent, not lost);
        a missing notification is recomposed from the transitions."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        # The store's key wins: it is what the outbox clear removes.
        entry_id = entry_id or (data.get("id") if isinstance(data.get("id"), str) else None)
        if not entry_id:
            return None
        created = data.get("created_wall")
        if not isinstance(created, (int, float)) or isinstance(created, bool) or created != created:
            created = 0.0
        raw = data.get("transitions")
        transitions = [
            {k: t[k] for k in ("target", "from", "to")}
            for t in (raw if isinstance(raw, list) else [])
            if isinstance(t, dict)
            and all(isinstance(t.get(k), str) for k in ("target", "from", "to"))
        ]
        notification = data.get("notification")
        return cls(
            entry_id,
            float(created),
            transitions,
            notification if isinstance(notification, dict) else {},
        )


@dataclass
class Stored:
    state: MonitorState
    version: int
    outbox: dict[str, OutboxEntry]
    # The token of the commit that wrote this state (DynamoDB), to recognise one's own
    # write after its answer was lost.
    writer: str | None = None


@dataclass
class Plan:
    state: MonitorState
    outbox: dict[str, OutboxEntry]
    transitions: list[Transition]
    notification: Notification | None
    lead_time_min: float | None
    # Pending entries of earlier cycles this notification takes over.
    taken_over: list[str] = field(default_factory=list)


def observations(result: CheckResult) -> dict[str, tuple[str, str]]:
    """target -> (observed value, the value that means good); absent = no observation."""
    obs = {OVERALL: (result.verdict.verdict, "operational")}
    page = result.status_page
    page_value = (page.api_status or "not_listed") if page.reachable else "unreachable"
    obs[STATUS_PAGE] = (page_value, "operational")
    for canary in result.canaries:
        if canary.outcome != SKIPPED:
            obs[canary_target(canary.model)] = (canary.outcome, "ok")
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


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _minutes(start: str, end: str) -> float:
    return round((_parse(end) - _parse(start)).total_seconds() / 60, 2)


def lead_time(state: MonitorState, result: CheckResult) -> float | None:
    """Track how long the canary saw an outage before the status page confirmed it."""
    page = result.status_page
    confirmed = page.reachable and (
        page.api_incident or (page.api_status not in (None, "operational"))
    )
    verdict = result.verdict.verdict
    measured = None
    if state.suspected_at and confirmed:
        measured = max(0.0, _minutes(state.suspected_at, result.checked_at))
        state.suspected_at = None
        state.pending_lead_time_min = measured
    elif verdict == "unconfirmed_outage" and state.suspected_at is None and not confirmed:
        state.suspected_at = result.checked_at
    elif verdict == "operational":
        state.suspected_at = None
    return measured


def _notification_id(checked_at: str, transitions: list[Transition]) -> str:
    digest = hashlib.sha256(
        json.dumps([checked_at, [t.to_dict() for t in transitions]]).encode()
    ).hexdigest()[:10]
    return f"n-{checked_at}-{digest}"


def plan_cycle(
    stored: Stored,
    result: CheckResult,
    config: Any,
    now_wall: float,
) -> Plan:
    """Everything this cycle will commit and send, decided before any write."""
    state = MonitorState.from_json(stored.state.to_json())
    measured = lead_time(state, result)
    state.targets, transitions = advance(
        state.targets, observations(result), config.failure_threshold, config.recovery_threshold
    )
    state.last_cycle_at = result.checked_at
    outbox = dict(stored.outbox)
    # Entries whose owner had time to send them and did not (it failed or died).
    stale = sorted(
        (e for e in outbox.values() if now_wall - e.created_wall >= config.outbox_lease_s),
        key=lambda e: (e.created_wall, e.id),
    )
    reminder = _reminder_due(state, transitions, result, config)
    # Every transition is recorded, but only a change of the overall verdict wakes
    # people; the per-target transitions of that cycle ride along in its message.
    wakes = any(t.target == OVERALL for t in transitions)
    if not (wakes or stale or reminder):
        return Plan(state, outbox, transitions, None, measured)
    # A stale entry is re-sent as it was committed: same id, text and severity.
    parts = [_committed(e, result) for e in stale]
    announce = [t for e in stale for t in e.transitions]
    if wakes or reminder:
        fresh = transitions if wakes else []
        lead = state.pending_lead_time_min if wakes else None
        parts.append(
            compose(_notification_id(result.checked_at, fresh), fresh, result, lead, reminder)
        )
        announce += [t.to_dict() for t in fresh]
        if lead is not None:
            state.pending_lead_time_min = None
    state.last_notified_at = result.checked_at
    notification = fit_notification(merge(parts, result.checked_at))
    for entry in stale:
        outbox.pop(entry.id)
    outbox[notification.id] = OutboxEntry(
        id=notification.id,
        created_wall=now_wall,
        transitions=announce,
        notification=notification.to_dict(),
    )
    return Plan(state, outbox, transitions, notification, measured, [e.id for e in stale])


def _committed(entry: OutboxEntry, result: CheckResult) -> Notification:
    """The notification an entry committed; an entry stored without one (an older
    version wrote it) is recomposed from its transitions under its own id."""
    stored = stored_notification(entry.notification)
    if stored is not None:
        return stored
    moved = [Transition(t["target"], t["from"], t["to"]) for t in entry.transitions]
    return compose(entry.id, moved, result, None)


def _reminder_due(
    state: MonitorState, transitions: list[Transition], result: CheckResult, config: Any
) -> bool:
    overall = state.targets.get(OVERALL)
    if not config.reminder_minutes or transitions or not overall or not overall.alerting:
        return False
    if not state.last_notified_at:
        return True
    return _minutes(state.last_notified_at, result.checked_at) >= config.reminder_minutes
