"""Headless Chromium, driven by Playwright, showing preview pages with the pinned renderer.

Nothing reaches the network: the page and the pinned files are answered from this machine
(the files from the npm packages installed from the lock file; the browser still checks each
against its integrity hash), and every other request is refused and remembered. The pages of
`preview` carry the pinned files inside them (checked against the same hashes here), so a
theme's first page is one answer; `render` loads a page as given, as a person's browser does.

Playwright runs on its own event loop in a thread of its own, behind a blocking interface:
Playwright's sync API marks the calling thread's loop as running for as long as the browser is
open, which breaks every `asyncio.run` of the caller (the tests' function app calls, `send`).

Imported only by the commands that render (Playwright is a development tool, not a dependency
of the function app).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import math
import threading
import time
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from playwright.async_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Playwright,
    Route,
    ViewportSize,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page as BrowserPage

from shared.cards import Problem
from shared.preview.install import PreviewUnavailableError, chromium_path, renderer_modules
from shared.preview.page import DEFAULT_WIDTH, Page, page_input, preview_page
from shared.preview.pins import PinnedFile, Theme, integrity, pinned_files

__all__ = [
    "CHROMIUM_ARGS",
    "PreviewBrowser",
    "PreviewFailedError",
    "PreviewRequest",
    "Rendering",
    "carried_files",
    "open_browser",
]

# The page's own address: never resolved, every request is answered by the route below.
PAGE_URL: Final = "https://card-preview.invalid/"
# Headless Chromium is the whole browser without a screen: every window it opens starts the
# address bar's popups too, WebUI pages (chrome://omnibox-popup.top-chrome/) in renderer processes
# of their own that a preview never shows. Measured on the 2-core machine: those two processes
# took about as much CPU as the two preview pages while they loaded, and kept using 15-20% of a
# core each for as long as the browser ran (bench/README.md, "Card previews").
_UNSHOWN_FEATURES: Final = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
# Chromium keeps only the last --disable-features of its command line, and Playwright passes its
# own list first (playwright-core's chromiumSwitches.ts, 1.65): ours carries Playwright's too, so
# that its choices (no paint holding, no requests to Google at start-up, ...) still hold.
# tests/preview/test_chromium_switches.py fails when Playwright's list grows past this one.
PLAYWRIGHT_DISABLED_FEATURES: Final = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-features=" + ",".join((*PLAYWRIGHT_DISABLED_FEATURES, *_UNSHOWN_FEATURES)),
)
_TYPES: Final = {".js": "text/javascript", ".json": "application/json", ".css": "text/css"}
_TIMEOUT_MS: Final = 20_000
_VIEWPORT: Final[ViewportSize] = {"width": 1300, "height": 900}

# Renders (a new card, or awaits the page's own first render) and reads what the page shows, in
# one round trip: where the card is and the problems list as a person reads it.
_COLLECT: Final = """async ([input, measure]) => {
    const result = await (input ? window.cardPreview(input) : window.previewDone);
    if (!result) return null;
    const rect = document.getElementById("frame").getBoundingClientRect();
    const listed = Array.from(document.querySelectorAll("#problems li"), (li) => li.innerText);
    return {
        ...result,
        box: {x: rect.x, y: rect.y, width: rect.width, height: rect.height},
        listed,
        layout: measure && result.state === "ready" ? window.cardLayout() : null,
    };
}"""

# What `warm` renders: the kinds of thing the first card of a batch would load on first use.
_WARM_CARD: Final = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [
        {
            "type": "TextBlock",
            "text": "\u2705 \U0001f534 warm-up",
            "weight": "Bolder",
            "size": "Large",
        },
        {"type": "FactSet", "facts": [{"title": "a", "value": "b"}]},
    ],
    "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": "https://example.com/"}],
}

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
    seconds: float = 0.0  # from the browser's side: page load or render, and screenshot


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


@dataclass(frozen=True)
class PreviewRequest:
    """One card to preview (see `PreviewBrowser.preview`)."""

    card: Any
    theme: Theme
    width: int = DEFAULT_WIDTH
    title: str = "card"
    problems: Sequence[str] = ()


class _Window:
    """A browser context with one tab, and the page its address answers now. Each theme gets a
    window of its own: a second tab in one window is a background tab, which Chromium throttles
    (its screenshots waited about a second each), while windows render side by side."""

    def __init__(self, context: BrowserContext, tab: BrowserPage) -> None:
        self.context = context
        self.tab = tab
        self.page: Page | None = None
        self.theme: Theme | None = None  # whose page the tab shows, for `preview`
        self.cdp: CDPSession | None = None


class PreviewBrowser:
    """One Chromium for many previews. `render(page)` loads a whole preview page, as a person's
    browser does; `preview(card, ...)` loads each theme's page once, in a window of its own, and
    then renders each further card of that theme in it with the page's own `cardPreview`
    function (the renderer is parsed once per theme). `preview_many` renders a batch, the
    themes' windows side by side."""

    def __init__(self, loop: _Loop, browser: Browser, modules: Path) -> None:
        self._loop = loop
        self._browser = browser
        self._files = {p.url: modules / p.package / p.path for p in pinned_files()}
        self._carried = carried_files(modules)
        self._windows: dict[str, _Window] = {}
        self._opening: dict[str, asyncio.Task[_Window]] = {}
        self._refused: list[str] = []

    async def _window(self, key: str) -> _Window:
        """The window for `key` (a theme, or "page" for `render`), opened on first use; two
        callers asking at once share one opening."""
        if key in self._windows:
            return self._windows[key]
        if key not in self._opening:
            self._opening[key] = asyncio.ensure_future(self._open_window(key))
        window = await self._opening[key]
        self._windows[key] = window
        return window

    async def _open_window(self, key: str) -> _Window:
        context = await self._browser.new_context(viewport=_VIEWPORT, device_scale_factor=1)
        context.set_default_timeout(_TIMEOUT_MS)
        tab = await context.new_page()
        window = _Window(context, tab)
        await context.route("**/*", functools.partial(self._answer, window))
        return window

    async def _answer(self, window: _Window, route: Route) -> None:
        url = route.request.url
        page = window.page
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

    def running_pages(self) -> list[tuple[str, str]]:
        """What the browser runs now, as DevTools lists it: (kind, address) of each page,
        including the browser's own WebUI ("browser_ui") that no preview asked for."""

        async def listed() -> list[tuple[str, str]]:
            session = await self._browser.new_browser_cdp_session()
            try:
                answer = await session.send("Target.getTargets")
            finally:
                await session.detach()
            return [(target["type"], target["url"]) for target in answer["targetInfos"]]

        return self._loop.run(listed())

    def open_windows(self, themes: Sequence[Theme]) -> None:
        """Open each theme's window, blank (no page loaded), side by side: the browser window
        itself, which headless Chromium builds as a desktop one, and its first renderer process.
        What this costs is start-up, and callers that time previews say so."""

        async def every_window() -> None:
            await asyncio.gather(*(self._window(theme) for theme in themes))

        self._loop.run(every_window())

    def warm(self, themes: Sequence[Theme]) -> None:
        """Open each theme's window and load its page with a small card (text, an emoji, a fact
        list, a button), side by side: the renderer is parsed and the fonts are loaded before the
        first real preview. What this costs is start-up, and callers that time previews say so
        (bench/preview.py reports it apart)."""
        self.preview_many(
            [PreviewRequest(_WARM_CARD, theme, title="warm-up") for theme in themes],
            screenshot=True,
            layout=False,
        )

    def render(self, page: Page, *, screenshot: bool = True) -> Rendering:
        """`page` loaded, as a browser opens the HTML answer."""

        async def load() -> Rendering:
            window = await self._window("page")
            window.page = page
            return await self._load(window, screenshot=screenshot, layout=True)

        return self._loop.run(load())

    def preview(
        self,
        card: Any,
        *,
        theme: Theme,
        width: int = DEFAULT_WIDTH,
        title: str = "card",
        problems: Sequence[str] = (),
        screenshot: bool = True,
        layout: bool = True,
    ) -> Rendering:
        """`card` rendered in `theme`'s page (loaded in the theme's window on first use).
        `layout`: measure what `check --render`'s layout checks read (`Rendering.layout`)."""
        request = PreviewRequest(card, theme, width, title, problems)
        return self._loop.run(self._preview(request, screenshot=screenshot, layout=layout))

    def preview_many(
        self, requests: Sequence[PreviewRequest], *, screenshot: bool = True, layout: bool = True
    ) -> list[Rendering]:
        """Each request's rendering, in order: each theme's cards one after the other in its
        window, the themes' windows at the same time (two renderer processes)."""
        results: list[Rendering | None] = [None] * len(requests)

        async def theme_in_turn(indices: list[int]) -> None:
            for index in indices:
                results[index] = await self._preview(
                    requests[index], screenshot=screenshot, layout=layout
                )

        by_theme: dict[Theme, list[int]] = {}
        for index, request in enumerate(requests):
            by_theme.setdefault(request.theme, []).append(index)

        async def every_theme() -> None:
            await asyncio.gather(*(theme_in_turn(indices) for indices in by_theme.values()))

        self._loop.run(every_theme())
        return [result for result in results if result is not None]

    async def _preview(
        self, request: PreviewRequest, *, screenshot: bool, layout: bool
    ) -> Rendering:
        started = time.perf_counter()
        rendering = await self._preview_once(request, screenshot=screenshot, layout=layout)
        return dataclasses.replace(rendering, seconds=time.perf_counter() - started)

    async def _preview_once(
        self, request: PreviewRequest, *, screenshot: bool, layout: bool
    ) -> Rendering:
        window = await self._window(request.theme)
        if window.theme != request.theme:
            window.theme = request.theme
            window.page = preview_page(
                request.card,
                theme=request.theme,
                width=request.width,
                title=request.title,
                problems=request.problems,
                carried=self._carried,
            )
            return await self._load(window, screenshot=screenshot, layout=layout)
        state = page_input(
            request.card, theme=request.theme, width=request.width, problems=request.problems
        )
        return await self._again(window, state, screenshot=screenshot, layout=layout)

    async def _load(self, window: _Window, *, screenshot: bool, layout: bool) -> Rendering:
        try:
            await window.tab.goto(PAGE_URL)
            result = await window.tab.evaluate(_COLLECT, [None, layout])
            return await self._collect(window, result, screenshot=screenshot)
        except PlaywrightError as error:
            raise PreviewFailedError(f"the browser failed: {error.message}") from None

    async def _again(
        self, window: _Window, state: dict[str, Any], *, screenshot: bool, layout: bool
    ) -> Rendering:
        try:
            result = await window.tab.evaluate(_COLLECT, [state, layout])
            return await self._collect(window, result, screenshot=screenshot)
        except PlaywrightError as error:
            raise PreviewFailedError(f"the browser failed: {error.message}") from None

    async def _collect(
        self, window: _Window, result: dict[str, Any], *, screenshot: bool
    ) -> Rendering:
        refused, self._refused = self._refused, []
        if result is None:
            raise PreviewFailedError("the page's script did not run")
        if result["state"] != "ready":
            raise PreviewFailedError(str(result["error"]))
        box = result["box"]
        png = await self._screenshot(window, box) if screenshot else b""
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

    async def _screenshot(self, window: _Window, box: dict[str, float]) -> bytes:
        """The card's box as a PNG, asked of Chromium directly (DevTools protocol
        `Page.captureScreenshot`): Playwright's screenshot adds round trips to stop animations
        and hide the caret, which a rendered card has neither of, and encodes slower. About 40%
        less time per preview; the whole box, out to the next whole pixel."""
        if window.cdp is None:
            window.cdp = await window.context.new_cdp_session(window.tab)
        left, top = math.floor(box["x"]), math.floor(box["y"])
        right = math.ceil(box["x"] + box["width"])
        bottom = math.ceil(box["y"] + box["height"])
        clip = {"x": left, "y": top, "width": right - left, "height": bottom - top, "scale": 1}
        answer = await window.cdp.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "clip": clip,
                # Only for a card taller than the window: otherwise it costs a relayout.
                "captureBeyondViewport": bottom > _VIEWPORT["height"] or right > _VIEWPORT["width"],
                "optimizeForSpeed": True,
            },
        )
        return base64.b64decode(answer["data"])


def carried_files(modules: Path) -> dict[PinnedFile, str]:
    """Each pinned file's text, as the preview pages carry it, once it has the pin's hash (what a
    browser checks before it runs a file it loads)."""
    carried: dict[PinnedFile, str] = {}
    for pinned in pinned_files():
        data = (modules / pinned.package / pinned.path).read_bytes()
        if integrity(data) != pinned.integrity:
            raise PreviewUnavailableError(
                f"{pinned.package}/{pinned.path} in {modules} is not the pinned file: "
                "delete the folder to install it again from the lock file"
            )
        carried[pinned] = data.decode("utf-8")
    return carried


async def _start(executable: str) -> tuple[Playwright, Browser]:
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
    return playwright, browser


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
        playwright, browser = loop.run(_start(executable))
        try:
            yield PreviewBrowser(loop, browser, modules)
        finally:
            loop.run(_stop(playwright, browser))
    finally:
        loop.stop()
