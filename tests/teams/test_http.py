"""Delivering over real loopback HTTP to the Teams stand-in (devtools/teams_standin.py)."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.delivery import run
from devtools.teams_standin import Answer, Kind, TeamsStandIn, closed_port
from shared.cards.envelope import to_message
from shared.config.settings import Settings
from shared.teams.client import http_client
from shared.teams.delivery import Delivery, DeliveryResult, RetryPolicy
from shared.teams.errors import (
    AnswerLost,
    CardNotSupported,
    CardTooLarge,
    ChannelUnusable,
    ConnectFailed,
    RejectedByTeams,
    TeamsThrottled,
    TeamsUnavailable,
)
from shared.teams.splitting import TEAMS_MESSAGE_LIMIT

FAST = RetryPolicy(base=0.05, cap=0.2, min_attempt=0.1, read_timeout=1.0)
CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Disk full on web-01", "wrap": True}],
}
MESSAGE_CARD: dict[str, Any] = {
    "@type": "MessageCard",
    "@context": "http://schema.org/extensions",
    "summary": "Disk full",
    "text": "Disk full on web-01",
}


@dataclass
class Setup:
    teams: TeamsStandIn
    urls: dict[str, str]
    settings: Settings

    def send(
        self,
        card: dict[str, Any],
        *channels: str,
        budget: float = 5.0,
        policy: RetryPolicy = FAST,
        **options: Any,
    ) -> list[DeliveryResult]:
        delivery = Delivery(self.settings, policy=policy)
        return run(delivery.deliver(card, list(channels), budget=budget, **options))

    def one(self, card: dict[str, Any], channel: str, **options: Any) -> DeliveryResult:
        [result] = self.send(card, channel, **options)
        return result


def setup(teams: TeamsStandIn, *kinds: tuple[str, Kind], **extra: str) -> Setup:
    urls = {name: teams.url(kind) for name, kind in kinds}
    env = {"TEAMS_ALLOW_HOSTS": "127.0.0.1", **extra}
    env.update({f"TEAMS_WEBHOOK_{name.upper()}": url for name, url in urls.items()})
    return Setup(teams, urls, Settings.from_environ(env))


# --- success ---------------------------------------------------------------------------------


def test_classic_webhook_answering_200_1_is_delivered(teams: TeamsStandIn) -> None:
    # docs/teams-protocol.md#classic-connector-answers: classic success is HTTP 200 with body `1`.
    s = setup(teams, ("ops", "classic"))
    result = s.one(CARD, "ops")
    assert (result.status, result.attempts) == ("delivered", 1)
    [received] = teams.received(s.urls["ops"])
    assert received.json() == to_message(CARD)


def test_workflows_webhook_answering_202_is_accepted(teams: TeamsStandIn) -> None:
    # docs/teams-protocol.md#workflows-webhooks: Workflows success is 202 Accepted with an empty
    # body.
    s = setup(teams, ("flow", "workflows"))
    result = s.one(CARD, "flow")
    assert (result.status, result.attempts) == ("accepted", 1)
    assert teams.count("accepted", s.urls["flow"]) == 1


def test_a_message_card_goes_to_a_classic_webhook_as_is(teams: TeamsStandIn) -> None:
    s = setup(teams, ("ops", "classic"))
    assert s.one(MESSAGE_CARD, "ops").status == "delivered"
    [received] = teams.received(s.urls["ops"])
    assert received.json() == MESSAGE_CARD


def test_a_message_card_to_a_workflows_webhook_is_refused_before_sending(
    teams: TeamsStandIn,
) -> None:
    # docs/teams-protocol.md#workflows-webhooks: Workflows accept Adaptive Cards only.
    s = setup(teams, ("flow", "workflows"))
    result = s.one(MESSAGE_CARD, "flow")
    assert result.status == "failed"
    assert isinstance(result.error, CardNotSupported)
    assert result.attempts == 0
    assert teams.records == []


# --- the outcome is read from the answer -----------------------------------------------------


@pytest.mark.parametrize(("status", "error"), [(429, TeamsThrottled), (500, TeamsUnavailable)])
def test_a_wrapped_transient_error_in_a_200_is_retried_until_delivered(
    teams: TeamsStandIn, status: int, error: type[Exception]
) -> None:
    # docs/teams-protocol.md#classic-connector-answers: connectors answer Teams-side failures with
    # 200 and "HTTP error NNN" in the body.
    s = setup(teams, ("ops", "classic"))
    teams.script(s.urls["ops"], Answer.wrapped(status), Answer.wrapped(status))
    result = s.one(CARD, "ops")
    assert (result.status, result.attempts) == ("delivered", 3)
    assert [r.outcome for r in teams.received(s.urls["ops"])] == [
        f"wrapped-{status}",
        f"wrapped-{status}",
        "delivered",
    ]


def test_a_wrapped_400_is_a_permanent_failure_not_a_success(teams: TeamsStandIn) -> None:
    s = setup(teams, ("ops", "classic"))
    teams.script(s.urls["ops"], Answer.wrapped(400))
    result = s.one(CARD, "ops")
    assert (result.status, result.attempts) == ("failed", 1)
    assert isinstance(result.error, RejectedByTeams)
    assert result.error.status == 400


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        (Answer.bad_payload(), "Bad payload received by generic incoming webhook."),
        (Answer.summary_required(), "Summary or Text is required."),
    ],
)
def test_a_real_400_fails_at_once_with_teams_own_message(
    teams: TeamsStandIn, answer: Answer, text: str
) -> None:
    # docs/teams-protocol.md#classic-connector-answers: malformed payloads get a real HTTP 400 with
    # these texts.
    s = setup(teams, ("ops", "classic"))
    teams.script(s.urls["ops"], answer)
    result = s.one(CARD, "ops")
    assert (result.status, result.attempts) == ("failed", 1)
    assert text in result.detail
    assert len(teams.received(s.urls["ops"])) == 1


def test_a_real_500_is_retried(teams: TeamsStandIn) -> None:
    s = setup(teams, ("flow", "workflows"))
    teams.script(s.urls["flow"], Answer.server_error(503))
    result = s.one(CARD, "flow")
    assert (result.status, result.attempts) == ("accepted", 2)


def test_retry_after_of_a_429_is_honoured(teams: TeamsStandIn) -> None:
    s = setup(teams, ("flow", "workflows"))
    teams.script(s.urls["flow"], Answer.throttled(retry_after="1"))
    result = s.one(CARD, "flow")
    assert (result.status, result.attempts) == ("accepted", 2)
    first, second = teams.received(s.urls["flow"])
    assert second.arrived - first.arrived >= 0.95


def test_a_429_without_retry_after_backs_off_and_retries(teams: TeamsStandIn) -> None:
    s = setup(teams, ("flow", "workflows"))
    teams.script(s.urls["flow"], Answer.throttled(), Answer.throttled())
    result = s.one(CARD, "flow")
    assert (result.status, result.attempts) == ("accepted", 3)


def test_a_read_timeout_is_retried_and_logged_as_a_possible_duplicate(
    teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    # At least once: the first post may have reached Teams, and a missed alert is worse than a
    # duplicate.
    s = setup(teams, ("ops", "classic"))
    teams.script(s.urls["ops"], Answer.slow(1.5))
    policy = RetryPolicy(base=0.05, cap=0.2, min_attempt=0.1, read_timeout=0.5)
    with caplog.at_level(logging.WARNING, logger="shared.teams"):
        result = s.one(CARD, "ops", policy=policy)
    assert (result.status, result.attempts) == ("delivered", 2)
    assert len(teams.received(s.urls["ops"])) == 2
    assert any("may already have posted" in r.getMessage() for r in caplog.records)


def test_a_connection_reset_is_retried(teams: TeamsStandIn) -> None:
    s = setup(teams, ("ops", "classic"))
    teams.script(s.urls["ops"], Answer.connection_reset())
    result = s.one(CARD, "ops")
    assert (result.status, result.attempts) == ("delivered", 2)
    assert [r.outcome for r in teams.received(s.urls["ops"])] == ["reset", "delivered"]


# --- the budget and the queue ------------------------------------------------------------------


def down_settings() -> Settings:
    url = f"http://127.0.0.1:{closed_port()}/webhookb2/g@t/IncomingWebhook/c0ffee/d00d"
    return Settings.from_environ({"TEAMS_ALLOW_HOSTS": "127.0.0.1", "TEAMS_WEBHOOK_OPS": url})


def test_teams_down_for_the_whole_budget_gives_queued_with_a_queue_message() -> None:
    settings = down_settings()
    started = time.monotonic()
    [result] = run(
        Delivery(settings, policy=FAST).deliver(CARD, ["ops"], budget=1.0, notification_id="n-1")
    )
    elapsed = time.monotonic() - started
    assert result.status == "queued"
    assert result.attempts >= 2
    assert isinstance(result.error, ConnectFailed)
    assert elapsed < 1.3  # the budget bounds the call
    [text] = result.queue_messages
    queued = json.loads(text)
    assert queued["id"] == "n-1"
    assert queued["channel"] == "ops"
    assert queued["messages"] == [to_message(CARD)]
    assert queued["first_failure"].endswith("Z")
    assert "127.0.0.1" not in text
    assert "webhookb2" not in text


def test_the_budget_caps_a_slow_teams(teams: TeamsStandIn) -> None:
    s = setup(teams, ("ops", "classic"))
    teams.script(s.urls["ops"], *[Answer.slow(3.0)] * 3)
    started = time.monotonic()
    policy = RetryPolicy(base=0.05, cap=0.2, min_attempt=0.1, read_timeout=6.0)
    result = s.one(CARD, "ops", budget=1.0, policy=policy)
    assert time.monotonic() - started < 1.4
    assert result.status == "queued"
    assert isinstance(result.error, AnswerLost)


# --- fan-out and channels ----------------------------------------------------------------------


def test_fan_out_sends_to_every_channel_concurrently_one_result_each(teams: TeamsStandIn) -> None:
    s = setup(teams, ("ops", "classic"), ("dev", "workflows"), ("sec", "classic"))
    for url in s.urls.values():
        teams.script(url, Answer.slow(0.6))
    started = time.monotonic()
    results = s.send(CARD, "ops", "DEV", "sec", "ops", notification_id="n-42")
    elapsed = time.monotonic() - started
    assert [r.channel for r in results] == ["ops", "dev", "sec"]
    assert [r.status for r in results] == ["delivered", "accepted", "delivered"]
    assert {r.notification_id for r in results} == {"n-42"}
    assert elapsed < 1.5  # three 0.6 s answers in sequence would take 1.8 s


def test_unknown_and_broken_channels_fail_alone(teams: TeamsStandIn) -> None:
    s = setup(teams, ("ops", "classic"), TEAMS_WEBHOOK_BROKEN="@Microsoft.KeyVault(SecretUri=x)")
    results = s.send(CARD, "ops", "broken", "nope")
    by_channel = {r.channel: r for r in results}
    assert by_channel["ops"].status == "delivered"
    assert by_channel["broken"].status == "failed"
    assert "TEAMS_WEBHOOK_BROKEN" in by_channel["broken"].detail
    assert by_channel["nope"].status == "failed"
    assert "broken, ops" in by_channel["nope"].detail
    assert all(isinstance(r.error, ChannelUnusable) for r in results[1:])


# --- size ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    path: tuple[str | int, ...]
    start: int
    stop: int


def big_card(count: int) -> dict[str, Any]:
    body = [{"type": "TextBlock", "text": "Digest", "size": "Large"}]
    body += [{"type": "TextBlock", "text": f"item {i:04d} " + "x" * 300} for i in range(count)]
    return {"type": "AdaptiveCard", "version": "1.5", "body": body}


def test_standin_refuses_messages_over_28_kb_as_teams_does(teams: TeamsStandIn) -> None:
    # docs/teams-protocol.md#message-size: over 28 KB Teams answers 413 (wrapped in a 200 on classic
    # connectors).
    s = setup(teams, ("ops", "classic"))
    oversized = to_message(big_card(200))
    answer = httpx.post(s.urls["ops"], json=oversized)
    assert answer.status_code == 200
    assert "HTTP error 413" in answer.text
    assert teams.count("too-large") == 1


def test_an_oversized_card_is_posted_in_parts_in_order(teams: TeamsStandIn) -> None:
    s = setup(teams, ("ops", "classic"))
    result = s.one(big_card(300), "ops", repeats=[Span(("body",), 1, 301)])
    assert result.status == "delivered"
    received = teams.received(s.urls["ops"])
    assert result.parts == len(received) > 1
    assert all(r.size <= TEAMS_MESSAGE_LIMIT and r.outcome == "delivered" for r in received)
    texts = [[b["text"] for b in r.json()["attachments"][0]["content"]["body"]] for r in received]
    assert [t[-1] for t in texts] == [
        f"Part {i} of {len(received)}" for i in range(1, 1 + len(received))
    ]
    items = [line.split()[1] for t in texts for line in t if line.startswith("item ")]
    assert items == [f"{i:04d}" for i in range(300)]


def test_a_single_element_too_large_is_refused_and_nothing_is_sent(teams: TeamsStandIn) -> None:
    s = setup(teams, ("ops", "classic"))
    card = big_card(3)
    card["body"][2]["text"] = "x" * (TEAMS_MESSAGE_LIMIT + 1)
    result = s.one(card, "ops", repeats=[Span(("body",), 1, 4)])
    assert result.status == "failed"
    assert isinstance(result.error, CardTooLarge)
    assert "$.body[2]" in result.detail
    assert teams.records == []


def test_a_part_refused_permanently_is_named_and_later_parts_are_not_sent(
    teams: TeamsStandIn,
) -> None:
    s = setup(teams, ("ops", "classic"))
    teams.script(s.urls["ops"], Answer.success(), Answer.bad_payload())
    result = s.one(big_card(300), "ops", repeats=[Span(("body",), 1, 301)])
    assert result.status == "failed"
    assert result.detail.startswith("part 2 of ")
    assert len(teams.received(s.urls["ops"])) == 2


def test_a_queued_split_card_keeps_only_the_parts_not_yet_delivered(teams: TeamsStandIn) -> None:
    s = setup(teams, ("ops", "classic"))
    teams.script(s.urls["ops"], Answer.success(), *[Answer.server_error()] * 20)
    result = s.one(big_card(300), "ops", repeats=[Span(("body",), 1, 301)], budget=1.0)
    assert result.status == "queued"
    queued = [m for text in result.queue_messages for m in json.loads(text)["messages"]]
    assert len(queued) == result.parts - 1
    last_line = queued[0]["attachments"][0]["content"]["body"][-1]["text"]
    assert last_line == f"Part 2 of {result.parts}"


# --- local outbox ----------------------------------------------------------------------------


def test_an_outbox_channel_writes_one_json_file_per_message(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    settings = Settings.from_environ({"TEAMS_WEBHOOK_LOCAL": f"file://{outbox}"})
    [result] = run(Delivery(settings).deliver(CARD, ["local"], notification_id="abc123"))
    assert result.status == "delivered"
    [written] = list(outbox.iterdir())
    assert "abc123" in written.name
    assert written.name.endswith("-1of1.json")
    assert json.loads(written.read_text()) == to_message(CARD)


def test_outbox_file_names_sort_by_time_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    settings = Settings.from_environ({"TEAMS_WEBHOOK_LOCAL": f"file://{tmp_path}"})
    for number in range(3):
        card = {**CARD, "body": [{"type": "TextBlock", "text": f"n{number}"}]}
        run(Delivery(settings).deliver(card, ["local"], notification_id=f"id{number}"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert [n.split("-")[1] for n in names] == ["id0", "id1", "id2"]
    assert not any(n.startswith(".") for n in names)


def test_outbox_files_are_written_by_the_outbox_threads_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ten outbox channels' parts at once kept the default executor's threads all contending
    # with the event loop for the interpreter lock: writes go through two threads of their own.
    from shared.teams import transports

    writers: set[str] = set()
    write = transports._write_atomically

    def noted(directory: Path, name: str, body: bytes) -> None:
        writers.add(threading.current_thread().name)
        time.sleep(0.01)  # long enough for a burst to want more threads than there are
        write(directory, name, body)

    monkeypatch.setattr(transports, "_write_atomically", noted)
    environ = {f"TEAMS_WEBHOOK_BOX{n}": f"file://{tmp_path}/box{n}" for n in range(10)}
    settings = Settings.from_environ(environ)
    results = run(Delivery(settings).deliver(CARD, [f"box{n}" for n in range(10)]))
    assert {result.status for result in results} == {"delivered"}
    assert len(list(tmp_path.glob("box*/*.json"))) == 10
    assert len(writers) <= transports.WRITER_THREADS
    assert all(name.startswith("outbox") for name in writers)


def test_an_unwritable_outbox_fails_without_naming_its_path(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings = Settings.from_environ({"TEAMS_WEBHOOK_LOCAL": f"file://{blocker}/outbox"})
    [result] = run(Delivery(settings).deliver(CARD, ["local"]))
    assert result.status == "failed"
    assert "outbox" in result.detail
    assert str(tmp_path) not in result.detail


# --- the client --------------------------------------------------------------------------------


def test_one_http_client_per_event_loop_reused_within_it() -> None:
    async def twice() -> tuple[object, object]:
        return http_client(), http_client()

    first, again = run(twice())
    assert first is again
    other, _ = run(twice())
    assert other is not first


def test_the_certificate_store_is_loaded_once_per_process_not_per_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading it takes tens of milliseconds; each loop's new client did it on the loop, where
    every other request on the instance waited (bench.heavy's loop stall)."""
    import asyncio

    from shared.teams import client

    loads: list[object] = []
    real = httpx.create_ssl_context

    def counted(*args: Any, **kwargs: Any) -> Any:
        loads.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", counted)
    client.tls_context.cache_clear()

    async def one_loop() -> None:
        assert client.http_client() is client.http_client()
        await client.aclose_client()

    for _ in range(3):
        asyncio.run(one_loop())
    assert len(loads) == 1
    client.tls_context.cache_clear()


def test_loading_the_transport_is_a_head_start_that_never_fails() -> None:
    # prepare() runs it in a worker thread; called where a loop runs, it loads the certificate
    # store and leaves the connection's imports to the first post instead of raising.
    from shared.teams.client import load_transport, tls_context

    load_transport()

    async def inside_a_loop() -> None:
        load_transport()

    run(inside_a_loop())
    assert tls_context() is tls_context()
