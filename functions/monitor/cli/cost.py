"""`cost`: an itemised monthly estimate of a deployment, next to a Synthetics canary.

Counts come from the code that creates the things counted: alarms from the stack's
formula (pinned by a template test), custom metrics from metrics.py, canary tokens
from the request canary.py sends. Prices come from prices.json, with their date
and source pages.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..observe import answer
from ..observe.canary import MAX_TOKENS, PROMPT
from ..tell import metrics
from .allowances import free_tier, kms_rotation_note
from .cost_fleet import ALARMS_PER_ADDED_REGION, fleet_items

PRICES = Path(__file__).with_name("prices.json")
MINUTES_PER_MONTH = 30 * 24 * 60  # 43,200: the month the issue and Synthetics quotes use
# Input tokens of the canary's request (one short user turn plus message framing), as
# the Messages API's usage reports count them for PROMPT; override with --input-tokens.
CANARY_INPUT_TOKENS = 8
DEFAULT_MEMORY_MB = 256
DEFAULT_DURATION_MS = 1000  # a cycle is mostly one short canary round trip to the API
KB_PER_CYCLE_ITEM = 1.0  # cycle, canary and state items each fit in one 1 KB write unit
LOG_BYTES_PER_CYCLE = 1800  # Lambda's START/END/REPORT, one summary line, EMF documents
LOG_BYTES_PER_MODEL = 400
NOTIFICATIONS_PER_MONTH = 30
DEFAULT_MODELS = ("claude-haiku-5-5",)
# Sampling (decide/score.py): CANARY_SAMPLES requests per model per cycle, and
# CANARY_BURST more while its score is suspicious. FAILURE_SHARE is the share of
# cycles that burst: `make replay` measures it at a 0.1% background (about 0.5%,
# docs/SIGNAL.md) and checks that this assumption stays above what it measures.
DEFAULT_SAMPLES = 2
DEFAULT_BURST = 10
DEFAULT_FAILURE_SHARE = 0.01
OPTIONAL = ("CloudWatch dashboard", "KMS key for the alert topic")
# Alarms a deployment's webhook topic forwards (the acting ones: heartbeat, function
# errors, dead-letter queue, API key unavailable), each an ALARM and an OK a month.
FORWARDED_ALARM_MESSAGES = 2 * 4
WEBHOOK_NAMES = (
    "SNS webhook topic publishes",
    "SNS HTTPS deliveries (webhooks and chat)",
    "Webhook dead-letter queue (SQS requests)",
)
SPARSE_METRICS = tuple(dict.fromkeys((*metrics.SPARSE_PER_MODEL, *metrics.SPARSE_GLOBAL)))


def alarms_per_region(models: int) -> int:
    """What infra/observability.py creates: 3 per model; heartbeat, API key unavailable,
    status page, function errors, dead-letter queue."""
    return 3 * models + 5


@dataclass
class Item:
    name: str
    region: str
    quantity: float
    unit: str
    unit_usd: float
    usd: float
    free_quantity: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["usd"] = round(self.usd, 4)
        return data


def runs_per_month(schedule: str) -> float:
    text = schedule.strip().lower()
    match = re.fullmatch(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)", text)
    if match:
        minutes = int(match.group(1)) * {"m": 1, "h": 60, "d": 1440}[match.group(2)[0]]
        if minutes < 1:
            raise ValueError(f"--schedule rate must be at least 1 minute, got {schedule!r}")
        return MINUTES_PER_MONTH / minutes
    if re.fullmatch(r"cron\(\*\s+\*\s+\*\s+\*\s+\?\s+\*\)", text):
        return MINUTES_PER_MONTH
    raise ValueError(
        f"--schedule must look like 'rate(1 minute)' or 'rate(5 minutes)', got {schedule!r}"
    )


def estimate(
    schedule: str = "rate(1 minute)",
    models: tuple[str, ...] = DEFAULT_MODELS,
    regions: tuple[str, ...] = ("us-east-1",),
    alarms: int | None = None,
    custom_metrics: int | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    duration_ms: int = DEFAULT_DURATION_MS,
    dashboard: bool = False,
    input_tokens: int = CANARY_INPUT_TOKENS,
    topic_key: bool = False,
    failure_share: float = DEFAULT_FAILURE_SHARE,
    burst: int = DEFAULT_BURST,
    samples: int = DEFAULT_SAMPLES,
    webhooks: int = 0,
    chat_channels: int = 0,
    bedrock_models: str | None = None,
    answer_check_every: int = 1,
) -> dict[str, Any]:
    """The monthly bill of a deployment. The dashboard and the topic's KMS key are
    opt-in (`-c dashboard=true`, `-c topicKey=true`); `optional` prices them anyway."""
    if not 0 <= failure_share <= 1:
        raise ValueError(f"--failure-share must be between 0 and 1, got {failure_share}")
    if burst < 1:
        raise ValueError(f"--burst must be at least 1, got {burst}")
    if not 0 <= answer_check_every <= 1440:
        raise ValueError(f"--answer-check-every must be 0 to 1440, got {answer_check_every}")
    if samples < 1:
        raise ValueError(f"--samples must be at least 1, got {samples}")
    if webhooks < 0 or chat_channels < 0:
        raise ValueError("--webhooks and --chat-channels must be 0 or more")
    prices = json.loads(PRICES.read_text())
    unknown = [m for m in models if m not in prices["models_per_mtok"]]
    if unknown:
        known = ", ".join(prices["models_per_mtok"])
        raise ValueError(f"no token price for {', '.join(unknown)}; known: {known}")
    from ..values import parse_bedrock_models
    from .bedrock_cost import bedrock_cost_lines

    try:
        bedrock = parse_bedrock_models(bedrock_models, models)
    except ValueError as exc:  # named as this command's options, one line
        text = str(exc).replace("BEDROCK_MODELS", "--bedrock-models")
        raise ValueError(text.replace("CANARY_MODELS", "--models")) from None
    runs = runs_per_month(schedule)
    n = len(models)
    alarms = alarms_per_region(n) + (1 if webhooks else 0) if alarms is None else alarms
    always = metrics.counts(n)["always"] if custom_metrics is None else custom_metrics
    requests_per_run = samples + failure_share * burst
    items: list[Item] = []
    # A fleet (several regions): the first is the home, the whole monitor; each other
    # region adds its probes, one write to the home table and its heartbeat alarm.
    for region in regions[:1]:
        items += _region_items(
            prices,
            region,
            runs,
            models,
            alarms,
            always,
            memory_mb,
            duration_ms,
            input_tokens,
            requests_per_run,
        )
        items += _channel_items(prices, region, webhooks, chat_channels)
        # The failover probe: one Converse request per mapped model per run, billed by
        # Bedrock at the profile's price (no free tier).
        items += [
            Item(region=region, **line) for line in bedrock_cost_lines(bedrock, runs, input_tokens)
        ]
        checks, skipped = answer.cost_lines(
            prices["models_per_mtok"],
            models,
            runs * requests_per_run,
            answer_check_every,
            MAX_TOKENS,
        )
        items += [Item(region=region, **line) for line in checks]
        items += [
            i
            for i in _optional_items(prices, region)
            if (i.name == OPTIONAL[0] and dashboard) or (i.name == OPTIONAL[1] and topic_key)
        ]

    def core(region: str, count: int) -> list[Item]:
        args = (memory_mb, duration_ms, input_tokens, requests_per_run)
        lines = _region_items(prices, region, runs, models, count, always, *args)
        lines += [Item(region=region, **b) for b in bedrock_cost_lines(bedrock, runs, input_tokens)]
        keyed = [i for i in _optional_items(prices, region) if i.name == OPTIONAL[1]]
        return lines + (keyed if topic_key else [])

    items += fleet_items(prices, regions, runs, core, Item)
    total = sum(i.usd for i in items)
    free = free_tier(prices, items, WEBHOOK_NAMES)
    synthetics = runs * len(regions) * prices["cloudwatch"]["synthetics_canary_run"]
    return {
        "total_usd": round(total, 2),
        "total_with_free_tier_usd": round(max(0.0, total - free), 2),
        "synthetics_usd": round(synthetics, 2),
        "items": [i.to_dict() for i in items],
        "optional": [
            {
                **i.to_dict(),
                "included": (i.name == OPTIONAL[0] and dashboard)
                or (i.name == OPTIONAL[1] and topic_key),
                "free_tier_note": (
                    "free within the always-free three dashboards per account"
                    if i.name == OPTIONAL[0]
                    else kms_rotation_note(prices["kms"])
                ),
            }
            for i in _optional_items(prices, regions[0])
        ],
        "assumptions": {
            "schedule": schedule,
            "runs_per_month_per_region": runs,
            "models": list(models),
            "regions": list(regions),
            "alarms_per_region": alarms,
            "alarms_per_added_region": ALARMS_PER_ADDED_REGION if len(regions) > 1 else None,
            "always_on_metrics_per_region": always,
            "sparse_metrics_per_region": metrics.counts(n)["sparse"],
            "memory_mb": memory_mb,
            "duration_ms": duration_ms,
            "dashboard": dashboard,
            "topic_key": topic_key,
            "canary_input_tokens": input_tokens,
            "canary_failure_share": failure_share,
            "canary_burst": burst,
            "canary_samples": samples,
            "webhooks": webhooks,
            "chat_channels": chat_channels,
            "canary_requests_per_run": round(requests_per_run, 4),
            "canary_output_tokens": MAX_TOKENS,
            "canary_prompt": PROMPT,
            "bedrock_models": bedrock,
            "answer_check_every": answer_check_every,
            "answer_check_prompt": answer.CHECK_PROMPT,
            "answer_check_output_tokens": answer.CHECK_MAX_TOKENS,
            "answer_check_skipped": skipped,
            "notifications_per_month": NOTIFICATIONS_PER_MONTH,
            "sparse_metrics_note": "published only in cycles where they are non-zero; "
            "prorated by the hour, about $0 in a healthy month",
            "sms_note": "SMS is priced per country and message; not included",
        },
        "prices_date": prices["date"],
        "prices_sources": prices["sources"],
    }


def _region_items(
    prices: dict[str, Any],
    region: str,
    runs: float,
    models: tuple[str, ...],
    alarms: int,
    always: int,
    memory_mb: int,
    duration_ms: int,
    input_tokens: int,
    requests_per_run: float,
) -> list[Item]:
    lam, ddb, cw = prices["lambda"], prices["dynamodb"], prices["cloudwatch"]
    n = len(models)
    gb_seconds = runs * duration_ms / 1000 * memory_mb / 1024
    # Transactional writes cost two units per KB and item: cycle, one per model, state.
    wru = runs * 2 * (2 + n) * KB_PER_CYCLE_ITEM
    stored_gb = runs * (1 + n) * 0.6 / 1024 / 1024 * 3  # ~0.6 KB items, 90 days kept
    log_gb = runs * (LOG_BYTES_PER_CYCLE + LOG_BYTES_PER_MODEL * n) / 1024**3
    items = [
        Item(
            "Lambda requests",
            region,
            runs,
            "requests",
            lam["request_per_million"] / 1e6,
            runs * lam["request_per_million"] / 1e6,
        ),
        Item(
            "Lambda duration (arm64)",
            region,
            gb_seconds,
            "GB-s",
            lam["arm64_gb_second"],
            gb_seconds * lam["arm64_gb_second"],
        ),
        Item(
            "DynamoDB writes",
            region,
            wru,
            "WRU",
            ddb["write_request_unit_per_million"] / 1e6,
            wru * ddb["write_request_unit_per_million"] / 1e6,
        ),
        Item(
            "DynamoDB reads",
            region,
            runs,
            "RRU",
            ddb["read_request_unit_per_million"] / 1e6,
            runs * ddb["read_request_unit_per_million"] / 1e6,
        ),
        Item(
            "DynamoDB storage",
            region,
            stored_gb,
            "GB-month",
            ddb["storage_gb_month"],
            stored_gb * ddb["storage_gb_month"],
        ),
        Item(
            "DynamoDB point-in-time recovery",
            region,
            stored_gb,
            "GB-month",
            ddb["pitr_gb_month"],
            stored_gb * ddb["pitr_gb_month"],
        ),
        Item(
            "CloudWatch custom metrics",
            region,
            always,
            "metrics",
            cw["custom_metric_month"],
            always * cw["custom_metric_month"],
        ),
        Item(
            "CloudWatch alarms",
            region,
            alarms,
            "alarms",
            cw["standard_alarm_month"],
            alarms * cw["standard_alarm_month"],
        ),
        Item(
            "CloudWatch Logs ingestion",
            region,
            log_gb,
            "GB",
            cw["logs_ingest_gb"],
            log_gb * cw["logs_ingest_gb"],
        ),
        Item(
            "CloudWatch Logs storage (30 days)",
            region,
            log_gb,
            "GB-month",
            cw["logs_store_gb_month"],
            log_gb * cw["logs_store_gb_month"],
        ),
        Item(
            "SNS publishes and emails",
            region,
            NOTIFICATIONS_PER_MONTH,
            "notifications",
            prices["sns"]["email_per_100k"] / 1e5,
            NOTIFICATIONS_PER_MONTH * prices["sns"]["email_per_100k"] / 1e5,
        ),
    ]
    for model in models:
        price = prices["models_per_mtok"][model]
        # The newer tokenizer counts the same prompt as more tokens; max_tokens caps output.
        tokens_in = input_tokens * price.get("tokenizer_factor", 1.0)
        per_request = (tokens_in * price["input"] + MAX_TOKENS * price["output"]) / 1e6
        requests = runs * requests_per_run
        items.append(
            Item(
                f"Canary tokens {model} ({tokens_in:g} in, {MAX_TOKENS} out)",
                region,
                requests,
                "requests",
                per_request,
                requests * per_request,
            )
        )
    return items


def _channel_items(
    prices: dict[str, Any], region: str, webhooks: int, chat_channels: int
) -> list[Item]:
    """Webhooks (-c webhooks=...): one more topic, a publish per notification and per
    forwarded alarm message, an HTTPS delivery per URL, a dead-letter queue (no
    requests while endpoints answer; its depth alarm is counted with the alarms).
    Chat channels: an HTTPS delivery per notification and alarm message to Amazon Q,
    which itself costs nothing extra."""
    sns, sqs = prices["sns"], prices["sqs"]
    items = []
    messages = NOTIFICATIONS_PER_MONTH + FORWARDED_ALARM_MESSAGES
    if webhooks:
        items.append(
            Item(
                WEBHOOK_NAMES[0],
                region,
                messages,
                "publishes",
                sns["publish_per_million"] / 1e6,
                messages * sns["publish_per_million"] / 1e6,
            )
        )
    deliveries = messages * (webhooks + chat_channels)
    if deliveries:
        items.append(
            Item(
                WEBHOOK_NAMES[1],
                region,
                deliveries,
                "deliveries",
                sns["https_per_million"] / 1e6,
                deliveries * sns["https_per_million"] / 1e6,
            )
        )
    if webhooks:
        items.append(
            Item(WEBHOOK_NAMES[2], region, 0, "requests", sqs["requests_per_million"] / 1e6, 0.0)
        )
    return items


def _optional_items(prices: dict[str, Any], region: str) -> list[Item]:
    cw, kms = prices["cloudwatch"], prices["kms"]
    return [
        Item(OPTIONAL[0], region, 1, "dashboards", cw["dashboard_month"], cw["dashboard_month"]),
        Item(OPTIONAL[1], region, 1, "keys", kms["customer_key_month"], kms["customer_key_month"]),
    ]
