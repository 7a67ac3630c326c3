"""A loopback stand-in for Teams Incoming Webhooks: both kinds, with Teams' own answers.

Facts it reproduces (docs/teams-protocol.md):
- classic connector (`/webhookb2/...`): success is HTTP 200 with body `1`; Teams-side failures are
  HTTP 200 with `Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP
  error NNN with ContextId tcid=...` (429 when throttled, 413 above 28 KB, 500); malformed payloads
  get a real 400 with `Bad payload received by generic incoming webhook.` or `Summary or Text is
  required.`;
- Workflows (`/workflows/<id>/triggers/manual/paths/invoke?api-version=...`): success is 202 with an
  empty body, 413 `Request Entity Too Large`, a missing api-version is a 400
  MissingApiVersionParameter JSON error, throttling is a real 429 (with or without Retry-After);
- each webhook (URL path) allows 4 requests in 1 s, 60 in 30 s, 100 in 3600 s, 150 in 7200 s and
  1800 in 86400 s, enforced here as sliding windows over arrival times; every request counts.

Tests script answers per webhook (`script(url, Answer...)`), make Teams slow, reset connections,
take it down and bring it back on the same port, and read what it received (`records`). It runs in a
thread (`with TeamsStandIn() as teams:`) or as its own process
(`python -m devtools.teams_standin --latency 0.05`, from the repository root), where
`GET /_standin/records` returns the records as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import httpx

from devtools.paths import ROOT

TEAMS_WINDOWS: tuple[tuple[int, float], ...] = (
    (4, 1.0),
    (60, 30.0),
    (100, 3600.0),
    (150, 7200.0),
    (1800, 86400.0),
)
TEAMS_LIMIT_BYTES = 28 * 1024
BAD_PAYLOAD = "Bad payload received by generic incoming webhook."
SUMMARY_REQUIRED = "Summary or Text is required."

Kind = Literal["classic", "workflows"]


def wrapped_error(status: int) -> str:
    """The body of a classic connector's HTTP 200 that reports a Teams-side failure."""
    context = (
        f"tcid=0,server=msgapi-production-weu-01-{secrets.randbelow(99)},cv={secrets.token_hex(8)}"
    )
    return (
        "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error "
        f"{status} with ContextId {context}.0."
    )


@dataclass(frozen=True)
class Answer:
    """One scripted answer. `status=None` means the kind's success answer."""

    status: int | None = None
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    reset: bool = False
    label: str = ""

    @staticmethod
    def success(delay: float = 0.0) -> Answer:
        return Answer(delay=delay, label="success")

    @staticmethod
    def wrapped(status: int) -> Answer:
        """Classic connector: HTTP 200 whose body reports the real status."""
        return Answer(200, wrapped_error(status), label=f"wrapped-{status}")

    @staticmethod
    def throttled(retry_after: str | None = None) -> Answer:
        headers = (("Retry-After", retry_after),) if retry_after is not None else ()
        return Answer(429, "Too Many Requests", headers, label="throttled")

    @staticmethod
    def bad_payload() -> Answer:
        return Answer(400, BAD_PAYLOAD, label="bad-payload")

    @staticmethod
    def summary_required() -> Answer:
        return Answer(400, SUMMARY_REQUIRED, label="summary-required")

    @staticmethod
    def server_error(status: int = 500) -> Answer:
        return Answer(status, "Internal Server Error", label=f"error-{status}")

    @staticmethod
    def slow(seconds: float) -> Answer:
        """The success answer, `seconds` late (longer than a client's read timeout = no answer)."""
        return Answer(delay=seconds, label="slow")

    @staticmethod
    def connection_reset() -> Answer:
        """Read the request, then drop the connection with a TCP reset and no answer."""
        return Answer(reset=True, label="reset")


@dataclass
class Received:
    """One request as the stand-in saw it, and what it answered."""

    path: str
    kind: str
    body: str
    size: int
    arrived: float
    status: int | None
    outcome: str
    query: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def kind_of(path: str) -> Kind | None:
    if path.startswith(("/webhookb2/", "/webhook/")):
        return "classic"
    if path.startswith("/workflows/") and path.rstrip("/").endswith(
        "/triggers/manual/paths/invoke"
    ):
        return "workflows"
    return None


class _Windows:
    """Per-path sliding windows over arrival times."""

    def __init__(self, windows: Sequence[tuple[int, float]]) -> None:
        self.windows = tuple(windows)
        self._longest = max(period for _, period in self.windows)
        self._arrivals: dict[str, deque[float]] = {}

    def arrive(self, path: str, now: float) -> bool:
        """Count an arrival; True when it breaks a window (the request is throttled)."""
        arrivals = self._arrivals.setdefault(path, deque())
        while arrivals and arrivals[0] <= now - self._longest:
            arrivals.popleft()
        arrivals.append(now)
        for limit, period in self.windows:
            if len(arrivals) > limit and arrivals[-limit - 1] > now - period:
                return True
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    standin: TeamsStandIn


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK would add 40 ms to every answer on a kept-alive connection.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # the request line carries the webhook URL's secret parts

    def setup(self) -> None:
        super().setup()
        self.server.standin._track(self.connection, True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.standin._track(self.connection, False)

    def do_GET(self) -> None:
        if self.path == "/_standin/records":
            body = json.dumps([asdict(r) for r in self.server.standin.records]).encode()
            self._send(200, body, (("Content-Type", "application/json"),))
        else:
            self._send(404, b"not found", ())

    def do_POST(self) -> None:
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        parts = urlsplit(self.path)
        standin = self.server.standin
        kind = kind_of(parts.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        answer, outcome = standin._decide(parts.path, kind, query, len(raw), arrived)
        status = None if answer.reset else self._status(answer, kind)
        standin._record(
            Received(
                parts.path,
                kind or "unknown",
                raw.decode("utf-8", "replace"),
                len(raw),
                arrived,
                status,
                outcome,
                query,
            )
        )
        wait = answer.delay + standin.latency
        if wait:
            time.sleep(wait)
        if answer.reset:
            self._reset()
            return
        assert status is not None
        body = answer.body
        if answer.status is None:
            body = "1" if kind == "classic" else ""
        headers = [("Content-Type", "text/plain; charset=utf-8"), *answer.headers]
        self._send(status, body.encode(), tuple(headers))

    @staticmethod
    def _status(answer: Answer, kind: Kind | None) -> int:
        if answer.status is not None:
            return answer.status
        return 200 if kind == "classic" else 202

    def _send(self, status: int, body: bytes, headers: tuple[tuple[str, str], ...]) -> None:
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout turns close() into a TCP reset: the client sees its request
        # sent and the connection torn down with no answer.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()


class TeamsStandIn:
    """A threaded loopback server standing in for Teams webhooks."""

    def __init__(
        self,
        *,
        windows: Sequence[tuple[int, float]] = TEAMS_WINDOWS,
        latency: float = 0.0,
        limit_bytes: int = TEAMS_LIMIT_BYTES,
        workflows_retry_after: str | None = "1",
        port: int = 0,
    ) -> None:
        self.latency = latency
        self.limit_bytes = limit_bytes
        self.workflows_retry_after = workflows_retry_after
        self._windows = _Windows(windows)
        self._lock = threading.Lock()
        self._records: list[Received] = []
        self._scripts: dict[str, deque[Answer]] = {}
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = port

    # --- lifecycle ---------------------------------------------------------------------------

    def up(self) -> TeamsStandIn:
        """Start listening (again, on the same port once it has one)."""
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.standin = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def down(self) -> None:
        """Stop listening and drop every open connection: Teams is unreachable."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> TeamsStandIn:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    # --- webhooks ----------------------------------------------------------------------------

    def url(self, kind: Kind = "classic", name: str | None = None) -> str:
        """A webhook URL of `kind` here, shaped like the real ones, with secret parts."""
        name = name or secrets.token_hex(4)
        if kind == "classic":
            group = f"{name}-{secrets.token_hex(8)}@{secrets.token_hex(8)}"
            return (
                f"http://127.0.0.1:{self.port}/webhookb2/{group}/IncomingWebhook/"
                f"{secrets.token_hex(16)}/{secrets.token_hex(16)}"
            )
        return (
            f"http://127.0.0.1:{self.port}/workflows/{name}{secrets.token_hex(12)}"
            "/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun"
            f"&sv=1.0&sig={secrets.token_urlsafe(32)}"
        )

    def script(self, url: str, *answers: Answer) -> None:
        """The next answers for that webhook, in order; after them it answers normally."""
        path = urlsplit(url).path
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(answers)

    def clear_scripts(self) -> None:
        """Forget every scripted answer not given yet."""
        with self._lock:
            self._scripts.clear()

    def _decide(
        self, path: str, kind: Kind | None, query: dict[str, str], size: int, now: float
    ) -> tuple[Answer, str]:
        with self._lock:
            throttled = self._windows.arrive(path, now)
            script = self._scripts.get(path)
            scripted = script.popleft() if script else None
        if scripted is not None:
            return scripted, scripted.label or "scripted"
        if kind is None:
            return Answer(404, "Not Found"), "unknown-path"
        if kind == "workflows" and "api-version" not in query:
            body = json.dumps(
                {
                    "error": {
                        "code": "MissingApiVersionParameter",
                        "message": "The api-version query parameter (?api-version=) is required "
                        "for all requests.",
                    }
                }
            )
            return Answer(400, body), "rejected"
        if throttled:
            if kind == "classic":
                return Answer.wrapped(429), "throttled"
            return Answer.throttled(self.workflows_retry_after), "throttled"
        if size > self.limit_bytes:
            if kind == "classic":
                return Answer.wrapped(413), "too-large"
            return Answer(413, "Request Entity Too Large"), "too-large"
        return Answer.success(), "delivered" if kind == "classic" else "accepted"

    # --- what it saw -------------------------------------------------------------------------

    def _record(self, received: Received) -> None:
        with self._lock:
            self._records.append(received)

    @property
    def records(self) -> list[Received]:
        with self._lock:
            return list(self._records)

    def received(self, url: str) -> list[Received]:
        path = urlsplit(url).path
        return [r for r in self.records if r.path == path]

    def count(self, outcome: str, url: str | None = None) -> int:
        records = self.received(url) if url is not None else self.records
        return sum(1 for r in records if r.outcome == outcome)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def naive_send(posts: Sequence[tuple[str, Any]], *, timeout: float = 10.0) -> int:
    """What the popular Python senders do: one POST after another, any 2xx is success, failures are
    dropped. Returns how many it believes were delivered."""
    believed = 0
    with httpx.Client(timeout=timeout) as client:
        for url, message in posts:
            try:
                response = client.post(url, json=message)
            except httpx.HTTPError:
                continue
            believed += response.is_success
    return believed


@dataclass
class _Args:
    port: int
    latency: float


def main(argv: Sequence[str] | None = None) -> int:
    """Run the stand-in as its own process; prints `PORT <n>` once it listens."""
    parser = argparse.ArgumentParser(prog="python -m devtools.teams_standin")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args(argv, namespace=_Args(0, 0.0))
    standin = TeamsStandIn(latency=args.latency, port=args.port).up()
    print(f"PORT {standin.port}", flush=True)
    try:
        for _ in iter(sys.stdin.readline, ""):
            pass  # runs until its parent closes stdin
    finally:
        standin.down()
    return 0


def start_process(latency: float = 0.0) -> tuple[subprocess.Popen[str], int]:
    """The stand-in as its own process (as the benchmarks run it): the process and its port.
    It runs until its standard input closes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.teams_standin", "--latency", str(latency)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().split()
    if len(line) != 2 or line[0] != "PORT":
        process.kill()
        raise SystemExit("the Teams stand-in did not start")
    return process, int(line[1])


def records_of(port: int) -> list[Received]:
    """The records of a stand-in running as its own process."""
    response = httpx.get(f"http://127.0.0.1:{port}/_standin/records", timeout=30)
    return [Received(**item) for item in response.json()]


if __name__ == "__main__":
    sys.exit(main())
