"""Histories for the report's tests and benchmark, written through the real stores.

Each cycle is a CheckResult as the check cycle builds it; the SQLite store writes a
whole history in one commit (the older cycles as its backlog), so a month of cycles
takes a second, and the records are exactly what `check` stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.monitor.decide.state import MonitorState
from functions.monitor.keep.dynamo import DynamoStore
from functions.monitor.keep.sqlite import SqliteStore
from functions.monitor.models import (
    CanaryResult,
    CheckResult,
    Incident,
    StatusPage,
    Transition,
    Verdict,
)

MODEL = "claude-haiku-5-5"


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cycle(
    at: datetime,
    verdict: str = "operational",
    api: str | None = "operational",
    outcome: str = "ok",
    models: Sequence[str] = (MODEL,),
    ttft_ms: int = 300,
    latency_ms: int = 900,
    region: str = "local",
    transitions: Iterable[tuple[str, str, str]] = (),
    lead: dict[str, Any] | None = None,
    incidents: Sequence[str] = (),
    muted_until: datetime | None = None,
    mute_reason: str | None = None,
    bedrock: Sequence[tuple[str, str]] = (),
) -> CheckResult:
    """One cycle's result; `transitions` are (target, from, to)."""
    fine = outcome in ("ok", "slow")
    page = StatusPage(
        reachable=api is not None,
        api_status=api,
        incidents=[
            Incident(f"inc-{i}", name, "investigating", "major", None, [], None)
            for i, name in enumerate(incidents)
        ],
    )
    return CheckResult(
        checked_at=stamp(at),
        verdict=Verdict(verdict, f"{verdict} (test)"),
        status_page=page,
        canaries=[
            CanaryResult(
                model=m,
                outcome=outcome,
                http_status=200 if fine else 529,
                ttft_ms=ttft_ms if fine else None,
                latency_ms=latency_ms if fine else None,
                requests=1,
                failed_requests=0 if fine else 1,
            )
            for m in models
        ],
        region=region,
        transitions=[Transition(t, f, to) for t, f, to in transitions],
        lead_time_min=lead["minutes"] if lead else None,
        lead=lead,
        muted_until=stamp(muted_until) if muted_until else None,
        mute_reason=mute_reason,
        bedrock=[CanaryResult(model=m, outcome=o) for m, o in bedrock],
    )


def minutes(start: datetime, count: int, step_s: float = 60.0) -> list[datetime]:
    return [start + timedelta(seconds=i * step_s) for i in range(count)]


def write_sqlite(path: str, results: list[CheckResult]) -> SqliteStore:
    """All of `results` in one commit of the real store (the newest as the cycle)."""
    store = SqliteStore(path)
    if results:
        store.commit(results[-1], MonitorState(), 0, {}, results[:-1])
    return store


def outage(start: datetime, models: Sequence[str] = (MODEL,)) -> list[CheckResult]:
    """20 healthy minutes, then an outage our canary sees 12 minutes before the page
    posts an incident (whose impact it dates 2 minutes after our first failure),
    confirmed for 10 minutes, then 8 healthy minutes: one episode."""
    out = []
    first = start + timedelta(minutes=20)
    posted = first + timedelta(minutes=12)
    lead = {
        "minutes": 12.0,
        "first_failure": stamp(first),
        "incident": "Elevated errors on the API",
        "created_at": stamp(posted),
        "started_at": stamp(first + timedelta(minutes=2)),
        "models": list(models),
    }
    for i, at in enumerate(minutes(start, 50)):
        moves: list[tuple[str, str, str]] = []
        if i < 20 or i >= 42:
            kw: dict[str, Any] = {}
            if i == 43:
                moves = [
                    ("overall", "outage", "operational"),
                    ("canary:" + models[0], "overloaded", "ok"),
                ]
        elif i < 33:
            kw = {"verdict": "unconfirmed_outage", "outcome": "overloaded"}
            if i == 21:
                moves = [
                    ("overall", "operational", "unconfirmed_outage"),
                    ("canary:" + models[0], "ok", "overloaded"),
                ]
        else:
            kw = {
                "verdict": "outage",
                "api": "partial_outage",
                "outcome": "overloaded",
                "incidents": ["Elevated errors on the API"],
            }
            if i == 33:
                kw["lead"] = lead
            if i == 34:
                moves = [("overall", "unconfirmed_outage", "outage")]
        out.append(cycle(at, models=models, transitions=moves, **kw))
    return out


def write_dynamo(store: DynamoStore, results: list[CheckResult]) -> None:
    """The items the DynamoDB store writes for each result, put 25 at a time (a
    BatchWriteItem's limit): seeding a long history, not the cycle's own commit."""
    puts = [p["Put"]["Item"] for r in results for p in store._result_puts(r, conditional=False)]
    for i in range(0, len(puts), 25):
        batch = [{"PutRequest": {"Item": item}} for item in puts[i : i + 25]]
        pending: dict[str, Any] = {store.table: batch}
        while pending:
            answer = store.client.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}


def month_of_minutes(end: datetime, count: int = 43_200) -> list[CheckResult]:
    """`count` one-minute cycles up to `end`, one model, with an outage every day."""
    start = end - timedelta(minutes=count)
    return [
        cycle(t, verdict="outage", outcome="overloaded") if i % 1440 < 5 else cycle(t)
        for i, t in enumerate(minutes(start, count))
    ]
