"""The check cycle: probe, plan, commit, notify, measure. Same code locally and in Lambda.

Exactly-once notifications rest on three rules:
1. A duplicate delivery of the same scheduled event finds its cycle record already
   written (conditional put) and sends nothing.
2. Racing cycles both read version N; only one commit of version N+1 succeeds, the
   other re-plans on the new state and finds nothing new to announce.
3. The notification is committed with its transitions, in the same write, as an
   outbox entry (id, subject, texts, severity fixed there); it is published after
   the commit and then cleared. If the publish fails or the process dies first,
   the entry stays, and the first cycle after its lease (the function's timeout)
   sends exactly what was committed, under the same id. Nothing is lost. The one
   window that could send twice is a crash between a successful publish and the
   clear, one request later; we accept it (at-least-once) because the alternative
   loses alerts. The notification id travels as an SNS message attribute, so a
   subscriber can drop that rare duplicate.
4. With WEBHOOK_TOPIC_ARN a notification has two destinations, the alert topic and
   the webhook topic, one attempt each. The entry is cleared when both went out;
   when only one did, the entry is marked with it (`OutboxEntry.done`), and the
   re-send goes only to the other. The composed chat message and webhook body are
   committed with the entry, so the re-send is what was committed.

Time: the whole cycle, the SSM key read included, runs on one clock of
CHECK_DEADLINE_SECONDS. AWS clients make one attempt with short timeouts (a
publish retried after a timed-out success would be sent twice); a call that
cannot fit in what is left is skipped, and the outbox, the backlog and the next
cycle catch up. A commit whose answer was lost is proven landed, or not, by the
writer token it stored with the state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .config import Config
from .decide.score import samples_for
from .decide.state import ALERT, WEBHOOK, MonitorState, OutboxEntry, Stored
from .decide.vote import in_fleet, is_home
from .keep.regions import RegionStore
from .keep.store import CommitUncertain, DuplicateCycle, StateConflict, Store, StoreError
from .models import CheckResult, Incident, Notification
from .observe.answer import checks_for, minute_count
from .plan import Plan, plan_cycle
from .probe import probe
from .tell.metrics import MetricsSink, NullMetrics
from .tell.notifiers import Notifier, NotifyError

log = logging.getLogger("claude_status.cycle")
MAX_REPLANS = 3
# Results kept in memory while the store is down: a day of one-minute cycles, written
# after later commits (`_write_backlog`); the oldest beyond this are dropped and
# logged by cycle id.
MAX_BACKLOG = 1440
# Backlog writes after a commit (each one transaction of whole results, see
# Store.write_backlog), while the deadline allows.
BACKLOG_WRITES = 8
# A call to a local adapter (SQLite, the console) still needs a moment.
LOCAL_CALL_S = 0.1


@dataclass
class Budget:
    """The cycle's clock: started before the key read, it bounds every call after."""

    deadline: float

    @classmethod
    def start(cls, seconds: float) -> Budget:
        return cls(time.monotonic() + seconds)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def allows(self, seconds: float) -> bool:
        return self.left() >= seconds


def _compact(result: CheckResult) -> CheckResult:
    """What the store needs of a late result (its record), not the whole page: a day
    of backlog must fit a 256 MB Lambda even while 150 long incidents are open."""
    page = result.status_page
    names = [
        Incident(i.id[:40], i.name[:200], "", "", None, [], None, confirms=i.confirms[:20])
        for i in page.incidents[:50]
    ]
    light = replace(page, components=[], incidents=names, maintenances=[])
    return replace(result, status_page=light, notifications=[], errors=[])


@dataclass
class Cycle:
    config: Config
    store: Store
    notifier: Notifier
    metrics: MetricsSink = field(default_factory=NullMetrics)
    # Results a failed store could not take; written with the next successful commits.
    backlog: list[CheckResult] = field(default_factory=list)
    # Notifications this container sent whose outbox clear failed: never sent again.
    sent: set[str] = field(default_factory=set)
    # The webhook topic's publisher (WEBHOOK_TOPIC_ARN), None without webhooks.
    webhooks: Notifier | None = None
    # Entry id -> destinations this container reached whose mark in the store failed:
    # a re-send skips them.
    reached: dict[str, set[str]] = field(default_factory=dict)
    # The longest one store / notifier call can take (set by `build_cycle`).
    store_call_s: float = LOCAL_CALL_S
    notify_call_s: float = LOCAL_CALL_S
    # Why the last cycle had no key (one line, no secret), for the handler to raise.
    key_error: str | None = None
    # Requests per model chosen for the last cycle (score.samples_for).
    samples: dict[str, int] = field(default_factory=dict)
    # The bedrock-runtime client (BEDROCK_MODELS), built once per container.
    bedrock_client: Any = None
    # A fleet's regional items (FLEET_REGIONS): where this region shares its view, or
    # where the home reads the others'. None outside a fleet.
    regions: RegionStore | None = None

    def run(
        self,
        api_key: str | None = None,
        scheduled_at: datetime | None = None,
        *,
        read_key: bool = False,
        budget: Budget | None = None,
    ) -> CheckResult:
        """One cycle, all of it within CHECK_DEADLINE_SECONDS: key (when `read_key`),
        state, probe, plan, commit, publish."""
        budget = budget or Budget.start(self.config.deadline_s)
        self.key_error = None
        if read_key:
            api_key = self._read_key(budget)
        # A region of a fleet that is not the home keeps no state: it probes and shares.
        regional = in_fleet(self.config) and not is_home(self.config)
        stored, load_error = (None, None) if regional else self._load(budget)
        # The error-rate window in the loaded state decides the requests per model.
        state = stored.state if stored else MonitorState()
        if regional:  # no counter of its own: the scheduled minute counts the cycles
            state.cycle_no = minute_count(scheduled_at)
        self.samples = samples_for(state, self.config)
        result = asyncio.run(
            probe(
                self._probe_config(budget),
                api_key,
                scheduled_at,
                samples=self.samples,
                bedrock_client=self.bedrock_client,
                checks=checks_for(state, self.config),
            )
        )
        if self.key_error:
            result.errors.append(self.key_error)
            result.key_unavailable = True
        self._check_components(result)
        if regional:
            self._share(result, budget)
        else:
            self._vote(result, stored, budget)
            self.record(result, stored=stored, load_error=load_error, budget=budget)
        try:
            self.metrics.emit(result)
        except Exception as exc:  # noqa: BLE001 - metrics must never cost the result
            log.error("metrics failed: %s", type(exc).__name__, extra={"error": str(exc)[:200]})
        return result

    def _share(self, result: CheckResult, budget: Budget) -> None:
        from .fleet import share

        if self.regions is not None:
            share(self.regions, result, budget, self.store_call_s)

    def _vote(self, result: CheckResult, stored: Stored | None, budget: Budget) -> None:
        """The home of a fleet: the other regions' views, then the fleet's verdict."""
        if not in_fleet(self.config) or self.regions is None:
            return
        from .fleet import decide

        seen = dict(stored.state.regions_seen) if stored else {}
        keep = self.store_call_s + self._publishes() + 0.2
        decide(
            self.config, self.regions, result, seen, budget, keep_s=keep, call_s=self.store_call_s
        )

    def _publishes(self) -> float:
        return self.notify_call_s * (2 if self.webhooks else 1)

    def read_key(self, budget: Budget) -> str | None:
        """The key from the configuration or SSM; raises KeyUnavailable (one line)."""
        from .keep.apikey import KeyUnavailable, resolve_api_key

        from_ssm = self.config.api_key_parameter and not self.config.api_key
        if from_ssm and not budget.allows(self.config.aws_call_s):
            raise KeyUnavailable("no time left in the deadline to read the key")
        return resolve_api_key(self.config)

    def _read_key(self, budget: Budget) -> str | None:
        from .keep.apikey import KeyUnavailable

        try:
            return self.read_key(budget)
        except KeyUnavailable as exc:
            self.key_error = str(exc)
            return None

    def _load(self, budget: Budget) -> tuple[Stored | None, StoreError | None]:
        if not budget.allows(self.store_call_s):
            return None, StoreError("no time left in the deadline to read the state")
        try:
            return self.store.load(), None
        except StoreError as exc:
            return None, exc

    def _probe_config(self, budget: Budget) -> Config:
        """The probes get what is left, less one commit and one publish."""
        publishes = self._publishes()
        reserve = max(min(3.0, self.config.deadline_s * 0.2), self.store_call_s + publishes)
        if in_fleet(self.config) and is_home(self.config):
            # The home waits for the other regions' views before it commits.
            reserve += min(self.config.region_wait_s, self.config.deadline_s * 0.2)
            reserve += self.store_call_s
        window = min(self.config.probe_budget_s, budget.left() - reserve - 0.5)
        return replace(self.config, probe_window_s=max(window, 0.2))

    def _check_components(self, result: CheckResult) -> None:
        page = result.status_page
        names = [c.get("name", "") for c in page.components]
        if page.reachable and names and not set(self.config.api_components) & set(names):
            listed = ", ".join(n[:60] for n in names[:12]) + (", ..." if len(names) > 12 else "")
            result.errors.append(
                f"API_COMPONENTS matches no component on the status page; it lists: {listed}"
            )

    def record(
        self,
        result: CheckResult,
        now_wall: float | None = None,
        *,
        stored: Stored | None = None,
        load_error: StoreError | None = None,
        budget: Budget | None = None,
    ) -> None:
        """Store the result, advance alert state, send at most one notification."""
        budget = budget or Budget.start(self.config.deadline_s)
        if load_error is not None:
            self._defer(result, load_error)
            return
        plan = self._commit(result, now_wall or time.time(), stored, budget)
        if plan is None:
            return
        if plan.notification is not None:
            self._send(result, plan.outbox[plan.notification.id], plan.notification, budget)
        self._write_backlog(result, budget)

    def _write_backlog(self, result: CheckResult, budget: Budget) -> None:
        """What the store could not take earlier, written after this cycle's commit and
        publish (the news first), a few writes at a time while the deadline allows;
        what is left waits for the next cycle, never dropped."""
        for _ in range(BACKLOG_WRITES):
            if not self.backlog or not budget.allows(self.store_call_s):
                return
            try:
                written = self.store.write_backlog(self.backlog)
            except StoreError as exc:
                self._fault(
                    result, f"{len(self.backlog)} stored-late result(s) still waiting: {exc}"
                )
                return
            if written <= 0:
                return
            self._written(written)

    def _send(
        self, result: CheckResult, entry: OutboxEntry, note: Notification, budget: Budget
    ) -> None:
        """One attempt per destination not yet reached; the entry is cleared when all
        are, and otherwise marked with the ones reached, so a re-send skips them."""
        targets: list[tuple[str, Notifier]] = [(ALERT, self.notifier)]
        if self.webhooks is not None:
            targets.append((WEBHOOK, self.webhooks))
        done = set(entry.done)
        uncertain = False  # a publish that failed without an answer may have gone
        for destination, notifier in targets:
            if destination in done:
                continue
            if not budget.allows(self.notify_call_s):
                self._fault(
                    result,
                    f"no time left to publish to the {destination} topic; kept in the "
                    "outbox, a later cycle sends it",
                )
                continue
            try:
                notifier.publish(note)
            except NotifyError as exc:
                uncertain = uncertain or not exc.unsent
                self._fault(result, f"{exc}; kept in the outbox, a later cycle sends it")
                continue
            done.add(destination)
        if done != set(entry.done):
            result.notifications.append(note)
        if done >= {d for d, _ in targets}:
            self._clear(result, note.id, budget)
        elif done != set(entry.done) or not uncertain:
            # What certainly did not go (SNS refused, or no time) this cycle gives up
            # (due at once): the next cycle re-sends it rather than waiting out its
            # lease, and a later message of the same alert, which waits behind it, is
            # not held back that long.
            given_up = entry.created_wall if uncertain else 0.0
            self._mark(result, replace(entry, done=sorted(done), created_wall=given_up), budget)

    def _mark(self, result: CheckResult, entry: OutboxEntry, budget: Budget) -> None:
        """Store which destinations a half-sent entry reached; remembered here too."""
        self.reached[entry.id] = set(entry.done)
        if not budget.allows(self.store_call_s):
            return
        try:
            self.store.mark_outbox(entry)
        except StoreError as exc:
            self._fault(result, f"{exc}; what was sent may be sent once more")
            return
        del self.reached[entry.id]

    def _clear(self, result: CheckResult, entry_id: str, budget: Budget) -> None:
        if not budget.allows(self.store_call_s):
            # The next commit of this container drops it from the outbox.
            self.sent.add(entry_id)
            return
        try:
            self.store.clear_outbox(entry_id)
        except StoreError as exc:
            self.sent.add(entry_id)
            self._fault(result, f"{exc}; the sent notification may be sent once more")

    def _commit(
        self, result: CheckResult, now_wall: float, stored: Stored | None, budget: Budget
    ) -> Plan | None:
        for _ in range(MAX_REPLANS):
            if stored is None:
                stored, error = self._load(budget)
                if error is not None or stored is None:
                    self._defer(result, error or StoreError("state unavailable"))
                    return None
            # Drop entries this container already sent; the commit then clears them.
            dropped = self.sent & set(stored.outbox)
            for entry_id in dropped:
                del stored.outbox[entry_id]
            marked = set(self.reached) & set(stored.outbox)
            for entry_id in marked:
                entry = stored.outbox[entry_id]
                entry.done = sorted(set(entry.done) | self.reached[entry_id])
            plan = plan_cycle(stored, result, self.config, now_wall)
            result.transitions, result.lead_time_min = plan.transitions, plan.lead_time_min
            result.lead = plan.lead
            if not budget.allows(self.store_call_s):
                self._defer(result, StoreError("no time left in the deadline to commit"))
                return None
            try:
                written = self.store.commit(
                    result, plan.state, stored.version, plan.outbox, self.backlog
                )
            except DuplicateCycle:
                result.transitions, result.lead_time_min, result.lead = [], None, None
                log.info("duplicate cycle", extra={"cycle": result.cycle_id})
                result.errors.append(
                    f"cycle {result.cycle_id} was already recorded: duplicate delivery, "
                    "nothing sent"
                )
                return None
            except StateConflict:
                log.info("state changed underneath, re-planning", extra={"cycle": result.cycle_id})
                stored = None
                continue
            except CommitUncertain as exc:
                if not self._landed(exc, budget):
                    self._defer(result, exc)
                    return None
                written = exc.written
            except StoreError as exc:
                self._defer(result, exc)
                return None
            self._written(written)
            self.sent -= dropped
            for entry_id in marked:
                self.reached.pop(entry_id, None)
            return plan
        result.transitions, result.lead_time_min, result.lead = [], None, None
        self._fault(result, "alert state kept changing underneath; this cycle is not recorded")
        return None

    def _landed(self, exc: CommitUncertain, budget: Budget) -> bool:
        """Whether a commit whose answer was lost did land: the state's writer says."""
        if not budget.allows(self.store_call_s + self.notify_call_s):
            return False  # unproven: deferred; if it did land, the outbox sends it later
        try:
            landed = self.store.load().writer == exc.token
        except StoreError:
            return False
        log.info("commit answer lost", extra={"landed": landed, "error": str(exc)})
        return landed

    def _written(self, written: int) -> None:
        """Forget the backlog results the commit wrote (the oldest `written` of them)."""
        del self.backlog[: max(0, written)]

    def _defer(self, result: CheckResult, exc: StoreError) -> None:
        result.transitions, result.lead_time_min, result.lead = [], None, None
        self.backlog.append(_compact(result))
        if len(self.backlog) > MAX_BACKLOG:
            lost = self.backlog[: len(self.backlog) - MAX_BACKLOG]
            del self.backlog[: len(lost)]
            log.error(
                "backlog full, oldest results dropped",
                extra={"dropped": len(lost), "cycles": [r.cycle_id for r in lost][:50]},
            )
            result.errors.append(
                f"{len(lost)} stored-late result(s) dropped, oldest first: backlog is full"
            )
        self._fault(
            result,
            f"history was not stored: {exc}; result kept in memory and alert state "
            "unchanged, a later cycle catches up",
        )

    def _fault(self, result: CheckResult, message: str) -> None:
        log.error("cycle fault: %s", message, extra={"error": message, "cycle": result.cycle_id})
        result.errors.append(message)
