"""`replay ID`: put a dead letter back on the notifications-retry queue from the channel.

Its own module (like the custom commands) so the built-ins stay as they are; the table client is
imported inside the command, off the cold-start path. The blocking table and queue calls run on a
worker thread under the endpoint's deadline.
"""

import asyncio

from shared.outgoing.registry import CommandContext, CommandResult, command

__all__ = ["replay"]


@command(
    "replay",
    usage="<id>",
    help="Put an undeliverable notification (a dead letter) back on the retry queue.",
    example="replay 3f2a9c0d5e6b4a718293a4b5c6d7e8f9",
)
async def replay(context: CommandContext) -> CommandResult:
    from shared.state.deadletters import current_dead_letters
    from shared.state.store import StateUnavailable

    if len(context.args) != 1:
        return "Write `replay <id>` with the id from the undeliverable-notification card."
    wanted = context.args[0].strip()[:100]
    letters = current_dead_letters()
    if letters is None:
        return "Dead letters are not kept here: no storage is configured (AzureWebJobsStorage)."
    try:
        replayed = await asyncio.wait_for(
            asyncio.to_thread(letters.replay, wanted), timeout=max(0.1, context.seconds_left())
        )
    except (StateUnavailable, TimeoutError):
        return "The dead-letter table cannot be reached right now; try again in a minute."
    shown = wanted.replace("`", "")[:60]
    if not replayed:
        return f"There is no dead letter `{shown}` (they are kept 14 days)."
    channels = ", ".join(sorted({f"`{letter.channel}`" for letter in replayed}))
    return f"Put `{shown}` back on the retry queue for {channels}."
