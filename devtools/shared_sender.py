"""One sender process for the shared-state tests and bench: its own Delivery (its own in-process
limiter) with the shared rate windows of the table, posting numbered notifications.

    python -m devtools.shared_sender SPEC_JSON

SPEC_JSON: {"storage": connection string or null, "webhooks": [url, ...], "numbers": [[n, webhook
index], ...], "windows": [[limit, seconds], ...], "budget": s, "start_at": wall time}.
Prints one JSON line: statuses by notification number, the shared reservations' costs, the table
reads, writes, conflicts and bookings.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import httpx

from shared.config.settings import Settings
from shared.state.store import StateStore, StorageTarget
from shared.state.windows import SharedWindows
from shared.teams.client import aclose_client, http_client
from shared.teams.delivery import Delivery, RetryPolicy
from shared.teams.limiter import RateLimiter


def card(number: int) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": f"notification {number:05d}", "wrap": True}],
    }


def number_of(body: str) -> int:
    """The notification number in a posted message's body."""
    message = json.loads(body)
    return int(message["attachments"][0]["content"]["body"][0]["text"].split()[-1])


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    environ = {"TEAMS_ALLOW_HOSTS": "127.0.0.1"}
    environ.update({f"TEAMS_WEBHOOK_W{i}": url for i, url in enumerate(spec["webhooks"])})
    windows = tuple((int(limit), float(period)) for limit, period in spec["windows"])
    shared = None
    if spec.get("storage"):
        store = StateStore(StorageTarget(connection_string=spec["storage"]))
        shared = SharedWindows(store, windows)
        store.table("windows")  # a warm instance: the table client exists
    delivery = Delivery(
        Settings.from_environ(environ),
        limiter=RateLimiter(windows),
        policy=RetryPolicy(base=0.05, cap=0.5),
        shared_windows=shared,
    )
    # A warm instance: the HTTP client exists and its lazily loaded parts are in (a GET that no
    # webhook window counts), so the first post is not late for its reserved slot.
    port = httpx.URL(spec["webhooks"][0]).port
    await http_client().get(f"http://127.0.0.1:{port}/_standin/records")
    delay = float(spec.get("start_at", 0)) - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    started = time.monotonic()
    try:
        results = await asyncio.gather(
            *(
                delivery.deliver(card(n), [f"w{index}"], budget=float(spec["budget"]))
                for n, index in spec["numbers"]
            )
        )
    finally:
        await aclose_client()
    return {
        "seconds": time.monotonic() - started,
        "statuses": {
            str(n): r[0].status for (n, _), r in zip(spec["numbers"], results, strict=True)
        },
        "reservations": list(shared.reservation_seconds) if shared else [],
        "writes": shared.writes if shared else 0,
        "reads": shared.reads if shared else 0,
        "conflicts": shared.conflicted if shared else 0,
        "bookings": shared.bookings if shared else 0,
        "booked": shared.booked if shared else 0,
        "confirm_waits": shared.confirm_waits if shared else 0,
        "late": shared.late if shared else 0,
        "fallbacks": shared.availability.fallbacks if shared else 0,
    }


def main(argv: list[str]) -> int:
    print(json.dumps(asyncio.run(run(json.loads(argv[0])))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
