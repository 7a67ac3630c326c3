"""Fetch a scheduled entry's data: one GET to an allowed host, a JSON answer, nothing else.

The host must be listed in `SOURCE_ALLOW_HOSTS` (a list of its own, separate from the webhook
hosts), the URL must be https (plain http only on loopback), redirects are not followed (they could
leave the allowed hosts), and the answer may be at most 1 MB. Failures are `SourceError`s whose
reason never contains the URL or a header value: URLs may carry tokens, headers do.
"""

import json
import os
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from shared.config.hosts import is_loopback
from shared.schedules.entries import HeaderFromSetting, Source, allowed_source_hosts
from shared.teams.channels import unsendable_reason
from shared.teams.client import http_client

__all__ = ["MAX_ANSWER_BYTES", "SourceError", "fetch_json"]

MAX_ANSWER_BYTES: Final = 1024 * 1024


class SourceError(Exception):
    """The source gave no usable data; `reason` says why, without the URL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _headers(source: Source, environ: Mapping[str, str]) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    for name, value in source.headers:
        if isinstance(value, HeaderFromSetting):
            secret = environ.get(value.setting, "").strip()
            if not secret:
                raise SourceError(f"header {name}: app setting {value.setting} is not set")
            headers[name] = value.prefix + secret
        else:
            headers[name] = value
    return headers


def _check_url(source: Source, environ: Mapping[str, str]) -> None:
    # Checked when the schedules load, and again here: the allow-list is read from the settings
    # that apply now, and nothing but an allowed host is ever contacted.
    refusal = unsendable_reason(source.url)
    if refusal is not None:
        raise SourceError(f"the URL {refusal}")
    parts = urlsplit(source.url)
    host = (parts.hostname or "").lower()
    if host not in allowed_source_hosts(environ):
        raise SourceError(f"host {host!r} is not listed in SOURCE_ALLOW_HOSTS")
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(host)):
        raise SourceError("the URL must be https (plain http only on loopback)")


async def fetch_json(source: Source, environ: Mapping[str, str] | None = None) -> Any:
    """The source's JSON answer. Raises SourceError."""
    environ = os.environ if environ is None else environ
    _check_url(source, environ)
    headers = _headers(source, environ)
    timeout = httpx.Timeout(source.timeout)
    body = bytearray()
    try:
        async with http_client().stream(
            "GET", source.url, headers=headers, timeout=timeout
        ) as response:
            if response.is_redirect:
                raise SourceError(
                    f"answered HTTP {response.status_code}, a redirect (redirects are not followed)"
                )
            if response.status_code != 200:
                raise SourceError(f"answered HTTP {response.status_code}")
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > MAX_ANSWER_BYTES:
                    raise SourceError(f"answered more than {MAX_ANSWER_BYTES:,} bytes")
    except httpx.TimeoutException:
        raise SourceError(f"gave no answer within {source.timeout:g} s") from None
    except httpx.HTTPError as error:
        # httpx puts the URL in its messages: name the kind of failure only.
        raise SourceError(f"could not be reached ({type(error).__name__})") from None
    try:
        return json.loads(bytes(body).decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise SourceError("answered text that is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise SourceError(
            f"answered something that is not JSON ({error.msg} at line {error.lineno} "
            f"column {error.colno})"
        ) from None
    except (ValueError, RecursionError) as error:
        raise SourceError(f"answered JSON this app does not take ({error})") from None
