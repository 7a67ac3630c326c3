"""`python -m shared`: list, render and check the card templates from a shell or a CI job.

Exit codes: 0 fine; 1 `check` found problems or `render` could not expand the template with
the data; 2 the command could not run (unknown template, unreadable or invalid data file,
wrong arguments). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from shared import catalog
from shared.cards import TemplateError, UnresolvedBindingsError
from shared.cards.check import ALLOWED_ACTIONS, Target, check_card
from shared.cards.envelope import to_message
from shared.problems import Finding

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A reason the command cannot run, told to the user in one line."""


# What one thing checked (a template, a setting) came to; no problems means fine. The same
# record the configuration checks produce, so their findings are printed as they come.
CheckResult = Finding


@dataclass(frozen=True)
class CheckSection:
    """One part of `python -m shared check`: a title and what it found."""

    title: str
    run: Callable[[argparse.Namespace], list[CheckResult]]


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
    templates.set_defaults(command=_templates)

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
    render.set_defaults(command=_render)

    check = commands.add_parser(
        "check", help="expand templates and report every problem Teams would have"
    )
    check.add_argument("names", nargs="*", metavar="NAME", help="templates (default: all)")
    check.add_argument(
        "--data",
        metavar="FILE",
        help="JSON data for the one NAME, '-' for stdin (default: its sample data)",
    )
    check.set_defaults(command=_check)

    from shared.teams import cli_send  # imports nothing heavy until `send` runs

    cli_send.add_parser(commands)
    return parser


# --- templates -------------------------------------------------------------------------------


def _templates(args: argparse.Namespace) -> int:
    infos = [catalog.get(name) for name in catalog.template_names()]
    width = max((len(info.name) for info in infos), default=0)
    for info in infos:
        print(f"{info.name:<{width}}  {info.description}")
    return EXIT_OK


# --- render ----------------------------------------------------------------------------------


def _render(args: argparse.Namespace) -> int:
    info = _template_info(args.name)
    data = info.sample_data if args.data is None else read_data(args.data)
    try:
        card = _expand(info.name, data)
    except UnresolvedBindingsError as error:
        print(
            f"error: {info.name}: the data leaves {len(error.bindings)} binding(s) unresolved",
            file=sys.stderr,
        )
        for binding in error.bindings:
            print(f"  {binding.path}: {binding.expression}", file=sys.stderr)
        return EXIT_PROBLEMS
    except TemplateError as error:
        print(f"error: {info.name}: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        output = to_message(card) if args.envelope else card
    except ValueError as error:  # the template expanded to something that is not a card
        print(f"error: {info.name}: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(json.dumps(output, indent=2, ensure_ascii=False))
    return EXIT_OK


# --- check -----------------------------------------------------------------------------------


def check_sections() -> list[CheckSection]:
    """The parts of `check`, run in order: the templates, then the app's configuration (app
    settings, Outgoing Webhooks, schedules; shared.problems), which `check NAME...` leaves out."""
    from shared.problems import configuration_checks

    return [
        CheckSection("templates", _check_templates),
        *(_configuration_section(title, check) for title, check in configuration_checks()),
    ]


def _configuration_section(title: str, check: Callable[[], Any]) -> CheckSection:
    def run(args: argparse.Namespace) -> list[CheckResult]:
        if args.names:  # `check NAME...` is about those templates only
            return []
        return list(check().findings)

    return CheckSection(title, run)


def _check(args: argparse.Namespace) -> int:
    if args.data is not None and len(args.names) != 1:
        raise CliError("--data needs exactly one template NAME")
    total = 0
    subjects = 0
    for section in check_sections():
        results = section.run(args)
        if not results:
            continue
        print(f"{section.title}:")
        for result in results:
            _print_result(result, sys.stdout)
            total += len(result.problems)
            subjects += bool(result.problems)
    if total:
        print(f"{total} problem(s) in {subjects} item(s)")
        return EXIT_PROBLEMS
    print("no problems")
    return EXIT_OK


def _print_result(result: CheckResult, out: TextIO) -> None:
    if not result.problems:
        print(f"  {result.subject}: ok", file=out)
        return
    print(f"  {result.subject}: {len(result.problems)} problem(s)", file=out)
    for problem in result.problems:
        print(f"    {problem}", file=out)


def _check_templates(args: argparse.Namespace) -> list[CheckResult]:
    names: list[str] = list(args.names) or catalog.template_names()
    infos = [_template_info(name) for name in names]  # unknown names stop before any output
    data = None if args.data is None else read_data(args.data)
    return [_check_template(info, info.sample_data if data is None else data) for info in infos]


def _check_template(info: catalog.TemplateInfo, data: Any) -> CheckResult:
    target = info.options.get("target", "incoming")
    subject = f"{info.name} ({target})"
    if target not in ALLOWED_ACTIONS:
        return CheckResult(
            subject, [f'catalog option "target" must be "incoming" or "reply", not {target!r}']
        )
    try:
        card = _expand(info.name, data)
    except UnresolvedBindingsError as error:
        return CheckResult(
            subject,
            [f"{b.path}: unresolved binding {b.expression}" for b in error.bindings],
        )
    except TemplateError as error:
        return CheckResult(subject, [str(error)])
    checked_target: Target = target
    return CheckResult(subject, [str(problem) for problem in check_card(card, checked_target)])


# --- shared steps ----------------------------------------------------------------------------


def _template_info(name: str) -> catalog.TemplateInfo:
    try:
        return catalog.get(name)
    except catalog.UnknownTemplateError as error:
        raise CliError(str(error)) from None


def _expand(name: str, data: Any) -> Any:
    host = catalog.host_object(name, None)
    return catalog.compiled(name).expand(data, host, strict=True)


def read_data(source: str) -> Any:
    """JSON from a file, or from stdin for '-'; a `CliError` naming the problem otherwise."""
    label = "stdin" if source == "-" else f"data file {source!r}"
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as error:
        raise CliError(f"cannot read {label}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CliError(f"{label} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CliError(
            f"{label} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
