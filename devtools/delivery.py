"""Run a coroutine as the tests and benchmarks do: a fresh loop, the shared client closed after."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from shared.teams.client import aclose_client

T = TypeVar("T")


def run(coroutine: Awaitable[T]) -> T:
    """Run a coroutine on a fresh event loop and close that loop's shared HTTP client."""

    async def main() -> T:
        try:
            return await coroutine
        finally:
            await aclose_client()

    return asyncio.run(main())
