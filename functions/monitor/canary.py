"""The canary: one tiny streaming Messages API request per model, classified.

Success is a well-formed stream that ends with `message_stop`; the reply's text
never decides it. Every result maps to exactly one outcome of the contract.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from typing import Any

from .models import OK, RETRYABLE_OUTCOMES, SKIPPED, SLOW, CanaryResult
from .sse import Event, SSEDecoder

MESSAGES_PATH = "/v1/messages"
ANTHROPIC_VERSION = "2023-06-01"
PROMPT = "Hi"
# One output token is all a liveness probe needs; it also keeps the canary's cost
# at its floor (see `cost`). The contract allows up to 16.
MAX_TOKENS = 1
MAX_ERROR_BODY = 64 * 1024
_SPEND = re.compile(r"credit balance|usage limit|spend(ing)? limit|billing", re.I)
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
_RATELIMIT = re.compile(r"^anthropic-ratelimit-([a-z-]+)-(limit|remaining)$")


def redact(text: str, secret: str | None) -> str:
    """Remove the key from any text that may leave the process."""
    if secret and secret in text:
        text = text.replace(secret, "[redacted]")
    return text


def classify_http(status: int, body: bytes) -> tuple[str, str | None, str | None]:
    """(outcome, error_type, message) for a non-2xx answer."""
    error_type = message = None
    try:
        data = json.loads(body)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            error_type = error.get("type") if isinstance(error.get("type"), str) else None
            message = error.get("message") if isinstance(error.get("message"), str) else None
    except (ValueError, RecursionError):
        pass
    if error_type == "billing_error" or (
        status in (400, 403) and message and _SPEND.search(message)
    ):
        return "spend_limit", error_type, message
    if status in _STATUS_OUTCOME:
        return _STATUS_OUTCOME[status], error_type, message
    if 300 <= status < 400:
        # The API never redirects; a captive portal or misrouted proxy does.
        return "bad_response", error_type, message or f"HTTP {status} redirect, not the API"
    if status >= 500:
        return "server_error", error_type, message
    if status == 408:
        return "timeout", error_type, message
    # The API uses invalid_request_error for 4xx codes it does not list.
    return "invalid_request", error_type, message


def _read_headers(result: CanaryResult, headers: Any) -> bool | None:
    """Record request id, rate limits and retry-after; return x-should-retry if given."""
    result.request_id = headers.get("request-id") or headers.get("x-request-id")
    for name, value in headers.items():
        match = _RATELIMIT.match(name.lower())
        if match and value.strip().isdigit():
            kind = match.group(1).replace("-", "_")
            result.ratelimit[f"{kind}_{match.group(2)}"] = int(value)
    retry_after = headers.get("retry-after")
    if retry_after:
        try:
            result.retry_after_s = float(retry_after)
        except ValueError:
            pass  # an HTTP date: reported in detail only
    should_retry = (headers.get("x-should-retry") or "").strip().lower()
    return {"true": True, "false": False}.get(should_retry)


class _StreamState:
    def __init__(self, started_at: float) -> None:
        self.started_at = started_at
        self.message_started = False
        self.stopped = False
        self.ttft_ms: int | None = None

    def handle(self, event: Event) -> tuple[str, str | None, str] | None:
        """Apply one event; return (outcome, error_type, detail) when the stream is decided."""
        try:
            data = json.loads(event.data) if event.data.strip() else {}
        except (ValueError, RecursionError):
            data = None
        kind = data.get("type") if isinstance(data, dict) else None
        kind = kind if isinstance(kind, str) else event.event
        if kind == "ping":
            return None
        if kind == "error":
            error = data.get("error") if isinstance(data, dict) else None
            error_type = error.get("type") if isinstance(error, dict) else None
            return (
                "stream_error",
                error_type if isinstance(error_type, str) else None,
                ("error event in the stream"),
            )
        if data is None:
            if self.message_started:
                return "stream_error", None, "malformed event data in the stream"
            return "bad_response", None, "2xx stream is not a Messages API stream"
        if not self.message_started:
            if kind != "message_start":
                return "bad_response", None, f"stream began with {kind!r}, not message_start"
            self.message_started = True
        elif kind == "content_block_delta" and self.ttft_ms is None:
            self.ttft_ms = int((time.monotonic() - self.started_at) * 1000)
        elif kind == "message_stop":
            self.stopped = True
            return OK, None, "message_stop"
        return None

    def ended(self) -> tuple[str, str | None, str]:
        if not self.message_started:
            return "bad_response", None, "2xx answer carried no Messages API events"
        return "stream_error", None, "stream ended without message_stop"


async def _read_capped(response: Any) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_ERROR_BODY:
            break
    return bytes(body)


async def _consume_stream(response: Any, state: _StreamState) -> tuple[str, str | None, str]:
    decoder = SSEDecoder()
    async for chunk in response.aiter_bytes():
        for event in decoder.feed(chunk):
            decided = state.handle(event)
            if decided:
                return decided
    for event in decoder.close():
        decided = state.handle(event)
        if decided:
            return decided
    return state.ended()


async def _non_stream_body(response: Any) -> tuple[str, str | None, str]:
    """A 2xx that is not SSE: only a complete Messages API JSON message counts."""
    body = await _read_capped(response)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict) and data.get("type") == "message" and "content" in data:
        return OK, None, "non-streaming message"
    ctype = response.headers.get("content-type", "?").split(";")[0]
    return "bad_response", None, f"2xx answer is {ctype}, not a Messages API answer"


async def attempt(client: Any, base_url: str, api_key: str, model: str) -> CanaryResult:
    """One request, no retries, no time limit of its own (the caller bounds it)."""
    import httpx

    result = CanaryResult(model=model, outcome="network_error", attempts=1)
    headers = {
        "x-api-key": api_key,
        "anthropic-version": ANTHROPIC_VERSION,
        "content-type": "application/json",
        "accept": "text/event-stream",
    }
    payload = {
        "model": model,
        "max_tokens": MAX_TOKENS,
        "stream": True,
        "messages": [{"role": "user", "content": PROMPT}],
    }
    started = time.monotonic()
    got_headers = False
    try:
        async with client.stream(
            "POST", base_url + MESSAGES_PATH, json=payload, headers=headers
        ) as response:
            got_headers = True
            result.http_status = response.status_code
            should_retry = _read_headers(result, response.headers)
            if not 200 <= response.status_code < 300:
                body = await _read_capped(response)
                outcome, error_type, detail = classify_http(response.status_code, body)
            elif "text/event-stream" in response.headers.get("content-type", ""):
                state = _StreamState(started)
                outcome, error_type, detail = await _consume_stream(response, state)
                result.ttft_ms = state.ttft_ms
            else:
                outcome, error_type, detail = await _non_stream_body(response)
            if should_retry is False and outcome in RETRYABLE_OUTCOMES:
                detail = f"{detail or outcome} (x-should-retry: false)"
                result.no_retry = True
    except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        outcome, error_type, detail = "network_error", "connect_timeout", _describe(exc)
    except httpx.TimeoutException as exc:
        outcome, error_type, detail = "timeout", None, _describe(exc)
    except httpx.HTTPError as exc:
        if got_headers:
            outcome, error_type, detail = "stream_error", None, _describe(exc)
        else:
            outcome, error_type, detail = "network_error", type(exc).__name__, _describe(exc)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    result.outcome, result.error_type = outcome, error_type
    result.detail = None if outcome == OK else (redact(detail or "", api_key)[:300] or None)
    if outcome == OK:
        result.latency_ms = elapsed_ms
    return result


def _describe(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def backoff_s(attempt_no: int, base_s: float, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: half fixed, half random."""
    ceiling = base_s * (2 ** (attempt_no - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


async def run_canary(
    client: Any,
    config: Any,
    model: str,
    api_key: str | None,
    deadline: float,
    rng: random.Random | None = None,
) -> CanaryResult:
    """Probe one model, retrying platform and network failures within `deadline`."""
    if not api_key:
        return CanaryResult(model=model, outcome=SKIPPED, detail="no ANTHROPIC_API_KEY")
    rng = rng or random.Random()
    result = CanaryResult(model=model, outcome="timeout", detail="no time left for a request")
    for attempt_no in range(1, config.max_attempts + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            result = await asyncio.wait_for(
                attempt(client, config.anthropic_base_url, api_key, model), remaining
            )
        except TimeoutError:
            result = CanaryResult(
                model=model, outcome="timeout", detail="no answer by the deadline"
            )
        result.attempts = attempt_no
        if result.outcome not in RETRYABLE_OUTCOMES or result.no_retry:
            break
        if attempt_no == config.max_attempts:
            break
        pause = backoff_s(attempt_no, config.retry_base_s, rng)
        if time.monotonic() + pause >= deadline:
            break
        await asyncio.sleep(pause)
    slow = result.latency_ms is not None and result.latency_ms > config.latency_slow_ms
    if result.outcome == OK and slow:
        result.outcome = SLOW
    return result
