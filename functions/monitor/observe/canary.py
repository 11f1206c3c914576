"""The canary: one tiny streaming Messages API request per model, classified.

Success is a well-formed stream that ends with `message_stop`; the reply's text
decides nothing, except on a sample that asks the answer check's question
(answer.py), whose text must then say "OK" (else `wrong_answer`, never retried).
A stream that begins with a thinking block (adaptive thinking), or ends with
`stop_reason` `max_tokens` or `refusal`, is a success of the platform: the stop
reason is recorded, never judged. Every result maps to exactly one outcome of the
contract.

Whose answer is it? Anthropic's API answers carry a `request-id` header, and its
errors a JSON body `{"type": "error", "error": {"type": ..., "message": ...}}`
(https://docs.claude.com/en/api/errors: "Error shapes", "Request id"). Its CDN edge
in front of the API (Cloudflare) answers some errors itself, as HTML pages with a
`cf-ray` header and `server: cloudflare` (the docs name Cloudflare as the source of
413 request_too_large; Cloudflare puts a `cf-ray` on every answer it serves:
https://developers.cloudflare.com/fundamentals/reference/http-headers/). A gateway
of your own behind Cloudflare carries the same marks; it is the path you chose, and
its 5xx count as the platform's. So:
- a 3xx is never the API's (it does not redirect): `intercepted`;
- a 4xx or 5xx counts as Anthropic's when it has the error shape, a `request-id`,
  or Cloudflare's marks (`cf-ray` or `server: cloudflare`); it is then classified
  by status (5xx `server_error`, 529 `overloaded`, ...). Without any of the three
  it came from something on the path (a proxy, captive portal, firewall):
  `intercepted`;
- a 2xx that is a Messages API answer (a stream starting with `message_start`, or a
  complete `message` JSON) is the API's, even without a request id (gateways may
  drop headers). A 2xx that is not one is `bad_response` when it carries a
  `request-id` (Anthropic answered wrongly) and `intercepted` otherwise.
Other headers a proxy may add (`x-request-id`, `via`) are not evidence either way.

Everything taken from the answer (detail, error type, request id, stop reason,
rate-limit names) is redacted of the key, in all its forms, before it leaves here.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from typing import Any

from ..models import (
    INTERCEPTED,
    OK,
    PLATFORM_OUTCOMES,
    RETRYABLE_OUTCOMES,
    SKIPPED,
    SLOW,
    WRONG_ANSWER,
    CanaryResult,
)
from . import answer
from .bounded import ACCEPT_ENCODING, BodyTooLarge, BodyUnreadable, iter_bounded, read_bounded
from .classify import NOT_THE_API, classify_http, read_headers
from .redaction import Redactor
from .redaction import redact as redact
from .sse import Event, SSEDecoder

MESSAGES_PATH = "/v1/messages"
ANTHROPIC_VERSION = "2023-06-01"
PROMPT = "Hi"
# One output token is all a liveness probe needs; it also keeps the canary's cost
# at its floor (see `cost`). The request must stay valid for every current model:
# no temperature/top_p/top_k, no assistant prefill, max_tokens of 16 or less.
MAX_TOKENS = 1
MAX_ERROR_BODY = 64 * 1024
# A one-token answer is a few KiB of SSE; anything near this is not the API's.
MAX_STREAM_BYTES = 1024 * 1024


class _StreamState:
    def __init__(self, started_at: float) -> None:
        self.started_at = started_at
        self.message_started = False
        self.stopped = False
        self.ttft_ms: int | None = None
        self.stop_reason: str | None = None
        # The answer's text (capped) and whether a thinking block came first.
        self.text = ""
        self.thought = False

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
        elif kind == "content_block_delta":
            if self.ttft_ms is None:
                # The first delta of any block, thinking included: the model is answering.
                self.ttft_ms = int((time.monotonic() - self.started_at) * 1000)
            self._delta(data.get("delta"))
        elif kind == "content_block_start":
            block = data.get("content_block")
            kind = block.get("type") if isinstance(block, dict) else None
            self.thought = self.thought or kind in ("thinking", "redacted_thinking")
        elif kind == "message_delta":
            # https://docs.claude.com/en/docs/build-with-claude/streaming and
            # https://docs.claude.com/en/api/messages (stop_reason): the stop
            # reason arrives in message_delta.delta (end_turn, max_tokens, refusal...).
            delta = data.get("delta")
            reason = delta.get("stop_reason") if isinstance(delta, dict) else None
            if isinstance(reason, str):
                self.stop_reason = reason
        elif kind == "message_stop":
            self.stopped = True
            return OK, None, "message_stop"
        return None

    def _delta(self, delta: Any) -> None:
        kind = delta.get("type") if isinstance(delta, dict) else None
        if kind == "text_delta" and isinstance(delta.get("text"), str):
            self.text = (self.text + delta["text"])[: answer.MAX_KEPT]
        elif kind in ("thinking_delta", "signature_delta") and not self.text:
            self.thought = True

    def ended(self) -> tuple[str, str | None, str]:
        if not self.message_started:
            return "bad_response", None, "2xx answer carried no Messages API events"
        return "stream_error", None, "stream ended without message_stop"


async def _error_body(response: Any) -> bytes:
    """The error body, decoded and capped; an unreadable one counts as empty."""
    try:
        return await read_bounded(response, MAX_ERROR_BODY)
    except (BodyTooLarge, BodyUnreadable):
        return b""


async def _consume_stream(response: Any, state: _StreamState) -> tuple[str, str | None, str]:
    decoder = SSEDecoder()
    try:
        async for chunk in iter_bounded(response, MAX_STREAM_BYTES):
            for event in decoder.feed(chunk):
                decided = state.handle(event)
                if decided:
                    return decided
    except (BodyTooLarge, BodyUnreadable) as exc:
        outcome = "stream_error" if state.message_started else "bad_response"
        return outcome, None, f"stream {exc}"
    for event in decoder.close():
        decided = state.handle(event)
        if decided:
            return decided
    return state.ended()


async def _non_stream_body(
    response: Any, result: CanaryResult, state: _StreamState
) -> tuple[str, str | None, str]:
    """A 2xx that is not SSE: only a complete Messages API JSON message counts."""
    try:
        body = await read_bounded(response, MAX_ERROR_BODY)
    except (BodyTooLarge, BodyUnreadable):
        body = b""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict) and data.get("type") == "message" and "content" in data:
        reason = data.get("stop_reason")
        result.stop_reason = reason if isinstance(reason, str) else None
        state.text, state.thought = answer.text_of(data)
        return OK, None, "non-streaming message"
    ctype = response.headers.get("content-type", "?").split(";")[0]
    return "bad_response", None, f"2xx answer is {ctype}, not a Messages API answer"


def request_body(model: str, check: bool = False) -> dict[str, Any]:
    """The canary request: valid for every current model (see MAX_TOKENS); with
    `check`, the answer check's question and max_tokens (answer.py)."""
    return {
        "model": model,
        "max_tokens": answer.CHECK_MAX_TOKENS if check else MAX_TOKENS,
        "stream": True,
        "messages": [{"role": "user", "content": answer.CHECK_PROMPT if check else PROMPT}],
    }


async def _exchange(
    client: Any,
    base_url: str,
    api_key: str,
    model: str,
    result: CanaryResult,
    started: float,
    check: bool = False,
) -> tuple[str, str | None, str | None]:
    headers = {
        "x-api-key": api_key,
        "anthropic-version": ANTHROPIC_VERSION,
        "content-type": "application/json",
        "accept": "text/event-stream",
        "accept-encoding": ACCEPT_ENCODING,
    }
    async with client.stream(
        "POST", base_url + MESSAGES_PATH, json=request_body(model, check), headers=headers
    ) as response:
        result.http_status = response.status_code
        should_retry = read_headers(result, response.headers)
        state = _StreamState(started)
        detail: str | None
        if not 200 <= response.status_code < 300:
            body = await _error_body(response)
            outcome, error_type, detail = classify_http(
                response.status_code, body, response.headers
            )
        elif "text/event-stream" in response.headers.get("content-type", ""):
            outcome, error_type, detail = await _consume_stream(response, state)
            result.ttft_ms, result.stop_reason = state.ttft_ms, state.stop_reason
        else:
            outcome, error_type, detail = await _non_stream_body(response, result, state)
        wrong = None
        if check and outcome == OK:
            wrong = answer.judge_into(result, state.text, state.thought, Redactor(api_key))
        if wrong:
            outcome, detail = WRONG_ANSWER, wrong
        if outcome == "bad_response" and not result.request_id:
            # Not a Messages answer and no request id: not Anthropic's (see above).
            outcome, detail = INTERCEPTED, f"{detail}, and no request id: {NOT_THE_API}"
        if should_retry is False and outcome in RETRYABLE_OUTCOMES:
            detail = f"{detail or outcome} (x-should-retry: false)"
            result.no_retry = True
        if 400 <= response.status_code < 500:
            # Never retried, whatever its outcome (a 408 is a `timeout`) or an
            # `x-should-retry: true` says: a 4xx is an answer, not a fault in transit.
            result.no_retry = True
        return outcome, error_type, detail


async def attempt(
    client: Any, base_url: str, api_key: str, model: str, check: bool = False
) -> CanaryResult:
    """One request, no retries, no time limit of its own (the caller bounds it).

    Never raises for what an upstream or a bad key does: any exception becomes this
    canary's outcome, so one odd answer never costs the rest of the probe.
    """
    import httpx

    result = CanaryResult(model=model, outcome="network_error", attempts=1)
    started = time.monotonic()
    error_type: str | None
    try:
        outcome, error_type, detail = await _exchange(
            client, base_url, api_key, model, result, started, check
        )
    except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        outcome, error_type = "network_error", "connect_timeout"
        detail = f"{_host(base_url)}: {_describe(exc)}"
    except httpx.TimeoutException as exc:
        outcome, error_type, detail = "timeout", None, _describe(exc)
    except httpx.HTTPError as exc:
        if result.http_status is not None:
            outcome, error_type, detail = "stream_error", None, _describe(exc)
        else:
            # Name the host: a DNS failure or refusal is about this name, on this network.
            outcome, error_type = "network_error", type(exc).__name__
            detail = f"{_host(base_url)}: {_describe(exc)}"
    except Exception as exc:  # noqa: BLE001 - one canary's trouble stays its own
        # E.g. a key httpx cannot put in a header (UnicodeEncodeError). The message
        # may quote the key or header, so only the exception's type is kept; a
        # retry would fail alike.
        outcome, error_type = "network_error", type(exc).__name__
        detail = f"could not complete the request: {type(exc).__name__}"
        result.no_retry = True
    elapsed_ms = int((time.monotonic() - started) * 1000)
    result.outcome, result.error_type = outcome, error_type
    result.detail = None if outcome == OK else detail
    if outcome in (OK, WRONG_ANSWER):
        result.latency_ms = elapsed_ms
    return scrub(result, Redactor(api_key))


def _one_line(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return text[:limit] or None


def scrub(result: CanaryResult, redactor: Redactor) -> CanaryResult:
    """Redact and bound every field that came from upstream."""
    result.detail = _one_line(redactor(result.detail or ""), 300)
    result.error_type = _one_line(redactor(result.error_type or ""), 80)
    result.request_id = _one_line(redactor(result.request_id or ""), 120)
    result.stop_reason = _one_line(redactor(result.stop_reason or ""), 40)
    if result.answer_got:  # redacted whole by answer.judge_into; again, as every field
        result.answer_got = answer.shown(redactor(result.answer_got))
    result.ratelimit = {
        (_one_line(redactor(key), 60) or "?"): value for key, value in result.ratelimit.items()
    }
    return result


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.hostname or url


def _describe(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def backoff_s(attempt_no: int, base_s: float, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: half fixed, half random."""
    ceiling = base_s * (2 ** (attempt_no - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class Tally:
    """Requests one model's canaries sent this cycle, kept outside the tasks so a
    canary cut off at the hard stop still counts its request in flight."""

    requests: int = 0
    failed: int = 0
    in_flight: int = 0


async def run_canary(
    client: Any,
    config: Any,
    model: str,
    api_key: str | None,
    deadline: float,
    rng: random.Random | None = None,
    tally: Tally | None = None,
    check: bool = False,
) -> CanaryResult:
    """Probe one model, retrying platform and network failures within `deadline`;
    with `check`, ask the answer check's question (a wrong answer is not retried)."""
    if not api_key:
        return CanaryResult(model=model, outcome=SKIPPED, detail="no ANTHROPIC_API_KEY", samples=0)
    rng = rng or random.Random()
    tally = tally if tally is not None else Tally()
    result = CanaryResult(model=model, outcome="timeout", detail="no time left for a request")
    for attempt_no in range(1, config.max_attempts + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        tally.requests += 1
        tally.in_flight += 1
        try:
            result = await asyncio.wait_for(
                attempt(client, config.anthropic_base_url, api_key, model, check), remaining
            )
        except TimeoutError:
            result = CanaryResult(
                model=model, outcome="timeout", detail="no answer by the deadline"
            )
        finally:
            tally.in_flight -= 1
        tally.failed += result.outcome in PLATFORM_OUTCOMES
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
