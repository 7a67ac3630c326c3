"""Dead letters: retry-queue messages the host gave up on, kept 14 days, counted and replayed.

The Functions host moves a `notifications-retry` message to `notifications-retry-poison` after
`maxDequeueCount` failed attempts (host.json); the poison trigger stores it here. One entity per
message in one partition: the message text as bytes (a queue message holds up to 48,000 bytes of
JSON, more than a 32K-character string property but within a binary one's 64 KiB), and what the
dead-letter card and `replay` need (notification id, channel, template, first failure, last
reason). `replay` puts the text back on `notifications-retry` and then deletes the entity; the
parts ledger keeps a replayed notification from posting a part twice.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final

from shared.config.bindings import RETRY_QUEUE
from shared.config.once import read_once
from shared.state.store import StateStore, current_state_store, guarded

__all__ = ["KEEP", "DeadLetter", "DeadLetters", "current_dead_letters"]

KEEP: Final = timedelta(days=14)
_PARTITION: Final = "deadletter"
# Counting is for the health route: enough to say "many", bounded so a probe stays cheap.
COUNT_LIMIT: Final = 1000


@dataclass(frozen=True)
class DeadLetter:
    """One stored poison message (never a webhook URL: the message holds cards and a channel)."""

    row: str
    notification_id: str
    channel: str
    template: str | None
    first_failure: str
    last_reason: str
    stored_at: datetime
    body: str


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


def _letter(entity: Any) -> DeadLetter:
    return DeadLetter(
        row=str(entity["RowKey"]),
        notification_id=str(entity.get("notification_id", "")),
        channel=str(entity.get("channel", "")),
        template=entity.get("template") or None,
        first_failure=str(entity.get("first_failure", "")),
        last_reason=str(entity.get("last_reason", "")),
        stored_at=entity.get("stored_at") or _now(),
        body=bytes(entity.get("body") or b"").decode("utf-8", "replace"),
    )


class DeadLetters:
    """The dead-letter table (blocking calls: run them on a worker thread from async code)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def keep(
        self,
        body: str,
        *,
        notification_id: str,
        channel: str,
        template: str | None,
        first_failure: str,
        last_reason: str,
    ) -> DeadLetter:
        """Store one poison message (storing the same text again overwrites it)."""
        from azure.data.tables import UpdateMode

        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        now = _now()
        entity = {
            "PartitionKey": _PARTITION,
            "RowKey": f"{notification_id}-{digest}",
            "notification_id": notification_id,
            "channel": channel,
            "template": template or "",
            "first_failure": first_failure,
            "last_reason": last_reason[:1000],
            "stored_at": now,
            "expires": now + KEEP,
            "body": body.encode(),
        }
        table = self.store.table("deadletters")
        guarded(partial(table.upsert_entity, entity, mode=UpdateMode.REPLACE))
        return _letter(entity)

    def _query(self, extra: str = "", select: list[str] | None = None) -> list[Any]:
        table = self.store.table("deadletters")
        text = "PartitionKey eq @p and expires gt @now" + extra
        params = {"p": _PARTITION, "now": _now()}
        return guarded(lambda: list(table.query_entities(text, parameters=params, select=select)))

    def count(self) -> int:
        """How many dead letters are kept (at most COUNT_LIMIT is reported)."""
        table = self.store.table("deadletters")
        pages = table.query_entities(
            "PartitionKey eq @p and expires gt @now",
            parameters={"p": _PARTITION, "now": _now()},
            select=["RowKey"],
            results_per_page=COUNT_LIMIT,
        )
        return guarded(lambda: sum(1 for _ in next(iter(pages.by_page()), iter(()))))

    def letters(self, notification_id: str | None = None) -> list[DeadLetter]:
        """Every kept dead letter, or those of one notification."""
        found = [_letter(entity) for entity in self._query()]
        if notification_id is not None:
            found = [letter for letter in found if letter.notification_id == notification_id]
        return sorted(found, key=lambda letter: letter.stored_at)

    def replay(self, notification_id: str | None) -> list[DeadLetter]:
        """Put dead letters back on the retry queue (one notification, or all with None), then
        forget them. Returns what was replayed."""
        chosen = self.letters(notification_id)
        if not chosen:
            return []
        queue = self.store.queue(RETRY_QUEUE)
        table = self.store.table("deadletters")
        for letter in chosen:
            guarded(partial(_send, queue, letter.body))
            guarded(partial(table.delete_entity, _PARTITION, letter.row))
        return chosen

    def purge_expired(self) -> int:
        """Delete dead letters older than KEEP (run off the request path, by the poison
        trigger)."""
        table = self.store.table("deadletters")
        old = guarded(
            lambda: list(
                table.query_entities(
                    "PartitionKey eq @p and expires le @now",
                    parameters={"p": _PARTITION, "now": _now()},
                    select=["RowKey"],
                )
            )
        )
        for entity in old:
            guarded(partial(table.delete_entity, _PARTITION, str(entity["RowKey"])))
        return len(old)


def _send(queue: Any, text: str) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        queue.send_message(text)
    except ResourceNotFoundError:
        # The Bicep creates the queue in Azure; Azurite has it only once the host made it.
        queue.create_queue()
        queue.send_message(text)


@read_once
def current_dead_letters() -> DeadLetters | None:
    """The process's dead-letter table, or None when no storage is configured."""
    store = current_state_store()
    return DeadLetters(store) if store else None
