"""Configuration: read once from the environment into a frozen dataclass.

Every variable of the contract is read here and nowhere else. A bad value raises
`ConfigError` with one line that names the variable; the command line turns it
into exit 3.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from .values import QuietHours, parse_quiet


class ConfigError(ValueError):
    """A configuration value is missing or malformed (one line, names the variable)."""


@dataclass(frozen=True)
class Config:
    status_page_url: str = "https://status.claude.com"
    anthropic_base_url: str = "https://api.anthropic.com"
    # repr=False keeps the key out of every repr, log line and traceback of the config.
    api_key: str | None = field(default=None, repr=False)
    api_key_parameter: str | None = None
    canary_models: tuple[str, ...] = ("claude-haiku-5-5",)
    api_components: tuple[str, ...] = ("Claude API (api.anthropic.com)",)
    deadline_s: float = 25.0
    max_attempts: int = 3
    retry_base_s: float = 0.5
    latency_slow_ms: int = 10_000
    failure_threshold: int = 2
    recovery_threshold: int = 2
    reminder_minutes: int = 0
    error_window_cycles: int = 15
    error_rate_warn: float = 0.05
    # Concurrent requests per model per cycle, and the extra ones while a model's
    # score is suspicious (decide/score.py).
    canary_samples: int = 2
    canary_burst: int = 10
    # ANSWER_CHECK_EVERY: the canaries ask "Reply with OK" and judge the answer every
    # this many cycles (answer.py); 0: never.
    answer_check_every: int = 1
    retention_days: int = 90
    table_name: str | None = None
    topic_arn: str | None = None
    local_db_path: str = ".monitor/state.sqlite3"
    metrics_namespace: str = "ClaudeStatus"
    region: str = "local"
    aws_region: str | None = None
    # Quiet hours (UTC): warnings are held and told in one digest when they end.
    quiet_hours: QuietHours | None = None
    # The webhook topic (docs/WEBHOOKS.md): the documented body is published there too.
    webhook_topic_arn: str | None = None
    # BEDROCK_MODELS: (monitored model, Bedrock model or inference-profile id) pairs, in
    # the order given; empty = no Bedrock path. Pairs, not a dict: the config stays
    # hashable. `bedrock_map` is the dict view.
    bedrock_models: tuple[tuple[str, str], ...] = ()
    # BEDROCK_ALERTS: a `bedrock:<model>` transition wakes people (off: recorded only).
    bedrock_alerts: bool = False
    fleet_regions: tuple[str, ...] = ()  # a fleet (decide/vote.py); QUORUM 0 = a majority
    home_region: str | None = None
    quorum: int = 0
    home_table_name: str | None = None
    region_wait_s: float = 3.0
    # Set by the cycle, not the environment: the probes' share of what is left of
    # the deadline once the key and the state are read and the store and notify
    # calls are set aside.
    probe_window_s: float | None = None

    @property
    def probe_budget_s(self) -> float:
        """Time the probes may use; the rest of the deadline is kept for store and notify."""
        if self.probe_window_s is not None:
            return self.probe_window_s
        reserve = min(3.0, self.deadline_s * 0.2)
        return max(self.deadline_s - reserve, 0.5)

    @property
    def bedrock_map(self) -> dict[str, str]:
        """BEDROCK_MODELS as {monitored model: Bedrock id}."""
        return dict(self.bedrock_models)

    @property
    def aws_timeouts_s(self) -> tuple[float, float]:
        """(connect, read) timeout of every AWS client. DynamoDB, SNS and SSM answer in
        milliseconds; a call that takes seconds is failing, and the cycle's deadline
        matters more than waiting for it (the next cycle is the retry)."""
        read = min(2.0, max(0.3, self.deadline_s / 8))
        return min(read, 0.5), read

    @property
    def aws_call_s(self) -> float:
        """The longest one AWS call can take: one attempt, connect plus read."""
        connect, read = self.aws_timeouts_s
        return connect + read + 0.05

    @property
    def outbox_lease_s(self) -> float:
        """How old a pending notification must be before another cycle takes it over:
        the function's timeout (deadline + 5 s, as the stack sets it), after which its
        owner is certainly gone."""
        return self.deadline_s + 5.0


def _text(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    value = env.get(name)
    if value is None:
        return default
    value = value.strip()
    return value or default


# At most this many canary models: a cycle where every target transitions then
# writes 1 cycle + N canaries + (N + 2) transitions + 1 state = 2N + 4 items, well
# inside DynamoDB's 100-item transaction, with room left for backlog. Bedrock
# (BEDROCK_MODELS, at most one per model) adds no item of its own, only up to N
# `bedrock:<model>` transitions: 3N + 4 = 64 at most.
MAX_MODELS = 20


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = _text(env, name, default) or default
    # A gateway URL may carry a credential (user:token@, ?key=): never echo those.
    shown = "(value not shown)" if "@" in value or "?" in value else repr(value[:200])
    bad = f"{name} must be an http(s) URL with a host, got {shown}"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port outside 0..65535
    except ValueError:
        raise ConfigError(bad) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(bad)
    return value.rstrip("/")


def _number(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    minimum: float,
    integer: bool,
    maximum: float = 1e6,
    below_max: bool = False,
):
    """A bounded number: NaN, infinities and absurd magnitudes are one-line errors.
    Every variable names its own `maximum`; the default only keeps a new one finite."""
    raw = _text(env, name, None)
    if raw is None:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{name} must be {kind}, got {raw[:40]!r}") from None
    too_big = value >= maximum if below_max else value > maximum
    if value != value or value < minimum or too_big:  # NaN, inf or out of range
        top = f"below {maximum:g}" if below_max else f"at most {maximum:g}"
        raise ConfigError(f"{name} must be at least {minimum:g} and {top}, got {raw[:40]!r}")
    return value


def _api_key(env: Mapping[str, str]) -> str | None:
    """ANTHROPIC_API_KEY, whitespace stripped and checked; the error never holds the value."""
    value = _text(env, "ANTHROPIC_API_KEY", None)
    if value is not None:
        problem = key_problem(value)
        if problem:
            raise ConfigError(f"ANTHROPIC_API_KEY {problem}")
    return value


def key_problem(key: str) -> str | None:
    """Why `key` (already stripped) cannot be an API key, or None. Never quotes the key:
    a key is printable ASCII without spaces (U+200B, a newline or a space inside is a
    copy-paste accident, and would leak into an "Illegal header value" error)."""
    if not key:
        return "is empty"
    if not all(33 <= ord(ch) < 127 for ch in key):
        return "must be printable ASCII without spaces (check for a pasted space or newline)"
    return None


def _names(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    names = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if not names:
        raise ConfigError(f"{name} must name at least one entry, got {raw[:80]!r}")
    return names


def _models(env: Mapping[str, str]) -> tuple[str, ...]:
    models = _names(env, "CANARY_MODELS", Config.canary_models)
    if len(models) > MAX_MODELS:
        raise ConfigError(f"CANARY_MODELS names {len(models)} models; at most {MAX_MODELS}")
    return models


def _quiet(env: Mapping[str, str]) -> QuietHours | None:
    raw = _text(env, "QUIET_HOURS", None)
    if raw is None:
        return None
    try:
        return parse_quiet(raw, setting="QUIET_HOURS")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _check_aws(env: Mapping[str, str], config: Config) -> Config:
    for name, arn in (
        ("TOPIC_ARN", config.topic_arn),
        ("WEBHOOK_TOPIC_ARN", config.webhook_topic_arn),
    ):
        if arn and not (arn.startswith("arn:") and ":sns:" in arn):
            raise ConfigError(f"{name} must be an SNS topic ARN, got {arn[:200]!r}")
    uses_aws = (
        config.table_name or config.topic_arn or config.api_key_parameter
    ) or config.webhook_topic_arn
    if uses_aws and not config.aws_region:
        raise ConfigError(
            "AWS_REGION must be set when TABLE_NAME, TOPIC_ARN, WEBHOOK_TOPIC_ARN or "
            "ANTHROPIC_API_KEY_PARAMETER is set"
        )
    if config.bedrock_models and not config.aws_region:
        raise ConfigError("AWS_REGION must be set when BEDROCK_MODELS is set")
    from .values import region_problem

    for _, model_id in config.bedrock_models:
        problem = region_problem(model_id, config.aws_region or "")
        if problem:
            raise ConfigError(f"BEDROCK_MODELS: {problem} (AWS_REGION)")
    return config


def _bedrock_models(env: Mapping[str, str], monitored: tuple[str, ...]):
    from .values import parse_bedrock_models

    try:
        mapping = parse_bedrock_models(env.get("BEDROCK_MODELS"), monitored)
    except ValueError as exc:
        raise ConfigError(str(exc).splitlines()[0][:300]) from None
    return tuple(mapping.items())


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _text(env, name, None)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw[:40]!r}")


def load_config(env: Mapping[str, str] | None = None) -> Config:
    """Build the configuration from `env` (the process environment by default)."""
    env = os.environ if env is None else env
    return _fleet(env, _check_aws(env, _build(env)))


def _fleet(env: Mapping[str, str], config: Config) -> Config:
    regions = _names(env, "FLEET_REGIONS", ())
    home = _text(env, "HOME_REGION", None) or (regions[0] if regions else None)
    quorum = _number(env, "QUORUM", 0, minimum=0, maximum=max(len(regions), 1), integer=True)
    for name, value in (("HOME_REGION", home), ("MONITOR_REGION", config.region)):
        if len(regions) > 1 and value not in regions:
            raise ConfigError(f"{name} {str(value)[:40]!r} is not in FLEET_REGIONS"[:200])
    wait = _number(env, "REGION_WAIT_SECONDS", 3, minimum=0, maximum=60, integer=False)
    table = _text(env, "HOME_TABLE_NAME", None)
    fleet = {"fleet_regions": regions, "home_region": home, "home_table_name": table}
    return replace(config, **fleet, quorum=quorum, region_wait_s=wait)  # type: ignore[arg-type]


def _build(env: Mapping[str, str]) -> Config:
    models = _models(env)
    return Config(
        status_page_url=_url(env, "STATUS_PAGE_URL", Config.status_page_url),
        anthropic_base_url=_url(env, "ANTHROPIC_BASE_URL", Config.anthropic_base_url),
        api_key=_api_key(env),
        api_key_parameter=_text(env, "ANTHROPIC_API_KEY_PARAMETER", None),
        canary_models=models,
        api_components=_names(env, "API_COMPONENTS", Config.api_components),
        deadline_s=_number(
            env, "CHECK_DEADLINE_SECONDS", 25.0, minimum=1, maximum=840, integer=False
        ),
        max_attempts=_number(env, "CANARY_MAX_ATTEMPTS", 3, minimum=1, maximum=10, integer=True),
        retry_base_s=_number(
            env, "CANARY_RETRY_BASE_SECONDS", 0.5, minimum=0, maximum=60, integer=False
        ),
        latency_slow_ms=_number(
            env, "LATENCY_SLOW_MS", 10_000, minimum=1, maximum=900_000, integer=True
        ),
        failure_threshold=_number(env, "FAILURE_THRESHOLD", 2, minimum=1, maximum=60, integer=True),
        recovery_threshold=_number(
            env, "RECOVERY_THRESHOLD", 2, minimum=1, maximum=60, integer=True
        ),
        reminder_minutes=_number(
            env, "REMINDER_MINUTES", 0, minimum=0, maximum=10_080, integer=True
        ),
        error_window_cycles=_number(
            env, "ERROR_WINDOW_CYCLES", 15, minimum=1, maximum=1440, integer=True
        ),
        error_rate_warn=_number(
            env, "ERROR_RATE_WARN", 0.05, minimum=0, maximum=1, below_max=True, integer=False
        ),
        canary_samples=_number(env, "CANARY_SAMPLES", 2, minimum=1, maximum=10, integer=True),
        canary_burst=_number(env, "CANARY_BURST", 10, minimum=1, maximum=10, integer=True),
        answer_check_every=_number(
            env, "ANSWER_CHECK_EVERY", 1, minimum=0, maximum=1440, integer=True
        ),
        retention_days=_number(env, "RETENTION_DAYS", 90, minimum=1, maximum=3650, integer=True),
        table_name=_text(env, "TABLE_NAME", None),
        topic_arn=_text(env, "TOPIC_ARN", None),
        local_db_path=_text(env, "LOCAL_DB_PATH", Config.local_db_path) or Config.local_db_path,
        metrics_namespace=_text(env, "METRICS_NAMESPACE", "ClaudeStatus") or "ClaudeStatus",
        region=_text(env, "MONITOR_REGION", None) or _text(env, "AWS_REGION", "local") or "local",
        aws_region=_text(env, "AWS_REGION", None) or _text(env, "AWS_DEFAULT_REGION", None),
        quiet_hours=_quiet(env),
        webhook_topic_arn=_text(env, "WEBHOOK_TOPIC_ARN", None),
        bedrock_models=_bedrock_models(env, models),
        bedrock_alerts=_flag(env, "BEDROCK_ALERTS", False),
    )
