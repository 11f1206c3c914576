"""A local fake of status.claude.com and the Messages API, for demos and tests.

One process serves both on loopback:
- `GET /api/v2/summary.json`: a Statuspage v2 summary;
- `POST /v1/messages`: the Messages API, streaming (SSE) or not;
- `POST /_sim/scenario` {"name", "step_seconds", "delay_ms", "slow_ms", "components"}:
  switch scenario (counters reset); `GET /_sim/requests`: what it received.

A scenario fixes what the page and the API answer; a timeline is a list of
scenarios, one per step of `step_seconds`, so an outage can unfold over time.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_COMPONENT = "Claude API (api.anthropic.com)"
_SECRET_HEADERS = frozenset({"x-api-key", "authorization"})


@dataclass(frozen=True)
class Page:
    api_status: str = "operational"
    incident: str | None = None  # impact of an unresolved incident on the API
    maintenance: bool = False
    mode: str = "json"  # json | html | truncated | empty | http500 | hang | minimal | redirect


@dataclass(frozen=True)
class Api:
    mode: str = "ok"  # ok | slow | http | stream_error | stream_error_first | truncated
    #                   | html200 | redirect | hang | reset
    status: int = 200
    error_type: str = ""
    message: str = ""
    headers: tuple[tuple[str, str], ...] = ()


def _http(status: int, error_type: str, message: str, *headers: tuple[str, str]) -> Api:
    return Api("http", status, error_type, message, tuple(headers))


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
    "captive_portal": (Page(), Api("redirect")),
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
}


@dataclass
class SimState:
    name: str = "healthy"
    step_seconds: float = 60.0
    delay_ms: int = 0
    slow_ms: int = 1500
    components: int = 0
    started: float = field(default_factory=time.monotonic)
    messages: dict[str, int] = field(default_factory=dict)
    summary_requests: int = 0
    last_request: dict[str, Any] = field(default_factory=dict)

    def current(self) -> tuple[Page, Api]:
        if self.name in TIMELINES:
            steps = TIMELINES[self.name]
            index = int((time.monotonic() - self.started) / self.step_seconds)
            return SCENARIOS[steps[min(index, len(steps) - 1)]]
        return SCENARIOS[self.name]


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
        incidents.append(
            {
                "id": "inc0000000001",
                "name": "Elevated errors on the Claude API",
                "status": "investigating",
                "impact": page.incident,
                "shortlink": "https://stspg.io/sim0001",
                "created_at": now,
                "updated_at": now,
                "monitoring_at": None,
                "resolved_at": None,
                "started_at": now,
                "page_id": "simpage",
                "incident_updates": [
                    {
                        "id": "upd1",
                        "status": "investigating",
                        "created_at": now,
                        "body": "We are investigating elevated error rates.",
                        "affected_components": [
                            {
                                "code": "api0000000001",
                                "name": API_COMPONENT,
                                "old_status": "operational",
                                "new_status": page.api_status,
                            }
                        ],
                    }
                ],
                "components": [api],
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


def _sse(kind: str, data: dict[str, Any], pad: str = "") -> bytes:
    return f"event: {kind}\ndata: {pad}{json.dumps(data)}\n\n".encode()


def _message(model: str, text: str = "OK") -> dict[str, Any]:
    return {
        "id": "msg_sim01",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
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
            slow_ms=int(options.get("slow_ms", 1500)),
            components=int(options.get("components", 0)),
        )
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
        if api.mode == "http":
            return self._error(api.status, api.error_type, api.message, dict(api.headers))
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
                200, json.dumps(_message(model)).encode(), "application/json", self._headers
            )
        self._stream(model, api, state)

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
        events = [
            _sse("message_start", {"type": "message_start", "message": start}),
            _sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            _sse("ping", {"type": "ping"}, pad="   "),
            _sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": "OK"},
                },
            ),
            _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
            _sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": 1},
                },
            ),
            _sse("message_stop", {"type": "message_stop"}),
        ]
        error = _sse(
            "error",
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        )
        if api.mode == "stream_error_first":
            events = [error]
        elif api.mode == "stream_error":
            events = events[:4] + [error]
        elif api.mode == "truncated":
            events = events[:4]
        for index, chunk in enumerate(events):
            if api.mode == "slow" and index == len(events) - 1:
                self.server.stopping.wait(state.slow_ms / 1000)
            try:
                self.wfile.write(chunk)
                self.wfile.flush()
            except OSError:
                return


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
