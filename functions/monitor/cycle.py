"""The check cycle: probe, plan, commit, notify, measure. Same code locally and in Lambda.

Exactly-once notifications rest on three rules:
1. A duplicate delivery of the same scheduled event finds its cycle record already
   written (conditional put) and sends nothing.
2. Racing cycles both read version N; only one commit of version N+1 succeeds, the
   other re-plans on the new state and finds nothing new to announce.
3. The notification is committed with its transitions, in the same write, as an
   outbox entry; it is published after the commit and then cleared. If the publish
   fails or the process dies first, the entry stays, and the first cycle after its
   lease (the function's timeout) sends it. Nothing is lost. The one window that
   could send twice is a crash between a successful publish and the clear, one
   request later; we accept it (at-least-once) because the alternative loses
   alerts. The notification id travels as an SNS message attribute, so a
   subscriber can still drop that rare duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .alerting import Plan, plan_cycle
from .config import Config
from .metrics import MetricsSink, NullMetrics
from .models import CheckResult
from .notify import ConsoleNotifier, Notifier, NotifyError
from .probe import probe
from .store import DuplicateCycle, StateConflict, Store, StoreError

log = logging.getLogger("claude_status.cycle")
MAX_REPLANS = 3
MAX_BACKLOG = 30


@dataclass
class Cycle:
    config: Config
    store: Store
    notifier: Notifier
    metrics: MetricsSink = field(default_factory=NullMetrics)
    # Results a failed store could not take; written with the next successful commit.
    backlog: list[CheckResult] = field(default_factory=list)
    # Notifications this container sent whose outbox clear failed: never sent again.
    sent: set[str] = field(default_factory=set)

    def run(self, api_key: str | None, scheduled_at: datetime | None = None) -> CheckResult:
        result = asyncio.run(probe(self.config, api_key, scheduled_at))
        self.record(result)
        try:
            self.metrics.emit(result)
        except Exception as exc:  # noqa: BLE001 - metrics must never cost the result
            log.error("metrics failed: %s", type(exc).__name__, extra={"error": str(exc)[:200]})
        return result

    def record(self, result: CheckResult, now_wall: float | None = None) -> None:
        """Store the result, advance alert state, send at most one notification."""
        plan = self._commit(result, now_wall or time.time())
        if plan is None or plan.notification is None:
            return
        try:
            self.notifier.publish(plan.notification)
        except NotifyError as exc:
            self._fault(result, f"{exc}; kept in the outbox, a later cycle sends it")
            return
        result.notifications.append(plan.notification)
        try:
            self.store.clear_outbox(plan.notification.id)
        except StoreError as exc:
            self.sent.add(plan.notification.id)
            self._fault(result, f"{exc}; the sent notification may be sent once more")

    def _commit(self, result: CheckResult, now_wall: float) -> Plan | None:
        for _ in range(MAX_REPLANS):
            try:
                stored = self.store.load()
            except StoreError as exc:
                self._defer(result, exc)
                return None
            # Drop entries this container already sent; the commit then clears them.
            dropped = self.sent & set(stored.outbox)
            for entry_id in dropped:
                del stored.outbox[entry_id]
            plan = plan_cycle(stored, result, self.config, now_wall)
            result.transitions, result.lead_time_min = plan.transitions, plan.lead_time_min
            try:
                self.store.commit(result, plan.state, stored.version, plan.outbox, self.backlog)
            except DuplicateCycle:
                result.transitions, result.lead_time_min = [], None
                log.info("duplicate cycle", extra={"cycle": result.cycle_id})
                result.errors.append(
                    f"cycle {result.cycle_id} was already recorded: duplicate delivery, "
                    "nothing sent"
                )
                return None
            except StateConflict:
                log.info("state changed underneath, re-planning", extra={"cycle": result.cycle_id})
                continue
            except StoreError as exc:
                self._defer(result, exc)
                return None
            self.backlog.clear()
            self.sent -= dropped
            return plan
        result.transitions, result.lead_time_min = [], None
        self._fault(result, "alert state kept changing underneath; this cycle is not recorded")
        return None

    def _defer(self, result: CheckResult, exc: StoreError) -> None:
        result.transitions, result.lead_time_min = [], None
        self.backlog = (self.backlog + [result])[-MAX_BACKLOG:]
        self._fault(
            result,
            f"{exc}; result kept in memory and alert state unchanged, a later cycle catches up",
        )

    def _fault(self, result: CheckResult, message: str) -> None:
        log.error("cycle fault: %s", message, extra={"error": message, "cycle": result.cycle_id})
        result.errors.append(message)


def aws_client(service: str, region: str | None) -> Any:
    """A boto3 client with short timeouts, so AWS trouble cannot eat the deadline."""
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        service,
        region_name=region,
        # DynamoDB and SNS answer in milliseconds; a call that takes seconds is failing,
        # and the cycle's deadline matters more than one more try (the next cycle retries).
        config=BotoConfig(
            connect_timeout=1,
            read_timeout=2,
            retries={"max_attempts": 2, "mode": "standard"},
        ),
    )


def build_store(config: Config) -> Store:
    """DynamoDB when TABLE_NAME is set, the local SQLite file otherwise."""
    if config.table_name:
        from .dynamo import DynamoStore

        return DynamoStore(
            config.table_name, aws_client("dynamodb", config.aws_region), config.retention_days
        )
    from .store import SqliteStore

    return SqliteStore(config.local_db_path, config.retention_days)


def build_cycle(config: Config) -> Cycle:
    """The adapters the configuration asks for: AWS when named, local otherwise."""
    notifier: Notifier
    if config.topic_arn:
        from .notify import SnsNotifier

        notifier = SnsNotifier(config.topic_arn, aws_client("sns", config.aws_region))
    else:
        notifier = ConsoleNotifier()
    return Cycle(config=config, store=build_store(config), notifier=notifier)


def run_local_check(config: Config) -> CheckResult:
    from .apikey import resolve_api_key

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return build_cycle(config).run(resolve_api_key(config), datetime.now(UTC))
