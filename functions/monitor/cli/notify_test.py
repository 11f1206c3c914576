"""`notify --test` (`make test-alert`): one notification marked TEST through every
configured destination, to prove the route end to end after a deploy.

It goes exactly the way alerts go (the same notifiers, the same SNS message with its
email, SMS and chat variants, the same webhook body), and nowhere else: nothing is
stored, no alert state moves, no metric counts it. It carries severity `critical`, so
it takes the route of the alerts that wake people (the SMS filter of `smsSeverities`,
a high-urgency incident), and the verdict `operational`: nothing is wrong. Its id and
its webhook `dedup_key` are its own, so a receiver never folds it into a real alert,
and the webhooks get a resolve (`OK`) right after the alarm, closing what it opened.
"""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..config import Config
from ..models import Notification
from ..tell.chat import chat_message, webhook_body
from ..tell.notifiers import ConsoleNotifier, Notifier, NotifyError

SUBJECT = "TEST: Claude API monitor test notification, no action needed"
SEVERITY, VERDICT = "critical", "operational"
NEXT_STEP = "Nothing: this is a test of the alert route (notify --test)."


@dataclass
class Sent:
    """One destination: `status` sent, printed (locally), skipped (not configured) or
    failed (one line why)."""

    destination: str
    where: str
    status: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "where": self.where,
            "status": self.status,
            "detail": self.detail,
        }


def _result(config: Config, checked_at: str) -> dict[str, Any]:
    """What the composers read of a cycle's result, for a cycle that never ran."""
    return {
        "checked_at": checked_at,
        "region": config.region,
        "verdict": VERDICT,
        "severity": SEVERITY,
        "summary": "TEST notification from the Claude API monitor; nothing is wrong.",
        "status_page": {"reachable": True},
        "canaries": [],
        "transitions": [],
        "lead_time_min": None,
    }


def alert_test_notification(config: Config, checked_at: str, token: str) -> Notification:
    """The alert topic's test message: email, SMS and the chat variant, all marked TEST."""
    note_id = f"test-{checked_at}-{token}"
    where = f"region {config.region}"
    email = "\n".join(
        [
            f"TEST notification from the Claude API monitor ({where}), sent by",
            f"`notify --test` (make test-alert) at {checked_at}.",
            "",
            "This is not an alert. Nothing is wrong with the Claude API, and this",
            "message is not stored, not counted as an alert and never merged with one.",
            "",
            "If you read this, alerts reach you by this route. The same message went to",
            "every subscriber of the alert topic (email, SMS, chat) and, when webhooks",
            "are configured, to them as an alarm that was resolved right after.",
            "",
            f"Next step: {NEXT_STEP}",
            f"Notification id: {note_id}",
        ]
    )
    sms = f"TEST from Claude API monitor ({where}): alerts reach this phone. No action needed."
    note = Notification(note_id, SUBJECT, sms, email, SEVERITY, VERDICT)
    chat = chat_message(note.to_dict(), _result(config, checked_at))
    chat["content"].update(
        title=f"🧪 TEST | Claude API monitor | {config.region}",
        description="*TEST:* alerts reach this channel. Nothing is wrong with the Claude "
        "API; this message is not an alert and is not counted as one.",
        nextSteps=[NEXT_STEP],
    )
    chat["metadata"]["eventType"] = "ClaudeApiTest"
    note.chat = json.dumps(chat, ensure_ascii=False)
    return note


def webhook_test_pair(
    config: Config, note: Notification, checked_at: str
) -> tuple[Notification, Notification]:
    """The webhook topic's alarm and its resolve: the documented body, `test: true`,
    with a dedup key of its own so it opens and closes its own incident."""
    result = _result(config, checked_at)
    key = f"claude-api-monitor-test:{config.region}"
    pair = []
    for kind, severity, suffix in (("alert", SEVERITY, ""), ("resolved", "ok", "-resolved")):
        data = {**note.to_dict(), "id": note.id + suffix, "severity": severity}
        if kind == "resolved":
            data["subject"] = "TEST resolved: Claude API monitor test notification"
        body = webhook_body(data, {**result, "severity": severity}, kind)
        body.update(test=True, dedup_key=key, AlarmName=key, next_step=NEXT_STEP)
        text = json.dumps(body, ensure_ascii=False)
        pair.append(Notification(data["id"], data["subject"], "", "", severity, VERDICT, "", text))
    return pair[0], pair[1]


def send_test(config: Config, out: Any = None) -> list[Sent]:
    """Publish the test everywhere configured; one line of what happened per destination."""
    from ..wiring import build_notifiers

    checked_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    note = alert_test_notification(config, checked_at, secrets.token_hex(3))
    notifier, webhooks = build_notifiers(config, console=ConsoleNotifier(out or sys.stdout))
    sent = []
    if config.topic_arn:
        sent.append(_publish(notifier, note, "alert", config.topic_arn))
    else:
        notifier.publish(note)
        detail = "printed above, not sent: TOPIC_ARN is not set"
        sent.append(Sent("alert", "terminal", "printed", detail))
    if webhooks is None or not config.webhook_topic_arn:
        sent.append(Sent("webhook", "-", "skipped", "none: WEBHOOK_TOPIC_ARN is not set"))
        return sent
    alarm, resolve = webhook_test_pair(config, note, checked_at)
    first = _publish(webhooks, alarm, "webhook", config.webhook_topic_arn)
    sent.append(first)
    if first.ok:
        sent.append(_publish(webhooks, resolve, "webhook resolve", config.webhook_topic_arn))
    return sent


def _publish(notifier: Notifier, note: Notification, name: str, arn: str) -> Sent:
    try:
        notifier.publish(note)
    except NotifyError as exc:
        return Sent(name, arn, "failed", str(exc))
    what = "to its email, SMS and chat subscribers" if name == "alert" else note.id
    return Sent(name, arn, "sent", f"published {what}")


def run_notify_test(config: Config, as_json: bool = False) -> int:
    """Send, then say what went where; exit 1 when a destination refused it."""
    sent = send_test(config, out=sys.stderr if as_json else sys.stdout)
    ok = all(s.ok for s in sent)
    if as_json:
        report = {"test": True, "ok": ok, "destinations": [s.to_dict() for s in sent]}
        print(json.dumps(report))
        return 0 if ok else 1
    print("TEST notification:")
    for s in sent:
        if s.status in ("sent", "failed"):
            print(f"  {s.destination} {s.where}: {s.status}: {s.detail}")
        else:
            print(f"  {s.destination}: {s.detail}")
    if not ok:
        print("error: a destination did not take the test; see above", file=sys.stderr)
    return 0 if ok else 1
