"""`POST /api/teams/outgoing?webhook=<name>`: the callback URL of the Teams Outgoing Webhooks.

Anonymous at the Functions level: Teams cannot send a function key, and the HMAC signature of
each request is the authentication.
"""

import azure.functions as func

from shared.triggers.loading import load_off_loop

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions lacks the hint


@bp.function_name("teams_outgoing")
@bp.route(
    route="teams/outgoing",
    methods=[func.HttpMethod.POST],
    auth_level=func.AuthLevel.ANONYMOUS,
)
async def teams_outgoing(req: func.HttpRequest) -> func.HttpResponse:
    # Imported on the first request, not when the function app starts: the parsing models and
    # commands cost tens of milliseconds that every cold start of every route would pay. And
    # imported off the event loop, which other requests on the instance need meanwhile.
    await load_off_loop("shared.outgoing.handler")
    from shared.outgoing.handler import handle

    return await handle(req)
