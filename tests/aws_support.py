"""AWS played locally: a moto server process, and a proxy in front of it that injects faults.

Tests reach both over HTTP through AWS_ENDPOINT_URL, as boto3 reaches the real
services. The proxy forwards every request to moto unless a fault is switched on
for that service, in which case it answers the way AWS does when it throttles or
fails, or drops the connection; or it answers too late ("slow": the request is
forwarded and done, the answer delayed past the client's read timeout) or never
("hang").
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> MotoServer:
        exe = os.path.join(os.path.dirname(sys.executable), "moto_server")
        self.proc = subprocess.Popen(
            [exe, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/moto-api/")
                conn.getresponse().read()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not start")

    def reset(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.request("POST", "/moto-api/reset")
        conn.getresponse().read()

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _service(headers, body: bytes) -> str:
    target = headers.get("X-Amz-Target", "")
    if target.startswith("DynamoDB_"):
        return "dynamodb"
    auth = headers.get("Authorization", "")
    for name in ("sns", "sqs", "ssm", "cloudformation", "s3"):
        if f"/{name}/aws4_request" in auth:
            return name
    return "other"


class _ProxyHandler(BaseHTTPRequestHandler):
    server: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002
        return

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        service = _service(self.headers, body)
        fault = self.server.faults.get(service)
        matched = fault and (self.server.fault_filter is None or self.server.fault_filter in body)
        if matched:
            self.server.hits[service] = self.server.hits.get(service, 0) + 1
        if matched and fault != "slow":
            return self._fault(fault)
        self.server.calls.append((service, self.headers.get("X-Amz-Target") or body[:60]))
        conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["Host"] = f"127.0.0.1:{self.server.upstream_port}"
        conn.request(self.command, self.path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        if matched:  # "slow": moto has done the work; the answer comes too late
            self.server.release.wait(self.server.slow_s)
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _fault(self, fault: str) -> None:
        if fault == "hang":  # accept the request, never answer (until the test ends)
            self.server.release.wait(60)
            self.close_connection = True
            return
        if fault == "down":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "html":  # a proxy or captive portal answers 200 with its own page
            payload = b"<html><title>Sign in</title>Log in to continue</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if fault == "throttle":
            payload = (
                b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",'
                b'"message":"Rate of requests exceeds the allowed throughput."}'
            )
            ctype = "application/x-amz-json-1.0"
            status = 400
        else:  # "error": an SNS/Query-protocol internal error
            payload = (
                b"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code>"
                b"<Message>simulated SNS failure</Message></Error>"
                b"<RequestId>fault</RequestId></ErrorResponse>"
            )
            ctype = "text/xml"
            status = 500
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream_port: int) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream_port = upstream_port
        self.faults: dict[str, str] = {}
        self.fault_filter: bytes | None = None
        self.hits: dict[str, int] = {}
        self.calls: list[tuple[str, object]] = []
        # "slow" answers this late (after moto has done the work); "hang" never.
        self.slow_s = 3.0
        self.release = threading.Event()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def clear(self) -> None:
        """No faults; requests held by "hang" or "slow" are let go."""
        self.release.set()
        self.release = threading.Event()
        self.faults, self.fault_filter, self.hits, self.calls = {}, None, {}, []

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
