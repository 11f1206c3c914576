"""The chat and webhook variants through SNS (the moto server), to HTTPS-like subscribers.

Loopback HTTP endpoints stand in for Amazon Q (protocol https on the alert topic) and
for a webhook (protocol https on the webhook topic); an SQS queue on the alert topic
shows what every other protocol reads. Each receiver parses the SNS envelope as a
real one would and validates what it finds against the documented schema.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema
import pytest

from functions.monitor.tell.chat import (
    CHAT_SCHEMA,
    WEBHOOK_SCHEMA,
    alert_topic_message,
    webhook_body,
    webhook_publish,
    webhook_publish_kwargs,
)
from tests.channels_support import outage


class _Inbox(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.server.received.append(json.loads(self.rfile.read(length)))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()


@pytest.fixture
def endpoint():
    """A loopback HTTPS-like subscriber: records every SNS envelope POSTed to it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Inbox)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/sns"


def test_given_amazon_q_on_the_topic_when_a_notification_is_published_then_it_reads_chat_schema(
    aws, endpoint
):
    # Given Amazon Q (protocol https) and a queue (protocol sqs) on the alert topic
    sns = aws.client("sns")
    sns.subscribe(TopicArn=aws.topic_arn, Protocol="https", Endpoint=_url(endpoint))
    note, result = outage()
    # When the notifier publishes the per-protocol message
    sns.publish(
        TopicArn=aws.topic_arn,
        Subject=note["subject"],
        Message=alert_topic_message(note, result),
        MessageStructure="json",
    )
    # Then the https subscriber gets the chat message, valid against the documented schema
    [envelope] = endpoint.received
    assert envelope["Type"] == "Notification"
    chat = json.loads(envelope["Message"])
    jsonschema.validate(chat, CHAT_SCHEMA)
    assert "`claude-haiku-5-5`: overloaded, HTTP 529" in chat["content"]["description"]
    # And the queue (any other protocol) gets the email text, not the chat JSON
    [queued] = aws.messages()
    assert queued["Message"] == note["email"]


def test_given_a_webhook_subscriber_when_the_body_is_published_then_it_receives_the_documented_body(
    aws, endpoint
):
    # Given a webhook topic with one HTTPS subscriber
    sns = aws.client("sns")
    topic = sns.create_topic(Name="monitor-webhooks")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=_url(endpoint))
    note, result = outage()
    # When the notifier publishes the webhook variant
    sns.publish(TopicArn=topic, **webhook_publish(note, result))
    # Then the endpoint gets the SNS envelope whose Message is the documented body
    [envelope] = endpoint.received
    assert envelope["Subject"].startswith("ALARM: CRITICAL: Claude API outage")
    body = json.loads(envelope["Message"])
    jsonschema.validate(body, WEBHOOK_SCHEMA)
    assert body["notification_id"] == note["id"]
    assert body["incident_links"] == ["https://stspg.io/abc"]
    assert body["failing_models"] == ["claude-haiku-5-5"]
    # And nothing reached the alert topic's subscribers
    assert aws.messages() == []


def test_given_a_body_kept_in_the_outbox_when_published_later_then_it_arrives_unchanged(
    aws, endpoint
):
    # Given a body computed at compose time and stored as JSON (the outbox)
    note, result = outage()
    stored = json.dumps(webhook_body(note, result))
    sns = aws.client("sns")
    topic = sns.create_topic(Name="monitor-webhooks")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=_url(endpoint))
    # When it is published from the stored JSON
    sns.publish(TopicArn=topic, **webhook_publish_kwargs(json.loads(stored)))
    # Then the endpoint receives exactly that body
    [envelope] = endpoint.received
    assert json.loads(envelope["Message"]) == json.loads(stored)
    assert envelope["Subject"] == webhook_publish(note, result)["Subject"]


def test_given_a_committed_subject_sns_would_refuse_then_the_publish_still_goes_out(aws):
    from functions.monitor.models import Notification
    from functions.monitor.tell.notifiers import SnsNotifier

    # Given committed notifications whose subject SNS refuses (over 100 characters, a
    # line break): another version's, or a corrupt item; re-sent as committed, they
    # would fail on every cycle and never leave the outbox
    notifier = SnsNotifier(aws.topic_arn, aws.client("sns"))
    for subject in ("CRITICAL: " + "x" * 150, "CRITICAL: Claude API\noutage"):
        note = Notification("n-1", subject, "sms", "email", "critical", "outage")
        # When it is published
        notifier.publish(note)
        # Then it arrives, its subject one line within SNS's limit, its id unchanged
        [got] = aws.messages()
        assert got["Subject"].startswith("CRITICAL: ") and len(got["Subject"]) <= 100
        assert "\n" not in got["Subject"]
        assert got["MessageAttributes"]["notification_id"]["Value"] == "n-1"


def test_given_a_committed_notification_with_an_empty_verdict_then_it_still_goes_out(aws):
    from functions.monitor.models import Notification
    from functions.monitor.tell.notifiers import SnsNotifier

    # Given a committed notification whose verdict is empty (SNS refuses an empty
    # attribute value, on every re-send)
    note = Notification("n-2", "CRITICAL: Claude API outage", "sms", "email", "critical", "")
    # When it is published, then it arrives with the attributes it has
    SnsNotifier(aws.topic_arn, aws.client("sns")).publish(note)
    [got] = aws.messages()
    assert got["MessageAttributes"]["severity"]["Value"] == "critical"
    assert "verdict" not in got["MessageAttributes"]
