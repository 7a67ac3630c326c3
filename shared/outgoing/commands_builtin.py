"""The commands every deployment has: help, ping, templates, preview, schedules, send.

Heavy parts (the template catalog, the card engine, delivery, schedules) are imported inside the
commands, so that none of them is on the function app's cold-start path.
"""

import functools
import importlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from shared.outgoing.registry import (
    Command,
    CommandContext,
    CommandResult,
    Registry,
    command,
)
from shared.outgoing.replies import keep_open_url_actions

HELP_TEMPLATE = "command-help"


def help_text(registry: Registry) -> str:
    """The commands as a Teams markdown list (for answers that are text)."""
    lines = [f"- `{entry.usage}`: {entry.help}" for entry in registry]
    return "Mention me with one of these commands:\n\n" + "\n".join(lines)


def help_data(entries: Iterable[Command]) -> dict[str, Any]:
    """The data of the `command-help` card template for these commands."""
    listed: list[dict[str, str]] = []
    for entry in entries:
        item = {"name": entry.name, "usage": entry.usage, "help": entry.help}
        if entry.example:
            item["example"] = entry.example
        listed.append(item)
    return {
        "title": "What I can do",
        "intro": "Mention me in this channel with one of these commands.",
        "commands": listed,
        "footer": "Commands are case-insensitive; quote an argument that has spaces.",
    }


# help and ping never block (help reads its template once, then only computes), so they run on
# the event loop: a worker thread would add a thread hand-off to every answer.
# Not `async`: plain commands run in a worker thread, and the first answer compiles the help
# template and checks the card against the schema (compiled on first use: about 0.4 s of CPU),
# which on the event loop would hold every other request on the instance.
@command("help", help="List the commands I answer.")
def help_command(context: CommandContext) -> CommandResult:
    card: dict[str, Any] = json.loads(_help_card_json(tuple(context.registry)))
    return card


@functools.lru_cache(maxsize=8)
def _help_card_json(entries: tuple[Command, ...]) -> str:
    # Kept as text: each answer parses its own copy, much faster than a deep copy.
    from shared import catalog

    card = catalog.compiled(HELP_TEMPLATE).expand(
        help_data(entries), catalog.host_object(HELP_TEMPLATE, None), strict=True
    )
    return json.dumps(card, ensure_ascii=False)


@command("ping", help="Check that I am listening.")
async def ping(context: CommandContext) -> CommandResult:
    return "pong"


@command("templates", help="List the card templates, with what each is for.")
def templates(context: CommandContext) -> CommandResult:
    from shared import catalog

    lines = [f"- `{name}`: {catalog.get(name).description}" for name in catalog.template_names()]
    return "Card templates:\n\n" + "\n".join(lines)


@command(
    "preview",
    usage="<template>",
    help="Show a template's card filled with its sample data.",
    example="preview build-status",
)
def preview(context: CommandContext) -> CommandResult:
    from shared import catalog
    from shared.cards import TemplateError

    if not context.args:
        return "Which template? Write `preview <template>`; `templates` lists them."
    name = context.args[0].lower()
    try:
        info = catalog.get(name)
    except catalog.UnknownTemplateError as error:
        return _unknown_template(name, error.known)
    try:
        card = catalog.compiled(name).expand(info.sample_data, catalog.host_object(name, None))
    except TemplateError as error:
        return f"The template `{name}` does not expand with its sample data: {error}"
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return f"The template `{name}` is not an Adaptive Card, so it cannot be a reply."
    # A reply may only carry Action.OpenUrl; everything else in the card is shown as it is.
    kept: dict[str, Any] = keep_open_url_actions(card)
    return kept


class Schedule(Protocol):
    """What `schedules` needs of one entry of shared/schedules.json (shared.schedules)."""

    name: str
    template: str
    channels: Sequence[str]
    timezone: str | None  # IANA name; None is UTC
    enabled: bool  # False while its `enabled_by` app setting is unset

    def next_run(self, after: datetime) -> datetime:
        """The first run after `after`, as an aware datetime in the entry's own time zone."""
        ...


class _ScheduleSource(Protocol):
    def load_schedules(self) -> Sequence[Schedule]: ...


@command("schedules", help="List the scheduled notifications and when each runs next.")
def schedules(context: CommandContext) -> CommandResult:
    # Imported by name: the schedules module belongs to the timer side of the app.
    source = cast(_ScheduleSource, importlib.import_module("shared.schedules"))
    entries = source.load_schedules()
    if not entries:
        return "No scheduled notifications are configured (shared/schedules.json)."
    now = datetime.now(UTC)
    lines = []
    for entry in sorted(entries, key=lambda e: e.name):
        where = ", ".join(f"`{channel}`" for channel in entry.channels) or "the default channel"
        head = f"- `{entry.name}`: `{entry.template}` to {where}"
        if not entry.enabled:
            lines.append(f"{head}, off (its enabling app setting is not set)")
            continue
        upcoming = entry.next_run(now)
        zone = entry.timezone or "UTC"
        lines.append(f"{head}, next {upcoming:%a %Y-%m-%d %H:%M} {zone}")
    return "Scheduled notifications:\n\n" + "\n".join(lines)


@command(
    "send",
    usage="<template> <channel>",
    help="Post a template's sample card to a channel, to check that channel's wiring.",
    example="send deployment ops-alerts",
)
async def send(context: CommandContext) -> CommandResult:
    from shared import catalog
    from shared.cards import TemplateError
    from shared.pipeline import CardProblems, notify

    webhook = context.webhook
    allowed = webhook.send_channels
    if not allowed:
        return (
            "`send` is not enabled for this Outgoing Webhook. To allow it, set the app setting "
            f"`{webhook.send_setting}` to the channels it may post to, comma-separated "
            "(for example `ops-alerts,dev`)."
        )
    listed = ", ".join(f"`{name}`" for name in allowed)
    if len(context.args) != 2:
        return f"Write `send <template> <channel>`. Channels allowed here: {listed}."
    name, channel = context.args[0].lower(), context.args[1].strip().lower()
    if channel not in allowed:
        shown = channel.replace("`", "")[:60]
        return (
            f"This Outgoing Webhook may not send to `{shown}`. Channels allowed here: {listed} "
            f"(app setting `{webhook.send_setting}`)."
        )
    try:
        sample = catalog.get(name).sample_data
    except catalog.UnknownTemplateError as error:
        return _unknown_template(name, error.known)
    try:
        # The same pipeline as every other sender. The endpoint's deadline is what ends this
        # call, so delivery's own budget must not be the shorter one.
        [result] = await notify(
            name,
            sample,
            [channel],
            budget=context.seconds_left() + 1.0,
            labels={"source": "outgoing-webhook", "webhook": webhook.name},
        )
    except CardProblems as error:
        found = "\n".join(f"- {problem}" for problem in error.problems[:5])
        return f"The `{name}` card would not pass Teams' checks, so it was not sent:\n\n{found}"
    except TemplateError as error:
        return f"The template `{name}` does not expand with its sample data: {error}"
    if result.ok:
        return f"Sent `{name}` to `{channel}`: {result.detail}."
    reason = result.error.reason if result.error is not None else result.detail
    return f"`{name}` was not delivered to `{channel}`: {reason}"


def _unknown_template(name: str, known: list[str]) -> str:
    import difflib  # only needed for mistakes

    shown = name.replace("`", "")[:60]
    closest = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean `{closest[0]}`?" if closest else ""
    return f"There is no template `{shown}`.{hint} `templates` lists them."
