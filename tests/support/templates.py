"""Helpers for the template tests: expand a shipped template as the app does, read what it shows.

A card is read the way a person reads it in Teams: its text blocks, its facts, its links. The
tests then assert concrete texts, so a template that drops the rule name or shows a raw field
name fails.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from devtools.alert_groups import payload as payload
from shared import catalog
from tests.support.paths import PAYLOADS

# One fixed moment for `$host.now`, so cards that show it are predictable.
NOW = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def payload_names(prefix: str) -> list[str]:
    return sorted(path.stem for path in PAYLOADS.glob(f"{prefix}*.json"))


@dataclass(frozen=True)
class Source:
    """A fixture's row in tests/fixtures/payloads/SOURCES.md."""

    headers: dict[str, str]
    url: str


def sources() -> dict[str, Source]:
    """SOURCES.md's table: each fixture's name (without `.json`), the headers its sender sends
    with it, and the public documentation it is shaped after."""
    table = {}
    for line in (PAYLOADS / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].endswith(".json"):
            continue
        name, headers, url, _section = cells
        pairs = [pair.partition(":") for pair in headers.split(";") if pair.strip()]
        table[name.removesuffix(".json")] = Source(
            {key.strip(): value.strip() for key, _colon, value in pairs}, url
        )
    return table


def delivery_headers(name: str) -> dict[str, str]:
    """The headers the sender posts fixture `name` with (SOURCES.md), e.g. `X-GitHub-Event`."""
    return sources()[name].headers


def render(
    template: str,
    data: Any,
    channel: str | None = "ops",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The card the app sends: the compiled template, `$host` as documented, strict mode."""
    host = catalog.host_object(template, channel, NOW, headers)
    card: dict[str, Any] = catalog.compiled(template).expand(data, host, strict=True)
    return card


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in the card, in document order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def text_blocks(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [node for node in walk(card) if node.get("type") == "TextBlock"]


def texts(card: dict[str, Any]) -> list[str]:
    """The text of every TextBlock, in order."""
    return [block["text"] for block in text_blocks(card)]


def block(card: dict[str, Any], text: str) -> dict[str, Any]:
    """The one TextBlock whose text is exactly `text`."""
    found = [b for b in text_blocks(card) if b["text"] == text]
    assert len(found) == 1, f"{len(found)} text blocks read {text!r}; texts: {texts(card)}"
    return found[0]


def fact_row(node: dict[str, Any]) -> tuple[str, str] | None:
    """(title, value) of a fact written as a row of columns (a ColumnSet of two columns, the
    first of a fixed width in pixels, one TextBlock in each), or None."""
    columns = node.get("columns") if node.get("type") == "ColumnSet" else None
    if not isinstance(columns, list) or len(columns) != 2:
        return None
    label, value = columns
    if not str(label.get("width", "")).endswith("px"):
        return None
    [title] = label["items"]
    [text] = value["items"]
    return title["text"], text["text"]


def facts(card: dict[str, Any]) -> list[tuple[str, str]]:
    """Every fact, of every FactSet and every fact row (`fact_row`), as (title, value), in order."""
    found: list[tuple[str, str]] = []
    for node in walk(card):
        if node.get("type") == "FactSet":
            found.extend((fact["title"], fact["value"]) for fact in node["facts"])
        elif (row := fact_row(node)) is not None:
            found.append(row)
    return found


def fact(card: dict[str, Any], title: str) -> str:
    """The value of the one fact called `title`."""
    values = [value for name, value in facts(card) if name == title]
    assert len(values) == 1, f"{len(values)} facts called {title!r}; facts: {facts(card)}"
    return values[0]


def fact_titles(card: dict[str, Any]) -> list[str]:
    return [title for title, _value in facts(card)]


def links(card: dict[str, Any]) -> list[tuple[str, str]]:
    """Every Action.OpenUrl anywhere in the card as (title, url), in order."""
    return [
        (node["title"], node["url"]) for node in walk(card) if node.get("type") == "Action.OpenUrl"
    ]


def action_types(card: dict[str, Any]) -> set[str]:
    return {
        node["type"]
        for node in walk(card)
        if isinstance(node.get("type"), str) and node["type"].startswith("Action.")
    }


def header(card: dict[str, Any]) -> dict[str, Any]:
    """The coloured container at the top of the card."""
    first: dict[str, Any] = card["body"][0]
    assert first["type"] == "Container"
    return first


def title(card: dict[str, Any]) -> str:
    """The card's title: the large text in the header."""
    large = [str(b["text"]) for b in text_blocks(header(card)) if b.get("size") == "Large"]
    assert len(large) == 1, large
    return large[0]
