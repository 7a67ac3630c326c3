"""The `state_purge` timer: every hour, delete the expired duplicate keys and parts-ledger rows of
the shared tables (shared.state.purge), so that nothing on the request path has to."""

import azure.functions as func

from shared.config.bindings import PURGE_SCHEDULE

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions lacks the hint


@bp.function_name("state_purge")
@bp.timer_trigger(schedule=PURGE_SCHEDULE, arg_name="timer", run_on_startup=False, use_monitor=True)
async def state_purge(timer: func.TimerRequest) -> None:
    # Loaded on the first run: the table client stays off the cold-start path.
    from shared.state.purge import run_purge

    await run_purge()
