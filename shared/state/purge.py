"""The hourly purge of expired shared state, off the request path (the `state_purge` timer).

Both tables are laid out so that what may have expired is found by a PartitionKey range, never by
reading the whole table:
- duplicate keys live in one partition per day and channel (`YYYYMMDD-channel`, see
  `shared.state.duplicates`): the keys of days before today whose `expires` has passed;
- the parts ledger is keyed by notification id, and ids start with their creation time in
  milliseconds (`shared.teams.delivery.new_notification_id`): the rows of notifications made more
  than `parts.KEEP` ago whose `expires` has passed (a redelivery writes `expires` again; rows of
  older random ids also fall in the range, and go once expired).

Each run deletes at most `limit` rows per table, so it stays short; the next run goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final

from shared.state.parts import KEEP
from shared.state.store import StateStore, StateUnavailable, current_state_store, guarded

__all__ = ["Purged", "purge_expired", "run_purge"]

logger = logging.getLogger("shared.state.purge")

LIMIT: Final = 5000


@dataclass(frozen=True)
class Purged:
    duplicates: int
    parts: int


def purge_expired(store: StateStore, now: datetime | None = None, *, limit: int = LIMIT) -> Purged:
    """Delete expired duplicate keys and parts-ledger rows (blocking: table I/O)."""
    now = now or datetime.fromtimestamp(time.time(), UTC)
    today = f"{now:%Y%m%d}"
    duplicates = _delete(
        store,
        "duplicates",
        "PartitionKey lt @today and expires lt @now",
        {"today": today, "now": now},
        limit,
    )
    # The first 12 hex digits of a time-ordered id are its creation time in milliseconds.
    cutoff = f"{int((now - KEEP).timestamp() * 1000):012x}"
    parts = _delete(
        store,
        "parts",
        "PartitionKey lt @cutoff and expires lt @now",
        {"cutoff": cutoff, "now": now},
        limit,
    )
    return Purged(duplicates, parts)


def _delete(store: StateStore, job: str, query: str, parameters: dict[str, Any], limit: int) -> int:
    table = store.table(job)
    found = guarded(
        lambda: [
            (str(entity["PartitionKey"]), str(entity["RowKey"]))
            for _, entity in zip(
                range(limit),
                table.query_entities(
                    query, parameters=parameters, select=["PartitionKey", "RowKey"]
                ),
                strict=False,
            )
        ]
    )
    for partition, row in found:
        guarded(partial(table.delete_entity, partition, row))
    return len(found)


async def run_purge() -> Purged | None:
    """The timer's run: purge with the app's storage (nothing when none is configured). A table
    that cannot be reached is logged; the next run tries again."""
    store = current_state_store()
    if store is None:
        return None
    try:
        purged = await asyncio.to_thread(purge_expired, store)
    except StateUnavailable as error:
        logger.warning("state purge skipped: %s", error)
        return None
    logger.info(
        "state purge: %d expired duplicate key(s), %d parts-ledger row(s) deleted",
        purged.duplicates,
        purged.parts,
    )
    return purged
