"""Reading DynamoDB back for people (`history`, `report`): paged queries of the cycle
and transition items, skipping what a broken or foreign writer left; and the one way
both sides turn an AWS error into the project's StoreError."""

from __future__ import annotations

from typing import Any

from .store import History, StoreError, readable_records

_TRANSITION = ("sk", "target", "from_value", "to_value")


def store_error(operation: str, exc: Exception) -> StoreError:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        text = f"DynamoDB {operation} failed: {err.get('Code', '?')}: {err.get('Message', '')}"
    else:
        text = f"DynamoDB {operation} failed: {type(exc).__name__}: {exc}"
    return StoreError(" ".join(text.split())[:300])


class DynamoHistory:
    """The read side of DynamoStore (a mixin: `table` and `client` are the store's)."""

    table: str
    client: Any

    def _query(self, pk: str, since_iso: str) -> list[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk >= :since",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":since": {"S": since_iso}},
        }
        try:
            while True:
                page = self.client.query(**kwargs)
                items += page.get("Items", [])
                if "LastEvaluatedKey" not in page:
                    return items
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except (BotoCoreError, ClientError) as exc:
            raise store_error("Query", exc) from None

    def history(self, since_iso: str) -> History:
        items = self._query("CYCLE", since_iso)
        cycles = readable_records((i.get("record") or {}).get("S") for i in items)
        transitions = [
            {
                "checked_at": i["sk"]["S"].split("#")[0],
                "target": i["target"]["S"],
                "from": i["from_value"]["S"],
                "to": i["to_value"]["S"],
            }
            for i in self._query("TRANSITION", since_iso)
            # An item a broken or foreign writer left without them is skipped.
            if all(
                isinstance(i.get(k), dict) and isinstance(i[k].get("S"), str) for k in _TRANSITION
            )
        ]
        return History(cycles=cycles, transitions=transitions)
