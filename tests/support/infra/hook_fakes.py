"""Stand-ins for what the azd hooks talk to: the Azure CLI and the app's /api/health.

`FakeAz` writes an `az` executable into a folder that goes first on PATH. It records every call
(one JSON list of arguments a line) and answers from a table of argument prefixes, so a test says
what Azure would reply. `HealthServer` serves GET /api/health on 127.0.0.1 from a list of answers,
switching to a second list once the fake `az functionapp restart` has run.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_FAKE_AZ = """#!{python}
import json, sys
from pathlib import Path
folder = Path({folder!r})
args = sys.argv[1:]
with (folder / "calls.jsonl").open("a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:2] == ["functionapp", "restart"]:
    (folder / "restarted").write_text("yes")
answers = json.loads((folder / "answers.json").read_text())
best = None
for answer in answers:
    prefix = answer["prefix"]
    if args[: len(prefix)] == prefix and (best is None or len(prefix) > len(best["prefix"])):
        best = answer
if best is None:
    sys.stderr.write("fake az: no answer for " + " ".join(args) + "\\n")
    sys.exit(3)
sys.stdout.write(best.get("stdout", ""))
sys.stderr.write(best.get("stderr", ""))
sys.exit(best.get("rc", 0))
"""


@dataclass
class FakeAz:
    folder: Path
    answers: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        script = self.folder / "az"
        script.write_text(_FAKE_AZ.format(python=sys.executable, folder=str(self.folder)))
        script.chmod(0o755)
        self.save()

    def answer(self, prefix: list[str], stdout: str = "", rc: int = 0, stderr: str = "") -> None:
        self.answers.append({"prefix": prefix, "stdout": stdout, "rc": rc, "stderr": stderr})
        self.save()

    def save(self) -> None:
        (self.folder / "answers.json").write_text(json.dumps(self.answers))

    @property
    def calls(self) -> list[list[str]]:
        log = self.folder / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    @property
    def restarted(self) -> bool:
        return (self.folder / "restarted").exists()


@dataclass
class HealthServer:
    """GET /api/health answers `before` (one per request, the last repeating) until the fake az
    restarted the app, then `after`. An answer is (status, body) with body None for no JSON."""

    az_folder: Path
    before: list[tuple[int, dict[str, Any] | None]]
    after: list[tuple[int, dict[str, Any] | None]] | None = None
    requests: int = 0

    def _next(self) -> tuple[int, dict[str, Any] | None]:
        answers = self.before
        if self.after is not None and (self.az_folder / "restarted").exists():
            answers = self.after
        index = min(self.requests, len(answers) - 1)
        self.requests += 1
        return answers[index]

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/api/health":
                    self.send_error(404)
                    return
                status, body = server._next()
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)


def ok(channels: int = 1) -> tuple[int, dict[str, Any]]:
    return 200, {"status": "ok", "problems": 0, "templates": 10, "channels": channels}


def degraded(problems: int = 1) -> tuple[int, dict[str, Any]]:
    return 200, {"status": "degraded", "problems": problems, "templates": 10, "channels": 0}
