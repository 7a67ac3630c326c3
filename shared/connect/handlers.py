"""The configuration page's routes: access first, the CSRF token on changes, then the service.

Every answer, refusals included, carries the page's security headers. Refusals are the app's one
error shape; the service's own refusals keep the field they name, so the page shows each next to
its field. Loaded on a route's first request (never at app start).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import quote, urlsplit

import azure.functions as func

from shared.api.body import read_json_object
from shared.api.errors import ApiError, ErrorCode, error_response, json_response
from shared.config.settings import running_in_azure
from shared.connect import csrf, wire
from shared.connect.access import AccessRefused, Principal, principal_of
from shared.connect.page import asset, page_html
from shared.connect.security import new_nonce, page_policy, secured
from shared.subscriptions.model import (
    NotFound,
    Person,
    SubscriptionProblem,
    SubscriptionsUnavailable,
    TeamsRefused,
)
from shared.subscriptions.service import current_subscriptions

__all__ = [
    "create",
    "delete",
    "mine",
    "offer",
    "page",
    "pause",
    "places",
    "resume",
    "static",
    "update",
]

logger = logging.getLogger("shared.connect")

_MAX_QUERY: Final = 100
LOGIN_PATH: Final = "/.auth/login/aad"
Work = Callable[[Person], Awaitable[func.HttpResponse]]


def _secure(req: func.HttpRequest) -> bool:
    """Whether the browser talks HTTPS to the app: in Azure always (httpsOnly), locally when the
    URL says so. Decides the cookie's Secure flag and `__Host-` name."""
    return running_in_azure(os.environ) or urlsplit(req.url).scheme == "https"


def _principal(req: func.HttpRequest) -> Principal:
    try:
        return principal_of(req.url, dict(req.headers), os.environ)
    except AccessRefused as refused:
        code = (
            ErrorCode.SIGN_IN_REQUIRED if refused.status == 401 else ErrorCode.CONNECT_UNAVAILABLE
        )
        raise ApiError(code, refused.message) from None


def _refusal(error: Exception, invocation_id: str) -> ApiError:
    if isinstance(error, ApiError):
        return error
    if isinstance(error, SubscriptionProblem):
        return ApiError(ErrorCode.INVALID_SUBSCRIPTION, error.message, {"field": error.field})
    if isinstance(error, TeamsRefused):
        if error.transient:
            return ApiError(
                ErrorCode.DELIVERY_FAILED,
                f"Teams did not answer the welcome card, so nothing was saved: {error.reason}; "
                "try again in a minute",
                {"field": "webhookUrl"},
            )
        return ApiError(
            ErrorCode.WELCOME_REFUSED,
            f"Teams refused the welcome card, so nothing was saved: {error.reason}",
            {"field": "webhookUrl"},
        )
    if isinstance(error, NotFound):
        return ApiError(
            ErrorCode.UNKNOWN_SUBSCRIPTION,
            "no such subscription among yours: reload the page to see your channels",
        )
    if isinstance(error, SubscriptionsUnavailable):
        return ApiError(ErrorCode.SUBSCRIPTIONS_UNAVAILABLE, str(error))
    # The text of an unexpected exception may hold anything; its type is enough to search by.
    logger.error("connect failed: %s invocation_id=%s", type(error).__name__, invocation_id)
    return ApiError(
        ErrorCode.INTERNAL_ERROR,
        "the app failed on this request; it is logged under this invocation id",
        {"invocation_id": invocation_id},
    )


async def _answer(
    req: func.HttpRequest, invocation_id: str, work: Work, *, changes: bool
) -> func.HttpResponse:
    try:
        principal = _principal(req)
        if changes:
            try:
                csrf.check(dict(req.headers), _secure(req))
            except csrf.CsrfRefused as refused:
                raise ApiError(ErrorCode.CSRF, str(refused)) from None
        response = await work(Person(principal.id, principal.name))
    except Exception as error:
        refusal = _refusal(error, invocation_id)
        logger.info(
            "connect refused: status=%d code=%s invocation_id=%s",
            refusal.status,
            refusal.code,
            invocation_id,
        )
        response = error_response(refusal)
    return secured(response)


# --- the page and its files ----------------------------------------------------------------------


def _base(req: func.HttpRequest) -> str:
    path = urlsplit(req.url).path.rstrip("/")
    return path if path.endswith("/connect") else "/api/connect"


async def page(req: func.HttpRequest) -> func.HttpResponse:
    try:
        principal = _principal(req)
    except ApiError as refusal:
        if refusal.code is ErrorCode.SIGN_IN_REQUIRED:
            # A person opening the page signs in first: App Service's own login route brings
            # them back here (anonymous requests reach the app, so the app sends them there).
            back = quote(_base(req), safe="/")
            response = func.HttpResponse(b"", status_code=302)
            response.headers["Location"] = f"{LOGIN_PATH}?post_login_redirect_uri={back}"
            return secured(response)
        return secured(error_response(refusal))
    secure = _secure(req)
    token = csrf.token_for(dict(req.headers), secure)
    nonce = new_nonce()
    text = page_html(base=_base(req), csrf=token, nonce=nonce, person=principal.name)
    response = func.HttpResponse(
        text.encode("utf-8"), status_code=200, mimetype="text/html", charset="utf-8"
    )
    response.headers["Set-Cookie"] = csrf.cookie_header(token, secure)
    return secured(response, page_policy(nonce))


async def static(req: func.HttpRequest, invocation_id: str) -> func.HttpResponse:
    async def work(person: Person) -> func.HttpResponse:
        found = asset(str(req.route_params.get("name", "")))
        if found is None:
            raise ApiError(ErrorCode.UNKNOWN_ASSET, "the page has no file of that name")
        file, body = found
        return func.HttpResponse(body, status_code=200, mimetype=file.mimetype, charset="utf-8")

    return await _answer(req, invocation_id, work, changes=False)


# --- the JSON API --------------------------------------------------------------------------------


async def offer(req: func.HttpRequest, invocation_id: str) -> func.HttpResponse:
    async def work(person: Person) -> func.HttpResponse:
        return json_response(200, wire.offer_json(current_subscriptions().offer()))

    return await _answer(req, invocation_id, work, changes=False)


async def places(req: func.HttpRequest, invocation_id: str) -> func.HttpResponse:
    async def work(person: Person) -> func.HttpResponse:
        query = str(req.params.get("q", "")).strip()
        if not 2 <= len(query) <= _MAX_QUERY:
            raise ApiError(
                ErrorCode.INVALID_PARAMETER,
                f"q: type 2 to {_MAX_QUERY} characters of a city's name",
                {"problems": [{"parameter": "q", "message": "2 to 100 characters"}]},
            )
        found = await current_subscriptions().places(query)
        return json_response(200, {"places": [wire.place_json(p) for p in found]})

    return await _answer(req, invocation_id, work, changes=False)


async def mine(req: func.HttpRequest, invocation_id: str) -> func.HttpResponse:
    async def work(person: Person) -> func.HttpResponse:
        views = await current_subscriptions().mine(person)
        return json_response(200, {"subscriptions": [wire.view_json(v) for v in views]})

    return await _answer(req, invocation_id, work, changes=False)


async def create(req: func.HttpRequest, invocation_id: str) -> func.HttpResponse:
    async def work(person: Person) -> func.HttpResponse:
        draft = wire.draft_from(read_json_object(req), creating=True)
        view = await current_subscriptions().create(draft, person)
        return json_response(201, wire.view_json(view))

    return await _answer(req, invocation_id, work, changes=True)


def _id(req: func.HttpRequest) -> str:
    value = str(req.route_params.get("id", ""))
    if not value or len(value) > 100:
        raise NotFound(value[:100])
    return value


async def update(req: func.HttpRequest, invocation_id: str) -> func.HttpResponse:
    async def work(person: Person) -> func.HttpResponse:
        draft = wire.draft_from(read_json_object(req), creating=False)
        view = await current_subscriptions().update(_id(req), draft, person)
        return json_response(200, wire.view_json(view))

    return await _answer(req, invocation_id, work, changes=True)


async def pause(req: func.HttpRequest, invocation_id: str) -> func.HttpResponse:
    async def work(person: Person) -> func.HttpResponse:
        view = await current_subscriptions().pause(_id(req), person)
        return json_response(200, wire.view_json(view))

    return await _answer(req, invocation_id, work, changes=True)


async def resume(req: func.HttpRequest, invocation_id: str) -> func.HttpResponse:
    async def work(person: Person) -> func.HttpResponse:
        view = await current_subscriptions().resume(_id(req), person)
        return json_response(200, wire.view_json(view))

    return await _answer(req, invocation_id, work, changes=True)


async def delete(req: func.HttpRequest, invocation_id: str) -> func.HttpResponse:
    async def work(person: Person) -> func.HttpResponse:
        await current_subscriptions().delete(_id(req), person)
        return func.HttpResponse(b"", status_code=204)

    return await _answer(req, invocation_id, work, changes=True)
