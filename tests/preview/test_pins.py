"""The pinned files are the ones the lock file installs, byte for byte."""

from __future__ import annotations

import base64
import hashlib
import json

from shared.preview.install import renderer_modules
from shared.preview.pins import pinned_files
from tests.support.paths import ROOT

LOCK = ROOT / "shared" / "preview" / "renderer" / "package-lock.json"


def test_each_pin_names_the_locked_version() -> None:
    packages = json.loads(LOCK.read_text(encoding="utf-8"))["packages"]
    for pinned in pinned_files():
        assert packages[f"node_modules/{pinned.package}"]["version"] == pinned.version


def test_each_pin_is_the_hash_of_the_installed_file(browser: object) -> None:
    modules = renderer_modules()  # installed by the browser fixture (or make) from the lock file
    for pinned in pinned_files():
        digest = hashlib.sha384((modules / pinned.package / pinned.path).read_bytes()).digest()
        assert pinned.integrity == "sha384-" + base64.b64encode(digest).decode("ascii")
