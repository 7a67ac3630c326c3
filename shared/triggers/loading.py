"""A route's handler module, loaded off the event loop on the route's first request.

Handlers are imported on first use, not at start, so that cold start stays light. Imported on the
event loop, though, that first use held the loop for the whole import (the card engine, pydantic
models, httpx: a few hundred milliseconds, more on a busy instance), and every other request on
the instance waited, an Outgoing Webhook's included. Here the import, and the module's
`prepare()` (settings read once, say), run in a worker thread while the loop goes on.
"""

import asyncio
import contextlib
import importlib
from collections.abc import Callable

_loaded: set[str] = set()


async def load_off_loop(module: str) -> None:
    """Import `module` and run its `prepare()`, if it has one, in a worker thread; at once when
    that was done before. Requests that arrive meanwhile each wait in a thread of their own
    (imports are safe to race: Python locks each module while it is imported)."""
    if module in _loaded:
        return
    await asyncio.to_thread(_load, module)
    _loaded.add(module)


def _load(module: str) -> None:
    # What the worker loaded to index the app (function_app, azure.functions, the triggers) is
    # set aside from the garbage collector first: the imports below allocate enough to start a
    # full collection, which visited all of it (30-100 ms holding the interpreter lock, so the
    # event loop too; bench.heavy's first request). shared.heap says more; imported here, as
    # the route modules that import this one load nothing else at cold start.
    from shared.heap import settle

    settle()
    loaded = importlib.import_module(module)
    prepare: Callable[[], object] | None = getattr(loaded, "prepare", None)
    if prepare is not None:
        # Only a head start: what fails here fails again in the handler, which answers it.
        with contextlib.suppress(Exception):
            prepare()
