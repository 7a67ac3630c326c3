"""setPathToValue: the value its own binding gets, the SDK's errors, and that it never changes
the caller's data or a compiled template (the SDK writes into the data: docs/templates.md).
The SDK's own answers are in the conformance corpus, group fn-setpath."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.cards import TemplateExpansionError, compile_template, expand


def test_setpathtovalue_gives_its_value_and_leaves_the_data_alone() -> None:
    data = {"total": 1, "items": [{"done": False}]}
    before = copy.deepcopy(data)
    template = compile_template(
        {
            "a": "${setPathToValue($root.total, 5)}",
            "b": "${setPathToValue($data.items[0].done, true)}",
            "c": "${setPathToValue(total, 7)}",
            # The SDK would show 5 and true here (it wrote into the data): the documented
            # difference. A plain path (`total`) it writes to a throwaway object, as here.
            "d": "${total} ${items[0].done}",
        }
    )
    for _ in range(2):  # a compiled template keeps nothing from one expansion to the next
        assert template.expand(data) == {"a": 5, "b": True, "c": 7, "d": "1 false"}
    assert data == before


@pytest.mark.parametrize(
    ("expression", "data", "message"),
    [
        ("foreach(items, i, setPathToValue(i.done, true))", {"items": [{}]}, "read-only"),
        ("setPathToValue($root.name.first, 'x')", {"name": "Ann"}, "on string"),
        ("setPathToValue($root.n.x, 1)", {"n": None}, "of null"),
        ("setPathToValue(concat('a'), 1)", {}, "not a valid path"),
        ("setPathToValue(items[flag], 1)", {"items": [1], "flag": True}, "int or string"),
    ],
)
def test_setpathtovalue_fails_where_the_sdk_does(
    expression: str, data: dict[str, Any], message: str
) -> None:
    with pytest.raises(TemplateExpansionError, match=message):
        expand({"v": "${" + expression + "}"}, data)


def test_setpathtovalue_ignores_what_the_sdk_ignores() -> None:
    data = {"list": [1], "n": None}
    template = {
        "past_the_end": "${setPathToValue($root.list[5], 1)}",
        "index_into_null": "${setPathToValue($root.n[0], 2)}",
        "under_missing": "${setPathToValue($root.missing.x, 3)}",
    }
    assert expand(template, data) == {"past_the_end": 1, "index_into_null": 2, "under_missing": 3}
