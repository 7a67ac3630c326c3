"""The parser's shortcuts for common arguments (a lone atom, a call) and operands build the
tree the full precedence descent builds. Wrapping an argument in parentheses sends it down
that descent, so each expression is compared with its parenthesised twin."""

from __future__ import annotations

from typing import Any

import pytest

from shared.cards._parser import Node, parse_expression, render


def shape(node: Node) -> Any:
    return (node.kind, repr(node.value), [shape(child) for child in node.children])


ARGUMENTS = [
    "a == 'b'",
    "n <= 2",
    "n < 2",
    "a.b.c >= 10.5",
    "x != y",
    "x <> y",
    "2 ^ 3",
    "'s' & t",
    "a ?? b",
    "a || b",
    "a && b",
    "n * 2",
    "n / 2",
    "n - 1",
    "n + 1",
    "true == x",
    "x == null",
    "undefined == x",
    "n + 1 * 2",
    "n * 2 + 1",
    "a == b ? c : d",
    "-n < 2",
    "n < -2",
    "f(x) == 2",
    "x == f(y)",
    "a.b[0] == 1",
    "a == b.c",
    "x",
    "'text'",
    "3",
    "f(x)",
]


@pytest.mark.parametrize("argument", ARGUMENTS)
@pytest.mark.parametrize("template", ["f({})", "f({}, z)", "f(z, {})", "if({}, 1, 2)"])
def test_an_argument_parses_as_it_does_in_parentheses(argument: str, template: str) -> None:
    plain = parse_expression(template.format(argument))
    wrapped = parse_expression(template.format(f"({argument})"))
    assert shape(plain) == shape(wrapped)
    assert render(plain) == render(wrapped)


def test_a_repeated_comparison_parses_the_same_with_a_memo() -> None:
    memo: dict[str, Node] = {}
    first = parse_expression("if(a == 'b', f(n <= 2), g(n <= 2))", memo)
    again = parse_expression("if(a == 'b', f(n <= 2), g(n <= 2))")
    assert shape(first) == shape(again)
