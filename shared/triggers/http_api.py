"""The HTTP routes. Wiring only: each route loads its handler on its first request, so the card
engine, pydantic and httpx stay off the cold-start path.

| Route | Method | Auth |
|-------|--------|------|
| `/api/notify/{template}?channel=a,b&mention=upn` | POST | function key |
| `/api/render/{template}?channel=a&mention=upn[&format=html&theme=dark]` | POST | function key |
| `/api/templates` | GET | function key |
| `/api/health` | GET | anonymous |

Wrong methods never reach a function: the host answers them.
"""

import typing

import azure.functions as func

from shared.config.bindings import RETRY_QUEUE, STORAGE_CONNECTION
from shared.triggers.loading import load_off_loop

# Loaded on the first request, off the event loop (shared.triggers.loading).
HANDLERS = "shared.api.handlers"

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions lacks the hint

# The worker checks output annotations with typing_inspect, which knows typing.List but not the
# builtin list[str]: `func.Out[list[str]]` would fail indexing.
RetryMessages = func.Out[typing.List[str]]  # noqa: UP006


@bp.function_name("notify")
@bp.route(
    route="notify/{template}", methods=[func.HttpMethod.POST], auth_level=func.AuthLevel.FUNCTION
)
@bp.queue_output(arg_name="retry", queue_name=RETRY_QUEUE, connection=STORAGE_CONNECTION)
async def notify(
    req: func.HttpRequest, retry: RetryMessages, context: func.Context
) -> func.HttpResponse:
    await load_off_loop(HANDLERS)
    from shared.api import handlers

    return await handlers.guarded(
        "notify", context.invocation_id, lambda: handlers.notify(req, retry, context.invocation_id)
    )


@bp.function_name("render")
@bp.route(
    route="render/{template}", methods=[func.HttpMethod.POST], auth_level=func.AuthLevel.FUNCTION
)
async def render(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    await load_off_loop(HANDLERS)
    from shared.api import handlers

    return await handlers.guarded("render", context.invocation_id, lambda: handlers.render(req))


@bp.function_name("templates")
@bp.route(route="templates", methods=[func.HttpMethod.GET], auth_level=func.AuthLevel.FUNCTION)
async def templates(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    await load_off_loop(HANDLERS)
    from shared.api import handlers

    return await handlers.guarded("templates", context.invocation_id, handlers.templates)


@bp.function_name("health")
@bp.route(route="health", methods=[func.HttpMethod.GET], auth_level=func.AuthLevel.ANONYMOUS)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    # Not through the other handlers: health must answer even when a part of the app fails to
    # load, and it answers counts only (anonymous callers get no names).
    from shared.api.errors import json_response
    from shared.health import health_report

    try:
        report = health_report()
    except Exception as error:
        report = {"status": "degraded", "problems": 1, "error": type(error).__name__}
    return json_response(200, report)
