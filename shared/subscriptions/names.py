"""How delivery names a subscription's channel: `sub-<id>`. Standard library only: delivery asks
about every channel name it sees, and a name that is not a subscription's must cost nothing."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["CHANNEL_PREFIX", "channel_name_for", "subscription_id_of"]

CHANNEL_PREFIX: Final = "sub-"
"""Delivery names a subscription's channel `sub-<id>` (the retry queue carries that name)."""
ID: Final = re.compile(r"[0-9a-f]{20}")


def channel_name_for(id: str) -> str:
    return CHANNEL_PREFIX + id


def subscription_id_of(channel: str) -> str | None:
    """The subscription id in a delivery channel name `sub-<id>`, or None."""
    if channel.startswith(CHANNEL_PREFIX) and ID.fullmatch(channel[len(CHANNEL_PREFIX) :]):
        return channel[len(CHANNEL_PREFIX) :]
    return None
