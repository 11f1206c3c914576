"""One probe: the status page and every canary, concurrently, within the deadline."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from .canary import run_canary
from .config import Config
from .models import CanaryResult, CheckResult, StatusPage
from .statuspage import fetch_status
from .verdict import decide


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cycle_id(moment: datetime) -> str:
    """The scheduled time as given; a moment with sub-seconds keeps its milliseconds."""
    if not moment.microsecond:
        return utc_iso(moment)
    ms = moment.microsecond // 1000
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms:03d}Z"


def _client(config: Config) -> Any:
    import httpx

    # A client lives for one cycle: it is bound to one event loop, and idle
    # connections would not survive the minute between scheduled cycles anyway.
    budget = config.probe_budget_s
    return httpx.AsyncClient(
        timeout=httpx.Timeout(budget, connect=min(budget, 10.0)),
        limits=httpx.Limits(max_connections=64),
        follow_redirects=False,
        trust_env=True,
    )


async def probe(
    config: Config,
    api_key: str | None,
    checked_at: datetime | None = None,
    client: Any = None,
) -> CheckResult:
    """Read the status page and run all canaries; never raises for upstream trouble."""
    checked_at = checked_at or datetime.now(UTC)
    started = time.monotonic()
    deadline = started + config.probe_budget_s
    own_client = client is None
    client = client or _client(config)
    try:
        page_task = asyncio.ensure_future(fetch_status(client, config, config.probe_budget_s))
        canary_tasks = [
            asyncio.ensure_future(run_canary(client, config, model, api_key, deadline))
            for model in config.canary_models
        ]
        # A hard stop a little after the probes' own deadline, for what ignores it.
        await asyncio.wait([page_task, *canary_tasks], timeout=config.probe_budget_s + 0.5)
        page = _settle(
            page_task,
            lambda: StatusPage(
                reachable=False,
                error=f"status page did not answer within {config.probe_budget_s:.1f}s",
            ),
        )
        canaries = [
            _settle(
                task,
                lambda m=model: CanaryResult(
                    model=m, outcome="timeout", attempts=1, detail="no answer by the deadline"
                ),
            )
            for task, model in zip(canary_tasks, config.canary_models, strict=True)
        ]
    finally:
        if own_client:
            await client.aclose()
    return CheckResult(
        checked_at=utc_iso(checked_at),
        cycle_id=cycle_id(checked_at),
        verdict=decide(page, canaries),
        status_page=page,
        canaries=canaries,
        region=config.region,
    )


def _settle(task: asyncio.Future, on_timeout: Any) -> Any:
    if task.done() and not task.cancelled():
        return task.result()
    task.cancel()
    return on_timeout()
