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
import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .models import (
    CLIENT_OUTCOMES,
    OK,
    PLATFORM_OUTCOMES,
    RATE_LIMITED,
    SKIPPED,
    SLOW,
    CanaryResult,
    CheckResult,
)

PROMPT = "Hi"
# One output token is all a liveness probe needs; no temperature or topP (the newest
# Claude models refuse some combinations of the two, and defaults are fine here).
MAX_TOKENS = 1
MAX_DETAIL = 300
PRICES = Path(__file__).with_name("bedrock_prices.json")

# A system (cross-Region) inference profile id is "<geo>.<model id>": us., eu., apac.,
# jp., au., ca., us-gov., global. A foundation-model id is "<provider>.<name>".
_MODEL_ID = re.compile(
    r"^(?:(?P<geo>[a-z]{2,6}(?:-gov)?)\.)?(?P<base>anthropic\.[a-z0-9][a-z0-9-]*(?::\d+)?)$"
)
# anthropic.claude-haiku-4-5-20251001-v1:0 -> claude-haiku-4-5
_FAMILY = re.compile(r"^anthropic\.(?P<family>claude-[a-z0-9-]+?)(?:-\d{8})?(?:-v\d+)?(?::\d+)?$")

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


@dataclass
class BedrockResult(CanaryResult):
    """A canary result for the Bedrock path; `model` is the monitored model's name."""

    # The Bedrock model or inference-profile id that was called.
    model_id: str = ""
    # Tokens Bedrock billed for this request: {"input_tokens", "output_tokens"}.
    usage: dict[str, int] = field(default_factory=dict)


def split_model_id(model_id: str) -> tuple[str | None, str]:
    """(geo prefix or None, foundation-model id) of a Bedrock model or profile id."""
    match = _MODEL_ID.match(model_id)
    if not match:
        raise ValueError(
            f"{model_id!r} is not an Anthropic model id on Bedrock "
            "(like anthropic.claude-haiku-4-5-20251001-v1:0, or with a us./eu./global. prefix)"
        )
    return match.group("geo"), match.group("base")


# A geographic profile is called from a source Region of its geography; from any other
# Region Bedrock answers "model identifier is invalid", every cycle. Prefixes not
# listed here (and global.) are not checked.
_GEO_REGIONS = {
    "us": ("us-",),
    "us-gov": ("us-gov-",),
    "eu": ("eu-",),
    "apac": ("ap-",),
    "jp": ("ap-",),
    "au": ("ap-",),
    "ca": ("ca-",),
}


def region_problem(model_id: str, region: str) -> str | None:
    """Why `model_id` cannot be called from `region`, or None (unknown cases pass)."""
    geo, _ = split_model_id(model_id)
    prefixes = _GEO_REGIONS.get(geo or "")
    if not prefixes or not region:
        return None
    fits = region.startswith(prefixes) and (geo == "us-gov" or not region.startswith("us-gov-"))
    if fits:
        return None
    return (
        f"{model_id!r} is a {geo}. inference profile, which cannot be called from {region}; "
        "use the profile of this Region's geography (or global.)"
    )


def parse_bedrock_models(raw: str | None, monitored: tuple[str, ...]) -> dict[str, str]:
    """BEDROCK_MODELS ("model=bedrock-id,...") -> {monitored model: Bedrock id}.

    Empty or unset means no Bedrock path. A model that is not in CANARY_MODELS is an
    error, not ignored: the failover advice pairs each Bedrock result with the API
    canary of the same model, so an unpaired entry would be a probe nobody reads.
    """
    if raw is None or not raw.strip():
        return {}
    mapping: dict[str, str] = {}
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        model, sep, model_id = (text.strip() for text in entry.partition("="))
        if not sep or not model or not model_id:
            raise ValueError(
                f"BEDROCK_MODELS entries must look like model=bedrock-model-id, got {entry!r}"
            )
        if model not in monitored:
            raise ValueError(
                f"BEDROCK_MODELS maps {model!r}, which is not in CANARY_MODELS "
                f"({', '.join(monitored)})"
            )
        if model in mapping:
            raise ValueError(f"BEDROCK_MODELS maps {model!r} twice")
        try:
            split_model_id(model_id)
        except ValueError as exc:
            raise ValueError(f"BEDROCK_MODELS: {exc}") from None
        mapping[model] = model_id
    return mapping


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


# -- what to do next ------------------------------------------------------------------

FAIL_OVER = "Claude answers on Amazon Bedrock right now: fail over there"
FAILING_EVERYWHERE = (
    "the model is failing everywhere: a model-level problem, not Anthropic's API alone"
)
BEDROCK_ONLY = (
    "Amazon Bedrock is failing for this model while Anthropic's API answers: "
    "failover to Bedrock would not work right now"
)
BEDROCK_UNUSABLE = "Amazon Bedrock cannot be used for failover either ({outcome}): check its access"


def bedrock_target(model: str) -> str:
    """The alert target of one model's Bedrock path, beside `canary:<model>`."""
    return f"bedrock:{model}"


def bedrock_observations(results: list[CanaryResult]) -> dict[str, tuple[str, str]]:
    """target -> (observed outcome, the good value), to merge into the cycle's observations.

    Recorded and shown like any target; only `overall` wakes people, so a Bedrock
    transition wakes nobody unless the integration asks for it.
    """
    return {bedrock_target(r.model): (r.outcome, OK) for r in results if r.outcome != SKIPPED}


def failover_steps(canaries: list[CanaryResult], bedrock: list[CanaryResult]) -> dict[str, str]:
    """model -> next step, for every model probed on both paths that has one.

    The API path is failing for a model when its canary neither passed nor was skipped.
    """
    api = {c.model: c for c in canaries}
    steps: dict[str, str] = {}
    for result in bedrock:
        canary = api.get(result.model)
        if canary is None or canary.outcome == SKIPPED or result.outcome == SKIPPED:
            continue
        passes = result.outcome in (OK, SLOW)
        advice = failover_advice(
            canary.outcome not in (OK, SLOW), passes, None if passes else result.outcome
        )
        if advice:
            steps[result.model] = advice
    return steps


def annotate(result: CheckResult) -> None:
    """Put the failover step into the result: `failover`, the summary and the next step.

    The verdict itself is left as `decide` made it (call this after every decide).
    With the API failing, the failover step comes first in the next step (its first
    sentence is what an SMS carries); with only Bedrock failing, the summary gets a
    note and the verdict's own next step stands.
    """
    steps = failover_steps(result.canaries, result.bedrock)
    result.failover = steps
    if not steps:
        return
    verdict = result.verdict
    api = {m: s for m, s in steps.items() if s != BEDROCK_ONLY}
    if api:
        text = _joined(api)
        from .verdict import next_step

        verdict.summary += f"; {text}"
        verdict.next_step = f"{text}. {next_step(verdict)}"
    noted = {m: s for m, s in steps.items() if s == BEDROCK_ONLY}
    if noted:
        verdict.summary += f"; note: {_joined(noted)}"


def _joined(steps: dict[str, str]) -> str:
    """One step said once when every model shares it, else each model's own."""
    if len(set(steps.values())) == 1:
        text = next(iter(steps.values()))
        return text if len(steps) == 1 else f"{text} ({', '.join(steps)})"
    return "; ".join(f"{model}: {step}" for model, step in steps.items())


def bedrock_ok(results: list[CanaryResult]) -> bool | None:
    """True: every Bedrock probe answered; False: one failed; None: no Bedrock path."""
    if not results:
        return None
    return all(r.outcome in (OK, SLOW) for r in results)


def failover_advice(
    api_failing: bool, bedrock_ok: bool | None, bedrock_outcome: str | None = None
) -> str | None:
    """The next step, from the two paths (the verdict itself is left unchanged).

    | API     | Bedrock | advice                       |
    | failing | passes  | fail over to Bedrock         |
    | failing | failing | failing everywhere           |
    | passes  | failing | a note about Bedrock         |
    | any     | none    | None (no Bedrock configured) |

    With `bedrock_outcome` given, a Bedrock failure that is the caller's own (access,
    throttling) is not read as evidence that the model itself is down.
    """
    if bedrock_ok is None:
        return None
    if api_failing and bedrock_ok:
        return FAIL_OVER
    if api_failing:
        if bedrock_outcome in CLIENT_OUTCOMES or bedrock_outcome == RATE_LIMITED:
            return BEDROCK_UNUSABLE.format(outcome=bedrock_outcome)
        return FAILING_EVERYWHERE
    if not bedrock_ok:
        return BEDROCK_ONLY
    return None


# -- cost -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _prices() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PRICES.read_text())
    return data


def bedrock_price_per_mtok(model_id: str) -> tuple[float, float]:
    """(input, output) USD per million tokens for a Bedrock model or profile id."""
    geo, base = split_model_id(model_id)
    match = _FAMILY.match(base)
    family = match.group("family") if match else base
    prices = _prices()
    entry = prices["models_per_mtok"].get(family)
    if entry is None:
        raise ValueError(f"no Bedrock price for {family!r} in {PRICES.name}")
    factor = 1.0
    if geo != "global" and entry.get("regional_premium"):
        # In-Region and geographic (us., eu., ...) endpoints cost more than global.
        factor += float(prices["regional_premium"])
    return float(entry["input"]) * factor, float(entry["output"]) * factor


def _tokenizer_factor(model_id: str) -> float:
    match = _FAMILY.match(split_model_id(model_id)[1])
    entry = _prices()["models_per_mtok"].get(match.group("family") if match else "", {})
    return float(entry.get("tokenizer_factor", 1.0))


def bedrock_token_cost_usd(
    model_id: str, input_tokens: int, output_tokens: int, cycles: float
) -> float:
    """List-price cost of `cycles` probes of `model_id`, each with the given tokens."""
    price_in, price_out = bedrock_price_per_mtok(model_id)
    # The 5.x tokenizer counts the same prompt as more tokens there too (as cost.py does
    # for the API canary); max_tokens caps the output.
    tokens_in = input_tokens * _tokenizer_factor(model_id)
    per_probe = (tokens_in * price_in + output_tokens * price_out) / 1_000_000
    return per_probe * cycles


def bedrock_cost_lines(
    model_ids: Mapping[str, str], runs: float, input_tokens: int
) -> list[dict[str, Any]]:
    """One cost line per mapped model, in `cost.Item`'s fields (add `region=`)."""
    lines = []
    for model, model_id in model_ids.items():
        per_run = bedrock_token_cost_usd(model_id, input_tokens, MAX_TOKENS, 1)
        tokens_in = round(input_tokens * _tokenizer_factor(model_id), 1)
        lines.append(
            {
                "name": f"Bedrock tokens {model} via {model_id} "
                f"({tokens_in:g} in, {MAX_TOKENS} out)",
                "quantity": runs,
                "unit": "requests",
                "unit_usd": per_run,
                "usd": runs * per_run,
            }
        )
    return lines
