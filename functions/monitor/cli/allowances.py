"""What AWS takes off the bill (the always-free tier) and adds later (a KMS key's
rotations), for `cost`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def kms_rotation_note(kms: dict[str, Any]) -> str:
    """The key's yearly rotation (on in the stack) adds to its cost from the second
    year: each of the first `rotations_billed` rotations adds `rotation_month`."""
    base, extra = float(kms["customer_key_month"]), float(kms.get("rotation_month", 0))
    billed = int(kms.get("rotations_billed", 0))
    if not (extra and billed):
        return "no free tier"
    later = f"${base + extra:.2f} in the second year" + (
        f", ${base + billed * extra:.2f} from year {billed + 1} on" if billed > 1 else ""
    )
    return f"no free tier; its yearly key rotation makes it {later}"


def free_tier(prices: dict[str, Any], items: list[Any], webhook_names: Sequence[str]) -> float:
    """Dollars the always-free allowances take off, across all regions of one account."""
    free = prices["free_tier"]
    allowance = {
        "Lambda requests": free["lambda_requests"],
        "Lambda duration (arm64)": free["lambda_gb_seconds"],
        "CloudWatch custom metrics": free["cloudwatch_metrics"],
        "CloudWatch alarms": free["cloudwatch_alarms"],
        "CloudWatch dashboard": free["cloudwatch_dashboards"],
        "CloudWatch Logs ingestion": free["logs_ingest_gb"],
        "CloudWatch Logs storage (30 days)": free["logs_store_gb"],
        "DynamoDB storage": free["dynamodb_storage_gb"],
        "SNS publishes and emails": free["sns_emails"],
        webhook_names[0]: free["sns_publishes"],
        webhook_names[1]: free["sns_https"],
        webhook_names[2]: free["sqs_requests"],
    }
    saved = 0.0
    for item in items:
        left = allowance.get(item.name, 0)
        take = min(left, item.quantity)
        if take:
            allowance[item.name] = left - take
            item.free_quantity = take
            saved += take * item.unit_usd
    return saved
