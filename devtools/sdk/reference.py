"""Run Microsoft's official templating SDK under Node, installed from the pinned lock file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from devtools.paths import TESTS

HERE = Path(__file__).parent
CASES = TESTS / "conformance" / "cases.json"
EXPECTED = TESTS / "conformance" / "expected.json"

# Node prints dates and numbers by its locale and time zone; pin what the engine assumes.
NODE_ENV = {"TZ": "UTC", "LC_ALL": "en_US.UTF-8", "LANG": "en_US.UTF-8"}


def node_available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


def install(into: Path) -> Path:
    """`npm ci` the pinned SDK into `into`; returns its node_modules folder."""
    for name in ("package.json", "package-lock.json", "expand.js"):
        shutil.copy(HERE / name, into / name)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=into,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return into / "node_modules"


def expand_all(modules: Path, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The SDK's answer per case: {"ok": value} or {"error": message}."""
    result = subprocess.run(
        ["node", str(modules.parent / "expand.js"), str(modules)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env={**os.environ, **NODE_ENV},
    )
    answers: list[dict[str, Any]] = json.loads(result.stdout)
    return answers


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(CASES.read_text(encoding="utf-8"))
    return cases
