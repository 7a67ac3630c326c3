"""The generated tier (shared/cards/_codegen.py) against the closures it replaces: the same
card, the same error with the same path and message, the same unresolved bindings in strict
mode and the same repeat spans, on the whole conformance corpus, the seeded random templates
of the differential test, every shipped template with every payload, and random data."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.sdk import reference
from devtools.sdk.random_cases import random_cases
from devtools.sdk.random_jpath import random_jpath_cases
from shared.cards import CompiledTemplate, TemplateError
from shared.cards import template as engine
from tests.cards.test_conformance import SHIPPED

CASES = reference.load_cases()


def compiled(template: Any, *, generated: bool) -> CompiledTemplate:
    """A compiled template on one tier: closures only, or generated from the first expansion."""
    return CompiledTemplate(template, tier_up_after=0 if generated else 10**9)


def is_generated(template: CompiledTemplate) -> bool:
    return template._generated is not None


def outcome(
    template: CompiledTemplate, data: Any, host: Any, *, strict: bool = False
) -> tuple[Any, ...]:
    """What an expansion gives, with its types as JSON sees them (3 and 3.0 differ)."""
    try:
        expansion = template.expand_traced(data, host, strict=strict)
    except TemplateError as error:
        return ("error", type(error).__name__, str(error), getattr(error, "bindings", None))
    except TypeError as error:  # a key that is no text: dict_get's own failure, on both
        return ("raised", type(error).__name__, str(error))
    return ("ok", json.dumps(expansion.value, allow_nan=True), expansion.repeats)


def both(
    template: Any, data: Any, host: Any, **options: Any
) -> tuple[tuple[Any, ...], tuple[Any, ...], bool]:
    try:
        closures = compiled(template, generated=False)
        generated = compiled(template, generated=True)
    except TemplateError as error:
        return ("syntax", str(error)), ("syntax", str(error)), False
    first = outcome(closures, data, host, **options)
    second = outcome(generated, data, host, **options)
    return first, second, is_generated(generated)


def assert_same_on(cases: list[dict[str, Any]], *, strict: bool = False) -> int:
    """Every case on both tiers; returns how many ran generated code."""
    differences = []
    generated = 0
    for case in cases:
        closures, code, ran = both(case["template"], case["data"], case["host"], strict=strict)
        generated += ran
        if closures != code:
            name = case.get("name", json.dumps(case["template"]))
            differences.append(f"{name}: {closures} != {code}")
    assert not differences, "\n".join(differences[:5])
    return generated


@pytest.mark.parametrize("strict", [False, True])
def test_conformance_corpus_is_the_same_on_both_tiers(strict: bool) -> None:
    assert assert_same_on(CASES, strict=strict) > len(CASES) // 2


@pytest.mark.parametrize("strict", [False, True])
def test_random_templates_are_the_same_on_both_tiers(strict: bool) -> None:
    cases = random_cases(seed=20261124, count=3000) + random_jpath_cases(seed=20261203, count=500)
    assert assert_same_on(cases, strict=strict) > 1000


@pytest.mark.parametrize("strict", [False, True])
def test_shipped_templates_with_every_payload_are_the_same_on_both_tiers(strict: bool) -> None:
    assert assert_same_on(SHIPPED, strict=strict) == len(SHIPPED)


# --- random data for the shipped templates -------------------------------------------------

SHIPPED_TEMPLATES = {case["name"].split()[2]: case for case in SHIPPED}

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 2.5e-7, 1e21, 4.4, "", "x", "Hello", "2024-02-29T13:45:00Z"]),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in `value` a change can go: each key and index, containers included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from leaves(item, (*path, index))


@st.composite
def changed_data(draw: st.DrawFn) -> tuple[str, Any]:
    """A shipped template's sample data with a few random changes: a value replaced by
    another of any type, a key dropped, or a key written in other letter case beside it."""
    name = draw(st.sampled_from(sorted(SHIPPED_TEMPLATES)))
    data = json.loads(json.dumps(SHIPPED_TEMPLATES[name]["data"]))
    places = list(leaves(data))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent = data
        for step in path[:-1]:
            try:
                parent = parent[step]
            except (KeyError, IndexError, TypeError):
                parent = None
                break
        last = path[-1]
        if not isinstance(parent, dict | list):
            continue
        if isinstance(parent, list) and not (isinstance(last, int) and last < len(parent)):
            continue
        if isinstance(parent, dict) and last not in parent:
            continue
        action = draw(st.sampled_from(["replace", "drop", "case"]))
        if action == "replace":
            parent[last] = draw(VALUES)
        elif action == "drop" and isinstance(parent, dict):
            del parent[last]
        elif action == "case" and isinstance(parent, dict) and isinstance(last, str):
            # A key differing only in case: dict_get takes the first in the object's order.
            items = list(parent.items())
            twin = (last.swapcase(), draw(VALUES))
            position = draw(st.integers(min_value=0, max_value=len(items)))
            items.insert(position, twin)
            parent.clear()
            parent.update(items)
    return name, data


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(changed=changed_data(), strict=st.booleans())
def test_shipped_templates_on_random_data_are_the_same_on_both_tiers(
    changed: tuple[str, Any], strict: bool
) -> None:
    name, data = changed
    case = SHIPPED_TEMPLATES[name]
    closures, code, ran = both(case["template"], data, case["host"], strict=strict)
    assert ran
    assert closures == code


# --- what the fast paths check -------------------------------------------------------------


FAST_FORMS = {
    "type": "AdaptiveCard",
    "body": [
        {"type": "TextBlock", "text": "${concat('Hi ', if(exists(name), name, 'there'))}"},
        {"type": "TextBlock", "text": "${items[0].t * 1000 / 5 * 9 / 1000 + 32} / ${items[1].t}"},
        {"type": "TextBlock", "text": "${value}", "size": "Small"},
        {"type": "TextBlock", "text": "${a / b} ${a - b} ${a + b} ${a * b}"},
        {"type": "Fact", "value": "${concat(name, '!', name)}"},
        {"type": "Image", "url": "${items[0].url}", "$when": "${exists(items[0].url)}"},
    ],
}

DATA_VARIANTS: list[Any] = [
    {"name": "Ann", "items": [{"t": 4.4, "url": "u"}, {"t": -2.5}], "value": 3, "a": 7, "b": 2},
    {"Name": "first", "name": "second", "items": [{"T": 1}, {"t": 2}], "value": 1.0},
    {"name": 5, "items": [{"t": "4"}, {}], "value": [1, {"x": None}], "a": 7.5, "b": 0},
    {"name": None, "items": {"0": {"t": 2**60}}, "value": 2**60, "a": 2**53, "b": 3},
    {"items": [{"t": math.inf}, {"t": math.nan}], "value": -0.0, "a": True, "b": None},
    {"name": "x", "items": "text", "value": {"nested": [1.5, 2**70]}, "a": 1e308, "b": 1e-308},
    {"name": ["a", "b"], "items": [None], "a": -9, "b": 2},
    {1: "a key that is no text", "name": "n", "items": [{"t": 1}]},
    [1, 2],
    "text",
    None,
]


@pytest.mark.parametrize("data", DATA_VARIANTS, ids=[str(i) for i in range(len(DATA_VARIANTS))])
@pytest.mark.parametrize("strict", [False, True])
def test_fast_forms_give_what_the_closures_give(data: Any, strict: bool) -> None:
    closures, code, ran = both(FAST_FORMS, data, {"h": 1}, strict=strict)
    assert ran
    assert closures == code


def test_first_key_that_matches_ignoring_case_wins() -> None:
    template = compiled(
        {"a": "${name}", "b": "${NAME} ${nAme}", "c": "${x.y.z}", "d": "${x.Y.q}", "e": "${x.y.w}"},
        generated=True,
    )
    data = {"Name": 1, "name": 2, "x": {"y": {"z": 1, "Q": 2, "W": 3}, "Y": {"q": 4}}}
    assert template.expand(data) == {"a": 1, "b": "1 1", "c": 1, "d": 2, "e": 3}
    assert is_generated(template)


def test_each_expansion_gets_its_own_card() -> None:
    template = compiled(
        {"static": {"list": [1, {"a": "b"}]}, "value": "${x}", "text": "${x.k}"},
        generated=True,
    )
    data = {"x": {"k": [1, 2]}}
    first = template.expand(data)
    first["static"]["list"][1]["a"] = "changed"
    first["value"]["k"].append(3)
    first["text"].append(4)
    second = template.expand(data)
    assert is_generated(template)
    assert second == {"static": {"list": [1, {"a": "b"}]}, "value": {"k": [1, 2]}, "text": [1, 2]}
    assert data == {"x": {"k": [1, 2]}}


def test_a_template_changed_after_compiling_expands_as_compiled() -> None:
    source: dict[str, Any] = {"a": "${x}", "b": {"c": "plain"}, "d": ["${y}", 1]}
    template = compiled(source, generated=True)
    source["a"] = "${y}"
    source["b"]["c"] = "changed"
    source["d"].append("more")
    assert template.expand({"x": 1, "y": 2}) == {"a": 1, "b": {"c": "plain"}, "d": [2, 1]}
    assert is_generated(template)


def test_errors_name_the_same_path_on_both_tiers() -> None:
    template = {"body": [{"text": "${x / 0}"}, {"text": "${y.z * 2}"}]}
    closures, code, ran = both(template, {"x": 4, "y": {"z": "a"}}, None)
    assert ran
    assert closures == code
    assert closures[0] == "error"
    assert "$.body[0].text" in closures[2]


def test_a_template_tiers_up_only_after_it_is_reused() -> None:
    assert engine.TIER_UP_AFTER == 2
    template = CompiledTemplate({"a": "${x}"})
    for _ in range(2):
        assert template.expand({"x": 1}) == {"a": 1}
        assert not is_generated(template)
    assert template.expand({"x": 1}) == {"a": 1}
    assert is_generated(template)


def test_a_card_with_data_at_its_root_keeps_its_closures() -> None:
    template = compiled({"$data": "${items}", "a": "${x}"}, generated=True)
    assert template.expand({"items": [{"x": 1}, {"x": 2}]}) == [{"a": 1}, {"a": 2}]
    assert not is_generated(template)


ARITHMETIC = {
    "chain": "${x * 1000 / 5 * 9 / 1000 + 32}",
    "text": "${x / 3} ${x * 0} ${x - y} ${y / x} ${x + y * 2} ${x / 2 / 2}",
    "single": "${x * y}",
    "list": ["${x / y}", "${0 - x}", "${(x + 0.5) / 0.25}"],
    "branch": "${if(exists(y), y * 2, x / 10)}",
}
NUMBERS = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -0.0, 0.0, 1, -1, 2**53, 2**53 + 1, -(2**53), 1e308, 5e-324, 4.4, 0.1]),
    st.none(),
    st.booleans(),
    st.sampled_from(["3", "", "x"]),
)


@settings(max_examples=500, deadline=None)
@given(x=NUMBERS, y=NUMBERS, strict=st.booleans())
def test_arithmetic_is_the_same_on_both_tiers(x: Any, y: Any, strict: bool) -> None:
    closures, code, ran = both(ARITHMETIC, {"x": x, "y": y}, None, strict=strict)
    assert ran
    assert closures == code
