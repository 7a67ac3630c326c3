"""URI and data functions: uriComponent and uriComponentToString (encodeURIComponent and
decodeURIComponent), uriHost/Path/PathAndQuery/Port/Query/Scheme (the parts the WHATWG
`URL` parser gives, for the URLs real payloads hold), and base64, base64ToString, dataUri,
dataUriToString (Node's Buffer: UTF-8 in, Latin-1 out, as the SDK's btoa/atob do).
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote

from .._js import UNDEFINED, JSBytes, template_string, utf8_encode
from .._scope import EvalError
from .base import NUMBER, OBJECT, STRING, FunctionTable, Spec, apply, arity_any, verify_string

# encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) as they are.
_URI_SAFE = "-_.!~*'()"


def _uri_component(args: list[Any]) -> Any:
    try:
        return quote(args[0], safe=_URI_SAFE, encoding="utf-8", errors="strict")
    except UnicodeEncodeError:
        raise EvalError("URI malformed") from None


_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _uri_component_to_string(args: list[Any]) -> Any:
    text: str = args[0]
    if _PERCENT.search(text):
        raise EvalError("URI malformed")
    try:
        return unquote(text, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise EvalError("URI malformed") from None


_SPECIAL_PORTS: Final = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.S)
# What the URL parser percent-encodes in a path and in a query (C0 controls, space and
# non-ASCII as UTF-8 are encoded everywhere).
_PATH_ENCODE: Final = ' "#<>?`{}'
_QUERY_ENCODE: Final = ' "#<>'


@dataclass(frozen=True, slots=True)
class _Url:
    scheme: str
    host: str
    port: str
    path: str
    query: str


def _encode(text: str, unsafe: str) -> str:
    out = []
    for char in text:
        if ord(char) <= 0x20 or ord(char) >= 0x7F or char in unsafe:
            out.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8", "replace")))
        else:
            out.append(char)
    return "".join(out)


def _dot_segments(path: str) -> str:
    segments: list[str] = []
    parts = path.split("/")[1:]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part.lower() in ("..", ".%2e", "%2e.", "%2e%2e"):
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif part.lower() in (".", "%2e"):
            if last:
                segments.append("")
        else:
            segments.append(part)
    return "/" + "/".join(segments)


def _parse_url(text: str) -> _Url:
    """`new URL(text)` for absolute URLs; ValueError where it throws."""
    text = text.strip("".join(chr(code) for code in range(0x21)))
    text = re.sub("[\t\n\r]", "", text)
    match = _SCHEME.fullmatch(text)
    if match is None:
        raise ValueError(text)
    scheme, rest = match.group(1).lower(), match.group(2)
    special = scheme in _SPECIAL_PORTS or scheme == "file"
    rest, _, _fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    query = _encode(query, _QUERY_ENCODE + ("'" if special else "")) if question else ""
    if scheme == "file":
        rest = rest.replace("\\", "/")
        authority_and_path = rest[2:] if rest.startswith("//") else "/" + rest.lstrip("/")
    elif special:
        rest = rest.replace("\\", "/")
        authority_and_path = rest.lstrip("/")
        if scheme != "file" and not authority_and_path:
            raise ValueError(text)
    elif rest.startswith("//"):
        authority_and_path = rest[2:]
    else:
        return _Url(scheme, "", "", _encode(rest, ""), "?" + query if query else "")
    authority, slash, path = authority_and_path.partition("/")
    host_port = authority.rpartition("@")[2]
    if host_port.startswith("["):
        host, _, port = host_port.partition("]")
        host += "]"
        port = port[1:] if port.startswith(":") else port
    else:
        host, _, port = host_port.partition(":")
    if (port and not port.isdigit()) or (port and int(port) > 65535):
        raise ValueError(text)
    if port:
        port = str(int(port))
    if port == _SPECIAL_PORTS.get(scheme):
        port = ""
    if special and scheme != "file" and not host:
        raise ValueError(text)
    if special:
        try:
            host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host
        except UnicodeError:
            raise ValueError(text) from None
        host = host.lower()
        if re.search(r"[\x00-\x20#%/:<>?@\[\\\]^|]", host.strip("[]")) and not host.startswith("["):
            raise ValueError(text)
    path = _dot_segments("/" + path) if slash or special else ""
    return _Url(scheme, host, port, _encode(path, _PATH_ENCODE), "?" + query if query else "")


def _uri_part(pick: Callable[[_Url], Any]) -> Callable[[list[Any]], Any]:
    def run(args: list[Any]) -> Any:
        if not isinstance(args[0], str):
            raise EvalError(f"{template_string(args[0])} should contain a URI string.")
        try:
            url = _parse_url(args[0])
        except ValueError:
            raise EvalError(f"Invalid URI: {args[0]}") from None
        return pick(url)

    return run


def _btoa(text: str) -> str:
    """`new Buffer(text).toString('base64')`: the text as UTF-8 (a lone surrogate as U+FFFD)."""
    return base64.b64encode(utf8_encode(text)).decode("ascii")


def _atob(text: str) -> str:
    """`Buffer.from(text, 'base64').toString('binary')`: Node skips characters outside both
    base64 alphabets, stops at padding, and gives each byte as one Latin-1 character."""
    kept = "".join(char for char in text.partition("=")[0] if char in _BASE64_CHARS)
    kept = kept.replace("-", "+").replace("_", "/")
    kept = kept[: len(kept) - len(kept) % 4 if len(kept) % 4 == 1 else len(kept)]
    return base64.b64decode(kept + "=" * (-len(kept) % 4)).decode("latin-1")


_BASE64_CHARS: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
)


def _base64(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, JSBytes):
        # AEL decodes a Uint8Array as UTF-8 text first, then encodes that text.
        value = value.decode("utf-8", "replace")
    return _btoa(value) if isinstance(value, str) else UNDEFINED


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["uriComponent"] = Spec(STRING, arity_any(1, 1), apply(_uri_component, verify_string))
    table["uriComponentToString"] = Spec(
        STRING, arity_any(1, 1), apply(_uri_component_to_string, verify_string)
    )
    for name, pick in {
        "uriHost": lambda url: url.host,
        "uriPath": lambda url: url.path,
        "uriPathAndQuery": lambda url: url.path + url.query,
        "uriPort": lambda url: int(url.port) if url.port else math.nan,
        "uriQuery": lambda url: url.query,
        "uriScheme": lambda url: url.scheme,
    }.items():
        table[name] = Spec(
            NUMBER if name == "uriPort" else STRING, arity_any(1, 1), apply(_uri_part(pick))
        )
    table["base64"] = Spec(STRING, arity_any(1, 1), apply(_base64))
    table["base64ToString"] = Spec(
        STRING, arity_any(1, 1), apply(lambda args: _atob(args[0]), verify_string)
    )
    table["dataUri"] = Spec(
        STRING,
        arity_any(1, 1),
        apply(lambda args: "data:text/plain;charset=utf-8;base64," + _btoa(args[0]), verify_string),
    )
    # Both give the UTF-8 bytes of their text: AEL's dataUriToBinary encodes the whole
    # data URI as it is, without decoding it (DataUriToBinary.evaluator).
    to_bytes = apply(lambda args: utf8_encode(args[0]), verify_string)
    table["binary"] = Spec(OBJECT, arity_any(1, 1), to_bytes)
    table["dataUriToBinary"] = Spec(OBJECT, arity_any(1, 1), to_bytes)
    table["dataUriToString"] = Spec(
        STRING,
        arity_any(1, 1),
        apply(lambda args: _atob(args[0][args[0].find(",") + 1 :]), verify_string),
    )
