"""xml (JSON to XML text) and xPath (a query over XML text), with the SDK's output.

AEL's `xml` writes JSON with fast-xml-parser's XMLBuilder (format on, two-space indent,
attributes ignored), and its `xPath` (on Node) reads the XML with @xmldom/xmldom and
queries it with the `xpath` package, writing each node found back as xmldom serializes it.
Here lxml (libxml2) parses and evaluates XPath 1.0; only the writing of what it finds
follows xmldom's rules. Where they cannot agree (XML that is not well-formed, which xmldom
repairs and lxml refuses; CDATA next to text, which XPath sees as one text node in libxml2
and as two in xmldom) the engine fails rather than guess: see docs/templates.md.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from .._js import UNDEFINED, JSBytes, normalize_number, template_string
from .._scope import EvalError
from .base import OBJECT, STRING, FunctionTable, Spec, apply, arity_any, order
from .objects import json_parse

_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# XMLBuilder's default entities, in its order ("&" first).
_ENTITIES: Final = (("&", "&amp;"), (">", "&gt;"), ("<", "&lt;"), ("'", "&apos;"), ('"', "&quot;"))

# An ECMAScript array index: JavaScript lists such keys first, in ascending order.
_INDEX_KEY: Final = re.compile(r"0|[1-9][0-9]*")


def _escape(text: str) -> str:
    for char, entity in _ENTITIES:
        text = text.replace(char, entity)
    return text


def _keys(value: Any) -> list[tuple[str, Any]]:
    """`for (key in value)` over a JSON value, in JavaScript's key order."""
    if isinstance(value, JSBytes):
        value = value.as_object()
    if isinstance(value, dict):
        indices = sorted(
            (int(key), key) for key in value if _INDEX_KEY.fullmatch(key) and int(key) < 2**32 - 1
        )
        named = [key for key in value if not (_INDEX_KEY.fullmatch(key) and int(key) < 2**32 - 1)]
        return [(key, value[key]) for key in [key for _, key in indices] + named]
    if isinstance(value, list):
        return [(str(index), item) for index, item in enumerate(value)]
    if isinstance(value, str):
        return [(str(index), char) for index, char in enumerate(value)]
    return []


def _primitive(value: Any) -> str:
    """A text value as XMLBuilder writes it: strings escaped, numbers and booleans as
    JavaScript prints them (unescaped)."""
    if isinstance(value, list) and value:
        # XMLBuilder calls .replace on anything with a length: a list throws.
        raise _BuildError
    return _escape(value) if isinstance(value, str) else template_string(value)


class _BuildError(Exception):
    """Where XMLBuilder throws (AEL reports the argument as not valid JSON)."""


def _indent(level: int) -> str:
    return "  " * level


def _text_node(value: Any, key: str, level: int) -> str:
    if key.startswith("?"):
        return f"{_indent(level)}<{key}?>\n"
    text = _primitive(value)
    if text == "":
        return f"{_indent(level)}<{key}></{key}>\n"
    return f"{_indent(level)}<{key}>{text}</{key}>\n"


def _object_node(inner: str, key: str, level: int) -> str:
    if inner == "":
        if key.startswith("?"):
            return f"{_indent(level)}<{key}?>\n"
        return f"{_indent(level)}<{key}></{key}>\n"
    close, pi = (f"</{key}>\n", "") if not key.startswith("?") else ("", "?")
    if "<" not in inner:
        return f"{_indent(level)}<{key}{pi}>{inner}{close}"
    return f"{_indent(level)}<{key}{pi}>\n{inner}{_indent(level)}{close}"


def _child(value: Any, key: str, level: int) -> str:
    """XMLBuilder's processTextOrObjNode: an object whose only key is `#text` is a text
    element, any other object an element with children."""
    if isinstance(value, dict) and len(value) == 1 and "#text" in value:
        return _text_node(value["#text"], key, level)
    return _object_node(_build(value, level + 1), key, level)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict | list | JSBytes)


def _build(value: Any, level: int) -> str:
    """XMLBuilder's j2x: the elements for each key of `value`."""
    out = []
    for key, item in _keys(value):
        if item is UNDEFINED:
            continue
        if item is None:
            out.append(f"{_indent(level)}<{key}{'?' if key.startswith('?') else '/'}>\n")
        elif not _is_object(item):
            out.append(_primitive(item) if key == "#text" else _text_node(item, key, level))
        elif isinstance(item, list):
            # XMLBuilder writes a null item at once and the others after the loop, so the
            # empty elements of a list come before its other elements.
            listed = []
            for element in item:
                if element is None:
                    out.append(f"{_indent(level)}<{key}{'?' if key.startswith('?') else '/'}>\n")
                elif _is_object(element):
                    listed.append(_child(element, key, level))
                elif element is not UNDEFINED:
                    listed.append(_text_node(element, key, level))
            out.extend(listed)
        else:
            out.append(_child(item, key, level))
    return "".join(out)


def _xml(args: list[Any]) -> Any:
    value = args[0]
    try:
        if isinstance(value, str):
            value = json_parse(value)
        elif not (value is None or _is_object(value)):
            value = UNDEFINED  # AEL builds from nothing: only the declaration is left
        return (_DECLARATION + _build(value, 0)).strip()
    except (EvalError, _BuildError):
        raise EvalError(f"{template_string(args[0])} is not a valid json") from None


# --- xPath ---------------------------------------------------------------------------


def _text(data: str) -> str:
    """A text node as xmldom writes it."""
    return data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ATTRIBUTE_ESCAPES: Final = {
    "<": "&lt;",
    ">": "&gt;",
    "&": "&amp;",
    '"': "&quot;",
    "\t": "&#9;",
    "\n": "&#10;",
    "\r": "&#13;",
}


def _attribute(name: str, value: str) -> str:
    escaped = "".join(_ATTRIBUTE_ESCAPES.get(char, char) for char in value)
    return f' {name}="{escaped}"'


def _node_text(node: Any) -> str:
    """One node of a node-set, as xmldom's toString writes it."""
    from lxml import etree

    if isinstance(node, etree._ElementUnicodeResult):
        if node.is_attribute:
            return _attribute(str(node.attrname), str(node))
        return _text(str(node))
    if isinstance(node, str):
        return _text(node)
    if isinstance(node, etree._ElementTree):
        node = node.getroot()
    out: list[str] = []
    _serialize(node, [], out)
    return "".join(out)


def _qualified(name: str, prefix: str | None) -> str:
    local = name.rpartition("}")[2]
    return f"{prefix}:{local}" if prefix else local


def _serialize(node: Any, visible: list[tuple[str, str]], out: list[str]) -> None:
    """xmldom's serializeToString for an element and what is in it: an element's own
    namespace declarations first, then its attributes, then a declaration for a namespace
    it uses that is not in scope where the serialized text starts."""
    from lxml import etree

    if isinstance(node, etree._Comment):
        out.append(f"<!--{node.text or ''}-->")
        return
    if isinstance(node, etree._ProcessingInstruction):
        target = node.target if isinstance(node.target, str) else node.target.decode()
        out.append(f"<?{target} {node.text or ''}?>")
        return
    if isinstance(node, etree._Entity):
        out.append(f"&{node.name};")
        return
    name = _qualified(node.tag, node.prefix)
    out.append(f"<{name}")
    in_scope = list(visible)
    parent = node.getparent()
    inherited = parent.nsmap if parent is not None else {}
    for prefix, uri in node.nsmap.items():
        if inherited.get(prefix) != uri:
            out.append(_attribute(f"xmlns:{prefix}" if prefix else "xmlns", uri))
            in_scope.append((prefix or "", uri))
    reverse = {uri: prefix for prefix, uri in node.nsmap.items() if prefix}
    for key, value in node.attrib.items():
        uri = key[1:].partition("}")[0] if key.startswith("{") else ""
        prefix = reverse.get(uri, "") if uri else ""
        if uri and _needs_declaration(prefix, uri, in_scope):
            out.append(_attribute(f"xmlns:{prefix}" if prefix else "xmlns", uri))
            in_scope.append((prefix, uri))
        out.append(_attribute(_qualified(key, prefix), value))
    uri = node.tag[1:].partition("}")[0] if node.tag.startswith("{") else ""
    if uri and _needs_declaration(node.prefix or "", uri, in_scope):
        out.append(_attribute(f"xmlns:{node.prefix}" if node.prefix else "xmlns", uri))
        in_scope.append((node.prefix or "", uri))
    if node.text is None and len(node) == 0:
        out.append("/>")
        return
    out.append(">")
    if node.text:
        out.append(_text(node.text))
    for child in node:
        _serialize(child, in_scope, out)
        if child.tail:
            out.append(_text(child.tail))
    out.append(f"</{name}>")


def _needs_declaration(prefix: str, uri: str, in_scope: list[tuple[str, str]]) -> bool:
    for known_prefix, known_uri in reversed(in_scope):
        if known_prefix == prefix:
            return known_uri != uri
    return True


def _xpath(args: list[Any]) -> Any:
    source, expression = args
    if not isinstance(source, str):
        raise EvalError("Context node not found when determining document root.")
    if not isinstance(expression, str):
        raise EvalError(f"{template_string(expression)} is not a valid XPath expression")
    from lxml import etree

    # No DTD loading, no entity expansion, no network: the XML comes from posted data.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, strip_cdata=False
    )
    try:
        root = etree.fromstring(source.encode("utf-8"), parser)
    except etree.XMLSyntaxError as error:
        raise EvalError(f"{source} is not valid xml input ({error})") from None
    try:
        result = root.getroottree().xpath(expression)
    except etree.XPathError as error:
        raise EvalError(f"XPath error in {expression}: {error}") from None
    if isinstance(result, list):
        if not result:
            raise EvalError(
                f"There is no matched nodes for the expression {expression} in the xml: {source}"
            )
        return [_node_text(node) for node in result]
    if isinstance(result, bool):
        return result
    if isinstance(result, float):
        return normalize_number(result) if math.isfinite(result) else result
    return str(result)


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["xml"] = Spec(STRING, arity_any(1, 1), apply(_xml))
    table["xPath"] = Spec(OBJECT, order([], OBJECT, STRING), apply(_xpath))
