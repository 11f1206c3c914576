"""A loopback fake of the Bedrock runtime's Converse API, for demos and tests.

boto3 reaches it through its own `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` (any credentials;
the signature is not checked). It serves:
- `POST /model/{modelId}/converse`: a Converse answer or a Bedrock error, as the
  current scenario says (per model id, or for all);
- `POST /_sim/scenario` {"name", "model_id"?}: switch scenario; `GET /_sim/requests`:
  what it received (model id and body; never the Authorization header).

Errors carry Bedrock's shape: the code in `x-amzn-ErrorType`, `{"message": ...}` in
the body, and an `x-amzn-RequestId`, as botocore's rest-json parser expects.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Answer:
    mode: str = "ok"  # ok | slow | error | hang | reset | html | not_converse | reflect
    status: int = 200
    code: str = ""
    message: str = ""


def _error(status: int, code: str, message: str) -> Answer:
    return Answer("error", status, code, message)


# Scenario name -> what Converse answers; the comment is the outcome it should give.
SCENARIOS: dict[str, Answer] = {
    "ok": Answer(),  # ok
    "slow": Answer("slow"),  # slow (with a slow_ms below the delay)
    "throttled": _error(429, "ThrottlingException", "Too many requests, please wait."),
    "access_denied": _error(  # permission_error: the role may not invoke this model
        403,
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/monitor/fn is not authorized to "
        "perform: bedrock:InvokeModel",
    ),
    "model_not_enabled": _error(  # permission_error: model access not granted
        403,
        "AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
    ),
    "unknown_model": _error(  # model_not_found
        400, "ValidationException", "The provided model identifier is invalid."
    ),
    "use_case_form": _error(  # model_not_found: the Anthropic use-case form is missing
        404,
        "ResourceNotFoundException",
        "Model use case details have not been submitted for this account.",
    ),
    "on_demand_unsupported": _error(  # invalid_request: needs an inference profile id
        400,
        "ValidationException",
        "Invocation of model ID anthropic.claude-haiku-4-5-20251001-v1:0 with on-demand "
        "throughput isn't supported. Retry your request with the ID or ARN of an inference "
        "profile that contains this model.",
    ),
    "bad_credentials": _error(  # auth_error
        403, "UnrecognizedClientException", "The security token included in the request is invalid."
    ),
    "model_not_ready": _error(  # overloaded
        429, "ModelNotReadyException", "Model is not ready to serve inference requests."
    ),
    "unavailable": _error(  # server_error
        503, "ServiceUnavailableException", "Service is temporarily unavailable."
    ),
    "internal": _error(500, "InternalServerException", "Internal server error."),  # server_error
    "model_timeout": _error(  # timeout
        408, "ModelTimeoutException", "Model has timed out in processing the request."
    ),
    "hang": Answer("hang"),  # timeout: nothing comes back within the client's timeout
    "reset": Answer("reset"),  # network_error: the connection is reset
    "html": Answer("html", 502),  # intercepted: a proxy's page, no Bedrock request id
    "not_converse": Answer("not_converse"),  # bad_response: 200 from Bedrock, wrong body
    # server_error: a hostile answer echoing the request's session token and signature
    "reflect_credentials": Answer("reflect", 500, "InternalServerException"),
    # intercepted: a 200 whose body never ends (read no further than the cap)
    "huge": Answer("huge"),
    # intercepted: a gzip body (botocore does not inflate it: not JSON, someone else's)
    "gzip_bomb": Answer("gzip_bomb"),
}
EXPECTED_OUTCOME = {
    "ok": "ok",
    "slow": "slow",
    "throttled": "rate_limited",
    "access_denied": "permission_error",
    "model_not_enabled": "permission_error",
    "unknown_model": "model_not_found",
    "use_case_form": "model_not_found",
    "on_demand_unsupported": "invalid_request",
    "bad_credentials": "auth_error",
    "model_not_ready": "overloaded",
    "unavailable": "server_error",
    "internal": "server_error",
    "model_timeout": "timeout",
    "hang": "timeout",
    "reset": "network_error",
    "html": "intercepted",
    "not_converse": "bad_response",
    "reflect_credentials": "server_error",
    "huge": "intercepted",
    "gzip_bomb": "intercepted",
}


def converse_answer(text: str = "Hello", stop_reason: str = "max_tokens") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 8, "outputTokens": 1, "totalTokens": 9},
        "metrics": {"latencyMs": 212},
    }


class BedrockSimulator:
    """The fake on 127.0.0.1, on its own ThreadingHTTPServer and thread."""

    def __init__(self, port: int = 0, slow_s: float = 0.3, hang_s: float = 30.0) -> None:
        self.slow_s = slow_s
        self.hang_s = hang_s
        self._lock = threading.Lock()
        self._default = "ok"
        self._by_model: dict[str, str] = {}
        self._requests: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BedrockSimulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="bedrock-sim", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> BedrockSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set(self, name: str, model_id: str | None = None) -> None:
        """Answer with scenario `name` for `model_id` (for every model when None)."""
        if name not in SCENARIOS:
            raise ValueError(f"unknown Bedrock scenario {name!r}; known: {', '.join(SCENARIOS)}")
        with self._lock:
            if model_id is None:
                self._default, self._by_model = name, {}
            else:
                self._by_model[model_id] = name
            self._requests.clear()

    def scenario_for(self, model_id: str) -> Answer:
        with self._lock:
            return SCENARIOS[self._by_model.get(model_id, self._default)]

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(entry)

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    def wait(self, seconds: float) -> None:
        self._stop.wait(seconds)


def _bomb() -> bytes:
    """16 KiB of gzip that inflates to 16 MiB; built once."""
    global _BOMB
    if _BOMB is None:
        import gzip

        _BOMB = gzip.compress(b'{"output": "' + b"x" * (16 * 1024 * 1024), 6)
    return _BOMB


_BOMB: bytes | None = None


def _handler_for(sim: BedrockSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests read the request log instead

        def do_GET(self) -> None:
            if self.path == "/_sim/requests":
                self._json(200, sim.requests)
            else:
                self._json(404, {"message": "not found"})

        def do_POST(self) -> None:
            body = self._body()
            if self.path == "/_sim/scenario":
                try:
                    data = json.loads(body or b"{}")
                    sim.set(str(data.get("name", "ok")), data.get("model_id"))
                except (ValueError, AttributeError) as exc:
                    self._json(400, {"message": str(exc)})
                    return
                self._json(200, {"ok": True})
                return
            parts = self.path.split("/")
            if len(parts) != 4 or parts[1] != "model" or parts[3] != "converse":
                self._error(404, "UnknownOperationException", f"no route for {self.path}")
                return
            model_id = unquote(parts[2])
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                payload = None
            sim.record({"model_id": model_id, "body": payload})
            self._answer(sim.scenario_for(model_id))

        def _answer(self, answer: Answer) -> None:
            if answer.mode == "hang":
                sim.wait(sim.hang_s)
                self.close_connection = True
                return
            if answer.mode == "reset":
                # SO_LINGER 0: close() sends a TCP reset instead of a clean FIN.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                return
            if answer.mode == "slow":
                sim.wait(sim.slow_s)
            if answer.mode == "error":
                self._error(answer.status, answer.code, answer.message)
            elif answer.mode == "html":
                page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
                self._send(answer.status, page, "text/html", request_id=False)
            elif answer.mode == "reflect":
                echoed = (
                    f"token {self.headers.get('x-amz-security-token')} "
                    f"auth {self.headers.get('authorization')}\n\x1b[31mred"
                )
                self._error(answer.status, answer.code, echoed)
            elif answer.mode == "huge":
                self._endless()
            elif answer.mode == "gzip_bomb":
                self._gzip_bomb()
            elif answer.mode == "not_converse":
                self._json(200, {"hello": "world"})
            else:
                self._json(200, converse_answer())

        def _endless(self) -> None:
            """A 200 JSON answer that streams until the client hangs up."""
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.end_headers()
            self.close_connection = True
            try:
                self.wfile.write(b'{"output": "')
                for _ in range(64 * 1024):  # up to 4 GiB; the client stops far sooner
                    self.wfile.write(b"x" * 65536)
            except OSError:
                pass

        def _gzip_bomb(self) -> None:
            data = _bomb()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-encoding", "gzip")
            self.send_header("content-length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.end_headers()
            try:
                self.wfile.write(data)
            except OSError:
                pass

        def _body(self) -> bytes:
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else b""

        def _error(self, status: int, code: str, message: str) -> None:
            data = json.dumps({"message": message}).encode()
            self._send(status, data, "application/json", error_type=code)

        def _json(self, status: int, data: Any) -> None:
            self._send(status, json.dumps(data).encode(), "application/json")

        def _send(
            self,
            status: int,
            data: bytes,
            ctype: str,
            error_type: str | None = None,
            request_id: bool = True,
        ) -> None:
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(data)))
            if request_id:
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            if error_type:
                self.send_header("x-amzn-ErrorType", f"{error_type}:http://internal.amazon.com/")
            self.end_headers()
            self.wfile.write(data)

    return Handler


def main(argv: list[str] | None = None) -> int:
    """`python -m functions.simulator.bedrock [--port N] [--scenario NAME]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="bedrock_sim", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--scenario", default="ok", choices=sorted(SCENARIOS))
    args = parser.parse_args(argv)
    with BedrockSimulator(port=args.port) as sim:
        sim.set(args.scenario)
        print(f"AWS_ENDPOINT_URL_BEDROCK_RUNTIME={sim.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
