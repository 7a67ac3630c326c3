"""The notifications-retry-poison queue trigger: keep what every redelivery failed on.

`shared.teams.undeliverable.take_poison` stores the message as a dead letter (14 days) and posts
the "undeliverable notification" card to TEAMS_DEADLETTER_CHANNEL when it is set; `python -m
shared replay ID` and the Outgoing Webhook command `replay ID` put it back on the retry queue.
"""

import azure.functions as func

from shared.config.bindings import POISON_QUEUE, STORAGE_CONNECTION

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions lacks the hint


@bp.function_name("notifications_dead_letter")
@bp.queue_trigger(arg_name="message", queue_name=POISON_QUEUE, connection=STORAGE_CONNECTION)
async def notifications_dead_letter(message: func.QueueMessage) -> None:
    # Loaded on the first poison message: the table client and delivery stay off the cold start.
    from shared.teams.undeliverable import take_poison

    await take_poison(message)
