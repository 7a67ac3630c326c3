"""What a process loads once is set aside from the cyclic garbage collector.

When CPython collects its oldest generation it visits every container object the process
holds, and the thread that triggered the collection keeps the interpreter lock throughout.
Once the handlers, httpx, the card engine, a compiled template and the schema validator are
loaded that is about 60,000 objects and 30-100 ms on a 2-core instance, in whichever thread
allocated last: a render in its worker thread held the event loop that long (bench.heavy's
longest loop stalls, the Outgoing Webhook's pings with it). What is loaded once lives as long
as the process, so after each warm-up it goes to the collector's permanent generation, and
later collections visit only what requests made.

`gc.freeze()` takes every object alive at that moment, those of requests in flight too: an
object that dies by reference count is still freed, only a reference cycle among them would
stay. It runs a handful of times per process (before and after each route's handlers are
loaded, before each template's first render), so at most those few requests' cycles could
stay; the engine's output and posted JSON have none.
"""

from __future__ import annotations

import gc

__all__ = ["settle"]


def settle() -> None:
    """Move every object alive now out of the collector's way (see the module docstring)."""
    gc.freeze()
