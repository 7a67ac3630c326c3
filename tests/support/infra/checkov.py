"""Checkov in a virtual environment of its own, and running it offline.

Why its own environment: checkov 3.3 pins `packaging==23.2` (the app's test tools use 26.x) and
brings about ninety packages (boto3, aiohttp, networkx, ...) that the function app must not depend
on. Their exact versions are locked in `checkov-requirements.txt`; `ensure_checkov()` builds
`.tools/checkov-venv` from that file once (pip from PyPI, one to two minutes) and afterwards reuses
it without any network while the lock file is unchanged. `make clean` removes `.tools`, and with it
this environment.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bicep import REPO
from .loopback_proxy import RecordingProxy

LOCK_FILE = Path(__file__).with_name("checkov-requirements.txt")
VENV = REPO / ".tools" / "checkov-venv"
_MARKER = VENV / ".installed"
_INSTALL_TIMEOUT = 600
_RUN_TIMEOUT = 300


class CheckovSetupError(RuntimeError):
    """The checkov environment could not be built; the message says which step failed."""


def _bin(name: str) -> Path:
    return VENV / "bin" / name


def _lock_digest() -> str:
    return hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Serialises builds between concurrent test processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_step(command: list[str], what: str) -> None:
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=_INSTALL_TIMEOUT, check=False
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout)[-2000:]
        raise CheckovSetupError(f"{what} failed (exit {result.returncode}):\n{tail}")


def ensure_checkov() -> Path:
    """The checkov executable, building its environment from the lock file when needed."""
    with _exclusive(VENV.with_name("checkov-venv.lock")):
        if _MARKER.exists() and _MARKER.read_text() == _lock_digest() and _bin("checkov").exists():
            return _bin("checkov")
        shutil.rmtree(VENV, ignore_errors=True)
        _run_step([sys.executable, "-m", "venv", str(VENV)], "creating .tools/checkov-venv")
        _run_step(
            [
                str(_bin("python")),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                "-r",
                str(LOCK_FILE),
            ],
            f"pip install -r {LOCK_FILE.name}",
        )
        _MARKER.write_text(_lock_digest())
        return _bin("checkov")


def installed_version(package: str) -> str:
    """The version of `package` inside the checkov environment."""
    result = subprocess.run(
        [
            str(_bin("python")),
            "-c",
            "import importlib.metadata, sys; print(importlib.metadata.version(sys.argv[1]))",
            package,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


@dataclass(frozen=True)
class Finding:
    check_id: str
    resource: str
    file: str
    comment: str | None = None


@dataclass(frozen=True)
class CheckovReport:
    exit_code: int
    passed: list[Finding]
    failed: list[Finding]
    skipped: list[Finding]
    parsing_errors: list[str]
    outbound_requests: list[str]


def _findings(results: dict[str, Any], key: str) -> list[Finding]:
    return [
        Finding(
            check_id=item["check_id"],
            resource=item["resource"],
            file=item["file_path"].lstrip("/"),
            comment=(item.get("check_result") or {}).get("suppress_comment"),
        )
        for item in results.get(key, [])
    ]


def offline_environment(proxy_url: str) -> dict[str, str]:
    """Checkov's environment: no update check, every HTTP(S) request sent to `proxy_url`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    env.update(
        {
            # The only call checkov makes for a local `--framework bicep --skip-download` scan is
            # its version check against PyPI (checkov/common/util/banner.py): switched off.
            "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
            "BC_SKIP_MAPPING": "TRUE",
            "HTTP_PROXY": proxy_url,
            "HTTPS_PROXY": proxy_url,
            "ALL_PROXY": proxy_url,
            "http_proxy": proxy_url,
            "https_proxy": proxy_url,
            "all_proxy": proxy_url,
            "NO_PROXY": "",
            "no_proxy": "",
        }
    )
    return env


def run_checkov(directory: Path) -> CheckovReport:
    """`checkov --framework bicep -d DIRECTORY --skip-download`, offline, as a parsed report."""
    checkov = ensure_checkov()
    with RecordingProxy() as proxy:
        result = subprocess.run(
            [
                str(checkov),
                "--framework",
                "bicep",
                "-d",
                str(directory),
                "--skip-download",
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=_RUN_TIMEOUT,
            env=offline_environment(proxy.url),
            check=False,
        )
        outbound = proxy.requests
    if result.returncode not in (0, 1):
        raise CheckovSetupError(f"checkov exited {result.returncode}:\n{result.stderr[-2000:]}")
    document: Any = json.loads(result.stdout)
    # One framework gives one report object; checkov prints a list when several ran.
    reports = document if isinstance(document, list) else [document]
    passed: list[Finding] = []
    failed: list[Finding] = []
    skipped: list[Finding] = []
    parsing_errors: list[str] = []
    for report in reports:
        results = report.get("results", {})
        passed += _findings(results, "passed_checks")
        failed += _findings(results, "failed_checks")
        skipped += _findings(results, "skipped_checks")
        listed = [str(error) for error in results.get("parsing_errors", [])]
        # With nothing parsed at all, checkov prints only a summary: count its parsing errors too.
        summary = report.get("summary", report)
        unnamed = int(summary.get("parsing_errors", 0)) - len(listed)
        parsing_errors += listed + ["(file not named by checkov)"] * max(unnamed, 0)
    return CheckovReport(result.returncode, passed, failed, skipped, parsing_errors, outbound)
