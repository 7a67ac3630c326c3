"""The compiled schema validator (fastjsonschema) judges every card as the `jsonschema` one does.

`schema_problems` trusts the compiled validator for "no problem" and asks `jsonschema` for the
problems and their paths otherwise, so the two must agree on which cards are valid: on the
shipped templates' cards, on the known bad cards, and on random changes to both."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import catalog
from shared.cards import _schema
from shared.pipeline import inspect
from tests.support.paths import ROOT

BAD_CARDS = sorted((ROOT / "tests" / "fixtures" / "bad_cards").glob("*.json"))


def slow_valid(card: Any) -> bool:
    return not list(_schema._schema().validator.iter_errors(card))


def sample_cards() -> list[Any]:
    return [
        inspect(name, catalog.get(name).sample_data, None).card for name in catalog.template_names()
    ]


SAMPLES = sample_cards()


@pytest.mark.parametrize("card", SAMPLES, ids=catalog.template_names())
def test_the_shipped_cards_are_valid_for_both(card: Any) -> None:
    assert _schema._fast_valid(card) is True
    assert slow_valid(card) is True


@pytest.mark.parametrize("path", BAD_CARDS, ids=[p.stem for p in BAD_CARDS])
def test_the_known_bad_cards_are_judged_alike(path: Any) -> None:
    card = json.loads(path.read_text(encoding="utf-8"))
    card = card.get("card", card) if isinstance(card, dict) else card
    assert _schema._fast_valid(card) == slow_valid(card)


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            "Large",
            "large",
            "TextBlock",
            "Container",
            "Action.OpenUrl",
            "Action.Submit",
            "https://example.org",
            "Bolder",
            "auto",
            "stretch",
            "Full",
            "1.5",
            "Image",
            "FactSet",
        ]
    ),
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(["type", "text", "items", "size", "url", "x"]), children, max_size=3
        ),
    ),
    max_leaves=6,
)


def change(node: Any, where: int, how: str, value: Any) -> None:
    """Change `node` in place at one of its places below the top (picked by `where`): replace,
    delete, or add `value` there."""
    spots = places(node)[1:]
    *head, last = spots[where % len(spots)]
    parent = node
    for step in head:
        parent = parent[step]
    if how == "replace":
        parent[last] = value
    elif how == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent["x-added" if isinstance(last, str) else "type"] = value
    else:
        parent.insert(last, value)


def places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += places(value, (*path, index))
    return found


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(range(len(SAMPLES))),
    st.integers(0, 10_000),
    st.sampled_from(["replace", "delete", "add"]),
    json_values,
)
def test_any_change_to_a_card_is_judged_alike(which: int, where: int, how: str, value: Any) -> None:
    card = copy.deepcopy(SAMPLES[which])
    change(card, where, how, value)
    assert _schema._fast_valid(card) == slow_valid(card)


@pytest.mark.parametrize("card", SAMPLES, ids=catalog.template_names())
def test_validating_leaves_the_card_as_it_was(card: Any) -> None:
    # fastjsonschema writes schema defaults into the data unless told not to.
    before = json.dumps(card, sort_keys=True)
    _schema._fast_valid(card)
    assert json.dumps(card, sort_keys=True) == before


def test_the_compiled_schema_is_compiled_in_small_pieces() -> None:
    # compile() holds the interpreter lock for the whole text it is given, and so the event loop
    # of a process whose first big card is checked in a worker thread: the generated module is
    # compiled one function at a time, and without fastjsonschema's detailed exceptions (the
    # schema excerpt written into every `raise`) its largest function was 105 KB, now ~32 KB.
    code = _schema._fast_code(_schema._fast_schema(_schema.load_schema()))
    pieces = _schema.code_pieces(code)
    assert "".join(pieces) == code
    assert len(pieces) > 50
    assert max(len(piece) for piece in pieces) < 40_000
    assert "definition=" not in code  # no schema excerpts written into the raises
