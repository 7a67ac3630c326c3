"""One httpx.AsyncClient per event loop, reused for every post (connection pooling).

An AsyncClient's connections belong to the event loop that opened them, so each loop gets its own
client; the Functions worker runs one loop, tests and the CLI start and close their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import ssl
import weakref

import httpx

from shared.teams.redact import install_log_scrubbing

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "POOL_TIMEOUT",
    "READ_TIMEOUT",
    "aclose_client",
    "http_client",
    "load_transport",
    "timeout_within",
    "tls_context",
]

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 6.0
"""Also the write timeout: the longest wait for one answer from Teams."""
POOL_TIMEOUT = 2.0

DEFAULT_TIMEOUT = httpx.Timeout(
    connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=READ_TIMEOUT, pool=POOL_TIMEOUT
)
"""Upper bounds; each request also gets no more than what is left of its time budget."""


def timeout_within(seconds: float) -> httpx.Timeout:
    """The default timeouts, none longer than `seconds` (what is left of a time budget)."""
    return httpx.Timeout(
        connect=min(CONNECT_TIMEOUT, seconds),
        read=min(READ_TIMEOUT, seconds),
        write=min(READ_TIMEOUT, seconds),
        pool=min(POOL_TIMEOUT, seconds),
    )


# 100 connections: 20 webhooks x 4 concurrent posts (Teams' per-second window) never wait on each
# other for the pool. Few kept alive: httpcore scans every pooled connection on each request, and
# in bench/delivery.py more idle connections cost more CPU than the reconnects they save.
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificate store, loaded once per process. Loading it takes about 50 ms: done by each
    new client on the event loop, it held every other request for that long (bench.heavy's loop
    stall, each time a loop made its client). Routes load it off the loop in their `prepare()`."""
    return httpx.create_ssl_context()


def load_transport() -> None:
    """What a process's first post would otherwise do on the event loop, done here: load the
    certificate store (`tls_context`) and import what httpx imports only on its first
    connection (httpcore, h11, anyio's backend and streams: about 80 modules, which held
    bench.heavy's first stand-in case's loop 120-190 ms together with the state modules).

    The imports are made by a real connection attempt, on a loop of this thread's own, to a
    loopback port that is bound but not listening (refused at once): whatever httpx and its
    dependencies load on that path, in any of their versions, is loaded. Routes call this off
    the event loop, in their `prepare()`. Only a head start: where a loop already runs in this
    thread, or no socket can be made, the first post loads the rest."""
    tls_context()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        with contextlib.suppress(OSError):
            asyncio.run(_refused_connection())


async def _refused_connection() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as reserved:
        reserved.bind(("127.0.0.1", 0))  # bound, never listening: the connect is refused
        port = reserved.getsockname()[1]
        async with httpx.AsyncClient(verify=tls_context(), limits=_LIMITS) as client:
            with contextlib.suppress(httpx.TransportError):
                await client.post(f"http://127.0.0.1:{port}/", content=b"{}", timeout=2.0)


def http_client() -> httpx.AsyncClient:
    """The running loop's client, created on first use."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        install_log_scrubbing()
        client = httpx.AsyncClient(
            verify=tls_context(),
            timeout=DEFAULT_TIMEOUT,
            limits=_LIMITS,
            follow_redirects=False,  # a redirect would send the card somewhere the policy never saw
            headers={"User-Agent": "teams-notify-functions"},
        )
        _clients[loop] = client
    return client


async def aclose_client() -> None:
    """Close the running loop's client (end of a CLI run or a test)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()
