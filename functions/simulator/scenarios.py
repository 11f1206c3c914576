"""The simulator's scenarios: what the status page and the Messages API answer in each.

A scenario fixes what the page and the API answer; a timeline is a list of
scenarios, one per step of `step_seconds`, so an outage can unfold over time.

Scenarios for answers that are not Anthropic's (the canary says `intercepted`):
`proxy_404` (empty body, no request id), `captive_portal` (302 to a login page),
`proxy_502` (HTML, `server: nginx`, no cf-ray), `proxy_200_html` (a 200 HTML page
without request id). Anthropic's own odd answers: `cloudflare_502` and
`cloudflare_503` (its CDN edge's HTML error pages, with cf-ray: `server_error`),
`bad_response` (200 HTML with a request id) and `anthropic_200_json` (200 JSON
that is not a message, with a request id): `bad_response`. `cloudflare_403_block`
(a 403 block page with Cloudflare's marks, no Anthropic error): `intercepted`.
`stream_mixed_case_type`: a valid stream sent as `Text/Event-Stream`: `ok`.
Stream shapes that are success: `thinking_stream` (begins with a thinking block),
`stop_max_tokens`, `stop_refusal`. Well-formed streams with the wrong text (the
answer check says `wrong_answer`): `wrong_answer` (a fluent but wrong reply),
`garbled` (right length, wrong script), `empty_text` (an empty text block).
Hostile answers: `reflect_key` and `reflect_key_stream` (the key echoed into
error.type, request-id and body, or into the stop reason and text), `page_gzip_bomb`,
`api_error_gzip_bomb`, `stream_gzip_bomb` (200 KiB of gzip that inflate to about
200 MiB), `page_redirect_elsewhere`.
Partial outages: `fail_every_4`, `fail_every_10` (scenarios) and the timelines
`partial_outage_25`, `partial_outage_10`, `model_named_incident`,
`claude_ai_only`.
"""

from __future__ import annotations

from dataclasses import dataclass

API_COMPONENT = "Claude API (api.anthropic.com)"


@dataclass(frozen=True)
class Page:
    api_status: str = "operational"
    incident: str | None = None  # impact of the one unresolved incident, if any
    maintenance: bool = False
    mode: str = "json"  # json | html | truncated | empty | http500 | hang | minimal
    #                     | redirect | redirect_elsewhere | gzip_bomb
    incident_name: str = "Elevated errors on the Claude API"
    incident_component: str | None = "api"  # api | claude.ai | None
    incident_created_at: str | None = None  # None: now
    incident_started_at: str | None = None
    incident_status: str = "investigating"
    incident_body: str = "We are investigating elevated error rates."


@dataclass(frozen=True)
class Api:
    mode: str = "ok"  # ok | slow | http | stream_error | stream_error_first | truncated
    #                   | html200 | redirect | hang | reset | raw | reflect_key
    #                   | reflect_key_stream | error_gzip_bomb | stream_gzip_bomb
    status: int = 200
    error_type: str = ""
    message: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    # mode "raw": this body and content type, and Anthropic's headers only if asked.
    body: bytes = b""
    ctype: str = "text/html"
    anthropic_headers: bool = False
    # Stream shape: "text", or "thinking" (a thinking block first); and its stop reason.
    shape: str = "text"
    stop_reason: str = "end_turn"
    # The stream's content type (media types are case-insensitive).
    stream_ctype: str = "text/event-stream; charset=utf-8"
    # Every fail_every-th Messages request fails with fail_status (0: never).
    fail_every: int = 0
    fail_status: int = 500
    # The answer's text (the check's question expects "OK").
    text: str = "OK"


# A fluent answer to another question, and "OK" in another script at the same length.
WRONG_TEXT = "Sure! How can I help you today?"
GARBLED_TEXT = "好的"


def _http(status: int, error_type: str, message: str, *headers: tuple[str, str]) -> Api:
    return Api("http", status, error_type, message, tuple(headers))


def _raw(status: int, body: bytes, ctype: str, *headers: tuple[str, str], anthropic=False) -> Api:
    return Api(
        "raw", status, headers=tuple(headers), body=body, ctype=ctype, anthropic_headers=anthropic
    )


_CF_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
    b"Gateway</h1></center><hr><center>cloudflare</center></body></html>"
)
_CF = (("server", "cloudflare"), ("cf-ray", "8e6f1a2b3c4d5e6f-SJC"))
_CF_BLOCK = (
    b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
    b"<body><h1>Sorry, you have been blocked</h1><p>This website is using a security "
    b"service to protect itself.</p><p>Cloudflare Ray ID: 8e6f1a2b3c4d5e6f</p></body></html>"
)


SCENARIOS: dict[str, tuple[Page, Api]] = {
    "healthy": (Page(), Api()),
    "slow": (Page(), Api("slow")),
    "auth_error": (Page(), _http(401, "authentication_error", "invalid x-api-key")),
    "permission_error": (
        Page(),
        _http(
            403,
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
        ),
    ),
    "model_not_found": (Page(), _http(404, "not_found_error", "model: claude-nonexistent")),
    "invalid_request": (Page(), _http(400, "invalid_request_error", "max_tokens: Field required")),
    "request_too_large": (
        Page(),
        _http(413, "request_too_large", "Request exceeds the maximum size"),
    ),
    "spend_limit": (
        Page(),
        _http(
            400,
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API.",
        ),
    ),
    "rate_limited": (
        Page(),
        _http(
            429,
            "rate_limit_error",
            "Number of requests has exceeded your rate limit",
            ("retry-after", "17"),
        ),
    ),
    "server_error": (Page(), _http(500, "api_error", "Internal server error")),
    "server_error_no_retry": (
        Page(),
        _http(500, "api_error", "Internal server error", ("x-should-retry", "false")),
    ),
    "overloaded": (Page(), _http(529, "overloaded_error", "Overloaded")),
    # A 4xx that asks to be retried (as SDKs retry 408): the contract retries no 4xx.
    "request_timeout": (
        Page(),
        _http(408, "timeout_error", "Request timed out", ("x-should-retry", "true")),
    ),
    "stream_error": (Page(), Api("stream_error")),
    "stream_error_first": (Page(), Api("stream_error_first")),
    "truncated_stream": (Page(), Api("truncated")),
    "bad_response": (Page(), Api("html200")),
    "api_hang": (Page(), Api("hang")),
    "api_reset": (Page(), Api("reset")),
    "outage": (
        Page("major_outage", incident="major"),
        _http(529, "overloaded_error", "Overloaded"),
    ),
    "maintenance": (
        Page("under_maintenance", maintenance=True),
        _http(529, "overloaded_error", "Overloaded"),
    ),
    "degraded_page": (Page("degraded_performance"), Api()),
    "incident": (Page(incident="minor"), Api()),
    "page_major_outage": (Page("major_outage", incident="critical"), Api()),
    "page_unknown_status": (Page("investigating_weirdly"), Api()),
    "page_minimal": (Page(mode="minimal"), Api()),
    "page_html": (Page(mode="html"), Api()),
    "page_truncated": (Page(mode="truncated"), Api()),
    "page_empty": (Page(mode="empty"), Api()),
    "page_500": (Page(mode="http500"), Api()),
    "page_hang": (Page(mode="hang"), Api()),
    "page_moved": (Page(mode="redirect"), Api()),
    "page_redirect_elsewhere": (Page(mode="redirect_elsewhere"), Api()),
    "page_gzip_bomb": (Page(mode="gzip_bomb"), Api()),
    "captive_portal": (Page(), Api("redirect")),
    # Answers that are not Anthropic's: the network path.
    "proxy_404": (Page(), _raw(404, b"", "text/plain")),
    "proxy_502": (
        Page(),
        _raw(
            502,
            b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>",
            "text/html",
            ("server", "nginx"),
            ("x-request-id", "3f2a9c"),
        ),
    ),
    "proxy_200_html": (
        Page(),
        _raw(
            200,
            b"<html><title>Access policy</title>Blocked by your administrator</html>",
            "text/html",
        ),
    ),
    # Anthropic's own odd answers: its CDN edge, and a 2xx that is not the API's.
    "cloudflare_502": (Page(), _raw(502, _CF_PAGE, "text/html", *_CF)),
    "cloudflare_503": (
        Page(),
        _raw(
            503, _CF_PAGE.replace(b"502 Bad Gateway", b"503 Service Unavailable"), "text/html", *_CF
        ),
    ),
    # A valid stream whose content type is in another case.
    "stream_mixed_case_type": (Page(), Api(stream_ctype="Text/Event-Stream; Charset=UTF-8")),
    # Cloudflare Gateway or a WAF's block page: Cloudflare's marks, no Anthropic error.
    "cloudflare_403_block": (Page(), _raw(403, _CF_BLOCK, "text/html", *_CF)),
    "anthropic_200_json": (
        Page(),
        _raw(200, b'{"status": "ok", "service": "edge"}', "application/json", anthropic=True),
    ),
    # Stream shapes that are a success of the platform.
    "thinking_stream": (Page(), Api(shape="thinking")),
    "stop_max_tokens": (Page(), Api(stop_reason="max_tokens")),
    "stop_refusal": (Page(), Api(stop_reason="refusal")),
    # Well-formed streams that say the wrong thing (the answer check fails them).
    "wrong_answer": (Page(), Api(text=WRONG_TEXT)),
    "garbled": (Page(), Api(text=GARBLED_TEXT)),
    "empty_text": (Page(), Api(text="")),
    # Hostile answers.
    "reflect_key": (Page(), Api("reflect_key", 500)),
    "reflect_key_stream": (Page(), Api("reflect_key_stream")),
    "api_error_gzip_bomb": (Page(), Api("error_gzip_bomb", 500)),
    "stream_gzip_bomb": (Page(), Api("stream_gzip_bomb")),
    # Partial outages: every k-th request fails, the rest pass.
    "fail_every_4": (Page(), Api(fail_every=4, fail_status=529)),
    "fail_every_10": (Page(), Api(fail_every=10, fail_status=500)),
    "model_failing_unconfirmed": (Page(), Api(fail_every=1, fail_status=529)),
    "model_incident_no_component": (
        Page(
            incident="none",
            incident_name="Elevated errors on Claude Haiku 5.5",
            incident_component=None,
            incident_body="We are investigating elevated errors on Claude Haiku 5.5.",
        ),
        Api(fail_every=1, fail_status=529),
    ),
    "claude_ai_incident": (
        Page(
            incident="minor",
            incident_name="Elevated errors on claude.ai",
            incident_component="claude.ai",
            incident_body="Some users see errors on claude.ai. The API is not affected.",
        ),
        Api(),
    ),
}

TIMELINES: dict[str, list[str]] = {
    # Healthy, then 529s the status page confirms two steps later, then recovery.
    "outage_timeline": [
        "healthy",
        "healthy",
        "overloaded",
        "overloaded",
        "outage",
        "outage",
        "outage",
        "healthy",
        "healthy",
        "healthy",
    ],
    # Bad and good on alternate steps: hysteresis must keep quiet.
    "flapping": ["healthy", "overloaded"] * 10,
    # 1 request in 4 (or 10) fails for 40 steps; retries hide most of it.
    "partial_outage_25": ["healthy"] * 2 + ["fail_every_4"] * 40 + ["healthy"] * 5,
    "partial_outage_10": ["healthy"] * 2 + ["fail_every_10"] * 40 + ["healthy"] * 5,
    # Failures first, then an incident that names the model, with no component.
    "model_named_incident": ["healthy"] * 2
    + ["model_failing_unconfirmed"] * 6
    + ["model_incident_no_component"] * 10
    + ["healthy"] * 3,
    # claude.ai has an incident; the API is fine throughout.
    "claude_ai_only": ["claude_ai_incident"] * 10 + ["healthy"] * 2,
}

# One line each, shown by `simulate --help`, the simulator's banner and the README.
DESCRIPTIONS: dict[str, str] = {
    "healthy": "everything answers normally",
    "slow": "answers in 11 s, over LATENCY_SLOW_MS (10 s)",
    "auth_error": "401: the API key is wrong",
    "permission_error": "403: the key may not use this model",
    "model_not_found": "404: the model name is unknown",
    "invalid_request": "400: the request is malformed",
    "request_too_large": "413: the request is over the size limit",
    "spend_limit": "400: the credit balance is too low",
    "rate_limited": "429 and retry-after: your organisation's limit",
    "server_error": "500 api_error, retried",
    "server_error_no_retry": "500 with x-should-retry: false",
    "overloaded": "529 overloaded; the status page says nothing",
    "request_timeout": "408 asking for a retry (no 4xx is retried)",
    "stream_error": "the stream breaks with an error event midway",
    "stream_error_first": "the stream's first event is an error",
    "truncated_stream": "the stream ends without message_stop",
    "bad_response": "a 200 HTML page with a request id, not a stream",
    "api_hang": "the API accepts, then never answers",
    "api_reset": "the API resets the connection",
    "outage": "529s, and the page confirms a major outage",
    "maintenance": "announced maintenance; the API fails meanwhile",
    "degraded_page": "page: degraded performance; canary fine",
    "incident": "a minor incident on the page; canary fine",
    "page_major_outage": "the page reports a major outage; canary fine",
    "page_unknown_status": "the API component has an unknown status",
    "page_minimal": "the page answers with only the required fields",
    "page_html": "the status page answers HTML, not JSON",
    "page_truncated": "the status page's JSON is cut off",
    "page_empty": "the status page answers an empty body",
    "page_500": "the status page answers 500",
    "page_hang": "the status page never answers",
    "page_moved": "the status page redirects to its own host",
    "page_redirect_elsewhere": "the status page redirects to another host",
    "page_gzip_bomb": "the status page sends a huge gzip body",
    "captive_portal": "a captive portal redirects the API request",
    "proxy_404": "a proxy answers 404 with no body",
    "proxy_502": "an nginx proxy answers 502",
    "proxy_200_html": "a firewall answers 200 with a block page",
    "cloudflare_502": "Anthropic's Cloudflare edge answers 502",
    "cloudflare_403_block": "a 403 block page with Cloudflare's marks, no Anthropic error",
    "stream_mixed_case_type": "a valid stream sent as Text/Event-Stream (mixed case)",
    "cloudflare_503": "Anthropic's Cloudflare edge answers 503",
    "anthropic_200_json": "a 200 JSON with a request id that is no stream",
    "thinking_stream": "a stream opening with a thinking block: a pass",
    "stop_max_tokens": "a stream that stops at max_tokens: a pass",
    "stop_refusal": "a stream that stops with refusal: a pass",
    "wrong_answer": "a well-formed stream with a fluent, wrong reply",
    "garbled": "a stream whose text is in the wrong script",
    "empty_text": "a well-formed stream with an empty text block",
    "reflect_key": "a 500 whose body echoes the API key",
    "reflect_key_stream": "a stream that echoes the API key",
    "api_error_gzip_bomb": "a 500 with a huge gzip error body",
    "stream_gzip_bomb": "a stream with a huge gzip body",
    "fail_every_4": "1 in 4 requests fails (529); retries hide most",
    "fail_every_10": "1 in 10 requests fails (500); retries hide most",
    "model_failing_unconfirmed": "every request fails with 529; page silent",
    "model_incident_no_component": "529s, and an incident names the model only",
    "claude_ai_incident": "an incident on claude.ai only; the API is fine",
    "outage_timeline": "healthy, 529s, the page confirms, then recovery",
    "flapping": "bad and good on alternate steps",
    "partial_outage_25": "1 request in 4 fails for 40 steps",
    "partial_outage_10": "1 request in 10 fails for 40 steps",
    "model_named_incident": "529s, then an incident that names the model",
    "claude_ai_only": "a claude.ai incident; the API stays fine",
}
