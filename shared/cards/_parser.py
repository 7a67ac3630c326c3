"""Tokenizer and parser for Adaptive Expressions, the language inside `${...}`.

The grammar, operator precedence and lexing rules are those of Microsoft's
adaptive-expressions (its ANTLR grammar), including its oddities: comparisons bind
looser than `==` and `&`, and `7%3` is a syntax error because `%3` lexes as a name.
The parser builds a tree of `Node`s; nothing here evaluates anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from ._js import JS_WHITESPACE, js_trim, json_stringify, number_to_string

# Expression kinds that are not function names.
ACCESSOR: Final = "Accessor"
ELEMENT: Final = "Element"
CONSTANT: Final = "Constant"
CONCAT: Final = "concat"


class ExpressionSyntaxError(ValueError):
    """The text is not a valid expression."""


@dataclass(eq=False, slots=True)
class Node:
    """One expression: a constant, a property access, an index access or a function call."""

    kind: str
    children: list[Node] = field(default_factory=list)
    value: Any = None

    def __str__(self) -> str:
        return render(self)


def const(value: Any) -> Node:
    return Node(CONSTANT, [], value)


def render(node: Node) -> str:
    """AEL's Expression.toString(): the text the SDK substitutes for a failed binding."""
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
    from ._js import UNDEFINED

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

_WS: Final = frozenset(" \t\ufeff\u00a0")
_IDENT_START: Final = re.compile(r"(?:@@|[A-Za-z_#@$%])[A-Za-z0-9_]*")
_NUMBER: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_OPERATORS: Final = (
    "&&",
    "||",
    "==",
    "!=",
    "<>",
    "<=",
    ">=",
    "=>",
    "??",
    "+",
    "-",
    "!",
    "^",
    "*",
    "/",
    "%",
    "&",
    "<",
    ">",
    "(",
    ")",
    ".",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "?",
)


@dataclass(slots=True)
class Token:
    kind: str  # "op", "number", "string", "ident", "interp", "end"
    text: str
    value: Any = None


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
        if char in _WS:
            index += 1
            continue
        if char == "}":
            return index + 1
        if char in "'\"":
            key_end = _match_string(text, index)
        else:
            key_end = _match_identifier(text, index)
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


def _unescape_string(body: str, quote: str) -> str:
    body = body.replace("\\" + quote, quote)

    def replace(match: re.Match[str]) -> str:
        return {"\\r": "\r", "\\n": "\n", "\\t": "\t", "\\\\": "\\"}.get(
            match.group(), match.group()
        )

    return re.sub(r"\\[^\r\n]?", replace, body)


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        text = self.text
        length = len(text)
        while self.pos < length:
            char = text[self.pos]
            if char in _WS or char == "\n" or (char == "\r" and text.startswith("\r\n", self.pos)):
                self.pos += 1
                continue
            if char == "`":
                out.append(Token("interp", "`", self._interpolation()))
                continue
            candidates: list[tuple[int, Token]] = []
            for op in _OPERATORS:
                if text.startswith(op, self.pos):
                    candidates.append((len(op), Token("op", op)))
                    break
            number = _NUMBER.match(text, self.pos)
            if number:
                candidates.append((number.end() - self.pos, Token("number", number.group())))
            ident_end = _match_identifier(text, self.pos)
            if ident_end > 0:
                candidates.append(
                    (ident_end - self.pos, Token("ident", text[self.pos : ident_end]))
                )
            if char in "'\"":
                end = _match_string(text, self.pos)
                if end > 0:
                    raw = text[self.pos : end]
                    candidates.append(
                        (end - self.pos, Token("string", raw, _unescape_string(raw[1:-1], char)))
                    )
            if not candidates:
                raise ExpressionSyntaxError(f"unexpected character {char!r} at {self.pos}")
            # ANTLR: the longest match wins; on a tie, the rule defined first.
            best = max(candidates, key=lambda item: item[0])
            self.pos += best[0]
            out.append(best[1])
        out.append(Token("end", ""))
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

        while self.pos < len(text):
            char = text[self.pos]
            if char == "`":
                self.pos += 1
                flush()
                return Node(CONCAT, children)
            if char == "$":
                end = _match_template(text, self.pos)
                if end > 0:
                    flush()
                    children.append(parse_expression(_trim_template(text[self.pos : end])))
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
_OPERATOR_NAMES: Final = {"<>": "!="}


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.kind != "op" or token.text != text:
            raise ExpressionSyntaxError(f"expected {text!r}, found {token.text or 'end'!r}")

    def at(self, text: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text == text

    def parse(self) -> Node:
        node = self.expression(0)
        if self.peek().kind != "end":
            raise ExpressionSyntaxError(f"unexpected {self.peek().text!r}")
        return node

    def expression(self, min_level: int) -> Node:
        left = self.unary()
        while True:
            token = self.peek()
            if token.kind != "op":
                return left
            if token.text == "?":
                # The conditional is the loosest alternative and, like the grammar's
                # other binary alternatives, associates to the left.
                if min_level != 0:
                    return left
                self.take()
                middle = self.expression(0)
                self.expect(":")
                right = self.expression(1)
                left = Node("if", [left, middle, right])
                continue
            level = _LEVEL_OF.get(token.text)
            if level is None or level < min_level:
                return left
            self.take()
            next_level = level if level == _POWER_LEVEL else level + 1
            right = self.expression(next_level)
            name = _OPERATOR_NAMES.get(token.text, token.text)
            left = Node(name, [left, right])

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text in ("!", "-", "+"):
            self.take()
            operand = self.unary()
            if token.text == "!":
                return Node("!", [operand])
            return Node(token.text, [const(0), operand])
        return self.postfix(self.primary())

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "number":
            value = float(token.text)
            return const(int(value) if value.is_integer() else value)
        if token.kind == "string":
            return const(token.value)
        if token.kind == "interp":
            node: Node = token.value
            return node
        if token.kind == "ident":
            keywords = {"true": True, "false": False, "null": None}
            if token.text in keywords:
                node = const(keywords[token.text])
            elif token.text == "undefined":
                from ._js import UNDEFINED

                node = const(UNDEFINED)
            else:
                node = Node(ACCESSOR, [const(token.text)])
            return node
        if token.kind == "op":
            if token.text == "(":
                inner = self.expression(0)
                self.expect(")")
                return inner
            if token.text == "[":
                args = [] if self.at("]") else self.arguments()
                self.expect("]")
                return Node("createArray", args)
            if token.text == "{":
                return self.object_literal()
        raise ExpressionSyntaxError(f"unexpected {token.text or 'end of expression'!r}")

    def object_literal(self) -> Node:
        node = Node("json", [const("{}")])
        if self.at("}"):
            self.take()
            return node
        while True:
            key_token = self.take()
            if key_token.kind == "ident":
                key = key_token.text
            elif key_token.kind == "string":
                key = key_token.text[1:-1]
            else:
                raise ExpressionSyntaxError("expected a property name")
            self.expect(":")
            value = self.expression(0)
            node = Node("setProperty", [node, const(key), value])
            if self.at(","):
                self.take()
                continue
            self.expect("}")
            return node

    def arguments(self) -> list[Node]:
        args: list[Node] = []
        while True:
            token = self.peek()
            following = self.tokens[self.index + 1]
            if token.kind == "ident" and following.kind == "op" and following.text == "=>":
                self.take()
                self.take()
                args.append(Node(ACCESSOR, [const(token.text)]))
                args.append(self.expression(0))
            else:
                args.append(self.expression(0))
            if self.at(","):
                self.take()
                continue
            return args

    def postfix(self, node: Node) -> Node:
        while True:
            token = self.peek()
            if token.kind != "op":
                return node
            if token.text == ".":
                self.take()
                name = self.take()
                if name.kind != "ident":
                    raise ExpressionSyntaxError("expected a property name after '.'")
                node = Node(ACCESSOR, [const(name.text), node])
            elif token.text == "[":
                self.take()
                index = self.expression(0)
                self.expect("]")
                node = Node(ELEMENT, [node, index])
            elif token.text == "(" or (
                token.text == "!"
                and self.tokens[self.index + 1].kind == "op"
                and self.tokens[self.index + 1].text == "("
            ):
                negated = token.text == "!"
                if negated:
                    self.take()
                self.take()
                args = [] if self.at(")") else self.arguments()
                self.expect(")")
                name = source_text(node) + ("!" if negated else "")
                node = Node(name, args)
            else:
                return node


def source_text(node: Node) -> str:
    """The token text of a callee (`foo`, `a.b`), as ANTLR's `primaryExpression().text`."""
    if node.kind == ACCESSOR and len(node.children) == 1:
        return str(node.children[0].value)
    if node.kind == ACCESSOR and len(node.children) == 2:
        return f"{source_text(node.children[1])}.{node.children[0].value}"
    if node.kind == CONSTANT and isinstance(node.value, str):
        return node.value
    return render(node).replace(" ", "")


def parse_expression(text: str) -> Node:
    """Parse the text inside one `${...}` (AEL's Expression.parse)."""
    if text.startswith("="):
        text = text[1:]
    if text == "":
        return const("")
    tokens = _Lexer(text).tokens()
    return _Parser(tokens).parse()


def parse_interpolated(text: str) -> Node:
    """Parse a template string as AEL does: the whole string inside backticks."""
    return parse_expression("`" + text + "`")


__all__ = [
    "ACCESSOR",
    "CONCAT",
    "CONSTANT",
    "ELEMENT",
    "JS_WHITESPACE",
    "ExpressionSyntaxError",
    "Node",
    "const",
    "parse_expression",
    "parse_interpolated",
    "render",
]
