"""The notifications-retry queue trigger: redeliver what the budget of a first delivery ran out on.

`shared.teams.redelivery.redeliver` does the work. While Teams still fails it raises, so the host
makes the message visible again after `visibilityTimeout` and, after `maxDequeueCount` attempts
(host.json), moves it to notifications-retry-poison; a permanent refusal is logged and dropped.
"""

import azure.functions as func

from shared.config.bindings import RETRY_QUEUE, STORAGE_CONNECTION

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions lacks the hint


@bp.function_name("notifications_retry")
@bp.queue_trigger(arg_name="message", queue_name=RETRY_QUEUE, connection=STORAGE_CONNECTION)
async def notifications_retry(message: func.QueueMessage) -> None:
    # Loaded on the first message: delivery (httpx) stays off the cold-start path.
    from shared.teams.redelivery import redeliver

    await redeliver(message)
