"""Requests as Teams sends them to an Outgoing Webhook, for the endpoint's tests and benchmark.

Teams POSTs a Bot Framework Activity and signs the raw body: `Authorization: HMAC <base64>`, where
the signature is base64(HMAC-SHA256(key = base64-decode(security token), message = body bytes))
(docs/teams-protocol.md#outgoing-webhook-hmac). The signing here is written from that description
with the standard library alone, so that it checks the product's verification rather than repeating
it."""

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import azure.functions as func

from shared.outgoing.config import load_config
from shared.outgoing.handler import Endpoint
from shared.outgoing.registry import Registry, commands

# Security tokens as Teams shows them: base64 of 32 random bytes.
OPS_TOKEN = "ZmFrZS1vcHMtdG9rZW4tZm9yLXRlc3RzLTMyYnl0ZXM="
DEV_TOKEN = "ZGV2LXRlYW0tdG9rZW4taGVyZS10aGlydHktdHdvISE="
BOT_NAME = "Notifier"

_ids = itertools.count(1_712_345_678_901)


def teams_signature(body: bytes, token: str) -> str:
    key = base64.b64decode(token)
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def activity(
    text: str,
    *,
    timestamp: datetime | None = None,
    activity_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A channel message as Teams posts it (field set and order as in real payloads)."""
    sent = timestamp or datetime.now(UTC)
    message_id = activity_id or str(next(_ids))
    berlin_summer = timezone(timedelta(hours=2))
    result: dict[str, Any] = {
        "type": "message",
        "id": message_id,
        "timestamp": sent.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "localTimestamp": sent.astimezone(berlin_summer).isoformat(timespec="milliseconds"),
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "channelId": "msteams",
        "from": {
            "id": "29:1XkL0ZGx6Qq2aK3lS0v0ym5YJ0rNQK4u0mU1vYwZ8dAbCdE",
            "name": "Adèle Vance",
            "aadObjectId": "8c0e1d4b-6f3a-4c57-9d0e-2b8f1a7c3e45",
        },
        "conversation": {
            "isGroup": True,
            "id": f"19:4b2c3d1e9f8a7b6c@thread.tacv2;messageid={message_id}",
            "name": None,
            "conversationType": "channel",
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        },
        "recipient": None,
        "textFormat": "plain",
        "attachmentLayout": None,
        "membersAdded": [],
        "membersRemoved": [],
        "locale": "de-DE",
        "text": text,
        "attachments": [{"contentType": "text/html", "content": f"<div><div>{text}</div>\n</div>"}],
        "entities": [
            {
                "type": "clientInfo",
                "locale": "de-DE",
                "country": "DE",
                "platform": "Web",
                "timezone": "Europe/Berlin",
            },
            {
                "type": "mention",
                "mentioned": {"id": "28:c9e8c047-2a74-40a2-b28a-b162d5f5327c", "name": BOT_NAME},
                "text": f"<at>{BOT_NAME}</at>",
            },
        ],
        "channelData": {
            "teamsChannelId": "19:4b2c3d1e9f8a7b6c@thread.tacv2",
            "teamsTeamId": "19:0a1b2c3d4e5f@thread.tacv2",
            "channel": {"id": "19:4b2c3d1e9f8a7b6c@thread.tacv2"},
            "team": {"id": "19:0a1b2c3d4e5f@thread.tacv2"},
            "tenant": {"id": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
        },
        "replyToId": None,
        "value": None,
        "name": None,
    }
    result.update(fields)
    return result


def raw_body(payload: dict[str, Any]) -> bytes:
    """The body as it travels: indented, `\\u` escapes, CRLF. Parsing it and serialising it again
    gives other bytes, so a signature computed over a re-serialised body would not match."""
    text = json.dumps(payload, indent=2, ensure_ascii=True).replace("\n", "\r\n")
    return (text + "\r\n").encode("utf-8")


def mention_text(words: str) -> str:
    """What Teams puts in `text` for `@Notifier <words>` typed in a channel."""
    return f"<at>{BOT_NAME}</at>&nbsp;{words}"


def signed_request(
    body: bytes,
    *,
    webhook: str | None = "ops",
    token: str = OPS_TOKEN,
    authorization: str | None = None,
) -> func.HttpRequest:
    """A POST to the callback URL `/api/teams/outgoing?webhook=<webhook>`, signed with `token`
    unless `authorization` gives the header's exact value."""
    params = {} if webhook is None else {"webhook": webhook}
    query = f"?webhook={webhook}" if webhook is not None else ""
    header = f"HMAC {teams_signature(body, token)}" if authorization is None else authorization
    return func.HttpRequest(
        "POST",
        f"https://notify.example.net/api/teams/outgoing{query}",
        headers={"Content-Type": "application/json; charset=utf-8", "Authorization": header},
        params=params,
        body=body,
    )


def command_request(words: str, **kwargs: Any) -> func.HttpRequest:
    """`@Notifier <words>`, as the ops webhook's Teams sends it."""
    return signed_request(raw_body(activity(mention_text(words))), **kwargs)


def make_endpoint(
    registry: Registry | None = None,
    now: datetime | None = None,
    /,
    **settings: str,
) -> Endpoint:
    """An endpoint for the `ops` and `dev` webhooks, plus any other app settings given."""
    environ = {"TEAMS_OUTGOING_TOKEN_OPS": OPS_TOKEN, "TEAMS_OUTGOING_TOKEN_DEV": DEV_TOKEN}
    environ.update(settings)
    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    return Endpoint(load_config(environ), registry=registry or commands, clock=clock)


def run(endpoint: Endpoint, request: func.HttpRequest) -> func.HttpResponse:
    """The endpoint's answer, on an event loop of its own as the Functions worker gives it."""
    return asyncio.run(endpoint.handle(request))


def answer(response: func.HttpResponse) -> Any:
    assert response.mimetype == "application/json"
    return json.loads(response.get_body())
