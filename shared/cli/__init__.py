"""`python -m shared`: list, render, preview, check and send the card templates from a shell or a
CI job.

Exit codes: 0 fine; 1 `check` or `preview` found problems, `render` could not expand the
template with the data, or `send` did not deliver; 2 the command could not run (unknown template,
unreadable or invalid data file, wrong arguments, no browser for a preview). Errors are one line
on stderr, never a traceback.

One module per command (`templates`, `render`, `preview`, `check`, `send`, `replay`); `common`
holds what they share.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from shared import catalog
from shared.cli import check as check_command
from shared.cli import preview as preview_command
from shared.cli import render as render_command
from shared.cli import replay as replay_command
from shared.cli import send as send_command
from shared.cli import templates as templates_command
from shared.cli.common import EXIT_PROBLEMS, EXIT_USAGE, CliError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except (CliError, catalog.CatalogError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`... | head`). Point stdout at devnull so the final flush at
        # exit does not fail again, and exit 1 as Python does on EPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PROBLEMS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shared",
        description="List, render and check the Teams card templates.",
        epilog="Exit status: 0 fine, 1 problems found, 2 the command could not run.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    templates = commands.add_parser("templates", help="list the templates with a description")
    templates.set_defaults(command=templates_command.run)

    render = commands.add_parser("render", help="print a template expanded with data")
    render.add_argument("name", metavar="NAME", help="template name (see 'templates')")
    render.add_argument(
        "--data",
        metavar="FILE",
        help="JSON data to expand with, '-' for stdin (default: the template's sample data)",
    )
    render.add_argument(
        "--envelope",
        action="store_true",
        help="print the whole Teams message that is posted, not only the card",
    )
    render.set_defaults(command=render_command.run)

    check = commands.add_parser(
        "check", help="expand templates and report every problem Teams would have"
    )
    check.add_argument("names", nargs="*", metavar="NAME", help="templates (default: all)")
    check.add_argument(
        "--data",
        metavar="FILE",
        help="JSON data for the one NAME, '-' for stdin (default: its sample data)",
    )
    check.add_argument(
        "--render",
        action="store_true",
        help="also render each card with Microsoft's renderer in headless Chromium and report "
        "what it drops or warns about (needs Chromium, npm and Playwright)",
    )
    check.set_defaults(command=check_command.run)

    preview_command.add_parser(commands)  # the browser is loaded only when a preview runs

    send_command.add_parser(commands)  # imports nothing heavy until `send` runs
    replay_command.add_parser(commands)  # the table client loads only when `replay` runs
    return parser
