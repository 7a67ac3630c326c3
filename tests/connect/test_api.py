"""The page's JSON API over HTTP, as the page's script calls it: access, the CSRF token, the
security headers, and each refusal with a clear message and nothing stored."""

from typing import Any

import httpx
import pytest

from devtools.functions_server import FunctionsServer
from devtools.teams_standin import Answer, TeamsStandIn
from shared.config.once import reset_configuration
from tests.connect.conftest import PageClient, open_page

ADELE = {"X-MS-CLIENT-PRINCIPAL-ID": "adele-object-id", "X-MS-CLIENT-PRINCIPAL-NAME": "adele"}


def draft(url: str | None, name: str = "Ops alerts", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channelName": name,
        "webhookUrl": url,
        "topics": [{"name": "incidents", "filter": "${severity <= 2}"}],
        "schedules": [],
    }
    body.update(changes)
    return body


def error_of(answer: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = answer.json()["error"]
    assert set(error) == {"code", "message", "details"}
    return error


def test_subscribe_list_pause_resume_edit_delete(local: PageClient, teams: TeamsStandIn) -> None:
    url = teams.url("workflows", "ops")
    created = local.call("POST", "/subscriptions", draft(url))
    assert created.status_code == 201, created.text
    view = created.json()
    assert view["channelName"] == "Ops alerts"
    assert view["active"] is True
    assert view["createdBy"] == {"id": "local", "name": "you (local)"}
    assert url not in created.text
    assert view["fingerprint"]
    assert view["fingerprint"] not in url
    (welcome,) = teams.received(url)
    assert "Ops alerts" in str(welcome.json())

    assert [v["id"] for v in local.mine()] == [view["id"]]
    paused = local.call("POST", f"/subscriptions/{view['id']}/pause").json()
    assert paused["active"] is False
    assert paused["pausedReason"]
    assert local.call("POST", f"/subscriptions/{view['id']}/resume").json()["active"] is True

    changed = draft(None, "Ops pager", topics=[{"name": "deployments", "filter": None}])
    edited = local.call("PUT", f"/subscriptions/{view['id']}", changed).json()
    assert (edited["channelName"], edited["topics"]) == (
        "Ops pager",
        [{"name": "deployments", "filter": None}],
    )
    assert edited["fingerprint"] == view["fingerprint"]  # no URL: the stored one stays

    assert local.call("DELETE", f"/subscriptions/{view['id']}").status_code == 204
    assert local.mine() == []
    assert len(teams.received(url)) == 2  # welcome, goodbye


@pytest.mark.parametrize(
    ("url", "field", "says"),
    [
        ("not a url", "webhookUrl", ""),
        ("https://example.com/hook", "webhookUrl", ""),
        (None, "webhookUrl", "required"),
    ],
)
def test_a_bad_url_is_refused_next_to_its_field_and_nothing_is_stored(
    local: PageClient, teams: TeamsStandIn, url: str | None, field: str, says: str
) -> None:
    answer = local.call("POST", "/subscriptions", draft(url))
    error = error_of(answer)
    assert (answer.status_code, error["code"]) == (422, "invalid_subscription")
    assert error["details"] == {"field": field}
    assert says in error["message"]
    if url:
        assert url not in answer.text
    assert local.mine() == []
    assert teams.records == []


def test_a_url_teams_refuses_shows_teams_reason_and_nothing_is_stored(
    local: PageClient, teams: TeamsStandIn
) -> None:
    url = teams.url("workflows", "gone")
    teams.script(url, Answer(404, '{"error":{"code":"WorkflowNotFound","message":"gone"}}'))
    answer = local.call("POST", "/subscriptions", draft(url))
    error = error_of(answer)
    assert (answer.status_code, error["code"]) == (422, "welcome_refused")
    assert error["details"] == {"field": "webhookUrl"}
    assert "Teams refused the welcome card" in error["message"]
    assert url not in answer.text
    assert local.mine() == []


def test_a_channel_with_nothing_chosen_is_refused(local: PageClient, teams: TeamsStandIn) -> None:
    answer = local.call("POST", "/subscriptions", draft(teams.url("workflows"), topics=[]))
    error = error_of(answer)
    assert (answer.status_code, error["details"]) == (422, {"field": "topics"})
    assert "at least one" in error["message"]
    assert local.mine() == []


def test_an_invalid_filter_is_refused_next_to_it(local: PageClient, teams: TeamsStandIn) -> None:
    body = draft(teams.url("workflows"), topics=[{"name": "incidents", "filter": "${severity <="}])
    answer = local.call("POST", "/subscriptions", body)
    error = error_of(answer)
    assert (answer.status_code, error["code"]) == (422, "invalid_subscription")
    assert error["details"] == {"field": "topics[0].filter"}
    assert local.mine() == []
    assert teams.records == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-CSRF-Token": "x" * 43}, {"X-CSRF-Token": "", "Sec-Fetch-Site": "cross-site"}],
)
def test_a_change_without_the_pages_token_is_refused_and_nothing_is_stored(
    local: PageClient, teams: TeamsStandIn, headers: dict[str, str]
) -> None:
    sent = {**headers}
    answer = local.http.post(
        "/api/connect/subscriptions", json=draft(teams.url("workflows")), headers=sent
    )
    error = error_of(answer)
    assert (answer.status_code, error["code"]) == (403, "csrf")
    assert "X-CSRF-Token" in error["message"] or "another site" in error["message"]
    assert local.mine() == []
    assert teams.records == []


def test_a_token_from_another_browser_is_refused(
    local: PageClient, server: FunctionsServer, teams: TeamsStandIn
) -> None:
    other = open_page(server.base_url)
    assert other.token != local.token
    answer = local.call(
        "POST", "/subscriptions", draft(teams.url()), headers={"X-CSRF-Token": other.token}
    )
    assert (answer.status_code, error_of(answer)["code"]) == (403, "csrf")
    assert local.mine() == []


def test_a_forged_principal_header_is_not_trusted_locally(
    local: PageClient, teams: TeamsStandIn
) -> None:
    # Nothing strips the header here: the person stays the local one.
    answer = local.call("POST", "/subscriptions", draft(teams.url("workflows")), headers=ADELE)
    assert answer.status_code == 201, answer.text
    assert answer.json()["createdBy"]["id"] == "local"


def test_in_azure_without_platform_authentication_a_forged_principal_gets_nothing(
    local: PageClient, teams: TeamsStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "forged-test")
    for method, path in [
        ("GET", ""),
        ("GET", "/offer"),
        ("GET", "/subscriptions"),
        ("POST", "/subscriptions"),
        ("GET", "/assets/connect.js"),
    ]:
        answer = local.http.request(
            method,
            f"/api/connect{path}",
            json=draft(teams.url()) if method == "POST" else None,
            headers={**ADELE, "X-CSRF-Token": local.token},
        )
        error = error_of(answer)
        assert (answer.status_code, error["code"]) == (404, "connect_unavailable"), path
        assert "App Service authentication" in error["message"]
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    monkeypatch.delenv("WEBSITE_INSTANCE_ID")
    assert local.mine() == []
    assert teams.records == []


def test_with_platform_authentication_an_anonymous_request_must_sign_in(
    local: PageClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "test")
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")
    answer = local.http.get("/api/connect/subscriptions")
    assert (answer.status_code, error_of(answer)["code"]) == (401, "sign_in_required")
    # The page itself sends a person to App Service's sign-in, which brings them back.
    page = local.http.get("/api/connect")
    assert page.status_code == 302
    assert page.headers["location"] == ("/.auth/login/aad?post_login_redirect_uri=/api/connect")


def test_every_answer_carries_the_security_headers(local: PageClient) -> None:
    page = local.http.get("/api/connect")
    policy = page.headers["content-security-policy"]
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'nonce="{nonce}"' in page.text
    assert "unsafe-inline" not in policy
    assert "connect-csrf=" in page.headers["set-cookie"]
    for answer in (
        page,
        local.http.get("/api/connect/offer"),
        local.http.get("/api/connect/assets/connect.js"),
        local.http.get("/api/connect/assets/nope.js"),
        local.call("POST", "/subscriptions/0123456789abcdef0123/pause"),
    ):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert (
        local.http.get("/api/connect/assets/connect.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )


def test_unknown_ids_and_files_are_404_with_their_codes(local: PageClient) -> None:
    answer = local.call("POST", "/subscriptions/0123456789abcdef0123/pause")
    assert (answer.status_code, error_of(answer)["code"]) == (404, "unknown_subscription")
    answer = local.http.get("/api/connect/assets/page.html")
    assert (answer.status_code, error_of(answer)["code"]) == (404, "unknown_asset")


def test_the_offer_lists_topics_and_the_weather_update(local: PageClient) -> None:
    offer = local.http.get("/api/connect/offer").json()
    assert "incidents" in [t["name"] for t in offer["topics"]]
    (weather,) = [s for s in offer["schedules"] if s["name"] == "weather"]
    assert weather["parameters"] == [{"name": "place", "label": "City", "kind": "place"}]


def test_without_storage_the_api_says_which_setting(
    local: PageClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AzureWebJobsStorage")
    reset_configuration()  # as a restart with the new settings
    answer = local.http.get("/api/connect/offer")
    error = error_of(answer)
    assert (answer.status_code, error["code"]) == (503, "subscriptions_unavailable")
    assert "AzureWebJobsStorage" in error["message"]


def test_with_platform_authentication_the_page_greets_the_signed_in_person(
    local: PageClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "test")
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")
    page = local.http.get("/api/connect", headers={**ADELE, "X-MS-CLIENT-PRINCIPAL-NAME": "<b>x"})
    assert page.status_code == 200
    assert "Signed in as <strong>&lt;b&gt;x</strong>" in page.text
    # Served over HTTPS in Azure: the cookie is Secure and bound to the host.
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-connect-csrf=")
    assert "; Secure" in cookie
