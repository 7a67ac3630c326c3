"""Azurite from npm, started by the tests themselves on 127.0.0.1 (free ports, no telemetry).

`ensure_installed()` installs the version the Makefile pins (`AZURITE_VERSION`) into `.tools/`,
as `make run` does, when it is missing: a fresh clone needs only Node and npm. `Azurite` runs one
emulator with its data in a temporary directory, so `stop()` and `start()` again on the same ports
bring back the same tables (the tests stop it in the middle of a run); `in_memory=True` keeps
nothing on disk (the benchmark).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from devtools.paths import ROOT
from shared.state.store import development_connection_string

TOOLS = ROOT / ".tools"
BINARY = TOOLS / "node_modules" / ".bin" / "azurite"


def pinned_version() -> str:
    match = re.search(r"^AZURITE_VERSION \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    if match is None:
        raise RuntimeError("the Makefile does not pin AZURITE_VERSION")
    return match.group(1)


def ensure_installed() -> Path:
    """The azurite binary, installed with npm into .tools/ when missing."""
    if not BINARY.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install Azurite for the tests (Node.js 20+)")
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(TOOLS),
                "--no-audit",
                "--no-fund",
                "--silent",
                f"azurite@{pinned_version()}",
            ],
            check=True,
            timeout=600,
        )
    return BINARY


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Azurite:
    """One Azurite process on loopback; `connection_string` points the SDK clients at it."""

    def __init__(self, *, in_memory: bool = False) -> None:
        self.in_memory = in_memory
        self.binary = ensure_installed()
        self.blob_port, self.queue_port, self.table_port = free_port(), free_port(), free_port()
        self._data = tempfile.TemporaryDirectory(prefix="azurite-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def connection_string(self) -> str:
        return development_connection_string(
            blob=self.blob_port, queue=self.queue_port, table=self.table_port
        )

    def start(self) -> Azurite:
        self._process = subprocess.Popen(
            [
                str(self.binary),
                "--silent",
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(self.blob_port),
                "--queueHost",
                "127.0.0.1",
                "--queuePort",
                str(self.queue_port),
                "--tableHost",
                "127.0.0.1",
                "--tablePort",
                str(self.table_port),
                *(["--inMemoryPersistence"] if self.in_memory else ["--location", self._data.name]),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not (_listening(self.table_port) and _listening(self.queue_port)):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("Azurite did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        self._data.cleanup()

    def __enter__(self) -> Azurite:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
