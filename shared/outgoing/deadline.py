"""Run a command so that the endpoint answers by its deadline, whatever the command does.

`asyncio.wait_for` alone cannot keep the deadline: a blocking call never yields to the event
loop, and on timeout `wait_for` waits until the cancelled task has finished, which a task that
catches the cancellation or awaits its clean-up can prolong. So a plain `def` command runs on a
daemon worker thread that nobody ever joins, an `async def` command runs as a task that is
cancelled and left behind at the deadline, and the caller gets DeadlineExceeded on time.
"""

import asyncio
import contextlib
import contextvars
import functools
import inspect
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from shared.outgoing.registry import Command, CommandContext, CommandResult

T = TypeVar("T")

# Commands still blocking after their deadline keep their threads (Python cannot stop a thread);
# past this many busy threads the endpoint refuses new commands instead of piling up more.
MAX_RUNNING_THREADS = 32


class _Workers:
    """Daemon threads for plain commands: started on demand, reused once idle, never joined.

    Not a ThreadPoolExecutor: its threads are joined when the interpreter exits, so a command
    stuck forever would hold up the worker process's shutdown.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._busy = 0  # jobs queued or running
        self._idle = 0  # threads waiting for a job and not yet promised one
        self._started = 0

    @property
    def busy(self) -> int:
        return self._busy

    def submit(self, job: Callable[[], None]) -> bool:
        """Run `job` on a worker thread; False, without running it, when all are busy."""
        with self._lock:
            if self._busy >= self.limit:
                return False
            self._busy += 1
            start = self._idle == 0
            if start:
                self._started += 1
            else:
                self._idle -= 1
        if start:
            name = f"outgoing-command-{self._started}"
            threading.Thread(target=self._work, name=name, daemon=True).start()
        self._jobs.put(job)
        return True

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            finally:
                with self._lock:
                    self._busy -= 1
                    self._idle += 1


_workers = _Workers(MAX_RUNNING_THREADS)
# Abandoned tasks, kept referenced until they end so that they are not garbage-collected midway.
_abandoned: set[asyncio.Task[object]] = set()


def threads_running() -> int:
    """How many plain commands are running now on worker threads, in time or past it."""
    return _workers.busy


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

    `finish` turns the command's result into the answer; it runs under the same deadline (on the
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

    if not _workers.submit(functools.partial(contextvars.copy_context().run, work)):
        raise TooBusy
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
