"""The DynamoDB store. Key design (one table, `pk` + `sk`, TTL on `expires_at`):

| item        | pk                      | sk                        | expires |
| ----------- | ----------------------- | ------------------------- | ------- |
| cycle       | `CYCLE`                 | checked_at                | yes     |
| canary      | `CANARY#<model>`        | checked_at                | yes     |
| transition  | `TRANSITION`            | checked_at `#` target     | yes     |
| alert state | `STATE`                 | `STATE`                   | never   |

"The last day of results for a model" and "every transition in 30 days" are each
one Query on pk with `sk >= <ISO time>`. A steady cycle costs two requests: GetItem
(state) and TransactWriteItems (cycle, canaries, transitions, state). Results kept
in memory while the table was unreachable (the backlog) are written after that, in
transactions of their own (`write_backlog`), so however many models there are, the
state commit stays small and every result finds room in a later write.

Every call makes one attempt (the cycle's deadline); what a lost answer means:
- GetItem reads; repeating it is harmless.
- TransactWriteItems may have landed: the state item's `writer` (this request's
  ClientRequestToken, random per attempt) tells, so a landed write is never read as a
  duplicate cycle or a conflict (`CommitUncertain`, then `Cycle._landed`).
- UpdateItem (outbox clear) is conditional on the entry being there: repeated after
  it landed, it finds nothing to remove and is treated as done.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from decimal import Decimal
from typing import Any

from ..decide.state import MonitorState, OutboxEntry, Stored
from ..models import CheckResult
from .dynamo_history import DynamoHistory, store_error
from .store import (
    CommitUncertain,
    DuplicateCycle,
    StateConflict,
    cycle_record,
    expires_at,
    read_outbox,
    read_state,
)

log = logging.getLogger("claude_status.store")
STATE_KEY = {"pk": {"S": "STATE"}, "sk": {"S": "STATE"}}
# TransactWriteItems "groups up to 100 action requests", no two on the same item:
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
MAX_ITEMS = 100
# One backlog write holds whole results, about this many items: small enough to answer
# well within one call's timeout (a 100-item transaction can take seconds).
BACKLOG_CHUNK_ITEMS = 25


def _av(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB attribute value (None is left out by the caller)."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value)}
    if isinstance(value, list):
        return {"L": [_av(v) for v in value if v is not None]}
    if isinstance(value, dict):
        return {"M": {k: _av(v) for k, v in value.items() if v is not None}}
    return {"S": str(value)}


def _item(**attrs: Any) -> dict[str, Any]:
    return {k: _av(v) for k, v in attrs.items() if v is not None and v != ""}


def _token(cycle_id: str, version: int) -> str:
    """A ClientRequestToken (at most 36 characters): the cycle and version it writes,
    and a random part, so two containers handling one event never share one."""
    digest = hashlib.sha256(f"{cycle_id}#{version}".encode()).hexdigest()[:12]
    return f"{digest}-{version % 10**6}-{secrets.token_hex(8)}"


def _s(value: Any) -> Any:
    """A string attribute's text; anything else (a newer writer's shape) as it is."""
    return value.get("S", value) if isinstance(value, dict) else value


# The version of a state item whose `version` is missing or not a number: the next
# commit replaces it on that condition (and writes version 1), so one odd item
# never stops every later cycle from storing.
UNREADABLE_VERSION = -1


def _version(item: dict[str, Any]) -> int:
    raw = item.get("version")
    try:
        version = int(raw["N"]) if isinstance(raw, dict) else None
    except (KeyError, TypeError, ValueError):
        version = None
    if version is None or version < 0:
        log.error("state item version unreadable, replacing it", extra={"version": str(raw)[:80]})
        return UNREADABLE_VERSION
    return version


def _outbox(item: dict[str, Any]) -> dict[str, OutboxEntry]:
    raw = item.get("outbox")
    entries = raw.get("M") if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        return read_outbox({"outbox": raw}) if raw is not None else {}
    return read_outbox({k: _s(v) for k, v in entries.items()})


class DynamoStore(DynamoHistory):
    def __init__(self, table_name: str, client: Any, retention_days: int = 90) -> None:
        self.table = table_name
        self.client = client
        self.retention_days = retention_days

    def load(self) -> Stored:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            item = self.client.get_item(
                TableName=self.table, Key=STATE_KEY, ConsistentRead=True
            ).get("Item")
        except (BotoCoreError, ClientError) as exc:
            raise store_error("GetItem", exc) from None
        if not item:
            return Stored(MonitorState(), 0, {})
        writer = _s(item.get("writer"))
        return Stored(
            read_state(_s(item.get("state"))),
            _version(item),
            _outbox(item),
            writer if isinstance(writer, str) else None,
        )

    def _result_puts(self, result: CheckResult, conditional: bool) -> list[dict[str, Any]]:
        expiry = expires_at(result, self.retention_days)
        record = cycle_record(result)
        cycle = {
            "TableName": self.table,
            "Item": _item(
                pk="CYCLE",
                sk=result.cycle_id,
                verdict=record["verdict"],
                severity=record["severity"],
                summary=record["summary"],
                region=result.region,
                api_status=record["api_status"],
                lead_time_min=result.lead_time_min,
                record=json.dumps(record, separators=(",", ":")),
                expires_at=expiry,
            ),
        }
        if conditional:
            cycle["ConditionExpression"] = "attribute_not_exists(pk)"
        puts = [{"Put": cycle}]
        for c in result.canaries:
            puts.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": _item(
                            pk=f"CANARY#{c.model}",
                            sk=result.cycle_id,
                            model=c.model,
                            outcome=c.outcome,
                            http_status=c.http_status,
                            error_type=c.error_type,
                            request_id=c.request_id,
                            attempts=c.attempts,
                            ttft_ms=c.ttft_ms,
                            latency_ms=c.latency_ms,
                            stop_reason=c.stop_reason,
                            requests=c.requests,
                            failed_requests=c.failed_requests,
                            answer_check=c.answer_check,
                            answer_expected=c.answer_expected,
                            answer_got=c.answer_got,
                            verdict=result.verdict.verdict,
                            region=result.region,
                            expires_at=expiry,
                        ),
                    }
                }
            )
        for t in result.transitions:
            puts.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": _item(
                            pk="TRANSITION",
                            sk=f"{result.cycle_id}#{t.target}",
                            target=t.target,
                            from_value=t.from_,
                            to_value=t.to,
                            verdict=result.verdict.verdict,
                            region=result.region,
                            expires_at=expiry,
                        ),
                    }
                }
            )
        return puts

    def commit(
        self,
        result: CheckResult,
        state: MonitorState,
        expected_version: int,
        outbox: dict[str, OutboxEntry],
        backlog: list[CheckResult],
    ) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        # Unique per attempt, stored with the state: after a timeout (the write may
        # have landed) a read of the state item proves whether it was ours. It is
        # also the request's ClientRequestToken, which makes a retry of the same
        # request within 10 minutes a no-op rather than a failed condition:
        # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
        token = _token(result.cycle_id, expected_version)
        state_put: dict[str, Any] = {
            "TableName": self.table,
            "Item": {
                **STATE_KEY,
                "version": {"N": str(max(expected_version, 0) + 1)},
                "state": {"S": state.to_json()},
                "outbox": {"M": {k: {"S": e.to_json()} for k, e in outbox.items()}},
                "writer": {"S": token},
            },
        }
        if expected_version == 0:
            state_put["ConditionExpression"] = "attribute_not_exists(pk)"
        elif expected_version == UNREADABLE_VERSION:
            state_put["ConditionExpression"] = (
                "attribute_exists(pk) AND "
                "(attribute_not_exists(#ver) OR NOT attribute_type(#ver, :n))"
            )
            state_put["ExpressionAttributeValues"] = {":n": {"S": "N"}}
            state_put["ExpressionAttributeNames"] = {"#ver": "version"}
        else:
            state_put["ConditionExpression"] = "#ver = :v"
            state_put["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
            state_put["ExpressionAttributeNames"] = {"#ver": "version"}
        items = [{"Put": state_put}, *self._result_puts(result, conditional=True)]
        if len(items) > MAX_ITEMS:
            # Cannot happen within MAX_MODELS; if it ever does, the cycle and the state
            # are stored and the surplus transition rows (also in the state) are not.
            log.error(
                "too many items for one transaction", extra={"dropped": len(items) - MAX_ITEMS}
            )
            items = items[:MAX_ITEMS]
        items.append(items.pop(0))  # the cycle record first: its failure means duplicate
        # The backlog is not in this transaction: `write_backlog` takes it afterwards.
        written = 0
        try:
            self.client.transact_write_items(TransactItems=items, ClientRequestToken=token)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                if self._landed(token):
                    return written  # a retry of our own write that had succeeded
                raise self._why_cancelled(exc, result) from None
            raise store_error("TransactWriteItems", exc) from None
        except BotoCoreError as exc:
            raise CommitUncertain(
                str(store_error("TransactWriteItems", exc)), token=token, written=written
            ) from None
        return written

    def write_backlog(self, backlog: list[CheckResult]) -> int:
        """Write the oldest results of `backlog` in one transaction of whole results (at
        least one, about BACKLOG_CHUNK_ITEMS items); return how many. Unconditional
        puts: a write repeated after a lost answer rewrites the same items, harmless."""
        from botocore.exceptions import BotoCoreError, ClientError

        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        count = 0
        for old in backlog:
            puts = self._result_puts(old, conditional=False)[:MAX_ITEMS]
            # No two actions on one item: the same cycle twice waits for the next write.
            if items and (len(items) + len(puts) > BACKLOG_CHUNK_ITEMS or old.cycle_id in seen):
                break
            items += puts
            seen.add(old.cycle_id)
            count += 1
        if not items:
            return 0
        try:
            self.client.transact_write_items(TransactItems=items)
        except (ClientError, BotoCoreError) as exc:
            raise store_error("TransactWriteItems", exc) from None
        return count

    def _landed(self, token: str) -> bool:
        """Whether the state item was last written by the request with this token."""
        try:
            item = self.client.get_item(
                TableName=self.table,
                Key=STATE_KEY,
                ConsistentRead=True,
                ProjectionExpression="#w",
                ExpressionAttributeNames={"#w": "writer"},
            ).get("Item")
        except Exception:  # noqa: BLE001 - unknown is not proof
            return False
        return bool(item) and _s(item.get("writer")) == token

    def _why_cancelled(self, exc: Any, result: CheckResult) -> Exception:
        """Item 0 is the cycle record: its condition failing means a duplicate delivery."""
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return DuplicateCycle(result.cycle_id)
        if any(r == "ConditionalCheckFailed" for r in reasons):
            return StateConflict("state version moved")
        if reasons and any(r not in (None, "None") for r in reasons):
            return store_error("TransactWriteItems", exc)
        # No reasons given: ask whether this cycle is already recorded.
        try:
            found = self.client.get_item(
                TableName=self.table,
                Key={"pk": {"S": "CYCLE"}, "sk": {"S": result.cycle_id}},
                ProjectionExpression="pk",
            ).get("Item")
        except Exception as lookup:  # noqa: BLE001 - any failure here is a store error
            return store_error("GetItem", lookup)
        return DuplicateCycle(result.cycle_id) if found else StateConflict("state moved")

    def clear_outbox(self, entry_id: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.update_item(
                TableName=self.table,
                Key=STATE_KEY,
                UpdateExpression="REMOVE outbox.#id SET version = version + :one",
                ConditionExpression="attribute_exists(outbox.#id)",
                ExpressionAttributeNames={"#id": entry_id},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return  # another cycle already took it over and cleared it
            raise store_error("UpdateItem", exc) from None
        except BotoCoreError as exc:
            raise store_error("UpdateItem", exc) from None

    def write_state(self, state: MonitorState, expected_version: int) -> None:
        """UpdateItem of `state` and `version` only, conditional on the version read (or
        on no state item yet): the outbox and the writer token stay as they are."""
        from botocore.exceptions import BotoCoreError, ClientError

        values: dict[str, Any] = {
            ":state": {"S": state.to_json()},
            ":next": {"N": str(max(expected_version, 0) + 1)},
        }
        if expected_version == UNREADABLE_VERSION:
            condition = (
                "attribute_exists(pk) AND "
                "(attribute_not_exists(#ver) OR NOT attribute_type(#ver, :n))"
            )
            values[":n"] = {"S": "N"}
        elif expected_version == 0:
            condition = "attribute_not_exists(pk)"
        else:
            condition = "#ver = :expected"
            values[":expected"] = {"N": str(expected_version)}
        try:
            self.client.update_item(
                TableName=self.table,
                Key=STATE_KEY,
                UpdateExpression="SET #state = :state, #ver = :next",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#state": "state", "#ver": "version"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise StateConflict(f"state version moved from {expected_version}") from None
            raise store_error("UpdateItem", exc) from None
        except BotoCoreError as exc:
            raise store_error("UpdateItem", exc) from None

    def mark_outbox(self, entry: OutboxEntry) -> None:
        """Conditional on the entry being there: a cycle that took it over and cleared
        it meanwhile wins, and a repeat after a lost answer writes the same again."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.update_item(
                TableName=self.table,
                Key=STATE_KEY,
                UpdateExpression="SET outbox.#id = :entry, version = version + :one",
                ConditionExpression="attribute_exists(outbox.#id)",
                ExpressionAttributeNames={"#id": entry.id},
                ExpressionAttributeValues={":entry": {"S": entry.to_json()}, ":one": {"N": "1"}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return
            raise store_error("UpdateItem", exc) from None
        except BotoCoreError as exc:
            raise store_error("UpdateItem", exc) from None
