"""The occurrence ledger: each (entry, occurrence) is claimed once before anything is posted.

Restarts, past-due catch-ups, overlapping invocations and a second instance (while the timer's
singleton lease moves) can all reach the same occurrence; only the run that claims it posts.

- Shared across instances: one entity per claim in Azure Table Storage, in the app's own storage
  account (table `scheduleoccurrences`, PartitionKey = entry name, RowKey = the occurrence in UTC,
  ISO 8601). A claim is an insert; the service answers 409 Conflict when the entity exists, which
  means another run claimed it first. Locally and in tests the `AzureWebJobsStorage` connection
  string (Azurite); in Azure the identity-based settings infra sets
  (`AzureWebJobsStorage__tableServiceUri`, `__credential` = managedidentity, `__clientId`).
- Kept in memory too, so one process never asks the table twice for the same occurrence and still
  posts each occurrence once while the table cannot be reached.
- The table cannot be reached (or no storage is configured): the occurrence is posted anyway and
  the log says it went out without the once-only guarantee. A scheduled notification exists to
  arrive: a missed status alert costs more than a second copy of one card, and a duplicate now
  needs a table outage *and* two runs of the same occurrence in different processes at once.

The table client (azure-data-tables, azure-identity) is created on first use: this module is
imported by a timer's first run, never at app start, and imports neither package until a claim.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

from shared.config.once import read_once

__all__ = [
    "TABLE_NAME",
    "Claim",
    "Ledger",
    "TableUnavailable",
    "current_ledger",
    "occurrence_key",
    "table_client_from_settings",
]

logger = logging.getLogger("shared.schedules")

TABLE_NAME: Final = "scheduleoccurrences"
STORAGE_SETTING: Final = "AzureWebJobsStorage"
# Short: a run that cannot reach the table posts anyway, so waiting long only delays the card.
_TIMEOUTS: Final[dict[str, Any]] = {"connection_timeout": 5, "read_timeout": 10, "retry_total": 1}

# claimed: this run posts; taken: another run did (or does); unguarded: the table could not say,
# this run posts without the once-only guarantee.
Claim = Literal["claimed", "taken", "unguarded"]


class TableUnavailable(Exception):
    """The table could not answer; `reason` names the kind of failure, never a URL or key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def occurrence_key(occurrence: datetime) -> str:
    """The RowKey of an occurrence: UTC, to the second, ISO 8601 (`2026-03-30T06:00:00Z`)."""
    return occurrence.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Ledger:
    """Claims, in memory and (when storage is configured) in the shared table."""

    environ: Mapping[str, str]
    _claimed: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _table: Any = None

    @property
    def shared(self) -> bool:
        return _storage_configured(self.environ)

    def claim(self, entry: str, occurrence: datetime, invocation_id: str = "") -> Claim:
        """Claim `occurrence` of `entry` for this run (blocking: call it off the event loop)."""
        key = (entry, occurrence_key(occurrence))
        with self._lock:
            if key in self._claimed:
                return "taken"
            # Held while the table answers: an overlapping run in this process waits, then finds
            # the key and stands down.
            answer = self._claim_in_table(key, invocation_id)
            self._claimed.add(key)
            return answer

    def _claim_in_table(self, key: tuple[str, str], invocation_id: str) -> Claim:
        if not self.shared:
            return "unguarded"
        from azure.core.exceptions import AzureError, ResourceExistsError

        entity = {
            "PartitionKey": key[0],
            "RowKey": key[1],
            "InvocationId": invocation_id,
            "ClaimedAt": datetime.now(UTC),
        }
        try:
            self._table_client().create_entity(entity)
        except ResourceExistsError:
            return "taken"
        except TableUnavailable as error:
            _log_unavailable(key, error.reason)
            return "unguarded"
        except AzureError as error:
            _log_unavailable(key, type(error).__name__)
            return "unguarded"
        return "claimed"

    def _table_client(self) -> Any:
        if self._table is None:
            from azure.core.exceptions import AzureError

            try:
                self._table = table_client_from_settings(self.environ, TABLE_NAME)
            except AzureError as error:
                raise TableUnavailable(type(error).__name__) from None
        return self._table


def _log_unavailable(key: tuple[str, str], reason: str) -> None:
    logger.warning(
        "schedule %s: the occurrence ledger could not be reached (%s); occurrence %s is posted "
        "without the once-only guarantee",
        key[0],
        reason,
        key[1],
    )


def _storage_configured(environ: Mapping[str, str]) -> bool:
    return bool(
        environ.get(STORAGE_SETTING, "").strip()
        or environ.get(f"{STORAGE_SETTING}__tableServiceUri", "").strip()
        or environ.get(f"{STORAGE_SETTING}__accountName", "").strip()
    )


def table_client_from_settings(environ: Mapping[str, str], table: str) -> Any:
    """A TableClient for `table` in the app's storage account, the table created if missing.

    Raises TableUnavailable when no storage is configured, azure.core's AzureError when the
    service cannot be reached."""
    from azure.data.tables import TableServiceClient

    connection = environ.get(STORAGE_SETTING, "").strip()
    if connection:
        service = TableServiceClient.from_connection_string(connection, **_TIMEOUTS)
    else:
        endpoint = environ.get(f"{STORAGE_SETTING}__tableServiceUri", "").strip()
        account = environ.get(f"{STORAGE_SETTING}__accountName", "").strip()
        if not endpoint and account:
            endpoint = f"https://{account}.table.core.windows.net"
        if not endpoint:
            raise TableUnavailable(f"{STORAGE_SETTING} is not set")
        service = TableServiceClient(
            endpoint=endpoint, credential=_credential(environ), **_TIMEOUTS
        )
    return service.create_table_if_not_exists(table)


def _credential(environ: Mapping[str, str]) -> Any:
    # The Functions host's identity-based connection settings: `__credential` = managedidentity
    # with `__clientId` naming the user-assigned identity (infra/app/function.bicep).
    client_id = environ.get(f"{STORAGE_SETTING}__clientId", "").strip() or None
    if environ.get(f"{STORAGE_SETTING}__credential", "").strip().lower() == "managedidentity":
        from azure.identity import ManagedIdentityCredential

        return ManagedIdentityCredential(client_id=client_id)
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(managed_identity_client_id=client_id)


@read_once
def current_ledger() -> Ledger:
    """This process's ledger (settings change with a restart)."""
    return Ledger(os.environ)
