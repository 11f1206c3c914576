"""Quiet hours and mutes: who gets woken, and when held news is told. Pure, no I/O.

Two ways to keep a channel quiet, both decided here and stored by the caller:

- Quiet hours (`quiet=22-07`, UTC): warning-severity notifications are held and
  summarised in one digest when the hours end. Critical and unknown ones always go.
  A recovery ("ok") is held only when what it resolves was held too, so nobody is
  woken at 03:00 to hear that a warning they never saw is over.
- A mute (`mute --for 2h --reason ...`): your own planned work on the integration
  (rotating the API key, moving the gateway). Everything is muted, critical
  included, because the failures it causes are the ones you are making on purpose;
  a mute that let criticals through would page you for your own key rotation.
  Muted notifications are kept in the same digest and told when the mute ends, so
  a real outage that happened meanwhile is still reported, once.

Nothing is ever dropped: the digest is bounded, but when it fills up the oldest
entries are folded into a summary (counts, span, first and last state per target)
instead of being discarded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from ..values import QuietHours

Delivery = Literal["send", "hold", "mute"]

# A digest larger than this folds its oldest entries into `folded`.
DIGEST_MAX_ITEMS = 20
# A mute longer than this is more likely a typo than planned work.
MUTE_MAX = timedelta(days=7)
REASON_MAX = 200
_DURATION_PART = re.compile(r"(\d+)\s*([dhms])")
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("time must be timezone-aware (UTC)")
    return now.astimezone(UTC)


def iso(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def parse_duration(text: str, setting: str = "--for") -> timedelta:
    """'2h', '30m', '1h30m', '1d', '90s'; positive and at most 7 days."""
    compact = (text or "").strip().lower().replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"{setting}: expected a duration like 2h, 30m or 1h30m, got {text!r}")
    seconds = sum(int(n) * _UNIT[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"{setting}: the duration must be more than zero, got {text!r}")
    # Compared as a number first: a huge one would overflow timedelta (OverflowError).
    if seconds > MUTE_MAX.total_seconds():
        raise ValueError(f"{setting}: at most 7d, got {text!r}")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Mute:
    """Planned work: notifications are muted from set_at until until_iso."""

    until_iso: str
    reason: str
    set_at: str
    # What a newer version stored with the mute: written back as it was.
    newer: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def start(cls, now: datetime, duration: timedelta, reason: str) -> Mute:
        reason = " ".join((reason or "").split())[:REASON_MAX]
        if not reason:
            raise ValueError("--reason: say why (it is shown in check and history)")
        return cls(until_iso=iso(_utc(now) + duration), reason=reason, set_at=iso(now))

    def active(self, now: datetime) -> bool:
        return parse_iso(self.set_at) <= _utc(now) < parse_iso(self.until_iso)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {**data.pop("newer"), **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mute:
        return cls(
            str(data["until_iso"]),
            str(data.get("reason", "")),
            str(data["set_at"]),
            _unknown(cls, data),
        )


def active_mute(mutes: Iterable[Mute], now: datetime) -> Mute | None:
    """The active mute that ends last (the one to show), or None."""
    live = [m for m in mutes if m.active(now)]
    return max(live, key=lambda m: m.until_iso) if live else None


def decide_delivery(
    severity: str,
    now: datetime,
    quiet: QuietHours | None,
    mutes: Iterable[Mute] = (),
    *,
    holding: bool = False,
) -> Delivery:
    """'send', 'hold' (quiet hours) or 'mute' (planned work) for one notification.

    `holding` is `HeldDigest.holding`: the alert's latest news was held, so its
    recovery is held with it rather than waking anyone.
    """
    if active_mute(mutes, now):
        return "mute"
    held_kind = severity == "warning" or (severity == "ok" and holding)
    return "hold" if held_kind and quiet and quiet.contains(now) else "send"


@dataclass
class Held:
    notification_id: str
    at: str
    severity: str
    verdict: str
    subject: str
    transitions: list[dict[str, str]]
    why: str  # "quiet" or "mute"
    # The lead time over the status page it told ("Seen 3 min before ..."), if any.
    lead: str | None = None
    # It resolves an alert people were told of (muted, not held for quiet hours): the
    # digest holding it goes as soon as the mute ends, never waits out quiet hours.
    told: bool = False
    newer: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Folded:
    """Entries folded away to keep the digest bounded: counted, never forgotten."""

    count: int = 0
    first_at: str | None = None
    last_at: str | None = None
    verdicts: dict[str, int] = field(default_factory=dict)
    # target -> [first from, last to]
    paths: dict[str, list[str]] = field(default_factory=dict)

    def add(self, item: Held) -> None:
        self.count += 1
        self.first_at = self.first_at or item.at
        self.last_at = item.at
        self.verdicts[item.verdict] = self.verdicts.get(item.verdict, 0) + 1
        for t in item.transitions:
            path = self.paths.setdefault(t["target"], [t["from"], t["to"]])
            path[1] = t["to"]


@dataclass
class HeldDigest:
    """What was held or muted since the last delivery, stored with the alert state."""

    items: list[Held] = field(default_factory=list)
    folded: Folded = field(default_factory=Folded)
    last_sent_at: str | None = None
    max_items: int = DIGEST_MAX_ITEMS

    def __bool__(self) -> bool:
        return bool(self.items) or self.folded.count > 0

    @property
    def holding(self) -> bool:
        """The latest news was held (nothing was sent after it)."""
        if not self:
            return False
        latest = self.items[-1].at if self.items else self.folded.last_at
        return self.last_sent_at is None or (latest or "") >= self.last_sent_at

    def add(
        self,
        notification: dict[str, Any],
        transitions: list[dict[str, str]],
        at: datetime,
        why: str,
        *,
        told: bool = False,
    ) -> None:
        """Keep one held or muted notification (a `Notification.to_dict()`)."""
        self.items.append(
            Held(
                notification_id=str(notification.get("id", "")),
                at=iso(at),
                severity=str(notification.get("severity", "")),
                verdict=str(notification.get("verdict", "")),
                subject=str(notification.get("subject", ""))[:100],
                transitions=[
                    {"target": t["target"], "from": t["from"], "to": t["to"]} for t in transitions
                ],
                why=why,
                told=told,
            )
        )
        while len(self.items) > max(1, self.max_items):
            self.folded.add(self.items.pop(0))

    def mark_sent(self, at: datetime) -> None:
        """A notification went out while items were held (a critical, say)."""
        self.last_sent_at = iso(at)

    def clear(self) -> None:
        self.items.clear()
        self.folded = Folded()
        self.last_sent_at = None

    def to_dict(self) -> dict[str, Any]:
        def item(held: Held) -> dict[str, Any]:
            data = asdict(held)
            return {**data.pop("newer"), **data}

        return {
            "items": [item(i) for i in self.items],
            "folded": asdict(self.folded),
            "last_sent_at": self.last_sent_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> HeldDigest:
        data = data or {}
        return cls(
            items=[Held(**_known(Held, i), newer=_unknown(Held, i)) for i in data.get("items", [])],
            folded=Folded(**_known(Folded, data.get("folded", {}))),
            last_sent_at=data.get("last_sent_at"),
        )


def _known(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    """The fields this version knows: a newer one may have added some."""
    from dataclasses import fields

    names = {f.name for f in fields(kind)} - {"newer"}
    return {k: v for k, v in data.items() if k in names}


def _unknown(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    """The fields a newer version stored that `kind` does not know, kept to write back."""
    from dataclasses import fields

    names = {f.name for f in fields(kind)} - {"newer"}
    return {str(k): v for k, v in data.items() if k not in names}


def _paths(digest: HeldDigest) -> dict[str, list[str]]:
    """target -> the states it went through, folded entries first."""
    paths: dict[str, list[str]] = {k: list(v) for k, v in digest.folded.paths.items()}
    for item in digest.items:
        for t in item.transitions:
            path = paths.setdefault(t["target"], [t["from"]])
            if path[-1] != t["from"]:
                path.append(t["from"])
            path.append(t["to"])
    return paths


def release_digest(
    held: HeldDigest,
    now: datetime,
    quiet: QuietHours | None,
    mutes: Iterable[Mute] = (),
) -> str | None:
    """One summary of everything held, once the quiet hours and any mute are over.

    None while there is nothing held, or while it must still be held. The caller
    sends the text (as a notification of the latest held severity), then clears it.
    """
    if not held or active_mute(mutes, now) or (quiet and quiet.contains(now)):
        return None
    counts: dict[str, int] = dict(held.folded.verdicts)
    for item in held.items:
        counts[item.verdict] = counts.get(item.verdict, 0) + 1
    total = sum(counts.values())
    first = held.folded.first_at or held.items[0].at
    last = held.items[-1].at if held.items else held.folded.last_at
    whys = sorted({i.why for i in held.items}) or ["quiet"]
    cause = " and ".join({"quiet": "quiet hours", "mute": "a mute"}[w] for w in whys)
    by_verdict = ", ".join(f"{v} x{n}" for v, n in sorted(counts.items()))
    lines = [
        f"Held during {cause}: {total} notification{'s' if total != 1 else ''} "
        f"from {first} to {last} ({by_verdict}).",
    ]
    paths = _paths(held)
    if paths:
        lines.append("What changed meanwhile:")
        lines += [f"  {target}: {' -> '.join(states)}" for target, states in sorted(paths.items())]
    if held.folded.count:
        lines.append(f"({held.folded.count} older ones are counted above, not listed.)")
    lines += [f"  - {i.at} {i.subject}" + (f" {i.lead}" if i.lead else "") for i in held.items]
    return "\n".join(lines)


def digest_severity(held: HeldDigest) -> str:
    """The severity to publish the digest with: the latest held state's."""
    return held.items[-1].severity if held.items else "warning"


def digest_urgent(held: HeldDigest) -> bool:
    """Whether the digest goes as soon as no mute holds it, quiet hours or not: it
    holds a critical or unknown (a mute ended inside quiet hours), or its latest news
    resolves an alert people were told of (its pager must not stay open till morning).
    (A recovery is held only when what it resolves was held too.)"""
    if digest_severity(held) in ("critical", "unknown"):
        return True
    return bool(held.items) and held.items[-1].told


@dataclass
class QuietState:
    """Mutes and held notifications, as they travel with the alert state.

    The glue the check cycle calls: `route` for each notification it would send,
    `release` once per cycle. Serialises to a plain dict for MonitorState.
    """

    mutes: list[Mute] = field(default_factory=list)
    held: HeldDigest = field(default_factory=HeldDigest)
    newer: dict[str, Any] = field(default_factory=dict, repr=False)

    def mute(self, now: datetime, duration: timedelta, reason: str) -> Mute:
        mute = Mute.start(now, duration, reason)
        self.mutes.append(mute)
        return mute

    def unmute(self, now: datetime) -> list[Mute]:
        """End every active mute now; returns them as ended (for history)."""
        ended = [Mute(iso(now), m.reason, m.set_at) for m in self.mutes if m.active(now)]
        self.mutes = [m for m in self.mutes if not m.active(now)]
        return ended

    def expire(self, now: datetime) -> list[Mute]:
        """Drop the mutes that are over; returns them so history can keep their spans."""
        over = [m for m in self.mutes if parse_iso(m.until_iso) <= _utc(now)]
        self.mutes = [m for m in self.mutes if m not in over]
        return over

    def route(
        self,
        notification: dict[str, Any],
        transitions: list[dict[str, str]],
        now: datetime,
        quiet: QuietHours | None,
        *,
        told: bool = False,
    ) -> Delivery:
        """Decide one notification; a held or muted one is kept in the digest. `told`:
        it resolves an alert people were told of, so its recovery is not held."""
        decision = decide_delivery(
            str(notification.get("severity", "")),
            now,
            quiet,
            self.mutes,
            holding=self.held.holding and not told,
        )
        if decision == "send":
            if self.held:
                self.held.mark_sent(now)
        else:
            why = "quiet" if decision == "hold" else "mute"
            told_ok = told and notification.get("severity") == "ok"
            self.held.add(notification, transitions, now, why, told=told_ok)
        return decision

    def release(self, now: datetime, quiet: QuietHours | None) -> tuple[str, str] | None:
        """(severity, digest text) when the held ones may be told now; clears them."""
        text = release_digest(self.held, now, quiet, self.mutes)
        if text is None:
            return None
        severity = digest_severity(self.held)
        self.held.clear()
        return severity, text

    def describe(self, now: datetime) -> str | None:
        """One line for `check` and `history`, or None when nothing is muted or held."""
        parts = []
        mute = active_mute(self.mutes, now)
        if mute:
            parts.append(f"muted until {mute.until_iso}: {mute.reason}")
        count = len(self.held.items) + self.held.folded.count
        if count:
            parts.append(f"{count} notification{'s' if count != 1 else ''} held")
        return "; ".join(parts) or None

    def to_dict(self) -> dict[str, Any]:
        mutes = [m.to_dict() for m in self.mutes]
        return {**self.newer, "mutes": mutes, "held": self.held.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> QuietState:
        data = data or {}
        return cls(
            mutes=[Mute.from_dict(m) for m in data.get("mutes", [])],
            held=HeldDigest.from_dict(data.get("held")),
            newer={str(k): v for k, v in data.items() if k not in ("mutes", "held")},
        )
