"""POST /api/render/{template}: the card a notify would send and every problem found; a dry run for
people writing templates. Nothing is ever sent."""

import pytest

from devtools.teams_standin import TeamsStandIn
from tests.support.function_app import (
    call_render,
    configure,
    render_request,
)


def test_render_answers_the_card_and_the_teams_message_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams)
    answer = call_render(render_request("message", {"title": "Hello"}, query={"channel": "dev"}))
    assert answer.status == 200
    assert (answer.body["ok"], answer.body["problems"]) == (True, [])
    assert answer.body["channel"] == "dev"
    card = answer.body["card"]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0]["items"][0]["text"] == "Hello"
    assert answer.body["message"]["attachments"][0]["content"] == card
    assert teams.records == []
    assert channels.received("ops") == []


def test_unresolved_bindings_are_problems_and_the_card_shows_where(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    configure(monkeypatch, teams)
    answer = call_render(render_request("message", {"facts": [{"value": "1"}]}))
    assert answer.status == 200
    assert answer.body["ok"] is False
    assert {"path": "$.body[0].facts[0].title", "message": "unresolved binding ${title}"} in (
        answer.body["problems"]
    )
    # Without strict mode the binding stays in the card, as the official SDK leaves it.
    assert answer.body["card"]["body"][0]["facts"][0]["title"] == "${title}"


def test_card_check_problems_are_listed_with_their_paths(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    configure(monkeypatch, teams)
    answer = call_render(render_request("message", {"title": {"a": 1}}))
    assert answer.body["problems"] == [
        {"path": "$.body[0].items[0].text", "message": "must be a string, not an object"}
    ]


def test_render_shows_the_mentions_a_notify_would_add(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    configure(monkeypatch, teams)
    answer = call_render(render_request("digest", {}, query={"mention": "adele@contoso.com"}))
    card = answer.body["card"]
    assert card["body"][-1]["text"] == "cc <at>adele@contoso.com</at>"
    assert card["msteams"]["entities"][-1]["mentioned"]["id"] == "adele@contoso.com"
    assert answer.body["ok"] is True


def test_render_without_a_channel_uses_the_default_or_none(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    configure(monkeypatch, teams, default=None)
    assert call_render(render_request("message", {})).body["channel"] is None


def test_render_takes_one_channel(monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn) -> None:
    configure(monkeypatch, teams)
    answer = call_render(render_request("message", {}, query={"channel": "ops,dev"}))
    assert (answer.status, answer.code) == (400, "invalid_parameter")


def test_render_refuses_what_notify_refuses(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    configure(monkeypatch, teams)
    assert call_render(render_request("nope", {})).code == "unknown_template"
    assert call_render(render_request("message", {}, query={"channel": "x"})).code == (
        "unknown_channel"
    )
    assert call_render(render_request("message", b"[1]")).code == "not_an_object"
    assert call_render(render_request("message", b"{}", content_type="text/plain")).code == (
        "unsupported_media_type"
    )
