"""Bad requests: every one a 4xx with the JSON error shape that says what to fix, none a 500,
none reaching Teams.

A corpus of hand-written cases (broken JSON, NaN, wrong types, huge, deeply nested, invalid UTF-8,
unknown names, path tricks in the template name, a URL given as a channel, wrong content types),
each with its expected status and error code, then hypothesis generating bodies.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from devtools.teams_standin import TeamsStandIn
from shared import catalog
from tests.support.function_app import (
    FUNCTION_KEY,
    Answer,
    call_notify,
    call_render,
    configure,
    notify_request,
    render_request,
)

MB = 1024 * 1024
WEBHOOK_URL = "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456"


@dataclass(frozen=True)
class Case:
    name: str
    status: int
    code: str
    body: bytes | Any = b"{}"
    template: str = "message"
    query: Mapping[str, str] = field(default_factory=lambda: {"channel": "ops"})
    content_type: str | None = "application/json"


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


CORPUS = [
    # --- 400: not JSON by the standard, with its position --------------------------------------
    Case("unclosed object", 400, "invalid_json", b'{"title": "x"'),
    Case("trailing comma", 400, "invalid_json", b'{"title": "x",}'),
    Case("single quotes", 400, "invalid_json", b"{'title': 'x'}"),
    Case("unquoted key", 400, "invalid_json", b"{title: 1}"),
    Case("leading zero", 400, "invalid_json", b'{"a": 01}'),
    Case("bare fraction", 400, "invalid_json", b'{"a": .5}'),
    Case("trailing garbage", 400, "invalid_json", b'{"a": 1} {"b": 2}'),
    Case("unterminated string", 400, "invalid_json", b'{"a": "x}'),
    Case("raw control character", 400, "invalid_json", b'{"a": "tab\there"}'),
    Case("bad escape", 400, "invalid_json", b'{"a": "\\x41"}'),
    Case("comment", 400, "invalid_json", b'// alert\n{"a": 1}'),
    Case("NaN", 400, "invalid_json", b'{"value": NaN}'),
    Case("Infinity", 400, "invalid_json", b'{"value": Infinity}'),
    Case("minus Infinity", 400, "invalid_json", b'{"value": -Infinity}'),
    Case("number beyond a double", 400, "invalid_json", b'{"value": 1e999}'),
    Case("integer of 5000 digits", 400, "invalid_json", b'{"value": ' + b"9" * 5000 + b"}"),
    Case("undefined", 400, "invalid_json", b'{"value": undefined}'),
    Case("Python literal", 400, "invalid_json", b'{"value": True}'),
    Case("empty body", 400, "invalid_json", b""),
    Case("whitespace only", 400, "invalid_json", b" \n\t "),
    Case("unpaired surrogate", 400, "invalid_json", b'{"title": "\\ud800"}'),
    # --- 400: not UTF-8 ----------------------------------------------------------------------
    Case("invalid UTF-8 byte", 400, "invalid_json", b'{"title": "\xff"}'),
    Case("Latin-1 text", 400, "invalid_json", '{"title": "café"}'.encode("latin-1")),
    Case("UTF-16 with BOM", 400, "invalid_json", '{"title": "x"}'.encode("utf-16")),
    Case("truncated UTF-8 sequence", 400, "invalid_json", b'{"title": "\xe2\x82"}'),
    # --- 400: JSON, but not an object -------------------------------------------------------
    Case("array", 400, "not_an_object", b"[]"),
    Case("array of the object", 400, "not_an_object", b'[{"title": "x"}]'),
    Case("string", 400, "not_an_object", b'"Disk full"'),
    Case("number", 400, "not_an_object", b"42"),
    Case("null", 400, "not_an_object", b"null"),
    Case("boolean", 400, "not_an_object", b"true"),
    # --- 400: nesting, parameters ------------------------------------------------------------
    Case("nested 100 levels", 400, "too_deep", nested(100)),
    Case(
        "nested 100,000 levels", 400, "too_deep", b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    ),
    Case("eleven channels", 400, "invalid_parameter", query={"channel": ",".join(["ops"] * 11)}),
    Case("channel name of 200 letters", 400, "invalid_parameter", query={"channel": "a" * 200}),
    Case("mention that is no UPN", 400, "invalid_parameter", query={"mention": "Adele Vance"}),
    Case("mention with markup", 400, "invalid_parameter", query={"mention": "<at>x</at>@a.com"}),
    Case("mention without a domain", 400, "invalid_parameter", query={"mention": "adele@contoso"}),
    Case(
        "21 mentions",
        400,
        "invalid_parameter",
        query={"mention": ",".join(f"u{i}@c.com" for i in range(21))},
    ),
    # --- 404: unknown names, path tricks, a URL as a channel ---------------------------------
    Case("unknown template", 404, "unknown_template", template="nope"),
    Case("path trick", 404, "unknown_template", template="../../pyproject"),
    Case("encoded path trick", 404, "unknown_template", template="%2e%2e%2fcatalog"),
    Case("absolute path", 404, "unknown_template", template="/etc/passwd"),
    Case("backslashes", 404, "unknown_template", template="..\\..\\catalog"),
    Case("file name", 404, "unknown_template", template="message.json"),
    Case("sample data file", 404, "unknown_template", template="message.data"),
    Case("upper case", 404, "unknown_template", template="MESSAGE"),
    Case("null byte", 404, "unknown_template", template="mess\x00age"),
    Case("empty template name", 404, "unknown_template", template=""),
    Case("500-letter template name", 404, "unknown_template", template="a" * 500),
    Case("unknown channel", 404, "unknown_channel", query={"channel": "nowhere"}),
    Case("a webhook URL as channel", 404, "unknown_channel", query={"channel": WEBHOOK_URL}),
    Case("path trick as channel", 404, "unknown_channel", query={"channel": "../ops"}),
    Case("one known, one unknown", 404, "unknown_channel", query={"channel": "ops,nowhere"}),
    # --- 413 -----------------------------------------------------------------------------------
    Case("one byte over 1 MB", 413, "body_too_large", b'{"a": "' + b"x" * (MB - 8) + b'"}'),
    Case("5 MB", 413, "body_too_large", b'{"a": "' + b"x" * (5 * MB) + b'"}'),
    # --- 415 -----------------------------------------------------------------------------------
    Case("no content type", 415, "unsupported_media_type", content_type=None),
    Case("text/plain", 415, "unsupported_media_type", content_type="text/plain"),
    Case(
        "curl -d default",
        415,
        "unsupported_media_type",
        b"payload=%7B%7D",
        content_type="application/x-www-form-urlencoded",
    ),
    Case(
        "multipart", 415, "unsupported_media_type", content_type="multipart/form-data; boundary=x"
    ),
    Case("XML", 415, "unsupported_media_type", b"<alert/>", content_type="application/xml"),
    Case(
        "JSON in Latin-1",
        415,
        "unsupported_media_type",
        content_type="application/json; charset=iso-8859-1",
    ),
    Case("not quite JSON", 415, "unsupported_media_type", content_type="application/jsonx"),
    Case("text/json", 415, "unsupported_media_type", content_type="text/json"),
    # --- 422: the data does not make a card Teams shows ----------------------------------------
    Case("object where text goes", 422, "card_problems", {"title": {"a": 1}}),
    Case("number where text goes", 422, "card_problems", {"text": 5}),
    Case("number as a link", 422, "card_problems", {"links": [{"title": "x", "url": 5}]}),
    Case("unknown container style", 422, "card_problems", {"title": "x", "style": "purple"}),
    Case("a card that shows nothing", 422, "card_problems", {}),
    Case("fact without a title", 422, "unresolved_bindings", {"facts": [{"value": 1}]}),
    Case("facts that are not a list", 422, "unresolved_bindings", {"facts": "none"}),
    Case(
        "alerts that are not a list",
        422,
        "unresolved_bindings",
        {"alerts": "x"},
        template="alertmanager",
    ),
]


def assert_error_shape(answer: Answer, status: int, code: str) -> None:
    assert (answer.status, answer.body["error"]["code"]) == (status, code), answer.body
    assert set(answer.body) == {"error"}
    assert set(answer.body["error"]) == {"code", "message", "details"}
    assert isinstance(answer.body["error"]["message"], str)
    assert answer.body["error"]["message"]
    assert isinstance(answer.body["error"]["details"], dict)


def send(case: Case) -> Answer:
    request = notify_request(
        case.template, case.body, query=case.query, content_type=case.content_type
    )
    return call_notify(request)


def test_the_corpus_has_at_least_fifty_cases_with_distinct_names() -> None:
    assert len(CORPUS) >= 50
    assert len({case.name for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_a_bad_request_gets_its_status_and_code_and_reaches_no_one(
    case: Case, monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams)
    answer = send(case)
    assert_error_shape(answer, case.status, case.code)
    assert teams.records == []
    assert answer.retry == []
    text = json.dumps(answer.body)
    assert FUNCTION_KEY not in text
    assert WEBHOOK_URL not in text
    assert all(url not in text for url in channels.urls.values())
    assert "Traceback" not in text


def test_invalid_json_says_where(monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn) -> None:
    configure(monkeypatch, teams)
    answer = send(Case("x", 400, "invalid_json", b'{\n  "title": "x",\n  "value": NaN\n}'))
    assert answer.body["error"]["details"] == {"line": 3, "column": 12, "position": 29}
    assert "NaN is not JSON" in answer.body["error"]["message"]
    assert "(line 3, column 12)" in answer.body["error"]["message"]


def test_the_wrong_content_type_names_the_header_to_send(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    configure(monkeypatch, teams)
    answer = send(Case("x", 415, "unsupported_media_type", content_type="text/plain"))
    assert "Content-Type: application/json" in answer.body["error"]["message"]


def test_an_unknown_template_lists_the_known_ones(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    from shared import catalog

    configure(monkeypatch, teams)
    answer = send(Case("x", 404, "unknown_template", template="alrt"))
    assert answer.body["error"]["details"]["known"] == catalog.template_names()
    assert "unknown template 'alrt'" in answer.body["error"]["message"]


def test_a_path_trick_is_not_repeated_in_the_answer(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    configure(monkeypatch, teams)
    answer = send(Case("x", 404, "unknown_template", template="../../pyproject"))
    assert "pyproject" not in answer.body["error"]["message"]


def test_unresolved_bindings_are_listed(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    configure(monkeypatch, teams)
    answer = send(Case("x", 422, "unresolved_bindings", {"facts": [{"value": 1}]}))
    assert answer.body["error"]["details"]["bindings"] == [
        {"path": "$.body[0].facts[0].title", "expression": "${title}"}
    ]


def test_json_with_a_byte_order_mark_or_a_json_suffix_type_is_taken(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    # RFC 8259 lets a parser ignore a BOM; application/*+json is JSON.
    configure(monkeypatch, teams)
    bom = call_notify(
        notify_request("message", b'\xef\xbb\xbf{"title": "x"}', query={"channel": "ops"})
    )
    suffix = call_notify(
        notify_request(
            "message",
            {"title": "x"},
            query={"channel": "ops"},
            content_type="application/vnd.api+json; charset=UTF-8",
        )
    )
    assert (bom.status, suffix.status) == (200, 200)


# --- generated ---------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)


def oracle(raw: bytes) -> tuple[int, str] | None:
    """What the standard says about `raw` (None: a valid object, which would be sent)."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return 400, "invalid_json"

    def refuse(name: str) -> Any:
        raise ValueError(name)

    try:
        value = json.loads(text, parse_constant=refuse)
    except RecursionError:
        return 400, "too_deep"
    except ValueError:
        return 400, "invalid_json"
    if not isinstance(value, dict):
        return 400, "not_an_object"
    try:
        json.dumps(value).encode("utf-8")
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError):
        return 400, "invalid_json"
    return None


def with_constant(document: dict[str, Any], constant: str) -> bytes:
    return json.dumps({**document, "value": "@@"}).replace('"@@"', constant).encode()


bodies = st.one_of(
    st.binary(max_size=200).map(lambda raw: (raw, "application/json")),
    st.text(max_size=200).map(lambda text: (text.encode(), "application/json")),
    json_values.filter(lambda v: not isinstance(v, dict)).map(
        lambda v: (json.dumps(v).encode(), "application/json")
    ),
    st.tuples(objects, st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400"])).map(
        lambda pair: (with_constant(*pair), "application/json")
    ),
    st.tuples(
        objects,
        st.sampled_from(
            ["text/plain", "application/xml", "application/x-www-form-urlencoded", "text/html"]
        ),
    ).map(lambda pair: (json.dumps(pair[0]).encode(), pair[1])),
    objects.map(
        lambda o: (json.dumps({**o, "facts": [{"value": 1}]}).encode(), "application/json")
    ),
    objects.map(lambda o: (json.dumps({**o, "title": [1, 2]}).encode(), "application/json")),
)


# The names the `message` template reads from its data. Lookups in the template language ignore
# case (as in Microsoft's adaptivecards-templating), so a generated key such as "FACTS" or "Title"
# reaches the template just as "facts" or "title" would.
MESSAGE_FIELDS = frozenset({"title", "subtitle", "style", "text", "facts", "links", "mentions"})


def shadows_a_field(document: dict[str, Any], overridden: str) -> bool:
    """Whether a generated key reaches a field of `message` besides the one the case sets."""
    return any(key != overridden and key.casefold() in MESSAGE_FIELDS for key in document)


def expected(raw: bytes, content_type: str) -> tuple[int, str] | None:
    """The status and code the app must answer, or None for an object it would deliver."""
    if content_type != "application/json":
        return 415, "unsupported_media_type"
    verdict = oracle(raw)
    if verdict is not None:
        return verdict
    value = json.loads(raw)
    if value.get("facts") == [{"value": 1}]:
        # A fact without a title: strict expansion names the unbound `title`.
        assume(not shadows_a_field(value, "facts"))
        return 422, "unresolved_bindings"
    if isinstance(value.get("title"), list):
        # A list where a TextBlock needs text: the card check refuses it.
        assume(not shadows_a_field(value, "title"))
        return 422, "card_problems"
    return None


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bodies)
def test_generated_bad_bodies_are_refused_with_the_error_shape_and_reach_no_one(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, body: tuple[bytes, str]
) -> None:
    raw, content_type = body
    verdict = expected(raw, content_type)
    # A valid object would be delivered, which is not this test's subject.
    assume(verdict is not None)
    assert verdict is not None
    configure(monkeypatch, teams)
    answer = call_notify(
        notify_request("message", raw, query={"channel": "ops"}, content_type=content_type)
    )
    assert_error_shape(answer, *verdict)
    assert teams.records == []


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.sampled_from(catalog.template_names()), objects)
def test_no_object_makes_any_template_fail_with_a_500(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, template: str, document: dict[str, Any]
) -> None:
    # Through render, which runs the same expansion and checks and sends nothing.
    configure(monkeypatch, teams)
    answer = call_render(render_request(template, document))
    assert answer.status in (200, 422), answer.body
    assert teams.records == []


def height(value: Any) -> int:
    """Levels of a JSON value, by the definition: a value alone is one, each container adds one."""
    if isinstance(value, dict):
        return 1 + max((height(child) for child in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((height(child) for child in value), default=0)
    return 1


@given(value=json_values, limit=st.integers(min_value=0, max_value=8))
@settings(max_examples=300, deadline=None)
def test_the_depth_limit_counts_levels_as_the_definition_does(value: Any, limit: int) -> None:
    from shared.api.body import _depth_exceeds

    assert _depth_exceeds(value, limit) == (height(value) > limit)


def test_the_depth_limit_lets_64_levels_through_and_not_65() -> None:
    from shared.api.body import parse_json_object
    from shared.api.errors import ApiError

    # 63 objects and the number inside them: 64 levels.
    assert parse_json_object(nested(63))["a"]["a"]
    with pytest.raises(ApiError) as refused:
        parse_json_object(nested(64))
    assert refused.value.code == "too_deep"
