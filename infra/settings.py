"""Every name and default of the deployment, in one place, read from CDK context.

Context values come from cdk.json or `-c key=value` on the command line. Each one
is validated here, at synth (each value read by infra/context.py), with one line
that names it: a value the function would reject at run time, or CloudFormation at
deploy time, never gets that far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.monitor.config import MAX_MODELS

from .context import (
    E164,
    EMAIL,
    KMS_ARN,
    MODEL,
    NAMESPACE_PATTERN,
    PARAMETER,
    REGION,
    SettingsError,
    as_bool,
    as_float,
    as_int,
    as_list,
    check_schedule,
    each_matches,
    headroom_share,
    schedule_minutes,
)

PROJECT = "ClaudeMonitor"
SERVICE = "claude-status"  # Powertools' service dimension on every metric
NAMESPACE = "ClaudeStatus"
DEFAULT_MODEL = "claude-haiku-5-5"  # the cheapest current model
LAMBDA_MAX_TIMEOUT_S = 900
TIMEOUT_MARGIN_S = 5
# The function's own bounds (functions/monitor/config.py): a value past them would pass
# the synth and then fail every cycle at start, so the synth holds to them too.
FUNCTION_MAX_DEADLINE_S = 840
FUNCTION_MAX_THRESHOLD = 60
FUNCTION_MAX_REMINDER_MINUTES = 10_080
FUNCTION_MAX_LATENCY_MS = 900_000
FUNCTION_MAX_RETENTION_DAYS = 3650
SEVERITIES = ("ok", "warning", "critical", "unknown")
# `monitor`: only alarms about the monitor itself and about what the function does not
# notify act on the topic; `all`: every alarm does (the verdict-mirroring ones too).
ALARM_ACTIONS = ("monitor", "all")

DEFAULTS: dict[str, Any] = {
    "regions": "us-east-1",
    "models": DEFAULT_MODEL,
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
    "errorWindowCycles": 15,
    "errorRateWarn": 0.05,
    # Cycles between answer checks ("Reply with OK"); 0: never.
    "answerCheckEvery": 1,
    "canaryBurst": 10,
    "canarySamples": 2,
    "headroomAlarmBelow": 0.1,
    "memoryMb": 256,
    "retentionDays": 90,
    "logRetentionDays": 30,
    "namespace": NAMESPACE,
    "dashboard": False,
    "topicKey": False,
    "alarmActions": "monitor",
    # model=bedrock-id,...: the Bedrock failover probe (none by default).
    "bedrockModels": "",
    "bedrockAlerts": False,
    # Several regions (README "Several regions"): the home decides and notifies
    # (default the first of `regions`); `quorum` regions must see a failure for it
    # to be the platform's (0 = a majority).
    "homeRegion": "",
    "quorum": 0,
}


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
    error_window_cycles: int
    error_rate_warn: float
    canary_burst: int
    canary_samples: int
    headroom_alarm_below: float
    memory_mb: int
    retention_days: int
    log_retention_days: int
    namespace: str
    dashboard: bool
    topic_key: bool
    alarm_actions: str
    # (monitored model, Bedrock model or inference-profile id) pairs; () = no probe.
    bedrock_models: tuple[tuple[str, str], ...] = ()
    bedrock_alerts: bool = False
    answer_check_every: int = 1
    home_region: str = ""
    quorum: int = 0

    @property
    def fleet(self) -> bool:
        """Several regions vote, and only the home region's function notifies."""
        return len(self.regions) > 1

    def is_home(self, region: str) -> bool:
        return not self.fleet or region == self.home_region

    @property
    def home_table_name(self) -> str:
        """The home table's name, fixed in a fleet: the other regions' stacks name it
        (a CloudFormation reference cannot cross regions)."""
        return f"{PROJECT}-{self.home_region}-results"

    @property
    def heartbeat_minutes(self) -> int:
        """How long without a cycle before the heartbeat alarm says the monitor stopped:
        5 minutes, or two scheduled intervals when cycles come slower (else every quiet
        interval between two cycles would raise it); a day for an irregular cron."""
        interval = schedule_minutes(self.schedule)
        return 1440 if interval is None else max(5, 2 * interval)

    @property
    def timeout_seconds(self) -> int:
        """Above the cycle's deadline, so the cycle, not Lambda, decides when to stop."""
        return self.deadline_seconds + TIMEOUT_MARGIN_S

    def function_environment(self, region: str, table: str, topic: str) -> dict[str, str]:
        """`table` and `topic` are this stack's; a region of a fleet that is not the home
        has neither: it writes its result to the home table and publishes nothing."""
        own = {"TABLE_NAME": table, "TOPIC_ARN": topic} if self.is_home(region) else {}
        return {
            **own,
            "ANTHROPIC_API_KEY_PARAMETER": self.api_key_parameter,
            "CANARY_MODELS": ",".join(self.models),
            "FAILURE_THRESHOLD": str(self.failure_threshold),
            "RECOVERY_THRESHOLD": str(self.recovery_threshold),
            "REMINDER_MINUTES": str(self.reminder_minutes),
            "CHECK_DEADLINE_SECONDS": str(self.deadline_seconds),
            "LATENCY_SLOW_MS": str(self.latency_slow_ms),
            "ERROR_WINDOW_CYCLES": str(self.error_window_cycles),
            "ERROR_RATE_WARN": str(self.error_rate_warn),
            "CANARY_BURST": str(self.canary_burst),
            "ANSWER_CHECK_EVERY": str(self.answer_check_every),
            "CANARY_SAMPLES": str(self.canary_samples),
            "RETENTION_DAYS": str(self.retention_days),
            "METRICS_NAMESPACE": self.namespace,
            "MONITOR_REGION": region,
            "POWERTOOLS_SERVICE_NAME": SERVICE,
            **self._bedrock_environment(),
            **self._fleet_environment(region),
        }

    def _fleet_environment(self, region: str) -> dict[str, str]:
        if not self.fleet:
            return {}
        env = {
            "FLEET_REGIONS": ",".join(self.regions),
            "HOME_REGION": self.home_region,
            "QUORUM": str(self.quorum or len(self.regions) // 2 + 1),
        }
        if not self.is_home(region):
            env["HOME_TABLE_NAME"] = self.home_table_name
        return env

    def _bedrock_environment(self) -> dict[str, str]:
        if not self.bedrock_models:
            return {}
        return {
            "BEDROCK_MODELS": ",".join(f"{m}={i}" for m, i in self.bedrock_models),
            "BEDROCK_ALERTS": "true" if self.bedrock_alerts else "false",
        }


def load(context: Any) -> Settings:
    """`context` is a callable name -> value (node.try_get_context) or a dict.

    Raises SettingsError (a ValueError) with one line naming the bad value.
    """
    get = context if callable(context) else context.get

    def value(name: str) -> Any:
        found = get(name)
        # Missing, or empty where the default is not: the default applies.
        return DEFAULTS[name] if found is None or (found == "" and DEFAULTS[name]) else found

    regions, models = as_list(value("regions")), as_list(value("models"))
    for name, values in (("regions", regions), ("models", models)):
        if not values:
            raise SettingsError(f"context '{name}' must name at least one entry")
    if len(models) > MAX_MODELS:
        raise SettingsError(f"context 'models' names {len(models)} models; at most {MAX_MODELS}")
    each_matches("regions", regions, REGION, "an AWS region such as us-east-1")
    each_matches("models", models, MODEL, "a model id such as claude-haiku-5-5")
    emails, phones = as_list(value("emails")), as_list(value("phones"))
    each_matches("emails", emails, EMAIL, "an email address")
    each_matches("phones", phones, E164, "an E.164 phone number such as +15555550100")
    severities = as_list(value("smsSeverities"))
    for s in severities:
        if s not in SEVERITIES:
            raise SettingsError(
                f"context 'smsSeverities': {s!r} is not one of {', '.join(SEVERITIES)}"
            )
    parameter = str(value("apiKeyParameter")).strip()
    if not PARAMETER.match(parameter):
        raise SettingsError(
            f"context 'apiKeyParameter' must be an SSM parameter path starting with /, "
            f"got {parameter!r}"
        )
    kms_arn = str(value("apiKeyKmsKeyArn") or "").strip()
    if kms_arn and not KMS_ARN.match(kms_arn):
        raise SettingsError(f"context 'apiKeyKmsKeyArn' must be a KMS key ARN, got {kms_arn!r}")
    namespace = str(value("namespace")).strip()
    if not NAMESPACE_PATTERN.match(namespace) or namespace.startswith("AWS/"):
        raise SettingsError(f"context 'namespace' is not a custom metrics namespace: {namespace!r}")
    actions = str(value("alarmActions")).strip().lower()
    if actions not in ALARM_ACTIONS:
        raise SettingsError(
            f"context 'alarmActions' must be one of {', '.join(ALARM_ACTIONS)}, got {actions!r}"
        )
    # The function's timeout is the deadline + 5 s (Lambda allows at most 900 s), and the
    # function itself accepts at most 840 s.
    deadline_max = min(LAMBDA_MAX_TIMEOUT_S - TIMEOUT_MARGIN_S, FUNCTION_MAX_DEADLINE_S)
    bedrock = _bedrock(value("bedrockModels"), models, regions)
    settings = Settings(
        regions=regions,
        models=models,
        schedule=check_schedule(str(value("schedule")).strip()),
        emails=emails,
        phones=phones,
        sms_severities=severities,
        api_key_parameter=parameter,
        api_key_kms_key_arn=kms_arn,
        failure_threshold=as_int(
            "failureThreshold", value("failureThreshold"), 1, FUNCTION_MAX_THRESHOLD
        ),
        recovery_threshold=as_int(
            "recoveryThreshold", value("recoveryThreshold"), 1, FUNCTION_MAX_THRESHOLD
        ),
        reminder_minutes=as_int(
            "reminderMinutes", value("reminderMinutes"), 0, FUNCTION_MAX_REMINDER_MINUTES
        ),
        deadline_seconds=as_int("deadlineSeconds", value("deadlineSeconds"), 1, deadline_max),
        latency_slow_ms=as_int("latencySlowMs", value("latencySlowMs"), 1, FUNCTION_MAX_LATENCY_MS),
        error_window_cycles=as_int("errorWindowCycles", value("errorWindowCycles"), 1, 1440),
        error_rate_warn=as_float("errorRateWarn", value("errorRateWarn"), 0.0, 1.0),
        canary_burst=as_int("canaryBurst", value("canaryBurst"), 1, 10),
        answer_check_every=as_int("answerCheckEvery", value("answerCheckEvery"), 0, 1440),
        canary_samples=as_int("canarySamples", value("canarySamples"), 1, 10),
        headroom_alarm_below=headroom_share(value("headroomAlarmBelow")),
        memory_mb=as_int("memoryMb", value("memoryMb"), 128, 10240),
        retention_days=as_int(
            "retentionDays", value("retentionDays"), 1, FUNCTION_MAX_RETENTION_DAYS
        ),
        log_retention_days=as_int("logRetentionDays", value("logRetentionDays"), 1, 3653),
        namespace=namespace,
        dashboard=as_bool("dashboard", value("dashboard")),
        topic_key=as_bool("topicKey", value("topicKey")),
        alarm_actions=actions,
        bedrock_models=bedrock,
        bedrock_alerts=as_bool("bedrockAlerts", value("bedrockAlerts")),
        **_fleet(regions, value("homeRegion"), value("quorum")),
    )
    _function_accepts(settings)
    return settings


def _fleet(regions: tuple[str, ...], home: Any, quorum: Any) -> dict[str, Any]:
    """`homeRegion` (one of `regions`, default the first) and `quorum` (1 to the number
    of regions, default a majority); a single region takes neither."""
    home = str(home or "").strip() or regions[0]
    if home not in regions:
        raise SettingsError(
            f"context 'homeRegion' must be one of 'regions' ({', '.join(regions)}), got {home!r}"
        )
    count = as_int("quorum", quorum, 0, len(regions)) if str(quorum).strip() else 0
    if len(regions) == 1 and count > 1:
        raise SettingsError("context 'quorum' needs several 'regions'")
    return {"home_region": home, "quorum": count}


# The context value behind each variable of the function's environment.
_CONTEXT_OF = {
    "ANTHROPIC_API_KEY_PARAMETER": "apiKeyParameter",
    "CANARY_MODELS": "models",
    "FAILURE_THRESHOLD": "failureThreshold",
    "RECOVERY_THRESHOLD": "recoveryThreshold",
    "REMINDER_MINUTES": "reminderMinutes",
    "CHECK_DEADLINE_SECONDS": "deadlineSeconds",
    "LATENCY_SLOW_MS": "latencySlowMs",
    "ERROR_WINDOW_CYCLES": "errorWindowCycles",
    "ERROR_RATE_WARN": "errorRateWarn",
    "CANARY_BURST": "canaryBurst",
    "ANSWER_CHECK_EVERY": "answerCheckEvery",
    "CANARY_SAMPLES": "canarySamples",
    "RETENTION_DAYS": "retentionDays",
    "METRICS_NAMESPACE": "namespace",
    "BEDROCK_MODELS": "bedrockModels",
    "BEDROCK_ALERTS": "bedrockAlerts",
    "QUORUM": "quorum",
    "HOME_REGION": "homeRegion",
}


def _function_accepts(settings: Settings) -> None:
    """The function's own configuration check, run at synth on the environment each
    stack gives it: whatever the bounds above miss fails here, naming the context
    value, rather than in every cycle after the deploy."""
    from functions.monitor.config import ConfigError, load_config

    topic = "arn:aws:sns:us-east-1:123456789012:synth-check"
    for region in settings.regions:
        env = settings.function_environment(region, "synth-check", topic)
        try:
            load_config({**env, "AWS_REGION": region})
        except ConfigError as exc:
            message = str(exc).splitlines()[0]
            name = next((c for v, c in _CONTEXT_OF.items() if message.startswith(v)), None)
            where = f"'{name}'" if name else "value"
            line = f"context {where}: the function rejects it: {message}"
            raise SettingsError(line[:300]) from None


def _bedrock(
    raw: Any, models: tuple[str, ...], regions: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    """`bedrockModels` (model=bedrock-id,...), checked against `models` and, for a
    geographic profile, against every stack's Region, at synth."""
    from functions.monitor.values import parse_bedrock_models, region_problem

    try:
        mapping = parse_bedrock_models(str(raw or ""), models)
    except ValueError as exc:
        message = str(exc).splitlines()[0].replace("BEDROCK_MODELS", "'bedrockModels'")
        message = message.replace("CANARY_MODELS", "'models'")
        raise SettingsError(f"context {message}"[:300]) from None
    for model_id in mapping.values():
        for region in regions:
            problem = region_problem(model_id, region)
            if problem:
                raise SettingsError(f"context 'bedrockModels': {problem}"[:300])
    return tuple(mapping.items())
