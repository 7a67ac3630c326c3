"""The configuration page's routes (docs/connect.md). Wiring only: each loads its handler on its
first request.

| Route | Method |
|-------|--------|
| `/api/connect` | GET: the page |
| `/api/connect/assets/{name}` | GET: its script and style sheet |
| `/api/connect/offer` | GET: topics and subscribable scheduled updates |
| `/api/connect/places?q=` | GET: cities for the weather update |
| `/api/connect/subscriptions` | GET: the person's; POST: create |
| `/api/connect/subscriptions/{id}` | PUT: edit; DELETE |
| `/api/connect/subscriptions/{id}/pause`, `/resume` | POST |

Anonymous at the host: who may use them is decided by `shared.connect.access` (App Service
authentication in Azure, localhost locally), so `notify` keeps its function keys.
"""

import azure.functions as func

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions lacks the hint

_ANONYMOUS = func.AuthLevel.ANONYMOUS


@bp.function_name("connect_page")
@bp.route(route="connect", methods=[func.HttpMethod.GET], auth_level=_ANONYMOUS)
async def connect_page(req: func.HttpRequest) -> func.HttpResponse:
    from shared.connect import handlers

    return await handlers.page(req)


@bp.function_name("connect_assets")
@bp.route(route="connect/assets/{name}", methods=[func.HttpMethod.GET], auth_level=_ANONYMOUS)
async def connect_assets(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    from shared.connect import handlers

    return await handlers.static(req, context.invocation_id)


@bp.function_name("connect_offer")
@bp.route(route="connect/offer", methods=[func.HttpMethod.GET], auth_level=_ANONYMOUS)
async def connect_offer(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    from shared.connect import handlers

    return await handlers.offer(req, context.invocation_id)


@bp.function_name("connect_places")
@bp.route(route="connect/places", methods=[func.HttpMethod.GET], auth_level=_ANONYMOUS)
async def connect_places(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    from shared.connect import handlers

    return await handlers.places(req, context.invocation_id)


@bp.function_name("connect_subscriptions")
@bp.route(
    route="connect/subscriptions",
    methods=[func.HttpMethod.GET, func.HttpMethod.POST],
    auth_level=_ANONYMOUS,
)
async def connect_subscriptions(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    from shared.connect import handlers

    if req.method.upper() == "POST":
        return await handlers.create(req, context.invocation_id)
    return await handlers.mine(req, context.invocation_id)


@bp.function_name("connect_subscription")
@bp.route(
    route="connect/subscriptions/{id}",
    methods=[func.HttpMethod.PUT, func.HttpMethod.DELETE],
    auth_level=_ANONYMOUS,
)
async def connect_subscription(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    from shared.connect import handlers

    if req.method.upper() == "DELETE":
        return await handlers.delete(req, context.invocation_id)
    return await handlers.update(req, context.invocation_id)


@bp.function_name("connect_pause")
@bp.route(
    route="connect/subscriptions/{id}/pause", methods=[func.HttpMethod.POST], auth_level=_ANONYMOUS
)
async def connect_pause(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    from shared.connect import handlers

    return await handlers.pause(req, context.invocation_id)


@bp.function_name("connect_resume")
@bp.route(
    route="connect/subscriptions/{id}/resume", methods=[func.HttpMethod.POST], auth_level=_ANONYMOUS
)
async def connect_resume(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    from shared.connect import handlers

    return await handlers.resume(req, context.invocation_id)
