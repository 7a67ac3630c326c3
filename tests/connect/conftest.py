"""The configuration page under test: the app's functions on a loopback server, Azurite for the
tables, the Teams stand-in as the channels, and a browser-like HTTP client for its JSON API."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from devtools.azurite import Azurite
from devtools.functions_server import FunctionsServer
from devtools.teams_standin import TeamsStandIn
from shared.config.once import reset_configuration
from shared.subscriptions.crypto import new_local_key

# One key for every test here: they all act as the one local person, and a test deletes what
# earlier ones left (delete opens the sealed URL to say goodbye).
KEY = new_local_key()
AZURE_MARKERS = ("WEBSITE_INSTANCE_ID", "WEBSITE_OWNER_NAME", "WEBSITE_SKU", "WEBSITE_POD_NAME")


@pytest.fixture(scope="module")
def server() -> Iterator[FunctionsServer]:
    with FunctionsServer() as running:
        yield running


@dataclass
class PageClient:
    """What a browser with the page open does: its cookie jar, the token from the page."""

    http: httpx.Client
    token: str

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.token} if method != "GET" else {}
        headers.update(kwargs.pop("headers", {}))
        return self.http.request(
            method, f"/api/connect{path}", json=body, headers=headers, **kwargs
        )

    def mine(self) -> list[dict[str, Any]]:
        answer = self.call("GET", "/subscriptions")
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["subscriptions"]
        return found

    def delete_all(self) -> None:
        for view in self.mine():
            assert self.call("DELETE", f"/subscriptions/{view['id']}").status_code == 204


def open_page(base_url: str) -> PageClient:
    http = httpx.Client(base_url=base_url, timeout=20)
    page = http.get("/api/connect")
    assert page.status_code == 200, page.text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert token is not None
    return PageClient(http, token.group(1))


@pytest.fixture
def local(
    server: FunctionsServer,
    storage: Azurite,
    teams: TeamsStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[PageClient]:
    """The app as `func start` runs it (no Azure marker), subscriptions on, the page open, and no
    subscription of the local person left from another test."""
    for name in list(os.environ):
        if name in AZURE_MARKERS or name.startswith(("TEAMS_", "WEBSITE_AUTH")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TEAMS_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("SUBSCRIPTIONS_KEY", KEY)
    reset_configuration()
    client = open_page(server.base_url)
    client.delete_all()
    teams.clear()
    try:
        yield client
    finally:
        client.http.close()
