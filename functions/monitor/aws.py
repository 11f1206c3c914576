"""boto3 clients for the adapters: one attempt per call, and the cycle's timeouts."""

from __future__ import annotations

from typing import Any


def aws_client(service: str, region: str | None, timeouts: tuple[float, float]) -> Any:
    """A boto3 client making exactly one attempt with short timeouts (built once per
    container: `build_cycle` runs once, the SSM provider is cached).

    One attempt: a publish retried after a timed-out success sends the message twice
    (SNS Publish is not idempotent), and three attempts of 2 s each would eat the
    deadline. The outbox, the backlog and the next cycle are the retries. botocore's
    `total_max_attempts` counts the first attempt:
    https://docs.aws.amazon.com/boto3/latest/guide/retries.html
    """
    import boto3
    from botocore.config import Config as BotoConfig

    connect, read = timeouts
    return boto3.client(
        service,
        region_name=region,
        config=BotoConfig(
            connect_timeout=connect,
            read_timeout=read,
            retries={"total_max_attempts": 1, "mode": "standard"},
        ),
    )
