"""Every name and default of the deployment, in one place, read from CDK context.

Context values come from cdk.json or `-c key=value` on the command line. Each one
is validated here, at synth, with one line that names it: a value the function
would reject at run time, or CloudFormation at deploy time, never gets that far.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from functions.monitor.config import MAX_MODELS

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

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_MODEL = re.compile(r"^[a-z0-9][a-z0-9.:@\-]*$")
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[A-Za-z]{2,}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PARAMETER = re.compile(r"^(/[A-Za-z0-9_.\-]+)+$")
_KMS_ARN = re.compile(r"^arn:aws[a-z\-]*:kms:[a-z0-9\-]+:\d{12}:(key|alias)/[A-Za-z0-9/_\-]+$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9.\-_/#:]{1,255}$")
# EventBridge: rate(1 minute) takes the singular, any other value the plural.
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\(\S+( \S+){5}\)$")


class SettingsError(ValueError):
    """A context value is invalid; the message is one line naming it."""


def _list(value: Any) -> tuple[str, ...]:
    """The entries, each once, in order (as the function reads CANARY_MODELS): a repeated
    region or model would otherwise name two constructs alike and fail with a traceback."""
    parts = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return tuple(dict.fromkeys(str(v).strip() for v in parts if str(v).strip()))


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"context '{name}' must be true or false, got {value!r}")


def _int(name: str, value: Any, low: int, high: int | None = None) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SettingsError(f"context '{name}' must be a whole number, got {value!r}") from None
    if number < low or (high is not None and number > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"context '{name}' must be {span}, got {value!r}")
    return number


def _float(name: str, value: Any, low: float, high: float) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise SettingsError(f"context '{name}' must be a number, got {value!r}") from None
    if not low < number < high:
        raise SettingsError(f"context '{name}' must be above {low:g} and below {high:g}")
    return number


def _headroom(value: Any) -> float:
    """The function publishes RateLimitHeadroom only below HEADROOM_REPORT_BELOW, so an
    alarm threshold above it would never see the values between (and so never alarm
    where it says it would)."""
    from functions.monitor.tell.metrics import HEADROOM_REPORT_BELOW

    share = _float("headroomAlarmBelow", value, 0.0, 1.0)
    if share > HEADROOM_REPORT_BELOW:
        raise SettingsError(
            f"context 'headroomAlarmBelow' must be at most {HEADROOM_REPORT_BELOW:g}: the "
            f"function reports headroom only below that, got {value!r}"
        )
    return share


def _each(name: str, values: tuple[str, ...], pattern: re.Pattern[str], what: str) -> None:
    for v in values:
        if not pattern.match(v):
            raise SettingsError(f"context '{name}': {v!r} is not {what}")


def check_schedule(expression: str) -> str:
    rate = _RATE.match(expression)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        if count < 1 or (count == 1) == unit.endswith("s"):
            raise SettingsError(
                f"context 'schedule' {expression!r}: use rate(1 minute) or rate(N minutes)"
            )
        return expression
    if _CRON.match(expression):
        # EventBridge: one of day-of-month and day-of-week must be '?', not both.
        fields = expression[len("cron(") : -1].split()
        if (fields[2] == "?") == (fields[4] == "?"):
            raise SettingsError(
                f"context 'schedule' {expression!r}: exactly one of day-of-month and "
                f"day-of-week must be '?', as in 'cron(* * * * ? *)'"
            )
        return expression
    raise SettingsError(
        f"context 'schedule' must be an EventBridge expression such as 'rate(1 minute)', "
        f"'rate(5 minutes)' or 'cron(* * * * ? *)', got {expression!r}"
    )


def schedule_minutes(expression: str) -> int | None:
    """Minutes between two scheduled cycles, or None for a cron that is not a fixed step
    (which cycles a day it runs is not one interval)."""
    rate = _RATE.match(expression)
    if rate:
        return int(rate.group(1)) * {"m": 1, "h": 60, "d": 1440}[rate.group(2)[0]]
    fields = expression[len("cron(") : -1].split()
    if len(fields) != 6 or any(f not in ("*", "?") for f in fields[2:]):
        return None
    step = re.fullmatch(r"(?:\*|0)/(\d+)", fields[0])
    if fields[1] != "*":
        return None
    if fields[0] == "*":
        return 1
    if fields[0].isdigit():
        return 60  # once an hour, at a fixed minute
    return int(step.group(1)) if step and 0 < int(step.group(1)) < 60 else None


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

    regions, models = _list(value("regions")), _list(value("models"))
    for name, values in (("regions", regions), ("models", models)):
        if not values:
            raise SettingsError(f"context '{name}' must name at least one entry")
    if len(models) > MAX_MODELS:
        raise SettingsError(f"context 'models' names {len(models)} models; at most {MAX_MODELS}")
    _each("regions", regions, _REGION, "an AWS region such as us-east-1")
    _each("models", models, _MODEL, "a model id such as claude-haiku-5-5")
    emails, phones = _list(value("emails")), _list(value("phones"))
    _each("emails", emails, _EMAIL, "an email address")
    _each("phones", phones, _E164, "an E.164 phone number such as +15555550100")
    severities = _list(value("smsSeverities"))
    for s in severities:
        if s not in SEVERITIES:
            raise SettingsError(
                f"context 'smsSeverities': {s!r} is not one of {', '.join(SEVERITIES)}"
            )
    parameter = str(value("apiKeyParameter")).strip()
    if not _PARAMETER.match(parameter):
        raise SettingsError(
            f"context 'apiKeyParameter' must be an SSM parameter path starting with /, "
            f"got {parameter!r}"
        )
    kms_arn = str(value("apiKeyKmsKeyArn") or "").strip()
    if kms_arn and not _KMS_ARN.match(kms_arn):
        raise SettingsError(f"context 'apiKeyKmsKeyArn' must be a KMS key ARN, got {kms_arn!r}")
    namespace = str(value("namespace")).strip()
    if not _NAMESPACE.match(namespace) or namespace.startswith("AWS/"):
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
        failure_threshold=_int(
            "failureThreshold", value("failureThreshold"), 1, FUNCTION_MAX_THRESHOLD
        ),
        recovery_threshold=_int(
            "recoveryThreshold", value("recoveryThreshold"), 1, FUNCTION_MAX_THRESHOLD
        ),
        reminder_minutes=_int(
            "reminderMinutes", value("reminderMinutes"), 0, FUNCTION_MAX_REMINDER_MINUTES
        ),
        deadline_seconds=_int("deadlineSeconds", value("deadlineSeconds"), 1, deadline_max),
        latency_slow_ms=_int("latencySlowMs", value("latencySlowMs"), 1, FUNCTION_MAX_LATENCY_MS),
        error_window_cycles=_int("errorWindowCycles", value("errorWindowCycles"), 1, 1440),
        error_rate_warn=_float("errorRateWarn", value("errorRateWarn"), 0.0, 1.0),
        canary_burst=_int("canaryBurst", value("canaryBurst"), 1, 10),
        answer_check_every=_int("answerCheckEvery", value("answerCheckEvery"), 0, 1440),
        canary_samples=_int("canarySamples", value("canarySamples"), 1, 10),
        headroom_alarm_below=_headroom(value("headroomAlarmBelow")),
        memory_mb=_int("memoryMb", value("memoryMb"), 128, 10240),
        retention_days=_int(
            "retentionDays", value("retentionDays"), 1, FUNCTION_MAX_RETENTION_DAYS
        ),
        log_retention_days=_int("logRetentionDays", value("logRetentionDays"), 1, 3653),
        namespace=namespace,
        dashboard=_bool("dashboard", value("dashboard")),
        topic_key=_bool("topicKey", value("topicKey")),
        alarm_actions=actions,
        bedrock_models=bedrock,
        bedrock_alerts=_bool("bedrockAlerts", value("bedrockAlerts")),
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
    count = _int("quorum", quorum, 0, len(regions)) if str(quorum).strip() else 0
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
