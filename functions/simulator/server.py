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
  - `fail_rate` (0 to 1) and `seed` (int): each Messages request fails by chance
    with probability `fail_rate` (a random partial outage), drawn from a generator
    that `seed` resets, so a replay is repeatable.
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

Its scenarios and timelines, and what each answers: scenarios.py (`make simulate
ARGS=--help` lists them).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .banner import banner
from .scenarios import SCENARIOS, TIMELINES, Api
from .state import SimState, check_update, summary_json
from .wire import gzip_bomb, message_body, sse_event, stream_bomb, text_delta, thinking_block

_SECRET_HEADERS = frozenset({"x-api-key", "authorization"})


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
            options = check_update(json.loads(raw or b"{}"))
        except ValueError as exc:
            return self._send(400, json.dumps({"error": str(exc)}).encode(), "application/json")
        with self.server.lock:
            state = self.server.state
            if options.get("seed") is not None:
                state.rng.seed(options["seed"])
            for name, value in options.items():
                if name == "seed":
                    continue
                if value is None and name != "incident":
                    state.overrides.pop(name, None)
                else:
                    state.overrides[name] = value
            if state.overrides.get("fail_every") is None and not state.overrides.get("fail_rate"):
                state.overrides.pop("fail_status", None)
            state.reseed(options.get("wrong_seed"))
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
            rate = state.overrides.get("fail_rate") or 0
            by_chance = bool(rate) and state.rng.random() < rate
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
        if by_chance or (api.fail_every and count % api.fail_every == 0):
            status = state.overrides.get("fail_status", api.fail_status)
            kind = "overloaded_error" if status == 529 else "api_error"
            text = "Overloaded" if status == 529 else "Internal server error"
            return self._error(status, kind, text)
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
            self._send(200, stream_bomb(), "text/event-stream", headers)
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
                json.dumps(message_body(model, api.text)).encode(),
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
        self.send_header("content-type", api.stream_ctype)
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        for name, value in self._headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        start = message_body(model, "")
        start.update(content=[], stop_reason=None, usage={"input_tokens": 10, "output_tokens": 1})
        text_index = 1 if api.shape == "thinking" else 0
        reflect = api.mode == "reflect_key_stream"
        stop_reason = self._key() if reflect else api.stop_reason
        # Reflected into the answer's text too, whole: what the answer check shows.
        text = f"Your key is {self._key()}" if reflect else api.text
        events = [
            sse_event("message_start", {"type": "message_start", "message": start}),
            *(thinking_block() if api.shape == "thinking" else []),
            sse_event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": text_index,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            sse_event("ping", {"type": "ping"}, pad="   "),
            *text_delta(text_index, text),
            sse_event("content_block_stop", {"type": "content_block_stop", "index": text_index}),
            sse_event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": 1},
                },
            ),
            sse_event("message_stop", {"type": "message_stop"}),
        ]
        error = sse_event(
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


class _SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default listen backlog of 5 drops connections when 20 canaries start at once.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], scenario: str, step_seconds: float) -> None:
        super().__init__(address, _Handler)
        self.state = SimState(name=scenario, step_seconds=step_seconds)
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a capped reader, a timeout) is normal here.
        import sys

        if not isinstance(sys.exception(), ConnectionError):
            super().handle_error(request, client_address)


class Simulator:
    """The simulator in a background thread, for tests and the benchmark."""

    def __init__(
        self,
        port: int = 0,
        scenario: str = "healthy",
        host: str = "127.0.0.1",
        step_seconds: float = 60.0,
    ) -> None:
        if scenario not in SCENARIOS and scenario not in TIMELINES:
            raise ValueError(f"unknown scenario {scenario!r}")
        self.server = _SimServer((host, port), scenario, step_seconds)
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


def serve(port: int, scenario: str, step_seconds: float = 60.0) -> None:
    sim = Simulator(port=port, scenario=scenario, step_seconds=step_seconds)
    print(banner(sim.url, scenario, step_seconds), flush=True)
    try:
        sim.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.server.stopping.set()
        sim.server.server_close()
