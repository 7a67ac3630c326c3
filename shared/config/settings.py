"""App settings, read and validated once per process.

Every channel is one app setting `TEAMS_WEBHOOK_<NAME>` holding a webhook URL (in Azure usually a
Key Vault reference). Settings never fail as a whole: each problem becomes a `ConfigProblem` naming
the setting (never its value), the affected channel is unusable, and everything else works. The
health route and `python -m shared check` report `config_problems()`.

Each channel's URL is checked, and its kind told, by the rules in `shared.teams.channels`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from shared.config.hosts import host_list
from shared.config.names import (
    ALLOW_HOSTS_SETTING,
    CHANNEL_NAME,
    WEBHOOK_PREFIX,
    key_vault_secret_name,
    normalize_channel_name,
    setting_for_channel,
)
from shared.config.once import read_once
from shared.teams.channels import ChannelKind, Usable, classify_url, outbox_path

__all__ = [
    "AppSettingName",
    "Channel",
    "ChannelNotUsableError",
    "ConfigProblem",
    "Settings",
    "UnknownChannelError",
    "app_setting_names",
    "config_problems",
    "current_settings",
    "key_vault_secret_name",
    "normalize_channel_name",
    "running_in_azure",
    "setting_for_channel",
]

DEFAULT_CHANNEL_SETTING = "TEAMS_DEFAULT_CHANNEL"
DELIVERY_BUDGET_SETTING = "TEAMS_DELIVERY_BUDGET_SECONDS"
REDELIVERY_BUDGET_SETTING = "TEAMS_REDELIVERY_BUDGET_SECONDS"
DUPLICATE_WINDOW_SETTING = "TEAMS_DUPLICATE_WINDOW_SECONDS"
DEADLETTER_CHANNEL_SETTING = "TEAMS_DEADLETTER_CHANNEL"
# Senders retry a post that timed out within minutes; Alertmanager's reminders come hours apart.
DEFAULT_DUPLICATE_WINDOW = 600
MAX_PARTS_SETTING = "TEAMS_MAX_PARTS"

# Callers such as GitHub give up after 10 s and resend: answer within 8.
DEFAULT_DELIVERY_BUDGET = 8.0
# One redelivery is one short try: the queue's own retries (visibilityTimeout, maxDequeueCount)
# space the attempts out, so a worker is not held while Teams is down.
DEFAULT_REDELIVERY_BUDGET = 5.0
# An alert group split into 30 messages is noise and eats half a webhook's 60-per-30-seconds window.
DEFAULT_MAX_PARTS = 10

_SETTING_SUFFIX = re.compile(r"[A-Z0-9]+(?:_[A-Z0-9]+)*")
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
        return outbox_path(self.url.get_secret_value())


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
    max_parts: int = DEFAULT_MAX_PARTS
    allow_hosts: frozenset[str] = frozenset()
    in_azure: bool = False
    duplicate_window: int = DEFAULT_DUPLICATE_WINDOW
    """Seconds a notification key suppresses a repeat per channel (0: off)."""
    deadletter_channel: str | None = None

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
    max_parts: int = Field(DEFAULT_MAX_PARTS, ge=1, le=100, alias="TEAMS_MAX_PARTS")
    default_channel: str | None = Field(None, alias="TEAMS_DEFAULT_CHANNEL")
    duplicate_window: int = Field(
        DEFAULT_DUPLICATE_WINDOW, ge=0, le=7 * 86400, alias="TEAMS_DUPLICATE_WINDOW_SECONDS"
    )
    deadletter_channel: str | None = Field(None, alias="TEAMS_DEADLETTER_CHANNEL")
    allow_hosts: frozenset[str] = Field(frozenset(), alias="TEAMS_ALLOW_HOSTS")

    @field_validator("allow_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        return host_list(value) if isinstance(value, str) else value

    @field_validator("default_channel", "deadletter_channel", mode="before")
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
        verdict = classify_url(environ[setting], allow_hosts=scalars.allow_hosts, in_azure=in_azure)
        if isinstance(verdict, Usable):
            channels[name] = Channel(
                name=name, setting=setting, kind=verdict.kind, url=SecretStr(verdict.url)
            )
        else:
            problem = ConfigProblem(setting, verdict.reason)
            broken[name] = problem
            problems.append(problem)
    default = scalars.default_channel
    if default is not None and default not in channels and default not in broken:
        problems.append(
            ConfigProblem(
                DEFAULT_CHANNEL_SETTING, f"names channel {default!r}, which is not configured"
            )
        )
    deadletter = scalars.deadletter_channel
    if deadletter is not None and deadletter not in channels and deadletter not in broken:
        problems.append(
            ConfigProblem(
                DEADLETTER_CHANNEL_SETTING, f"names channel {deadletter!r}, which is not configured"
            )
        )
    return Settings(
        channels=channels,
        broken_channels=broken,
        problems=tuple(problems),
        default_channel=default,
        delivery_budget=scalars.delivery_budget,
        redelivery_budget=scalars.redelivery_budget,
        max_parts=scalars.max_parts,
        allow_hosts=scalars.allow_hosts,
        in_azure=in_azure,
        duplicate_window=scalars.duplicate_window,
        deadletter_channel=deadletter,
    )


@read_once
def current_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings.from_environ(os.environ)


def config_problems() -> list[ConfigProblem]:
    return list(current_settings().problems)


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
            DUPLICATE_WINDOW_SETTING,
            "fixed",
            "seconds a notification key suppresses a repeat to the same channel (default 600; 0 "
            "off; a template in catalog.json may set its own)",
        ),
        AppSettingName(
            DEADLETTER_CHANNEL_SETTING,
            "fixed",
            "channel that gets an 'undeliverable notification' card for each dead letter",
        ),
        AppSettingName(
            MAX_PARTS_SETTING,
            "fixed",
            "most messages one notification is split into (default 10); the last part says how "
            "many items were left out",
        ),
        AppSettingName(
            ALLOW_HOSTS_SETTING,
            "fixed",
            "development only: extra webhook hosts (comma-separated), e.g. a loopback stand-in",
            production=False,
        ),
    )
