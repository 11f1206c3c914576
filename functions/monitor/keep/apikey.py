"""Where the API key comes from: ANTHROPIC_API_KEY, or the SSM SecureString parameter
named by ANTHROPIC_API_KEY_PARAMETER (decrypted, cached five minutes by Powertools).
The same locally and in Lambda.

The SSM value is stripped of surrounding whitespace (`aws ssm put-parameter --value
file://key.txt` keeps the file's trailing newline) and checked like the variable:
printable ASCII without spaces. A bad value is a one-line error naming the
parameter, never quoting the value.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..config import key_problem


class KeyUnavailable(RuntimeError):
    """The SSM parameter holding the key could not be read (one line, no secret)."""


@lru_cache(maxsize=4)
def _provider(region: str | None, timeouts: tuple[float, float]) -> Any:
    """One SSM provider per container: its cache is what keeps SSM calls to one per 5 min.
    Its client makes one attempt with short timeouts, so a hanging SSM costs at most
    `Config.aws_call_s` of the cycle's deadline."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    from ..aws import aws_client

    return SSMProvider(boto3_client=aws_client("ssm", region, timeouts))


def _cause(exc: BaseException) -> str:
    """What went wrong, in AWS's words where it gave one: ParameterNotFound,
    AccessDeniedException, NoCredentialsError, a timeout. Powertools wraps the boto3
    error in GetParameterError, so look down the chain. Never the message text (it
    could quote a value)."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            break
        response = getattr(seen, "response", None)
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
            if code:
                return str(code)[:60]
        if type(seen).__name__ != "GetParameterError":
            return type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


def resolve_api_key(config: Any) -> str | None:
    if config.api_key or not config.api_key_parameter:
        return config.api_key
    name = config.api_key_parameter
    try:
        value = _provider(config.aws_region, config.aws_timeouts_s).get(
            name, decrypt=True, max_age=300
        )
    except Exception as exc:  # noqa: BLE001 - any failure reading the key is reported alike
        raise KeyUnavailable(f"cannot read SSM parameter {name}: {_cause(exc)}") from None
    if not value:
        return None
    key = str(value).strip()
    problem = key_problem(key)
    if problem:
        raise KeyUnavailable(f"SSM parameter {name} holds no usable key: the value {problem}")
    return key
