"""The commands every deployment has: help, ping, templates, preview, schedules, send.

Heavy parts (the template catalog, the card engine, delivery, schedules) are imported inside the
commands, so that none of them is on the function app's cold-start path.
"""

from typing import Any

from shared.teams.outgoing.registry import CommandContext, CommandResult, Registry, command
from shared.teams.outgoing.replies import keep_open_url_actions

HELP_TEMPLATE = "command-help"


def help_text(registry: Registry) -> str:
    """The commands as a Teams markdown list (for answers that are text)."""
    lines = [f"- `{entry.usage}`: {entry.help}" for entry in registry]
    return "Mention me with one of these commands:\n\n" + "\n".join(lines)


@command("help", help="List the commands I answer.")
def help_command(context: CommandContext) -> CommandResult:
    from shared import catalog

    data = {
        "commands": [
            {"name": entry.name, "usage": entry.usage, "help": entry.help}
            for entry in context.registry
        ]
    }
    card: dict[str, Any] = catalog.compiled(HELP_TEMPLATE).expand(
        data, catalog.host_object(HELP_TEMPLATE, None)
    )
    return card


@command("ping", help="Check that I am listening.")
def ping(context: CommandContext) -> CommandResult:
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
    # Replies may only carry Action.OpenUrl; the preview shows the rest of the card as it is.
    kept: dict[str, Any] = keep_open_url_actions(card)
    return kept


def _unknown_template(name: str, known: list[str]) -> str:
    import difflib

    shown = name.replace("`", "")[:60]
    closest = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean `{closest[0]}`?" if closest else ""
    return f"There is no template `{shown}`.{hint} `templates` lists them."
