"""The configuration page in headless Chromium: for its browser tests and its pictures in docs/.

`launch(playwright)` starts Debian's Chromium the way the card previews do (shared.preview): the
system executable, no sandbox or GPU, no background networking, a fresh profile per launch.

`python -m devtools.connect_page docs` (`make screenshots`) draws docs/connect-light.png and
docs/connect-dark.png at 1280x800: Azurite, the Teams stand-in and the app's functions on
loopback, the Open-Meteo stand-in for the city picker, two example channels connected through the
page's own API, then the page in each colour scheme. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import httpx
from playwright.sync_api import Browser, Playwright, ViewportSize, sync_playwright

from devtools.azurite import Azurite
from devtools.functions_server import FunctionsServer
from devtools.openmeteo_standin import OpenMeteoStandIn
from devtools.teams_standin import TeamsStandIn
from shared.config.once import reset_configuration
from shared.preview.browser import CHROMIUM_ARGS
from shared.preview.install import chromium_path

Scheme = Literal["light", "dark"]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS)
    )


def page_token(http: httpx.Client) -> str:
    """What the page's script sends: the CSRF token written into the page (its cookie stays in
    `http`'s jar)."""
    page = http.get("/api/connect")
    page.raise_for_status()
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    if found is None:
        raise RuntimeError("the page carries no CSRF token")
    return found.group(1)


EXAMPLES: Sequence[dict[str, Any]] = (
    {
        "channelName": "Platform · Incidents",
        "topics": [{"name": "incidents", "filter": "${severity <= 2}"}],
        "schedules": [
            {
                "entry": "weather",
                "timeOfDay": "07:30",
                "timeZone": "Europe/Berlin",
                "parameters": {"city": "Berlin", "latitude": "52.52437", "longitude": "13.41053"},
            }
        ],
    },
    {
        "channelName": "Releases",
        "topics": [{"name": "deployments", "filter": None}, {"name": "builds", "filter": None}],
        "schedules": [],
    },
)


def connect_examples(base_url: str, teams: TeamsStandIn) -> None:
    """The example channels, connected as the page does it; the second one paused."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        token = page_token(http)
        headers = {"X-CSRF-Token": token}
        ids = []
        for example in EXAMPLES:
            body = {**example, "webhookUrl": teams.url("workflows")}
            answer = http.post("/api/connect/subscriptions", json=body, headers=headers)
            answer.raise_for_status()
            ids.append(answer.json()["id"])
        http.post(f"/api/connect/subscriptions/{ids[1]}/pause", headers=headers).raise_for_status()


def screenshot(browser: Browser, url: str, scheme: Scheme, path: Path) -> None:
    context = browser.new_context(
        viewport=VIEWPORT,
        device_scale_factor=1,
        color_scheme=scheme,
        locale="en-GB",
        timezone_id="Europe/Berlin",
    )
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]")
        page.check("#topic-incidents")
        page.fill("#topic-incidents-filter", "${severity <= 2}")
        page.fill("#channel-name", "Payments · On call")
        page.check("#schedule-weather")
        page.fill("#schedule-weather-time", "07:30")
        page.fill("#schedule-weather-param-place", "Berl")
        page.click("#schedule-weather-param-place-find")
        page.wait_for_selector("#schedule-weather-param-place-help:has-text('Chosen')")
        page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        page.screenshot(path=str(path), animations="disabled", caret="hide")
    finally:
        context.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the configuration page's pictures.")
    parser.add_argument("folder", type=Path, help="where connect-light.png and connect-dark.png go")
    folder: Path = parser.parse_args(argv).folder
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("WEBSITE_INSTANCE_ID", "WEBSITE_OWNER_NAME", "WEBSITE_SKU", "WEBSITE_POD_NAME"):
        os.environ.pop(name, None)
    from shared.subscriptions.crypto import new_local_key

    with Azurite(in_memory=True) as azurite, TeamsStandIn() as teams, OpenMeteoStandIn() as meteo:
        os.environ.update(
            {
                "AzureWebJobsStorage": azurite.connection_string,
                "SUBSCRIPTIONS_KEY": new_local_key(),
                "TEAMS_ALLOW_HOSTS": "127.0.0.1",
                "OPEN_METEO_URL": meteo.base_url,
                "SOURCE_ALLOW_HOSTS": "127.0.0.1",
            }
        )
        reset_configuration()
        with FunctionsServer() as server:
            connect_examples(server.base_url, teams)
            with sync_playwright() as playwright:
                browser = launch(playwright)
                try:
                    for scheme in ("light", "dark"):
                        target = folder / f"connect-{scheme}.png"
                        screenshot(browser, f"{server.base_url}/api/connect", scheme, target)
                        print(f"wrote {target}")
                finally:
                    browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
