"""The connection to the shared tables: read from the settings the Functions host uses for its own
storage, built on first use.

- `AzureWebJobsStorage` holding a connection string (Azurite locally and in tests; the literal
  `UseDevelopmentStorage=true` means Azurite on its default loopback ports), or
- the identity-based form `AzureWebJobsStorage__tableServiceUri` (+ `__queueServiceUri`,
  `__credential=managedidentity`, `__clientId`) or `AzureWebJobsStorage__accountName`, with a token
  from `azure-identity` (Microsoft Learn, "Azure Functions developer guide", section "Connecting to
  host storage with an identity", names these settings).

Every storage failure becomes `StateUnavailable`, so callers fall back by type. The SDK's own
retries are cut to one and its timeouts to seconds: a caller that falls back must learn quickly
that the table is down, not after the SDK's default minutes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeVar

from shared.config.once import read_once

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.data.tables import TableClient, TableServiceClient
    from azure.storage.queue import QueueClient

__all__ = [
    "STORAGE_SETTING",
    "TABLES",
    "StateStore",
    "StateUnavailable",
    "StorageTarget",
    "current_state_store",
    "storage_target",
]

logger = logging.getLogger("shared.state")

STORAGE_SETTING: Final = "AzureWebJobsStorage"

TABLES: Final = {
    "windows": "teamsratewindows",
    "duplicates": "teamsduplicates",
    "parts": "teamsparts",
    "deadletters": "teamsdeadletters",
    "subscriptions": "teamssubscriptions",
}
"""The app's tables by job (created by the Bicep in Azure, on first use elsewhere)."""

# Azurite's well-known development account (Microsoft Learn, "Use the Azurite emulator for local
# Azure Storage development", section "Connection strings"): public by design, not a secret.
_DEV_ACCOUNT: Final = "devstoreaccount1"
_DEV_KEY: Final = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

# Seconds: a table call on the delivery path may cost this much before delivery falls back.
CONNECT_TIMEOUT: Final = 2.0
READ_TIMEOUT: Final = 5.0

T = TypeVar("T")


class StateUnavailable(Exception):
    """The shared table could not be reached or answered unexpectedly (the reason names no URL).

    `slow`: it was reached but did not answer in time (a read timeout), as on an overloaded
    host, rather than refusing the connection or failing: a caller may try again before it
    treats the table as down."""

    def __init__(self, message: str, *, slow: bool = False) -> None:
        super().__init__(message)
        self.slow = slow


def development_connection_string(
    host: str = "127.0.0.1", *, blob: int = 10000, queue: int = 10001, table: int = 10002
) -> str:
    """Azurite's connection string on `host` with these ports."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={_DEV_ACCOUNT};AccountKey={_DEV_KEY};"
        f"BlobEndpoint=http://{host}:{blob}/{_DEV_ACCOUNT};"
        f"QueueEndpoint=http://{host}:{queue}/{_DEV_ACCOUNT};"
        f"TableEndpoint=http://{host}:{table}/{_DEV_ACCOUNT};"
    )


@dataclass(frozen=True)
class StorageTarget:
    """Where the tables are: a connection string, or service URIs reached with a token."""

    connection_string: str | None = None
    table_uri: str | None = None
    queue_uri: str | None = None
    client_id: str | None = None
    managed_identity: bool = False


def storage_target(environ: Mapping[str, str]) -> StorageTarget | None:
    """The storage the settings name, or None when none is configured (shared state off)."""
    text = environ.get(STORAGE_SETTING, "").strip()
    if text:
        if text.replace(" ", "").lower().rstrip(";") == "usedevelopmentstorage=true":
            text = development_connection_string()
        return StorageTarget(connection_string=text)
    prefix = STORAGE_SETTING + "__"
    account = environ.get(prefix + "accountName", "").strip()
    table_uri = environ.get(prefix + "tableServiceUri", "").strip() or (
        f"https://{account}.table.core.windows.net" if account else ""
    )
    if not table_uri:
        return None
    queue_uri = environ.get(prefix + "queueServiceUri", "").strip() or (
        f"https://{account}.queue.core.windows.net" if account else None
    )
    return StorageTarget(
        table_uri=table_uri,
        queue_uri=queue_uri,
        client_id=environ.get(prefix + "clientId", "").strip() or None,
        managed_identity=environ.get(prefix + "credential", "").strip().lower()
        == "managedidentity",
    )


_CLIENT_OPTIONS: Final[dict[str, Any]] = {
    "connection_timeout": CONNECT_TIMEOUT,
    "read_timeout": READ_TIMEOUT,
    "retry_total": 1,
    "retry_backoff_factor": 0.2,
}


@dataclass
class StateStore:
    """The shared tables of one storage account; clients are built on first use.

    Azure SDK clients are thread-safe (Azure SDK design guidelines for Python, "Client
    immutability / thread safety"), so one client per table serves every thread and event loop;
    async callers go through `call()`, which runs the blocking SDK call on a worker thread.
    """

    target: StorageTarget
    _service: TableServiceClient | None = field(default=None, init=False, repr=False)
    _tables: dict[str, TableClient] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _credential(self) -> TokenCredential:
        from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

        if self.target.managed_identity:
            return ManagedIdentityCredential(client_id=self.target.client_id)
        return DefaultAzureCredential()

    def _service_client(self) -> TableServiceClient:
        from azure.data.tables import TableServiceClient

        if self._service is None:
            if self.target.connection_string is not None:
                self._service = TableServiceClient.from_connection_string(
                    self.target.connection_string, **_CLIENT_OPTIONS
                )
            else:
                assert self.target.table_uri is not None
                self._service = TableServiceClient(
                    self.target.table_uri, credential=self._credential(), **_CLIENT_OPTIONS
                )
        return self._service

    def table(self, job: str) -> TableClient:
        """The table for `job` (a key of TABLES), created when missing. Raises StateUnavailable."""
        with self._lock:
            client = self._tables.get(job)
            if client is not None:
                return client
        created = guarded(lambda: self._service_client().create_table_if_not_exists(TABLES[job]))
        with self._lock:
            return self._tables.setdefault(job, created)

    def queue(self, name: str) -> QueueClient:
        """A client for queue `name`, encoding messages in base64 as host.json tells the host."""
        from azure.storage.queue import QueueClient, TextBase64EncodePolicy

        encode = TextBase64EncodePolicy()
        if self.target.connection_string is not None:
            return QueueClient.from_connection_string(
                self.target.connection_string,
                name,
                message_encode_policy=encode,
                **_CLIENT_OPTIONS,
            )
        if self.target.queue_uri is None:
            raise StateUnavailable(f"no queue service is configured ({STORAGE_SETTING}__*)")
        return QueueClient(
            self.target.queue_uri,
            name,
            credential=self._credential(),
            message_encode_policy=encode,
            **_CLIENT_OPTIONS,
        )


def guarded(
    call: Callable[[], T],
    *,
    passing: type[Exception] | tuple[type[Exception], ...] | None = None,
) -> T:
    """`call()`, with every storage or network failure turned into StateUnavailable (except
    `passing`, which the caller handles: a conflict, an entity that exists)."""
    from azure.core.exceptions import AzureError, ServiceResponseTimeoutError

    try:
        return call()
    except AzureError as error:
        if passing is not None and isinstance(error, passing):
            raise
        # The SDK's message may carry the account URL; the type and status say enough.
        status = getattr(error, "status_code", None)
        raise StateUnavailable(
            f"table storage failed ({type(error).__name__}"
            + (f", HTTP {status}" if status else "")
            + ")",
            slow=isinstance(error, ServiceResponseTimeoutError),
        ) from None


class Availability:
    """Whether the shared tables answered lately, for fallbacks and the health route.

    A failure opens a short pause in which callers skip the table (so a down table costs one
    failed call per pause, not one per notification), and is logged at most once a minute.
    """

    def __init__(
        self,
        *,
        pause: float = 5.0,
        log_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pause = pause
        self.log_every = log_every
        self._clock = clock
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._last_failure: float | None = None
        self._last_log = float("-inf")
        self.fallbacks = 0

    def usable(self) -> bool:
        with self._lock:
            return self._clock() >= self._down_until

    def failed(self, what: str, error: StateUnavailable) -> None:
        with self._lock:
            now = self._clock()
            self._down_until = now + self.pause
            self._last_failure = now
            self.fallbacks += 1
            due = now - self._last_log >= self.log_every
            if due:
                self._last_log = now
            count = self.fallbacks
        if due:
            logger.warning(
                "shared state unavailable: %s falls back to this instance only (%s; %d fallback(s) "
                "so far; logged at most once a minute)",
                what,
                error,
                count,
            )

    def succeeded(self) -> None:
        with self._lock:
            self._last_failure = None
            self._down_until = 0.0

    @property
    def degraded(self) -> bool:
        """True while the last table call failed and none succeeded since."""
        with self._lock:
            return self._last_failure is not None


@read_once
def current_state_store() -> StateStore | None:
    """The process's shared tables, or None when no storage is configured (state stays local)."""
    target = storage_target(os.environ)
    return StateStore(target) if target is not None else None


@read_once
def current_availability() -> Availability:
    """The process's view of whether the shared tables answer (one per process)."""
    return Availability()
