"""The subscriptions table: one row per subscription, and the sweeper's claims, in the app's
storage account (`teamssubscriptions`, through shared.state.store).

Rows: PartitionKey `subscription`, RowKey the id. The webhook URL is stored sealed only
(`crypto.Sealed`: ciphertext, nonce, wrapped data key, key reference). Changes go with If-Match on
the row's ETag, so two instances pausing and editing the same row cannot undo each other silently.
The sweeper claims each due time of each subscription as its own row (PartitionKey
`claim-YYYYMMDD`, the due time's UTC date): the first instance to create it runs the update,
every other one sees it exists. Claims are kept CLAIM_DAYS days, then a sweep drops that day's
partition (`forget_claims`), so the table does not grow with every update ever posted.

Blocking SDK calls: callers run these on a worker thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, Final

from shared.state.store import StateStore, guarded
from shared.subscriptions.crypto import Sealed
from shared.subscriptions.model import NotFound, Person, ScheduleChoice, TopicChoice

__all__ = ["CLAIMS", "CLAIM_DAYS", "ROWS", "Changed", "StoredSubscription", "SubscriptionTable"]

ROWS: Final = "subscription"
CLAIMS: Final = "claim"
CLAIM_DAYS: Final = 3


class Changed(Exception):
    """The row changed since it was read (another instance wrote it); read it again."""


@dataclass(frozen=True)
class StoredSubscription:
    """One subscription as stored (the URL sealed)."""

    id: str
    channel_name: str
    kind: str
    fingerprint: str
    sealed: Sealed
    topics: tuple[TopicChoice, ...]
    schedules: tuple[ScheduleChoice, ...]
    active: bool
    paused_reason: str | None
    created_by: Person
    created_at: datetime
    updated_at: datetime
    gone_count: int = 0
    """Consecutive deliveries Teams answered with 'this webhook is gone'."""
    etag: str | None = None

    def changed(self, **changes: Any) -> StoredSubscription:
        return replace(self, **changes)


def _topics_json(topics: tuple[TopicChoice, ...]) -> str:
    return json.dumps([{"name": t.name, "filter": t.filter} for t in topics])


def _schedules_json(schedules: tuple[ScheduleChoice, ...]) -> str:
    return json.dumps(
        [
            {
                "entry": s.entry,
                "timeOfDay": s.time_of_day,
                "timeZone": s.time_zone,
                "parameters": dict(s.parameters),
            }
            for s in schedules
        ]
    )


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value))


def to_entity(item: StoredSubscription) -> dict[str, Any]:
    return {
        "PartitionKey": ROWS,
        "RowKey": item.id,
        "channelName": item.channel_name,
        "kind": item.kind,
        "fingerprint": item.fingerprint,
        "urlCiphertext": item.sealed.ciphertext,
        "urlNonce": item.sealed.nonce,
        "wrappedKey": item.sealed.wrapped_key,
        "keyRef": item.sealed.key_ref,
        "topics": _topics_json(item.topics),
        "schedules": _schedules_json(item.schedules),
        "active": item.active,
        "pausedReason": item.paused_reason or "",
        "creatorId": item.created_by.id,
        "creatorName": item.created_by.name,
        "createdAt": item.created_at,
        "updatedAt": item.updated_at,
        "goneCount": item.gone_count,
    }


def from_entity(entity: Any) -> StoredSubscription:
    topics = tuple(
        TopicChoice(str(t["name"]), t.get("filter")) for t in json.loads(entity["topics"])
    )
    schedules = tuple(
        ScheduleChoice(
            str(s["entry"]),
            str(s["timeOfDay"]),
            str(s["timeZone"]),
            {str(k): str(v) for k, v in dict(s.get("parameters") or {}).items()},
        )
        for s in json.loads(entity["schedules"])
    )
    return StoredSubscription(
        id=str(entity["RowKey"]),
        channel_name=str(entity["channelName"]),
        kind=str(entity["kind"]),
        fingerprint=str(entity["fingerprint"]),
        sealed=Sealed(
            bytes(entity["urlCiphertext"]),
            bytes(entity["urlNonce"]),
            bytes(entity["wrappedKey"]),
            str(entity["keyRef"]),
        ),
        topics=topics,
        schedules=schedules,
        active=bool(entity["active"]),
        paused_reason=str(entity.get("pausedReason") or "") or None,
        created_by=Person(str(entity["creatorId"]), str(entity.get("creatorName") or "")),
        created_at=_aware(entity["createdAt"]),
        updated_at=_aware(entity["updatedAt"]),
        gone_count=int(entity.get("goneCount") or 0),
        etag=entity.metadata.get("etag") if hasattr(entity, "metadata") else None,
    )


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class SubscriptionTable:
    """Rows of the subscriptions table (blocking calls; StateUnavailable when storage fails)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def _table(self) -> Any:
        return self.store.table("subscriptions")

    def insert(self, item: StoredSubscription) -> None:
        table = self._table()
        guarded(partial(table.create_entity, to_entity(item)))

    def get(self, id: str) -> StoredSubscription:
        from azure.core.exceptions import ResourceNotFoundError

        table = self._table()
        try:
            entity = guarded(partial(table.get_entity, ROWS, id), passing=ResourceNotFoundError)
        except ResourceNotFoundError:
            raise NotFound(id) from None
        return from_entity(entity)

    def replace(self, item: StoredSubscription) -> StoredSubscription:
        """Write `item` over its row if nobody changed the row since it was read (Changed)."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
        from azure.data.tables import UpdateMode

        table = self._table()
        try:
            meta = guarded(
                partial(
                    table.update_entity,
                    to_entity(item),
                    mode=UpdateMode.REPLACE,
                    etag=item.etag,
                    match_condition=MatchConditions.IfNotModified,
                ),
                passing=(ResourceModifiedError, ResourceNotFoundError),
            )
        except ResourceNotFoundError:
            raise NotFound(item.id) from None
        except ResourceModifiedError:
            raise Changed(item.id) from None
        return item.changed(etag=meta.get("etag"))

    def delete(self, id: str) -> None:
        table = self._table()
        guarded(partial(table.delete_entity, ROWS, id))

    def query(self, where: str = "", **parameters: str) -> list[StoredSubscription]:
        table = self._table()
        text = f"PartitionKey eq '{ROWS}'" + (f" and {where}" if where else "")

        def run() -> list[Any]:
            return list(table.query_entities(text, parameters=parameters or None))

        return [from_entity(entity) for entity in guarded(run)]

    def by_creator(self, person_id: str) -> list[StoredSubscription]:
        return self.query("creatorId eq @creator", creator=person_id)

    def counts(self) -> tuple[int, int]:
        """(active, paused), reading only the `active` column."""
        table = self._table()

        def run() -> list[Any]:
            return list(table.query_entities(f"PartitionKey eq '{ROWS}'", select=["active"]))

        rows = guarded(run)
        active = sum(1 for row in rows if row.get("active"))
        return active, len(rows) - active

    def claim(self, day: date, key: str, holder: str) -> bool:
        """True for the one caller that creates the claim row `key` of UTC date `day`; False
        when it exists."""
        from azure.core.exceptions import ResourceExistsError

        table = self._table()
        entity = {
            "PartitionKey": _claims_of(day),
            "RowKey": key,
            "holder": holder,
            "claimedAt": datetime.now(UTC),
        }
        try:
            guarded(partial(table.create_entity, entity), passing=ResourceExistsError)
        except ResourceExistsError:
            return False
        return True

    def forget_claims(self, day: date) -> int:
        """Delete the claims of UTC date `day` (long past: no sweep looks that far back)."""
        table = self._table()
        partition = _claims_of(day)

        def run() -> int:
            rows = list(
                table.query_entities(
                    "PartitionKey eq @day", parameters={"day": partition}, select=["RowKey"]
                )
            )
            for row in rows:
                table.delete_entity(partition, row["RowKey"])
            return len(rows)

        return guarded(run)


def _claims_of(day: date) -> str:
    return f"{CLAIMS}-{day:%Y%m%d}"
