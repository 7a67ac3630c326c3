"""One headless Chromium for every preview test of the session (it takes seconds to start)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from shared.preview import browser as browser_module
from shared.preview.browser import PreviewBrowser, open_browser
from shared.preview.install import PreviewUnavailableError


@pytest.fixture(scope="session")
def browser() -> Iterator[PreviewBrowser]:
    try:
        with open_browser() as session:
            yield session
    except PreviewUnavailableError as error:
        # `make test` installs Chromium and the renderer; in CI their absence is a failure.
        if os.environ.get("CI") == "true":
            pytest.fail(f"previews cannot run in CI: {error}")
        pytest.skip(f"previews cannot run here: {error}")


@pytest.fixture
def commands_share_the_browser(browser: PreviewBrowser, monkeypatch: pytest.MonkeyPatch) -> None:
    """`check --render` and `preview` render in the session's Chromium instead of starting one."""

    @contextmanager
    def shared() -> Iterator[PreviewBrowser]:
        yield browser

    monkeypatch.setattr(browser_module, "open_browser", shared)
