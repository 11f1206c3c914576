"""A fleet's regional items: each region's view of a scheduled minute, in the home's store.

| item   | pk                 | sk                         | expires  |
| ------ | ------------------ | -------------------------- | -------- |
| region | `REGION#<region>`  | the minute, `YYYY-MM-DDTHH:MM` | 1 day |

The partition key is the region, so IAM can hold a region to its own items
(`dynamodb:LeadingKeys`, infra/monitor.py). Every region writes its item once per
minute with a conditional put (a duplicate delivery finds it there and writes
nothing); the home reads the minute's items of every region in one BatchGetItem.
History keeps the views in the home's cycle record, so these items only need to
outlive the minute.

SQLite keeps the same items in a table of the local file, so the vote runs locally.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any, Protocol

from ..decide.vote import RegionView
from .dynamo_history import store_error
from .sqlite import open_db
from .store import StoreError

log = logging.getLogger("claude_status.store")
# BatchGetItem reads at most 100 keys: a fleet is far smaller (AWS has ~35 Regions).
MAX_BATCH = 100
EXPIRES_S = 86_400


def region_key(region: str) -> str:
    """The partition key of a region's items (and the IAM condition's value)."""
    return f"REGION#{region}"


def _expires(view: RegionView) -> int:
    try:
        moment = datetime.fromisoformat(view.minute + ":00+00:00")
    except ValueError:
        moment = datetime.now(UTC)
    return int(moment.timestamp()) + EXPIRES_S


class RegionStore(Protocol):
    def put_region(self, view: RegionView) -> bool:
        """Write the view once; False when the minute's item was already there."""
        ...

    def read_regions(self, minute: str, regions: tuple[str, ...]) -> dict[str, RegionView]:
        """The views of `minute` that are there, by region (unreadable ones left out)."""
        ...


def _view(raw: Any) -> RegionView | None:
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        data = None
    view = RegionView.from_dict(data)
    if view is None:
        log.error(
            "regional item unreadable, counted as not reported", extra={"raw": str(raw)[:300]}
        )
    return view


class DynamoRegions:
    """The regional items in the home's DynamoDB table. `client` is built with the
    cycle's timeouts (aws.py), for the home table's Region."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table = table_name
        self.client = client

    def put_region(self, view: RegionView) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        item = {
            "pk": {"S": region_key(view.region)},
            "sk": {"S": view.minute},
            "view": {"S": json.dumps(view.to_dict(), separators=(",", ":"))},
            "expires_at": {"N": str(_expires(view))},
        }
        try:
            self.client.put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False  # a duplicate delivery, or a retry of a write that landed
            raise store_error("PutItem", exc) from None
        except BotoCoreError as exc:
            raise store_error("PutItem", exc) from None
        return True

    def read_regions(self, minute: str, regions: tuple[str, ...]) -> dict[str, RegionView]:
        from botocore.exceptions import BotoCoreError, ClientError

        keys = [{"pk": {"S": region_key(r)}, "sk": {"S": minute}} for r in regions[:MAX_BATCH]]
        if not keys:
            return {}
        try:
            answer = self.client.batch_get_item(
                RequestItems={self.table: {"Keys": keys, "ConsistentRead": True}}
            )
        except (BotoCoreError, ClientError) as exc:
            raise store_error("BatchGetItem", exc) from None
        # Unprocessed keys (throttling) read as not there yet: the next poll asks again.
        found: dict[str, RegionView] = {}
        for item in answer.get("Responses", {}).get(self.table, []):
            view = _view(item.get("view", {}).get("S"))
            # The key, not the body, says whose item it is: IAM holds each region to
            # its own partition key, never to what its item's body claims.
            owner = str(item.get("pk", {}).get("S", ""))
            if view is None or owner != region_key(view.region) or view.minute != minute:
                continue
            if view.region in regions:
                found[view.region] = view
        return found


_SCHEMA = """
CREATE TABLE IF NOT EXISTS regions (
    region TEXT, minute TEXT, view TEXT NOT NULL, expires_at INTEGER,
    PRIMARY KEY (region, minute));
"""


class SqliteRegions:
    """The same items in the local SQLite file (LOCAL_DB_PATH): several `check` runs
    with MONITOR_REGION set play a fleet on one machine."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _conn(self) -> sqlite3.Connection:
        return open_db(self.path, _SCHEMA)

    def put_region(self, view: RegionView) -> bool:
        db = self._conn()
        try:
            cursor = db.execute(
                "INSERT OR IGNORE INTO regions VALUES (?, ?, ?, ?)",
                (view.region, view.minute, json.dumps(view.to_dict()), _expires(view)),
            )
            db.execute("DELETE FROM regions WHERE expires_at < ?", (int(time.time()),))
            return cursor.rowcount == 1
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite write failed: {exc}") from None
        finally:
            db.close()

    def read_regions(self, minute: str, regions: tuple[str, ...]) -> dict[str, RegionView]:
        db = self._conn()
        try:
            rows = db.execute("SELECT view FROM regions WHERE minute = ?", (minute,)).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite read failed: {exc}") from None
        finally:
            db.close()
        views = [_view(row[0]) for row in rows]
        return {v.region: v for v in views if v is not None and v.region in regions}
