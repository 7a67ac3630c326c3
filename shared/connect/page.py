"""The configuration page and its two static files, read from `assets/` in the package.

The HTML has four placeholders (`$base`, `$csrf`, `$nonce`, `$person`), each filled HTML-escaped;
the script and the style sheet are served as they are, under fixed names only.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["ASSETS", "Asset", "asset", "page_html"]

_FOLDER: Final = Path(__file__).parent / "assets"
_PLACEHOLDER: Final = re.compile(r"\$(base|csrf|nonce|person)\b")


@dataclass(frozen=True)
class Asset:
    name: str
    mimetype: str


ASSETS: Final = {
    "connect.js": Asset("connect.js", "text/javascript"),
    "connect.css": Asset("connect.css", "text/css"),
}


@functools.cache
def _read(name: str) -> bytes:
    return (_FOLDER / name).read_bytes()


def asset(name: str) -> tuple[Asset, bytes] | None:
    """A static file by its exact name, or None (nothing else of the package is reachable)."""
    found = ASSETS.get(name)
    return None if found is None else (found, _read(found.name))


def page_html(*, base: str, csrf: str, nonce: str, person: str) -> str:
    values = {"base": base, "csrf": csrf, "nonce": nonce, "person": person}
    text = _read("page.html").decode("utf-8")
    return _PLACEHOLDER.sub(lambda m: html.escape(values[m.group(1)], quote=True), text)
