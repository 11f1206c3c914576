"""The chat and webhook variants of a notification: plain dicts in, JSON-able dicts out.

Both take what the check cycle already has, as plain data: a notification
(`Notification.to_dict()`) and the cycle's result (`CheckResult.to_dict()`), so
they can be called from the SNS notifier without touching its types.

Chat (Slack, Microsoft Teams) goes through Amazon Q Developer in chat applications
(formerly AWS Chatbot). It renders a message published by an application only in its
custom-notification schema: `version` "1.0", `source` "custom", optional `id`, and
`content` with `textType` ("client-markdown" is the only value), `title`,
`description`, `nextSteps` and `keywords`, plus optional `metadata` (`threadId`,
`summary`, `eventType`, `relatedResources`, `additionalContext` of string values).
Anything else is logged as "Event received is not supported" and never shown
(https://repost.aws/knowledge-center/sns-aws-chatbot-message-troubleshooting).
Source of the schema, looked up for this module:
https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
("Custom notifications using Amazon Q Developer in chat applications", Event schema
and Parameter details: version must be 1.0, source must be custom, textType only
client-markdown). That page gives no length limits; the caps below are ours, chosen so
a message fits one Slack section and one Teams card. We always send a title and a
description, so the message is valid whichever of the two the service insists on.

Which SNS key it reads: Amazon Q subscribes to the topic with protocol `https` (its
subscriptions show the endpoint https://global.sns-api.chatbot.amazonaws.com), and
with `MessageStructure=json` SNS gives each subscriber the key of its protocol, or
`"default"` when there is none (SNS Publish API, MessageStructure). So the chat
message goes under `"https"`: `alert_topic_message` below builds the whole Message.
Webhooks also use protocol https and would read the same key, which is why they get
their own topic (see `infra/channels.py` and docs/WEBHOOKS.md) and `webhook_body`.
"""

from __future__ import annotations

import json
from typing import Any

from ..decide.failover import failover_sentence
from ..decide.verdict import NEXT_STEP
from .markdown import DEFAULT_PAGE_URL, code_span, incident_link, inert
from .webhook_schema import WEBHOOK_SCHEMA, WEBHOOK_SCHEMA_VERSION

__all__ = ["CHAT_SCHEMA", "WEBHOOK_SCHEMA", "chat_message", "webhook_body", "dedup_key"]

# Our own caps (the schema page documents none): one Slack section holds 3000
# characters of text; titles and tags stay short enough to read on a phone.
TITLE_MAX = 250
DESCRIPTION_MAX = 3000
NEXT_STEPS_MAX = 5
KEYWORDS_MAX = 10
KEYWORD_MAX = 50
CONTEXT_VALUE_MAX = 256
# Incident links in one message (`relatedResources`): a page with 150 open incidents
# must not make a message no chat renders.
RELATED_MAX = 5


_EMOJI = {"critical": "🔴", "warning": "🟠", "unknown": "⚪", "ok": "✅"}
_WORD = {"critical": "CRITICAL", "warning": "WARNING", "unknown": "UNKNOWN", "ok": "OK"}
# severity -> (PagerDuty urgency, Opsgenie priority); see docs/WEBHOOKS.md.
URGENCY = {
    "critical": ("high", "P1"),
    "unknown": ("high", "P2"),
    "warning": ("low", "P3"),
    "ok": ("low", "P5"),
}
_PASSING = ("ok", "skipped")

# The documented Amazon Q custom-notification schema, as JSON Schema, plus our caps.
CHAT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "source", "content"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": "1.0"},
        "source": {"const": "custom"},
        "id": {"type": "string", "minLength": 1},
        "content": {
            "type": "object",
            "required": ["description"],
            "additionalProperties": False,
            "properties": {
                "textType": {"enum": ["client-markdown"]},
                "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
                "description": {"type": "string", "minLength": 1, "maxLength": DESCRIPTION_MAX},
                "nextSteps": {
                    "type": "array",
                    "maxItems": NEXT_STEPS_MAX,
                    "items": {"type": "string", "minLength": 1},
                },
                "keywords": {
                    "type": "array",
                    "maxItems": KEYWORDS_MAX,
                    "items": {"type": "string", "minLength": 1, "maxLength": KEYWORD_MAX},
                },
            },
        },
        "metadata": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "threadId": {"type": "string"},
                "summary": {"type": "string"},
                "eventType": {"type": "string"},
                "relatedResources": {"type": "array", "items": {"type": "string"}},
                "additionalContext": {
                    "type": "object",
                    "additionalProperties": {"type": "string", "maxLength": CONTEXT_VALUE_MAX},
                },
            },
        },
    },
}


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _kind(transitions: list[dict[str, Any]], default: str = "alert") -> str:
    overall = [t for t in transitions if t.get("target") == "overall"]
    if overall and overall[-1].get("to") == "operational":
        return "resolved"
    bedrock = [t for t in transitions if str(t.get("target", "")).startswith("bedrock:")]
    if bedrock and not overall and bedrock[-1].get("to") == "ok":
        return "resolved"  # only a failover path moved, and it answers again
    region = [t for t in transitions if str(t.get("target", "")).startswith("region:")]
    if region and not overall and not bedrock and region[-1].get("to") == "reporting":
        return "resolved"  # only a fleet's region moved, and it reports again
    return default if transitions else "reminder"


def dedup_key(region: str, alert: str | None) -> str:
    """The webhook's dedup key (and AlarmName): one per alert that opens and closes on
    its own, so the API's RESOLVED never closes a Bedrock path's open alert."""
    base = f"claude-api-monitor:{region}"
    return base if not alert or alert == "overall" else f"{base}:{alert}"


def _next_steps(verdict: str, result: dict[str, Any]) -> list[str]:
    """The verdict's next step, after the failover advice when there is one (as
    `next_step` puts it first in the email and the SMS)."""
    advice = failover_sentence(dict(result.get("failover") or {}))
    step = NEXT_STEP.get(verdict, "See the monitor's history for details.")
    return [f"{advice}.", step] if advice else [step]


def _failing(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in result.get("canaries", []) if c.get("outcome") not in _PASSING]


def _incidents(result: dict[str, Any]) -> list[dict[str, Any]]:
    page = result.get("status_page") or {}
    return list(page.get("incidents") or []) + list(page.get("maintenances") or [])


def _lead(minutes: float | None) -> str | None:
    if minutes is None:
        return None
    amount = f"{minutes:.0f} min" if minutes >= 1 else f"{minutes * 60:.0f} s"
    return f"seen {amount} before the status page"


def _canary_line(c: dict[str, Any]) -> str:
    http = f"HTTP {c['http_status']}" if c.get("http_status") else "no HTTP answer"
    rid = f", request id `{code_span(c['request_id'])}`" if c.get("request_id") else ""
    return f"`{code_span(c.get('model'))}`: {c.get('outcome')}, {http}{rid}"


def _title(
    notification: dict[str, Any], severity: str, word: str, verdict: str, region: str
) -> str:
    """Read alike with the CloudWatch alarms Amazon Q renders natively: an emoji, what,
    state, region, separated by bars. A Bedrock path's own alert names the path."""
    emoji = _EMOJI.get(severity, "⚪")
    alert = str(notification.get("alert") or "")
    if alert.startswith("bedrock:"):
        model = alert.split(":", 1)[1]
        state = "RESOLVED" if severity == "ok" else _WORD.get(severity, "UNKNOWN")
        return f"{emoji} Amazon Bedrock {model} | {state} | {region}"
    if alert.startswith("region:"):
        name = alert.split(":", 1)[1]
        state = "RESOLVED" if severity == "ok" else _WORD.get(severity, "UNKNOWN")
        return f"{emoji} Monitor region {name} | {state} | {region}"
    return f"{emoji} Claude API | {word}: {verdict} | {region}"


def chat_message(
    notification: dict[str, Any], result: dict[str, Any], page_url: str = DEFAULT_PAGE_URL
) -> dict[str, Any]:
    """The Amazon Q Developer custom notification for one notification. See module doc.
    What came from outside (incident names, the page's error, request ids) is made
    inert for markdown, and links go only to `page_url`'s host."""
    severity = str(notification.get("severity") or result.get("severity") or "unknown")
    verdict = str(notification.get("verdict") or result.get("verdict") or "")
    region = str(result.get("region") or "local")
    transitions = list(result.get("transitions") or [])
    kind = _kind(transitions)
    # A RESOLVED title only when the message's own state is ok: a merged message whose
    # other alert is still open keeps that alert's word and icon.
    resolved = kind == "resolved" and severity == "ok"
    word = "RESOLVED" if resolved else _WORD.get(severity, "UNKNOWN")
    title = _title(notification, severity, word, verdict, region)
    summary = inert(result.get("summary", ""), page_url)
    lines = [f"*Verdict:* {verdict} ({severity}): {summary}".rstrip(": ")]
    if transitions:
        changed = "; ".join(f"{t['target']} {t['from']} → {t['to']}" for t in transitions)
        lines.append(f"*What changed:* {changed}")
    elif kind == "reminder":
        lines.append("*What changed:* nothing new; the alert is still open")
    failing = _failing(result)
    if failing:
        lines.append("*Failing:*")
        lines += [f"• {_canary_line(c)}" for c in failing]
    links = []
    for incident in _incidents(result):
        url = incident_link(incident, page_url)
        links += [url] if url else []
        name, status = (
            inert(incident.get("name"), page_url),
            inert(incident.get("status"), page_url),
        )
        lines.append(f"*Incident:* {name} ({status})" + (f" {url}" if url else ""))
    page = result.get("status_page") or {}
    if not page.get("reachable", True):
        error = inert(page.get("error") or "no detail", page_url)
        lines.append(f"*Status page:* unreadable ({error})")
    lead = _lead(result.get("lead_time_min"))
    if lead:
        lines.append(f"*Lead time:* {lead}")

    keywords = [verdict, severity, region] + [str(c.get("model")) for c in failing]
    keywords = list(dict.fromkeys(_fit(k, KEYWORD_MAX) for k in keywords if k))[:KEYWORDS_MAX]
    message: dict[str, Any] = {
        "version": "1.0",
        "source": "custom",
        "id": str(notification.get("id") or result.get("checked_at") or "claude-monitor"),
        "content": {
            "textType": "client-markdown",
            "title": _fit(title, TITLE_MAX),
            "description": _fit("\n".join(lines), DESCRIPTION_MAX),
            "nextSteps": _next_steps(verdict, result)[:NEXT_STEPS_MAX],
            "keywords": keywords,
        },
        "metadata": {
            # Amazon Q threads messages with the same threadId: an alert and its
            # recovery share one thread in Slack (custom-notifs.html, metadata).
            "threadId": dedup_key(region, str(notification.get("alert") or "")),
            "summary": _fit(inert(notification.get("subject") or title, page_url), TITLE_MAX),
            "eventType": f"ClaudeApi{kind.capitalize()}",
            "relatedResources": list(dict.fromkeys(links))[:RELATED_MAX],
            "additionalContext": {
                k: _fit(str(v), CONTEXT_VALUE_MAX)
                for k, v in {
                    "verdict": verdict,
                    "severity": severity,
                    "region": region,
                    "checked_at": result.get("checked_at"),
                    "notification_id": notification.get("id"),
                }.items()
                if v
            },
        },
    }
    return message


def webhook_body(
    notification: dict[str, Any], result: dict[str, Any], kind: str | None = None
) -> dict[str, Any]:
    """The documented JSON body for HTTPS subscribers (docs/WEBHOOKS.md, WEBHOOK_SCHEMA).

    Stable: fields are only ever added; `schema_version` changes if one ever had to
    change meaning. Holds no secret: no API key, no canary error text.
    `kind` overrides the derived one ("alert", "resolved", "reminder"), e.g. "digest".
    """
    severity = str(notification.get("severity") or result.get("severity") or "unknown")
    verdict = str(notification.get("verdict") or result.get("verdict") or "")
    region = str(result.get("region") or "local")
    transitions = [
        {"target": t["target"], "from": t["from"], "to": t["to"]}
        for t in result.get("transitions") or []
    ]
    kind = kind or _kind(transitions)
    urgency, priority = URGENCY.get(severity, ("high", "P2"))
    canaries = [
        {
            "model": c.get("model"),
            "outcome": c.get("outcome"),
            "http_status": c.get("http_status"),
            "error_type": c.get("error_type"),
            "request_id": c.get("request_id"),
            "attempts": c.get("attempts"),
            "latency_ms": c.get("latency_ms"),
        }
        for c in result.get("canaries") or []
    ]
    incidents = [
        {
            "id": i.get("id"),
            "name": i.get("name"),
            "status": i.get("status"),
            "impact": i.get("impact"),
            "url": i.get("shortlink"),
            "started_at": i.get("started_at") or i.get("created_at"),
            "confirms": list(i.get("confirms") or []),
        }
        for i in _incidents(result)
    ]
    page = result.get("status_page") or {}
    resolved = severity == "ok"
    key = dedup_key(region, str(notification.get("alert") or ""))
    advice = failover_sentence(dict(result.get("failover") or {}))
    subject = str(notification.get("subject") or f"Claude API {verdict}")
    return {
        "schema": "claude-api-monitor/notification",
        "schema_version": WEBHOOK_SCHEMA_VERSION,
        "notification_id": str(notification.get("id") or ""),
        "kind": kind,
        "checked_at": result.get("checked_at"),
        "region": region,
        "verdict": verdict,
        "severity": severity,
        "summary": result.get("summary") or "",
        "subject": subject,
        "transitions": transitions,
        "canaries": canaries,
        "failing_models": [c["model"] for c in canaries if c["outcome"] not in _PASSING],
        "incidents": incidents,
        "incident_links": [i["url"] for i in incidents if i["url"]],
        "status_page": {
            "reachable": bool(page.get("reachable", False)),
            "api_status": page.get("api_status"),
            "error": page.get("error"),
        },
        "lead_time_min": result.get("lead_time_min"),
        "next_step": (f"{advice}. " if advice else "") + NEXT_STEP.get(verdict, ""),
        "urgency": urgency,
        "priority": priority,
        "dedup_key": key,
        # The CloudWatch alarm shape, for receivers built for alarms (docs/WEBHOOKS.md).
        "AlarmName": key,
        "NewStateValue": "OK" if resolved else "ALARM",
        "NewStateReason": _fit(subject, 1000),
        "StateChangeTime": result.get("checked_at"),
    }


def webhook_subject(body: dict[str, Any]) -> str:
    """The SNS Subject for the webhook topic: 'ALARM: ...' or 'OK: ...', like alarms."""
    text = f"{body['NewStateValue']}: {body['subject']}"
    text = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in " ".join(text.split()))
    return _fit(text, 100).replace("…", "...")


def alert_topic_message(notification: dict[str, Any], result: dict[str, Any]) -> str:
    """The alert topic's `Message` with `MessageStructure=json`: a variant per protocol.

    Email and SMS keep their texts; `https` (Amazon Q's protocol) gets the chat message;
    everything else (sqs, lambda) gets the email text, as `default`.
    """
    email = str(notification.get("email") or notification.get("subject") or "")
    variants = {
        "default": email,
        "email": email,
        "sms": str(notification.get("sms") or notification.get("subject") or ""),
        "https": json.dumps(chat_message(notification, result), ensure_ascii=False),
    }
    return json.dumps(variants, ensure_ascii=False)


def webhook_publish(
    notification: dict[str, Any], result: dict[str, Any], kind: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for `sns.publish(TopicArn=<webhook topic>, **these)`."""
    return webhook_publish_kwargs(webhook_body(notification, result, kind))


def webhook_publish_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """The same, from a body computed earlier (say, kept in the notification outbox)."""
    attributes = {
        "severity": body["severity"],
        "verdict": body["verdict"],
        "notification_id": body["notification_id"],
        "kind": body["kind"],
    }
    return {
        "Subject": webhook_subject(body),
        "Message": json.dumps(body, ensure_ascii=False),
        "MessageAttributes": {
            k: {"DataType": "String", "StringValue": v} for k, v in attributes.items() if v
        },
    }
