"""Committed notifications: how they are re-sent, merged and kept within SNS's size.

A notification is composed once, by the cycle whose transitions it announces, and
stored in the outbox with its id, subject, texts, severity and verdict. Whoever
sends it later sends exactly that (never a recomposition from the re-sending
cycle's result, which may say "operational" while the stored alert says
"outage"). When several committed notifications and a new one go out as one
message, the message's severity and verdict are those of the most severe alert as
its latest part leaves it (an older part of the same alert is history, not its
state), and its texts carry each part. The webhook gets one body per alert.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, replace
from typing import Any

from ..decide.state import OutboxEntry
from ..models import Notification, Transition
from .text import gsm7

# SNS takes at most 256 KiB per message (body, subject and attributes together):
# https://docs.aws.amazon.com/sns/latest/api/API_Publish.html . The email text goes
# into the JSON message twice ("default" and "email"), JSON-escaped, and the
# notification is also stored in the DynamoDB state item (400 KB limit), so the
# email is capped well below half of that.
EMAIL_MAX_BYTES = 60_000
SNS_MAX_BYTES = 256 * 1024
SUBJECT_MAX = 100
SMS_MAX = 160
# Highest first wins a merge; "unknown" (nothing could tell) outranks a warning.
SEVERITY_RANK = {"ok": 0, "warning": 1, "unknown": 2, "critical": 3}
_FIELDS = tuple(f.name for f in fields(Notification))
# Added later (with defaults): an entry an older version committed lacks them.
_OPTIONAL = ("chat", "webhook", "alert")
# The chat message and the webhook body travel in the outbox entry (DynamoDB item
# limit 400 KB, with the email) and in one SNS message each.
WEBHOOK_MAX_BYTES = 60_000
# The chat message as composed is a few KiB (chat.py caps its parts); one committed
# larger than this (another version's, a corrupt item) is left out of the message.
CHAT_MAX_BYTES = 16_384


def stored_notification(data: object) -> Notification | None:
    """The committed notification from an outbox entry, or None when it is unusable."""
    if not isinstance(data, dict):
        return None
    required = [k for k in _FIELDS if k not in _OPTIONAL]
    if not all(isinstance(data.get(k), str) for k in required):
        return None
    if not data["id"] or data["severity"] not in SEVERITY_RANK:
        return None
    optional = {k: data[k] for k in _OPTIONAL if isinstance(data.get(k), str)}
    if "webhook" in optional and not _publishable(optional["webhook"]):
        # A body this version cannot publish (another version's shape, a corrupt item)
        # would fail every re-send and keep the entry for ever: it is composed afresh
        # from the committed id, subject and severity instead.
        del optional["webhook"]
    return Notification(**{k: data[k] for k in required}, **optional)


def webhook_bodies(webhook: str) -> list[dict[str, Any]]:
    """The bodies of a committed webhook variant: one object, or a list of them (one
    per alert the notification is about, each published as its own SNS message)."""
    data = json.loads(webhook)
    return data if isinstance(data, list) else [data]


def _publishable(webhook: str) -> bool:
    """Whether WebhookNotifier can publish this committed body (or bodies)."""
    from .chat import webhook_publish_kwargs

    try:
        every = [webhook_publish_kwargs(body) for body in webhook_bodies(webhook)]
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    for kwargs in every:
        attributes = kwargs["MessageAttributes"].values()
        fits = len(kwargs["Message"].encode()) <= WEBHOOK_MAX_BYTES  # an older version's, uncut
        if not (fits and all(isinstance(a["StringValue"], str) for a in attributes)):
            return False
    return bool(every)


def entry_alert(entry: OutboxEntry) -> str:
    """The alert a committed entry is about: as committed, or, from an older version,
    as its transitions say."""
    from .text import alert_key

    committed = entry.notification.get("alert") if isinstance(entry.notification, dict) else None
    if isinstance(committed, str) and committed:
        return committed
    return alert_key([Transition(t["target"], t["from"], t["to"]) for t in entry.transitions])


def entry_alerts(entry: OutboxEntry) -> set[str]:
    """Every alert an entry tells of: a merged one (its notification names none)
    holds news of each alert among its transitions, a Bedrock path's or a region's
    as well as the API's."""
    own = {t["target"] for t in entry.transitions if t["target"].startswith(_OWN_ALERTS)}
    return {entry_alert(entry)} | (own if not entry.notification.get("alert") else set())


_OWN_ALERTS = ("bedrock:", "region:")


def in_order(
    outbox: dict[str, OutboxEntry], stale: list[OutboxEntry]
) -> tuple[list[OutboxEntry], set[str]]:
    """What a cycle may send now, oldest first, and the alerts whose news must wait.

    An entry not yet due may still be in its owner's hands (publishing, or about to
    fail): a later message of the same alert sent meanwhile could land before it, and
    the pager would end on the older state (a CRITICAL after its RESOLVED). So such an
    entry blocks its alert: newer news of it is committed as `waiting`, and a waiting
    entry is taken over (merged, in order) by the first cycle that finds its alert no
    longer blocked."""
    taken = {e.id for e in stale}
    pending = [e for e in outbox.values() if e.id not in taken and not e.waiting]
    blocked = set().union(*(entry_alerts(e) for e in pending))
    ready = [
        e
        for e in outbox.values()
        if e.waiting and e.id not in taken and not entry_alerts(e) & blocked
    ]
    return sorted([*stale, *ready], key=lambda e: (e.created_wall, e.id)), blocked


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def merge(parts: list[Notification], checked_at: str, resent: int | None = None) -> Notification:
    """One message for several notifications (oldest first). A single part is sent
    as committed, same id. The merged id is derived from the parts' ids, so the
    merged message, if it must be re-sent in turn, keeps its id too. `resent`: how
    many of the parts (the oldest) are re-sends; all but the newest when not given."""
    if len(parts) == 1:
        return parts[0]
    newest_first = list(reversed(parts))
    # Each alert's latest part says where that alert stands now (a CRITICAL then its
    # RESOLVED is a RESOLVED); the message takes the worst of those, never an older
    # part's state (a red CRITICAL on a RESOLVED title, webhook urgency high).
    latest: dict[str, Notification] = {}
    for part in newest_first:
        latest.setdefault(part.alert or "overall", part)
    current = [p for p in newest_first if latest[p.alert or "overall"] is p]
    worst = max(current, key=lambda n: SEVERITY_RANK.get(n.severity, 0))
    digest = hashlib.sha256(json.dumps([p.id for p in parts]).encode()).hexdigest()[:10]
    subject = _fit(" / ".join(p.subject for p in newest_first), SUBJECT_MAX)
    sms = _fit(gsm7(" / ".join(p.subject for p in newest_first)), SMS_MAX)
    resent = len(parts) - 1 if resent is None else resent
    late = f"; the {resent} oldest were not confirmed as sent when they were due" if resent else ""
    email = "\n\n".join(
        [f"This message carries {len(parts)} notifications, newest first{late}."]
        + [f"=== {p.subject} ===\n{p.email}" for p in newest_first]
    )
    return Notification(
        id=f"n-{checked_at}-m{digest}",
        subject=subject,
        sms=sms,
        email=email,
        severity=worst.severity,
        verdict=worst.verdict,
        alert=worst.alert if len(latest) == 1 else "",
    )


def _utf8(text: str) -> int:
    return len(json.dumps(text).encode())


def cap_email(email: str, max_bytes: int = EMAIL_MAX_BYTES) -> str:
    """Cut the email to `max_bytes` (JSON-encoded), saying what was left out.

    Incident lines ("  - ...") are dropped from the end first and summarised as
    "... and N more incidents"; if that is not enough the text is cut and says so."""
    if _utf8(email) <= max_bytes:
        return email
    lines = email.split("\n")
    incident_rows = [i for i, line in enumerate(lines) if line.startswith("  - ")]
    dropped = 0
    while incident_rows:
        del lines[incident_rows.pop()]
        dropped += 1
        if dropped % 8 and incident_rows:
            continue  # re-measure every few lines: a long list is cut in O(n) steps
        at = incident_rows[-1] + 1 if incident_rows else _first_incident_slot(lines)
        trial = lines[:at] + [f"  ... and {dropped} more incidents"] + lines[at:]
        if _utf8("\n".join(trial)) <= max_bytes:
            return "\n".join(trial)
    note = "\n[... cut: the message was too long for SNS]"
    text = "\n".join(lines)
    while text and _utf8(text + note) > max_bytes:
        text = text[: max(0, len(text) - max(1, (_utf8(text + note) - max_bytes)))]
    return text + note if _utf8(text + note) <= max_bytes else ""


def _first_incident_slot(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if line == "Status page:":
            return min(i + 2, len(lines))
    return len(lines)


def fit(notification: Notification) -> Notification:
    """The notification with its email capped (see `cap_email`)."""
    email = cap_email(notification.email)
    return notification if email == notification.email else replace(notification, email=email)


def fit_webhook(body: dict[str, Any]) -> str:
    """The webhook body as JSON within WEBHOOK_MAX_BYTES: the longest lists (incidents,
    their links, canaries) are cut from the end first, and `truncated` says by how many."""
    text = json.dumps(body, ensure_ascii=False)
    cut: dict[str, int] = {}
    while len(text.encode()) > WEBHOOK_MAX_BYTES:
        lists = [k for k in ("incidents", "incident_links", "canaries") if body.get(k)]
        if not lists:  # only the texts are left, and they are short
            return json.dumps({**body, "summary": body.get("summary", "")[:1000]})
        longest = max(lists, key=lambda k: len(json.dumps(body[k])))
        keep = len(body[longest]) // 2
        cut[longest] = cut.get(longest, 0) + len(body[longest]) - keep
        body = {**body, longest: body[longest][:keep], "truncated": dict(cut)}
        text = json.dumps(body, ensure_ascii=False)
    return text


def with_channels(
    notification: Notification,
    result: dict[str, Any],
    *,
    webhook: bool,
    kind: str | None = None,
    page_url: str | None = None,
) -> Notification:
    """The notification with its chat message (and, with `webhook`, its webhook body)
    composed from `result` (a `CheckResult.to_dict()` whose `transitions` are the ones
    it announces). What is already composed is kept: that is what was committed.
    `page_url`: the status page, the one host the chat message links to."""
    from .chat import DEFAULT_PAGE_URL, chat_message, webhook_body

    data = notification.to_dict()
    chat = notification.chat or json.dumps(
        chat_message(data, result, page_url or DEFAULT_PAGE_URL), ensure_ascii=False
    )
    body = notification.webhook
    if webhook and not body:
        body = fit_webhook(webhook_body(data, result, kind))
    return replace(notification, chat=chat, webhook=body)


def for_alert(result: dict[str, Any], alert: str) -> dict[str, Any]:
    """`result` with only the transitions of one alert: a Bedrock path's or a fleet
    region's own, or, for the overall alert, every other target's."""
    if alert.startswith(("bedrock:", "region:")):
        moved = [t for t in result.get("transitions") or [] if t.get("target") == alert]
    else:
        moved = [
            t
            for t in result.get("transitions") or []
            if not str(t.get("target", "")).startswith(("bedrock:", "region:"))
        ]
    return {**result, "transitions": moved}


def webhook_per_alert(
    parts: list[Notification],
    resent: int,
    checked_at: str,
    result: dict[str, Any],
    kind: str | None = None,
) -> str:
    """The webhook variant for several notifications (oldest first, the first `resent`
    of them re-sends): one body per alert, each alert's parts merged so its body says
    where that alert stands now, under its own dedup key. One alert: one JSON object,
    as a single notification has; several: a JSON list, one SNS message each."""
    groups: dict[str, list[int]] = {}
    for n, part in enumerate(parts):
        groups.setdefault(part.alert or "overall", []).append(n)
    bodies: list[dict[str, Any]] = []
    for alert, indexes in groups.items():
        group = [parts[n] for n in indexes]
        late = sum(1 for n in indexes if n < resent)
        note = fit(merge(group, checked_at, late))
        note = replace(note, alert=alert)
        body = with_channels(note, for_alert(result, alert), webhook=True, kind=kind).webhook
        bodies += webhook_bodies(body)
    return json.dumps(bodies[0] if len(bodies) == 1 else bodies, ensure_ascii=False)
