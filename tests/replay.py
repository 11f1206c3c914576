"""Minute-by-minute replays of outage timelines through the Lambda handler.

A replay is a list of `World`s, one per minute: what the simulator's status page and
Messages API do during that minute. For each minute the harness sets the simulator,
then invokes the real handler with a scheduled event dated that minute (a fixed clock,
no sleeps), as EventBridge would. The store is the local SQLite file, the notifier a
recorder standing in for SNS, and everything else is the code that runs in Lambda.

Used by tests/integration/test_replay.py (short replays, asserted) and by
tests/bench/replay.py (the full targets, written to docs/SIGNAL.md).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from functions.monitor.models import Notification
from functions.simulator.server import Simulator

START = datetime(2026, 4, 9, 12, 0, tzinfo=UTC)
CONTEXT = SimpleNamespace(
    function_name="monitor",
    memory_limit_in_mb=256,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:monitor",
    aws_request_id="replay",
    function_version="$LATEST",
)


@dataclass(frozen=True)
class World:
    """What the simulator serves for one minute."""

    # 0: every request succeeds; 1: every request fails; k: every k-th request fails.
    fail_every: int = 0
    fail_status: int = 529
    api_status: str = "operational"
    # name, component ("api", "claude.ai" or None), created_at, started_at, impact
    incident: dict[str, Any] | None = None
    # The share of answers that are well-formed streams with the wrong text, drawn at
    # random by the simulator from `wrong_seed` (seeded once per replay).
    wrong_rate: float = 0.0
    wrong_seed: int = 0


HEALTHY = World()


@dataclass
class Sent:
    minute: int
    notification: Notification

    @property
    def severity(self) -> str:
        return self.notification.severity

    @property
    def text(self) -> str:
        n = self.notification
        return f"{n.subject}\n{n.sms}\n{n.email}"


@dataclass
class Replay:
    verdicts: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    lead_times: list[tuple[int, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def first_sent(self, severity: str | None = None, after: int = 0) -> Sent | None:
        for sent in self.sent:
            if sent.minute >= after and (severity is None or sent.severity == severity):
                return sent
        return None


class Recorder:
    """Stands in for SNS: keeps what would have been published, by minute."""

    def __init__(self) -> None:
        self.minute = 0
        self.sent: list[Sent] = []

    def publish(self, notification: Notification) -> None:
        self.sent.append(Sent(self.minute, notification))


def at(minute: int, start: datetime = START) -> str:
    return (start + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


def incident(
    name: str,
    posted: int,
    began: int | None = None,
    component: str | None = "api",
    impact: str = "major",
) -> dict[str, Any]:
    """An incident posted at minute `posted`, impact dated from minute `began`."""
    return {
        "name": name,
        "component": component,
        "impact": impact,
        "created_at": at(posted),
        "started_at": at(began) if began is not None else None,
    }


def event(moment: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"replay-{moment.isoformat()}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/monitor"],
        "detail": {},
    }


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith(("ANTHROPIC_", "AWS_", "TABLE_", "TOPIC_", "CANARY_", "STATUS_")):
            del os.environ[key]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def replay_env(sim: Simulator, db_path: str, **extra: str) -> dict[str, str]:
    return {
        "STATUS_PAGE_URL": sim.url,
        "ANTHROPIC_BASE_URL": sim.url,
        "ANTHROPIC_API_KEY": "replay-key",
        "CANARY_RETRY_BASE_SECONDS": "0.001",
        "CHECK_DEADLINE_SECONDS": "10",
        "LOCAL_DB_PATH": db_path,
        "POWERTOOLS_METRICS_NAMESPACE": "Replay",
        # The replayed minutes are months old: keep their history past the default 90 days.
        "RETENTION_DAYS": "3650",
        **extra,
    }


def run(sim: Simulator, worlds: list[World], env: dict[str, str]) -> Replay:
    """Play `worlds`, one scheduled invocation of the handler per minute."""
    from functions.monitor import handler

    replay = Replay()
    recorder = Recorder()
    sim.set("healthy")
    level = handler.logger.log_level
    # One "cycle done" line a minute would bury the replay's own output.
    handler.logger.setLevel("WARNING")
    with environment(env):
        handler._cycle = handler._config = None
        try:
            for minute, world in enumerate(worlds):
                sim.update(
                    fail_every=world.fail_every or None,
                    fail_status=world.fail_status,
                    api_status=world.api_status,
                    incident=world.incident,
                    wrong_rate=world.wrong_rate or None,
                    wrong_seed=world.wrong_seed,
                )
                recorder.minute = minute
                if handler._cycle is not None:
                    handler._cycle.notifier = recorder
                # The handler prints its EMF metrics and logs to stdout; keep them out.
                with contextlib.redirect_stdout(io.StringIO()):
                    summary = _invoke(handler, recorder, START + timedelta(minutes=minute))
                replay.verdicts.append(summary["verdict"])
                replay.errors += summary.get("errors", [])
                if summary.get("lead_time_min") is not None:
                    replay.lead_times.append((minute, summary["lead_time_min"]))
        finally:
            handler._cycle = handler._config = None
            handler.clock = handler._wall_clock
            handler.logger.setLevel(level)
    replay.sent = recorder.sent
    return replay


def _invoke(handler: Any, recorder: Recorder, moment: datetime) -> dict[str, Any]:
    if handler._cycle is None:
        # The first invocation builds the container's cycle; swap SNS's stand-in in
        # before it runs by building it the way the handler does.
        handler._config, handler._cycle = handler._build()
        handler._cycle.notifier = recorder
    # The scheduled time is checked against "now": here, the replayed minute.
    handler.clock = lambda: moment
    return handler.handler(event(moment), CONTEXT)
