"""Configuration read once per process, and the one way to forget all of it.

App settings change only with a restart in Azure, so each loader (app settings, Outgoing Webhook
settings, schedules, and what is built from them, such as the delivery object) runs on first use
and keeps its answer. Every loader is named `current_*()` and declared with `@read_once`, which
also enrolls it in `reset_configuration()`: tests (one autouse fixture) and nothing else call
that, so a changed environment is read again everywhere at once.

Standard library only: the schedule entries load through here when the app starts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

__all__ = ["read_once", "reset_configuration"]

T = TypeVar("T")

_loaded: list[Callable[[], None]] = []


def read_once(loader: Callable[[], T]) -> Callable[[], T]:
    """`loader()` runs on the first call; later calls answer what it returned."""
    cached = functools.cache(loader)
    _loaded.append(cached.cache_clear)
    return cached


def reset_configuration() -> None:
    """Forget everything read once, so the next call of each loader reads it again (tests)."""
    for forget in _loaded:
        forget()
