"""The command registry: `@command("name", help="...")` makes a function answer `@Bot name ...`.

A command receives a CommandContext and returns its answer: a string (Teams markdown, sent as the
message text) or an Adaptive Card (a dict, sent as a card attachment; replies may only use
`Action.OpenUrl`). Plain `def` commands run in a worker thread, so they may block; `async def`
commands run on the event loop and must await, never block. Either way the endpoint answers by
the deadline, with a short text when the command has not finished.
"""

import inspect
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from shared.outgoing.activity import Activity
from shared.outgoing.config import Webhook, is_valid_name

CommandResult: TypeAlias = str | dict[str, Any]
CommandFunction: TypeAlias = Callable[["CommandContext"], CommandResult | Awaitable[CommandResult]]
F = TypeVar("F", bound=CommandFunction)


@dataclass(frozen=True)
class CommandContext:
    """What a command knows about the request that invoked it."""

    name: str
    args: tuple[str, ...]
    activity: Activity
    webhook: Webhook
    registry: "Registry"
    # time.monotonic() value by which the answer must be ready.
    deadline: float

    def seconds_left(self) -> float:
        """Time left before the endpoint answers without this command: budget your own I/O."""
        return max(0.0, self.deadline - time.monotonic())


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    usage: str
    example: str
    function: CommandFunction
    is_async: bool


class Registry:
    """Commands by name, in the order they were added (the order `help` lists them)."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def command(
        self, name: str, *, help: str, usage: str = "", example: str = ""
    ) -> Callable[[F], F]:
        """Register the decorated function as the command `name`.

        `help` is one line; `usage` shows its arguments (`<template>` for `preview <template>`);
        `example` is a whole command line, shown below the help.
        """
        if not is_valid_name(name):
            raise ValueError(
                f"command name {name!r}: use lowercase letters, digits and single hyphens"
            )
        if name in self._commands:
            raise ValueError(f"command {name!r} is already registered")

        def register(function: F) -> F:
            self._commands[name] = Command(
                name=name,
                help=help,
                usage=f"{name} {usage}".strip(),
                example=example,
                function=function,
                is_async=inspect.iscoroutinefunction(function),
            )
            return function

        return register

    def get(self, name: str) -> Command | None:
        return self._commands.get(name)

    def __iter__(self) -> Iterator[Command]:
        return iter(list(self._commands.values()))

    def __len__(self) -> int:
        return len(self._commands)

    def closest(self, name: str) -> str | None:
        """The registered name nearest to a mistyped one, if any is near enough."""
        import difflib  # only needed for mistakes

        matches = difflib.get_close_matches(name, list(self._commands), n=1, cutoff=0.6)
        return matches[0] if matches else None

    def copy(self) -> "Registry":
        """A registry with the same commands, to add more without changing this one."""
        other = Registry()
        other._commands = dict(self._commands)
        return other


#: The registry the endpoint uses; the built-in and custom command modules add to it.
commands = Registry()
command = commands.command
