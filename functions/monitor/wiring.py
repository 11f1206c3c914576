"""The composition root: the clients, store and notifiers a configuration asks for.

The handler and the command line build their cycle here, once per container or run;
nothing else constructs an adapter.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from .aws import aws_client
from .config import Config
from .cycle import LOCAL_CALL_S, Budget, Cycle
from .decide.vote import in_fleet, is_home
from .keep.regions import RegionStore
from .keep.store import Store
from .models import CheckResult
from .tell.notifiers import ConsoleNotifier, Notifier

# A command line reading history (`history`, `report`) has no cycle deadline: a month
# of Query pages may take longer than the cycle's 2 s read timeout, and a Query is
# idempotent, so it may be retried (botocore's standard mode: 3 attempts).
READER_TIMEOUTS_S = (5.0, 30.0)
READER_ATTEMPTS = 3


def build_store(config: Config, reader: bool = False) -> Store:
    """DynamoDB when TABLE_NAME is set, the local SQLite file otherwise. `reader`: for
    a command line that reads history, with longer timeouts and retries."""
    if config.table_name:
        from .keep.dynamo import DynamoStore

        timeouts = READER_TIMEOUTS_S if reader else config.aws_timeouts_s
        attempts = READER_ATTEMPTS if reader else 1
        return DynamoStore(
            config.table_name,
            aws_client("dynamodb", config.aws_region, timeouts, attempts),
            config.retention_days,
        )
    from .keep.sqlite import SqliteStore

    return SqliteStore(config.local_db_path, config.retention_days)


def build_regions(config: Config, store: Store) -> RegionStore | None:
    """A fleet's regional items: in the home's table (this one's, or HOME_TABLE_NAME in
    the home's Region), or the local SQLite file. None outside a fleet."""
    if not in_fleet(config):
        return None
    from .keep.regions import DynamoRegions, SqliteRegions

    if config.table_name and is_home(config):
        return DynamoRegions(config.table_name, getattr(store, "client", None))
    if config.home_table_name:
        client = aws_client("dynamodb", config.home_region, config.aws_timeouts_s)
        return DynamoRegions(config.home_table_name, client)
    return SqliteRegions(config.local_db_path)


def build_cycle(config: Config) -> Cycle:
    """The adapters the configuration asks for: AWS when named, local otherwise."""
    notifier, webhooks = build_notifiers(config)
    uses_sns = bool(config.topic_arn or config.webhook_topic_arn)
    store = build_store(config)
    remote = config.table_name or (config.home_table_name and not is_home(config))
    return Cycle(
        config=config,
        store=store,
        notifier=notifier,
        webhooks=webhooks,
        regions=build_regions(config, store),
        store_call_s=config.aws_call_s if remote else LOCAL_CALL_S,
        notify_call_s=config.aws_call_s if uses_sns else LOCAL_CALL_S,
        bedrock_client=build_bedrock_client(config),
    )


def build_notifiers(
    config: Config, console: Notifier | None = None
) -> tuple[Notifier, Notifier | None]:
    """The alert topic's notifier (SNS with TOPIC_ARN, else `console` or the terminal)
    and the webhook topic's (WEBHOOK_TOPIC_ARN), one SNS client for both."""
    notifier: Notifier = console or ConsoleNotifier()
    webhooks: Notifier | None = None
    sns = None
    if config.topic_arn or config.webhook_topic_arn:
        sns = aws_client("sns", config.aws_region, config.aws_timeouts_s)
    if config.topic_arn:
        from .tell.notifiers import SnsNotifier

        notifier = SnsNotifier(config.topic_arn, sns)
    if config.webhook_topic_arn:
        from .tell.notifiers import WebhookNotifier

        webhooks = WebhookNotifier(config.webhook_topic_arn, sns)
    return notifier, webhooks


def build_bedrock_client(config: Config) -> Any:
    """The bedrock-runtime client for BEDROCK_MODELS, or None without it. Its socket
    timeouts are the probe budget; the probe itself returns by the cycle's window."""
    if not config.bedrock_models:
        return None
    from .config import ConfigError
    from .observe.bedrock import bedrock_client

    try:
        return bedrock_client(config.aws_region or "", config.probe_budget_s)
    except Exception as exc:  # noqa: BLE001 - e.g. a malformed Region name
        raise ConfigError(
            f"AWS_REGION {str(config.aws_region)[:40]!r} cannot serve BEDROCK_MODELS: "
            f"{type(exc).__name__}"
        ) from None


def run_local_check(config: Config) -> CheckResult:
    """The command line's cycle: a key that cannot be read is an error (exit 3)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    budget = Budget.start(config.deadline_s)
    cycle = build_cycle(config)
    return cycle.run(cycle.read_key(budget), datetime.now(UTC), budget=budget)
