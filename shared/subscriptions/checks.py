"""What is wrong with the subscriptions' configuration, by setting name (never a value): for the
health route and `python -m shared check` (shared.health)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from shared.config.hosts import is_loopback

__all__ = ["SubscriptionsState", "app_setting_names", "subscriptions_state"]


@dataclass(frozen=True)
class SubscriptionsState:
    on: bool
    summary: str
    problems: dict[str, list[str]] = field(default_factory=dict)


def subscriptions_state(environ: Mapping[str, str] | None = None) -> SubscriptionsState:
    from shared.config.settings import running_in_azure
    from shared.schedules.entries import SOURCE_ALLOW_HOSTS_SETTING, allowed_source_hosts
    from shared.state.store import STORAGE_SETTING, storage_target
    from shared.subscriptions.crypto import (
        KEY_ID_SETTING,
        KEY_SETTING,
        KeyProblem,
        key_from_settings,
    )
    from shared.subscriptions.offer import subscribable_entries
    from shared.subscriptions.places import GEOCODING_HOST, OPEN_METEO_SETTING
    from shared.subscriptions.topics import current_topics

    environ = os.environ if environ is None else environ
    problems: dict[str, list[str]] = {}

    def problem(subject: str, message: str) -> None:
        problems.setdefault(subject, []).append(message)

    for message in current_topics().problems:
        problem("shared/topics.json", message)
    base = environ.get(OPEN_METEO_SETTING, "").strip()
    stand_in = (urlsplit(base).hostname or "").lower() if base else ""
    if base and not is_loopback(stand_in):
        problem(OPEN_METEO_SETTING, "must be a loopback stand-in (development only); ignored")
        stand_in = ""
    keyed = bool(environ.get(KEY_SETTING, "").strip() or environ.get(KEY_ID_SETTING, "").strip())
    if not keyed:
        return SubscriptionsState(
            False, f"subscriptions off ({KEY_SETTING} or {KEY_ID_SETTING} not set)", problems
        )
    try:
        key_from_settings(environ, in_azure=running_in_azure(environ))
    except KeyProblem as error:
        problem(error.setting, error.message)
    if storage_target(environ) is None:
        problem(STORAGE_SETTING, "not set: subscriptions live in the app's storage account")
    allowed = allowed_source_hosts(environ)
    for entry in subscribable_entries().values():
        hosts = {entry.source.host} if entry.source is not None else set()
        if any(p.kind == "place" for p in entry.parameters):
            hosts.add(GEOCODING_HOST)
        if stand_in:
            hosts = {stand_in}
        for host in sorted(hosts - allowed):
            problem(
                SOURCE_ALLOW_HOSTS_SETTING,
                f"does not list {host!r}, which the subscribable entry {entry.name!r} needs",
            )
    summary = "subscriptions on" if not problems else "subscriptions"
    return SubscriptionsState(not problems, summary, problems)


def app_setting_names() -> tuple[Any, ...]:
    """The app settings subscriptions read, for the infra cross-check."""
    from shared.config.settings import AppSettingName
    from shared.subscriptions.crypto import KEY_ID_SETTING, KEY_SETTING
    from shared.subscriptions.places import OPEN_METEO_SETTING

    return (
        AppSettingName(
            KEY_ID_SETTING,
            "fixed",
            "the Key Vault key (its identifier URL) that wraps the subscriptions' URL keys",
        ),
        AppSettingName(
            KEY_SETTING,
            "fixed",
            "development only: a local key (32 bytes, base64) in place of the Key Vault key",
            production=False,
        ),
        AppSettingName(
            OPEN_METEO_SETTING,
            "fixed",
            "development only: a loopback stand-in for Open-Meteo's APIs",
            production=False,
        ),
    )
