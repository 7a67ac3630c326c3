"""The headers on every answer of the configuration page's routes.

The page runs only its own script and style, each named by a per-answer nonce (no inline code,
no other origin); its calls go to its own origin; nothing may frame it; Trusted Types forbid
string-to-DOM sinks, so the script builds the page with DOM calls only. Every other answer (JSON,
the static files, errors) gets `default-src 'none'`: it is never a document that runs anything.
"""

from __future__ import annotations

import secrets
from typing import Final

import azure.functions as func

__all__ = ["LOCKED_DOWN", "new_nonce", "page_policy", "secured"]

LOCKED_DOWN: Final = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def page_policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'nonce-{nonce}'",
            f"style-src 'nonce-{nonce}'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        )
    )


def secured(response: func.HttpResponse, policy: str = LOCKED_DOWN) -> func.HttpResponse:
    """`response` with the page's security headers (the policy, no sniffing, no caching, no
    referrer)."""
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
