"""The configuration page driven in headless Chromium, keyboard first, against the app's own
functions on loopback (devtools/functions_server.py), Azurite and the Teams stand-in.

Playwright's sync API runs its loop in this thread for as long as the browser is open, so these
tests never call asyncio here: they see the app only over HTTP, as the page does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, Request, Route, sync_playwright

from devtools.connect_page import VIEWPORT, launch
from devtools.functions_server import FunctionsServer
from devtools.openmeteo_standin import OpenMeteoStandIn
from devtools.teams_standin import Answer, TeamsStandIn
from shared.preview.install import PreviewUnavailableError
from tests.connect.conftest import PageClient

TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    playwright: Playwright = sync_playwright().start()
    try:
        try:
            started = launch(playwright)
        except PreviewUnavailableError as error:
            if os.environ.get("CI") == "true":
                pytest.fail(f"the page tests cannot run in CI: {error}")
            pytest.skip(f"the page tests cannot run here: {error}")
        yield started
        started.close()
    finally:
        playwright.stop()


class Opened:
    """The page in a fresh browser context, with what it asked elsewhere and what it logged."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.elsewhere: list[str] = []
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(message.text))
        page.route("**/*", self._only_the_app)

    def _only_the_app(self, route: Route, request: Request) -> None:
        if request.url.startswith(self.base_url + "/"):
            route.continue_()
        else:
            self.elsewhere.append(request.url)
            route.abort("blockedbyclient")

    def open(self) -> Opened:
        answer = self.page.goto(f"{self.base_url}/api/connect")
        assert answer is not None
        assert answer.status == 200
        self.page.wait_for_selector("body[data-ready=true]")
        return self

    def tab_to(self, selector: str, limit: int = 120) -> None:
        """Press Tab until `selector` has the focus: it is reachable by keyboard alone."""
        target = self.page.locator(selector).first
        for _ in range(limit):
            if target.evaluate("(e) => e === document.activeElement"):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"{selector} cannot be reached with the Tab key")

    def type_into(self, selector: str, text: str) -> None:
        self.tab_to(selector)
        self.page.keyboard.type(text)

    def status(self, selector: str, says: str) -> None:
        self.page.wait_for_function(
            "([s, t]) => document.querySelector(s).textContent.includes(t)",
            arg=[selector, says],
            timeout=TIMEOUT_MS,
        )

    def item(self, channel: str) -> Any:
        return self.page.locator("#mine li.sub", has_text=channel)

    def check_clean(self) -> None:
        assert self.elsewhere == []
        assert not [m for m in self.console if "Content Security Policy" in m or "Trusted" in m]


@pytest.fixture
def opened(browser: Browser, server: FunctionsServer, local: PageClient) -> Iterator[Opened]:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield Opened(context.new_page(), server.base_url)
    finally:
        context.close()


def connect_by_keyboard(
    opened: Opened, name: str, url: str, topic: str = "incidents", filter_: str = ""
) -> None:
    opened.type_into("#channel-name", name)
    opened.type_into("#webhook-url", url)
    opened.tab_to(f"#topic-{topic}")
    opened.page.keyboard.press("Space")
    if filter_:
        opened.type_into(f"#topic-{topic}-filter", filter_)
    opened.tab_to("#save")
    opened.page.keyboard.press("Enter")


def test_subscribe_pause_resume_delete_by_keyboard_alone(
    opened: Opened, local: PageClient, teams: TeamsStandIn
) -> None:
    url = teams.url("workflows", "ops")
    opened.open()
    connect_by_keyboard(opened, "Ops alerts", url, filter_="${severity <= 2}")
    opened.status("#form-status", "Connected")
    item = opened.item("Ops alerts")
    assert "Active" in item.inner_text()
    assert "incidents (${severity <= 2})" in item.inner_text()
    (view,) = local.mine()
    assert view["fingerprint"] in item.inner_text()
    assert url not in opened.page.content()
    (welcome,) = teams.received(url)
    assert "Ops alerts" in str(welcome.json())

    opened.tab_to("#mine li.sub button:has-text('Pause')")
    opened.page.keyboard.press("Enter")
    opened.status("#list-status", "Paused")
    assert "Paused" in opened.item("Ops alerts").inner_text()
    assert local.mine()[0]["active"] is False

    opened.tab_to("#mine li.sub button:has-text('Resume')")
    opened.page.keyboard.press("Enter")
    opened.status("#list-status", "Resumed")
    assert local.mine()[0]["active"] is True

    opened.tab_to("#mine li.sub button:has-text('Delete')")
    opened.page.keyboard.press("Enter")  # asks first
    assert opened.page.locator("#mine button:has-text('Confirm delete')").is_visible()
    opened.page.keyboard.press("Enter")
    opened.status("#list-status", "Deleted")
    assert local.mine() == []
    assert len(teams.received(url)) == 2
    assert "Ops alerts" in str(teams.received(url)[1].json())  # the goodbye card
    opened.check_clean()


def test_edit_keeps_the_url_and_changes_the_choices(
    opened: Opened, local: PageClient, teams: TeamsStandIn
) -> None:
    url = teams.url("workflows")
    opened.open()
    connect_by_keyboard(opened, "Builds", url, topic="builds")
    opened.status("#form-status", "Connected")
    opened.tab_to("#mine li.sub button:has-text('Edit')")
    opened.page.keyboard.press("Enter")
    assert opened.page.input_value("#channel-name") == "Builds"
    assert opened.page.is_checked("#topic-builds")
    assert opened.page.input_value("#webhook-url") == ""
    opened.tab_to("#topic-deployments")
    opened.page.keyboard.press("Space")
    opened.tab_to("#save")
    opened.page.keyboard.press("Enter")
    opened.status("#form-status", "Saved")
    (view,) = local.mine()
    assert [t["name"] for t in view["topics"]] == ["deployments", "builds"]
    assert len(teams.received(url)) == 1  # no new URL: no new welcome card


def field_error(opened: Opened, field: str) -> str:
    error = opened.page.locator(f"#{field}-error")
    error.wait_for(state="visible")
    assert opened.page.get_attribute(f"#{field}", "aria-invalid") == "true"
    described = opened.page.get_attribute(f"#{field}", "aria-describedby") or ""
    assert f"{field}-error" in described.split()
    return error.inner_text()


def test_a_bad_url_is_shown_next_to_its_field_and_nothing_is_stored(
    opened: Opened, local: PageClient, teams: TeamsStandIn
) -> None:
    opened.open()
    connect_by_keyboard(opened, "Ops", "https://example.com/not-a-teams-webhook")
    message = field_error(opened, "webhook-url")
    assert "URL" in message
    assert opened.page.evaluate("document.activeElement.id") == "webhook-url"
    assert local.mine() == []
    assert teams.records == []


def test_a_url_teams_refuses_shows_teams_reason_and_nothing_is_stored(
    opened: Opened, local: PageClient, teams: TeamsStandIn
) -> None:
    url = teams.url("workflows")
    teams.script(url, Answer(404, '{"error":{"code":"WorkflowNotFound"}}'))
    opened.open()
    connect_by_keyboard(opened, "Gone", url)
    assert "Teams refused the welcome card" in field_error(opened, "webhook-url")
    assert local.mine() == []


def test_an_invalid_filter_is_shown_next_to_it_and_nothing_is_stored(
    opened: Opened, local: PageClient, teams: TeamsStandIn
) -> None:
    opened.open()
    connect_by_keyboard(opened, "Ops", teams.url("workflows"), filter_="${severity <=")
    assert "filter" in field_error(opened, "topic-incidents-filter")
    assert local.mine() == []
    assert teams.records == []


def test_a_change_without_the_csrf_token_is_refused_with_a_clear_message(
    opened: Opened, local: PageClient, teams: TeamsStandIn
) -> None:
    def strip_token(route: Route, request: Request) -> None:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "x-csrf-token"}
        route.continue_(headers=headers)

    opened.page.route("**/api/connect/subscriptions", strip_token)
    opened.open()
    connect_by_keyboard(opened, "Ops", teams.url("workflows"))
    error = opened.page.locator("#form-error")
    error.wait_for(state="visible")
    assert "X-CSRF-Token" in error.inner_text()
    assert local.mine() == []
    assert teams.records == []


def test_a_forged_principal_header_is_never_the_person(
    opened: Opened, local: PageClient, teams: TeamsStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    forged = {"X-MS-CLIENT-PRINCIPAL-ID": "someone-else", "X-MS-CLIENT-PRINCIPAL-NAME": "mallory"}
    opened.page.set_extra_http_headers(forged)
    opened.open()
    # Locally nothing strips the header, so it is ignored: the person stays the local one.
    assert "mallory" not in opened.page.inner_text("header")
    connect_by_keyboard(opened, "Ops", teams.url("workflows"))
    opened.status("#form-status", "Connected")
    assert local.mine()[0]["createdBy"]["id"] == "local"

    # In Azure without App Service authentication the page is not there, whatever it sends.
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "forged-principal-test")
    answer = opened.page.goto(f"{opened.base_url}/api/connect")
    assert answer is not None
    assert answer.status == 404
    assert "App Service authentication" in opened.page.inner_text("body")
    monkeypatch.delenv("WEBSITE_INSTANCE_ID")
    assert len(local.mine()) == 1


def test_every_field_has_a_label(opened: Opened) -> None:
    opened.open()
    opened.page.check("#schedule-weather")
    unlabelled = opened.page.evaluate(
        """() => [...document.querySelectorAll('input, select')]
            .filter((e) => !e.hidden && e.offsetParent !== null)
            .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
            .map((e) => e.id)"""
    )
    assert unlabelled == []
    opened.check_clean()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_follows_the_systems_colour_scheme(
    browser: Browser, server: FunctionsServer, local: PageClient, scheme: str
) -> None:
    context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)  # type: ignore[arg-type]  # a str, not the Literal
    try:
        page = context.new_page()
        page.goto(f"{server.base_url}/api/connect")
        page.wait_for_selector("body[data-ready=true]")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        text = page.evaluate("getComputedStyle(document.body).color")
    finally:
        context.close()
    channels = [int(c) for c in background.strip("rgb()").split(",")]
    light = sum(channels) / 3 > 128
    assert light is (scheme == "light"), (scheme, background, text)


def notify(base_url: str, severity: int) -> httpx.Response:
    return httpx.post(
        f"{base_url}/api/notify/message",
        params={"topic": "incidents"},
        json={"title": f"Severity {severity}", "text": "Disk almost full", "severity": severity},
        timeout=30,
    )


def test_notify_with_a_topic_reaches_exactly_the_subscribed_channels(
    opened: Opened, local: PageClient, teams: TeamsStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEAMS_DEFAULT_CHANNEL", raising=False)
    urls = {name: teams.url("workflows", name) for name in ("severe", "all", "deploys")}
    opened.open()
    connect_by_keyboard(opened, "Severe only", urls["severe"], filter_="${severity <= 2}")
    opened.status("#form-status", "Severe only")
    connect_by_keyboard(opened, "Every incident", urls["all"])
    opened.status("#form-status", "Every incident")
    connect_by_keyboard(opened, "Deployments", urls["deploys"], topic="deployments")
    opened.status("#form-status", "Deployments")
    ids = {view["channelName"]: view["id"] for view in local.mine()}
    teams.clear()

    def reached() -> set[str]:
        got = {name for name, url in urls.items() if teams.received(url)}
        teams.clear()
        return got

    answer = notify(opened.base_url, 1)
    assert answer.status_code == 200, answer.text
    assert ids["Severe only"] in answer.text
    assert ids["Every incident"] in answer.text
    assert ids["Deployments"] not in answer.text
    assert reached() == {"severe", "all"}

    assert notify(opened.base_url, 3).status_code == 200
    assert reached() == {"all"}  # the filter keeps severity 3 out

    opened.tab_to("#mine li.sub:has-text('Severe only') button:has-text('Pause')")
    opened.page.keyboard.press("Enter")
    opened.status("#list-status", "Paused")
    assert notify(opened.base_url, 1).status_code == 200
    assert reached() == {"all"}

    opened.tab_to("#mine li.sub:has-text('Severe only') button:has-text('Resume')")
    opened.page.keyboard.press("Enter")
    opened.status("#list-status", "Resumed")
    assert notify(opened.base_url, 1).status_code == 200
    assert reached() == {"severe", "all"}

    opened.tab_to("#mine li.sub:has-text('Severe only') button:has-text('Delete')")
    opened.page.keyboard.press("Enter")
    opened.page.keyboard.press("Enter")
    opened.status("#list-status", "Deleted")
    assert reached() == {"severe"}  # the goodbye card
    assert notify(opened.base_url, 1).status_code == 200
    assert reached() == {"all"}


@pytest.fixture
def meteo(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenMeteoStandIn]:
    with OpenMeteoStandIn() as standin:
        monkeypatch.setenv("OPEN_METEO_URL", standin.base_url)
        monkeypatch.setenv("SOURCE_ALLOW_HOSTS", "127.0.0.1")
        yield standin


def test_a_weather_update_with_a_city_picked_by_keyboard(
    opened: Opened, local: PageClient, teams: TeamsStandIn, meteo: OpenMeteoStandIn
) -> None:
    url = teams.url("workflows", "weather")
    opened.open()
    opened.type_into("#channel-name", "Team Bern")
    opened.type_into("#webhook-url", url)
    opened.tab_to("#schedule-weather")
    opened.page.keyboard.press("Space")
    opened.tab_to("#schedule-weather-time")
    opened.page.keyboard.type("0645")
    opened.type_into("#schedule-weather-param-place", "Ber")
    opened.page.keyboard.press("Enter")  # looks the city up; the first match is chosen
    opened.status("#schedule-weather-param-place-help", "Chosen: Berlin")
    assert opened.page.evaluate("document.activeElement.id") == (
        "schedule-weather-param-place-results"
    )
    options = opened.page.locator("#schedule-weather-param-place-results option").all_inner_texts()
    assert any(o.startswith("Bern") for o in options)
    while not opened.page.input_value("#schedule-weather-param-place").startswith("Bern"):
        opened.page.keyboard.press("ArrowDown")
        opened.status("#schedule-weather-param-place-help", "Chosen")
    # Choosing the city sets its time zone: the team's own time of day is Bern's.
    assert opened.page.input_value("#schedule-weather-zone") == "Europe/Zurich"
    opened.tab_to("#save")
    opened.page.keyboard.press("Enter")
    opened.status("#form-status", "Team Bern")
    assert (
        "Tomorrow's weather for Bern at 06:45 (Europe/Zurich)"
        in opened.item("Team Bern").inner_text()
    )
    ((schedule,),) = [v["schedules"] for v in local.mine()]
    assert schedule["entry"] == "weather"
    assert (schedule["timeOfDay"], schedule["timeZone"]) == ("06:45", "Europe/Zurich")
    assert schedule["parameters"]["city"] == "Bern"
    assert float(schedule["parameters"]["latitude"]) == pytest.approx(46.94809)
    (welcome,) = teams.received(url)
    assert "06:45" in str(welcome.json())
    opened.check_clean()


def test_a_city_that_is_not_found_says_so(
    opened: Opened, local: PageClient, meteo: OpenMeteoStandIn
) -> None:
    opened.open()
    opened.page.check("#schedule-weather")
    opened.type_into("#schedule-weather-param-place", "Atlantis")
    opened.page.keyboard.press("Enter")
    opened.status("#schedule-weather-param-place-help", "No city found")


def test_a_webhook_teams_reports_gone_is_paused_and_the_page_says_why(
    opened: Opened, local: PageClient, teams: TeamsStandIn
) -> None:
    url = teams.url("workflows", "gone")
    opened.open()
    connect_by_keyboard(opened, "Old channel", url)
    opened.status("#form-status", "Old channel")
    gone = Answer(404, '{"error":{"code":"WorkflowNotFound","message":"not found"}}')
    teams.script(url, gone, gone, gone)
    for _ in range(3):
        notify(opened.base_url, 1)
    opened.open()  # a person coming back to the page
    item = opened.item("Old channel").inner_text()
    assert "Paused" in item
    assert "Teams reported the webhook gone (HTTP 404) 3 times" in item

    # Fixed by pasting a new workflow's URL and resuming.
    fresh = teams.url("workflows", "fresh")
    opened.tab_to("#mine li.sub button:has-text('Edit')")
    opened.page.keyboard.press("Enter")
    opened.type_into("#webhook-url", fresh)
    opened.tab_to("#save")
    opened.page.keyboard.press("Enter")
    opened.status("#form-status", "Saved")
    opened.tab_to("#mine li.sub button:has-text('Resume')")
    opened.page.keyboard.press("Enter")
    opened.status("#list-status", "Resumed")
    teams.clear()
    assert notify(opened.base_url, 1).status_code == 200
    assert teams.received(fresh)
    assert not teams.received(url)
