"""Seeded random jPath queries for the differential test: JSPath paths built from the
grammar (selectors, predicates with every operator, positions, unions), some with one
character changed so that many do not parse, over random JSON and over lists of records.

Each case is a template `{"v": "${jPath(d, p)}"}` with the data and the path in its data, so
the SDK's expand.js runs it like any other case. Names of JavaScript built-ins (`toString`,
`constructor`) are left out: there the engine refuses on purpose (docs/templates.md).
"""

from __future__ import annotations

import json
import random
from typing import Any

NAMES = ("a", "b", "c", "name", "Name", "x", "length", "0", "1", "id", "tags")
SCALARS = (0, 1, 2, -1, 2.5, "a", "A", "abc", "ABC", "", "1", "10", "b", True, False, None)
LITERALS = '1 0 -1 2.5 .5 true false null "a" \'A\' "abc" "1" "10" "" "b" \'x y\''.split(" ")
OPERATORS = "== != === !== ^== ==^ ^= =^ $== ==$ $= =$ *== ==* *= =* < > <= >=".split()
POSITIONS = ("0", "1", "-1", "-2", "1:", ":2", "1:3", "-2:", "0:-1", "5", "'1'", "(1)", "-0")
STARTS = (".", "..", ".a", ".b", "..a", ".*")
NOISE = ".[]{}()'\"|=!^$*<>:-,a1 "


def value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice(SCALARS)
    if roll < 0.6:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(NAMES): value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def record(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    names = rng.sample((*NAMES[:6], "id"), rng.randint(2, 6))
    item = {name: value(rng, 3) for name in names}
    if depth < 2 and rng.random() < 0.5:
        item[rng.choice(("a", "b", "tags"))] = [
            record(rng, depth + 1) for _ in range(rng.randint(0, 3))
        ]
    return item


def expression(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 2 or roll < 0.3:
        return rng.choice((rng.choice(LITERALS), path(rng, depth + 1, relative=True)))
    if roll < 0.6:
        op = rng.choice(OPERATORS)
        return f"{expression(rng, depth + 1)} {op} {expression(rng, depth + 1)}"
    if roll < 0.7:
        op = rng.choice(("&&", "||"))
        return f"{expression(rng, depth + 1)} {op} {expression(rng, depth + 1)}"
    if roll < 0.8:
        op = rng.choice("+-*/%")
        return f"{expression(rng, depth + 1)} {op} {expression(rng, depth + 1)}"
    if roll < 0.9:
        return rng.choice("!-") + expression(rng, depth + 1)
    return f"({expression(rng, depth + 1)})"


def part(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if roll < 0.45:
        name = rng.choice((*NAMES[:7], "*", '"a"', "'0'", "", "x"))
        return rng.choice((".", "..")) + name
    if roll < 0.7:
        return "{" + expression(rng, depth) + "}"
    if roll < 0.9:
        return "[" + rng.choice(POSITIONS) + "]"
    return f"({path(rng, depth + 1)}|{path(rng, depth + 1)})"


def path(rng: random.Random, depth: int = 0, relative: bool = False) -> str:
    start = rng.choice(("", "", "", "^", "$x")) if not relative or depth < 2 else ""
    parts = [part(rng, depth) for _ in range(rng.randint(1, 4 if depth < 2 else 2))]
    if not start and not parts[0].startswith("."):
        parts.insert(0, rng.choice(STARTS))
    return start + "".join(parts)


def query(rng: random.Random) -> str:
    text = path(rng)
    if rng.random() < 0.3:
        text = f"({text}|{path(rng)})" + rng.choice(("", "[0]", "{.a}"))
    if rng.random() < 0.2:
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice(NOISE) + text[at + 1 :]
    return text


def data(rng: random.Random) -> Any:
    if rng.random() < 0.6:
        records = [record(rng) for _ in range(rng.randint(1, 5))]
        if rng.random() < 0.3:
            return records
        return {"a": records, "b": record(rng), "c": value(rng, 1)}
    found = value(rng)
    while not isinstance(found, dict | list) and rng.random() < 0.9:
        found = value(rng)
    return json.dumps(found) if rng.random() < 0.05 else found


def random_jpath_cases(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "template": {"v": "${jPath(d, p)}"},
            "data": {"d": data(rng), "p": query(rng)},
            "host": None,
        }
        for _ in range(count)
    ]
