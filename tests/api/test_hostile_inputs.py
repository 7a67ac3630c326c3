"""Inputs that once made the app answer 500 or send an empty card (issue 10): webhook and source
URLs that pass the settings but that the HTTP client refuses, lone surrogates in the data, `{}`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.teams_standin import TeamsStandIn
from shared.config.once import reset_configuration
from shared.config.settings import Settings
from shared.schedules.entries import ScheduleEntry, Source, source_problems
from shared.teams.channels import Usable, classify_url
from tests.support.function_app import (
    call_notify,
    call_render,
    configure,
    notify_request,
    render_request,
)
from tests.support.paths import ROOT

PATH = "/webhookb2/a@b/IncomingWebhook/c/d"
# Each passes urlsplit and the host rules, and httpx refuses to post to it.
UNSENDABLE = {
    "DEL": "https://contoso.webhook.office.com" + PATH + "\x7f",
    "punycode": "https://xn--a.webhook.office.com" + PATH,
}


@pytest.mark.parametrize("url", UNSENDABLE.values(), ids=UNSENDABLE.keys())
def test_a_url_the_http_client_refuses_makes_the_channel_unusable_by_name(url: str) -> None:
    loaded = Settings.from_environ({"TEAMS_WEBHOOK_OPS": url})
    assert "ops" in loaded.broken_channels
    [problem] = loaded.problems
    assert problem.setting == "TEAMS_WEBHOOK_OPS"
    assert "HTTP client" in problem.message
    assert "contoso" not in problem.message
    assert "xn--" not in problem.message


@pytest.mark.parametrize("url", UNSENDABLE.values(), ids=UNSENDABLE.keys())
def test_notify_to_such_a_channel_is_503_and_health_counts_it(
    url: str, monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams)
    monkeypatch.setenv("TEAMS_WEBHOOK_DEV", url)
    reset_configuration()
    answer = call_notify(notify_request("message", {"text": "hi"}, query={"channel": "ops,dev"}))
    assert (answer.status, answer.code) == (503, "channel_unusable")
    assert "TEAMS_WEBHOOK_DEV" in answer.body["error"]["message"]
    assert len(channels.received("ops")) == 1
    from shared.health import health_report

    assert health_report()["problems"] == 1


def test_python_m_shared_check_names_such_a_channel() -> None:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMS_", "SCHEDULE_"))}
    result = subprocess.run(
        [sys.executable, "-m", "shared", "check"],
        cwd=ROOT,
        env={**keep, "TEAMS_WEBHOOK_OPS": UNSENDABLE["punycode"]},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert "TEAMS_WEBHOOK_OPS: 1 problem(s)" in result.stdout
    assert "xn--a" not in result.stdout + result.stderr


def test_a_schedule_source_the_http_client_refuses_is_a_problem_of_its_entry() -> None:
    entry = ScheduleEntry.__new__(ScheduleEntry)
    object.__setattr__(entry, "name", "status")
    object.__setattr__(entry, "source", Source(url="https://xn--a.example.com/x", host="x"))
    [problem] = source_problems(entry)
    assert (problem.entry, problem.field) == ("status", "source.url")
    object.__setattr__(entry, "source", Source(url="https://www.githubstatus.com/x", host="x"))
    assert source_problems(entry) == []


urlish = st.lists(
    st.one_of(
        st.sampled_from(
            ["https://", "http://", "xn--", "a", ".", "webhook.office.com", "/webhookb2/", "@", ":"]
        ),
        st.characters(codec="utf-8"),
    ),
    max_size=10,
).map("".join)


@settings(max_examples=300)
@given(urlish)
def test_every_usable_url_is_one_the_http_client_can_post_to(text: str) -> None:
    verdict = classify_url(text, allow_hosts=frozenset({"127.0.0.1", "a"}), in_azure=False)
    if isinstance(verdict, Usable) and verdict.kind != "outbox":
        httpx.Request("POST", verdict.url)


# --- lone surrogates ----------------------------------------------------------------------------


def test_a_string_function_cutting_an_emoji_renders_and_is_delivered(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    # substring(commit, 0, 7) cuts the emoji's UTF-16 pair, as the SDK does: the card holds a
    # lone surrogate, which goes over the wire as its JSON escape.
    from shared import catalog

    data = dict(catalog.get("build-status").sample_data)
    data["commit"] = "abcdef\U0001f600xyz"
    channels = configure(monkeypatch, teams)
    rendered = call_render(render_request("build-status", data, query={"channel": "ops"}))
    assert rendered.status == 200
    assert rendered.body["ok"] is True
    assert "abcdef\\ud83d" in json.dumps(rendered.body["card"])
    answer = call_notify(notify_request("build-status", data, query={"channel": "ops"}))
    assert answer.status == 200, answer.body
    [message] = channels.received("ops")
    assert "abcdef\\ud83d" in json.dumps(message)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=12), st.text(max_size=12))
def test_any_commit_text_renders_without_a_500(head: str, tail: str) -> None:
    from shared import catalog

    data = dict(catalog.get("build-status").sample_data)
    data["commit"] = head + "\U0001f600" + tail
    answer = call_render(render_request("build-status", data))
    assert answer.status == 200


# --- a card that shows nothing -----------------------------------------------------------------


def test_an_empty_object_to_message_is_a_card_problem_and_nothing_is_sent(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams)
    answer = call_notify(notify_request("message", {}, query={"channel": "ops"}))
    assert (answer.status, answer.code) == (422, "card_problems")
    problems: list[dict[str, Any]] = answer.body["error"]["details"]["problems"]
    assert [p["path"] for p in problems] == ["$.body"]
    assert "shows nothing" in problems[0]["message"]
    assert channels.received("ops") == []
