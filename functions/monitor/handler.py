"""The Lambda entry: build the cycle once per container, run it per scheduled event.

Only the logger is imported at cold start; httpx, boto3 and the cycle's modules are
imported on the first invocation, where they are used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

logger = Logger(service="claude-status")
_cycle: Any = None
_config: Any = None


# A scheduled event's time is trusted only near now: one dated a year ahead would
# become the state's last cycle and silence reminders until then.
MAX_AHEAD = timedelta(minutes=10)
MAX_BEHIND = timedelta(days=1)


def _wall_clock() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# What "now" is for the event-time check. Replays of past outages set a simulated clock
# here, one scheduled minute at a time (tests/replay.py).
clock: Callable[[], datetime] = _wall_clock


def scheduled_time(event: Any, now: datetime | None = None) -> datetime:
    """The EventBridge event's scheduled time (its dedupe key); now for other events,
    and for an event dated more than 10 minutes ahead or a day behind (logged)."""
    now = now or clock()
    raw = event.get("time") if isinstance(event, dict) else None
    if not isinstance(raw, str):
        return now
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        logger.warning("event time unreadable, using now", extra={"time": raw[:40]})
        return now
    if not now - MAX_BEHIND <= moment <= now + MAX_AHEAD:
        logger.warning("event time far from now, using now", extra={"time": raw[:40]})
        return now
    return moment


def _build() -> tuple[Any, Any]:
    import logging

    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    from .config import load_config
    from .tell.metrics import EmfMetrics
    from .wiring import build_cycle

    config = load_config()
    cycle = build_cycle(config)
    fleet = len(config.fleet_regions) > 1
    cycle.metrics = EmfMetrics(config.metrics_namespace, config.region if fleet else None)
    logging.getLogger("claude_status").setLevel(logging.INFO)
    copy_config_to_registered_loggers(source_logger=logger, include={"claude_status"})
    return config, cycle


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _cycle, _config
    started = time.monotonic()  # the clock includes a cold start's client building
    if _cycle is None:
        _config, _cycle = _build()
    from .cycle import Budget

    # The key is read inside the cycle, on its clock (CHECK_DEADLINE_SECONDS).
    budget = Budget(started + _config.deadline_s)
    result = _cycle.run(None, scheduled_time(event), read_key=True, budget=budget)
    key_error = _cycle.key_error
    summary = {
        "checked_at": result.checked_at,
        "verdict": result.verdict.verdict,
        "severity": result.verdict.severity,
        "transitions": [t.to_dict() for t in result.transitions],
        "notified": len(result.notifications),
        "lead_time_min": result.lead_time_min,
        "errors": result.errors,
    }
    if key_error:
        # The cycle ran on the status page alone and was stored, and the ApiKeyUnavailable
        # metric went out: its alarm is the one message for this. The invocation itself
        # succeeds, so the function-errors and dead-letter alarms do not say it twice.
        summary["key_unavailable"] = key_error
        logger.error("api key unavailable", extra={"error": key_error})
    logger.info("cycle done", extra=summary)
    return summary
