"""The hourly purge of expired duplicate keys and parts-ledger rows, by PartitionKey ranges, on
real Azurite; and duplicate keys that reach back into the day before."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

from devtools.azurite import Azurite
from shared.state.duplicates import DuplicateKeys, day_partition
from shared.state.parts import PartsLedger
from shared.state.purge import purge_expired
from shared.state.store import StateStore, StorageTarget
from shared.teams.delivery import new_notification_id


def store_of(azurite: Azurite) -> StateStore:
    return StateStore(StorageTarget(connection_string=azurite.connection_string))


def exists(store: StateStore, job: str, partition: str, row: str) -> bool:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        store.table(job).get_entity(partition, row)
    except ResourceNotFoundError:
        return False
    return True


def test_a_key_claimed_late_yesterday_is_still_a_duplicate_after_midnight(
    azurite: Azurite,
) -> None:
    store = store_of(azurite)
    channel, key = f"ops-{secrets.token_hex(4)}", secrets.token_hex(16)
    midnight = datetime(2026, 12, 3, tzinfo=UTC)
    before = DuplicateKeys(store, clock=lambda: midnight - timedelta(seconds=10))
    after = DuplicateKeys(store, clock=lambda: midnight + timedelta(seconds=300))
    later = DuplicateKeys(store, clock=lambda: midnight + timedelta(seconds=700))
    assert asyncio.run(before.claim(channel, key, 600)) is True
    assert asyncio.run(after.claim(channel, key, 600)) is False  # 310 s later, another day
    assert asyncio.run(later.claim(channel, key, 600)) is True  # the window has passed


def test_the_purge_deletes_what_expired_and_nothing_else(azurite: Azurite) -> None:
    store = store_of(azurite)
    now = datetime.now(UTC)
    channel = f"ops-{secrets.token_hex(4)}"
    two_days_ago = now - timedelta(days=2)
    old = DuplicateKeys(store, clock=lambda: two_days_ago)
    short, long = secrets.token_hex(16), secrets.token_hex(16)
    assert asyncio.run(old.claim(channel, short, 60))  # expired long ago
    assert asyncio.run(old.claim(channel, long, 3 * 86400))  # a 3-day window: still on
    today = secrets.token_hex(16)
    assert asyncio.run(DuplicateKeys(store).claim(channel, today, 600))

    # Parts-ledger rows as the ledger wrote them: one for a notification of 20 days ago, expired;
    # one of today.
    ledger = PartsLedger(store)
    stale_id = new_notification_id((now - timedelta(days=20)).timestamp())
    fresh_id = new_notification_id()
    asyncio.run(ledger.record(fresh_id, "ops", {"a"}))
    store.table("parts").upsert_entity(
        {
            "PartitionKey": stale_id,
            "RowKey": "ops",
            "posted": "a",
            "expires": now - timedelta(days=6),
        }
    )

    purged = purge_expired(store, now)
    assert purged.duplicates >= 1
    assert purged.parts >= 1
    past = day_partition(two_days_ago, channel)
    assert not exists(store, "duplicates", past, short)
    assert exists(store, "duplicates", past, long)
    assert exists(store, "duplicates", day_partition(now, channel), today)
    assert not exists(store, "parts", stale_id, "ops")
    assert exists(store, "parts", fresh_id, "ops")
    # The next run finds nothing left of these.
    assert not exists(store, "duplicates", past, short)
