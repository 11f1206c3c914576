"""Alert state, hysteresis, detection lead time and the cycle's plan. Pure functions.

Targets are the overall verdict (`overall`), each canary model (`canary:<model>`)
and the status page's API component (`status_page`). A target's alert opens after
FAILURE_THRESHOLD consecutive bad cycles and closes after RECOVERY_THRESHOLD good
ones; while open, a different bad value must also persist FAILURE_THRESHOLD cycles
before it is announced. So a blip is silent. On top of that (`damp`), an overall
alert that keeps opening and closing is held open as one flapping event, and one
opened by canary failures is not closed by a cycle whose canaries could not run.
The error-rate window (errorwindow.py) advances here too, since it lives in the
alert state, and the verdict is re-decided with it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from . import errorwindow
from .bedrock import annotate, bedrock_observations
from .models import PLATFORM_OUTCOMES, SKIPPED, CheckResult, Incident, Notification, Transition
from .notify import Extra, compose, compose_digest, lead_sentence
from .outbox import fit as fit_notification
from .outbox import merge, stored_notification, with_channels
from .quiet import QuietState, active_mute, decide_delivery, digest_severity, parse_iso
from .verdict import decide

OVERALL = "overall"
# Where a notification goes: the alert topic (email, SMS, chat), and with
# WEBHOOK_TOPIC_ARN the webhook topic (the documented body).
ALERT, WEBHOOK = "alert", "webhook"
DESTINATIONS = (ALERT, WEBHOOK)
STATUS_PAGE = "status_page"
# Flap damping: FLAP_TRANSITIONS transitions of the overall target within FLAP_WINDOW
# cycles hold the alert open (announced once as flapping) until FLAP_CLEAN good
# cycles in a row. A 2-bad / 2-good flap then sends 4 messages, not 30 an hour.
FLAP_TRANSITIONS = 4
FLAP_WINDOW = 30
FLAP_CLEAN = 15
# How bad a verdict is, to track the worst one and to hold alerts (higher = worse).
RANK = {
    "operational": 0,
    "degraded": 1,
    "maintenance": 1,
    "rate_limited": 1,
    "network_error": 2,
    "client_error": 3,
    "unconfirmed_outage": 3,
    "outage": 4,
}


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
    # What a newer version stored on the target and this one does not know: kept and
    # written back as it was (see MonitorState.newer).
    newer: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {**data.pop("newer"), **data}


def _target(value: Any) -> TargetState | None:
    """A stored target, or None when it lacks `reported` or holds the wrong types."""
    if not isinstance(value, dict) or not isinstance(value.get("reported"), str):
        return None
    target = TargetState(reported=value["reported"])
    for key, default in asdict(target).items():
        if key == "newer":
            continue
        got = value.get(key, default)
        if key == "candidate":
            ok = got is None or isinstance(got, str)
        else:
            ok = type(got) is type(default)
        if not ok:
            return None
        setattr(target, key, got)
    target.newer = _unknown(TargetState, value)
    return target


def _unknown(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    """The keys of a stored object that this version's `kind` does not define."""
    known = {f.name for f in fields(kind)} - {"newer"}
    return {str(k): v for k, v in data.items() if k not in known}


def _iso_or_none(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        _parse(value)
    except ValueError:
        return False
    return True


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _lead_ok(value: Any) -> bool:
    return isinstance(value, dict) and _number(value.get("minutes"))


def _episode_ok(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("since"), str)
        and (value.get("good_since") is None or isinstance(value.get("good_since"), str))
        and _whole(value.get("requests"))
        and _whole(value.get("failed"))
        and isinstance(value.get("worst"), str)
    )


# Checks for the fields whose bad value would raise later (in lead_time, the flap
# damping, the episode); a field that fails its check starts afresh.
_STATE_CHECKS = {
    "suspected_at": _iso_or_none,
    "last_notified_at": _iso_or_none,
    "last_cycle_at": _iso_or_none,
    "pending_lead_time_min": _number,
    "windows": lambda v: isinstance(v, dict),
    "lead": _lead_ok,
    "episode": _episode_ok,
    "canary_alert": lambda v: isinstance(v, bool),
    "cycle_no": _whole,
    "flips": lambda v: isinstance(v, list) and all(_whole(n) for n in v),
    "flapping": lambda v: isinstance(v, bool),
    "clean_streak": _whole,
    "quiet": lambda v: _quiet_ok(v),
}


def _quiet_ok(value: Any) -> bool:
    """Readable as a QuietState, with times that parse (a mute's are compared later)."""
    if not isinstance(value, dict):
        return False
    try:
        quiet = QuietState.from_dict(value)
        for mute in quiet.mutes:
            parse_iso(mute.set_at), parse_iso(mute.until_iso)
        if not all(isinstance(m.reason, str) for m in quiet.mutes):
            return False
        for item in quiet.held.items:
            texts = (item.at, item.severity, item.verdict, item.subject, item.why)
            if not (all(isinstance(x, str) for x in texts) and isinstance(item.transitions, list)):
                return False
            for t in item.transitions:
                t["target"], t["from"], t["to"]  # noqa: B018 - raises on a bad one
        folded = quiet.held.folded
        if not (
            _whole(folded.count)
            and isinstance(folded.verdicts, dict)
            and isinstance(folded.paths, dict)
            and all(isinstance(p, list) and len(p) == 2 for p in folded.paths.values())
            and (quiet.held.last_sent_at is None or isinstance(quiet.held.last_sent_at, str))
        ):
            return False
        json.dumps(quiet.to_dict())
    except (TypeError, ValueError, KeyError, AttributeError):
        return False
    return True


@dataclass
class MonitorState:
    targets: dict[str, TargetState] = field(default_factory=dict)
    # First cycle of an unconfirmed outage the status page has not confirmed yet.
    suspected_at: str | None = None
    # A measured lead time not yet announced in a notification.
    pending_lead_time_min: float | None = None
    last_notified_at: str | None = None
    last_cycle_at: str | None = None
    # Per-model error-rate window: model -> [[requests, failed], ...] (see errorwindow).
    windows: dict[str, list[list[int]]] = field(default_factory=dict)
    # The pending lead time's detail: minutes, first_failure, incident, created_at,
    # started_at, models. Dropped once the outage it measured is over.
    lead: dict[str, Any] | None = None
    # The overall alert's episode, from its first bad cycle: since, good_since,
    # requests, failed, worst. Reported by the RESOLVED message.
    episode: dict[str, Any] | None = None
    # The overall alert was opened (or last moved) by a cycle whose canaries ran: a
    # cycle without canaries (key unavailable) must not close it on the page alone.
    canary_alert: bool = False
    # Flap damping: a cycle counter, the cycles of recent overall transitions, the hold.
    cycle_no: int = 0
    flips: list[int] = field(default_factory=list)
    flapping: bool = False
    clean_streak: int = 0
    # Mutes and notifications held in quiet hours or a mute (quiet.QuietState).
    quiet: dict[str, Any] | None = None
    # Fields a newer version stored that this one does not know. Written back as they
    # were: a rollback, or an older `mute` run against the table, must not erase
    # what the newer version keeps (this version's readers ignore them).
    newer: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_json(self) -> str:
        data = asdict(self)
        data["targets"] = {name: t.to_dict() for name, t in self.targets.items()}
        return json.dumps({**data.pop("newer"), **data}, separators=(",", ":"), sort_keys=True)

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
            if key in ("targets", "newer") or key not in data or data[key] is None:
                continue
            if key in _STATE_CHECKS and not _STATE_CHECKS[key](data[key]):
                problems.append(f"{key} unreadable")
                continue
            known[key] = data[key]
        return cls(targets=targets, newer=_unknown(cls, data), **known), problems


@dataclass
class OutboxEntry:
    """A notification committed with its transitions, not yet confirmed as sent."""

    id: str
    created_wall: float
    transitions: list[dict[str, str]]
    notification: dict[str, str]
    # Destinations ("alert", "webhook") this notification already went to: a re-send
    # goes only to the others.
    done: list[str] = field(default_factory=list)
    # Fields a newer version stored with the entry: kept (see MonitorState.newer).
    newer: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps({**data.pop("newer"), **data}, separators=(",", ":"))

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
        done = data.get("done")
        return cls(
            entry_id,
            float(created),
            transitions,
            notification if isinstance(notification, dict) else {},
            sorted({d for d in done if d in DESTINATIONS}) if isinstance(done, list) else [],
            _unknown(cls, data),
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
    # The lead time measured this cycle, in full (minutes, first_failure, incident,
    # created_at, started_at, models), for the stored record; None when not measured.
    lead: dict[str, Any] | None = None


def observations(result: CheckResult) -> dict[str, tuple[str, str]]:
    """target -> (observed value, the value that means good); absent = no observation."""
    obs = {OVERALL: (result.verdict.verdict, "operational")}
    page = result.status_page
    page_value = (page.api_status or "not_listed") if page.reachable else "unreachable"
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


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _minutes(start: str, end: str) -> float:
    return round((_parse(end) - _parse(start)).total_seconds() / 60, 2)


def _suspects(result: CheckResult, warn: float | None) -> set[str]:
    """Models our own signal says are failing: a failed canary, or a window
    confidently above the threshold (failures the retries hid)."""
    failed = {c.model for c in result.canaries if c.outcome in PLATFORM_OUTCOMES}
    if warn is not None:
        failed |= {c.model for c in result.canaries if errorwindow.above(c.window, warn)}
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
            measured = max(0.0, _minutes(state.suspected_at, posted or result.checked_at))
        except ValueError:
            posted, measured = None, max(0.0, _minutes(state.suspected_at, result.checked_at))
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


def _notification_id(checked_at: str, transitions: list[Transition]) -> str:
    digest = hashlib.sha256(
        json.dumps([checked_at, [t.to_dict() for t in transitions]]).encode()
    ).hexdigest()[:10]
    return f"n-{checked_at}-{digest}"


def apply_window(state: MonitorState, result: CheckResult, config: Any) -> None:
    """Advance the error-rate windows, show them on the canaries, re-decide the verdict
    with them. Idempotent for a given stored state: it starts from the raw results."""
    state.windows = errorwindow.advance_windows(
        state.windows, result.canaries, config.error_window_cycles
    )
    for canary in result.canaries:
        entries = state.windows.get(canary.model)
        ran = canary.outcome != SKIPPED
        canary.window = errorwindow.summary(entries) if ran and entries else None
    result.verdict = decide(result.status_page, result.canaries, config.error_rate_warn)
    annotate(result)  # the failover step rides on the re-decided verdict


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


def _track_episode(
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


def plan_cycle(
    stored: Stored,
    result: CheckResult,
    config: Any,
    now_wall: float,
) -> Plan:
    """Everything this cycle will commit and send, decided before any write."""
    state = MonitorState.from_json(stored.state.to_json())
    apply_window(state, result, config)
    measured = lead_time(state, result, config.error_rate_warn)
    lead_record = dict(state.lead) if measured is not None and state.lead else None
    observed = observations(result)
    signal = damp(state, observed, result, config)
    if signal.held:
        result.verdict.summary += (
            "; canaries unknown (they could not run), the alert they opened stays open"
        )
    state.targets, transitions = advance(
        state.targets, observed, config.failure_threshold, config.recovery_threshold
    )
    _track_episode(state, result, transitions, signal)
    state.last_cycle_at = result.checked_at
    outbox = dict(stored.outbox)
    # Entries whose owner had time to send them and did not (it failed or died).
    stale = sorted(
        (e for e in outbox.values() if _due(e, now_wall, config.outbox_lease_s)),
        key=lambda e: (e.created_wall, e.id),
    )
    # An entry left waiting only for a destination that is no longer configured.
    wanted = {ALERT, WEBHOOK} if getattr(config, "webhook_topic_arn", None) else {ALERT}
    for entry in [e for e in stale if wanted <= set(e.done)]:
        outbox.pop(entry.id)
        stale.remove(entry)
    reminder = _reminder_due(state, transitions, result, config)
    # Every transition is recorded, but only a change of the overall verdict (or the
    # start of a flap hold) wakes people; the per-target transitions ride along.
    moved = any(_wakes(t.target, config) for t in transitions)
    # The page confirmed what we already alerted on without changing the verdict (a
    # partial outage stays degraded): say so now, or the lead time is never told.
    overall = state.targets.get(OVERALL)
    confirmed_now = (
        measured is not None
        and not moved
        and overall is not None
        and overall.alerting
        and overall.reported == result.verdict.verdict
    )
    wakes = moved or signal.flap_started or confirmed_now
    fresh = transitions if wakes else []
    own, spent = (
        _compose_fresh(state, result, fresh, reminder, signal, confirmed_now)
        if wakes or reminder
        else (None, None)
    )
    told = _episode_told(state, signal)
    own, digest, meanwhile = _route_quiet(
        state, result, config, own, fresh, not wakes, told, lead_sentence(spent)
    )
    if own is None and digest is None and not stale:
        return Plan(state, outbox, transitions, None, measured, lead=lead_record)
    if own is not None or digest is not None:
        state.last_notified_at = result.checked_at
    # This cycle's transitions are announced only by its own notification: held or
    # muted, they are the digest's to tell, later, not the re-sent entries'.
    told_now = [t.to_dict() for t in fresh] if own is not None else []
    notification, done, announce = _outgoing(
        stale, own, digest, meanwhile + told_now, result, config, measured
    )
    for entry in stale:
        outbox.pop(entry.id)
    outbox[notification.id] = OutboxEntry(
        id=notification.id,
        created_wall=now_wall,
        transitions=announce,
        notification=notification.to_dict(),
        done=done,
    )
    taken = [e.id for e in stale]
    return Plan(state, outbox, transitions, notification, measured, taken, lead=lead_record)


def _route_quiet(
    state: MonitorState,
    result: CheckResult,
    config: Any,
    own: Notification | None,
    fresh: list[Transition],
    reminder_only: bool = False,
    told: bool = False,
    lead: str = "",
) -> tuple[Notification | None, Notification | None, list[dict[str, str]]]:
    """Quiet hours and mutes (quiet.py): this cycle's notification, or None when it is
    held or muted (its transitions are stored all the same), the digest of what was
    held, once it may be told, and the transitions the digest tells. Sets what
    `check` shows of it on the result.

    A reminder tells no change: it is never held (held, one would join the digest
    every cycle, as `last_notified_at` does not move, and bury the real changes), and
    it gives way to a digest, which says what the alert is now."""
    hours = getattr(config, "quiet_hours", None)
    quiet = QuietState.from_dict(state.quiet)
    now = _parse(result.checked_at).astimezone(UTC)
    quiet.expire(now)
    if own is not None and reminder_only:
        holding = quiet.held.holding
        if decide_delivery(own.severity, now, hours, quiet.mutes, holding=holding) != "send":
            own = None
        elif quiet.held:
            quiet.held.mark_sent(now)
    elif own is not None:
        decision = quiet.route(own.to_dict(), [t.to_dict() for t in fresh], now, hours, told=told)
        if decision != "send":
            own = None
            # The lead time it told is spent: the digest must tell it instead.
            quiet.held.items[-1].lead = lead or None
    digest = None
    latest = quiet.held.items[-1].verdict if quiet.held.items else None
    count = len(quiet.held.items) + quiet.held.folded.count
    meanwhile = [t for item in quiet.held.items for t in item.transitions]
    # A digest holding a critical (a mute ended inside quiet hours) is not a warning
    # for quiet hours to hold: it goes when the mute ends.
    urgent = digest_severity(quiet.held) in ("critical", "unknown")
    holding = quiet.held.holding
    released = quiet.release(now, None if urgent else hours)
    if released is not None:
        severity, text = released
        if not holding:
            # The latest news already went out (a critical, a RESOLVED): the digest only
            # fills in what was held before it, with the state as it is now. Its held
            # warning would re-raise an alarm (webhook ALARM) for an alert that is over.
            severity, latest = result.verdict.severity, result.verdict.verdict
        digest = compose_digest(text, severity, latest, count, result)
        if reminder_only:
            own = None
    state.quiet = quiet.to_dict() if (quiet.mutes or quiet.held or quiet.newer) else None
    mute = active_mute(quiet.mutes, now)
    result.quiet = bool(hours and hours.contains(now))
    result.held = len(quiet.held.items) + quiet.held.folded.count
    result.muted_until = mute.until_iso if mute else None
    result.mute_reason = mute.reason if mute else None
    return own, digest, meanwhile if digest is not None else []


def _due(entry: OutboxEntry, now_wall: float, lease_s: float) -> bool:
    """Whether a pending entry's owner had its time: its lease is over, or its time
    is ahead of this clock by more than a lease (a skewed clock, a hostile or corrupt
    item, `Infinity`), which would otherwise keep it waiting, unsent, for ever."""
    age = now_wall - entry.created_wall
    return age >= lease_s or -age > lease_s


def _episode_told(state: MonitorState, signal: Signal) -> bool:
    """Whether people were told of the alert this cycle resolves (something was sent
    since its first bad cycle): its RESOLVED is then never held by quiet hours, even
    when a later change of it was (a critical that paged at 21:00, then a quieter
    degraded held at 23:00, must not leave the pager open until the morning)."""
    since = (signal.resolved or {}).get("since")
    if not (since and state.last_notified_at):
        return False
    try:
        return _parse(state.last_notified_at) >= _parse(since)
    except (TypeError, ValueError):
        return False


def _outgoing(
    stale: list[OutboxEntry],
    own: Notification | None,
    digest: Notification | None,
    fresh: list[dict[str, str]],
    result: CheckResult,
    config: Any,
    lead_time_min: float | None,
) -> tuple[Notification, list[str], list[dict[str, str]]]:
    """The one notification to commit and send, the destinations it already reached,
    and the transitions it announces.

    A stale entry is re-sent as it was committed (same id, texts, chat message and
    webhook body), and only to the destinations it has not reached: an entry whose
    alert went out but whose webhook did not joins the webhook's message only."""
    webhook = bool(getattr(config, "webhook_topic_arn", None))
    new = [n for n in (digest, own) if n is not None]
    committed = [(e, _committed(e, result)) for e in stale]
    to_alert = [n for e, n in committed if ALERT not in e.done] + new
    to_hook = [n for e, n in committed if WEBHOOK not in e.done] + new if webhook else []
    announce = [t for e in stale for t in e.transitions] + fresh
    data = result.to_dict()
    data["transitions"], data["lead_time_min"] = announce, lead_time_min
    kind = "digest" if new == [digest] and not stale else None
    late_alert, late_hook = len(to_alert) - len(new), len(to_hook) - len(new) if webhook else 0
    alert = fit_notification(merge(to_alert, result.checked_at, late_alert)) if to_alert else None
    hook = fit_notification(merge(to_hook, result.checked_at, late_hook)) if to_hook else None
    main = with_channels(alert or hook, data, webhook=False)  # type: ignore[arg-type]
    if hook is not None:
        main = replace(main, webhook=with_channels(hook, data, webhook=True, kind=kind).webhook)
    done = ([] if alert else [ALERT]) + ([] if hook or not webhook else [WEBHOOK])
    return main, done, announce


def _wakes(target: str, config: Any) -> bool:
    """The overall verdict wakes people; a Bedrock path only with BEDROCK_ALERTS."""
    if target == OVERALL:
        return True
    return target.startswith("bedrock:") and bool(getattr(config, "bedrock_alerts", False))


def _compose_fresh(
    state: MonitorState,
    result: CheckResult,
    fresh: list[Transition],
    reminder: bool,
    signal: Signal,
    confirmed_now: bool,
) -> tuple[Notification, dict[str, Any] | None]:
    """This cycle's own notification, and the lead time it tells (then spent)."""
    lead = None
    if any(t.target == OVERALL for t in fresh):
        pending = state.pending_lead_time_min
        lead = state.lead or ({"minutes": pending} if pending is not None else None)
    held = state.targets[OVERALL].reported if signal.flap_started else None
    if confirmed_now and lead is None:
        lead = state.lead
    extra = Extra(
        lead=lead,
        flapping=signal.flap_started,
        resolved=signal.resolved,
        held=held,
        confirmed=confirmed_now,
    )
    notification = compose(
        _notification_id(result.checked_at, fresh),
        fresh,
        result,
        lead["minutes"] if lead else None,
        reminder,
        extra=extra,
    )
    if lead is not None:
        state.pending_lead_time_min, state.lead = None, None
    return notification, lead


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
