"""jPath (JSPath queries): the language piece by piece and what the engine refuses on
purpose. (The SDK's own answers are in the conformance corpus, group fn-jpath, and in the
live random-query test.)"""

from __future__ import annotations

from typing import Any

import pytest

from shared.cards import TemplateExpansionError, expand
from shared.cards._js import UNDEFINED
from shared.cards.functions.jpath import BuiltInRead, JSPathError, compile_path, query

STORE: dict[str, Any] = {
    "books": [
        {"title": "Dune", "author": "Herbert", "price": 9.5, "tags": ["sf", "classic"]},
        {"title": "Emma", "author": "Austen", "price": 12, "tags": ["classic"]},
        {"title": "Neuromancer", "author": "Gibson", "price": 15, "tags": []},
    ],
    "owner": {"name": "Ann", "address": {"city": "Oslo"}},
    "limit": 10,
}


@pytest.mark.parametrize(
    ("path", "found"),
    [
        (".owner.name", ["Ann"]),
        (".books.title", ["Dune", "Emma", "Neuromancer"]),
        (".books.tags", ["sf", "classic", "classic"]),  # arrays spread one level
        ("..city", ["Oslo"]),
        (".owner.*", ["Ann", {"city": "Oslo"}]),
        ('."owner"."name"', ["Ann"]),
        (".books{.price > 10}.title", ["Emma", "Neuromancer"]),
        (".books{.price > ^.limit}.title", ["Emma", "Neuromancer"]),
        ('.books{.author == "AUSTEN"}.title', ["Emma"]),  # == ignores case between strings
        ('.books{.author === "AUSTEN"}.title', []),
        ('.books{.author !== "Austen"}.title', ["Dune", "Neuromancer"]),
        ('.books{.title ^= "n"}.title', ["Neuromancer"]),
        ('.books{.title ^== "n"}.title', []),
        ('.books{.title $= "MA"}.title', ["Emma"]),
        ('.books{.title *= "UNE"}.title', ["Dune"]),
        ('.books{"une" =* .title}.title', ["Dune"]),
        ('.books{.tags == "sf"}.title', ["Dune"]),  # any item of a list matches
        (".books{.tags}.title", ["Dune", "Emma"]),  # a path is true when it finds anything
        (".books{!.tags}.title", ["Neuromancer"]),
        (".books{.price > 10 && .price < 13}.title", ["Emma"]),
        (".books{.price < 10 || .price > 13}.title", ["Dune", "Neuromancer"]),
        (".books{.price * 2 > 20 + 3}.title", ["Emma", "Neuromancer"]),
        (".books{.price % 5 == 0}.title", ["Neuromancer"]),
        # `.tags` spreads each list: `.length` is each tag's length
        (".books{.tags.length > 1}.title", ["Dune", "Emma"]),
        (".books[1:].title", ["Emma", "Neuromancer"]),
        (".books[:-2].title", ["Dune"]),
        (".books[-1:].title", ["Neuromancer"]),
        ("(.owner.name | .books[0].title)", ["Ann", "Dune"]),
        (
            ".books(.title | .author)",
            ["Dune", "Emma", "Neuromancer", "Herbert", "Austen", "Gibson"],
        ),
        ("$missing", [UNDEFINED]),  # AEL passes no substitutions
        (".books.title.length", [4, 4, 11]),
    ],
)
def test_location_paths_and_predicates(path: str, found: list[Any]) -> None:
    assert query(STORE, path) == found


def test_a_path_ending_in_one_position_gives_the_item_or_undefined() -> None:
    assert query(STORE, ".books[0].title") == ["Dune"]
    assert query(STORE, ".books[-1]") == STORE["books"][2]
    assert query(STORE, ".books[3]") is UNDEFINED
    assert query(STORE, "(.books.title)[1]") == "Emma"


def test_descendants_are_listed_depth_first_in_document_order() -> None:
    data = {"a": 1, "b": [{"a": 2, "c": {"a": [3, 4]}}], "a2": {"a": 5}}
    assert query(data, "..a") == [1, 2, 3, 4, 5]
    assert query({"2": "two", "b": 1, "1": "one"}, ".*") == ["one", "two", 1]


def test_operators_follow_javascript() -> None:
    rows = [{"v": "10"}, {"v": 9}, {"v": [1, 2]}, {"v": None}, {"v": True}]
    assert query(rows, ".{.v > 9}") == [{"v": "10"}]  # a string against a number: numbers
    assert query(rows, '.{.v == "1,2"}') == []  # `.v` spreads [1, 2]: 1 and 2, not "1,2"
    assert query(rows, ".{.v == 1}") == [{"v": [1, 2]}, {"v": True}]  # any item; true == 1
    assert query(rows, ".{.v == null}") == [{"v": None}]
    assert query(rows, ".{.w == null}") == []  # nothing found is not null
    assert query([{"a": 7}], ".{8 / 4 / 2 == 4}") == [{"a": 7}]  # `/` nests to the right


@pytest.mark.parametrize(
    "path",
    ["", ".a[", ".a{", ".a[1+1]", "books", ".a.0", "..'a\"b'", ".{.a == 'x\ny'}", "$1", "$a@b"],
)
def test_paths_the_sdk_cannot_compile_are_errors(path: str) -> None:
    with pytest.raises(JSPathError):
        query(STORE, path)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"a": {}}, ".a.toString"),
        ({"a": {}}, "..constructor"),
        ({"a": 5}, ".a.toFixed"),
        ({}, "$valueOf"),
        ({"a": {}}, ".a.__proto__"),
    ],
)
def test_reading_a_javascript_builtin_is_refused(data: Any, path: str) -> None:
    # The SDK would put a function (or Object.prototype) into the card.
    with pytest.raises(BuiltInRead):
        query(data, path)
    with pytest.raises(TemplateExpansionError, match="built-in"):
        expand({"v": "${jPath(d, p)}"}, {"d": data, "p": path})


def test_each_path_is_compiled_once() -> None:
    compile_path.cache_clear()
    first = compile_path(".books{.price > 10}.title")
    assert compile_path(".books{.price > 10}.title") is first
    assert isinstance(compile_path(".a["), JSPathError)
    assert compile_path.cache_info().hits == 1
    # A path that does not compile is remembered too, and raises a fresh error each time.
    errors = []
    for _ in range(2):
        with pytest.raises(JSPathError) as raised:
            query(STORE, ".a[")
        errors.append(raised.value)
    assert errors[0] is not errors[1]
    assert compile_path.cache_info().hits == 3


def test_jpath_in_a_template() -> None:
    template = {
        "type": "AdaptiveCard",
        "body": [
            {
                "type": "TextBlock",
                "text": "${join(jPath($root, '.books{.price > 10}.title'), ', ')}",
            },
            {"type": "TextBlock", "text": "Cheapest: ${jPath($root, '.books[0].title')}"},
            {"type": "TextBlock", "text": "${jPath('{\"x\": [1, 2]}', '.x')}"},
        ],
    }
    card = expand(template, STORE)
    assert [block["text"] for block in card["body"]] == [
        "Emma, Neuromancer",
        "Cheapest: Dune",
        [1, 2],
    ]


def test_jpath_errors_name_the_problem() -> None:
    with pytest.raises(TemplateExpansionError, match="is not a valid path"):
        expand({"v": "${jPath($root, '.books[')}"}, STORE)
    with pytest.raises(TemplateExpansionError, match="should be either an object or a string"):
        expand({"v": "${jPath(limit, '.a')}"}, STORE)
    with pytest.raises(TemplateExpansionError, match="not a valid json string"):
        expand({"v": "${jPath(owner.name, '.a')}"}, STORE)
