"""What every command of `python -m shared` shares: exit codes, errors, data files, expansion."""

from __future__ import annotations

import json
import sys
from typing import Any

from shared import catalog

__all__ = [
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "NOT_EXPANDED",
    "CliError",
    "expand",
    "expand_or_report",
    "read_data",
    "template_info",
]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A reason the command cannot run, told to the user in one line (exit 2)."""


def template_info(name: str) -> catalog.TemplateInfo:
    try:
        return catalog.get(name)
    except catalog.UnknownTemplateError as error:
        raise CliError(str(error)) from None


def expand(name: str, data: Any) -> Any:
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


NOT_EXPANDED: Any = object()
"""What `expand_or_report` answers when it told the user why the template did not expand."""


def expand_or_report(name: str, data: Any) -> Any:
    """The template expanded strictly with `data`, or NOT_EXPANDED after saying on stderr what
    stopped it (each unresolved binding with its path, or the template error)."""
    from shared.cards import TemplateError, UnresolvedBindingsError

    try:
        return expand(name, data)
    except UnresolvedBindingsError as error:
        print(
            f"error: {name}: the data leaves {len(error.bindings)} binding(s) unresolved",
            file=sys.stderr,
        )
        for binding in error.bindings:
            print(f"  {binding.path}: {binding.expression}", file=sys.stderr)
    except TemplateError as error:
        print(f"error: {name}: {error}", file=sys.stderr)
    return NOT_EXPANDED
