"""The ledger of parts: which parts of a notification reached which channel, and why the last try
failed.

One entity per (notification id, channel): `posted` lists the digests of the parts Teams took (a
digest of each part's exact bytes, so a retry-queue message that carries only the remaining parts
still matches), `last_reason` the last transient failure (for the dead-letter card). A redelivery
reads it first and posts only what is missing. The ledger never stops a delivery: when the table
cannot be reached, the parts are posted (at least once) and the fallback is logged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final

from shared.config.once import read_once
from shared.state.store import (
    Availability,
    StateStore,
    StateUnavailable,
    current_availability,
    current_state_store,
    guarded,
)

__all__ = ["PartsLedger", "current_parts_ledger"]

# Entities older than this are of no use to a redelivery (the queue gives up well before).
KEEP: Final = timedelta(days=14)


def _row(channel: str) -> str:
    return channel


class PartsLedger:
    """Posted parts and last failure reasons per (notification, channel), in the shared table."""

    def __init__(self, store: StateStore, availability: Availability | None = None) -> None:
        self.store = store
        self.availability = availability or Availability()

    async def posted(self, notification_id: str, channel: str) -> frozenset[str]:
        """The digests of the parts already posted (empty when unknown or unreachable)."""
        entity = await self._read(notification_id, channel)
        text = str(entity.get("posted", "")) if entity else ""
        return frozenset(filter(None, text.split(",")))

    async def record(self, notification_id: str, channel: str, posted: Iterable[str]) -> None:
        """Remember that the parts `posted` (all of them so far) reached `channel`."""
        await self._merge(notification_id, channel, {"posted": ",".join(sorted(posted))})

    async def note_failure(self, notification_id: str, channel: str, reason: str) -> None:
        """Remember the last transient failure (the reason names no URL: see shared.teams)."""
        await self._merge(
            notification_id, channel, {"last_reason": reason[:1000], "failed_at": _now()}
        )

    async def last_failure(self, notification_id: str, channel: str) -> str | None:
        entity = await self._read(notification_id, channel)
        reason = entity.get("last_reason") if entity else None
        return str(reason) if reason else None

    async def _read(self, notification_id: str, channel: str) -> dict[str, object] | None:
        if not self.availability.usable():
            return None
        try:
            entity = await asyncio.to_thread(self._read_blocking, notification_id, channel)
        except StateUnavailable as error:
            self.availability.failed("the parts ledger", error)
            return None
        self.availability.succeeded()
        return entity

    def _read_blocking(self, notification_id: str, channel: str) -> dict[str, object] | None:
        from azure.core.exceptions import ResourceNotFoundError

        table = self.store.table("parts")
        try:
            return dict(
                guarded(
                    partial(table.get_entity, notification_id, _row(channel)),
                    passing=ResourceNotFoundError,
                )
            )
        except ResourceNotFoundError:
            return None

    async def _merge(self, notification_id: str, channel: str, values: dict[str, object]) -> None:
        if not self.availability.usable():
            return
        try:
            await asyncio.to_thread(self._merge_blocking, notification_id, channel, values)
        except StateUnavailable as error:
            self.availability.failed("the parts ledger", error)
            return
        self.availability.succeeded()

    def _merge_blocking(
        self, notification_id: str, channel: str, values: dict[str, object]
    ) -> None:
        from azure.data.tables import UpdateMode

        table = self.store.table("parts")
        entity = {
            "PartitionKey": notification_id,
            "RowKey": _row(channel),
            "expires": _now() + KEEP,
            **values,
        }
        guarded(partial(table.upsert_entity, entity, mode=UpdateMode.MERGE))


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


@read_once
def current_parts_ledger() -> PartsLedger | None:
    """The process's parts ledger, or None when no storage is configured."""
    store = current_state_store()
    return PartsLedger(store, current_availability()) if store else None
