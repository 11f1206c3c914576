"""The Lambda entry: build the cycle once per container, run it per scheduled event.

Only the logger is imported at cold start; httpx, boto3 and the cycle's modules are
imported on the first invocation, where they are used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from .apikey import KeyUnavailable, resolve_api_key

logger = Logger(service="claude-status")
_cycle: Any = None
_config: Any = None


def scheduled_time(event: Any) -> datetime:
    """The EventBridge event's scheduled time (its dedupe key); now for other events."""
    raw = event.get("time") if isinstance(event, dict) else None
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            logger.warning("event time unreadable, using now", extra={"time": raw[:40]})
    return datetime.now(UTC).replace(microsecond=0)


def _build() -> tuple[Any, Any]:
    import logging

    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    from .config import load_config
    from .cycle import build_cycle
    from .metrics import EmfMetrics

    config = load_config()
    cycle = build_cycle(config)
    cycle.metrics = EmfMetrics(config.metrics_namespace)
    logging.getLogger("claude_status").setLevel(logging.INFO)
    copy_config_to_registered_loggers(source_logger=logger, include={"claude_status"})
    return config, cycle


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _cycle, _config
    if _cycle is None:
        _config, _cycle = _build()
    key_error = None
    try:
        api_key = resolve_api_key(_config)
    except KeyUnavailable as exc:
        key_error, api_key = str(exc), None
    result = _cycle.run(api_key, scheduled_time(event))
    summary = {
        "checked_at": result.checked_at,
        "verdict": result.verdict.verdict,
        "severity": result.verdict.severity,
        "transitions": [t.to_dict() for t in result.transitions],
        "notified": len(result.notifications),
        "lead_time_min": result.lead_time_min,
        "errors": result.errors,
    }
    logger.info("cycle done", extra=summary)
    if key_error:
        # The cycle ran on the status page alone and was stored; now fail loudly so the
        # function-errors alarm and the failure destination see a broken configuration.
        logger.error("api key unavailable", extra={"error": key_error})
        raise KeyUnavailable(key_error)
    return summary
