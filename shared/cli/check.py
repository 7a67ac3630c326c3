"""`python -m shared check [NAME...] [--data FILE|-] [--render]`: every problem Teams would have.

The templates first (expanded with their sample data or the given data, then checked; with
`--render` also drawn by Microsoft's renderer with Teams' host config in headless Chromium, which
adds what the renderer drops or warns about), then the app's configuration (shared.health), which
`check NAME...` leaves out.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from shared import catalog
from shared.cards import TemplateError, UnresolvedBindingsError
from shared.cards.check import ALLOWED_ACTIONS, Target, check_card
from shared.cli.common import EXIT_OK, EXIT_PROBLEMS, CliError, expand, read_data, template_info
from shared.health import Finding

__all__ = ["CheckResult", "CheckSection", "check_sections", "run"]

# What one thing checked (a template, a setting) came to; no problems means fine. The same
# record the configuration checks produce, so their findings are printed as they come.
CheckResult = Finding


@dataclass(frozen=True)
class CheckSection:
    """One part of `python -m shared check`: a title and what it found."""

    title: str
    run: Callable[[argparse.Namespace], list[CheckResult]]


def check_sections() -> list[CheckSection]:
    """The parts of `check`, run in order: the templates, then the app's configuration (app
    settings, Outgoing Webhooks, schedules; shared.health), which `check NAME...` leaves out."""
    from shared.health import configuration_checks

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


def run(args: argparse.Namespace) -> int:
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
    else:
        print(f"  {result.subject}: {len(result.problems)} problem(s)", file=out)
        for problem in result.problems:
            print(f"    {problem}", file=out)
    # Warnings: accepted, probably not meant; they never change the exit status.
    for warning in result.warnings:
        print(f"    warning: {warning}", file=out)


def _check_templates(args: argparse.Namespace) -> list[CheckResult]:
    names: list[str] = list(args.names) or catalog.template_names()
    infos = [template_info(name) for name in names]  # unknown names stop before any output
    data = None if args.data is None else read_data(args.data)
    checked = [_check_template(info, info.sample_data if data is None else data) for info in infos]
    if not getattr(args, "render", False):
        return [result for result, _card in checked]
    return _with_renderer(
        [(info.name, result, card) for info, (result, card) in zip(infos, checked, strict=True)]
    )


def _with_renderer(checked: list[tuple[str, CheckResult, Any]]) -> list[CheckResult]:
    """Each card that expanded, drawn by the pinned renderer in both Teams themes and at phone
    width; what the renderer reports and what the layout checks find are added to its problems."""
    from shared.preview.install import PreviewUnavailableError

    try:
        from shared.preview import browser as preview_browser
        from shared.preview import layout
    except ImportError:
        raise CliError(
            "check --render needs Playwright for Python: pip install -r requirements-dev.txt"
        ) from None
    found: dict[str, list[str]] = {name: [] for name, _result, card in checked if card is not None}
    failed: set[str] = set()
    try:
        with preview_browser.open_browser() as browser:
            # Pass by pass, so that each theme's page is loaded once for all the cards.
            for render_pass in layout.RENDER_PASSES:
                for name, _result, card in checked:
                    if card is None or name in failed:
                        continue
                    try:
                        rendering = browser.preview(
                            card,
                            theme=render_pass.theme,
                            width=render_pass.width,
                            title=name,
                            screenshot=False,
                        )
                    except preview_browser.PreviewFailedError as error:
                        found[name].append(f"$: not rendered: {error}")
                        failed.add(name)
                        continue
                    found[name].extend(map(str, render_pass.problems(rendering, name)))
    except PreviewUnavailableError as error:
        raise CliError(str(error)) from None
    return [
        CheckResult(result.subject, [*result.problems, *found.get(name, [])])
        for name, result, _card in checked
    ]


def _check_template(info: catalog.TemplateInfo, data: Any) -> tuple[CheckResult, Any]:
    """What the checks found, and the card (None when the template did not expand)."""
    target = info.options.get("target", "incoming")
    subject = f"{info.name} ({target})"
    if target not in ALLOWED_ACTIONS:
        return CheckResult(
            subject, [f'catalog option "target" must be "incoming" or "reply", not {target!r}']
        ), None
    try:
        card = expand(info.name, data)
    except UnresolvedBindingsError as error:
        return CheckResult(
            subject,
            [f"{b.path}: unresolved binding {b.expression}" for b in error.bindings],
        ), None
    except TemplateError as error:
        return CheckResult(subject, [str(error)]), None
    checked_target: Target = target
    found = [str(problem) for problem in check_card(card, checked_target)]
    return CheckResult(subject, found), card
