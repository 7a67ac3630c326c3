"""`python -m shared send NAME --channel CHANNEL [--data FILE|-]`: expand, check and deliver.

The same pipeline as the HTTP trigger (`shared.pipeline`), without the retry queue, which only
the Functions host provides: what is still failing when the budget ends is reported as not
delivered. Exit 0 when every channel was delivered or accepted, 1 otherwise (including a card with
problems, which is not sent); a command that cannot run (unknown template, bad data file, no
channel) raises `shared.cli.common.CliError`, which the CLI turns into exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.teams.delivery import DeliveryResult

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `send` command to the CLI's subparsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "send",
        help="expand a template, check the card and deliver it to channels",
        description="Expand a template with data, check the card and deliver it to Teams "
        "channels through the same code as the HTTP trigger (no retry queue here).",
    )
    parser.add_argument("name", metavar="NAME", help="template name (see 'templates')")
    parser.add_argument(
        "--channel",
        action="append",
        metavar="CHANNEL",
        help="channel name (repeat it or separate names with commas; "
        "default: TEAMS_DEFAULT_CHANNEL)",
    )
    parser.add_argument(
        "--data",
        metavar="FILE",
        help="JSON data, '-' for stdin (default: the template's sample data)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        metavar="SECONDS",
        help="time allowed for delivery (default: TEAMS_DELIVERY_BUDGET_SECONDS, 8)",
    )
    parser.set_defaults(command=run)
    return parser


def _channels(given: list[str] | None) -> list[str]:
    from shared.cli.common import CliError
    from shared.config.settings import current_settings

    names = [name.strip() for item in given or [] for name in item.split(",") if name.strip()]
    if names:
        return names
    default = current_settings().default_channel
    if default is None:
        raise CliError("no --channel given and TEAMS_DEFAULT_CHANNEL is not set")
    return [default]


def _line(result: DeliveryResult) -> str:
    if result.status == "queued" and result.error is not None:
        # Outside the Functions host there is no retry queue: say what it is.
        what, detail = "not delivered", f"{result.error.reason} (no retry queue outside Azure)"
    else:
        what, detail = result.status, result.detail
    return f"{result.channel}: {what} after {result.attempts} attempt(s): {detail}"


def run(args: argparse.Namespace) -> int:
    """Run `send`; returns the exit status."""
    from shared import catalog
    from shared.cards import TemplateError, UnresolvedBindingsError
    from shared.cli.common import CliError, read_data
    from shared.pipeline import CardProblems, notify
    from shared.teams.client import aclose_client

    try:
        info = catalog.get(args.name)
    except catalog.UnknownTemplateError as error:
        known = ", ".join(error.known) if error.known else "none"
        raise CliError(f"unknown template {args.name!r} (known: {known})") from None
    data = info.sample_data if args.data is None else read_data(args.data)
    channels = _channels(args.channel)

    async def send() -> list[DeliveryResult]:
        try:
            return await notify(info.name, data, channels, budget=args.budget)
        finally:
            await aclose_client()

    try:
        results = asyncio.run(send())
    except UnresolvedBindingsError as error:
        print(
            f"error: {info.name}: the data leaves {len(error.bindings)} binding(s) unresolved; "
            "nothing was sent",
            file=sys.stderr,
        )
        for binding in error.bindings:
            print(f"  {binding.path}: {binding.expression}", file=sys.stderr)
        return 1
    except TemplateError as error:
        print(f"error: {info.name}: {error}; nothing was sent", file=sys.stderr)
        return 1
    except CardProblems as error:
        print(f"error: {error}; nothing was sent", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if results:
        print(f"notification {results[0].notification_id}")
    for result in results:
        print(_line(result))
    return 0 if results and all(result.ok for result in results) else 1
