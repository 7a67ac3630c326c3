"""`python -m shared replay ID|--all`: put dead letters back on the notifications-retry queue.

Reads the same storage settings as the app (`AzureWebJobsStorage` or its identity-based form).
Prints one line per replayed message (id, channel, template; never a URL).
"""

from __future__ import annotations

import argparse

from shared.cli.common import EXIT_PROBLEMS, CliError

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "replay", help="put a dead letter (or all of them) back on the retry queue"
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", metavar="ID", help="the notification id of a dead letter")
    which.add_argument("--all", action="store_true", help="replay every dead letter")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from shared.state.deadletters import current_dead_letters
    from shared.state.store import StateUnavailable

    letters = current_dead_letters()
    if letters is None:
        raise CliError("no storage is configured: set AzureWebJobsStorage (or its __* settings)")
    try:
        replayed = letters.replay(None if args.all else args.id)
    except StateUnavailable as error:
        raise CliError(str(error)) from None
    if not replayed:
        print("no dead letter " + ("kept" if args.all else f"with id {args.id}"))
        return EXIT_PROBLEMS
    for letter in replayed:
        print(
            f"replayed {letter.notification_id} channel={letter.channel} "
            f"template={letter.template or '-'}"
        )
    return 0
