"""The webhook body's contract, as JSON Schema (printed in docs/WEBHOOKS.md)."""

from __future__ import annotations

from typing import Any

WEBHOOK_SCHEMA_VERSION = 1

_NULLABLE_STR = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}

# The webhook body's contract, as JSON Schema (printed in docs/WEBHOOKS.md).
WEBHOOK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "schema",
        "schema_version",
        "notification_id",
        "kind",
        "checked_at",
        "region",
        "verdict",
        "severity",
        "summary",
        "subject",
        "transitions",
        "canaries",
        "failing_models",
        "incidents",
        "incident_links",
        "status_page",
        "lead_time_min",
        "next_step",
        "urgency",
        "priority",
        "dedup_key",
        "AlarmName",
        "NewStateValue",
        "NewStateReason",
        "StateChangeTime",
    ],  # fmt: skip
    "properties": {
        "schema": {"const": "claude-api-monitor/notification"},
        "schema_version": {"const": WEBHOOK_SCHEMA_VERSION},
        "notification_id": {"type": "string"},
        "kind": {"enum": ["alert", "resolved", "reminder", "digest"]},
        "checked_at": {"type": "string"},
        "region": {"type": "string"},
        "verdict": {
            "enum": [
                "operational",
                "degraded",
                "maintenance",
                "rate_limited",
                "outage",
                "unconfirmed_outage",
                "client_error",
                "network_error",
            ]
        },  # fmt: skip
        "severity": {"enum": ["ok", "warning", "critical", "unknown"]},
        "summary": {"type": "string"},
        "subject": {"type": "string", "maxLength": 100},
        "transitions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["target", "from", "to"],
                "properties": {k: {"type": "string"} for k in ("target", "from", "to")},
            },
        },
        "canaries": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["model", "outcome", "http_status", "request_id"],
                "properties": {
                    "model": {"type": "string"},
                    "outcome": {"type": "string"},
                    "http_status": _NULLABLE_INT,
                    "error_type": _NULLABLE_STR,
                    "request_id": _NULLABLE_STR,
                    "attempts": _NULLABLE_INT,
                    "latency_ms": _NULLABLE_INT,
                },
            },
        },
        "failing_models": {"type": "array", "items": {"type": "string"}},
        "incidents": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "status", "url"],
                "properties": {
                    "url": _NULLABLE_STR,
                    "confirms": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "incident_links": {"type": "array", "items": {"type": "string"}},
        "status_page": {
            "type": "object",
            "required": ["reachable", "api_status", "error"],
            "properties": {"reachable": {"type": "boolean"}},
        },
        "lead_time_min": {"type": ["number", "null"]},
        "next_step": {"type": "string"},
        "urgency": {"enum": ["high", "low"]},
        "priority": {"enum": ["P1", "P2", "P3", "P4", "P5"]},
        "dedup_key": {"type": "string"},
        "AlarmName": {"type": "string"},
        "NewStateValue": {"enum": ["ALARM", "OK"]},
        "NewStateReason": {"type": "string"},
        "StateChangeTime": {"type": "string"},
    },
}
