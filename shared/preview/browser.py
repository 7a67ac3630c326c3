"""Headless Chromium, driven by Playwright, showing preview pages with the pinned renderer.

Nothing reaches the network: the page and the pinned files are answered from this machine
(the files from the npm packages installed from the lock file; the browser still checks each
against its integrity hash), and every other request is refused and remembered.

Playwright runs on its own event loop in a thread of its own, behind a blocking interface:
Playwright's sync API marks the calling thread's loop as running for as long as the browser is
open, which breaks every `asyncio.run` of the caller (the tests' function app calls, `send`).

Imported only by the commands that render (Playwright is a development tool, not a dependency
of the function app).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from playwright.async_api import Browser, BrowserContext, Playwright, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page as BrowserPage

from shared.cards import Problem
from shared.preview.install import PreviewUnavailableError, chromium_path, renderer_modules
from shared.preview.page import DEFAULT_WIDTH, Page, page_input, preview_page
from shared.preview.pins import Theme, pinned_files

__all__ = ["CHROMIUM_ARGS", "PreviewBrowser", "PreviewFailedError", "Rendering", "open_browser"]

# The page's own address: never resolved, every request is answered by the route below.
PAGE_URL: Final = "https://card-preview.invalid/"
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
_TYPES: Final = {".js": "text/javascript", ".json": "application/json", ".css": "text/css"}
_TIMEOUT_MS: Final = 20_000

# Renders (a new card, or awaits the page's own first render) and reads what the page shows, in
# one round trip: where the card is and the problems list as a person reads it.
_COLLECT: Final = """async (input) => {
    const result = await (input ? window.cardPreview(input) : window.previewDone);
    if (!result) return null;
    const rect = document.getElementById("frame").getBoundingClientRect();
    const listed = Array.from(document.querySelectorAll("#problems li"), (li) => li.innerText);
    return {
        ...result,
        box: {x: rect.x, y: rect.y, width: rect.width, height: rect.height},
        listed,
        layout: result.state === "ready" ? window.cardLayout() : null,
    };
}"""

T = TypeVar("T")


class PreviewFailedError(Exception):
    """The page could not render the card (the renderer or host config did not load)."""


@dataclass(frozen=True)
class Rendering:
    png: bytes
    problems: list[Problem]
    listed: list[str]  # the page's problems list as a person reads it
    width: int
    height: int
    refused: list[str] = field(default_factory=list)  # requests for anything not pinned
    blocked: list[str] = field(default_factory=list)  # what the page's CSP refused
    layout: dict[str, Any] = field(default_factory=dict)  # the page's cardLayout() (layout.py)


class _Loop:
    """An event loop in a daemon thread; `run` waits for one coroutine on it."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="card-preview", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


class PreviewBrowser:
    """One Chromium for many previews. `render(page)` loads a whole preview page, as a person's
    browser does; `preview(card, ...)` loads the page once per theme and then renders each
    further card in it with the page's own `cardPreview` function (the renderer is parsed once)."""

    def __init__(self, loop: _Loop, context: BrowserContext, modules: Path) -> None:
        self._loop = loop
        self._context = context
        self._files = {p.url: modules / p.package / p.path for p in pinned_files()}
        self._page: Page | None = None  # what the page's address answers now
        self._refused: list[str] = []
        # One tab: a second one would be a background tab, which Chromium throttles (screenshots
        # of it waited about a second each). A change of theme loads that theme's page in it.
        self._tab: BrowserPage | None = None
        self._theme: Theme | None = None

    async def _answer(self, route: Route) -> None:
        url = route.request.url
        page = self._page
        if url == PAGE_URL and page is not None:
            await route.fulfill(
                status=200,
                content_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": page.content_security_policy},
                body=page.html,
            )
        elif url in self._files:
            path = self._files[url]
            await route.fulfill(
                status=200,
                content_type=_TYPES.get(path.suffix, "application/octet-stream"),
                headers={"Access-Control-Allow-Origin": "*"},
                body=path.read_bytes(),
            )
        else:
            self._refused.append(url)
            await route.abort("blockedbyclient")

    def render(self, page: Page, *, screenshot: bool = True) -> Rendering:
        """`page` loaded, as a browser opens the HTML answer."""
        self._theme = None  # the tab no longer shows a theme's page for `preview`
        self._page = page
        return self._loop.run(self._load(screenshot=screenshot))

    def preview(
        self,
        card: Any,
        *,
        theme: Theme,
        width: int = DEFAULT_WIDTH,
        title: str = "card",
        problems: Sequence[str] = (),
        screenshot: bool = True,
    ) -> Rendering:
        """`card` rendered in `theme`'s page (loaded when the theme changes: preview many cards
        theme by theme)."""
        if self._theme != theme:
            self._theme = theme
            self._page = preview_page(
                card, theme=theme, width=width, title=title, problems=problems
            )
            return self._loop.run(self._load(screenshot=screenshot))
        state = page_input(card, theme=theme, width=width, problems=problems)
        return self._loop.run(self._again(state, screenshot=screenshot))

    async def _open_tab(self) -> BrowserPage:
        if self._tab is None:
            self._tab = await self._context.new_page()
        return self._tab

    async def _load(self, *, screenshot: bool) -> Rendering:
        try:
            tab = await self._open_tab()
            await tab.goto(PAGE_URL)
            result = await tab.evaluate(_COLLECT, None)
            return await self._collect(tab, result, screenshot=screenshot)
        except PlaywrightError as error:
            raise PreviewFailedError(f"the browser failed: {error.message}") from None

    async def _again(self, state: dict[str, Any], *, screenshot: bool) -> Rendering:
        try:
            tab = await self._open_tab()
            result = await tab.evaluate(_COLLECT, state)
            return await self._collect(tab, result, screenshot=screenshot)
        except PlaywrightError as error:
            raise PreviewFailedError(f"the browser failed: {error.message}") from None

    async def _collect(
        self, tab: BrowserPage, result: dict[str, Any], *, screenshot: bool
    ) -> Rendering:
        refused, self._refused = self._refused, []
        if result is None:
            raise PreviewFailedError("the page's script did not run")
        if result["state"] != "ready":
            raise PreviewFailedError(str(result["error"]))
        box = result["box"]
        png = b""
        if screenshot:
            png = await tab.screenshot(type="png", clip=box, animations="disabled", caret="hide")
        listed: list[str] = result["listed"]
        return Rendering(
            png=png,
            problems=[Problem(p["path"], p["message"]) for p in result["problems"]],
            listed=listed,
            width=round(box["width"]),
            height=round(box["height"]),
            refused=refused,
            blocked=list(result["blocked"]),
            layout=result["layout"] or {},
        )


async def _start(executable: str) -> tuple[Playwright, Browser, BrowserContext]:
    playwright = await async_playwright().start()
    try:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
        )
    except PlaywrightError as error:
        await playwright.stop()
        raise PreviewUnavailableError(
            f"Chromium ({executable}) did not start: {error.message.splitlines()[0]}"
        ) from None
    context = await browser.new_context(
        viewport={"width": 1300, "height": 900}, device_scale_factor=1
    )
    context.set_default_timeout(_TIMEOUT_MS)
    return playwright, browser, context


async def _stop(playwright: Playwright, browser: Browser) -> None:
    try:
        await browser.close()
    finally:
        await playwright.stop()


@contextmanager
def open_browser() -> Iterator[PreviewBrowser]:
    """Chromium started headless, closed on exit. Playwright gives each launch a fresh profile
    folder of its own (and deletes it at close), so no state carries over between runs."""
    modules = renderer_modules()
    executable = chromium_path()
    loop = _Loop()
    try:
        playwright, browser, context = loop.run(_start(executable))
        try:
            session = PreviewBrowser(loop, context, modules)
            loop.run(context.route("**/*", session._answer))
            yield session
        finally:
            loop.run(_stop(playwright, browser))
    finally:
        loop.stop()
