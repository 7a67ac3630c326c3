"""Channel kinds, and the rules that tell a channel's kind from its URL.

A channel is one webhook URL (or a local outbox), and its kind decides how a message is posted
(`shared.teams.transports`) and how Teams' answer is read (`shared.teams.outcome`):
- classic Office 365 connector webhooks on `*.webhook.office.com` (and the older
  `outlook.office.com`), which answer 200 with `1`;
- Workflows webhooks on `*.logic.azure.com` and `*.environment.api.powerplatform.com`, which answer
  202 and take Adaptive Cards only (docs/teams-protocol.md#webhook-urls);
- `file://` outboxes for local use, refused when the app runs in Azure.

Any other host only when listed in TEAMS_ALLOW_HOSTS (development and tests; plain http only on
loopback), where the path tells the kind so that stand-ins mimic the real paths: `/webhookb2/...`
(or `/webhook/...`) is classic, `.../triggers/manual/paths/invoke` is Workflows.

Settings validate every channel with these rules when they load, including the check that the
sender's HTTP client (httpx) can build a request for the URL at all (`unsendable_reason`): a URL
that passes the rules here but that httpx refuses would otherwise fail every delivery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlsplit

from shared.config.hosts import is_loopback
from shared.config.names import ALLOW_HOSTS_SETTING

__all__ = [
    "ChannelKind",
    "Refused",
    "UrlVerdict",
    "Usable",
    "classify_url",
    "outbox_path",
    "unsendable_reason",
]

_KEY_VAULT_REFERENCE = "@microsoft.keyvault("
_CLASSIC_SUFFIXES = (".webhook.office.com",)
_CLASSIC_HOSTS = ("outlook.office.com",)
_WORKFLOWS_SUFFIXES = (".logic.azure.com", ".api.powerplatform.com")
_WORKFLOWS_PATH = re.compile(r"/workflows/[^/]+/triggers/manual/paths/invoke/?$")
_CLASSIC_PATH = re.compile(r"^/(?:webhookb2|webhook)/")


class ChannelKind(StrEnum):
    CLASSIC = "classic"
    WORKFLOWS = "workflows"
    OUTBOX = "outbox"


@dataclass(frozen=True)
class Usable:
    """A URL a channel can use, and its kind."""

    kind: ChannelKind
    url: str


@dataclass(frozen=True)
class Refused:
    """Why a URL cannot be a channel's (never quoting the URL: it is a secret)."""

    reason: str


UrlVerdict = Usable | Refused


def outbox_path(url: str) -> Path:
    """An outbox URL's directory. file:///abs/dir and file://localhost/abs/dir are absolute;
    file://./dir and file://../dir are relative to the working directory (the function app's
    root under `func start`)."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if parts.netloc in ("", "localhost"):
        return Path(path)
    return Path(parts.netloc + path)


def _teams_kind(host: str) -> ChannelKind | None:
    if host in _CLASSIC_HOSTS or host.endswith(_CLASSIC_SUFFIXES):
        return ChannelKind.CLASSIC
    if host.endswith(_WORKFLOWS_SUFFIXES):
        return ChannelKind.WORKFLOWS
    return None


def _kind_from_path(path: str) -> ChannelKind | None:
    if _CLASSIC_PATH.match(path):
        return ChannelKind.CLASSIC
    if _WORKFLOWS_PATH.search(path):
        return ChannelKind.WORKFLOWS
    return None


def classify_url(value: str, *, allow_hosts: frozenset[str], in_azure: bool) -> UrlVerdict:
    """Whether `value` can be a channel's URL, and of which kind; a refusal never echoes it."""
    verdict = _kind_or_reason(value.strip(), allow_hosts=allow_hosts, in_azure=in_azure)
    return Usable(verdict, value.strip()) if isinstance(verdict, ChannelKind) else Refused(verdict)


def unsendable_reason(url: str) -> str | None:
    """Why httpx, the sender's client, cannot post to `url` (None when it can). Its URL parser is
    stricter than urlsplit: it refuses control characters such as DEL, and encodes the host with
    IDNA, which refuses invalid punycode labels such as `xn--a`. The reason never quotes the URL."""
    import httpx  # here, not at import: settings load on paths that never send

    try:
        httpx.Request("POST", url)
    except httpx.InvalidURL:
        return "is not a URL the app's HTTP client accepts (a character it refuses)"
    except ValueError:
        # idna's errors are UnicodeError, a ValueError.
        return "is not a URL the app's HTTP client accepts (a host name it cannot encode)"
    return None


def _kind_or_reason(text: str, *, allow_hosts: frozenset[str], in_azure: bool) -> ChannelKind | str:
    if not text:
        return "is empty"
    if text.lower().startswith(_KEY_VAULT_REFERENCE):
        return (
            "is an unresolved Key Vault reference: the app could not read the secret "
            "(check the app's managed identity has access and the secret exists)"
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return "is not a valid URL"
    scheme = parts.scheme.lower()
    if scheme == "file":
        if in_azure:
            return "is a file:// outbox, which is refused when the app runs in Azure"
        if parts.netloc not in ("", "localhost", ".", "..") or not parts.path.strip("/"):
            return "is not a usable outbox URL (use file:///absolute/dir or file://./relative/dir)"
        return ChannelKind.OUTBOX
    if scheme not in ("https", "http"):
        if not scheme:
            return "is not a URL (an outbox must be written file://...)"
        return "has an unsupported scheme (only https, or file:// for a local outbox)"
    host = (parts.hostname or "").lower()
    if not host:
        return "is not a valid URL (no host)"
    if parts.username is not None or parts.password is not None:
        return "must not contain credentials before the host"
    refusal = unsendable_reason(text)
    if refusal is not None:
        return refusal
    kind = _teams_kind(host)
    if kind is not None:
        if scheme != "https":
            return "must use https"
        if port not in (None, 443):
            return "uses a port other than 443 on a Teams host"
        return kind
    if host not in allow_hosts:
        return (
            "is not a Teams or Workflows webhook host (*.webhook.office.com, outlook.office.com, "
            f"*.logic.azure.com, *.api.powerplatform.com) and not listed in {ALLOW_HOSTS_SETTING}"
        )
    if scheme == "http" and not is_loopback(host):
        return "uses plain http, which is only allowed on loopback"
    kind = _kind_from_path(parts.path)
    if kind is None:
        return (
            "is on an allowed development host but its path does not tell the webhook kind "
            "(use /webhookb2/... for classic or .../triggers/manual/paths/invoke for Workflows)"
        )
    return kind
