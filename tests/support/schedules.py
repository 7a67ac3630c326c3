"""For the schedules' tests: a loopback status page for the `source` tests (a Statuspage-style
summary, `/api/v2/summary.json`, the shape www.githubstatus.com answers; scripted answers, slow
answers, redirects, and a record of the headers each request carried), and `Timer`, what the
worker's TimerRequest gives a run."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SUMMARY_PATH = "/api/v2/summary.json"


def summary(*down: tuple[str, str], indicator: str | None = None) -> dict[str, Any]:
    """A Statuspage summary where the named components have the given status."""
    statuses = dict(down)
    names = ["API Requests", "Webhooks", "Git Operations", "Actions", *statuses]
    components = [
        {"id": f"c{i}", "name": name, "status": statuses.get(name, "operational")}
        for i, name in enumerate(dict.fromkeys(names))
    ]
    worst = indicator or ("major" if "major_outage" in statuses.values() else "minor")
    return {
        "page": {
            "id": "kctbh9vrtdwd",
            "name": "GitHub",
            "url": "https://www.githubstatus.com",
            "time_zone": "Etc/UTC",
            "updated_at": "2025-01-06T07:58:41.217Z",
        },
        "components": components,
        "incidents": [],
        "scheduled_maintenances": [],
        "status": (
            {"indicator": worst, "description": "Partial System Outage"}
            if down
            else {"indicator": "none", "description": "All Systems Operational"}
        ),
    }


@dataclass(frozen=True)
class Timer:
    """azure.functions.TimerRequest as the worker builds it from the host's payload: IsPastDue and
    ScheduleStatus (Last, Next, LastUpdated)."""

    past_due: bool = False
    schedule_status: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    delay: float = 0.0


@dataclass
class StatusPage:
    port: int = 0
    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{SUMMARY_PATH}"

    def answer(self, document: Any) -> None:
        self.replies.append(Reply(body=json.dumps(document).encode()))

    def reply(self, reply: Reply) -> None:
        self.replies.append(reply)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        page = self.server.page
        page.requests.append({k.lower(): v for k, v in self.headers.items()})
        reply = page.replies.pop(0) if page.replies else Reply(404, b"{}")
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    page: StatusPage


@contextmanager
def status_page() -> Iterator[StatusPage]:
    server = _Server(("127.0.0.1", 0), _Handler)
    page = StatusPage(port=server.server_address[1])
    server.page = page
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield page
    finally:
        server.shutdown()
        server.server_close()
