"""The built-in commands and the registry, answered through the endpoint.

Teams facts relied on (docs/teams-protocol.md): the reply is `{"type":"message","text":...}`
or a message with an Adaptive Card attachment, and only `openUrl` actions work in replies.
"""

import asyncio
import logging
import re
import sys
import threading
import types
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devtools.outgoing import answer, command_request, make_endpoint, run
from devtools.teams_standin import Answer, TeamsStandIn
from shared import __version__, catalog
from shared.cards.check import check_card
from shared.config.once import reset_configuration
from shared.outgoing.registry import CommandContext, Registry, commands

ADAPTIVE = "application/vnd.microsoft.card.adaptive"


def ask(words: str, registry: Registry | None = None, /, **settings: str) -> dict[str, Any]:
    response = run(make_endpoint(registry, None, **settings), command_request(words))
    assert response.status_code == 200
    reply: dict[str, Any] = answer(response)
    assert reply["type"] == "message"
    return reply


def text_of(reply: dict[str, Any]) -> str:
    assert set(reply) == {"type", "text"}
    text: str = reply["text"]
    return text


def card_of(reply: dict[str, Any]) -> dict[str, Any]:
    [attachment] = reply["attachments"]
    assert attachment["contentType"] == ADAPTIVE
    card: dict[str, Any] = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    return card


def texts_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        return found + [t for v in value.values() for t in texts_in(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts_in(v)]
    return []


def action_types(value: Any) -> set[str]:
    if isinstance(value, dict):
        own = {value["type"]} if str(value.get("type", "")).startswith("Action.") else set()
        return own.union(*(action_types(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(action_types(v) for v in value))
    return set()


# --- help and unknown commands --------------------------------------------------------------------


def test_help_answers_a_card_listing_every_command_with_its_usage() -> None:
    card = card_of(ask("help"))
    texts = texts_in(card)
    for entry in commands:
        assert entry.usage in texts
        assert entry.help in texts
    assert check_card(card, "reply") == []


def test_help_compiles_and_checks_its_card_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first help of a process compiles the help template and the schema validator (about
    # 0.4 s of CPU): on the event loop, every other request on the instance would wait for it.
    import shared.cards.check
    from shared.outgoing import commands_builtin, replies

    threads: list[int] = []
    real = shared.cards.check.check_card

    def recorded(card: Any, kind: Any) -> Any:
        threads.append(threading.get_ident())
        return real(card, kind)

    monkeypatch.setattr(shared.cards.check, "check_card", recorded)
    commands_builtin._help_card_json.cache_clear()
    replies._reply_problems.cache_clear()

    async def scenario() -> tuple[int, Any]:
        endpoint = make_endpoint()
        return threading.get_ident(), await endpoint.handle(command_request("help"))

    loop_thread, response = asyncio.run(scenario())
    assert card_of(answer(response))["type"] == "AdaptiveCard"
    assert threads, "the reply card was checked"
    assert loop_thread not in threads


def test_help_lists_commands_added_with_the_decorator() -> None:
    registry = commands.copy()

    @registry.command("deploy-status", usage="<service>", help="Show a service's last deploy.")
    def deploy_status(context: CommandContext) -> str:
        return "ok"

    texts = texts_in(card_of(ask("help", registry)))
    assert "deploy-status <service>" in texts
    assert "Show a service's last deploy." in texts


def test_a_mention_without_a_command_answers_the_help_card() -> None:
    assert card_of(ask("")) == card_of(ask("help"))


def test_an_unknown_command_answers_the_help_text_with_the_closest_command() -> None:
    text = text_of(ask("preveiw build-status"))
    assert text.startswith("I don't know the command `preveiw`. Did you mean `preview`?")
    for entry in commands:
        assert f"`{entry.usage}`" in text


def test_an_unknown_command_far_from_any_other_gets_no_suggestion() -> None:
    text = text_of(ask("xyzzy"))
    assert text.startswith("I don't know the command `xyzzy`.\n\n")


def test_command_names_are_case_insensitive() -> None:
    assert text_of(ask("PiNg")) == "pong"


# --- ping, version, templates ---------------------------------------------------------------------


def test_ping_answers_pong() -> None:
    assert text_of(ask("ping")) == "pong"


def test_the_example_custom_command_answers_the_version() -> None:
    assert text_of(ask("version")) == f"teams-notify-functions {__version__}"


def test_templates_lists_every_template_with_its_description() -> None:
    text = text_of(ask("templates"))
    for name in catalog.template_names():
        assert f"- `{name}`: {catalog.get(name).description}" in text


# --- preview --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", catalog.template_names())
def test_preview_answers_each_template_as_a_valid_reply_card(name: str) -> None:
    card = card_of(ask(f"preview {name}"))
    assert action_types(card) <= {"Action.OpenUrl"}
    assert check_card(card, "reply") == []


def test_preview_shows_the_template_expanded_from_its_sample_data() -> None:
    info = catalog.get("message")
    expected = catalog.compiled("message").expand(
        info.sample_data, catalog.host_object("message", None)
    )
    assert card_of(ask("preview message")) == expected


def test_preview_of_an_unknown_template_suggests_the_closest_name() -> None:
    text = text_of(ask("preview build-stat"))
    assert (
        text
        == "There is no template `build-stat`. Did you mean `build-status`? `templates` lists them."
    )


@pytest.mark.parametrize("name", ["../catalog", "/etc/passwd", "catalog.json", "%2e%2e"])
def test_preview_never_reads_files_by_path(name: str) -> None:
    assert text_of(ask(f"preview {name}")).startswith("There is no template")


def test_preview_without_a_name_says_how_to_use_it() -> None:
    assert (
        text_of(ask("preview"))
        == "Which template? Write `preview <template>`; `templates` lists them."
    )


# --- answers that are cards -----------------------------------------------------------------------


def card_registry(card: dict[str, Any]) -> Registry:
    registry = commands.copy()

    @registry.command("card", help="Answer a fixed card.")
    def answer_card(context: CommandContext) -> dict[str, Any]:
        return card

    return registry


def test_a_command_card_is_sent_as_an_adaptive_card_attachment() -> None:
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "Grüße ✅", "wrap": True}],
        "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": "https://example.com/x"}],
    }
    reply = ask("card", card_registry(card))
    assert reply == {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE, "contentUrl": None, "content": card}],
    }


def test_a_command_card_with_an_action_a_reply_cannot_carry_is_refused_with_its_path() -> None:
    # "Only openUrl actions work in replies" (docs/teams-protocol.md#outgoing-webhook-replies):
    # Action.Submit would be a dead button.
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "Approve?"}],
        "actions": [{"type": "Action.Submit", "title": "Yes"}],
    }
    text = text_of(ask("card", card_registry(card)))
    assert text.startswith("`card` answered with a card Teams cannot show as a reply:")
    assert "$.actions[0]" in text


def test_a_command_answering_a_message_card_is_told_replies_are_adaptive_cards() -> None:
    card = {"@type": "MessageCard", "@context": "http://schema.org/extensions", "text": "hi"}
    text = text_of(ask("card", card_registry(card)))
    assert text == (
        "`card` answered with a card Teams cannot show as a reply:\n\n"
        "- $.type: a reply card must be an Adaptive Card (AdaptiveCard)"
    )


# --- commands that fail ---------------------------------------------------------------------------


def test_a_failing_command_answers_a_short_text_and_logs_where_not_what(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = commands.copy()

    @registry.command("boom", help="Fail.")
    def boom(context: CommandContext) -> str:
        raise RuntimeError("https://secret.example/webhook?sig=abc")

    caplog.set_level(logging.DEBUG)
    text = text_of(ask("boom", registry))
    assert text == "`boom` failed (RuntimeError); the app's log has more."
    assert "command boom failed: RuntimeError at " in caplog.text
    assert f"{Path(__file__).name}:" in caplog.text
    assert "sig=abc" not in caplog.text


def test_a_plain_def_command_that_returns_a_coroutine_is_reported() -> None:
    registry = commands.copy()

    async def later() -> str:
        return "never"

    @registry.command("odd", help="Return a coroutine from a plain def.")
    def odd(context: CommandContext) -> Any:
        return later()

    assert text_of(ask("odd", registry)) == "`odd` failed (TypeError); the app's log has more."


def test_arguments_reach_the_command_with_quotes_kept_together() -> None:
    registry = commands.copy()

    @registry.command("echo", help="Repeat the arguments.")
    async def echo(context: CommandContext) -> str:
        return " | ".join(context.args)

    text = text_of(ask("echo “build status” 'a b' c&amp;d", registry))
    assert text == "build status | a b | c&d"


def test_a_command_sees_who_asked() -> None:
    registry = commands.copy()

    @registry.command("whoami", help="Name the sender.")
    def whoami(context: CommandContext) -> str:
        return context.activity.from_.name

    assert text_of(ask("whoami", registry)) == "Adèle Vance"


# --- the registry ---------------------------------------------------------------------------------


def test_a_command_name_can_be_registered_only_once() -> None:
    registry = commands.copy()
    with pytest.raises(ValueError, match="'ping' is already registered"):
        registry.command("ping", help="again")


@pytest.mark.parametrize("name", ["Ping", "two words", "", "-x", "x_y"])
def test_a_command_name_must_be_lowercase_words_with_hyphens(name: str) -> None:
    with pytest.raises(ValueError, match="lowercase letters, digits and single hyphens"):
        Registry().command(name, help="x")


def test_copy_leaves_the_original_registry_unchanged() -> None:
    registry = commands.copy()
    registry.command("extra", help="x")(lambda context: "x")
    assert registry.get("extra") is not None
    assert commands.get("extra") is None


# --- send -----------------------------------------------------------------------------------------


OpsChannel = tuple[TeamsStandIn, str]


@pytest.fixture
def ops_channel(monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn) -> OpsChannel:
    """The Teams stand-in, bound to channel `ops-alerts` as a classic connector webhook."""
    url = teams.url("classic", "ops")
    monkeypatch.setenv("TEAMS_WEBHOOK_OPS_ALERTS", url)
    monkeypatch.setenv("TEAMS_ALLOW_HOSTS", "127.0.0.1")
    reset_configuration()
    return teams, url


SEND_TO_OPS_ALERTS = {"TEAMS_OUTGOING_SEND_OPS": "ops-alerts, dev"}


def test_send_is_refused_until_the_webhook_is_allowed_channels(
    ops_channel: OpsChannel,
) -> None:
    standin, _ = ops_channel
    text = text_of(ask("send deployment ops-alerts"))
    assert text == (
        "`send` is not enabled for this Outgoing Webhook. To allow it, set the app setting "
        "`TEAMS_OUTGOING_SEND_OPS` to the channels it may post to, comma-separated "
        "(for example `ops-alerts,dev`)."
    )
    assert standin.records == []


def test_send_posts_the_sample_card_through_delivery(ops_channel: OpsChannel) -> None:
    standin, url = ops_channel
    text = text_of(ask("send deployment OPS-ALERTS", **SEND_TO_OPS_ALERTS))
    assert text == "Sent `deployment` to `ops-alerts`: posted."
    [received] = standin.received(url)
    [attachment] = received.json()["attachments"]
    info = catalog.get("deployment")
    host = catalog.host_object("deployment", "ops-alerts")
    expected = catalog.compiled("deployment").expand(info.sample_data, host)
    assert attachment["content"] == expected
    assert check_card(attachment["content"], "incoming") == []


def test_send_only_reaches_channels_listed_for_the_webhook(
    ops_channel: OpsChannel,
) -> None:
    standin, _ = ops_channel
    text = text_of(ask("send deployment prod-alerts", **SEND_TO_OPS_ALERTS))
    assert text == (
        "This Outgoing Webhook may not send to `prod-alerts`. Channels allowed here: "
        "`ops-alerts`, `dev` (app setting `TEAMS_OUTGOING_SEND_OPS`)."
    )
    assert standin.records == []


def test_send_needs_a_template_and_a_channel(ops_channel: OpsChannel) -> None:
    text = text_of(ask("send deployment", **SEND_TO_OPS_ALERTS))
    assert text == "Write `send <template> <channel>`. Channels allowed here: `ops-alerts`, `dev`."


def test_send_of_an_unknown_template_suggests_the_closest(
    ops_channel: OpsChannel,
) -> None:
    text = text_of(ask("send deploymnt ops-alerts", **SEND_TO_OPS_ALERTS))
    assert text.startswith("There is no template `deploymnt`. Did you mean `deployment`?")


def test_send_to_an_allowed_channel_that_is_not_configured_says_so(
    ops_channel: OpsChannel,
) -> None:
    text = text_of(ask("send deployment dev", **SEND_TO_OPS_ALERTS))
    assert text.startswith("`deployment` was not delivered to `dev`: unknown channel 'dev'")


def test_send_reports_teams_refusal_in_teams_words(ops_channel: OpsChannel) -> None:
    standin, url = ops_channel
    standin.script(url, Answer.summary_required())
    text = text_of(ask("send deployment ops-alerts", **SEND_TO_OPS_ALERTS))
    assert text.startswith("`deployment` was not delivered to `ops-alerts`:")
    assert "Summary or Text is required." in text
    assert url not in text


# --- schedules ------------------------------------------------------------------------------------
# The first test reads the shipped shared/schedules.json; the others give the command entries
# of their own through the interface it relies on (commands_builtin.Schedule).


def test_schedules_lists_the_shipped_entries_with_their_next_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.config.once import reset_configuration

    monkeypatch.setenv("SCHEDULE_WEEKDAY_DIGEST", "true")
    monkeypatch.delenv("SCHEDULE_SERVICE_STATUS", raising=False)
    monkeypatch.setenv("TEAMS_WEBHOOK_OPS", "file:///tmp/outbox-never-written")
    monkeypatch.setenv("TEAMS_DEFAULT_CHANNEL", "ops")
    reset_configuration()
    try:
        lines = text_of(ask("schedules")).split("\n")
    finally:
        reset_configuration()
    assert lines[0] == "Scheduled notifications:"
    [digest] = [line for line in lines if "`weekday-digest`" in line]
    [status] = [line for line in lines if "`service-status`" in line]
    # Monday to Friday at 08:00 in Berlin, shown in Berlin time (either offset of the year).
    assert digest.endswith("08:00 Europe/Berlin")
    assert re.search(r"next (Mon|Tue|Wed|Thu|Fri) \d{4}-\d{2}-\d{2} 08:00", digest)
    assert "`alert` to `ops`, off" in status


@dataclass(frozen=True)
class DailySchedule:
    name: str
    template: str
    channels: tuple[str, ...]
    timezone: str | None
    hour: int
    enabled: bool = True

    def next_run(self, after: datetime) -> datetime:
        local = after.astimezone(ZoneInfo(self.timezone or "UTC"))
        run = local.replace(hour=self.hour, minute=0, second=0, microsecond=0)
        return run if run > local else (run + timedelta(days=1)).replace(hour=self.hour)


def with_schedules(monkeypatch: pytest.MonkeyPatch, *entries: DailySchedule) -> None:
    module = types.ModuleType("shared.schedules")
    module.load_schedules = lambda: list(entries)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "shared.schedules", module)


def test_schedules_lists_each_next_run_in_its_own_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    digest = DailySchedule("weekday-digest", "digest", ("ops",), "Europe/Berlin", 9)
    status = DailySchedule("status-check", "alert", ("ops", "dev"), None, 6, enabled=False)
    report = DailySchedule("tokyo-report", "message", ("dev",), "Asia/Tokyo", 8)
    with_schedules(monkeypatch, digest, status, report)
    now = datetime.now(UTC)
    lines = text_of(ask("schedules")).split("\n")
    assert lines == [
        "Scheduled notifications:",
        "",
        "- `status-check`: `alert` to `ops`, `dev`, off (its enabling app setting is not set)",
        f"- `tokyo-report`: `message` to `dev`, next {report.next_run(now):%a %Y-%m-%d} "
        "08:00 Asia/Tokyo",
        f"- `weekday-digest`: `digest` to `ops`, next {digest.next_run(now):%a %Y-%m-%d} "
        "09:00 Europe/Berlin",
    ]


def test_schedules_says_when_there_are_none(monkeypatch: pytest.MonkeyPatch) -> None:
    with_schedules(monkeypatch)
    assert text_of(ask("schedules")) == (
        "No scheduled notifications are configured (shared/schedules.json)."
    )
