"""Each element shape is validated once per card, and the card is judged as if each element were.

`_schema_shapes` lets an element whose shape (its free strings replaced by one marker) already
passed in this card pass again unvalidated. These tests hold it to the reference validator
(`jsonschema`, which reports the problems and their paths) on cards of many alike elements,
where the cache is hit, and check what makes a string free."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.alert_groups import alert_group
from shared.cards import _schema
from shared.cards._schema_shapes import ShapeCache, constrained_keys, shape
from shared.cards.check import check_card
from shared.pipeline import inspect
from tests.cards.test_schema_fast import change, json_values, slow_valid

GROUP = inspect("alertmanager", alert_group(12), None).card


def alert(card: dict[str, Any], number: int) -> dict[str, Any]:
    containers = [e for e in card["body"] if str(e.get("id", "")).startswith("alert-")]
    found: dict[str, Any] = containers[number]
    return found


def test_the_shape_cache_is_on_for_the_adaptive_card_schema() -> None:
    _validate, shapes = _schema._fast_validator()
    assert shapes is not None


def test_a_group_of_alike_alerts_is_valid() -> None:
    assert _schema._fast_valid(GROUP) is True
    assert check_card(GROUP, "incoming") == []


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        (("items", 0, "size"), "Huge", "$.body[14].items[0].size"),
        (("items", 0, "text"), 5, "$.body[14].items[0].text"),
        (("items", 1, "spacing"), "lots", "$.body[14].items[1].spacing"),
        (("items", 1, "color"), "Purple", "$.body[14].items[1].color"),
        (("separator",), "yes", "$.body[14].separator"),
        (("items", 0, "type"), "TextBox", "$.body[14].items[0].type"),
    ],
)
def test_a_problem_in_the_last_of_alike_alerts_is_found_at_its_path(
    where: tuple[Any, ...], value: Any, path: str
) -> None:
    card = copy.deepcopy(GROUP)
    target: Any = alert(card, -1)
    assert card["body"].index(target) == 14
    *head, last = where
    for step in head:
        target = target[step]
    target[last] = value
    assert _schema._fast_valid(card) is False
    assert slow_valid(card) is False
    assert path in {problem.path for problem in check_card(card, "incoming")}


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 100_000), st.sampled_from(["replace", "delete", "add"]), json_values)
def test_any_change_to_one_of_alike_alerts_is_judged_as_jsonschema_judges_it(
    where: int, how: str, value: Any
) -> None:
    card = copy.deepcopy(GROUP)
    # A change in a late alert: the ones before it have filled the cache with their shape.
    late = alert(card, 8 + where % 4)
    change(late, where, how, value)
    assert _schema._fast_valid(card) == slow_valid(card)


def test_free_strings_share_a_shape_and_everything_else_tells_shapes_apart() -> None:
    constrained = frozenset({"size"})
    base = {"type": "TextBlock", "text": "a", "size": "Large", "wrap": True, "n": 1}
    assert shape(base, constrained) == shape({**base, "text": "something else"}, constrained)
    for other in (
        {**base, "size": "large"},
        {**base, "text": 1},
        {**base, "wrap": 1},
        {**base, "n": 1.0},
        {**base, "n": True},
        {**base, "extra": "a"},
        {key: value for key, value in base.items() if key != "wrap"},
        {**base, "text": ["a"]},
        {**base, "text": None},
    ):
        assert shape(other, constrained) != shape(base, constrained), other
    # A string in a list is never free: an item schema may read it.
    assert shape({"t": ["a"]}, constrained) != shape({"t": ["b"]}, constrained)


def test_a_property_is_constrained_by_what_any_of_its_schemas_reads() -> None:
    schema = {
        "definitions": {
            # A cycle through $ref: Loop reaches Sized only through Loop again.
            "Loop": {"anyOf": [{"$ref": "#/definitions/Loop"}, {"$ref": "#/definitions/Sized"}]},
            "Sized": {"allOf": [{"type": "string"}, {"maxLength": 3}]},
        },
        "properties": {
            "free": {"type": "string", "description": "anything"},
            "looped": {"$ref": "#/definitions/Loop"},
            "listed": {"enum": ["a", "b"]},
            "conditional": {"if": {"pattern": "^x"}, "then": {"type": "string"}},
        },
        "items": {"properties": {"free": {"type": "string"}, "nested": {"const": "x"}}},
    }
    assert constrained_keys(schema) == frozenset({"looped", "listed", "conditional", "nested"})


@pytest.mark.parametrize(
    "schema",
    [
        {"properties": {"a": {"type": "array", "uniqueItems": True}}},
        {"properties": {"a": {"enum": [{"x": 1}]}}},
        {"properties": {"a": {"const": ["x"]}}},
        {"additionalProperties": {"pattern": "^a"}},
        {
            "patternProperties": {"^x": {"$ref": "#/definitions/S"}},
            "definitions": {"S": {"enum": ["a"]}},
        },
        {"properties": {"a": {"$ref": "other.json#/definitions/S"}}},
    ],
)
def test_a_schema_that_compares_whole_values_or_unknown_keys_gets_no_shapes(
    schema: dict[str, Any],
) -> None:
    assert constrained_keys(schema) is None


def test_each_shape_is_validated_once_per_card_and_again_for_the_next_card() -> None:
    seen: list[Any] = []

    def validate(data: Any, custom_formats: Any = None, name_prefix: Any = None) -> Any:
        seen.append(data)
        return data

    shapes = ShapeCache(frozenset({"size"}))
    element = shapes.wrap(validate)
    cards = [
        {"type": "TextBlock", "text": "one"},
        {"type": "TextBlock", "text": "two"},
        {"type": "TextBlock", "text": "three", "size": "Large"},
    ]

    def judge() -> None:
        for card in cards:
            element(card, {}, "data")

    shapes.judging(judge)
    assert seen == [cards[0], cards[2]]
    shapes.judging(judge)
    assert len(seen) == 4
    element(cards[1], {}, "data")  # outside `judging`: no cache
    assert len(seen) == 5
