"""`python -m shared preview NAME [--data FILE|-] [--out FILE] [--theme light|dark] [--width PX]
[--html]`: the card as Teams draws it, by Microsoft's renderer with Teams' host config.

Writes a PNG (headless Chromium through Playwright) or, with `--html`, the standalone preview page
(no browser needed). Lists the problems the checks and the renderer found: exit 1 when there are
any, as `check` does; 2 when the command cannot run (bad input, no Chromium or npm).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from shared.cards.check import Target, check_card
from shared.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    NOT_EXPANDED,
    CliError,
    expand_or_report,
    read_data,
    template_info,
)

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    from shared.preview.page import DEFAULT_WIDTH

    preview = commands.add_parser(
        "preview", help="draw a template's card as Teams shows it (PNG, or HTML with --html)"
    )
    preview.add_argument("name", metavar="NAME", help="template name (see 'templates')")
    preview.add_argument(
        "--data",
        metavar="FILE",
        help="JSON data to expand with, '-' for stdin (default: the template's sample data)",
    )
    preview.add_argument(
        "--out", metavar="FILE", help="where to write (default: NAME-THEME.png or .html)"
    )
    preview.add_argument("--theme", choices=("light", "dark"), default="light")
    preview.add_argument(
        "--width",
        type=int,
        default=DEFAULT_WIDTH,
        metavar="PX",
        help=f"the card's width in CSS pixels (default {DEFAULT_WIDTH})",
    )
    preview.add_argument(
        "--html", action="store_true", help="write the preview page instead of a PNG"
    )
    preview.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    from shared.preview.page import MAX_WIDTH, MIN_WIDTH, preview_page

    if not MIN_WIDTH <= args.width <= MAX_WIDTH:
        raise CliError(f"--width must be {MIN_WIDTH} to {MAX_WIDTH}, not {args.width}")
    info = template_info(args.name)
    data = info.sample_data if args.data is None else read_data(args.data)
    card = expand_or_report(info.name, data)
    if card is NOT_EXPANDED:
        return EXIT_PROBLEMS
    target: Target = "reply" if info.options.get("target") == "reply" else "incoming"
    problems = [str(problem) for problem in check_card(card, target)]
    suffix = "html" if args.html else "png"
    out = Path(args.out or f"{info.name}-{args.theme}.{suffix}")
    if args.html:
        page = preview_page(
            card, theme=args.theme, width=args.width, title=info.name, problems=problems
        )
        _write(out, page.html.encode("utf-8"))
    else:
        rendering = _render(card, args.theme, args.width, info.name, problems)
        problems += [str(problem) for problem in rendering.problems]
        _write(out, rendering.png)
    print(f"wrote {out}", file=sys.stderr)
    for problem in problems:
        print(problem)
    return EXIT_PROBLEMS if problems else EXIT_OK


def _render(card: Any, theme: Any, width: int, title: str, problems: list[str]) -> Any:
    from shared.preview.install import PreviewUnavailableError

    try:
        from shared.preview.browser import PreviewFailedError, open_browser
    except ImportError:
        raise CliError(
            "previews need Playwright for Python: pip install -r requirements-dev.txt"
        ) from None
    try:
        with open_browser() as browser:
            return browser.preview(card, theme=theme, width=width, title=title, problems=problems)
    except (PreviewUnavailableError, PreviewFailedError) as error:
        raise CliError(str(error)) from None


def _write(out: Path, content: bytes) -> None:
    try:
        out.write_bytes(content)
    except OSError as error:
        raise CliError(f"cannot write {out}: {error.strerror or error}") from None
