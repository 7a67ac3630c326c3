"""Duplicate suppression: a notification key claimed per channel for a window.

A key seen again for the same channel within its window is a duplicate (a sender that retried a
post which had in fact landed). One entity per (day of the claim, channel, key hash), in the
partition `YYYYMMDD-channel` (UTC): `expires` is stored with it, so an expired key is recognised
when it is read and taken over with If-Match; a window that reaches back into earlier days also
reads the key in those days' partitions (one point read each). Nothing scans the table on the
request path, and the hourly purge (`shared.state.purge`) deletes the expired keys of past days by
a PartitionKey range. A claim is given back when the delivery failed for good, so the sender's
retry can try again. When the table cannot be reached nothing is suppressed: a duplicate card is
better than a lost one.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from shared.config.once import read_once
from shared.state.store import (
    Availability,
    StateStore,
    StateUnavailable,
    current_availability,
    current_state_store,
    guarded,
)

__all__ = ["DuplicateKeys", "current_duplicate_keys", "day_partition", "key_hash"]


def key_hash(template: str, key: str) -> str:
    """The stored form of a key (the key itself may hold ids a caller considers private)."""
    return hashlib.sha256(f"{template}\n{key}".encode()).hexdigest()


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


def day_partition(day: datetime, channel: str) -> str:
    """The partition of the keys claimed on `day` (UTC) for `channel`."""
    return f"{day:%Y%m%d}-{channel}"


def _days_back(now: datetime, window: float) -> list[datetime]:
    """The earlier days (newest first) a claim made within `window` seconds before `now` may be
    in."""
    first = (now - timedelta(seconds=window)).date()
    days = []
    day = now.date() - timedelta(days=1)
    while day >= first:
        days.append(datetime(day.year, day.month, day.day, tzinfo=UTC))
        day -= timedelta(days=1)
    return days


class DuplicateKeys:
    """Claims of notification keys per channel, in the shared table."""

    def __init__(
        self,
        store: StateStore,
        availability: Availability | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.store = store
        self.availability = availability or Availability()
        self._clock = clock

    async def claim(self, channel: str, key: str, window: float) -> bool:
        """True when this is the first sight of `key` for `channel` within `window` seconds (the
        caller posts it); False for a duplicate."""
        if window <= 0 or not self.availability.usable():
            return True
        try:
            first = await asyncio.to_thread(self._claim, channel, key, window)
        except StateUnavailable as error:
            self.availability.failed("duplicate suppression", error)
            return True
        self.availability.succeeded()
        return first

    async def release(self, channel: str, key: str) -> None:
        """Forget a claim whose delivery failed for good (best effort)."""
        try:
            await asyncio.to_thread(self._release, channel, key)
        except StateUnavailable as error:
            self.availability.failed("duplicate suppression", error)

    def _claim(self, channel: str, key: str, window: float) -> bool:
        from azure.core import MatchConditions
        from azure.core.exceptions import (
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )
        from azure.data.tables import UpdateMode

        table = self.store.table("duplicates")
        now = self._clock()
        for day in _days_back(now, window):
            try:
                earlier = guarded(
                    partial(table.get_entity, day_partition(day, channel), key),
                    passing=ResourceNotFoundError,
                )
            except ResourceNotFoundError:
                continue
            expires = earlier.get("expires")
            if isinstance(expires, datetime) and expires > now:
                return False
        partition = day_partition(now, channel)
        entity: dict[str, Any] = {
            "PartitionKey": partition,
            "RowKey": key,
            "expires": now + timedelta(seconds=window),
        }
        try:
            guarded(partial(table.create_entity, entity), passing=ResourceExistsError)
            return True
        except ResourceExistsError:
            pass
        seen = guarded(partial(table.get_entity, partition, key))
        expires = seen.get("expires")
        if isinstance(expires, datetime) and expires > now:
            return False
        # Expired: take it over, unless another request did so first (then this is its duplicate).
        try:
            guarded(
                partial(
                    table.update_entity,
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=seen.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                ),
                passing=ResourceModifiedError,
            )
        except ResourceModifiedError:
            return False
        return True

    def _release(self, channel: str, key: str) -> None:
        # The claim is from today, or from yesterday when the delivery ran across midnight.
        table = self.store.table("duplicates")
        now = self._clock()
        for day in (now, now - timedelta(days=1)):
            guarded(partial(table.delete_entity, day_partition(day, channel), key))


@read_once
def current_duplicate_keys() -> DuplicateKeys | None:
    """The process's duplicate keys, or None when no storage is configured."""
    store = current_state_store()
    return DuplicateKeys(store, current_availability()) if store else None
