"""Subscriptions as delivery channels: `sub-<id>` names resolved to their webhook, for the
delivery (shared.teams.delivery asks this source before the settings) and so for redeliveries
from the retry queue, which carry the name only.

A fan-out has just read the rows it delivers to, so it hands their channels over (`remember`)
and delivery does not read the table again; anything else (a redelivery) reads the row.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Final

from pydantic import SecretStr

from shared.config.once import read_once
from shared.config.settings import Channel
from shared.subscriptions.names import channel_name_for, subscription_id_of
from shared.teams.channels import ChannelKind
from shared.teams.errors import ChannelUnusable

if TYPE_CHECKING:
    from shared.subscriptions.table import StoredSubscription

__all__ = ["SubscriptionChannels", "channel_of", "current_subscription_channels"]

_REMEMBER: Final = 60.0


def channel_of(row: StoredSubscription, url: str) -> Channel:
    return Channel(
        name=channel_name_for(row.id),
        setting=f"subscription {row.id}",
        kind=ChannelKind(row.kind),
        url=SecretStr(url),
    )


class SubscriptionChannels:
    """The `sub-<id>` channels (a ChannelSource)."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[Channel, float]] = {}
        self._lock = threading.Lock()

    def remember(self, channel: Channel) -> None:
        with self._lock:
            now = time.monotonic()
            self._known = {k: v for k, v in self._known.items() if v[1] > now}
            self._known[channel.name] = (channel, now + _REMEMBER)

    async def channel(self, name: str) -> Channel | None:
        id = subscription_id_of(name)
        if id is None:
            return None
        # Only a subscription's name loads the subscriptions (the SDK, cryptography).
        from shared.state.store import StateUnavailable
        from shared.subscriptions.configured import current_subscription_store
        from shared.subscriptions.crypto import KeyProblem
        from shared.subscriptions.model import NotFound, SubscriptionsUnavailable

        with self._lock:
            known = self._known.get(name)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        try:
            configured = current_subscription_store()
            row = await asyncio.to_thread(configured.table.get, id)
            url = configured.sealer.open(row.sealed, row.id)
        except NotFound:
            raise ChannelUnusable(f"subscription {id} no longer exists") from None
        except (SubscriptionsUnavailable, KeyProblem) as error:
            raise ChannelUnusable(f"subscription {id} cannot be used: {error}") from None
        except StateUnavailable as error:
            raise ChannelUnusable(f"subscription {id} could not be read ({error})") from None
        if not row.active:
            raise ChannelUnusable(f"subscription {id} is paused")
        return channel_of(row, url)


@read_once
def current_subscription_channels() -> SubscriptionChannels:
    return SubscriptionChannels()
