"""Notifications: composed once per cycle, sent by SNS in AWS or printed locally.

The SMS is one GSM-7 part (160 characters or fewer): longer SMS split or fail
silently on some carriers. The subject is 100 characters or fewer, as SNS requires.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Protocol, TextIO

from .models import CheckResult, Notification, Transition
from .verdict import NEXT_STEP

SUBJECT_MAX = 100
SMS_MAX = 160
# The GSM 03.38 basic character set; anything else is replaced or dropped.
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_ASCII_FOR = {
    "[": "(",
    "]": ")",
    "{": "(",
    "}": ")",
    "~": "-",
    "|": "/",
    "^": "",
    "\\": "/",
    "€": "EUR",
    "–": "-",
    "—": "-",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "→": "->",
}


class NotifyError(Exception):
    """Publishing failed; the message is one line and holds no secret."""


class Notifier(Protocol):
    def publish(self, notification: Notification) -> None: ...


def gsm7(text: str) -> str:
    out = []
    for ch in text:
        if ch in _GSM7:
            out.append(ch)
        else:
            out.append(_ASCII_FOR.get(ch, "?"))
    return "".join(out)


def lead_words(minutes: float | None) -> str:
    if minutes is None:
        return ""
    return f"{minutes:.0f} min" if minutes >= 1 else f"{minutes * 60:.0f} s"


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _ascii_line(text: str) -> str:
    text = " ".join(text.split())
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)


def _headline(transitions: list[Transition], result: CheckResult) -> tuple[str, str]:
    """(status word, short what-changed) for subject and SMS."""
    overall = [t for t in transitions if t.target == "overall"]
    verdict = result.verdict.verdict
    if overall and overall[-1].to == "operational":
        return "RESOLVED", "Claude API operational again"
    if not transitions:
        return "REMINDER", f"Claude API still {verdict}"
    word = {"critical": "CRITICAL", "warning": "WARNING", "unknown": "UNKNOWN"}.get(
        result.verdict.severity, "OK"
    )
    return word, f"Claude API {verdict}"


def compose(
    notification_id: str,
    transitions: list[Transition],
    result: CheckResult,
    lead_time_min: float | None,
    reminder: bool = False,
) -> Notification:
    word, headline = _headline(transitions, result)
    region = f" [{result.region}]" if result.region and result.region != "local" else ""
    failing = [c for c in result.canaries if c.outcome not in ("ok", "skipped")]
    detail = ", ".join(
        f"{c.model} {c.outcome}" + (f" {c.http_status}" if c.http_status else "") for c in failing
    )
    lead = f"Seen {lead_words(lead_time_min)} before the status page." if lead_time_min else ""

    subject = _fit(
        _ascii_line(f"{word}: {headline}{region}" + (f" - {detail}" if detail else "")), SUBJECT_MAX
    )
    page = result.status_page
    page_state = f"page: API {page.api_status}" if page.reachable else "page unreadable"
    next_step = NEXT_STEP[result.verdict.verdict].split(".")[0]
    sms_parts = [f"{word}: {headline}{region}", detail, page_state, lead.rstrip("."), next_step]
    sms = _fit(gsm7(". ".join(p for p in sms_parts if p) + "."), SMS_MAX)
    return Notification(
        id=notification_id,
        subject=subject,
        sms=sms,
        email=_email(transitions, result, lead, reminder),
        severity=result.verdict.severity,
        verdict=result.verdict.verdict,
    )


def _email(transitions: list[Transition], result: CheckResult, lead: str, reminder: bool) -> str:
    verdict = result.verdict
    lines = ["What changed:"]
    lines += [f"  {t.target}: {t.from_} -> {t.to}" for t in transitions] or [
        "  nothing new; this is a reminder that the alert is still open" if reminder else "  -"
    ]
    lines += [
        "",
        f"Verdict: {verdict.verdict} ({verdict.severity}) at {result.checked_at}",
        f"  {verdict.summary}",
    ]
    if lead:
        lines.append(f"  {lead}")
    lines += ["", "Canaries:"]
    for c in result.canaries:
        lines.append(
            f"  {c.model}: {c.outcome}, HTTP {c.http_status or '-'}, "
            f"request id {c.request_id or '-'}, latency "
            f"{'-' if c.latency_ms is None else str(c.latency_ms) + ' ms'}, "
            f"attempts {c.attempts}"
        )
    page = result.status_page
    lines += ["", "Status page:"]
    if page.reachable:
        lines.append(f"  API component: {page.api_status}; page: {page.description}")
    else:
        lines.append(f"  unreadable: {page.error}")
    for incident in page.incidents + page.maintenances:
        lines.append(
            f"  - {incident.name} [{incident.status}, {incident.impact}] "
            f"{incident.shortlink or ''}".rstrip()
        )
    lines += ["", f"Next step: {NEXT_STEP[verdict.verdict]}"]
    if result.region and result.region != "local":
        lines.append(f"Region: {result.region}")
    return "\n".join(lines)


class ConsoleNotifier:
    """Local stand-in for SNS: prints the same subject and text to stderr."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def publish(self, notification: Notification) -> None:
        stream = self.stream or sys.stderr
        bar = "=" * 60
        print(
            f"{bar}\nNOTIFICATION {notification.subject}\nSMS: {notification.sms}\n"
            f"{notification.email}\n{bar}",
            file=stream,
            flush=True,
        )


def sns_message(notification: Notification) -> str:
    """The JSON message with its email, default and SMS variants, under SNS's 256 KiB
    (the email was capped when committed; this is the last guard, for what an older
    version committed)."""
    from .outbox import SNS_MAX_BYTES, cap_email

    email = notification.email
    budget = (SNS_MAX_BYTES - 4096) // 2  # both variants carry the email; 4 KiB for the rest
    for _ in range(3):
        message = json.dumps({"default": email, "email": email, "sms": notification.sms})
        if len(message.encode()) <= SNS_MAX_BYTES - 4096:
            return message
        budget //= 2
        email = cap_email(email, budget)
    return json.dumps({"default": email, "email": email, "sms": notification.sms[:160]})


class SnsNotifier:
    """Publishes one JSON-structured message with email and SMS variants."""

    def __init__(self, topic_arn: str, client: Any) -> None:
        self.topic_arn = topic_arn
        self.client = client

    def publish(self, notification: Notification) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.publish(
                TopicArn=self.topic_arn,
                Subject=notification.subject,
                Message=sns_message(notification),
                MessageStructure="json",
                MessageAttributes={
                    "severity": {"DataType": "String", "StringValue": notification.severity},
                    "verdict": {"DataType": "String", "StringValue": notification.verdict},
                    "notification_id": {"DataType": "String", "StringValue": notification.id},
                },
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise NotifyError(
                f"SNS publish failed: {error.get('Code', '?')}: {error.get('Message', '')}"[:300]
            ) from None
        except BotoCoreError as exc:
            raise NotifyError(f"SNS publish failed: {type(exc).__name__}: {exc}"[:300]) from None
