"""Tokenizer and parser for Adaptive Expressions, the language inside `${...}`.

The grammar, operator precedence and lexing rules are those of Microsoft's
adaptive-expressions (its ANTLR grammar), including its oddities: comparisons bind
looser than `==` and `&`, and `7%3` is a syntax error because `%3` lexes as a name.
The parser builds a tree of `Node`s; nothing here evaluates anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from ._js import JS_WHITESPACE, UNDEFINED, js_trim, json_stringify, number_to_string

# Expression kinds that are not function names.
ACCESSOR: Final = "Accessor"
# `a.b.c` as one node (value: the names): the same meaning as the Accessor chain AEL
# builds, made in one step because templates are full of such paths.
PATH: Final = "Path"
ELEMENT: Final = "Element"
CONSTANT: Final = "Constant"
CONCAT: Final = "concat"


class ExpressionSyntaxError(ValueError):
    """The text is not a valid expression."""


class _LexError(ExpressionSyntaxError):
    """A character no token starts with (such as a quote that never closes)."""


@dataclass(eq=False, slots=True)
class Node:
    """One expression: a constant, a property access, an index access or a function call."""

    kind: str
    children: list[Node] = field(default_factory=list)
    value: Any = None
    # Set once the parse-time checks passed, so a tree shared by identical bindings of
    # one template is checked once.
    checked: bool = False
    # Set when its value may be reused within an expansion (`_reuse.mark_reused`).
    reused: bool = False

    def __str__(self) -> str:
        return render(self)


def const(value: Any) -> Node:
    return Node(CONSTANT, [], value)


def render(node: Node) -> str:
    """AEL's Expression.toString(): the text the SDK substitutes for a failed binding."""
    if node.kind == PATH:
        return ".".join(node.value)
    if node.kind == CONSTANT:
        return _render_constant(node.value)
    if node.kind == ACCESSOR and node.children and node.children[0].kind == CONSTANT:
        prop = node.children[0].value
        if isinstance(prop, str):
            if len(node.children) == 1:
                return prop
            if len(node.children) == 2:
                return f"{render(node.children[1])}.{prop}"
    if node.kind == ELEMENT and len(node.children) == 2:
        return f"{render(node.children[0])}[{render(node.children[1])}]"
    infix = bool(node.kind) and not node.kind[0].isalpha() and len(node.children) >= 2
    separator = f" {node.kind} " if infix else ", "
    inner = separator.join(render(child) for child in node.children)
    return f"({inner})" if infix else f"{node.kind}({inner})"


def _render_constant(value: Any) -> str:
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\")
        # AEL reverses the string to emulate a look-behind; the effect is `'` -> `\'`
        # except where a backslash already follows the quote.
        out = []
        for index, char in enumerate(escaped):
            if char == "'" and not (index + 1 < len(escaped) and escaped[index + 1] == "\\"):
                out.append("\\'")
            else:
                out.append(char)
        return "'" + "".join(out) + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_to_string(value)
    return json_stringify(value) or ""


# ---------------------------------------------------------------------------
# Lexer

# The default lexer mode. ANTLR takes the longest match and, on a tie, the rule defined
# first; the `%` look-ahead below gives the same tokens (`%` alone is the operator, `%x` an
# identifier; a lone `\r` is invalid), and the alternatives start with different characters,
# so their order only decides speed: the commonest tokens first. A dotted run of names is
# one "path" token. Nothing here backtracks (possessive repeats, strings as unrolled loops):
# templates are full of long paths and quoted texts, and re's backtracking per character
# was most of the lexing time.
_NAME: Final = r"(?:[A-Za-z_#$]|@@?+|%(?=[A-Za-z0-9_]))[A-Za-z0-9_]*+"
_ONE_TOKEN: Final = (
    r"(?:[(),]|" + _NAME + r"(?:\." + _NAME + r")*+"
    r"|'[^'\\]*+(?:\\[\s\S][^'\\]*+)*+'"
    r"|&&|\|\||==|!=|<>|<=|>=|=>|\?\?|[-+!^*/&<>.\[\]{}:?%]"
    r'|"[^"\\]*+(?:\\[\s\S][^"\\]*+)*+"'
    r"|[0-9]++(?:\.[0-9]+)?+)"
)
_SPACE: Final = r"(?:[ \t\ufeff\u00a0\n]|\r\n)"
# The token texts of a text without backticks, in one C call (findall). Only plain spaces
# are matched before a token; findall skips any other character, such as a tab or one no
# token starts with, so _ALL_TOKENS checks the texts that hold one (_skipped_characters).
_TOKEN_TEXTS: Final = re.compile(r" *+(" + _ONE_TOKEN + r")")
_ALL_TOKENS: Final = re.compile(r"(?:" + _ONE_TOKEN + r"|" + _SPACE + r")*+")
# One token at a position, for the scan that must stop at backticks and bad characters.
_TOKEN_AT: Final = re.compile(
    _SPACE + r"*+(?:(?P<token>" + _ONE_TOKEN + r")|(?P<interp>`)|(?P<bad>[^ \t\ufeff\u00a0\n]))"
)
_IDENT_START: Final = re.compile(r"(?:@@|[A-Za-z_#@$%])[A-Za-z0-9_]*")

# A token is its text: an operator's text is never that of another kind of token, so the
# parser compares texts, and the kind, where it matters, follows from the first character
# (see _kind). "" ends the list; an interpolation's token is a backtick and a number that
# names its node (see _Lexer.interpolations).
_END: Final = ""
_KIND_OF_FIRST: Final = {
    **dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_#@$", "ident"),
    **dict.fromkeys("0123456789", "number"),
    "'": "string",
    '"': "string",
    "`": "interp",
    "": "end",
}


@lru_cache(maxsize=4096)  # a template's tokens repeat (names, punctuation): a C look-up
def _kind(token: str) -> str:
    """The token's kind: ident, path, number, string, interp, op or end."""
    kind = _KIND_OF_FIRST.get(token[:1])
    if kind is None:
        if token[0] != "%" or len(token) == 1:
            return "op"
        kind = "ident"
    if kind == "ident" and "." in token:
        return "path"
    return kind


def _match_string(text: str, start: int) -> int:
    """End index of a quoted STRING token at `start`, or -1."""
    quote = text[start]
    index = start + 1
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\\" and index + 1 < length and text[index + 1] in (quote, "\\"):
            index += 2
            continue
        if char == quote:
            return index + 1
        index += 1
    return -1


def _match_identifier(text: str, start: int) -> int:
    match = _IDENT_START.match(text, start)
    return match.end() if match else -1


def _match_object_definition(text: str, start: int) -> int:
    """End of the lexer fragment OBJECT_DEFINITION at `start` (a `{`), or -1."""
    index = start + 1
    length = len(text)
    while index < length:
        char = text[index]
        # The fragment allows WHITESPACE, but that rule is switched off inside a template
        # string (ANTLR's ignoreWS predicate), where this fragment is used: no spaces here.
        if char == "}":
            return index + 1
        is_string = char in "'\""
        key_end = _match_string(text, index) if is_string else _match_identifier(text, index)
        if key_end < 0 or key_end >= length or text[key_end] != ":":
            return -1
        index = key_end + 1
        values = 0
        while index < length:
            char = text[index]
            if char in "'\"":
                end = _match_string(text, index)
                if end < 0:
                    return -1
                index = end
            elif char == "{":
                end = _match_object_definition(text, index)
                if end < 0:
                    return -1
                index = end
            elif char in "}\r\n`":
                break
            else:
                index += 1
            values += 1
        if values == 0:
            return -1
    return -1


def _match_template(text: str, start: int) -> int:
    """End of a TEMPLATE token (`${...}`) at `start`, or -1 when there is none."""
    if not text.startswith("${", start):
        return -1
    simple = _SIMPLE_TEMPLATE.match(text, start)
    if simple is not None:
        return simple.end()
    index = start + 2
    length = len(text)
    parts = 0
    while index < length:
        char = text[index]
        if char == "}":
            return index + 1 if parts else -1
        if char in "'\"":
            end = _match_string(text, index)
        elif char == "{":
            end = _match_object_definition(text, index)
        elif char in "\r\n`":
            return -1
        else:
            end = index + 1
        if end < 0:
            return -1
        index = end
        parts += 1
    return -1


_STRING_BODY: Final = (
    r"'(?:\\['\\]|\\(?!['\\])|[^'\\])*'" + "|" + r'"(?:\\["\\]|\\(?!["\\])|[^"\\])*"'
)
# A `${...}` without object literals (nearly all of them): strings and plain characters.
_SIMPLE_TEMPLATE: Final = re.compile(r"\$\{(?:" + _STRING_BODY + r"|[^\r\n{}'\"`])+\}")
# Where something other than plain text may start inside a backtick string.
_INTERPOLATION_SPECIAL: Final = re.compile(r"[`$\\]")


def _unescape_string(body: str, quote: str) -> str:
    if "\\" not in body:  # nearly every string literal: nothing to unescape
        return body
    body = body.replace("\\" + quote, quote)

    def replace(match: re.Match[str]) -> str:
        return {"\\r": "\r", "\\n": "\n", "\\t": "\t", "\\\\": "\\"}.get(
            match.group(), match.group()
        )

    return re.sub(r"\\[^\r\n]?", replace, body)


def _skipped_characters(text: str, tokens: list[str]) -> bool:
    """Whether findall may have skipped a character no token starts with (then _ALL_TOKENS
    decides). findall and _ALL_TOKENS cut a text into the same tokens, both greedily from
    the left without backtracking, so none was skipped when every character that is not
    a space lies in a token: counting them is cheaper than matching the text again."""
    if "\t" in text or "\n" in text or "\r" in text or "\ufeff" in text or "\u00a0" in text:
        return True  # spaces other than " ": left to _ALL_TOKENS
    joined = "".join(tokens)
    return len(text) - text.count(" ") != len(joined) - joined.count(" ")


# The calls parsed so far in one template, by their first two tokens (the callee and the one
# after `(`): each with the token list it lies in and its span there, and its tree.
_CallEntry = tuple[list[str], int, int, Node]
Calls = dict[tuple[str, str], list[_CallEntry]]


class ParseMemo(dict[str, Node]):
    """One template's parsed trees by text (so repeats are parsed once), its calls (so a call
    written again is parsed once and its tree shared), and every token of its texts, which
    _reuse.mark_reused asks about."""

    __slots__ = ("calls", "tokens")

    def __init__(self) -> None:
        # (dict's own __init__ is not called: with no arguments it does nothing.)
        self.tokens: set[str] = set()
        self.calls: Calls = {}


def _known_call(
    entries: list[_CallEntry], tokens: list[str], start: int
) -> tuple[Node, int] | None:
    """The tree of a call parsed before whose tokens are those from `start` on, and the index
    after it. Equal tokens make an equal call, `)` included: where a call ends follows from
    its parentheses, so comparing the earlier call's length of tokens is enough."""
    for earlier, begin, end, node in entries:
        stop = start + end - begin
        if tokens[start:stop] == earlier[begin:end]:
            return node, stop
    return None


def _plain_tokens(text: str) -> list[str] | None:
    """The tokens of a text without backticks, in two passes in C (a backtick needs the mode
    switch of _Lexer._scan); None when it holds a character no token starts with."""
    out: list[str] = _TOKEN_TEXTS.findall(text)
    if _skipped_characters(text, out) and _ALL_TOKENS.fullmatch(text) is None:
        return None
    out += (_END, _END)  # two, so one-token look-ahead never runs off the end
    return out


class _Lexer:
    def __init__(self, text: str, memo: dict[str, Node] | None = None) -> None:
        self.text = text
        self.pos = 0
        self.memo = memo
        # The node of each interpolation token, by the token's text.
        self.interpolations: dict[str, Node] = {}

    def tokens(self) -> list[str]:
        text = self.text
        if "`" not in text:
            out = _plain_tokens(text)
            if out is None:
                # Errors from this path have always named the character only.
                return self._scan(say_where=False)  # raises the _LexError
            return out
        return self._scan()

    def _scan(self, *, say_where: bool = True) -> list[str]:
        out: list[str] = []
        text = self.text
        length = len(text)
        match_token = _TOKEN_AT.match
        while self.pos < length:
            match = match_token(text, self.pos)
            if match is None:  # only whitespace is left
                break
            token = match["token"]
            if token is not None:
                self.pos = match.end()
                out.append(token)
                continue
            if match["bad"] is not None:
                where = f" at {match.start('bad')}" if say_where else ""
                raise _LexError(f"unexpected character {match['bad']!r}{where}")
            self.pos = match.start("interp")
            node = self._interpolation()
            # Unique text per interpolation, so call memo keys never confuse two of them.
            key = f"`{id(node)}"
            self.interpolations[key] = node
            out.append(key)
        out += (_END, _END)  # two, so one-token look-ahead never runs off the end
        return out

    def _interpolation(self) -> Node:
        """A backtick string: text, escapes and `${...}` templates, into a concat node."""
        text = self.text
        self.pos += 1
        children: list[Node] = [const("")]
        buffer: list[str] = []

        def flush() -> None:
            if buffer:
                children.append(const("".join(buffer)))
                buffer.clear()

        special = _INTERPOLATION_SPECIAL.search
        while self.pos < len(text):
            found = special(text, self.pos)
            if found is None:
                break
            if found.start() > self.pos:
                buffer.append(text[self.pos : found.start()])
                self.pos = found.start()
            char = text[self.pos]
            if char == "`":
                self.pos += 1
                flush()
                return Node(CONCAT, children)
            if char == "$":
                end = _match_template(text, self.pos)
                if end > 0:
                    flush()
                    children.append(
                        parse_expression(_trim_template(text[self.pos : end]), self.memo)
                    )
                    self.pos = end
                    continue
            if char == "\\" and self.pos + 1 < len(text) and text[self.pos + 1] in "`$":
                flush()
                children.append(const(text[self.pos + 1]))
                self.pos += 2
                continue
            buffer.append(char)
            self.pos += 1
        raise ExpressionSyntaxError("unterminated string interpolation")


def _trim_template(token: str) -> str:
    result = js_trim(token)
    if result.startswith("$"):
        result = result[1:]
    result = js_trim(result)
    if result.startswith("{") and result.endswith("}"):
        result = result[1:-1]
    return js_trim(result)


# ---------------------------------------------------------------------------
# Parser: precedence climbing over the grammar's levels (loosest first).

_BINARY_LEVELS: Final[list[tuple[str, ...]]] = [
    ("??",),
    ("||",),
    ("&&",),
    ("<", "<=", ">", ">="),
    ("&",),
    ("==", "!=", "<>"),
    ("+", "-"),
    ("*", "/", "%"),
    ("^",),
]
# Level 0 is the conditional `a ? b : c`; binary operators start at 1.
_LEVEL_OF: Final = {op: level + 1 for level, ops in enumerate(_BINARY_LEVELS) for op in ops}
_POWER_LEVEL: Final = _LEVEL_OF["^"]
# AEL names an expression after its evaluator, so aliases take the canonical name
# (which is also how the SDK prints them back). `<>` lexes as "not equal" but no
# evaluator is registered under it: it fails when evaluated, as in the SDK.
ALIASES: Final = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "exp": "^",
    "mod": "%",
    "and": "&&",
    "or": "||",
    "not": "!",
    "equals": "==",
    "greater": ">",
    "greaterOrEquals": ">=",
    "less": "<",
    "lessOrEquals": "<=",
    "&": "concat",
    "??": "coalesce",
}


_UNARY: Final = frozenset(("!", "-", "+"))


def _split_path(names: list[str]) -> list[str]:
    tokens = [names[0]]
    for name in names[1:]:
        tokens.append(".")
        tokens.append(name)
    return tokens


_KEYWORDS: Final = {"true": True, "false": False, "null": None}
# Tokens after which postfix() may continue an expression.
_POSTFIX: Final = frozenset((".", "[", "(", "!"))
_ATOMS: Final = frozenset(("ident", "path", "string", "number"))
_NOT_NAMES: Final = frozenset(("true", "false", "null", "undefined"))


def _atom(text: str, kind: str) -> Node:
    """The node of a name or path (not one of _NOT_NAMES), a number or a string."""
    if kind == "path":
        return Node(PATH, [], tuple(text.split(".")))
    if kind == "ident":
        return Node(ACCESSOR, [const(text)])
    if kind == "number":
        number = float(text)
        return const(int(number) if number.is_integer() else number)
    return const(_unescape_string(text[1:-1], text[0]))


class _Parser:
    """Precedence climbing over the token list (token texts, see _kind).

    With a template's calls (ParseMemo.calls), a function call whose tokens were parsed
    before in the same template is taken from there (templates repeat calls like
    `toLower(string(x))` many times), and the shared tree is then compiled once.
    """

    __slots__ = ("calls", "index", "interpolations", "tokens")

    def __init__(
        self, tokens: list[str], interpolations: dict[str, Node], calls: Calls | None
    ) -> None:
        self.tokens = tokens
        self.interpolations = interpolations
        self.index = 0
        self.calls = calls

    def expect(self, text: str) -> None:
        found = self.tokens[self.index]
        self.index += 1
        if found != text:
            raise ExpressionSyntaxError(f"expected {text!r}, found {found or 'end'!r}")

    def parse(self) -> Node:
        node = self.expression(0)
        text = self.tokens[self.index]
        if text != _END:
            raise ExpressionSyntaxError(f"unexpected {text!r}")
        return node

    def expression(self, min_level: int) -> Node:
        tokens = self.tokens
        start = self.index
        if tokens[start] in _UNARY:
            left = self.unary()
        else:  # unary() without its calls, for the usual operand
            left = self.primary()
            if tokens[self.index] in _POSTFIX:
                left = self.postfix(left, start)
        while True:
            text = tokens[self.index]
            if text == "?":
                # The conditional is the loosest alternative and, like the grammar's
                # other binary alternatives, associates to the left.
                if min_level != 0:
                    return left
                self.index += 1
                middle = self.expression(0)
                self.expect(":")
                right = self.expression(1)
                left = Node("if", [left, middle, right])
                continue
            level = _LEVEL_OF.get(text)
            if level is None or level < min_level:
                return left
            self.index += 1
            right = self.expression(level if level == _POWER_LEVEL else level + 1)
            left = Node(ALIASES.get(text, text), [left, right])

    def unary(self) -> Node:
        text = self.tokens[self.index]
        if text in _UNARY:
            self.index += 1
            operand = self.unary()
            if text == "!":
                return Node("!", [operand])
            return Node(text, [const(0), operand])
        start = self.index
        node = self.primary()
        return self.postfix(node, start) if self.tokens[self.index] in _POSTFIX else node

    def primary(self) -> Node:
        tokens = self.tokens
        text = tokens[self.index]
        self.index += 1
        kind = _kind(text)
        if (
            tokens[self.index] == "("
            and (kind == "ident" or kind == "path")
            and text.partition(".")[0] not in _NOT_NAMES
        ):
            # A call by name, the commonest primary: its callee's name is the token, so the
            # accessor node postfix() would read the name back from is never built.
            return self.call(text, self.index - 1)
        if kind == "path":
            names = text.split(".")
            if names[0] in _KEYWORDS or names[0] == "undefined":
                tokens[self.index - 1 : self.index] = _split_path(names)
                self.index -= 1
                self.calls = None  # token positions moved: no calls kept for the rest
                return self.primary()
            return Node(PATH, [], tuple(names))
        if kind == "ident":
            if text in _KEYWORDS:
                return const(_KEYWORDS[text])
            if text == "undefined":
                return const(UNDEFINED)
            return Node(ACCESSOR, [const(text)])
        if kind == "number" or kind == "string":
            return _atom(text, kind)
        if kind == "interp":
            return self.interpolations[text]
        if text == "(":
            inner = self.expression(0)
            self.expect(")")
            return inner
        if text == "[":
            args = [] if self.tokens[self.index] == "]" else self.arguments()
            self.expect("]")
            return Node("createArray", args)
        if text == "{":
            return self.object_literal()
        raise ExpressionSyntaxError(f"unexpected {text or 'end of expression'!r}")

    def object_literal(self) -> Node:
        node = Node("json", [const("{}")])
        if self.tokens[self.index] == "}":
            self.index += 1
            return node
        while True:
            text = self.tokens[self.index]
            self.index += 1
            kind = _kind(text)
            if kind == "ident":
                key = text
            elif kind == "string":
                key = text[1:-1]
            else:
                raise ExpressionSyntaxError("expected a property name")
            self.expect(":")
            value = self.expression(0)
            node = Node("setProperty", [node, const(key), value])
            if self.tokens[self.index] == ",":
                self.index += 1
                continue
            self.expect("}")
            return node

    def arguments(self) -> list[Node]:
        args: list[Node] = []
        tokens = self.tokens
        while True:
            text = tokens[self.index]
            next_text = tokens[self.index + 1]
            if next_text == "," or next_text == ")":
                kind = _kind(text)
                if kind in _ATOMS and text.partition(".")[0] not in _NOT_NAMES:
                    # A lone name, path, string or number: the tree primary() would build,
                    # without the descent through every precedence level.
                    args.append(_atom(text, kind))
                    if next_text == ")":
                        self.index += 1
                        return args
                    self.index += 2
                    continue
            elif next_text == "=>" and _kind(text) == "ident":
                self.index += 2
                args.append(Node(ACCESSOR, [const(text)]))
            elif (
                next_text == "("
                and _kind(text) in ("ident", "path")
                and text.partition(".")[0] not in _NOT_NAMES
            ):
                # A call: parse it directly, and skip the precedence levels when
                # nothing but `,` or `)` follows it.
                start = self.index
                self.index += 1
                call = self.call(text, start)
                if tokens[self.index] in _POSTFIX:
                    call = self.postfix(call, start)
                after_text = tokens[self.index]
                if after_text == "," or after_text == ")":
                    args.append(call)
                    if after_text == ",":
                        self.index += 1
                        continue
                    return args
                self.index = start
            args.append(self.expression(0))
            if tokens[self.index] == ",":
                self.index += 1
                continue
            return args

    def postfix(self, node: Node, start: int) -> Node:
        tokens = self.tokens
        while True:
            text = tokens[self.index]
            if text not in _POSTFIX:
                return node
            if text == ".":
                self.index += 1
                name = tokens[self.index]
                self.index += 1
                name_kind = _kind(name)
                if name_kind == "path":
                    for part in name.split("."):
                        node = Node(ACCESSOR, [const(part), node])
                    continue
                if name_kind != "ident":
                    raise ExpressionSyntaxError("expected a property name after '.'")
                node = Node(ACCESSOR, [const(name), node])
            elif text == "[":
                self.index += 1
                index = self.expression(0)
                self.expect("]")
                node = Node(ELEMENT, [node, index])
            elif text == "(":
                node = self.call(source_text(node), start)
            elif tokens[self.index + 1] == "(":  # `!(`
                self.index += 1
                node = self.call(source_text(node) + "!", start)
            else:
                return node

    def call(self, name: str, start: int) -> Node:
        """The call of `name` whose `(` is the current token; its callee began at `start`."""
        tokens = self.tokens
        calls = self.calls
        lead = None
        if calls is not None:
            lead = (tokens[start], tokens[self.index + 1])
            entries = calls.get(lead)
            if entries is not None:
                known = _known_call(entries, tokens, start)
                if known is not None:
                    node, self.index = known
                    return node
        self.index += 1
        args = [] if tokens[self.index] == ")" else self.arguments()
        if tokens[self.index] != ")":
            self.expect(")")  # raises
        self.index += 1
        node = Node(ALIASES.get(name, name), args)
        if lead is not None and self.calls is not None:
            entries = self.calls.get(lead)
            if entries is None:
                self.calls[lead] = [(tokens, start, self.index, node)]
            else:
                entries.append((tokens, start, self.index, node))
        return node


def source_text(node: Node) -> str:
    """The token text of a callee (`foo`, `a.b`), as ANTLR's `primaryExpression().text`."""
    if node.kind == PATH:
        return ".".join(node.value)
    if node.kind == ACCESSOR and len(node.children) == 1:
        return str(node.children[0].value)
    if node.kind == ACCESSOR and len(node.children) == 2:
        return f"{source_text(node.children[1])}.{node.children[0].value}"
    if node.kind == CONSTANT and isinstance(node.value, str):
        return node.value
    return render(node).replace(" ", "")


def parse_expression(text: str, memo: dict[str, Node] | None = None) -> Node:
    """Parse the text inside one `${...}` (AEL's Expression.parse).

    `memo` shares trees between identical expressions of one template (trees are never
    changed after parsing), so a template that repeats a binding parses it once.
    """
    if memo is not None:
        known = memo.get(text)
        if known is not None:
            return known
    source = text[1:] if text.startswith("=") else text
    node = const("") if source == "" else _parse_source(source, memo)
    if memo is not None:
        memo[text] = node
    return node


def parse_interpolated(text: str, memo: dict[str, Node] | None = None) -> Node:
    """Parse a template string as AEL does: the whole string inside backticks."""
    # The usual case is one binding and nothing else: parse it without the detour through
    # the backtick-string lexer. Without braces, backticks or line breaks inside, the text
    # is one TEMPLATE token exactly when every quote in it closes, which the expression
    # lexer checks on the way (a quote that does not close is a _LexError: fall through).
    if (
        text.startswith("${")
        and text.endswith("}")
        and len(text) > 3
        and text.count("{") == 1
        and text.count("}") == 1
        and "`" not in text
        and "\n" not in text
        and "\r" not in text
    ):
        # The text is `${...}`, so the expression is the inside trimmed (_trim_template's
        # result, without its four passes).
        try:
            return Node(CONCAT, [const(""), parse_expression(js_trim(text[2:-1]), memo)])
        except _LexError:
            pass
    elif text.startswith("${") and _SIMPLE_TEMPLATE.fullmatch(text):
        return Node(CONCAT, [const(""), parse_expression(js_trim(text[2:-1]), memo)])
    return _parse_source("`" + text + "`", memo)


_NO_INTERPOLATIONS: Final[dict[str, Node]] = {}


def _parse_source(source: str, memo: dict[str, Node] | None) -> Node:
    tokens = None if "`" in source else _plain_tokens(source)
    interpolations = _NO_INTERPOLATIONS
    if tokens is None:
        lexer = _Lexer(source, memo)
        tokens = lexer.tokens()
        interpolations = lexer.interpolations
    calls = None
    if type(memo) is ParseMemo:
        memo.tokens.update(tokens)
        calls = memo.calls
    return _Parser(tokens, interpolations, calls).parse()


__all__ = [
    "ACCESSOR",
    "CONCAT",
    "CONSTANT",
    "ELEMENT",
    "JS_WHITESPACE",
    "PATH",
    "ExpressionSyntaxError",
    "Node",
    "ParseMemo",
    "const",
    "parse_expression",
    "parse_interpolated",
    "render",
]
