"""The headless browser's preview page carries the pinned files inside it: the same bytes as the
files a person's browser loads, each allowed to run by its hash and nothing else."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from shared import catalog
from shared.cli.common import expand
from shared.preview.browser import PreviewBrowser, carried_files
from shared.preview.install import PreviewUnavailableError, renderer_modules
from shared.preview.page import preview_page
from shared.preview.pins import RENDERER, host_config, pinned_files


def test_a_carried_page_loads_nothing_and_runs_only_what_its_policy_names(
    browser: PreviewBrowser,
) -> None:
    carried = carried_files(renderer_modules())
    assert set(carried) == set(pinned_files())
    card = expand("alert", catalog.get("alert").sample_data)
    page = preview_page(card, theme="dark", title="alert", carried=carried)
    assert "cdn.jsdelivr.net" not in re.sub(
        r'<script type="application/json".*?</script>', "", page.html, flags=re.S
    )
    assert carried[RENDERER] in page.html
    assert host_config("light").url in page.html, "both themes' host configs are carried"
    policy = page.content_security_policy
    assert "unsafe-inline" not in policy
    assert "connect-src 'none'" in policy
    assert RENDERER.url not in policy
    rendering = browser.render(page)
    assert rendering.problems == []
    assert rendering.refused == [], "a carried page asks for nothing"
    assert rendering.blocked == []


def test_a_carried_page_draws_the_card_as_the_loading_page_does(browser: PreviewBrowser) -> None:
    card = expand("build-status", catalog.get("build-status").sample_data)
    loading = browser.render(preview_page(card, theme="light", title="build-status"))
    carried = carried_files(renderer_modules())
    carrying = browser.render(
        preview_page(card, theme="light", title="build-status", carried=carried)
    )
    assert carrying.png == loading.png
    assert carrying.listed == loading.listed


def test_a_file_that_is_not_the_pinned_one_is_not_carried(browser: object, tmp_path: Path) -> None:
    # `browser`: the renderer is installed (or the test is skipped where previews cannot run).
    modules = tmp_path / "node_modules"
    for pinned in pinned_files():
        target = modules / pinned.package / pinned.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(renderer_modules() / pinned.package / pinned.path, target)
    assert carried_files(modules)
    changed = modules / RENDERER.package / RENDERER.path
    changed.write_text(changed.read_text(encoding="utf-8") + ";window.x=1", encoding="utf-8")
    with pytest.raises(PreviewUnavailableError, match="not the pinned file"):
        carried_files(modules)


@pytest.mark.parametrize("text", ["a</script>b", "x = '<SCRIPT>'", "</Script"])
def test_script_text_that_could_end_its_element_is_refused(browser: object, text: str) -> None:
    carried = carried_files(renderer_modules())
    carried[RENDERER] = text
    with pytest.raises(ValueError, match="holds"):
        preview_page({"type": "AdaptiveCard"}, theme="light", title="t", carried=carried)
