"""How one CDK context value is read and judged: lists, booleans, bounded numbers,
the patterns names must match, and EventBridge schedules.

Each failure is a SettingsError of one line that names the context key; settings.py
composes these into the deployment's Settings.
"""

from __future__ import annotations

import re
from typing import Any

REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
MODEL = re.compile(r"^[a-z0-9][a-z0-9.:@\-]*$")
EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[A-Za-z]{2,}$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PARAMETER = re.compile(r"^(/[A-Za-z0-9_.\-]+)+$")
KMS_ARN = re.compile(r"^arn:aws[a-z\-]*:kms:[a-z0-9\-]+:\d{12}:(key|alias)/[A-Za-z0-9/_\-]+$")
NAMESPACE_PATTERN = re.compile(r"^[A-Za-z0-9.\-_/#:]{1,255}$")
# EventBridge: rate(1 minute) takes the singular, any other value the plural.
RATE_PATTERN = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON_PATTERN = re.compile(r"^cron\(\S+( \S+){5}\)$")


class SettingsError(ValueError):
    """A context value is invalid; the message is one line naming it."""


def as_list(value: Any) -> tuple[str, ...]:
    """The entries, each once, in order (as the function reads CANARY_MODELS): a repeated
    region or model would otherwise name two constructs alike and fail with a traceback."""
    parts = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return tuple(dict.fromkeys(str(v).strip() for v in parts if str(v).strip()))


def as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"context '{name}' must be true or false, got {value!r}")


def as_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SettingsError(f"context '{name}' must be a whole number, got {value!r}") from None
    if number < low or (high is not None and number > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"context '{name}' must be {span}, got {value!r}")
    return number


def as_float(name: str, value: Any, low: float, high: float) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise SettingsError(f"context '{name}' must be a number, got {value!r}") from None
    if not low < number < high:
        raise SettingsError(f"context '{name}' must be above {low:g} and below {high:g}")
    return number


def headroom_share(value: Any) -> float:
    """The function publishes RateLimitHeadroom only below HEADROOM_REPORT_BELOW, so an
    alarm threshold above it would never see the values between (and so never alarm
    where it says it would)."""
    from functions.monitor.tell.metrics import HEADROOM_REPORT_BELOW

    share = as_float("headroomAlarmBelow", value, 0.0, 1.0)
    if share > HEADROOM_REPORT_BELOW:
        raise SettingsError(
            f"context 'headroomAlarmBelow' must be at most {HEADROOM_REPORT_BELOW:g}: the "
            f"function reports headroom only below that, got {value!r}"
        )
    return share


def each_matches(name: str, values: tuple[str, ...], pattern: re.Pattern[str], what: str) -> None:
    for v in values:
        if not pattern.match(v):
            raise SettingsError(f"context '{name}': {v!r} is not {what}")


def check_schedule(expression: str) -> str:
    rate = RATE_PATTERN.match(expression)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        if count < 1 or (count == 1) == unit.endswith("s"):
            raise SettingsError(
                f"context 'schedule' {expression!r}: use rate(1 minute) or rate(N minutes)"
            )
        return expression
    if CRON_PATTERN.match(expression):
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
    rate = RATE_PATTERN.match(expression)
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
