"""Run a command so that the endpoint answers by its deadline, whatever the command does.

`asyncio.wait_for` alone cannot keep the deadline: a blocking call never yields to the event
loop, and on timeout `wait_for` waits until the cancelled task has finished, which a task that
catches the cancellation or awaits its clean-up can prolong. So a plain `def` command runs in a
daemon thread of its own that is never joined, an `async def` command runs as a task that is
cancelled and left behind at the deadline, and the caller gets DeadlineExceeded on time.
"""

import asyncio
import contextlib
import contextvars
import inspect
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from shared.teams.outgoing.registry import Command, CommandContext, CommandResult

T = TypeVar("T")

# Threads of commands that are still blocking after their deadline keep running (Python cannot
# stop a thread); past this many the endpoint refuses new commands instead of piling up more.
MAX_RUNNING_THREADS = 32
_threads_lock = threading.Lock()
_threads_running = 0
# Abandoned tasks, kept referenced until they end so that they are not garbage-collected midway.
_abandoned: set[asyncio.Task[object]] = set()


def threads_running() -> int:
    """How many command threads are running now, finished in time or not."""
    return _threads_running


def _take_thread() -> bool:
    global _threads_running
    with _threads_lock:
        if _threads_running >= MAX_RUNNING_THREADS:
            return False
        _threads_running += 1
        return True


def _give_back_thread() -> None:
    global _threads_running
    with _threads_lock:
        _threads_running -= 1


class DeadlineExceeded(Exception):
    """The command had not finished at the deadline; it may still be running."""


class TooBusy(Exception):
    """Too many earlier commands are still blocking their threads."""


async def run_before(
    deadline: float,
    command: Command,
    context: CommandContext,
    finish: Callable[[CommandResult], T],
) -> T:
    """`finish(command(context))`, or DeadlineExceeded at `deadline` (a time.monotonic() value).

    `finish` turns the command's result into the answer; it runs under the same deadline (in the
    worker thread for a plain command).
    """
    if command.is_async:
        return await _run_task(deadline, _finish_async(command, context, finish))
    return await _run_thread(deadline, command, context, finish)


async def _finish_async(
    command: Command, context: CommandContext, finish: Callable[[CommandResult], T]
) -> T:
    result = await cast(Awaitable[CommandResult], command.function(context))
    return finish(result)


async def _run_task(deadline: float, work: Awaitable[T]) -> T:
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - time.monotonic()))
    if task in done:
        return task.result()
    task.cancel()
    abandoned = cast(asyncio.Task[object], task)
    _abandoned.add(abandoned)
    abandoned.add_done_callback(_forget)
    raise DeadlineExceeded


def _forget(task: asyncio.Task[object]) -> None:
    _abandoned.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log "exception was never retrieved"


async def _run_thread(
    deadline: float,
    command: Command,
    context: CommandContext,
    finish: Callable[[CommandResult], T],
) -> T:
    if not _take_thread():
        raise TooBusy
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def work() -> None:
        try:
            result = command.function(context)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                raise TypeError(
                    f"command {command.name!r} returned an awaitable: declare it `async def`"
                )
            answer = finish(result)
        except Exception as error:  # handed over to the waiting side, which reports it
            _settle_later(loop, future, None, error)
        else:
            _settle_later(loop, future, answer, None)
        finally:
            _give_back_thread()

    thread = threading.Thread(
        target=contextvars.copy_context().run,
        args=(work,),
        name=f"outgoing-command-{command.name}",
        daemon=True,  # a command stuck forever must not hold up the worker's shutdown
    )
    try:
        thread.start()
    except BaseException:
        _give_back_thread()
        raise
    try:
        # A bare future has nothing to clean up, so wait_for returns at once on timeout here.
        return await asyncio.wait_for(future, timeout=max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        raise DeadlineExceeded from None


def _settle_later(
    loop: asyncio.AbstractEventLoop,
    future: "asyncio.Future[T]",
    answer: T | None,
    error: BaseException | None,
) -> None:
    def settle() -> None:
        if future.done():  # the deadline passed: nobody is waiting for this any more
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(cast(T, answer))

    with contextlib.suppress(RuntimeError):  # the event loop has closed in the meantime
        loop.call_soon_threadsafe(settle)
