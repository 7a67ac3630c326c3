"""What can go wrong with a template, as types a caller can catch at the level it cares about."""

from __future__ import annotations

from dataclasses import dataclass


class TemplateError(ValueError):
    """Any problem with a template or its expansion."""


class TemplateSyntaxError(TemplateError):
    """The template cannot be parsed: names the JSON path and the expression."""

    def __init__(self, path: str, expression: str, reason: str) -> None:
        self.path = path
        self.expression = expression
        self.reason = reason
        super().__init__(f"{path}: cannot parse {expression!r}: {reason}")


class TemplateExpansionError(TemplateError):
    """An expression failed where the official SDK throws, so there is no card."""

    def __init__(self, path: str, expression: str, reason: str) -> None:
        self.path = path
        self.expression = expression
        self.reason = reason
        super().__init__(f"{path}: {expression!r} failed: {reason}")


@dataclass(frozen=True, slots=True)
class Binding:
    """A binding that found no value: where in the card, and the text it left there."""

    path: str
    expression: str


class UnresolvedBindingsError(TemplateError):
    """Strict mode: bindings that would leave a literal `${...}` in the card."""

    def __init__(self, bindings: list[Binding]) -> None:
        self.bindings = bindings
        listed = ", ".join(f"{b.path} {b.expression}" for b in bindings)
        super().__init__(f"unresolved bindings: {listed}")
