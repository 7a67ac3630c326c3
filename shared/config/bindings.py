"""Names the function app's bindings share.

Kept apart from delivery so that the blueprints can name the retry queue without importing httpx at
app start (a test keeps them equal to delivery's).
"""

from typing import Final

RETRY_QUEUE: Final = "notifications-retry"
"""The Azure Storage queue of notifications to redeliver (shared.teams.delivery.RETRY_QUEUE)."""

STORAGE_CONNECTION: Final = "AzureWebJobsStorage"
"""The app setting (or `AzureWebJobsStorage__*` identity settings) of the queue's storage."""

POISON_QUEUE: Final = "notifications-retry-poison"
"""Where the host moves a retry message after maxDequeueCount failed attempts (host.json)."""

PURGE_SCHEDULE: Final = "0 17 * * * *"
"""NCRONTAB (seconds first) of the `state_purge` timer: every hour at minute 17, UTC."""
