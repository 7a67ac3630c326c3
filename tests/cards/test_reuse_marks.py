"""Which nodes `_reuse.mark_reused` marks, against the rule written out plainly: scan every
node of every binding. The engine's version scans only the walks and what contains them, and
skips templates whose tokens hold no walk and no `$` name; the marks must be the same."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devtools.sdk import reference
from devtools.sdk.random_cases import random_cases
from shared.cards import TemplateError
from shared.cards import _reuse as reuse
from shared.cards import template as engine
from shared.cards._parser import ACCESSOR, CONSTANT, ELEMENT, PATH, Node
from shared.cards._reuse import mark_reused
from tests.cards.test_conformance import SHIPPED

# The lists of the rule itself; the scan below is written out again, plainly.
_WALKS = reuse._WALKS
_LAMBDAS = reuse._LAMBDAS
_FIXED = reuse._FIXED_NAMES


def every_node(roots: list[Node]) -> list[Node]:
    seen: dict[int, Node] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node.children)
    return list(seen.values())


def reads_fixed_data(node: Node) -> bool:
    while node.kind in (ACCESSOR, ELEMENT):
        if node.kind == ELEMENT:
            if node.children[1].kind != CONSTANT:
                return False
            node = node.children[0]
        elif len(node.children) == 2:
            node = node.children[1]
        else:
            return str(node.children[0].value).lower() in _FIXED
    return node.kind == PATH and len(node.value) > 1 and str(node.value[0]).lower() in _FIXED


def scan(node: Node) -> tuple[set[str], bool] | None:
    """The names a node reads and whether a walk is inside; None if `utcNow` is."""
    kind, children = node.kind, node.children
    if kind == CONSTANT:
        return set(), False
    if kind == PATH:
        return {str(node.value[0]).lower()}, False
    if kind == ACCESSOR:
        if len(children) == 1:
            return {str(children[0].value).lower()}, False
        return scan(children[1])
    if kind == "utcNow":
        return None
    if kind in _LAMBDAS and len(children) == 3 and children[1].kind == ACCESSOR:
        source, body = scan(children[0]), scan(children[2])
        if source is None or body is None:
            return None
        return source[0] | (body[0] - {str(children[1].children[0].value).lower()}), True
    names: set[str] = set()
    walks = kind in _WALKS
    for child in children:
        found = scan(child)
        if found is None:
            return None
        names |= found[0]
        walks = walks or found[1]
    return names, walks


def expected_marks(roots: list[Node]) -> set[int]:
    nodes = every_node(roots)
    if not any(node.kind in _WALKS for node in nodes):
        return {
            id(node)
            for node in nodes
            if node.kind in (PATH, ACCESSOR, ELEMENT) and reads_fixed_data(node)
        }
    if any(
        node.kind in _LAMBDAS
        and len(node.children) == 3
        and node.children[1].kind == ACCESSOR
        and str(node.children[1].children[0].value).lower() in _FIXED
        for node in nodes
    ):
        return set()
    uses: dict[int, int] = {}
    for root in roots:
        uses[id(root)] = uses.get(id(root), 0) + 1
    for node in nodes:
        for child in node.children:
            uses[id(child)] = uses.get(id(child), 0) + 1
    marked = set()
    for node in nodes:
        if node.kind in (PATH, ACCESSOR, ELEMENT):
            if reads_fixed_data(node):
                marked.add(id(node))
            continue
        if node.kind == CONSTANT:
            continue
        found = scan(node)
        if found is not None and found[1] and (uses[id(node)] > 1 or found[0] <= _FIXED):
            marked.add(id(node))
    return marked


def marks(template: Any) -> tuple[set[int], set[int]] | None:
    """(what the engine marks, what the rule marks) for one template; None if it is invalid."""
    try:
        memo = engine.Memo()
        engine._compile(template, (), memo)
    except TemplateError:
        return None
    mark_reused(memo.roots, memo.parsed)
    found = {id(node) for node in every_node(memo.roots) if node.reused}
    return found, expected_marks(memo.roots)


def differences(templates: list[Any]) -> tuple[list[str], int]:
    problems, marked = [], 0
    for template in templates:
        result = marks(template)
        if result is None:
            continue
        found, expected = result
        marked += bool(expected)
        if found != expected:
            problems.append(json.dumps(template)[:300])
    return problems, marked


def test_shipped_templates_are_marked_by_the_rule() -> None:
    problems, marked = differences([case["template"] for case in SHIPPED])
    assert not problems, problems[:3]
    assert marked >= 2  # the Alertmanager and Azure Monitor cards keep values


@pytest.mark.parametrize(
    "source",
    ["corpus", "random"],
)
def test_corpus_and_random_templates_are_marked_by_the_rule(source: str) -> None:
    cases = (
        reference.load_cases() if source == "corpus" else random_cases(seed=20261124, count=3000)
    )
    problems, marked = differences([case["template"] for case in cases])
    assert not problems, problems[:3]
    assert marked > 10


@pytest.mark.parametrize(
    "text",
    [
        "${count(where($root.alerts, a, a.status != 'firing'))}",
        "firing: ${count(where($root.alerts, a, a.status == 'firing'))} of ${count(alerts)}",
        "Owner: ${$root.owner.name}",
        "${$ROOT.owner}",
        "${$host.channel}",
        "${$root['owner']}",
    ],
)
def test_a_walk_or_a_dollar_name_anywhere_is_seen(text: str) -> None:
    template = {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": text}]}
    result = marks(template)
    assert result is not None
    found, expected = result
    assert found == expected
    assert found, "a fixed path or a kept call is marked"


def test_a_template_without_walks_or_dollar_names_marks_nothing() -> None:
    template = {
        "type": "AdaptiveCard",
        "body": [
            {"type": "TextBlock", "text": "${concat(name, ' costs $', string(price))}"},
            {"type": "TextBlock", "text": "${if(exists(owner), owner, 'nobody')}"},
        ],
    }
    result = marks(template)
    assert result == (set(), set())


def test_a_call_written_in_two_bindings_is_one_node_and_kept() -> None:
    """The parser shares the tree of a call repeated anywhere in a template, whatever comes
    before or after it, so the call is evaluated once per item and its value reused."""
    template = {
        "type": "AdaptiveCard",
        "body": [
            {"type": "TextBlock", "text": "${count(where(items, x, x.v > 1)) + 1}"},
            {"type": "TextBlock", "text": "${string(count(where(items, x, x.v > 1)))}"},
            {"type": "TextBlock", "text": "${if(true, count(where(items, x, x.v > 1)), 0)}"},
        ],
    }
    memo = engine.Memo()
    engine._compile(template, (), memo)
    mark_reused(memo.roots, memo.parsed)
    counts = [node for node in every_node(memo.roots) if node.kind == "count"]
    assert len(counts) == 1
    assert counts[0].reused
