"""A loopback HTTP proxy that forwards nothing and records every request made through it.

Checkov runs with HTTP_PROXY/HTTPS_PROXY pointing here, so any outbound call it attempts through
`requests` or `urllib` (its update check, policy downloads) reaches only 127.0.0.1, is answered 403,
and shows up in `requests`, which the tests assert to be empty.
"""

from __future__ import annotations

import socketserver
import threading
from types import TracebackType


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        line = self.rfile.readline(8192).decode("latin-1").strip()
        with self.server.lock:
            self.server.recorded.append(line)
        self.wfile.write(
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.recorded: list[str] = []
        self.lock = threading.Lock()


class RecordingProxy:
    """`with RecordingProxy() as proxy:` -> proxy.url to use, proxy.requests seen so far."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[str]:
        with self._server.lock:
            return list(self._server.recorded)

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
