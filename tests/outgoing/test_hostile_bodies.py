"""Signed bodies built to break the parser are answered 400 or normally, never 500 (issue 10)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.outgoing import (
    activity,
    answer,
    make_endpoint,
    mention_text,
    raw_body,
    run,
    signed_request,
)
from shared.outgoing.text import clean_text, parse_command


def base() -> bytes:
    """A signed ping's body, stamped now: built when the test runs, since a body stamped at
    collection ages past the replay window when the suite runs long (a busy machine)."""
    return raw_body(activity(mention_text("ping")))


def with_text(prefix: bytes) -> bytes:
    return base().replace(b'"text": "', b'"text": "' + prefix, 1)


def with_field(value_json: bytes) -> bytes:
    """The ping activity with one more top-level field whose JSON text is `value_json`."""
    return base().replace(
        b'"type": "message",', b'"type": "message", "extra": ' + value_json + b",", 1
    )


@pytest.mark.parametrize(
    ("body", "statuses"),
    [
        (lambda: with_text(b"\\ud800 "), {200}),
        (lambda: with_text(b"\\udfff\\ud83d"), {200}),
        (lambda: with_field(b"9" * 5000), {400}),
        (lambda: with_field(b"-" + b"1" * 5000), {400}),
        (lambda: with_field(b"1" * 4000 + b"." + b"1" * 4000 + b"e99999"), {200}),
        (lambda: raw_body(activity(mention_text("ping &#" + "9" * 5000 + ";"))), {200}),
        (lambda: raw_body(activity(mention_text("&#" + "0" * 5000 + "65;"))), {200}),
    ],
    ids=[
        "lone surrogate",
        "reversed pair",
        "5000-digit integer",
        "5000-digit negative",
        "huge float",
        "long charref",
        "zero-padded charref",
    ],
)
def test_a_hostile_signed_body_is_answered_never_raised(
    body: Callable[[], bytes], statuses: set[int]
) -> None:
    response = run(make_endpoint(), signed_request(body()))
    assert response.status_code in statuses
    reply = answer(response)
    if response.status_code == 400:
        assert reply["error"]["code"] == "invalid_json"
        assert "number too long" in reply["error"]["message"]
    else:
        assert reply["type"] == "message"


def test_a_long_character_reference_reads_as_the_replacement_character() -> None:
    assert clean_text("a &#" + "9" * 5000 + "; b") == "a \ufffd b"
    # Leading zeros do not make a reference long: it still reads as its character.
    assert clean_text("&#" + "0" * 5000 + "65;") == "A"
    assert clean_text("&#0000000066;") == "B"


message_texts = st.lists(
    st.one_of(
        st.characters(blacklist_categories=()),
        st.sampled_from(["&#", "&#x", ";", "<at>", "</at>", "<", ">", '"', "\u201c"]),
        st.integers(min_value=0, max_value=6000).map(lambda n: "9" * n),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300)
@given(message_texts)
def test_any_message_text_parses_into_a_command_line(text: str) -> None:
    line = parse_command(text)
    assert line.name == line.name.lower()


def _array(items: list[bytes]) -> bytes:
    return b"[" + b",".join(items) + b"]"


def _object(items: dict[str, bytes]) -> bytes:
    return b"{" + b",".join(json.dumps(k).encode() + b":" + v for k, v in items.items()) + b"}"


# Raw JSON texts: integers are written out in full, up to 6,000 digits, as an attacker may (the
# standard library and Hypothesis both refuse to print integers over 4,300 digits).
raw_json_values = st.recursive(
    st.one_of(
        st.sampled_from([b"null", b"true", b"false", b"1e400", b"-1e-400", b"0.5"]),
        st.tuples(st.sampled_from([b"", b"-"]), st.integers(1, 6000)).map(
            lambda sign_digits: sign_digits[0] + b"9" * sign_digits[1]
        ),
        st.text(alphabet=st.characters(blacklist_categories=())).map(
            lambda text: json.dumps(text).encode()
        ),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(_array),
        st.dictionaries(st.text(max_size=5), children, max_size=4).map(_object),
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(["extra", "text", "entities", "channelData"]), value=raw_json_values)
def test_any_json_in_a_signed_activity_gives_400_or_a_reply(field: str, value: bytes) -> None:
    payload = activity(mention_text("ping"))
    payload.pop(field, None)
    head = json.dumps(payload, indent=2).encode()
    body = head[:-1] + b', "' + field.encode() + b'": ' + value + b"}"
    response = run(make_endpoint(), signed_request(body))
    assert response.status_code in (200, 400)
    assert isinstance(answer(response), dict)
