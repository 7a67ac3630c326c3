"""The CSRF token: a double-submit cookie.

The page's answer sets a random token in a cookie (HttpOnly, SameSite=Strict, and Secure under
the `__Host-` prefix in Azure) and writes the same token into the page; the page's script sends it
back in the `X-CSRF-Token` header of every state-changing call. Another site can make a browser
send the cookie only with SameSite's leave (never, with Strict), cannot read the page to learn the
token, and cannot set a custom header on a cross-site request without a CORS preflight, which the
app never grants. No server-side state: any instance checks any token.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Final

__all__ = ["HEADER", "CsrfRefused", "check", "cookie_header", "cookie_name", "token_for"]

HEADER: Final = "X-CSRF-Token"
_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{43}")
_LOCAL_NAME: Final = "connect-csrf"
_SECURE_NAME: Final = "__Host-connect-csrf"


class CsrfRefused(Exception):
    """A state-changing call without the page's token; the message says what to do."""


def cookie_name(secure: bool) -> str:
    return _SECURE_NAME if secure else _LOCAL_NAME


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value.strip()
    return ""


def _cookie(headers: Mapping[str, str], secure: bool) -> str:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(_header(headers, "Cookie"))
    except Exception:  # a malformed Cookie header is no token, never a failure
        return ""
    morsel = jar.get(cookie_name(secure))
    return morsel.value if morsel is not None else ""


def token_for(headers: Mapping[str, str], secure: bool) -> str:
    """The token the page carries: the browser's own when it has a well-formed one (so that two
    tabs keep working), a new one otherwise."""
    existing = _cookie(headers, secure)
    return existing if _TOKEN.fullmatch(existing) else secrets.token_urlsafe(32)


def cookie_header(token: str, secure: bool) -> str:
    """The Set-Cookie value for `token`. Path=/ because the `__Host-` prefix requires it."""
    attributes = "Path=/; HttpOnly; SameSite=Strict"
    if secure:
        attributes += "; Secure"
    return f"{cookie_name(secure)}={token}; {attributes}"


def check(headers: Mapping[str, str], secure: bool) -> None:
    """Refuse a state-changing request whose header token is missing or not the cookie's."""
    if _header(headers, "Sec-Fetch-Site") == "cross-site":
        raise CsrfRefused("a request from another site cannot change subscriptions")
    sent = _header(headers, HEADER)
    if not sent:
        raise CsrfRefused(
            f"the {HEADER} header is missing: change subscriptions from the configuration page "
            "(reload it if it was open for long)"
        )
    expected = _cookie(headers, secure)
    if not _TOKEN.fullmatch(expected) or not hmac.compare_digest(sent, expected):
        raise CsrfRefused(
            f"the {HEADER} header does not match this browser's token: reload the configuration "
            "page and try again"
        )
