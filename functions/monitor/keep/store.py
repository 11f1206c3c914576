"""Where results, alert state and the notification outbox live.

Two adapters keep the same semantics: DynamoDB in AWS (`dynamo.py`), SQLite on a
laptop (here). A commit is all-or-nothing:
- the cycle record is written only if no record with that cycle id exists
  (a duplicate delivery of the same scheduled event raises `DuplicateCycle`);
- the state is written only if its version is still the one this cycle read
  (a racing writer raises `StateConflict`, and the cycle re-plans);
- the outbox (notifications committed but not yet confirmed as sent) travels with
  the state, so a transition and its notification are never separated.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from ..decide.state import MonitorState, OutboxEntry, Stored
from ..models import CheckResult

log = logging.getLogger("claude_status.store")


class StoreError(Exception):
    """The store could not be read or written; the message is one line."""


class DuplicateCycle(Exception):
    """A cycle with this id (scheduled time) was already recorded."""


class StateConflict(Exception):
    """Another writer changed the state since it was read."""


class CommitUncertain(StoreError):
    """The commit's answer was lost (a timeout, a dropped connection): it may have
    landed. `token` is what the state's `writer` says if it did; `written` is how
    many backlog results went with it."""

    def __init__(self, message: str, *, token: str, written: int) -> None:
        super().__init__(message)
        self.token, self.written = token, written


@dataclass
class History:
    cycles: list[dict[str, Any]]
    transitions: list[dict[str, Any]]


def readable_records(texts: Iterable[Any]) -> list[dict[str, Any]]:
    """The stored cycle records that are JSON objects; one that is not (cut short,
    garbled, written by something else) is left out, so one bad row never costs
    `history` or `report` the rest."""
    records = []
    for text in texts:
        try:
            record = json.loads(text)
        except (TypeError, ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


class Store(Protocol):
    def load(self) -> Stored: ...

    def commit(
        self,
        result: CheckResult,
        state: MonitorState,
        expected_version: int,
        outbox: dict[str, OutboxEntry],
        backlog: list[CheckResult],
    ) -> int:
        """Write it all or nothing; return how many of `backlog` (oldest first) were
        written with it. The rest waits for the next commit."""
        ...

    def write_backlog(self, backlog: list[CheckResult]) -> int:
        """Write the oldest results of `backlog` (results a failed commit could not
        store), as many as one write takes; return how many. Repeatable."""
        ...

    def clear_outbox(self, entry_id: str) -> None: ...

    def mark_outbox(self, entry: OutboxEntry) -> None:
        """Rewrite a pending entry (its `done` destinations) if it is still there."""
        ...

    def write_state(self, state: MonitorState, expected_version: int) -> None:
        """The alert state alone (a mute), only if its version is still the one read;
        the outbox and the history are left as they are. Raises StateConflict."""
        ...

    def history(self, since_iso: str) -> History: ...


def read_state(text: Any) -> MonitorState:
    """The stored alert state; what cannot be read is logged with its raw text (set
    aside for a person to look at) and replaced by fresh state, never crashed on: a
    newer version's extra field must not stop every cycle from storing its result."""
    state, problems = MonitorState.parse(text if isinstance(text, str) else None)
    if problems or (text is not None and not isinstance(text, str)):
        log.error(
            "stored state partly unreadable, set aside and started afresh",
            extra={"problems": problems[:20], "quarantined": str(text)[:100_000]},
        )
    return state


def read_outbox(raw: dict[str, Any]) -> dict[str, OutboxEntry]:
    """Outbox entries by id; an unreadable one is logged with its raw text and dropped."""
    outbox: dict[str, OutboxEntry] = {}
    for key, text in raw.items():
        entry = OutboxEntry.from_json(text, key) if isinstance(text, str) else None
        if entry is None:
            log.error(
                "outbox entry unreadable, set aside",
                extra={"entry": str(key)[:80], "quarantined": str(text)[:100_000]},
            )
            continue
        outbox[entry.id] = entry
    return outbox


def cycle_record(result: CheckResult) -> dict[str, Any]:
    """The compact record kept per cycle: enough for history, nothing secret."""
    from ..decide.verdict import confirmed_by

    page = result.status_page
    return {
        "checked_at": result.checked_at,
        "verdict": result.verdict.verdict,
        "severity": result.verdict.severity,
        "summary": result.verdict.summary,
        "region": result.region,
        "api_status": page.api_status if page.reachable else None,
        "page_error": page.error,
        "incidents": [i.name for i in page.incidents],
        # Which incident confirmed which model, and the status page's own lag.
        "confirmed_by": confirmed_by(page, result.canaries),
        "lead_time_min": result.lead_time_min,
        # Quiet hours and mutes as this cycle found them (history marks muted spans).
        "muted_until": result.muted_until,
        "mute_reason": result.mute_reason,
        "held": result.held,
        "lead": result.lead,
        "canaries": [
            {
                "model": c.model,
                "outcome": c.outcome,
                "http_status": c.http_status,
                "error_type": c.error_type,
                "request_id": c.request_id,
                "attempts": c.attempts,
                "ttft_ms": c.ttft_ms,
                "latency_ms": c.latency_ms,
                "stop_reason": c.stop_reason,
                "samples": c.samples,
                "requests": c.requests,
                "failed_requests": c.failed_requests,
                "window": c.window,
                # The answer check (observe/answer.py): redacted, at most 80 characters.
                "answer_check": c.answer_check,
                "answer_expected": c.answer_expected,
                "answer_got": c.answer_got,
            }
            for c in result.canaries
        ],
        **_bedrock_record(result),
        # A fleet's home: every region's view of the minute, side by side.
        **({"regions": result.regions} if result.regions else {}),
    }


def _bedrock_record(result: CheckResult) -> dict[str, Any]:
    """The failover probe, in the same record (no item of its own): a steady cycle
    stays at two DynamoDB requests. Absent when Bedrock is not configured."""
    if not result.bedrock:
        return {}
    return {
        "bedrock": [
            {
                "model": b.model,
                "model_id": getattr(b, "model_id", None),
                "outcome": b.outcome,
                "http_status": b.http_status,
                "error_type": b.error_type,
                "request_id": b.request_id,
                "latency_ms": b.latency_ms,
            }
            for b in result.bedrock
        ],
        "failover": dict(result.failover),
    }


def expires_at(result: CheckResult, retention_days: int) -> int:
    from ..decide.state import parse_time

    return int(parse_time(result.checked_at).timestamp()) + retention_days * 86_400
