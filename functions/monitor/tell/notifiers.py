"""Where notifications go: SNS topics (email, SMS, chat; webhooks), or the terminal locally.

Each notifier turns its SDK's errors into NotifyError, so the cycle keeps the entry in
its outbox and sends it again on a later cycle.
"""

from __future__ import annotations

import json
import sys
import textwrap
from typing import Any, Protocol, TextIO

from ..models import Notification
from .text import SUBJECT_MAX, ascii_line, fit_text


class NotifyError(Exception):
    """Publishing failed; the message is one line and holds no secret. `unsent`: SNS
    refused it (an error answer), so it certainly did not go; otherwise (a timeout, a
    closed connection) it may have."""

    def __init__(self, message: str, *, unsent: bool = False) -> None:
        super().__init__(message)
        self.unsent = unsent


class Notifier(Protocol):
    def publish(self, notification: Notification) -> None: ...


class ConsoleNotifier:
    """Local stand-in for SNS: prints the subject, SMS and email text to stderr, wrapped
    to 80 columns, and says that nothing was sent, so a first local run does not read
    as if an SMS went out."""

    NOT_SENT = "Not sent anywhere: it would be sent by email and SMS; TOPIC_ARN is not set."

    def __init__(self, stream: TextIO | None = None, width: int = 80) -> None:
        self.stream = stream
        self.width = width

    def publish(self, notification: Notification) -> None:
        stream = self.stream or sys.stderr
        bar = "=" * self.width
        text = [
            f"NOTIFICATION {notification.subject}",
            f"({self.NOT_SENT})",
            f"SMS: {notification.sms}",
            *notification.email.splitlines(),
        ]
        body = "\n".join(line for raw in text for line in _wrap(raw, self.width))
        print(f"{bar}\n{body}\n{bar}", file=stream, flush=True)


def _wrap(line: str, width: int) -> list[str]:
    """One line fitted to `width` on words, its continuation indented two more than
    its own indent; a word longer than the line (a URL) is kept whole, not split."""
    indent = line[: len(line) - len(line.lstrip())]
    return textwrap.wrap(
        line.lstrip(),
        width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [""]


def sns_message(notification: Notification) -> str:
    """The JSON message with its email, default and SMS variants, and, when composed,
    the chat message under `https` (the protocol Amazon Q subscribes with), under SNS's
    256 KiB (the email was capped when committed; this is the last guard, for what an
    older version committed)."""
    from .outbox import CHAT_MAX_BYTES, SNS_MAX_BYTES, cap_email

    email = notification.email
    chat = notification.chat
    fits = chat and len(json.dumps(chat).encode()) <= CHAT_MAX_BYTES
    extra = {"https": chat} if fits else {}
    limit = SNS_MAX_BYTES - 4096  # the subject and the message attributes
    budget = (limit - len(json.dumps(extra).encode())) // 2  # both variants carry the email
    for _ in range(3):
        message = json.dumps({"default": email, "email": email, "sms": notification.sms, **extra})
        if len(message.encode()) <= limit:
            return message
        budget //= 2
        email = cap_email(email, budget)
    return json.dumps({"default": email, "email": email, "sms": notification.sms[:160], **extra})


def sns_subject(subject: str) -> str:
    """The subject as SNS takes it (one ASCII line, at most 100 characters), whatever
    was committed: a subject it refuses would fail every re-send of the entry."""
    return fit_text(ascii_line(subject), SUBJECT_MAX) or "Claude API monitor"


def _attributes(notification: Notification) -> dict[str, Any]:
    """The message attributes subscribers filter on; an empty one is left out, as SNS
    refuses an empty value (and would refuse every re-send of the entry)."""
    values = {
        "severity": notification.severity,
        "verdict": notification.verdict,
        "notification_id": notification.id,
    }
    return {k: {"DataType": "String", "StringValue": v} for k, v in values.items() if v}


def _unreadable(exc: Exception) -> str:
    """An answer botocore could not read: something on the path (a proxy, a captive
    portal) answered 200 with a page of its own, and botocore raises what its parser
    met (ResponseParserError, which is no BotoCoreError, or a KeyError for a missing
    PublishResult). Whether it was published is unknown: it counts as not sent, so
    the outbox keeps it, as for a timeout."""
    return f"the answer could not be read ({type(exc).__name__}); not known to be sent"


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
                Subject=sns_subject(notification.subject),
                Message=sns_message(notification),
                MessageStructure="json",
                MessageAttributes=_attributes(notification),
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise NotifyError(
                f"SNS publish failed: {error.get('Code', '?')}: {error.get('Message', '')}"[:300],
                unsent=True,
            ) from None
        except BotoCoreError as exc:
            raise NotifyError(f"SNS publish failed: {type(exc).__name__}: {exc}"[:300]) from None
        except Exception as exc:  # noqa: BLE001 - see _unreadable
            raise NotifyError(f"SNS publish failed: {_unreadable(exc)}") from None


class WebhookNotifier:
    """Publishes the committed webhook body (docs/WEBHOOKS.md) to the webhook topic."""

    def __init__(self, topic_arn: str, client: Any) -> None:
        self.topic_arn = topic_arn
        self.client = client

    def publish(self, notification: Notification) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        from .chat import webhook_publish_kwargs
        from .outbox import webhook_bodies

        try:
            # One body per alert the notification is about, each its own message.
            every = [webhook_publish_kwargs(b) for b in webhook_bodies(notification.webhook)]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise NotifyError("webhook body unreadable; not sent", unsent=True) from None
        sent = 0
        try:
            for kwargs in every:
                self.client.publish(TopicArn=self.topic_arn, **kwargs)
                sent += 1
        except ClientError as exc:
            error = exc.response.get("Error", {})
            text = f"{error.get('Code', '?')}: {error.get('Message', '')}"
            raise NotifyError(
                f"SNS webhook publish failed: {text}"[:300], unsent=sent == 0
            ) from None
        except BotoCoreError as exc:
            raise NotifyError(
                f"SNS webhook publish failed: {type(exc).__name__}: {exc}"[:300]
            ) from None
        except Exception as exc:  # noqa: BLE001 - see _unreadable
            raise NotifyError(f"SNS webhook publish failed: {_unreadable(exc)}") from None
