"""The loopback test server routes HTTP to the app's functions as the Functions host does."""

from collections.abc import Iterator

import httpx
import pytest

from devtools.functions_server import FunctionsServer, compile_route
from devtools.teams_standin import TeamsStandIn
from tests.support.function_app import configure


@pytest.fixture(scope="module")
def server() -> Iterator[FunctionsServer]:
    with FunctionsServer() as running:
        yield running


def test_route_templates_match_as_the_host_matches_them() -> None:
    route = compile_route("f", "connect/subscriptions/{id}/pause", ["POST"])
    assert route.match("connect/subscriptions/abc-1/pause") == {"id": "abc-1"}
    assert route.match("Connect/Subscriptions/abc/PAUSE") == {"id": "abc"}
    assert route.match("connect/subscriptions/a/b/pause") is None
    assert compile_route("f", "x/{*rest}", ["GET"]).match("x/a/b/c") == {"rest": "a/b/c"}
    constrained = compile_route("f", "x/{kind:regex(^(a|b)$)}", ["GET"])
    assert constrained.match("x/a") == {"kind": "a"}
    assert constrained.match("x/c") is None


def test_it_answers_from_the_apps_own_function(server: FunctionsServer) -> None:
    answer = httpx.get(f"{server.base_url}/api/health")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["status"] in ("ok", "degraded")


def test_a_wrong_method_or_route_is_the_hosts_answer_not_the_apps(server: FunctionsServer) -> None:
    assert httpx.post(f"{server.base_url}/api/health").status_code == 405
    assert httpx.get(f"{server.base_url}/api/nothing-here").status_code == 404
    assert httpx.get(f"{server.base_url}/elsewhere").status_code == 404


def test_notify_reaches_teams_through_it(
    server: FunctionsServer, teams: TeamsStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels = configure(monkeypatch, teams)
    answer = httpx.post(
        f"{server.base_url}/api/notify/message",
        params={"channel": "ops"},
        json={"title": "Through the server", "text": "routed"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["delivered"]
    (received,) = channels.received("ops")
    assert "Through the server" in str(received)
