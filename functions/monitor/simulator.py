"""A local fake of status.claude.com and the Messages API, for demos and tests.

One process serves both on loopback:
- `GET /api/v2/summary.json`: a Statuspage v2 summary;
- `POST /v1/messages`: the Messages API, streaming (SSE) or not;
- `POST /_sim/scenario` {"name", "step_seconds", "delay_ms", "slow_ms", "components"}:
  switch scenario (counters and overrides reset); `GET /_sim/requests`: what it
  received;
- `POST /_sim/update` {...}: change what is served WITHOUT resetting counters, for
  minute-by-minute replays (also `Simulator.update(**options)`). Every option is
  optional; an option given as null clears that override:
  - `fail_every` (int >= 1) and `fail_status` (500 or 529, default 500): the n-th
    Messages request since the simulator (or the last scenario switch) started,
    counting every model and retry, fails with an Anthropic-shaped error (and
    request id) when n is a multiple of `fail_every`; `fail_every: 1` fails all.
    Other requests get what the scenario says.
  - `incident`: {"name", "component": "api" | "claude.ai" | null, "created_at",
    "started_at" (ISO times, default now), "impact" (default "minor"), "status"
    (default "investigating"), "body" (the latest update's text)}: one unresolved
    incident on the page, replacing the scenario's; null removes it.
  - `api_status`: the API component's status (any string, kept as given).
  - `wrong_rate` (0..1) and `wrong_seed` (int, default 0): each Messages answer is,
    at random with that probability (a generator seeded with `wrong_seed` when the
    seed changes), a well-formed stream whose text is a fluent wrong answer.
  Example: {"fail_every": 4, "fail_status": 529, "incident": {"name": "Elevated
  errors on Claude Haiku 4.5", "component": null, "created_at":
  "2026-11-25T16:07:00Z", "started_at": "2026-11-25T15:58:00Z", "impact": "none"},
  "api_status": "operational"}.

A scenario fixes what the page and the API answer; a timeline is a list of
scenarios, one per step of `step_seconds`, so an outage can unfold over time.

Scenarios for answers that are not Anthropic's (the canary says `intercepted`):
`proxy_404` (empty body, no request id), `captive_portal` (302 to a login page),
`proxy_502` (HTML, `server: nginx`, no cf-ray), `proxy_200_html` (a 200 HTML page
without request id). Anthropic's own odd answers: `cloudflare_502` and
`cloudflare_503` (its CDN edge's HTML error pages, with cf-ray: `server_error`),
`bad_response` (200 HTML with a request id) and `anthropic_200_json` (200 JSON
that is not a message, with a request id): `bad_response`.
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

import json
import random
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_COMPONENT = "Claude API (api.anthropic.com)"
_SECRET_HEADERS = frozenset({"x-api-key", "authorization"})


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


@dataclass
class SimState:
    name: str = "healthy"
    step_seconds: float = 60.0
    delay_ms: int = 0
    slow_ms: int = 11_000  # above LATENCY_SLOW_MS (10 s), within the 25 s deadline
    components: int = 0
    started: float = field(default_factory=time.monotonic)
    messages: dict[str, int] = field(default_factory=dict)
    summary_requests: int = 0
    last_request: dict[str, Any] = field(default_factory=dict)
    # Set by /_sim/update: applied over whatever the scenario or timeline serves.
    overrides: dict[str, Any] = field(default_factory=dict)
    # Draws for `wrong_rate`, reseeded when an update brings a new `wrong_seed`.
    wrong_rng: random.Random = field(default_factory=lambda: random.Random(0))
    wrong_seeded: int | None = None

    def answer_text(self, api: Api) -> str:
        """The scenario's text, or a wrong one at the `wrong_rate` override's odds."""
        rate = self.overrides.get("wrong_rate")
        if rate and self.wrong_rng.random() < rate:
            return WRONG_TEXT
        return api.text

    def current(self) -> tuple[Page, Api]:
        if self.name in TIMELINES:
            steps = TIMELINES[self.name]
            index = int((time.monotonic() - self.started) / self.step_seconds)
            page, api = SCENARIOS[steps[min(index, len(steps) - 1)]]
        else:
            page, api = SCENARIOS[self.name]
        return _override(page, api, self.overrides)


def _override(page: Page, api: Api, overrides: dict[str, Any]) -> tuple[Page, Api]:
    if "api_status" in overrides:
        page = replace(page, api_status=overrides["api_status"])
    if "incident" in overrides:
        incident = overrides["incident"]
        if incident is None:
            page = replace(page, incident=None)
        else:
            page = replace(
                page,
                incident=incident.get("impact") or "minor",
                incident_name=incident.get("name") or "Elevated errors",
                incident_component=incident.get("component"),
                incident_created_at=incident.get("created_at"),
                incident_started_at=incident.get("started_at"),
                incident_status=incident.get("status") or "investigating",
                incident_body=incident.get("body") or "We are investigating this issue.",
            )
    if "fail_every" in overrides:
        api = replace(
            api,
            fail_every=overrides["fail_every"],
            fail_status=overrides.get("fail_status", 500),
        )
    return page, api


def _check_update(options: Any) -> dict[str, Any]:
    """Validate a /_sim/update body; raise ValueError with a one-line reason."""
    if not isinstance(options, dict):
        raise ValueError("update must be a JSON object")
    allowed = {"fail_every", "fail_status", "incident", "api_status", "wrong_rate", "wrong_seed"}
    unknown = set(options) - allowed
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; known: {sorted(allowed)}")
    every = options.get("fail_every")
    if every is not None and (not isinstance(every, int) or every < 1):
        raise ValueError("fail_every must be a whole number >= 1 (or null)")
    if options.get("fail_status", 500) not in (500, 529):
        raise ValueError("fail_status must be 500 or 529")
    incident = options.get("incident")
    if incident is not None:
        if not isinstance(incident, dict) or not incident.get("name"):
            raise ValueError("incident must be an object with a name (or null)")
        component = incident.get("component")
        aliases = {"api": "api", API_COMPONENT.lower(): "api", "claude.ai": "claude.ai"}
        if component is not None and str(component).lower() not in aliases:
            raise ValueError('incident.component must be "api", "claude.ai" or null')
        if component is not None:
            options["incident"] = {**incident, "component": aliases[str(component).lower()]}
    rate = options.get("wrong_rate")
    if rate is not None and (not isinstance(rate, (int, float)) or not 0 <= rate <= 1):
        raise ValueError("wrong_rate must be a number from 0 to 1 (or null)")
    if not isinstance(options.get("wrong_seed", 0), int):
        raise ValueError("wrong_seed must be a whole number")
    status = options.get("api_status")
    if "api_status" in options and status is not None and not isinstance(status, str):
        raise ValueError("api_status must be a string (or null)")
    return options


def summary_json(page: Page, extra_components: int = 0) -> dict[str, Any]:
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    group_id = "grp0000000001"

    def component(cid: str, name: str, status: str, group: str | None = None) -> dict[str, Any]:
        return {
            "id": cid,
            "name": name,
            "status": status,
            "created_at": now,
            "updated_at": now,
            "position": 1,
            "description": None,
            "showcase": True,
            "start_date": None,
            "group_id": group,
            "page_id": "simpage",
            "group": False,
            "only_show_if_degraded": False,
        }

    api = component("api0000000001", API_COMPONENT, page.api_status, group_id)
    components = [
        {
            **component(group_id, "Claude", "operational"),
            "group": True,
            "components": ["api0000000001", "web0000000001"],
        },
        api,
        component("web0000000001", "claude.ai", "operational", group_id),
        component("con0000000001", "Claude Console (platform.claude.com)", "operational"),
    ]
    components += [
        component(f"x{i:012d}", f"Service {i}", "operational") for i in range(extra_components)
    ]
    incidents = []
    if page.incident:
        on = {"api": api, "claude.ai": components[2]}.get(page.incident_component or "")
        affected = (
            [
                {
                    "code": on["id"],
                    "name": on["name"],
                    "old_status": "operational",
                    "new_status": on["status"],
                }
            ]
            if on
            else []
        )
        created = page.incident_created_at or now
        incidents.append(
            {
                "id": "inc0000000001",
                "name": page.incident_name,
                "status": page.incident_status,
                "impact": page.incident,
                "shortlink": "https://stspg.io/sim0001",
                "created_at": created,
                "updated_at": now,
                "monitoring_at": None,
                "resolved_at": None,
                "started_at": page.incident_started_at or created,
                "page_id": "simpage",
                "incident_updates": [
                    {
                        "id": "upd1",
                        "status": page.incident_status,
                        "created_at": created,
                        "body": page.incident_body,
                        "affected_components": affected,
                    }
                ],
                "components": [on] if on else [],
            }
        )
    maintenances = []
    if page.maintenance:
        maintenances.append(
            {
                "id": "mnt0000000001",
                "name": "Scheduled API maintenance",
                "status": "in_progress",
                "impact": "maintenance",
                "shortlink": "https://stspg.io/simmnt1",
                "created_at": now,
                "scheduled_for": now,
                "scheduled_until": now,
                "incident_updates": [],
                "components": [api],
            }
        )
    worst = {
        "operational": "none",
        "degraded_performance": "minor",
        "under_maintenance": "maintenance",
    }.get(page.api_status, "major")
    description = "All Systems Operational" if worst == "none" else "Partial System Outage"
    if page.mode == "minimal":
        return {
            "page": None,
            "status": {"indicator": None, "description": None},
            "components": [
                {
                    "name": API_COMPONENT,
                    "status": "operational",
                    "group": None,
                    "description": None,
                },
                None,
            ],
        }
    return {
        "page": {
            "id": "simpage",
            "name": "Claude (simulated)",
            "url": "http://localhost",
            "time_zone": "Etc/UTC",
            "updated_at": now,
        },
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": maintenances,
        "status": {"indicator": worst, "description": description},
    }


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """About 200 KiB of gzip that inflates to 200 MiB of zeros (built once, in slices)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    parts = [packer.compress(zeros) for _ in range(200)]
    return b"".join(parts) + packer.flush()


@lru_cache(maxsize=1)
def _stream_bomb() -> bytes:
    """A gzip SSE stream: a real message_start, then a line of zeros that never ends."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    start = _message("claude-bomb", "")
    start.update(content=[], stop_reason=None)
    head = packer.compress(_sse("message_start", {"type": "message_start", "message": start}))
    zeros = bytes(1024 * 1024)
    parts = [head, packer.compress(b"data: ")] + [packer.compress(zeros) for _ in range(200)]
    return b"".join(parts) + packer.flush()


def _sse(kind: str, data: dict[str, Any], pad: str = "") -> bytes:
    return f"event: {kind}\ndata: {pad}{json.dumps(data)}\n\n".encode()


def _message(model: str, text: str = "OK") -> dict[str, Any]:
    content = [{"type": "text", "text": text}]
    return {
        "id": "msg_sim01",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1},
    }


class _Handler(BaseHTTPRequestHandler):
    server: _SimServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] = {}) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _delay(self, state: SimState) -> None:
        if state.delay_ms:
            self.server.stopping.wait(state.delay_ms / 1000)

    def do_GET(self) -> None:
        state = self.server.state
        if self.path.startswith("/_sim/requests"):
            body = {
                "scenario": state.name,
                "messages": state.messages,
                "summary": state.summary_requests,
                "last": state.last_request,
            }
            return self._send(200, json.dumps(body).encode(), "application/json")
        if not self.path.startswith(("/api/v2/summary.json", "/moved/api/v2/summary.json")):
            return self._send(404, b"not found", "text/plain")
        with self.server.lock:
            state.summary_requests += 1
        page, _ = state.current()
        self._delay(state)
        if page.mode == "hang":
            self.server.stopping.wait(600)
            return
        if page.mode == "redirect" and not self.path.startswith("/moved/"):
            return self._send(301, b"", "text/plain", {"location": "/moved" + self.path})
        if page.mode == "redirect_elsewhere":
            # A hijacked or misconfigured page sending its readers to another host.
            where = "https://status.example.invalid/api/v2/summary.json"
            return self._send(302, b"", "text/plain", {"location": where})
        if page.mode == "gzip_bomb":
            return self._send(200, gzip_bomb(), "application/json", {"content-encoding": "gzip"})
        if page.mode == "html":
            return self._send(200, b"<html><body>Service Unavailable</body></html>", "text/html")
        if page.mode == "http500":
            return self._send(500, b'{"error":"internal"}', "application/json")
        if page.mode == "empty":
            return self._send(200, b"", "application/json")
        payload = json.dumps(summary_json(page, state.components)).encode()
        if page.mode == "truncated":
            payload = payload[: len(payload) // 2]
        self._send(200, payload, "application/json")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.startswith("/_sim/scenario"):
            return self._set_scenario(raw)
        if self.path.startswith("/_sim/update"):
            return self._update(raw)
        if not self.path.endswith("/v1/messages"):
            return self._send(
                404,
                b'{"type":"error","error":{"type":"not_found_error","message":"Not found"}}',
                "application/json",
            )
        self._messages(raw)

    def _set_scenario(self, raw: bytes) -> None:
        try:
            options = json.loads(raw or b"{}")
            name = options.get("name", "healthy")
            if name not in SCENARIOS and name not in TIMELINES:
                raise ValueError(f"unknown scenario {name!r}")
        except (ValueError, AttributeError) as exc:
            return self._send(400, json.dumps({"error": str(exc)}).encode(), "application/json")
        self.server.state = SimState(
            name=name,
            step_seconds=float(options.get("step_seconds", 60)),
            delay_ms=int(options.get("delay_ms", 0)),
            slow_ms=int(options.get("slow_ms", SimState.slow_ms)),
            components=int(options.get("components", 0)),
        )
        self._send(200, b'{"ok":true}', "application/json")

    def _update(self, raw: bytes) -> None:
        try:
            options = _check_update(json.loads(raw or b"{}"))
        except ValueError as exc:
            return self._send(400, json.dumps({"error": str(exc)}).encode(), "application/json")
        with self.server.lock:
            state = self.server.state
            for name, value in options.items():
                if value is None and name != "incident":
                    state.overrides.pop(name, None)
                else:
                    state.overrides[name] = value
            if state.overrides.get("fail_every") is None:
                state.overrides.pop("fail_status", None)
            seed = options.get("wrong_seed")
            if seed is not None and seed != state.wrong_seeded:
                # Reseeded only when the seed changes: a replay repeats it every minute.
                state.wrong_rng, state.wrong_seeded = random.Random(seed), seed
        self._send(200, b'{"ok":true}', "application/json")

    def _error(
        self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        body = {
            "type": "error",
            "error": {"type": error_type, "message": message},
            "request_id": self._request_id,
        }
        self._send(
            status,
            json.dumps(body).encode(),
            "application/json",
            {**self._headers, **(headers or {})},
        )

    def _messages(self, raw: bytes) -> None:
        state = self.server.state
        try:
            request = json.loads(raw)
            model = str(request["model"])
        except (ValueError, KeyError, TypeError):
            request, model = {}, "?"
        with self.server.lock:
            state.messages[model] = state.messages.get(model, 0) + 1
            count = sum(state.messages.values())
            state.last_request = {
                "headers": {
                    k.lower(): ("<present>" if k.lower() in _SECRET_HEADERS else v)
                    for k, v in self.headers.items()
                },
                "body": request,
            }
        self._request_id = f"req_sim{count:08d}"
        self._headers = {
            "request-id": self._request_id,
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": str(max(0, 50 - count)),
            "anthropic-ratelimit-tokens-limit": "50000",
            "anthropic-ratelimit-tokens-remaining": "49000",
        }
        _, api = state.current()
        self._delay(state)
        # The API takes `x-api-key`; newer SDKs send the key as a bearer token instead.
        bearer = (self.headers.get("authorization") or "").startswith("Bearer ")
        if not self.headers.get("x-api-key") and not bearer:
            return self._error(401, "authentication_error", "x-api-key header is required")
        if not request or "max_tokens" not in request or "messages" not in request:
            return self._error(
                400, "invalid_request_error", "model, max_tokens and messages are required"
            )
        if not model.startswith("claude-"):
            return self._error(404, "not_found_error", f"model: {model}")
        if api.fail_every and count % api.fail_every == 0:
            kind = "overloaded_error" if api.fail_status == 529 else "api_error"
            text = "Overloaded" if api.fail_status == 529 else "Internal server error"
            return self._error(api.fail_status, kind, text)
        if not self._hostile(api):
            with self.server.lock:
                text = state.answer_text(api)
            self._answer(replace(api, text=text), request, model, state)

    def _hostile(self, api: Api) -> bool:
        """Answers built to break readers; True when one was sent."""
        if api.mode == "reflect_key":
            self._reflect_key(api)
        elif api.mode == "error_gzip_bomb":
            headers = {**self._headers, "content-encoding": "gzip"}
            self._send(500, gzip_bomb(), "application/json", headers)
        elif api.mode == "stream_gzip_bomb":
            headers = {**self._headers, "content-encoding": "gzip"}
            self._send(200, _stream_bomb(), "text/event-stream", headers)
        else:
            return False
        return True

    def _answer(self, api: Api, request: dict[str, Any], model: str, state: SimState) -> None:
        if api.mode == "http":
            return self._error(api.status, api.error_type, api.message, dict(api.headers))
        if api.mode == "raw":
            extra = self._headers if api.anthropic_headers else {}
            return self._send(api.status, api.body, api.ctype, {**extra, **dict(api.headers)})
        if api.mode == "hang":
            self.server.stopping.wait(600)
            return
        if api.mode == "reset":
            # SO_LINGER 0 makes close() send a TCP RST: a connection reset by peer.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if api.mode == "redirect":
            return self._send(302, b"", "text/html", {"location": "http://portal.example/login"})
        if api.mode == "html200":
            return self._send(
                200,
                b"<html><title>Wi-Fi login</title>Sign in to continue</html>",
                "text/html",
                self._headers,
            )
        if not request.get("stream"):
            return self._send(
                200,
                json.dumps(_message(model, api.text)).encode(),
                "application/json",
                self._headers,
            )
        self._stream(model, api, state)

    def _key(self) -> str:
        bearer = (self.headers.get("authorization") or "").removeprefix("Bearer ")
        return self.headers.get("x-api-key") or bearer

    def _reflect_key(self, api: Api) -> None:
        """A hostile proxy: the key echoed into error.type, request-id and the body,
        verbatim, with a newline, JSON-escaped, URL-encoded and cut in two."""
        from urllib.parse import quote

        key = self._key()
        message = (
            f"Illegal header value b'{key}\\n' | {json.dumps(key + chr(10))} | "
            f"{quote(key)} | {key[:14]} {key[14:]}"
        )
        body = {"type": "error", "error": {"type": key, "message": message}}
        headers = {**self._headers, "request-id": key, "anthropic-ratelimit-requests-limit": "²"}
        self._send(api.status, json.dumps(body).encode(), "application/json", headers)

    def _stream(self, model: str, api: Api, state: SimState) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        for name, value in self._headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        start = _message(model, "")
        start.update(content=[], stop_reason=None, usage={"input_tokens": 10, "output_tokens": 1})
        text_index = 1 if api.shape == "thinking" else 0
        reflect = api.mode == "reflect_key_stream"
        stop_reason = self._key() if reflect else api.stop_reason
        # Reflected into the answer's text too, whole: what the answer check shows.
        text = f"Your key is {self._key()}" if reflect else api.text
        events = [
            _sse("message_start", {"type": "message_start", "message": start}),
            *(_thinking_block() if api.shape == "thinking" else []),
            _sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": text_index,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            _sse("ping", {"type": "ping"}, pad="   "),
            *_text_delta(text_index, text),
            _sse("content_block_stop", {"type": "content_block_stop", "index": text_index}),
            _sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": 1},
                },
            ),
            _sse("message_stop", {"type": "message_stop"}),
        ]
        error = _sse(
            "error",
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        )
        text_start = 4 if api.shape == "thinking" else 1
        if api.mode == "stream_error_first":
            events = [error]
        elif api.mode == "stream_error":
            events = events[: text_start + 3] + [error]
        elif api.mode == "truncated":
            events = events[: text_start + 3]
        for index, chunk in enumerate(events):
            if api.mode == "slow" and index == len(events) - 1:
                self.server.stopping.wait(state.slow_ms / 1000)
            try:
                self.wfile.write(chunk)
                self.wfile.flush()
            except OSError:
                return


def _text_delta(index: int, text: str) -> list[bytes]:
    """The text's one delta; none for an empty text (the block stays empty)."""
    delta = {"type": "content_block_delta", "index": index}
    return (
        [_sse("content_block_delta", {**delta, "delta": {"type": "text_delta", "text": text}})]
        if text
        else []
    )


def _thinking_block() -> list[bytes]:
    """Adaptive thinking: a thinking block (its deltas and signature) before the text.
    https://docs.claude.com/en/docs/build-with-claude/extended-thinking (streaming)."""
    return [
        _sse(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            },
        ),
        _sse(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": "A greeting; answer briefly."},
            },
        ),
        _sse(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA"},
            },
        ),
        _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ]


class _SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default listen backlog of 5 drops connections when 20 canaries start at once.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], scenario: str) -> None:
        super().__init__(address, _Handler)
        self.state = SimState(name=scenario)
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a capped reader, a timeout) is normal here.
        import sys

        if not isinstance(sys.exception(), ConnectionError):
            super().handle_error(request, client_address)


class Simulator:
    """The simulator in a background thread, for tests and the benchmark."""

    def __init__(self, port: int = 0, scenario: str = "healthy", host: str = "127.0.0.1") -> None:
        if scenario not in SCENARIOS and scenario not in TIMELINES:
            raise ValueError(f"unknown scenario {scenario!r}")
        self.server = _SimServer((host, port), scenario)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Simulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def set(self, name: str, **options: Any) -> None:
        """Switch scenario as a client would, over HTTP."""
        import httpx

        response = httpx.post(f"{self.url}/_sim/scenario", json={"name": name, **options})
        response.raise_for_status()

    def update(self, **options: Any) -> None:
        """Change failures, incident or API status over HTTP, counters kept
        (see `POST /_sim/update` in the module docstring)."""
        import httpx

        response = httpx.post(f"{self.url}/_sim/update", json=options)
        if response.status_code != 200:
            raise ValueError(response.json().get("error", response.text))

    def requests(self) -> dict[str, Any]:
        import httpx

        return httpx.get(f"{self.url}/_sim/requests").json()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(port: int, scenario: str) -> None:
    sim = Simulator(port=port, scenario=scenario)
    print(f"Simulator on {sim.url} (scenario {scenario}). Point the monitor at it:", flush=True)
    print(
        f"  STATUS_PAGE_URL={sim.url} ANTHROPIC_BASE_URL={sim.url} ANTHROPIC_API_KEY=sim-key",
        flush=True,
    )
    print(f"Scenarios: {', '.join(sorted(SCENARIOS))}", flush=True)
    print(f"Timelines: {', '.join(sorted(TIMELINES))}. Ctrl-C stops.", flush=True)
    try:
        sim.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.server.stopping.set()
        sim.server.server_close()
