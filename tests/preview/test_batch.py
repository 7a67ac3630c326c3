"""A batch of previews (`make preview`, bench/preview.py): both themes side by side, each in a
window of its own, with the same pictures as one preview at a time."""

from __future__ import annotations

from shared import catalog
from shared.cli.common import expand
from shared.preview.browser import PreviewBrowser, PreviewRequest, open_browser
from tests.preview.pictures import dominant, size


def test_a_batch_answers_each_request_in_order_as_single_previews_do(
    browser: PreviewBrowser,
) -> None:
    alert = expand("alert", catalog.get("alert").sample_data)
    message = expand("message", catalog.get("message").sample_data)
    requests = [
        PreviewRequest(alert, "light", title="alert"),
        PreviewRequest(alert, "dark", title="alert"),
        PreviewRequest(message, "light", 300, title="message"),
        PreviewRequest(message, "dark", title="message"),
    ]
    batch = browser.preview_many(requests, layout=False)
    assert len(batch) == len(requests)
    singles = [
        browser.preview(r.card, theme=r.theme, width=r.width, title=r.title, layout=False)
        for r in requests
    ]
    for request, together, alone in zip(requests, batch, singles, strict=True):
        assert together.problems == alone.problems == []
        assert size(together.png) == size(alone.png)
        assert size(together.png)[0] == request.width
        assert dominant(together.png) == dominant(alone.png)
        assert together.layout == {}, "no layout measures were asked for"
    # Each theme's picture is in its theme: light and dark backgrounds differ.
    assert dominant(batch[0].png) != dominant(batch[1].png)


def test_the_layout_measures_come_when_asked(browser: PreviewBrowser) -> None:
    card = expand("alert", catalog.get("alert").sample_data)
    measured = browser.preview(card, theme="light", title="alert")
    assert measured.layout["height"] > 100
    assert measured.layout["texts"]


def test_warming_up_leaves_the_next_preview_as_it_would_be(browser: PreviewBrowser) -> None:
    card = expand("build-status", catalog.get("build-status").sample_data)
    before = browser.preview(card, theme="dark", title="build-status")
    browser.warm(["light", "dark"])
    after = browser.preview(card, theme="dark", title="build-status")
    assert size(after.png) == size(before.png)
    assert after.problems == before.problems == []


def test_windows_opened_first_are_blank_until_their_theme_is_previewed(
    browser: PreviewBrowser,
) -> None:
    # `browser`: Chromium is here (or the test is skipped); a fresh one shows what opening does.
    card = expand("build-status", catalog.get("build-status").sample_data)
    with open_browser() as fresh:
        fresh.open_windows(["light", "dark"])
        assert sorted(fresh.running_pages()) == [("page", "about:blank")] * 2
        dark = fresh.preview(card, theme="dark", title="build-status", layout=False)
        assert sorted(fresh.running_pages()) == [
            ("page", "about:blank"),
            ("page", "https://card-preview.invalid/"),
        ]
    alone = browser.preview(card, theme="dark", title="build-status", layout=False)
    assert size(dark.png) == size(alone.png)
    assert dominant(dark.png) == dominant(alone.png)
