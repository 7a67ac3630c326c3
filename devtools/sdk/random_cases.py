"""Seeded random templates for the differential test: expressions built from the grammar,
odd token soups for syntax errors, and nested $data/$when structures.

Two things are left out on purpose, as known differences: `^` with a fractional exponent
(V8's Math.pow and C's pow can differ in the last bit) and dates JavaScript parses with its
legacy heuristics (a bare "42" is the year 2042 there; here it is no date).
"""

from __future__ import annotations

import random
from typing import Any

DATA: dict[str, Any] = {
    "n": 5,
    "f": 2.5,
    "z": 0,
    "neg": -3,
    "s": "Hello World",
    "e": "",
    "b": True,
    "nb": False,
    "nul": None,
    "l": [1, 2, 3],
    "ls": ["a", "B", "c"],
    "lo": [{"name": "x", "v": 1, "tags": ["a", "b"]}, {"name": "y", "v": 2, "tags": []}],
    "o": {"k": "v", "Num": 7, "inner": {"deep": [1, {"q": "w"}]}},
    "ts": "2024-02-29T13:45:00.000Z",
    "d": "2024-12-31",
    "flt_s": "3.75",
    "js": '{"a": [1, 2]}',
    "@x": 3,
    "#y": 4,
}
ATOMS = (
    "n f z neg s e b nb nul l ls lo o o.k o.Num o.inner.deep[1].q lo[0].name ls[1] missing "
    "o.missing ts d flt_s js 1 0 2 -1 'abc' '' \"q\" true false null $index $root.n $host.h "
    "l[5] o['k'] O.K S @x #y"
).split()
FUNCTIONS = {
    1: "exists empty string int float bool toUpper toLower trim length count first last json "
    "not sum average min max formatDateTime jsonStringify abs floor ceiling round isString "
    "isArray isObject isInteger isFloat isBoolean createArray coalesce concat sortBy unique "
    "flatten indicesAndValues merge sqrt addOrdinal countWord uriComponent year dayOfWeek "
    "startOfDay".split(),
    2: "equals concat contains startsWith endsWith indexOf lastIndexOf split join substring "
    "formatNumber formatDateTime addDays addHours and or coalesce add sub mul div mod greater "
    "less take skip max min round string sortByDescending union intersection subArray range "
    "flatten merge startOfMonth".split(),
    3: "if replace substring join concat coalesce formatNumber subArray addToTime "
    "subtractFromTime".split(),
}
OPERATORS = "+ - * / % == != < <= > >= && || & ??".split()
LAMBDAS = (
    "any(l, i, i > 2)",
    "all(lo, x, x.v > 0)",
    "select(lo, x, x.name)",
    "where(l, i, i > 1)",
    "foreach(o, kv, kv.key)",
    "where(lo, x, x.v == n - 4)",
    "select(ls, x => toUpper(x))",
)
SOUP = (
    "a b.c x ( ) [ ] { } , . + - ! % %x 7%3 == <> => ? : ?? & && || 's' \"d\" `t` 1 2.5 $ ${ "
    "} \\${ @x #y $root $data true null if( concat( 'un = < >="
).split()


def expression(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 2 or roll < 0.35:
        return rng.choice(ATOMS)
    if roll < 0.6:
        count = rng.choice((1, 1, 2, 2, 3))
        args = ", ".join(expression(rng, depth + 1) for _ in range(count))
        return f"{rng.choice(FUNCTIONS[count])}({args})"
    if roll < 0.8:
        return f"{expression(rng, depth + 1)} {rng.choice(OPERATORS)} {expression(rng, depth + 1)}"
    if roll < 0.87:
        return f"!{expression(rng, depth + 1)}"
    if roll < 0.92:
        return f"({expression(rng, depth + 1)})"
    if roll < 0.96:
        parts = [expression(rng, depth + 1) for _ in range(3)]
        return f"{parts[0]} ? {parts[1]} : {parts[2]}"
    return rng.choice(LAMBDAS)


def expression_case(rng: random.Random) -> dict[str, Any]:
    text = expression(rng)
    shape = rng.random()
    if shape < 0.5:
        template: Any = {"v": "${" + text + "}"}
    elif shape < 0.8:
        template = {"v": "pre ${" + text + "} post"}
    else:
        template = {"b": [{"$data": "${lo}", "$when": "${" + text + "}", "t": "${name}"}]}
    return {"template": template, "data": DATA, "host": {"h": "H"}}


def soup_case(rng: random.Random) -> dict[str, Any]:
    inner = "".join(rng.choice(SOUP) for _ in range(rng.randint(1, 7)))
    shape = rng.choice(("${%s}", "x ${%s} y", "%s", "${a} %s ${b}", "${%s}${%s}"))
    return {"template": {"v": shape.replace("%s", inner)}, "data": DATA, "host": None}


DATA_CONTEXTS: tuple[Any, ...] = (
    "${lo}",
    "${o}",
    "${missing}",
    "${s}",
    "${n}",
    "${nul}",
    "${tags}",
    "${$root.lo}",
    "${$data}",
    "${lo[0].tags}",
    [1, 2],
    {"k": 1},
    "lit",
    0,
    None,
    "${where(lo, i, i.v > 1)}",
)
CONDITIONS: tuple[Any, ...] = (
    "${v > 1}",
    "${exists(tags)}",
    "${b}",
    "${$index == 0}",
    "${empty(tags)}",
    True,
    False,
    "x",
    "${missing}",
    "${v}",
    "${!nul}",
)
VALUES: tuple[Any, ...] = (
    "${v}",
    "${$index}",
    "${$data}",
    "${tags}",
    "${name}",
    "t=${v}",
    "${$root.s}",
    "${count(tags)}",
    "plain",
    5,
    None,
    True,
    [1, None, [2]],
    "${$host.h}",
)


def node(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice(VALUES)
    if roll < 0.55:
        return [node(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    element: dict[str, Any] = {}
    if rng.random() < 0.5:
        element["$data"] = rng.choice(DATA_CONTEXTS)
    if rng.random() < 0.35:
        element["$when"] = rng.choice(CONDITIONS)
    for key in rng.sample(["a", "b", "c", "$index", "$root"], rng.randint(1, 3)):
        element[key] = node(rng, depth + 1)
    return element


def structure_case(rng: random.Random) -> dict[str, Any]:
    return {"template": {"body": [node(rng, 0) for _ in range(3)]}, "data": DATA, "host": {"h": 1}}


def random_cases(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    makers = (expression_case, soup_case, structure_case)
    return [makers[index % 3](rng) for index in range(count)]
