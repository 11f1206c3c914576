"""The cycle's plan: everything one cycle will commit and send, decided before any write.

It joins the two pure roles: `decide` (state, hysteresis, episode, quiet hours) says
what changed and whether to tell now; `tell` composes the words and the outbox entry.
The cycle (cycle.py) then commits the plan and sends its outbox.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import Any

from .decide.episode import apply_window, lead_time, minutes_between, track_episode
from .decide.hysteresis import Signal, advance, damp, observations
from .decide.quiet import QuietState, active_mute, decide_delivery, digest_urgent
from .decide.state import (
    ALERT,
    OVERALL,
    WEBHOOK,
    MonitorState,
    OutboxEntry,
    Stored,
    held_severity,
    parse_time,
)
from .decide.vote import TARGET_PREFIX, fleet_observations, revote
from .models import CheckResult, Notification, Transition
from .tell.outbox import fit as fit_notification
from .tell.outbox import (
    in_order,
    merge,
    stored_notification,
    webhook_per_alert,
    with_channels,
)
from .tell.text import Extra, compose, compose_digest, lead_sentence


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
    apply_window(state, result, config)
    revote(result, config)  # a fleet's home: its re-decided verdict joins the vote again
    measured = lead_time(state, result, config.error_rate_warn)
    lead_record = dict(state.lead) if measured is not None and state.lead else None
    observed = observations(result)
    observed.update(fleet_observations(state, result))  # a fleet's silent regions
    signal = damp(state, observed, result, config)
    if signal.held:
        result.verdict.summary += (
            "; canaries unknown (they could not run), the alert they opened stays open"
        )
    state.targets, transitions = advance(
        state.targets, observed, config.failure_threshold, config.recovery_threshold
    )
    if any(t.target == OVERALL for t in transitions):
        state.reported_severity = result.verdict.severity
    track_episode(state, result, transitions, signal)
    state.last_cycle_at = _latest(state.last_cycle_at, result.checked_at)
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
    stale, blocked = in_order(outbox, stale)
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
    if own is not None or digest is not None:
        state.last_notified_at = _latest(state.last_notified_at, result.checked_at)
    # This cycle's transitions are announced only by its own notification: held or
    # muted, they are the digest's to tell, later, not the re-sent entries'.
    told_now = [t.to_dict() for t in fresh] if own is not None else []
    if any(n is not None and (n.alert or OVERALL) in blocked for n in (own, digest)):
        # An earlier message of this alert may still be on its way: this one waits
        # behind it (in_order), never overtakes it.
        later, done, announce = _outgoing(
            [], own, digest, meanwhile + told_now, result, config, measured
        )
        outbox[later.id] = OutboxEntry(
            later.id, now_wall, announce, later.to_dict(), done, waiting=True
        )
        own, digest, meanwhile, told_now = None, None, [], []
    if own is None and digest is None and not stale:
        return Plan(state, outbox, transitions, None, measured, lead=lead_record)
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
    now = parse_time(result.checked_at).astimezone(UTC)
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
    count = len(quiet.held.items) + quiet.held.folded.count
    meanwhile = [t for item in quiet.held.items for t in item.transitions]
    # A digest holding a critical (a mute ended inside quiet hours) is not a warning
    # for quiet hours to hold: it goes when the mute ends.
    urgent = digest_urgent(quiet.held)
    released = quiet.release(now, None if urgent else hours)
    if released is not None:
        _, text = released
        # The digest carries the open alert's state, never the cycle's that releases
        # it: a blip at 07:00 must not say "now operational" (webhook OK, the pager
        # closes) while the outage alert stays open; a held warning must not re-raise
        # an alarm for an alert that is over.
        severity, latest, alert = _alert_now(state, result, config)
        digest = compose_digest(text, severity, latest, count, result, alert)
        if reminder_only:
            own = None
    state.quiet = quiet.to_dict() if (quiet.mutes or quiet.held or quiet.newer) else None
    mute = active_mute(quiet.mutes, now)
    result.quiet = bool(hours and hours.contains(now))
    result.held = len(quiet.held.items) + quiet.held.folded.count
    result.muted_until = mute.until_iso if mute else None
    result.mute_reason = mute.reason if mute else None
    return own, digest, meanwhile if digest is not None else []


def _alert_now(state: MonitorState, result: CheckResult, config: Any) -> tuple[str, str, str]:
    """(severity, verdict, alert) as the alerts stand: the overall alert's reported
    verdict (open or closed); with the API fine and BEDROCK_ALERTS, a warning of the
    first Bedrock path whose own alert is still open."""
    overall = state.targets.get(OVERALL)
    verdict = overall.reported if overall else result.verdict.verdict
    severity = held_severity(state, verdict) if overall else result.verdict.severity
    bedrock_open = sorted(
        name
        for name, target in state.targets.items()
        if name.startswith("bedrock:") and target.alerting
    )
    if severity == "ok" and bedrock_open and getattr(config, "bedrock_alerts", False):
        return "warning", verdict, bedrock_open[0]
    silent = sorted(
        n for n, t in state.targets.items() if n.startswith(TARGET_PREFIX) and t.alerting
    )
    if severity == "ok" and silent:  # a fleet's region whose silence was told
        return "warning", verdict, silent[0]
    return severity, verdict, OVERALL


def _latest(stored: str | None, now: str) -> str:
    """The later of a stored time and this cycle's: an event delivered late (dated up to
    a day behind) must not move the last cycle or the last notification backwards."""
    if not stored:
        return now
    try:
        return now if parse_time(now) >= parse_time(stored) else stored
    except (TypeError, ValueError):
        return now


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
        return parse_time(state.last_notified_at) >= parse_time(since)
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
    old_hook = [n for e, n in committed if WEBHOOK not in e.done] if webhook else []
    to_hook = old_hook + new + _other_alerts(own, fresh, result, config) if webhook else []
    announce = [t for e in stale for t in e.transitions] + fresh
    data = result.to_dict()
    data["transitions"], data["lead_time_min"] = announce, lead_time_min
    kind = "digest" if new == [digest] and not stale else None
    page_url = getattr(config, "status_page_url", None)
    late_alert = len(to_alert) - len(new)
    alert = fit_notification(merge(to_alert, result.checked_at, late_alert)) if to_alert else None
    hook = fit_notification(merge(to_hook, result.checked_at, len(old_hook))) if to_hook else None
    main = with_channels(alert or hook, data, webhook=False, page_url=page_url)  # type: ignore[arg-type]
    if to_hook:
        body = webhook_per_alert(to_hook, len(old_hook), result.checked_at, data, kind)
        main = replace(main, webhook=body)
    done = ([] if alert else [ALERT]) + ([] if to_hook or not webhook else [WEBHOOK])
    return main, done, announce


def _other_alerts(
    own: Notification | None, fresh: list[dict[str, str]], result: CheckResult, config: Any
) -> list[Notification]:
    """With BEDROCK_ALERTS, the Bedrock paths that moved in the same cycle as the overall
    verdict, and a fleet's regions that fell silent or report again: each its own
    alert, so each gets its own webhook body (and dedup key), composed from its
    transitions alone. The alert topic tells them in `own`."""
    if own is None or (own.alert or OVERALL) != OVERALL:
        return []
    own_alerts = (
        (TARGET_PREFIX, "bedrock:")
        if getattr(config, "bedrock_alerts", False)
        else (TARGET_PREFIX,)
    )
    moved = [Transition(t["target"], t["from"], t["to"]) for t in fresh]
    targets = dict.fromkeys(t.target for t in moved if t.target.startswith(own_alerts))
    return [
        compose(f"{own.id}-{target}", [t for t in moved if t.target == target], result, None)
        for target in targets
    ]


def _wakes(target: str, config: Any) -> bool:
    """The overall verdict wakes people; a Bedrock path only with BEDROCK_ALERTS."""
    if target == OVERALL or target.startswith(TARGET_PREFIX):
        return True  # a fleet's region falling silent, or reporting again
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
    # A flap hold, or a reminder (it tells no change): the message carries the open
    # alert's verdict and severity, never those of the cycle it falls on (a blip
    # below RECOVERY_THRESHOLD would read "still operational", severity ok).
    alert_open = reminder and not fresh
    held = state.targets[OVERALL].reported if signal.flap_started or alert_open else None
    if confirmed_now and lead is None:
        lead = state.lead
    extra = Extra(
        lead=lead,
        flapping=signal.flap_started,
        resolved=signal.resolved,
        held=held,
        held_severity=held_severity(state, held) if held else None,
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
    return minutes_between(state.last_notified_at, result.checked_at) >= config.reminder_minutes
