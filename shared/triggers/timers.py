"""One timer function per enabled entry of shared/schedules.json, `schedule_<name>`, and the
subscriptions' sweeper, `subscriptions_sweeper`.

Registered when the function app is imported, from the entries as this process reads them: an
entry that is off (its `enabled_by` setting unset) or has a problem is not registered; `python -m
shared check` and the health route report the problems. Each function runs the entry's UTC
schedule (see shared.schedules.zoned), never on startup, and writes what delivery could not get
through in time to the notifications-retry queue.
"""

import typing

import azure.functions as func

from shared.config.bindings import RETRY_QUEUE, STORAGE_CONNECTION
from shared.schedules.entries import ScheduleEntry, current_schedules

# The worker checks output annotations with typing_inspect, which knows typing.List but not the
# builtin list[str]: `func.Out[list[str]]` would fail indexing.
RetryMessages = func.Out[typing.List[str]]  # noqa: UP006


def build_blueprint(entries: typing.Iterable[ScheduleEntry]) -> func.Blueprint:
    """A blueprint with one timer function per entry."""
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]
    for entry in entries:
        _register(blueprint, entry)
    return blueprint


def _register(blueprint: func.Blueprint, entry: ScheduleEntry) -> None:
    @blueprint.function_name(entry.function_name)
    @blueprint.timer_trigger(
        schedule=entry.registered_schedule,
        arg_name="timer",
        run_on_startup=False,
        use_monitor=True,
    )
    @blueprint.queue_output(arg_name="retry", queue_name=RETRY_QUEUE, connection=STORAGE_CONNECTION)
    async def run(timer: func.TimerRequest, retry: RetryMessages, context: func.Context) -> None:
        # Loaded on the first run: the card engine and delivery stay off the cold-start path.
        from shared.schedules.run import run_entry

        outcome = await run_entry(entry, timer, invocation_id=context.invocation_id)
        if outcome.queue_messages:
            retry.set(list(outcome.queue_messages))


bp = build_blueprint(current_schedules().registered)

# Every few minutes in UTC (Flex Consumption's timers know no time zone): posts the scheduled
# updates people subscribed to, each at its own local time (shared.subscriptions.sweeper, which
# keeps the schedule's own constant in step: tests/subscriptions/test_sweeper.py).
SWEEPER_SCHEDULE = "0 */5 * * * *"


@bp.function_name("subscriptions_sweeper")
@bp.timer_trigger(
    schedule=SWEEPER_SCHEDULE, arg_name="timer", run_on_startup=False, use_monitor=True
)
@bp.queue_output(arg_name="retry", queue_name=RETRY_QUEUE, connection=STORAGE_CONNECTION)
async def subscriptions_sweeper(
    timer: func.TimerRequest, retry: RetryMessages, context: func.Context
) -> None:
    from shared.subscriptions.sweeper import run_sweeper

    queued = await run_sweeper(context.invocation_id)
    if queued:
        retry.set(queued)
