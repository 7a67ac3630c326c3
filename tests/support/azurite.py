"""Azurite, the Azure Storage emulator from npm, started by the tests themselves.

`make test` installs it (Makefile: AZURITE_VERSION into .tools/). One `Azurite` is one emulator
process: blob, queue and table services on free loopback ports, in memory, no telemetry; its
`connection_string` is what `AzureWebJobsStorage` holds. The session fixture `azurite` in
tests/conftest.py shares one; a test that stops the emulator starts its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tests.support.paths import ROOT

__all__ = ["ACCOUNT", "KEY", "Azurite", "azurite_binary"]

# Azurite's well-known development account (documented, not a secret).
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_SERVICES = ("blob", "queue", "table")
_START_TIMEOUT = 30.0


def azurite_binary() -> Path:
    """The Azurite that `make test` installs (or AZURITE_BIN, or one on PATH)."""
    for candidate in (
        os.environ.get("AZURITE_BIN", ""),
        str(ROOT / ".tools" / "node_modules" / ".bin" / "azurite"),
        shutil.which("azurite") or "",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise RuntimeError(
        "Azurite is not installed: run `make .tools/node_modules/.bin/azurite` (make test does)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Azurite:
    """One emulator process on 127.0.0.1; `start()`/`stop()` or a `with` block."""

    def __init__(self) -> None:
        self.ports = {service: _free_port() for service in _SERVICES}
        self._process: subprocess.Popen[bytes] | None = None
        self._workspace = tempfile.TemporaryDirectory(prefix="azurite-")

    @property
    def connection_string(self) -> str:
        endpoints = ";".join(
            f"{service.capitalize()}Endpoint=http://127.0.0.1:{port}/{ACCOUNT}"
            for service, port in self.ports.items()
        )
        return f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};{endpoints}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Azurite:
        command = [
            str(azurite_binary()),
            "--silent",
            "--disableTelemetry",
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
        ]
        for service, port in self.ports.items():
            command += [f"--{service}Host", "127.0.0.1", f"--{service}Port", str(port)]
        self._process = subprocess.Popen(
            command,
            cwd=self._workspace.name,  # where Azurite puts its debug log, if it writes one
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: stop() ends node and its children
        )
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        waiting = set(self.ports.values())
        while waiting:
            if not self.running:
                assert self._process is not None
                error = (
                    self._process.stderr.read().decode(errors="replace")
                    if self._process.stderr
                    else ""
                )
                raise RuntimeError(f"Azurite exited while starting: {error.strip()[:500]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Azurite did not listen within {_START_TIMEOUT:g} s")
            for port in list(waiting):
                with socket.socket() as probe:
                    probe.settimeout(0.2)
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        waiting.discard(port)
            if waiting:
                time.sleep(0.05)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            if process.stderr:
                process.stderr.close()

    def close(self) -> None:
        self.stop()
        self._workspace.cleanup()

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
