"""The failover probe: the same Claude model through Amazon Bedrock, and where to go.

One minimal Converse request per mapped model, exactly one attempt (botocore's own
retries are off), classified into the canary outcomes the API canary uses, so the
verdict, the store and `history` can treat a Bedrock result like any other canary.

boto3 is synchronous. `run_bedrock_canary` is the plain sync call, bounded by the
client's socket timeouts; `probe_bedrock` is what the async cycle awaits: it runs each
call on its own daemon thread and returns by `timeout_s` whatever boto3 does (a thread
that overruns is abandoned, never joined, so it cannot hold the cycle or Lambda's exit).

boto3 and botocore are imported where they are used: a monitor without Bedrock never
pays their import at cold start.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ..models import (
    OK,
    PLATFORM_OUTCOMES,
    RATE_LIMITED,
    SLOW,
    BedrockResult,
)

PROMPT = "Hi"
# One output token is all a liveness probe needs; no temperature or topP (the newest
# Claude models refuse some combinations of the two, and defaults are fine here).
MAX_TOKENS = 1
MAX_DETAIL = 300

# Bedrock error codes (the `x-amzn-ErrorType` of the Converse API) -> canary outcome.
# Client side: the caller's account, role or request must change. Platform: Bedrock
# or the model failed to answer.
_CODE_OUTCOME = {
    "ThrottlingException": RATE_LIMITED,
    "ServiceQuotaExceededException": RATE_LIMITED,
    "AccessDeniedException": "permission_error",
    "ResourceNotFoundException": "model_not_found",
    "ValidationException": "invalid_request",
    "UnrecognizedClientException": "auth_error",
    "InvalidSignatureException": "auth_error",
    "IncompleteSignature": "auth_error",
    "InvalidClientTokenId": "auth_error",
    "ExpiredTokenException": "auth_error",
    "MissingAuthenticationToken": "auth_error",
    # Sent with HTTP 429 but it is capacity, not your quota: the model is not ready.
    "ModelNotReadyException": "overloaded",
    "ServiceUnavailableException": "server_error",
    "InternalServerException": "server_error",
    "InternalFailure": "server_error",
    "ModelErrorException": "server_error",
    "ModelTimeoutException": "timeout",
    "ModelStreamErrorException": "stream_error",
}
# A ValidationException about the model id itself means the id is wrong or retired.
_UNKNOWN_MODEL = re.compile(
    r"model identifier is invalid|invalid model|model id.*(?:invalid|not found|does not exist)"
    r"|end of (?:its )?life|no longer (?:available|supported)",
    re.I,
)
_STOP_REASONS = frozenset(
    {
        "end_turn",
        "tool_use",
        "max_tokens",
        "stop_sequence",
        "guardrail_intervened",
        "content_filtered",
        "model_context_window_exceeded",
    }
)


@lru_cache(maxsize=8)
def bedrock_client(region: str, timeout_s: float) -> Any:
    """A bedrock-runtime client: one attempt per call, every socket wait within timeout_s.

    Cached per (region, timeout), so a warm Lambda reuses it. It reads no variable of
    its own: boto3 finds credentials, and honours AWS_ENDPOINT_URL_BEDROCK_RUNTIME (the
    simulator in tests), by itself.
    """
    import boto3
    from botocore.config import Config as BotoConfig

    config = BotoConfig(
        connect_timeout=min(timeout_s, 5.0),
        read_timeout=timeout_s,
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=16,
    )
    client = boto3.session.Session().client("bedrock-runtime", region_name=region, config=config)
    _bound_answers(client)
    return client


# A one-token Converse answer or a Bedrock error is well under a kilobyte; anything
# near this is not Bedrock's (a proxy, a hostile endpoint), and is not read further.
MAX_BODY = 256 * 1024


class AnswerTooLarge(Exception):
    """An answer body above MAX_BODY (after decompression)."""


class _CappedBody:
    """The urllib3 response, its body read at most up to `limit` bytes."""

    def __init__(self, raw: Any, limit: int) -> None:
        self._raw, self._limit = raw, limit

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        total = 0
        for chunk in self._raw.stream(*args, **kwargs):
            total += len(chunk)
            if total > self._limit:
                self._raw.close()
                raise AnswerTooLarge(f"answer body above {self._limit // 1024} KiB")
            yield chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def _bound_answers(client: Any) -> None:
    """Cap what botocore reads of a Converse answer (it reads a body whole, unbounded).

    botocore lets a `before-send` handler supply the response: this one sends through
    the client's own HTTP session, body unread, then wraps it. If a botocore release moves
    the session, the cap is skipped rather than the probe broken.
    """
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    if session is None or not hasattr(session, "send"):
        return

    def send(request: Any, **_: Any) -> Any:
        # Not preloaded by the session (it would read the whole body there): the body
        # is read afterwards, by botocore, through the cap.
        request.stream_output = True
        response = session.send(request)
        response.raw = _CappedBody(response.raw, MAX_BODY)
        return response

    client.meta.events.register("before-send.bedrock-runtime.Converse", send)


def run_bedrock_canary(
    client: Any, model: str, model_id: str, timeout_s: float, slow_ms: int | None = None
) -> BedrockResult:
    """One Converse request, classified. Sync; never raises for what Bedrock does.

    `timeout_s` is enforced by the client's socket timeouts (see `bedrock_client`);
    use `probe_bedrock` from async code for a hard bound.
    """
    result = BedrockResult(model=model, model_id=model_id, outcome="network_error", attempts=1)
    result.requests = 1
    started = time.monotonic()
    try:
        response = client.converse(
            modelId=model_id,
            messages=[{"role": "user", "content": [{"text": PROMPT}]}],
            inferenceConfig={"maxTokens": MAX_TOKENS},
        )
    except Exception as exc:  # botocore's errors, classified below; nothing escapes
        _classify_error(result, exc)
    else:
        _read_answer(result, response)
        if result.outcome == OK:
            result.latency_ms = int((time.monotonic() - started) * 1000)
            if slow_ms is not None and result.latency_ms > slow_ms:
                result.outcome = SLOW
    if result.outcome in PLATFORM_OUTCOMES:
        result.failed_requests = 1
    _scrub_result(result)
    return result


# What an answer may carry that must not be stored or sent: a run of base64 as long as
# an AWS secret key (40) or a session token (hundreds), reflected by a hostile proxy
# from the signed request. ARNs, UUIDs and model ids never match (they have : - .).
_SECRET_LIKE = re.compile(r"[A-Za-z0-9+/=_]{40,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def _scrub(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = _CONTROL.sub(" ", _SECRET_LIKE.sub("[redacted]", text[: limit * 4]))
    return text[:limit]


def _scrub_result(result: BedrockResult) -> None:
    """Whatever came from the answer, bounded, one line, without credential-like runs."""
    result.detail = _scrub(result.detail, MAX_DETAIL)
    result.error_type = _scrub(result.error_type, 80)
    result.request_id = _scrub(result.request_id, 100)


def _read_answer(result: BedrockResult, response: Mapping[str, Any]) -> None:
    meta = response.get("ResponseMetadata") or {}
    result.http_status = meta.get("HTTPStatusCode")
    result.request_id = meta.get("RequestId") or None
    message = (response.get("output") or {}).get("message")
    stop = response.get("stopReason")
    if not isinstance(message, dict) or stop not in _STOP_REASONS:
        # Bedrock always names its request; an answer without an id is someone else's.
        result.outcome = "bad_response" if result.request_id else "intercepted"
        result.detail = "2xx answer is not a Converse answer"
        return
    result.outcome = OK
    result.stop_reason = stop
    usage = response.get("usage") or {}
    result.usage = {
        "input_tokens": int(usage.get("inputTokens") or 0),
        "output_tokens": int(usage.get("outputTokens") or 0),
    }


def _classify_error(result: BedrockResult, exc: Exception) -> None:
    from botocore import exceptions as bx
    from botocore.parsers import ResponseParserError

    if isinstance(exc, bx.ClientError):
        _classify_client_error(result, exc)
    elif isinstance(exc, bx.ConnectTimeoutError):
        result.outcome, result.error_type = "network_error", "connect_timeout"
    elif isinstance(exc, bx.ReadTimeoutError):
        result.outcome, result.error_type = "timeout", "read_timeout"
    elif isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        result.outcome, result.error_type = "auth_error", type(exc).__name__
    elif isinstance(exc, bx.ParamValidationError):
        result.outcome, result.error_type = "invalid_request", type(exc).__name__
    elif isinstance(exc, AnswerTooLarge | UnicodeDecodeError | ResponseParserError):
        # Too large, or not even text or JSON: no Converse answer or Bedrock error
        # looks like this; someone else answered.
        result.outcome, result.error_type = "intercepted", type(exc).__name__
    else:
        # EndpointConnectionError (DNS, refused), ConnectionClosedError (reset),
        # SSLError, ProxyConnectionError, and anything else that never got an answer.
        result.outcome, result.error_type = "network_error", type(exc).__name__
    if result.detail is None:
        result.detail = _describe(exc)


def _classify_client_error(result: BedrockResult, exc: Any) -> None:
    response = exc.response or {}
    error = response.get("Error") or {}
    meta = response.get("ResponseMetadata") or {}
    code = str(error.get("Code") or "")
    message = str(error.get("Message") or "")
    status = meta.get("HTTPStatusCode")
    result.http_status = status
    result.request_id = meta.get("RequestId") or None
    result.error_type = code or None
    result.detail = f"{code}: {message}" if message else code or None
    outcome = _CODE_OUTCOME.get(code)
    if outcome == "invalid_request" and _UNKNOWN_MODEL.search(message):
        outcome = "model_not_found"
    if outcome is None:
        if not result.request_id:
            # No Bedrock request id and no Bedrock error code: a proxy or portal answered.
            outcome = "intercepted"
        elif isinstance(status, int) and status >= 500:
            outcome = "server_error"
        elif status == 429:
            outcome = RATE_LIMITED
        elif status in (401, 403):
            outcome = "permission_error"
        else:
            outcome = "invalid_request"
    result.outcome = outcome


# botocore names the whole endpoint URL, model path included ("...%3A0/converse"):
# longer than a terminal line and no help. The scheme and host say where it failed.
_ENDPOINT_PATH = re.compile(r"(https?://[^\s/\"']+)[^\s\"']*")


def _describe(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    text = _ENDPOINT_PATH.sub(r"\1", text)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def probe_bedrock(
    client: Any, models: Mapping[str, str], timeout_s: float, slow_ms: int | None = None
) -> list[BedrockResult]:
    """Every mapped model at once, each on a daemon thread; returns by `timeout_s`.

    A call still running at the deadline is reported as `timeout` and left to finish
    on its own (its socket timeouts end it soon after); nothing waits for it.
    """
    loop = asyncio.get_running_loop()
    futures: list[asyncio.Future[BedrockResult]] = []
    for model, model_id in models.items():
        future: asyncio.Future[BedrockResult] = loop.create_future()
        thread = threading.Thread(
            target=_run_in_thread,
            args=(loop, future, client, model, model_id, timeout_s, slow_ms),
            name=f"bedrock-{model}",
            daemon=True,
        )
        thread.start()
        futures.append(future)
    if futures:
        await asyncio.wait(futures, timeout=timeout_s)
    results = []
    for future, (model, model_id) in zip(futures, models.items(), strict=True):
        if future.done():
            results.append(future.result())
        else:
            future.cancel()
            results.append(
                BedrockResult(
                    model=model,
                    model_id=model_id,
                    outcome="timeout",
                    attempts=1,
                    requests=1,
                    failed_requests=1,
                    detail=f"no answer from Bedrock within {timeout_s:.1f}s",
                )
            )
    return results


def _run_in_thread(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[BedrockResult],
    client: Any,
    model: str,
    model_id: str,
    timeout_s: float,
    slow_ms: int | None,
) -> None:
    result = run_bedrock_canary(client, model, model_id, timeout_s, slow_ms)

    def deliver() -> None:
        if not future.done():
            future.set_result(result)

    try:
        loop.call_soon_threadsafe(deliver)
    except RuntimeError:
        pass  # the cycle's loop has closed: nobody is waiting for this answer any more
