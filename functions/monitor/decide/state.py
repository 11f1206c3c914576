"""The alert state: what one cycle hands the next, and its tolerant loading.

Targets are the overall verdict (`overall`), each canary model (`canary:<model>`),
the status page's API component (`status_page`) and Bedrock targets. The state is
stored as JSON; a field this version cannot read is dropped with a problem noted, and
fields a newer version wrote are kept (`newer`) so a rewrite never loses them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from ..models import SEVERITY
from .quiet import QuietState, parse_iso

OVERALL = "overall"
# Where a notification goes: the alert topic (email, SMS, chat), and with
# WEBHOOK_TOPIC_ARN the webhook topic (the documented body).
ALERT, WEBHOOK = "alert", "webhook"
DESTINATIONS = (ALERT, WEBHOOK)
STATUS_PAGE = "status_page"
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


def parse_time(iso: str) -> datetime:
    """A stored ISO time as written (naive stays naive): the form stored times compare in."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


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


# The status page's value when it could not be read: unreachable, or an answer that is
# not its JSON. Releases before this one stored "unreachable" for both; a state they
# wrote reads as the new name, so an upgrade records no transition between the two.
RENAMED = {"unreachable": "unreadable"}


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
        setattr(target, key, RENAMED.get(got, got) if isinstance(got, str) else got)
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
        parse_time(value)
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
    # Each model's record is read tolerantly by score.load; only the whole must be an
    # object here.
    "scores": lambda v: isinstance(v, dict),
    "lead": _lead_ok,
    "episode": _episode_ok,
    "canary_alert": lambda v: isinstance(v, bool),
    "cycle_no": _whole,
    "flips": lambda v: isinstance(v, list) and all(_whole(n) for n in v),
    "flapping": lambda v: isinstance(v, bool),
    "clean_streak": _whole,
    "quiet": lambda v: _quiet_ok(v),
    "regions_seen": lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
    "reported_severity": lambda v: v in ("ok", "warning", "critical", "unknown"),
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


def held_severity(state: MonitorState, verdict: str) -> str:
    """The severity of the overall alert's reported `verdict`: as it was reported (a
    fleet's minority vote is a warning), else the verdict's own."""
    overall = state.targets.get(OVERALL)
    if state.reported_severity and overall is not None and overall.reported == verdict:
        return state.reported_severity
    return SEVERITY.get(verdict, "unknown")


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
    # Per-model sequential test (score.py): model -> {"v", "score", "open", "recent"}.
    scores: dict[str, Any] = field(default_factory=dict)
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
    # A fleet's home: region -> the last scheduled minute it reported (decide/vote.py).
    regions_seen: dict[str, str] = field(default_factory=dict)
    # The severity the overall verdict was reported with: a fleet's minority vote is a
    # `network_error` of severity warning, which its verdict's name alone does not say.
    reported_severity: str | None = None
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
    # Committed behind an earlier entry of the same alert whose owner may still be
    # sending it: nobody sends this one until that one is sent or due; then the first
    # cycle takes both over, in order, merged.
    waiting: bool = False
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
            data.get("waiting") is True,
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
