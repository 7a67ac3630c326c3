"""Chromium runs what previews need and not the browser's own address-bar pages, and Playwright's
own choices of features survive ours (Chromium keeps only the last --disable-features)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from shared import catalog
from shared.cli.common import expand
from shared.preview.browser import CHROMIUM_ARGS, PreviewBrowser
from tests.support.paths import ROOT


def test_a_preview_window_starts_no_address_bar_pages(browser: PreviewBrowser) -> None:
    card = expand("alert", catalog.get("alert").sample_data)
    browser.preview(card, theme="light", title="alert", layout=False)
    running = browser.running_pages()
    assert ("page", "https://card-preview.invalid/") in running
    assert [page for page in running if page[0] == "browser_ui"] == []


def test_the_features_playwright_disables_stay_disabled(browser: PreviewBrowser) -> None:
    # Playwright names the command line it starts Chromium with when asked to (DEBUG=pw:browser).
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "from shared.preview.browser import open_browser\nwith open_browser(): pass",
        ],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "pw:browser"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lists = re.findall(r"--disable-features=(\S*)", started.stderr)
    assert len(lists) == 2, "Playwright's list, then ours"
    playwrights, ours = (set(found.split(",")) for found in lists)
    assert playwrights <= ours, f"add {sorted(playwrights - ours)} to our list"
    assert f"--disable-features={lists[-1]}" in CHROMIUM_ARGS
    assert {"WebUIOmniboxPopup", "WebUIOmniboxAimPopup"} <= ours
