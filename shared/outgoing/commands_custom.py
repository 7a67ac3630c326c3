"""Your own commands: add them here.

Each function decorated with `@command` answers `@<webhook name> <command> [arguments]` in Teams
and is listed by `help`. It receives a CommandContext (`args`: the words after the command, quoted
words kept together; `activity`: what Teams sent, such as `activity.from_.name`) and returns a
string (Teams markdown) or an Adaptive Card dict (replies may only use `Action.OpenUrl`).

Write a plain `def` for anything that blocks (file or network I/O with blocking libraries): it
runs in a worker thread. Write `async def` only when everything inside is awaited. Either way, an
answer that is not ready by the deadline (TEAMS_OUTGOING_DEADLINE_SECONDS, 4 s by default) is
replaced by a short "took too long" text. Import heavy modules inside the function, not at the
top of this file, to keep the app's cold start fast.
"""

from shared import __version__
from shared.outgoing.registry import CommandContext, CommandResult, command


@command("version", help="Say which version of this app is running.")
def version(context: CommandContext) -> CommandResult:
    return f"teams-notify-functions {__version__}"
