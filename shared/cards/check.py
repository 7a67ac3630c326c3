"""Check a card before Teams sees it: the official schema plus the rules Teams adds.

`check_card(card, target)` returns every problem it finds, each naming the JSON path of the
offending value, so a template author can fix them all in one go. An empty list means Teams
will accept and render the card.

The schema part lives in `_schema` and is imported on the first call only: `jsonschema` costs
about 100 ms to import, which must stay off the function app's cold-start path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, Final, Literal

from shared.cards._problem import PathPart, Problem, describe, format_path, walk

__all__ = [
    "ALLOWED_ACTIONS",
    "KNOWN_ACTIONS",
    "MAX_VERSION",
    "MESSAGE_LIMIT_BYTES",
    "PathPart",
    "Problem",
    "Target",
    "check_card",
    "describe",
    "format_path",
    "load_checks",
    "serialized_size",
    "walk",
    "wire_bytes",
]

Target = Literal["incoming", "reply"]

# Teams refuses a message over 28 KB ("When the size exceeds 28 KB, you receive an error",
# add-incoming-webhook.md). Delivery splits a big card between its elements, so the limit
# applies to what cannot be split: one element on its own.
MESSAGE_LIMIT_BYTES: Final = 28 * 1024

# Teams renders Adaptive Cards up to schema version 1.5.
MAX_VERSION: Final = (1, 5)

KNOWN_ACTIONS: Final = frozenset(
    {
        "Action.OpenUrl",
        "Action.ShowCard",
        "Action.ToggleVisibility",
        "Action.Submit",
        "Action.Execute",
    }
)
# Incoming Webhooks: "Action.Submit is not supported; Action.OpenUrl, Action.ShowCard,
# Action.ToggleVisibility are". Outgoing Webhook replies: "only openUrl actions work".
ALLOWED_ACTIONS: Final[dict[Target, tuple[str, ...]]] = {
    "incoming": ("Action.OpenUrl", "Action.ShowCard", "Action.ToggleVisibility"),
    "reply": ("Action.OpenUrl",),
}
_WHERE: Final[dict[Target, str]] = {
    "incoming": "in a card posted to an Incoming Webhook",
    "reply": "in an Outgoing Webhook reply",
}

# Properties that hold the parts a card is made of. Delivery can split a card between these
# parts, so each part is measured on its own and its container only for what is left.
_CHILD_KEYS: Final = ("body", "items", "columns", "rows", "cells", "facts", "images", "inlines")
_ACTION_KEYS: Final = ("actions",)

# O365 connector card actions (MessageCard `potentialAction`). InvokeAddInCommand is Outlook only.
_CONNECTOR_ACTIONS: Final[dict[Target, tuple[str, ...]]] = {
    "incoming": ("OpenUri", "HttpPOST", "ActionCard"),
    "reply": ("OpenUri",),
}

_VERSION = re.compile(r"(\d+)\.(\d+)\Z")


def check_card(card: Any, target: Target) -> list[Problem]:
    """Every problem Teams would have with `card`, or [] when there is none.

    `target` is "incoming" for a card posted to an Incoming Webhook and "reply" for a card
    in an Outgoing Webhook's answer. `card` is the card itself (the attachment's `content`),
    an Adaptive Card or a legacy MessageCard, as plain JSON values.
    """
    if target not in ALLOWED_ACTIONS:
        raise ValueError(f"target must be 'incoming' or 'reply', not {target!r}")
    if not isinstance(card, dict):
        return [Problem("$", f"a card must be a JSON object, not {describe(card)}")]
    if card.get("@type") == "MessageCard":
        return _dedupe(list(_check_message_card(card, target)))
    if card.get("type") != "AdaptiveCard":
        return [_not_a_card(card)]

    from shared.cards import _schema  # lazy: see the module docstring

    problems = _schema.schema_problems(card)
    reported = {problem.path for problem in problems}
    # One pass over the card's objects tells which checks can find anything; only those walk
    # it again with paths (building a path for every value of a 1,000-alert card is the cost).
    objects = _objects(card)
    problems.extend(_check_versions(card, objects))
    if any(_action_suspect(value, target) for value in objects):
        # An action the schema refuses at that place is reported once, by the schema.
        problems.extend(p for p in _check_actions(card, target) if p.path not in reported)
    problems.extend(_check_mentions(card))
    if any(value.get("type") == "Media" for value in objects):
        problems.extend(_check_unsupported_elements(card))
    problems.extend(_check_shows_something(card))
    problems.extend(_check_sizes(card))
    return _dedupe(problems)


def load_checks() -> None:
    """Compile the schema validator now, as the first `check_card` of a process would (about
    0.2 s of CPU): for a caller that loads what it needs before its first request."""
    from shared.cards import _schema

    _schema.load_validator()


def wire_bytes(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON, the bytes that go over the wire.

    A lone surrogate (JavaScript strings may hold one, and the engine keeps it as the SDK
    does) cannot be UTF-8: it travels as the six-byte JSON escape `\\uXXXX`, which is what
    `backslashreplace` writes for it (json.dumps leaves it raw inside a string). NaN and
    infinities are refused (ValueError): they are not JSON."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8", "backslashreplace")


def serialized_size(value: Any) -> int:
    """Bytes of `value` as it goes over the wire (`wire_bytes`); a NaN or infinity, which the
    checks report elsewhere, counts as its Python spelling."""
    try:
        return len(wire_bytes(value))
    except ValueError:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return len(text.encode("utf-8", "backslashreplace"))


def _not_a_card(card: dict[str, Any]) -> Problem:
    if card.get("type") == "message" and "attachments" in card:
        return Problem(
            "$", "this is a Teams message, not a card: check the card in attachments[0].content"
        )
    return Problem(
        "$.type",
        'is not an Adaptive Card ("type": "AdaptiveCard") '
        'nor a MessageCard ("@type": "MessageCard")',
    )


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _objects(card: Any) -> list[dict[str, Any]]:
    """Every JSON object in `card`, without paths."""
    found: list[dict[str, Any]] = []
    stack = [card]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            found.append(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def _action_suspect(value: dict[str, Any], target: Target) -> bool:
    kind = value.get("type")
    if kind in KNOWN_ACTIONS and kind not in ALLOWED_ACTIONS[target]:
        return True
    url = value.get("url")
    return kind == "Action.OpenUrl" and isinstance(url, str) and not _safe_url(url)


def _cards(
    card: dict[str, Any], objects: Sequence[dict[str, Any]]
) -> Iterator[tuple[tuple[PathPart, ...], dict[str, Any]]]:
    """The card and the cards of its Action.ShowCard actions, however deep (`objects`: every
    object in `card`, from `_objects`)."""
    if not any(value is not card and value.get("type") == "AdaptiveCard" for value in objects):
        yield (), card  # no nested card: no need to walk with paths
        return
    for sub_path, value in walk(card):
        if isinstance(value, dict) and value.get("type") == "AdaptiveCard":
            yield sub_path, value


def _check_versions(card: dict[str, Any], objects: Sequence[dict[str, Any]]) -> Iterator[Problem]:
    if "version" not in card:
        yield Problem(
            "$.version",
            'is missing: the top-level card must say its version, such as "1.5"',
        )
    for path, sub_card in _cards(card, objects):
        version = sub_card.get("version")
        if not isinstance(version, str):
            continue  # missing is fine in a ShowCard card; a wrong type is a schema problem
        where = format_path((*path, "version"))
        match = _VERSION.match(version)
        if match is None:
            yield Problem(where, f'"{version}" is not a version like "1.5"')
        elif (int(match[1]), int(match[2])) > MAX_VERSION:
            yield Problem(
                where,
                f'is "{version}", but Teams renders Adaptive Cards only up to version 1.5',
            )


def _check_actions(card: dict[str, Any], target: Target) -> Iterator[Problem]:
    # Any object typed Action.* is an action, wherever it sits: card actions, ActionSet,
    # selectAction, inlineAction, fallback, the cards inside Action.ShowCard.
    allowed = ALLOWED_ACTIONS[target]
    for path, value in walk(card):
        if not isinstance(value, dict):
            continue
        kind = value.get("type")
        # Unknown Action.* types are the schema's to report.
        if kind in KNOWN_ACTIONS and kind not in allowed:
            yield Problem(
                format_path((*path, "type")),
                f"Teams does not support {kind} {_WHERE[target]}; use {_or_list(allowed)}",
            )
        url = value.get("url")
        if kind == "Action.OpenUrl" and isinstance(url, str) and not _safe_url(url):
            yield Problem(
                format_path((*path, "url")),
                "Action.OpenUrl must open an https, http, mailto, tel or msteams URL",
            )


# What a link button may open: web pages, mail, calls, Teams deep links. A card is built
# from posted data, so a `javascript:` or `data:` URL from the data never reaches Teams.
_SAFE_SCHEMES: Final = ("https:", "http:", "mailto:", "tel:", "msteams:")


def _safe_url(url: str) -> bool:
    return url.strip().lower().startswith(_SAFE_SCHEMES)


def _check_mentions(card: dict[str, Any]) -> Iterator[Problem]:
    msteams = card.get("msteams")
    if not isinstance(msteams, dict):
        return
    entities = msteams.get("entities")
    if not isinstance(entities, list):
        return
    # Read when a mention first needs them, once: a card that only declares an empty or
    # broken entity list (most do) pays nothing for a walk of its 1,000 alerts.
    texts: list[str] | None = None

    def _texts() -> list[str]:
        nonlocal texts
        if texts is None:
            texts = _mention_texts(card)
        return texts

    for index, entity in enumerate(entities):
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        path = ("msteams", "entities", index)
        text = entity.get("text")
        if not isinstance(text, str) or not text:
            yield Problem(
                format_path((*path, "text")),
                'is missing: a mention needs its text, such as "<at>Adele</at>"',
            )
            continue
        if not (text.startswith("<at>") and text.endswith("</at>")):
            yield Problem(
                format_path((*path, "text")),
                f'"{text}" must be wrapped in <at>...</at>, such as "<at>Adele</at>"',
            )
        elif not any(text in candidate for candidate in _texts()):
            # Teams shows a mention where its <at> text appears in a TextBlock or a
            # FactSet (cards-format.md, "Mention support within Adaptive Cards").
            yield Problem(
                format_path((*path, "text")),
                f'"{text}" appears in no TextBlock text or Fact of the card, '
                "so Teams has nowhere to show the mention",
            )
        mentioned = entity.get("mentioned")
        if not isinstance(mentioned, dict):
            yield Problem(
                format_path((*path, "mentioned")),
                'is missing: a mention needs "mentioned": {"id": ..., "name": ...}',
            )
            continue
        for key in ("id", "name"):
            if not isinstance(mentioned.get(key), str) or not mentioned[key]:
                yield Problem(
                    format_path((*path, "mentioned", key)),
                    "is missing: a mention needs the user's id (Entra object id or UPN) and name",
                )


def _mention_texts(card: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for value in _objects(card.get("body")):
        if value.get("type") == "TextBlock" and isinstance(value.get("text"), str):
            texts.append(value["text"])
        elif value.get("type") == "FactSet" and isinstance(value.get("facts"), list):
            for fact in value["facts"]:
                if isinstance(fact, dict):
                    texts.extend(
                        v for v in (fact.get("title"), fact.get("value")) if isinstance(v, str)
                    )
    return texts


def _check_unsupported_elements(card: dict[str, Any]) -> Iterator[Problem]:
    # "Media elements are currently not supported in Adaptive Cards on Teams platform"
    # (cards-format.md).
    for path, value in walk(card):
        if isinstance(value, dict) and value.get("type") == "Media":
            yield Problem(format_path(path), "Teams does not render Media elements")


def _check_shows_something(card: dict[str, Any]) -> Iterator[Problem]:
    # Teams posts a card with an empty body and no actions as an empty frame: nobody can tell
    # what it was about (`{}` posted to the `message` template).
    actions = card.get("actions")
    if isinstance(actions, list) and actions:
        return
    body = card.get("body")
    if isinstance(body, list) and any(_shows_something(element) for element in body):
        return
    yield Problem(
        "$.body",
        "the card shows nothing: no element with text or content and no actions "
        "(check that the data has the fields the template shows)",
    )


_TEXT_ELEMENTS: Final = frozenset({"TextBlock"})
_CONTAINERS: Final = {"Container": "items", "ColumnSet": "columns", "Column": "items"}


def _shows_something(element: Any) -> bool:
    if not isinstance(element, dict):
        return True  # not an element: the schema reports it
    kind = element.get("type")
    if kind in _TEXT_ELEMENTS:
        text = element.get("text")
        return not isinstance(text, str) or bool(text.strip())
    if kind == "RichTextBlock":
        inlines = element.get("inlines")
        return not isinstance(inlines, list) or any(
            not isinstance(i, (str, dict))
            or bool((i if isinstance(i, str) else str(i.get("text", ""))).strip())
            for i in inlines
        )
    if kind == "FactSet":
        facts = element.get("facts")
        return not isinstance(facts, list) or bool(facts)
    if kind == "ActionSet":
        actions = element.get("actions")
        return not isinstance(actions, list) or bool(actions)
    if kind in _CONTAINERS:
        children = element.get(_CONTAINERS[kind])
        if isinstance(children, list) and any(_shows_something(c) for c in children):
            return True
        # A container's own background image or select action is still something to see/use.
        return "backgroundImage" in element or "selectAction" in element
    return True  # images, tables, inputs and anything else show themselves


def _check_sizes(card: dict[str, Any]) -> Iterator[Problem]:
    for path, size in _own_sizes(card, ()):
        if size > MESSAGE_LIMIT_BYTES:
            what = "the card without its elements" if not path else "this element on its own"
            yield Problem(
                format_path(path),
                f"{what} is {size:,} bytes; Teams refuses a message over "
                f"{MESSAGE_LIMIT_BYTES:,} bytes (28 KB) and delivery can split a card "
                "only between elements",
            )


def _own_sizes(
    value: Any, path: tuple[PathPart, ...]
) -> Iterator[tuple[tuple[PathPart, ...], int]]:
    """(path, bytes) of every part of a card that could be over the message limit, each part
    measured without its sub-parts (a part within a part that fits is left out)."""
    if not isinstance(value, dict):
        yield path, serialized_size(value)
        return
    own = dict(value)
    children: list[tuple[tuple[PathPart, ...], Any]] = []
    for key in (*_CHILD_KEYS, *_ACTION_KEYS):
        parts = value.get(key)
        if isinstance(parts, list):
            own[key] = []
            children.extend(((*path, key, index), part) for index, part in enumerate(parts))
    card = value.get("card")
    if value.get("type") == "Action.ShowCard" and isinstance(card, dict):
        own["card"] = {}
        children.append(((*path, "card"), card))
    yield path, serialized_size(own)
    for child_path, child in children:
        # A part's text is inside its container's, so nothing in a part that fits as a whole
        # can be over the limit: one measure instead of one per sub-part (a 1,000-alert card).
        if isinstance(child, dict) and serialized_size(child) <= MESSAGE_LIMIT_BYTES:
            continue
        yield from _own_sizes(child, child_path)


def _or_list(names: Sequence[str]) -> str:
    if len(names) == 1:
        return f"{names[0]} only"
    return ", ".join(names[:-1]) + f" or {names[-1]}"


# --- MessageCard (legacy O365 connector card) ---------------------------------------------


def _check_message_card(card: dict[str, Any], target: Target) -> Iterator[Problem]:
    # Incoming Webhooks answer HTTP 400 "Summary or Text is required." without either.
    if not any(isinstance(card.get(k), str) and card[k].strip() for k in ("summary", "text")):
        yield Problem(
            "$",
            'a MessageCard needs a non-empty "summary" or "text" '
            '(Teams answers "Summary or Text is required.")',
        )
    for key in ("summary", "text", "title", "themeColor"):
        if key in card and not isinstance(card[key], str):
            yield Problem(format_path((key,)), f"must be a string, not {describe(card[key])}")
    yield from _check_connector_actions(card.get("potentialAction"), ("potentialAction",), target)
    sections = card.get("sections")
    if sections is not None and not isinstance(sections, list):
        yield Problem("$.sections", f"must be an array of sections, not {describe(sections)}")
        sections = None
    for index, section in enumerate(sections or []):
        path = ("sections", index)
        if not isinstance(section, dict):
            yield Problem(format_path(path), f"must be an object, not {describe(section)}")
            continue
        yield from _check_facts(section.get("facts"), (*path, "facts"))
        yield from _check_connector_actions(
            section.get("potentialAction"), (*path, "potentialAction"), target
        )
    # Measured like an Adaptive Card: a section is the smallest part a card can be cut into.
    own = {k: v for k, v in card.items() if k != "sections"}
    parts: list[tuple[tuple[PathPart, ...], Any]] = [((), own)]
    parts.extend((("sections", i), s) for i, s in enumerate(sections or []))
    for part_path, part in parts:
        size = serialized_size(part)
        if size > MESSAGE_LIMIT_BYTES:
            what = "this section on its own" if part_path else "the card without its sections"
            yield Problem(
                format_path(part_path),
                f"{what} is {size:,} bytes; Teams refuses a message over "
                f"{MESSAGE_LIMIT_BYTES:,} bytes (28 KB)",
            )


def _check_facts(facts: Any, path: tuple[PathPart, ...]) -> Iterator[Problem]:
    if facts is None:
        return
    if not isinstance(facts, list):
        yield Problem(format_path(path), f"must be an array of facts, not {describe(facts)}")
        return
    for index, fact in enumerate(facts):
        if not isinstance(fact, dict) or not isinstance(fact.get("name"), str):
            yield Problem(
                format_path((*path, index)),
                'a fact must be an object with a "name" and a "value"',
            )


def _check_connector_actions(
    actions: Any, path: tuple[PathPart, ...], target: Target
) -> Iterator[Problem]:
    if actions is None:
        return
    if not isinstance(actions, list):
        yield Problem(format_path(path), f"must be an array of actions, not {describe(actions)}")
        return
    allowed = _CONNECTOR_ACTIONS[target]
    for index, action in enumerate(actions):
        action_path = (*path, index)
        if not isinstance(action, dict):
            yield Problem(format_path(action_path), f"must be an object, not {describe(action)}")
            continue
        kind = action.get("@type")
        if kind not in allowed:
            yield Problem(
                format_path((*action_path, "@type")),
                f"{json.dumps(kind)} is not an action Teams supports {_WHERE[target]}; "
                f"use {_or_list(allowed)}",
            )
        elif kind == "OpenUri":
            targets = action.get("targets")
            if not (
                isinstance(targets, list)
                and targets
                and all(isinstance(t, dict) and isinstance(t.get("uri"), str) for t in targets)
            ):
                yield Problem(
                    format_path((*action_path, "targets")),
                    'an OpenUri action needs "targets": [{"os": "default", "uri": "https://..."}]',
                )
        elif kind == "ActionCard":
            yield from _check_connector_actions(
                action.get("actions"), (*action_path, "actions"), target
            )
