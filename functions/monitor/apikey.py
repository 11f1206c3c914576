"""Where the API key comes from: ANTHROPIC_API_KEY, or the SSM SecureString parameter
named by ANTHROPIC_API_KEY_PARAMETER (decrypted, cached five minutes by Powertools).
The same locally and in Lambda."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


class KeyUnavailable(RuntimeError):
    """The SSM parameter holding the key could not be read (one line, no secret)."""


@lru_cache(maxsize=4)
def _provider(region: str | None) -> Any:
    """One SSM provider per container: its cache is what keeps SSM calls to one per 5 min."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    from .cycle import aws_client

    return SSMProvider(boto3_client=aws_client("ssm", region))


def resolve_api_key(config: Any) -> str | None:
    if config.api_key or not config.api_key_parameter:
        return config.api_key
    try:
        value = _provider(config.aws_region).get(
            config.api_key_parameter, decrypt=True, max_age=300
        )
    except Exception as exc:  # noqa: BLE001 - any failure reading the key is reported alike
        raise KeyUnavailable(
            f"cannot read SSM parameter {config.api_key_parameter}: {type(exc).__name__}"
        ) from None
    return str(value) if value else None
