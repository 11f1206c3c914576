"""What an HTTP answer from the Messages API means: its outcome, and when to try again.

The edge rule: an answer with Anthropic's JSON error shape, a request id or Cloudflare's
marks came from the API's edge and is classified by its status; a 3xx, or a 4xx/5xx
without any of them, was made by something between us and the API (`intercepted`).
One exception: a 403 with Cloudflare's marks but neither the JSON error shape nor a
request id is a block page (Cloudflare Gateway, a WAF, a region block), not the API
refusing the key: `intercepted` too (BLOCKED), and the key is not blamed.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ..models import INTERCEPTED, CanaryResult

# A retry-after beyond a day is absurd: reported as a day.
MAX_RETRY_AFTER_S = 86_400.0
_STATUS_OUTCOME = {
    400: "invalid_request",
    401: "auth_error",
    402: "spend_limit",
    403: "permission_error",
    404: "model_not_found",
    413: "request_too_large",
    429: "rate_limited",
    529: "overloaded",
}
_RATELIMIT = re.compile(r"^anthropic-ratelimit-([a-z-]{1,40})-(limit|remaining)$")
_ASCII_INT = re.compile(r"[0-9]{1,15}")
_MAX_RATELIMIT_KEYS = 16
_SPEND = re.compile(r"credit balance|usage limit|spend(ing)? limit|billing", re.I)
NOT_THE_API = "a proxy, captive portal or firewall answered instead of the API"
BLOCKED = (
    "a block page (Cloudflare's marks, no Anthropic error): a firewall, secure web "
    "gateway or region block stopped the request before the API"
)


def _header(headers: Any, name: str) -> str:
    if not headers:
        return ""
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value or ""


def cloudflare_edge(headers: Any) -> bool:
    """Cloudflare's marks on an answer: Anthropic's CDN edge in front of the API."""
    return bool(_header(headers, "cf-ray")) or "cloudflare" in _header(headers, "server").lower()


def _error_shape(body: bytes) -> tuple[bool, str | None, str | None]:
    """(has Anthropic's error shape, error.type, error.message)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return False, None, None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return False, None, None
    error_type = error.get("type") if isinstance(error.get("type"), str) else None
    message = error.get("message") if isinstance(error.get("message"), str) else None
    shaped = data.get("type") == "error" and error_type is not None and message is not None
    return shaped, error_type, message


def classify_http(
    status: int, body: bytes, headers: Any = None
) -> tuple[str, str | None, str | None]:
    """(outcome, error_type, message) for a non-2xx answer (see the module docstring)."""
    shaped, error_type, message = _error_shape(body)
    if 300 <= status < 400:
        # The API never redirects; a captive portal or misrouted proxy does.
        return INTERCEPTED, None, f"HTTP {status} redirect: {NOT_THE_API}"
    request_id = bool(_header(headers, "request-id"))
    if status == 403 and not (shaped or request_id):
        return INTERCEPTED, None, f"HTTP 403 {BLOCKED}"
    anthropic = shaped or request_id or cloudflare_edge(headers)
    if not anthropic:
        return (
            INTERCEPTED,
            None,
            f"HTTP {status} without Anthropic's error shape or request id: {NOT_THE_API}",
        )
    if error_type == "billing_error" or (
        status in (400, 403) and message and _SPEND.search(message)
    ):
        return "spend_limit", error_type, message
    if status in _STATUS_OUTCOME:
        return _STATUS_OUTCOME[status], error_type, message
    if status >= 500:
        return "server_error", error_type, message or f"HTTP {status} from the API's edge"
    if status == 408:
        return "timeout", error_type, message
    # The API uses invalid_request_error for 4xx codes it does not list.
    return "invalid_request", error_type, message


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds from a `retry-after` (delta-seconds or HTTP-date); None if unusable.

    Never NaN or infinite (the JSON must stay valid), never negative, at most a day.
    """
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return round(min(seconds, MAX_RETRY_AFTER_S), 3)


def read_headers(result: CanaryResult, headers: Any) -> bool | None:
    """Record request id, rate limits and retry-after; return x-should-retry if given."""
    result.request_id = headers.get("request-id") or None
    for name, value in headers.items():
        match = _RATELIMIT.match(name.lower())
        if not match or len(result.ratelimit) >= _MAX_RATELIMIT_KEYS:
            continue
        # ASCII digits only: '²'.isdigit() is True and int('²') raises.
        if _ASCII_INT.fullmatch(value.strip()):
            kind = match.group(1).replace("-", "_")
            result.ratelimit[f"{kind}_{match.group(2)}"] = int(value.strip())
    retry_after = headers.get("retry-after")
    if retry_after:
        result.retry_after_s = parse_retry_after(retry_after)
    should_retry = (headers.get("x-should-retry") or "").strip().lower()
    return {"true": True, "false": False}.get(should_retry)
