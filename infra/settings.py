"""Every name and default of the deployment, in one place, read from CDK context.

Context values come from cdk.json or `-c key=value` on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROJECT = "ClaudeMonitor"
SERVICE = "claude-status"  # Powertools' service dimension on every metric
NAMESPACE = "ClaudeStatus"

DEFAULTS: dict[str, Any] = {
    "regions": "us-east-1",
    "models": "claude-haiku-4-5",
    "schedule": "rate(1 minute)",
    "emails": "",
    "phones": "",
    "smsSeverities": "critical",
    "apiKeyParameter": "/claude-monitor/anthropic-api-key",
    "apiKeyKmsKeyArn": "",
    "failureThreshold": 2,
    "recoveryThreshold": 2,
    "reminderMinutes": 0,
    "deadlineSeconds": 25,
    "latencySlowMs": 10000,
    "headroomAlarmBelow": 0.1,
    "memoryMb": 256,
    "retentionDays": 90,
    "logRetentionDays": 30,
    "namespace": NAMESPACE,
    "dashboard": True,
}


def _list(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(part.strip() for part in str(value or "").split(",") if part.strip())


def _bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Settings:
    regions: tuple[str, ...]
    models: tuple[str, ...]
    schedule: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    sms_severities: tuple[str, ...]
    api_key_parameter: str
    api_key_kms_key_arn: str
    failure_threshold: int
    recovery_threshold: int
    reminder_minutes: int
    deadline_seconds: int
    latency_slow_ms: int
    headroom_alarm_below: float
    memory_mb: int
    retention_days: int
    log_retention_days: int
    namespace: str
    dashboard: bool

    @property
    def timeout_seconds(self) -> int:
        """Above the cycle's deadline, so the cycle, not Lambda, decides when to stop."""
        return self.deadline_seconds + 5

    def function_environment(self, region: str, table: str, topic: str) -> dict[str, str]:
        return {
            "TABLE_NAME": table,
            "TOPIC_ARN": topic,
            "ANTHROPIC_API_KEY_PARAMETER": self.api_key_parameter,
            "CANARY_MODELS": ",".join(self.models),
            "FAILURE_THRESHOLD": str(self.failure_threshold),
            "RECOVERY_THRESHOLD": str(self.recovery_threshold),
            "REMINDER_MINUTES": str(self.reminder_minutes),
            "CHECK_DEADLINE_SECONDS": str(self.deadline_seconds),
            "LATENCY_SLOW_MS": str(self.latency_slow_ms),
            "RETENTION_DAYS": str(self.retention_days),
            "METRICS_NAMESPACE": self.namespace,
            "MONITOR_REGION": region,
            "POWERTOOLS_SERVICE_NAME": SERVICE,
        }


def load(context: Any) -> Settings:
    """`context` is a callable name -> value (node.try_get_context) or a dict."""
    get = context if callable(context) else context.get

    def value(name: str) -> Any:
        found = get(name)
        # Missing, or empty where the default is not: the default applies.
        return DEFAULTS[name] if found is None or (found == "" and DEFAULTS[name]) else found

    settings = Settings(
        regions=_list(value("regions")),
        models=_list(value("models")),
        schedule=str(value("schedule")),
        emails=_list(value("emails")),
        phones=_list(value("phones")),
        sms_severities=_list(value("smsSeverities")),
        api_key_parameter=str(value("apiKeyParameter")),
        api_key_kms_key_arn=str(value("apiKeyKmsKeyArn") or ""),
        failure_threshold=int(value("failureThreshold")),
        recovery_threshold=int(value("recoveryThreshold")),
        reminder_minutes=int(value("reminderMinutes")),
        deadline_seconds=int(value("deadlineSeconds")),
        latency_slow_ms=int(value("latencySlowMs")),
        headroom_alarm_below=float(value("headroomAlarmBelow")),
        memory_mb=int(value("memoryMb")),
        retention_days=int(value("retentionDays")),
        log_retention_days=int(value("logRetentionDays")),
        namespace=str(value("namespace")),
        dashboard=_bool(value("dashboard")),
    )
    if not settings.regions or not settings.models:
        raise ValueError("context 'regions' and 'models' must each name at least one entry")
    if not settings.api_key_parameter.startswith("/"):
        raise ValueError("context 'apiKeyParameter' must be an SSM parameter path starting with /")
    return settings
