"""One probe: the status page and every canary, concurrently, within the deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Mapping
from datetime import UTC, datetime
from typing import Any

from .config import Config
from .decide.failover import annotate
from .decide.verdict import decide
from .models import OK, SKIPPED, SLOW, BedrockResult, CanaryResult, CheckResult, StatusPage
from .observe import answer
from .observe.bedrock import probe_bedrock
from .observe.canary import Tally, run_canary
from .observe.statuspage import fetch_status


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
    samples: Mapping[str, int] | None = None,
    bedrock_client: Any = None,
    checks: Mapping[str, str] | None = None,
) -> CheckResult:
    """Read the status page and run all canaries; never raises for upstream trouble.

    `samples[model]` independent requests (default 1, at most `canary_burst`) are
    sent for that model, concurrently, each with its own retries, all within the
    same deadline (the cycle decides the counts; adaptive sampling).

    `checks[model]` (answer.checks_for; default: as on the first cycle) says whether
    this cycle's samples for that model ask the answer check's question. All of them
    do, not one: a steady share of wrong answers must reach the error-rate window
    as that share, not diluted by the burst's other samples.

    With BEDROCK_MODELS and a `bedrock_client`, each mapped model is also probed on
    Amazon Bedrock, concurrently and within the same window; the verdict is decided
    from the API canaries alone, the failover step is added to it (bedrock.annotate).
    """
    checked_at = checked_at or datetime.now(UTC)
    started = time.monotonic()
    deadline = started + config.probe_budget_s
    own_client = client is None
    client = client or _client(config)
    plan = {model: _sample_count(config, samples, model) for model in config.canary_models}
    tallies = {model: Tally() for model in config.canary_models}
    checks = answer.default_checks(config) if checks is None else checks
    try:
        page_task = asyncio.ensure_future(
            _guarded_page(fetch_status(client, config, config.probe_budget_s))
        )
        tasks = {
            model: [
                asyncio.ensure_future(
                    _guarded_canary(
                        run_canary(
                            client,
                            config,
                            model,
                            api_key,
                            deadline,
                            tally=tallies[model],
                            check=answer.wanted(checks, model),
                        ),
                        model,
                    )
                )
                for _ in range(plan[model])
            ]
            for model in config.canary_models
        }
        bedrock_task = _bedrock_task(config, bedrock_client)
        everything: list[asyncio.Future[Any]] = [
            page_task,
            *(t for ts in tasks.values() for t in ts),
        ]
        if bedrock_task is not None:
            everything.append(bedrock_task)
        # A hard stop a little after the probes' own deadline, for what ignores it.
        await asyncio.wait(everything, timeout=config.probe_budget_s + 0.5)
        page = _settle(
            page_task,
            lambda: StatusPage(
                reachable=False,
                error=f"status page did not answer within {config.probe_budget_s:.1f}s",
            ),
        )
        settled = {
            model: [_settle(t, lambda m=model: _hard_stop(m)) for t in ts]
            for model, ts in tasks.items()
        }
        canaries = [
            _merge_answers(_merge(model, results, tallies[model]), results, checks.get(model, ""))
            for model, results in settled.items()
        ]
        bedrock_results = _settle_bedrock(config, bedrock_task)
    finally:
        if own_client:
            await client.aclose()
    result = CheckResult(
        checked_at=utc_iso(checked_at),
        cycle_id=cycle_id(checked_at),
        verdict=decide(page, canaries),
        status_page=page,
        canaries=canaries,
        region=config.region,
        bedrock=bedrock_results,
    )
    annotate(result)
    return result


def _bedrock_task(config: Config, client: Any) -> asyncio.Future | None:
    """The Bedrock probe as one task, bounded by the probe window (its threads are
    never waited for past it)."""
    if not config.bedrock_models or client is None:
        return None
    return asyncio.ensure_future(
        probe_bedrock(
            client, config.bedrock_map, config.probe_budget_s, slow_ms=config.latency_slow_ms
        )
    )


def _settle_bedrock(config: Config, task: asyncio.Future | None) -> list[CanaryResult]:
    """Every mapped model gets a result, whatever happened to the task."""
    if task is None:
        return []
    if task.done() and not task.cancelled():
        error = task.exception()
        if error is None:
            return list(task.result())
        outcome, detail = "network_error", f"Bedrock probe failed: {type(error).__name__}"
    else:
        task.cancel()
        outcome, detail = "timeout", "no answer from Bedrock by the deadline"
    return [
        BedrockResult(
            model=model,
            model_id=model_id,
            outcome=outcome,
            attempts=1,
            requests=1,
            failed_requests=int(outcome == "timeout"),
            detail=detail,
        )
        for model, model_id in config.bedrock_models
    ]


def _sample_count(config: Config, samples: Mapping[str, int] | None, model: str) -> int:
    wanted = (samples or {}).get(model, 1)
    try:
        return max(1, min(int(wanted), config.canary_burst))
    except (TypeError, ValueError):
        return 1


def _hard_stop(model: str) -> CanaryResult:
    return CanaryResult(
        model=model, outcome="timeout", attempts=1, detail="no answer by the deadline"
    )


def _merge(model: str, results: list[CanaryResult], tally: Tally) -> CanaryResult:
    """One result per model: the first success if any sample succeeded, else the first
    sample's failure. `attempts` and `requests` count every request of every sample;
    `failed_requests` those that failed with a platform error (a request still in
    flight at the hard stop counts as a timeout)."""
    chosen = next((r for r in results if r.outcome in (OK, SLOW)), results[0])
    if chosen.outcome == SKIPPED:
        chosen.samples = chosen.requests = chosen.failed_requests = 0
        return chosen
    chosen.samples = len(results)
    chosen.requests = max(tally.requests, len(results))
    chosen.failed_requests = min(tally.failed + tally.in_flight, chosen.requests)
    chosen.attempts = chosen.requests
    return chosen


def _merge_answers(chosen: CanaryResult, judged: list[CanaryResult], plan: str) -> CanaryResult:
    """The model's answer check over its samples, on the chosen result: "wrong" with
    the first wrong answer when any was, else the first sample's judgement; the plan
    ("skipped: ...") when the model is not checked."""
    if plan.startswith("skipped") and chosen.outcome != SKIPPED:
        chosen.answer_check = plan
        return chosen
    wrong = [r for r in judged if r.answer_check == answer.WRONG]
    first = wrong[0] if wrong else next((r for r in judged if r.answer_check), None)
    if first is not None:
        chosen.answer_check, chosen.answer_got = first.answer_check, first.answer_got
        chosen.answer_expected = first.answer_expected
    chosen.answers_checked = sum(r.answers_checked for r in judged)
    chosen.answers_wrong = sum(r.answers_wrong for r in judged)
    return chosen


async def _guarded_canary(work: Awaitable[CanaryResult], model: str) -> CanaryResult:
    """Any exception in one canary becomes its outcome; the rest of the probe goes on."""
    try:
        return await work
    except Exception as exc:  # noqa: BLE001 - deliberately total
        return CanaryResult(
            model=model,
            outcome="network_error",
            attempts=1,
            error_type=type(exc).__name__,
            detail=f"canary failed: {type(exc).__name__}",
        )


async def _guarded_page(work: Awaitable[StatusPage]) -> StatusPage:
    try:
        return await work
    except Exception as exc:  # noqa: BLE001 - deliberately total
        return StatusPage(reachable=False, error=f"status page read failed: {type(exc).__name__}")


def _settle(task: asyncio.Future, on_timeout: Any) -> Any:
    if task.done() and not task.cancelled():
        return task.result()
    task.cancel()
    return on_timeout()
