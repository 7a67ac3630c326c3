"""Who is asking, and whether the configuration page is open to them.

Three situations, told apart by what only the platform sets (never by the request):
- In Azure with App Service built-in authentication on (the platform injects
  `WEBSITE_AUTH_ENABLED=True`): the platform signs people in with Entra ID and puts the
  signed-in person in the `X-MS-CLIENT-PRINCIPAL-*` headers, which it also strips from what a
  client sends, so there and only there they are trusted. Anonymous requests are let through
  (so that `notify` keeps its function keys); the page refuses them with 401.
- In Azure without it: the page does not exist (404). Nothing a client sends changes that: a
  principal header would be the client's own invention.
- Locally (`func start`, no Azure marker): open on a loopback host only, to one person, `local`.
  Principal headers are ignored: nothing strips them here.

Sources: docs/connect.md#access.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from shared.config.hosts import is_loopback
from shared.config.settings import running_in_azure

__all__ = [
    "AUTH_ENABLED_SETTING",
    "LOCAL",
    "AccessRefused",
    "Principal",
    "platform_auth_on",
    "principal_of",
]

AUTH_ENABLED_SETTING: Final = "WEBSITE_AUTH_ENABLED"
PRINCIPAL_ID_HEADER: Final = "x-ms-client-principal-id"
PRINCIPAL_NAME_HEADER: Final = "x-ms-client-principal-name"
PRINCIPAL_HEADER: Final = "x-ms-client-principal"
_MAX_HEADER: Final = 16 * 1024


@dataclass(frozen=True)
class Principal:
    """A signed-in person: the Entra object id, and a name to greet them by."""

    id: str
    name: str


LOCAL: Final = Principal("local", "you (local)")


class AccessRefused(Exception):
    """The page refuses the request: `status` 404 (the page is off) or 401 (not signed in)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def platform_auth_on(environ: Mapping[str, str]) -> bool:
    """App Service authentication is on for this app: in Azure, with the platform's own flag."""
    flag = environ.get(AUTH_ENABLED_SETTING, "").strip().lower()
    return running_in_azure(environ) and flag in ("true", "1")


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value.strip()
    return ""


def _name_from_claims(encoded: str) -> str:
    """The `name` claim of the platform's base64 JSON principal, or "" (never fails)."""
    if not encoded or len(encoded) > _MAX_HEADER:
        return ""
    try:
        document = json.loads(base64.b64decode(encoded, validate=False))
    except (binascii.Error, ValueError):
        return ""
    claims = document.get("claims") if isinstance(document, dict) else None
    for claim in claims if isinstance(claims, list) else []:
        if isinstance(claim, dict) and claim.get("typ") == "name":
            return str(claim.get("val", ""))[:200]
    return ""


def principal_of(url: str, headers: Mapping[str, str], environ: Mapping[str, str]) -> Principal:
    """The person behind a request to the page, or AccessRefused."""
    if platform_auth_on(environ):
        person_id = _header(headers, PRINCIPAL_ID_HEADER)
        if not person_id or len(person_id) > 200:
            raise AccessRefused(
                401, "sign in first: open the page in a browser to sign in with your work account"
            )
        name = (
            _name_from_claims(_header(headers, PRINCIPAL_HEADER))
            or _header(headers, PRINCIPAL_NAME_HEADER)[:200]
            or person_id
        )
        return Principal(person_id, name)
    if running_in_azure(environ):
        raise AccessRefused(
            404,
            "the configuration page is off: it needs App Service authentication with Microsoft "
            "Entra ID on this app (docs/connect.md#access)",
        )
    host = urlsplit(url).hostname or ""
    if not is_loopback(host):
        raise AccessRefused(
            404, "the configuration page is open on localhost only when the app runs locally"
        )
    return LOCAL
