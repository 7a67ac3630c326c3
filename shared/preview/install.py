"""Where the pinned renderer packages and Chromium are on this machine; installs the packages.

The packages are installed with `npm ci` from `renderer/package-lock.json` into `.tools/renderer`
(ignored by git) on first use, by `make` or by the first preview; `PREVIEW_RENDERER_DIR` moves
that folder. Chromium is Debian's (`apt-get install chromium`); `PREVIEW_CHROMIUM` names another.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Final

__all__ = ["PreviewUnavailableError", "chromium_path", "renderer_modules"]

_PACKAGE: Final = Path(__file__).parent / "renderer"
_FILES: Final = ("package.json", "package-lock.json", ".npmrc")
_DEFAULT_FOLDER: Final = Path(__file__).resolve().parents[2] / ".tools" / "renderer"


class PreviewUnavailableError(Exception):
    """Something a preview needs is missing on this machine; the message says how to get it."""


def renderer_modules() -> Path:
    """The node_modules folder of the pinned packages, installed first if it is missing or was
    installed from another lock file."""
    folder = Path(os.environ.get("PREVIEW_RENDERER_DIR") or _DEFAULT_FOLDER)
    modules = folder / "node_modules"
    lock = (_PACKAGE / "package-lock.json").read_bytes()
    installed = folder / "package-lock.json"
    if modules.is_dir() and installed.is_file() and installed.read_bytes() == lock:
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise PreviewUnavailableError(
            "previews need npm (Node.js) to install the pinned Adaptive Cards renderer"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for name in _FILES:
        shutil.copy(_PACKAGE / name, folder / name)
    try:
        subprocess.run(  # noqa: S603  # npm from PATH with fixed arguments
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        installed.unlink(missing_ok=True)
        raise PreviewUnavailableError(
            f"npm ci of the pinned renderer in {folder} failed: {error}"
        ) from None
    return modules


def chromium_path() -> str:
    """Chromium's executable: `PREVIEW_CHROMIUM`, else `chromium` on PATH (Debian's package)."""
    configured = os.environ.get("PREVIEW_CHROMIUM")
    found = configured or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not os.access(found, os.X_OK):
        raise PreviewUnavailableError(
            "previews need Chromium: install it with 'apt-get install chromium' "
            "(or name its executable in PREVIEW_CHROMIUM)"
        )
    return found
