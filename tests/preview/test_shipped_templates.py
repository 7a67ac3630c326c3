"""Every shipped template with its sample data, drawn by Microsoft's renderer with Teams' host
config in headless Chromium, in both themes."""

from __future__ import annotations

import pytest

from shared import catalog
from shared.cli.common import expand
from shared.preview.browser import PreviewBrowser
from shared.preview.page import DEFAULT_WIDTH
from shared.preview.pins import THEMES
from tests.preview.pictures import colours, dominant, size

CASES = [(theme, name) for theme in THEMES for name in catalog.template_names()]


@pytest.mark.parametrize(("theme", "name"), CASES, ids=[f"{n}-{t}" for t, n in CASES])
def test_every_template_renders_without_a_renderer_problem(
    browser: PreviewBrowser, theme: str, name: str
) -> None:
    card = expand(name, catalog.get(name).sample_data)
    rendering = browser.preview(card, theme=theme, title=name)  # type: ignore[arg-type]
    assert rendering.problems == []
    assert rendering.refused == [], "the page asked for something that is not pinned"
    assert rendering.blocked == [], "the page's Content-Security-Policy refused something"
    width, height = size(rendering.png)
    assert width == DEFAULT_WIDTH
    # A card with a header, some facts and actions: taller than a line, shorter than a screen.
    assert 150 <= height <= 1200, height
    # Not blank: text, a header and buttons give the card area many colours.
    assert colours(rendering.png) > 50


def test_light_and_dark_pictures_of_a_card_differ(browser: PreviewBrowser) -> None:
    card = expand("alert", catalog.get("alert").sample_data)
    light = browser.preview(card, theme="light", title="alert").png
    dark = browser.preview(card, theme="dark", title="alert").png
    assert light != dark
    # The card's background is light in one, dark in the other.
    assert sum(dominant(light)) > 600
    assert sum(dominant(dark)) < 200


def test_the_width_is_the_cards_width(browser: PreviewBrowser) -> None:
    card = expand("message", catalog.get("message").sample_data)
    narrow = browser.preview(card, theme="light", width=320, title="message")
    assert size(narrow.png)[0] == 320
    assert narrow.width == 320
