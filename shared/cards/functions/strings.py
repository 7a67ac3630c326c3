"""String functions, in UTF-16 positions as JavaScript counts them: concat, toUpper,
toLower, trim, substring, length, indexOf, lastIndexOf, replace, split, join,
startsWith, endsWith, countWord, addOrdinal and EOL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .. import _jsregex as jsregex
from .._js import (
    JS_WHITESPACE,
    UNDEFINED,
    JSTypeError,
    common_stringify,
    from_utf16,
    is_integer,
    is_nullish,
    js_trim,
    js_truthy,
    strict_equals,
    template_string,
    to_string,
    to_utf16,
    utf16_len,
)
from .._parser import CONSTANT, Node, render
from .._scope import EvalError, Fn, Scope, ValidationError
from .base import (
    ARRAY,
    BOOLEAN,
    NUMBER,
    OBJECT,
    STRING,
    FunctionTable,
    Spec,
    apply,
    arity_any,
    evaluate,
    order,
    sequence,
    string_arg,
    verify_container,
    verify_integer,
    verify_string_or_null,
)

_UNARY_STRING = arity_any(1, 2, STRING)

_unary_string = arity_any(1, 1, STRING)


def _concat(left: Any, right: Any) -> Any:
    if is_nullish(left) and is_nullish(right):
        return UNDEFINED
    if is_nullish(left) and isinstance(right, list):
        return right
    if is_nullish(right) and isinstance(left, list):
        return left
    if isinstance(left, list) and isinstance(right, list):
        return left + right
    return common_stringify(left) + common_stringify(right)


def _case(transform: Callable[[str], str]) -> Callable[[list[Any]], Any]:
    def run(args: list[Any]) -> Any:
        value = args[0]
        if isinstance(value, str) or value is UNDEFINED:
            return transform(string_arg(value))
        return UNDEFINED

    return run


# A word for titleCase: JavaScript's /\w\S*/ (ASCII \w, JavaScript's whitespace for \s).
_TITLE_WORD = re.compile("[A-Za-z0-9_][^" + re.escape(JS_WHITESPACE) + "]*")


def _upper_first_unit(text: str) -> str:
    """`text.charAt(0).toUpperCase() + text.substr(1)`: the first UTF-16 unit only (half of
    an astral character stays as it is)."""
    if not text or ord(text[0]) > 0xFFFF:
        return text
    return text[0].upper() + text[1:]


def _title_case(text: str) -> str:
    return _TITLE_WORD.sub(lambda word: _upper_first_unit(word.group()), text.lower())


def _sentence_case(text: str) -> str:
    return _upper_first_unit(text.lower())


def _reverse(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str):
        units = to_utf16(value)
        return from_utf16(list(reversed(units)) if isinstance(units, list) else units[::-1])
    if isinstance(value, list):
        # The SDK reverses the array in place, so later bindings see it reversed; the
        # engine never changes the caller's data and returns a reversed copy.
        return value[::-1]
    raise EvalError(f"{template_string(value)} is not a string or list.")


def _replace_ignore_case(args: list[Any]) -> Any:
    old = string_arg(args[1])
    if old == "":
        raise EvalError(f"{template_string(args[1])} should be a string with length at least 1")
    try:
        pattern = jsregex.compile_js(old, "gi")
    except ValueError:
        raise EvalError(f"{old} is a regular expression this engine cannot run") from None
    return jsregex.replace_js(pattern, string_arg(args[0]), string_arg(args[2]), True)


def _regex_flags(source: str) -> tuple[str, str]:
    """AEL's CommonRegex: inline `(?i)`, `(?m)`, `(?s)` become RegExp flags."""
    flags = ""
    for inline in ("(?i)", "(?m)", "(?s)"):
        if inline in source:
            flags += inline[2]
            source = source.replace(inline, "", 1)
    return source, flags


def _match_pattern(source: str) -> Any:
    if not source:
        raise ValueError(f"'{source}' is not a valid regex.")
    return jsregex.compile_js(*_regex_flags(source))


def _is_match(args: list[Any]) -> Any:
    try:
        pattern = _match_pattern(to_string(args[1]))
    except (ValueError, JSTypeError):
        raise EvalError(f"'{template_string(args[1])}' is not a valid regex.") from None
    text = to_string(args[0]) if js_truthy(args[0]) else ""
    return pattern.search(text) is not None


def _is_match_validate(node: Node) -> None:
    arity_any(2, 2, STRING)(node)
    second = node.children[1]
    if second.kind == CONSTANT and isinstance(second.value, str):
        try:
            _match_pattern(second.value)
        except ValueError:
            raise ValidationError(f"'{second.value}' is not a valid regex.") from None


def _substring_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        text = children[0](scope, subst)
        if text is UNDEFINED:
            return ""
        if not isinstance(text, str):
            raise EvalError(f"{render(node.children[0])} is neither a string nor a null object.")
        units = to_utf16(text)
        start = children[1](scope, subst)
        if not is_integer(start):
            raise EvalError(f"{render(node.children[1])} is not an integer.")
        if start < 0 or start > len(units):
            raise EvalError(f"{render(node.children[1])}={start} which is out of range for {text}")
        start = int(start)
        if len(children) == 2:
            length = len(units) - start
        else:
            length = children[2](scope, subst)
            if not is_integer(length):
                raise EvalError(f"{render(node.children[2])} is not an integer")
            if length < 0 or start + length > len(units):
                raise EvalError(f"{render(node.children[2])}={length} which is out of range")
            length = int(length)
        return from_utf16(units[start : start + length])

    return run


def _length(args: list[Any]) -> Any:
    return utf16_len(string_arg(args[0]))


def _js_index_of(haystack: str, needle: str, last: bool = False) -> int:
    """indexOf, or AEL's `lastIndexOf(needle, length - 1)`, in UTF-16 positions."""
    hay = to_utf16(haystack)
    need = to_utf16(needle)
    hay_text = hay if isinstance(hay, str) else "".join(hay)
    need_text = need if isinstance(need, str) else "".join(need)
    if not last:
        return hay_text.find(need_text)
    # A match may start at most at length - 1 (at 0 for an empty string).
    return hay_text.rfind(need_text, 0, max(len(hay_text) - 1, 0) + len(need_text))


def _index_of_build(last: bool) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            # AEL's IndexOf starts from -1 and returns it beside any error, its children's
            # included; `||` passes that value on.
            try:
                first, second = evaluate(node, children, scope, subst, None)
            except EvalError as error:
                raise EvalError(str(error), -1) from None
            if is_nullish(first) or isinstance(first, str):
                if second is UNDEFINED or isinstance(second, str):
                    return _js_index_of(string_arg(first), string_arg(second), last)
                raise EvalError(f"Can only look for indexof string in {render(node)}", -1)
            if isinstance(first, list):
                positions = [i for i, item in enumerate(first) if strict_equals(item, second)]
                if not positions:
                    return -1
                return positions[-1] if last else positions[0]
            raise EvalError(f"{render(node)} works only on string or list.", -1)

        return run

    return build


def _replace(args: list[Any]) -> Any:
    old = string_arg(args[1])
    if old == "":
        raise EvalError(f"{template_string(args[1])} should be a string with length at least 1")
    return string_arg(args[0]).replace(old, string_arg(args[2]))


def _split(args: list[Any]) -> Any:
    text = string_arg(args[0])
    separator = string_arg(args[1]) if len(args) > 1 and js_truthy(args[1]) else ""
    if separator == "":
        units = to_utf16(text)
        return list(units)
    return text.split(separator)


def _join_text(items: list[Any], separator: str) -> str:
    return separator.join("" if is_nullish(item) else to_string(item) for item in items)


def _join_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        args = evaluate(node, children, scope, subst, None)
        items = args[0]
        if not isinstance(items, list):
            raise EvalError(f"{render(node.children[0])} evaluates to a value which is not a list.")

        def separator(value: Any) -> str:
            return "," if value is UNDEFINED else template_string(value)

        if len(args) == 2:
            return _join_text(items, separator(args[1]))
        if len(items) < 3:
            return _join_text(items, separator(args[2]))
        head = _join_text(items[:-1], separator(args[1]))
        last = items[-1]
        return head + separator(args[2]) + ("" if is_nullish(last) else to_string(last))

    return run


_JS_WHITESPACE_RUN = re.compile("[" + re.escape(JS_WHITESPACE) + "]+")


def _count_word(args: list[Any]) -> Any:
    text = args[0] if isinstance(args[0], str) else ""
    return len(_JS_WHITESPACE_RUN.split(_JS_WHITESPACE_RUN.sub(" ", text).strip(" ")))


def _add_ordinal(args: list[Any]) -> Any:
    number = int(args[0])
    text = to_string(args[0])
    if number <= 0:
        return text
    if number % 100 in (11, 12, 13):
        return text + "th"
    return text + {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["concat"] = Spec(STRING | ARRAY, arity_any(1, 2**53), sequence(_concat))
    table["toUpper"] = Spec(STRING, _UNARY_STRING, apply(_case(str.upper), verify_string_or_null))
    table["toLower"] = Spec(STRING, _UNARY_STRING, apply(_case(str.lower), verify_string_or_null))
    table["trim"] = Spec(
        STRING, arity_any(1, 1, STRING), apply(_case(js_trim), verify_string_or_null)
    )
    table["substring"] = Spec(STRING, order([NUMBER], STRING, NUMBER), _substring_build)
    table["length"] = Spec(NUMBER, arity_any(1, 1, STRING), apply(_length, verify_string_or_null))
    table["indexOf"] = Spec(NUMBER, order([], STRING | ARRAY, OBJECT), _index_of_build(False))
    table["lastIndexOf"] = Spec(NUMBER, order([], STRING | ARRAY, OBJECT), _index_of_build(True))
    table["titleCase"] = Spec(
        STRING, _UNARY_STRING, apply(_case(_title_case), verify_string_or_null)
    )
    table["sentenceCase"] = Spec(
        STRING, _UNARY_STRING, apply(_case(_sentence_case), verify_string_or_null)
    )
    table["reverse"] = Spec(
        STRING | ARRAY, order([], STRING | ARRAY), apply(_reverse, verify_container)
    )
    table["replaceIgnoreCase"] = Spec(
        STRING, arity_any(3, 3, STRING), apply(_replace_ignore_case, verify_string_or_null)
    )
    table["isMatch"] = Spec(BOOLEAN, _is_match_validate, apply(_is_match, verify_string_or_null))
    table["replace"] = Spec(STRING, arity_any(3, 3, STRING), apply(_replace, verify_string_or_null))
    table["split"] = Spec(ARRAY, arity_any(1, 2, STRING), apply(_split, verify_string_or_null))
    table["join"] = Spec(STRING, order([STRING], ARRAY, STRING), _join_build)
    table["startsWith"] = Spec(
        BOOLEAN,
        arity_any(2, 2, STRING),
        apply(lambda a: string_arg(a[0]).startswith(string_arg(a[1])), verify_string_or_null),
    )
    table["endsWith"] = Spec(
        BOOLEAN,
        arity_any(2, 2, STRING),
        apply(lambda a: string_arg(a[0]).endswith(string_arg(a[1])), verify_string_or_null),
    )
    table["countWord"] = Spec(NUMBER, _unary_string, apply(_count_word, verify_string_or_null))
    table["addOrdinal"] = Spec(STRING, arity_any(1, 1, NUMBER), apply(_add_ordinal, verify_integer))
    table["EOL"] = Spec(STRING, arity_any(0, 0), apply(lambda _args: "\n"))
