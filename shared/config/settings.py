"""App settings, read and validated once per process.

Every channel is one app setting `TEAMS_WEBHOOK_<NAME>` holding a webhook URL (in Azure usually a
Key Vault reference). Settings never fail as a whole: each problem becomes a `ConfigProblem` naming
the setting (never its value), the affected channel is unusable, and everything else works. The
health route and `python -m shared check` report `config_problems()`.

URL policy, applied when settings load:
- https on Teams and Workflows hosts (`*.webhook.office.com`, `outlook.office.com`,
  `*.logic.azure.com`, `*.api.powerplatform.com`) is accepted;
- `file://` URLs are local outboxes (`file:///abs/dir` or `file://./relative/dir`), refused in
  Azure;
- any other host only when listed in `TEAMS_ALLOW_HOSTS` (development and tests), and plain http
  only on loopback.

The webhook kind (classic connector or Workflows) follows the host. On a `TEAMS_ALLOW_HOSTS` host
the path decides, so stand-ins mimic the real paths: `/webhookb2/...` (or `/webhook/...`) is
classic, and a path ending in `/triggers/manual/paths/invoke` is Workflows.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import SplitResult, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from shared.config.names import (
    CHANNEL_NAME,
    WEBHOOK_PREFIX,
    key_vault_secret_name,
    normalize_channel_name,
    setting_for_channel,
)

__all__ = [
    "AppSettingName",
    "Channel",
    "ChannelKind",
    "ChannelNotUsableError",
    "ConfigProblem",
    "Settings",
    "UnknownChannelError",
    "app_setting_names",
    "config_problems",
    "get_settings",
    "key_vault_secret_name",
    "normalize_channel_name",
    "reset_settings",
    "running_in_azure",
    "setting_for_channel",
]

ALLOW_HOSTS_SETTING = "TEAMS_ALLOW_HOSTS"
DEFAULT_CHANNEL_SETTING = "TEAMS_DEFAULT_CHANNEL"
DELIVERY_BUDGET_SETTING = "TEAMS_DELIVERY_BUDGET_SECONDS"
REDELIVERY_BUDGET_SETTING = "TEAMS_REDELIVERY_BUDGET_SECONDS"

# Callers such as GitHub give up after 10 s and resend: answer within 8.
DEFAULT_DELIVERY_BUDGET = 8.0
# One redelivery is one short try: the queue's own retries (visibilityTimeout, maxDequeueCount)
# space the attempts out, so a worker is not held while Teams is down.
DEFAULT_REDELIVERY_BUDGET = 5.0

_SETTING_SUFFIX = re.compile(r"[A-Z0-9]+(?:_[A-Z0-9]+)*")
_KEY_VAULT_REFERENCE = "@microsoft.keyvault("
_CLASSIC_SUFFIXES = (".webhook.office.com",)
_CLASSIC_HOSTS = ("outlook.office.com",)
_WORKFLOWS_SUFFIXES = (".logic.azure.com", ".api.powerplatform.com")
_WORKFLOWS_PATH = re.compile(r"/workflows/[^/]+/triggers/manual/paths/invoke/?$")
_CLASSIC_PATH = re.compile(r"^/(?:webhookb2|webhook)/")
# Variables only the Azure platform sets (read-only app settings): WEBSITE_INSTANCE_ID (what the
# Functions host itself checks for App Service), WEBSITE_OWNER_NAME and WEBSITE_SKU (every plan,
# Consumption and Flex Consumption included), WEBSITE_POD_NAME (Flex Consumption). Core Tools sets
# none of them, so `func start` keeps its outbox. CONTAINER_NAME, which the host also reads for
# Linux Consumption, is left out: container tooling sets it on developer machines and CI too.
_AZURE_MARKERS = ("WEBSITE_INSTANCE_ID", "WEBSITE_OWNER_NAME", "WEBSITE_SKU", "WEBSITE_POD_NAME")


@dataclass(frozen=True)
class ConfigProblem:
    """One configuration problem: the setting it concerns and what is wrong (never the value)."""

    setting: str
    message: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.message}"


class ChannelKind(StrEnum):
    CLASSIC = "classic"
    WORKFLOWS = "workflows"
    OUTBOX = "outbox"


class Channel(BaseModel):
    """A usable channel. `url` is a SecretStr so that repr, str and logging never show it."""

    model_config = ConfigDict(frozen=True)

    name: str
    setting: str
    kind: ChannelKind
    url: SecretStr

    @property
    def url_hash(self) -> str:
        """A short fingerprint of the URL for logs: tells two URLs apart, reveals neither."""
        return hashlib.sha256(self.url.get_secret_value().encode()).hexdigest()[:8]

    @property
    def outbox_dir(self) -> Path:
        """An outbox channel's directory (a relative one is relative to the working directory)."""
        if self.kind is not ChannelKind.OUTBOX:
            raise ValueError(f"channel {self.name!r} is not an outbox")
        return _outbox_path(urlsplit(self.url.get_secret_value()))


class UnknownChannelError(LookupError):
    """No channel of that name is configured. Lists the configured names, never URLs."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        listed = ", ".join(known) if known else "none (set TEAMS_WEBHOOK_<NAME> app settings)"
        if CHANNEL_NAME.fullmatch(name.strip().lower()):
            head = f"unknown channel {name.strip().lower()!r}"
        else:
            # The caller's text is not echoed: it may be a URL pasted where a name belongs.
            head = "not a channel name (channel names are letters, digits and hyphens)"
        super().__init__(f"{head}; configured channels: {listed}")


class ChannelNotUsableError(ValueError):
    """The channel is configured but its setting has a problem."""

    def __init__(self, name: str, problem: ConfigProblem) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"channel {name!r} is not usable: {problem}")


class Settings(BaseModel):
    """Everything the app reads from its environment, validated."""

    model_config = ConfigDict(frozen=True)

    channels: dict[str, Channel] = Field(default_factory=dict)
    broken_channels: dict[str, ConfigProblem] = Field(default_factory=dict)
    problems: tuple[ConfigProblem, ...] = ()
    default_channel: str | None = None
    delivery_budget: float = DEFAULT_DELIVERY_BUDGET
    redelivery_budget: float = DEFAULT_REDELIVERY_BUDGET
    allow_hosts: frozenset[str] = frozenset()
    in_azure: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        return _load(environ)

    def channel_names(self) -> list[str]:
        """Every configured channel name, usable or not, sorted."""
        return sorted({*self.channels, *self.broken_channels})

    def channel(self, name: str) -> Channel:
        """The channel called `name` (any case).

        Raises UnknownChannelError or ChannelNotUsableError.
        """
        key = normalize_channel_name(name)
        if key is not None:
            if key in self.channels:
                return self.channels[key]
            if key in self.broken_channels:
                raise ChannelNotUsableError(key, self.broken_channels[key])
        raise UnknownChannelError(name, self.channel_names())


def running_in_azure(environ: Mapping[str, str]) -> bool:
    return any(environ.get(marker) for marker in _AZURE_MARKERS)


# --- scalar settings -----------------------------------------------------------------------------


class _Scalars(BaseModel):
    model_config = ConfigDict(populate_by_name=False, extra="ignore")

    delivery_budget: float = Field(
        DEFAULT_DELIVERY_BUDGET, gt=0, le=600, alias="TEAMS_DELIVERY_BUDGET_SECONDS"
    )
    redelivery_budget: float = Field(
        DEFAULT_REDELIVERY_BUDGET, gt=0, le=600, alias="TEAMS_REDELIVERY_BUDGET_SECONDS"
    )
    default_channel: str | None = Field(None, alias="TEAMS_DEFAULT_CHANNEL")
    allow_hosts: frozenset[str] = Field(frozenset(), alias="TEAMS_ALLOW_HOSTS")

    @field_validator("allow_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(h.strip().lower() for h in value.split(",") if h.strip())
        return value

    @field_validator("default_channel", mode="before")
    @classmethod
    def _channel_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return None
            key = normalize_channel_name(value)
            if key is None:
                raise ValueError("must be a channel name (letters, digits and hyphens)")
            return key
        return value


def _load_scalars(environ: Mapping[str, str]) -> tuple[_Scalars, list[ConfigProblem]]:
    raw = {
        field.alias: environ[field.alias]
        for field in _Scalars.model_fields.values()
        if field.alias is not None and field.alias in environ
    }
    problems: list[ConfigProblem] = []
    try:
        return _Scalars.model_validate(raw), problems
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            setting = str(error["loc"][0]) if error["loc"] else "settings"
            problems.append(ConfigProblem(setting, str(error["msg"])))
            raw.pop(setting, None)
    # The bad settings fall back to their defaults; the good ones still apply.
    return _Scalars.model_validate(raw), problems


# --- channels ------------------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _outbox_path(parts: SplitResult) -> Path:
    # file:///abs/dir and file://localhost/abs/dir are absolute; file://./dir and file://../dir are
    # relative to the working directory (the function app's root under `func start`).
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


def _check_url(value: str, *, allow_hosts: frozenset[str], in_azure: bool) -> ChannelKind | str:
    """The channel kind of an acceptable URL, or the reason it is refused (never echoing it)."""
    text = value.strip()
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
    if scheme == "http" and not _is_loopback(host):
        return "uses plain http, which is only allowed on loopback"
    kind = _kind_from_path(parts.path)
    if kind is None:
        return (
            "is on an allowed development host but its path does not tell the webhook kind "
            "(use /webhookb2/... for classic or .../triggers/manual/paths/invoke for Workflows)"
        )
    return kind


def _load(environ: Mapping[str, str]) -> Settings:
    scalars, problems = _load_scalars(environ)
    in_azure = running_in_azure(environ)
    channels: dict[str, Channel] = {}
    broken: dict[str, ConfigProblem] = {}
    for setting in sorted(environ):
        if not setting.startswith(WEBHOOK_PREFIX):
            continue
        suffix = setting[len(WEBHOOK_PREFIX) :]
        if not _SETTING_SUFFIX.fullmatch(suffix):
            problems.append(
                ConfigProblem(
                    setting,
                    "is not a valid channel setting name (TEAMS_WEBHOOK_ followed by upper-case "
                    "letters and digits separated by single underscores)",
                )
            )
            continue
        name = suffix.lower().replace("_", "-")
        verdict = _check_url(environ[setting], allow_hosts=scalars.allow_hosts, in_azure=in_azure)
        if isinstance(verdict, ChannelKind):
            channels[name] = Channel(
                name=name, setting=setting, kind=verdict, url=SecretStr(environ[setting].strip())
            )
        else:
            problem = ConfigProblem(setting, verdict)
            broken[name] = problem
            problems.append(problem)
    default = scalars.default_channel
    if default is not None and default not in channels and default not in broken:
        problems.append(
            ConfigProblem(
                DEFAULT_CHANNEL_SETTING, f"names channel {default!r}, which is not configured"
            )
        )
    return Settings(
        channels=channels,
        broken_channels=broken,
        problems=tuple(problems),
        default_channel=default,
        delivery_budget=scalars.delivery_budget,
        redelivery_budget=scalars.redelivery_budget,
        allow_hosts=scalars.allow_hosts,
        in_azure=in_azure,
    )


@functools.cache
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings.from_environ(os.environ)


def reset_settings() -> None:
    """Forget the cached settings: the next `get_settings()` reads the environment (tests)."""
    get_settings.cache_clear()


def config_problems() -> list[ConfigProblem]:
    return list(get_settings().problems)


# --- the list of app settings, for the infra cross-check -----------------------------------------


@dataclass(frozen=True)
class AppSettingName:
    """An app setting the code reads. Pattern names carry `<NAME>`; `regex` matches real ones."""

    name: str
    kind: Literal["fixed", "pattern"]
    purpose: str
    required: bool = False
    production: bool = True

    @property
    def regex(self) -> re.Pattern[str]:
        if self.kind == "fixed":
            return re.compile(re.escape(self.name))
        head = self.name.replace("<NAME>", "")
        return re.compile(re.escape(head) + r"[A-Z0-9]+(?:_[A-Z0-9]+)*")


def app_setting_names() -> tuple[AppSettingName, ...]:
    """The app settings the delivery side reads, so infra can be checked against the code (the
    Outgoing Webhook's own are in `shared.outgoing.config.app_setting_names()`)."""
    return (
        AppSettingName(
            "AzureWebJobsStorage",
            "fixed",
            "storage for the Functions host and the notifications-retry queue binding "
            "(or its identity-based AzureWebJobsStorage__* form)",
            required=True,
        ),
        AppSettingName(
            WEBHOOK_PREFIX + "<NAME>",
            "pattern",
            "a channel's webhook URL; in Azure a Key Vault reference to teams-webhook-<name>",
        ),
        AppSettingName(DEFAULT_CHANNEL_SETTING, "fixed", "channel used when a request names none"),
        AppSettingName(
            DELIVERY_BUDGET_SETTING, "fixed", "seconds a call may spend delivering (default 8)"
        ),
        AppSettingName(
            REDELIVERY_BUDGET_SETTING,
            "fixed",
            "seconds one redelivery from the retry queue may spend (default 5)",
        ),
        AppSettingName(
            ALLOW_HOSTS_SETTING,
            "fixed",
            "development only: extra webhook hosts (comma-separated), e.g. a loopback stand-in",
            production=False,
        ),
    )
