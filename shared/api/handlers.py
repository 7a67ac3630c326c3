"""What each route does: read the request, render, deliver, answer.

Loaded on a route's first request (never at app start). Every refusal is an ApiError answered
with the JSON error shape; anything else unexpected is logged by type and answered 500
`internal_error` without a trace, which no input may cause (tests/api/test_bad_requests.py).
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

import azure.functions as func

from shared import catalog
from shared.api.answers import delivery_answer
from shared.api.body import read_json_object
from shared.api.errors import ApiError, ErrorCode, error_response, json_response
from shared.api.idempotency import Claims, claims_for
from shared.api.mentions import MentionsNotSupported, add_mentions
from shared.api.params import Params, parse_params
from shared.cards import Problem, TemplateError, UnresolvedBindingsError
from shared.cards.envelope import to_message
from shared.config.settings import (
    ChannelNotUsableError,
    Settings,
    UnknownChannelError,
    current_settings,
    normalize_channel_name,
)
from shared.heap import settle
from shared.pipeline import CardProblems, Rendered, deliver_rendered
from shared.pipeline import inspect as inspect_card
from shared.pipeline import render as render_cards
from shared.teams.client import load_transport
from shared.teams.delivery import DeliveryResult, current_delivery, new_notification_id

if TYPE_CHECKING:
    from shared.subscriptions.fanout import Target

__all__ = ["guarded", "notify", "prepare", "render", "templates"]

logger = logging.getLogger("shared.api")


def prepare() -> None:
    """What every route reads first, read once: run off the event loop on the first request
    (shared.triggers.loading). Templates are compiled by the first render, in its worker thread.

    Whatever a first request would load on the event loop is loaded here instead: the delivery
    (which imports the state and subscription modules), httpx's transport and the certificate
    store, the duplicate keys' module. Then all of it is set aside from the garbage collector
    (shared.heap)."""
    current_settings()
    catalog.template_names()
    current_delivery()
    import shared.state.duplicates  # noqa: F401  # what `claims_for` imports

    load_transport()
    settle()


class Output(Protocol):
    """The queue output binding (`func.Out[list[str]]`)."""

    def set(self, val: list[str]) -> None: ...


async def guarded(
    route: str, invocation_id: str, handler: Callable[[], Awaitable[func.HttpResponse]]
) -> func.HttpResponse:
    """Run a route's handler; refusals and surprises become the JSON error shape."""
    try:
        return await handler()
    except ApiError as error:
        logger.info(
            "api %s refused: status=%d code=%s invocation_id=%s",
            route,
            error.status,
            error.code,
            invocation_id,
        )
        return error_response(error)
    except Exception as error:
        # The text of an unexpected exception may hold anything; its type is enough to search by.
        logger.error(
            "api %s failed: %s invocation_id=%s", route, type(error).__name__, invocation_id
        )
        return error_response(
            ApiError(
                ErrorCode.INTERNAL_ERROR,
                "the app failed on this request; it is logged under this invocation id",
                {"invocation_id": invocation_id},
            )
        )


# --- shared steps ------------------------------------------------------------------------------


def _template(req: func.HttpRequest) -> str:
    name = str(req.route_params.get("template", ""))
    try:
        # The name only: compiling waits for the render's worker thread, off the event loop.
        catalog.options(name)
    except catalog.UnknownTemplateError as error:
        if catalog.is_valid_name(name):
            head = f"unknown template {name!r}"
        else:
            # Not echoed: a path trick or a pasted URL has no place in an answer.
            head = "not a template name (lowercase letters, digits and hyphens)"
        raise ApiError(
            ErrorCode.UNKNOWN_TEMPLATE,
            f"{head}; known templates: {', '.join(error.known)}",
            {"known": error.known},
        ) from None
    return name


def _channels(params: Params, settings: Settings, *, required: bool) -> list[str]:
    """The request's channels, each configured (a broken one stays: delivery reports it)."""
    names = params.channels
    if not names:
        if settings.default_channel is not None:
            return [settings.default_channel]
        if not required:
            return []
        raise ApiError(
            ErrorCode.CHANNEL_REQUIRED,
            "name a channel with ?channel=NAME (several: ?channel=a,b); no default channel is set "
            "(TEAMS_DEFAULT_CHANNEL)",
            {"known": settings.channel_names()},
        )
    for name in names:
        try:
            settings.channel(name)
        except UnknownChannelError as error:
            raise ApiError(
                ErrorCode.UNKNOWN_CHANNEL, str(error), {"known": settings.channel_names()}
            ) from None
        except ChannelNotUsableError:
            pass
    return list(dict.fromkeys(normalize_channel_name(name) or name for name in names))


def _unresolved(error: UnresolvedBindingsError, template: str) -> ApiError:
    listed = ", ".join(f"{b.path} {b.expression}" for b in error.bindings[:10])
    return ApiError(
        ErrorCode.UNRESOLVED_BINDINGS,
        f"the data leaves {len(error.bindings)} binding(s) of template {template!r} without a "
        f"value: {listed}",
        {"bindings": [{"path": b.path, "expression": b.expression} for b in error.bindings]},
    )


def _template_failed(error: TemplateError, template: str) -> ApiError:
    return ApiError(
        ErrorCode.TEMPLATE_FAILED, f"template {template!r} failed with this data: {error}"
    )


def _card_problems(template: str, problems: Sequence[Problem]) -> ApiError:
    listed = "; ".join(str(problem) for problem in problems[:5])
    return ApiError(
        ErrorCode.CARD_PROBLEMS,
        f"the card from template {template!r} would not show in Teams: {listed}",
        {"problems": [{"path": p.path, "message": p.message} for p in problems]},
    )


# --- POST /api/notify/{template} ----------------------------------------------------------------


async def notify(req: func.HttpRequest, retry: Output, invocation_id: str) -> func.HttpResponse:
    # The delivery budget is the caller's clock: it counts from here, rendering included.
    arrived = time.monotonic()
    template = _template(req)
    params = parse_params(req.params)
    settings = current_settings()
    if params.topic is not None:
        _known_topic(params.topic)
    # With a topic and no channel, only the topic's subscriptions get the card.
    only_topic = params.topic is not None and not params.channels
    channels = [] if only_topic else _channels(params, settings, required=True)
    data = await asyncio.to_thread(read_json_object, req)  # up to 1 MB: off the event loop
    targets = await _topic_targets(params.topic, data) if params.topic is not None else []
    names = [*channels, *(target.delivery_name for target in targets)]

    # The same pipeline as every other sender (shared.pipeline), with mentions added to
    # each channel's card (`$host.channel` may make them differ) before the checks. A worker
    # thread does the CPU work, so that a big card does not hold the event loop. A topic
    # nobody subscribed to still has its data checked: the sender learns of a bad payload now.
    def work() -> tuple[list[Rendered], Claims | None]:
        rendered = render_cards(
            template,
            data,
            names or [str(params.topic)],
            decorate=lambda card: add_mentions(card, params.mentions),
            headers=req.headers,
        )
        # The key reads every alert's fingerprint of a big group: here too, not on the loop.
        claims = claims_for(
            template, catalog.options(template), data, req.headers, settings.duplicate_window
        )
        return rendered, claims

    try:
        rendered, claims = await asyncio.to_thread(work)
        if not names:
            rendered = []
    except UnresolvedBindingsError as error:
        raise _unresolved(error, template) from None
    except TemplateError as error:
        raise _template_failed(error, template) from None
    except MentionsNotSupported as error:
        raise ApiError(ErrorCode.MENTION_NOT_SUPPORTED, str(error)) from None
    except CardProblems as error:
        raise _card_problems(template, error.problems) from None
    notification_id = new_notification_id()
    labels = {"template": template, "invocation_id": invocation_id, "source": "http"}
    fresh, duplicates = await _without_duplicates(rendered, claims, notification_id)
    results = await deliver_rendered(
        fresh, notification_id=notification_id, labels=labels, arrived=arrived
    )
    if claims is not None:
        for result in results:
            if result.status == "failed":  # the sender's retry may try again
                await claims.release(result.channel)
    if targets:
        from shared.subscriptions.fanout import note_outcomes

        await note_outcomes(results, targets)
    order = {name: position for position, name in enumerate(names)}
    results = sorted([*results, *duplicates], key=lambda r: order.get(r.channel, len(order)))
    queued = [message for result in results for message in result.queue_messages]
    if queued:
        retry.set(queued)
    status, body = delivery_answer(
        notification_id,
        template,
        results,
        topic=params.topic,
        subscriptions={t.delivery_name: (t.id, t.channel_name) for t in targets},
    )
    return json_response(status, body)


def _known_topic(topic: str) -> None:
    from shared.subscriptions.topics import current_topics

    known = current_topics()
    if known.get(topic) is None:
        raise ApiError(
            ErrorCode.UNKNOWN_TOPIC,
            f"unknown topic {topic!r}; topics: {', '.join(known.names()) or 'none'}",
            {"known": known.names()},
        )


async def _topic_targets(topic: str, data: Any) -> "list[Target]":
    """The subscriptions of `topic` whose filter accepts `data` (shared.subscriptions.fanout)."""
    from shared.subscriptions.fanout import topic_targets
    from shared.subscriptions.model import SubscriptionsUnavailable

    try:
        return await topic_targets(topic, data)
    except SubscriptionsUnavailable as error:
        raise ApiError(
            ErrorCode.SUBSCRIPTIONS_UNAVAILABLE,
            f"topic {topic!r} cannot be delivered: subscriptions are unavailable ({error}); "
            "nothing was sent",
        ) from None


async def _without_duplicates(
    rendered: Sequence[Rendered], claims: Claims | None, notification_id: str
) -> tuple[list[Rendered], list[DeliveryResult]]:
    """The cards to post, and a `duplicate` result for each channel that already got this key."""
    if claims is None:
        return list(rendered), []
    fresh: list[Rendered] = []
    duplicates: list[DeliveryResult] = []
    for item in rendered:
        if await claims.first(item.channel):
            fresh.append(item)
        else:
            duplicates.append(
                DeliveryResult(
                    notification_id,
                    item.channel,
                    "duplicate",
                    0,
                    f"the same notification key reached this channel within {claims.window} s; "
                    "nothing posted",
                )
            )
    return fresh, duplicates


# --- POST /api/render/{template} ----------------------------------------------------------------


_FORMATS: Final = ("json", "html")
_THEMES: Final = ("light", "dark")


def _choice(req: func.HttpRequest, name: str, allowed: Sequence[str]) -> str:
    value = str(req.params.get(name) or allowed[0])
    if value not in allowed:
        message = f"{name} is one of {', '.join(allowed)}"
        raise ApiError(
            ErrorCode.INVALID_PARAMETER,
            f"query parameter {name}: {message}",
            {"problems": [{"parameter": name, "message": message}]},
        )
    return value


async def render(req: func.HttpRequest) -> func.HttpResponse:
    """The card a notify would send, and every problem found; nothing is sent. With
    `?format=html` (and `&theme=dark`), a page that draws the card with Microsoft's renderer and
    Teams' host config and lists the problems, the renderer's included (shared.preview.page)."""
    template = _template(req)
    params = parse_params(req.params)
    answer_format = _choice(req, "format", _FORMATS)
    theme = _choice(req, "theme", _THEMES)
    if len(params.channels) > 1:
        raise ApiError(
            ErrorCode.INVALID_PARAMETER,
            "render takes one channel (it shows the card one channel would get)",
            {"problems": [{"parameter": "channel", "message": "one channel at most"}]},
        )
    named = _channels(params, current_settings(), required=False)
    channel = named[0] if named else None
    data = await asyncio.to_thread(read_json_object, req)  # up to 1 MB: off the event loop
    # The same steps as notify (shared.pipeline), collecting problems instead of refusing.
    try:
        inspection = await asyncio.to_thread(
            inspect_card,
            template,
            data,
            channel,
            decorate=lambda card: add_mentions(card, params.mentions),
            headers=req.headers,
        )
    except TemplateError as error:
        raise _template_failed(error, template) from None
    card = inspection.card
    if answer_format == "html":
        return _preview_answer(template, card, inspection.problems, theme)
    problems = [{"path": p.path, "message": p.message} for p in inspection.problems]
    try:
        message: Any = to_message(card)
    except ValueError:
        message = None
    return json_response(
        200,
        {
            "template": template,
            "channel": channel,
            "ok": not problems,
            "problems": problems,
            "card": card,
            "message": message,
        },
    )


def _preview_answer(
    template: str, card: Any, problems: Sequence[Problem], theme: str
) -> func.HttpResponse:
    from shared.preview.page import preview_page

    page = preview_page(
        card,
        theme="dark" if theme == "dark" else "light",
        title=template,
        problems=[str(problem) for problem in problems],
    )
    return func.HttpResponse(
        page.html,
        status_code=200,
        mimetype="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": page.content_security_policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


# --- GET /api/templates ---------------------------------------------------------------------------


async def templates() -> func.HttpResponse:
    listed = []
    for name in catalog.template_names():
        info = catalog.get(name)
        listed.append(
            {
                "name": name,
                "description": info.description,
                "target": info.options.get("target", "incoming"),
                "sample_data": info.sample_data,
            }
        )
    return json_response(200, {"templates": listed})
