"""`POST /api/teams/outgoing`: what is answered, what is refused, and why.

Teams facts relied on (docs/teams-protocol.md): the body is a Bot Framework Activity; the
header is `Authorization: HMAC <base64>` with the HMAC-SHA256 of the raw body under the
base64-decoded token; one app may serve several webhooks, each with its own token; the answer
is the HTTP response body, `{"type":"message","text":...}`.
"""

import asyncio
import json
import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import azure.functions as func
import pytest

from devtools.outgoing import (
    DEV_TOKEN,
    OPS_TOKEN,
    activity,
    answer,
    command_request,
    make_endpoint,
    mention_text,
    raw_body,
    run,
    signed_request,
    teams_signature,
)
from shared.config.once import reset_configuration
from shared.outgoing.handler import MAX_BODY_BYTES
from shared.outgoing.registry import CommandContext, Registry, commands
from shared.triggers.outgoing_webhook import bp
from tests.support.paths import ROOT

LOGGER = "shared.outgoing.handler"
NOW = datetime(2024, 11, 5, 9, 30, tzinfo=UTC)


def counting_registry() -> tuple[Registry, list[tuple[str, ...]]]:
    """The built-in commands plus `count`, which records every run and its arguments."""
    registry = commands.copy()
    runs: list[tuple[str, ...]] = []

    @registry.command("count", help="Record a run.")
    def count(context: CommandContext) -> str:
        runs.append(context.args)
        return f"run {len(runs)}"

    return registry, runs


def error_of(response: func.HttpResponse) -> dict[str, object]:
    body = answer(response)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    error: dict[str, object] = body["error"]
    return error


# --- accepted ---------------------------------------------------------------------------------


def test_a_signed_mention_is_answered_with_a_message() -> None:
    response = run(make_endpoint(), command_request("ping"))
    assert response.status_code == 200
    assert answer(response) == {"type": "message", "text": "pong"}


def test_the_signature_covers_the_raw_bytes_not_reserialised_json() -> None:
    payload = activity(mention_text("ping"))
    body = raw_body(payload)
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body  # the test's premise: the bytes change when re-serialised
    endpoint = make_endpoint()

    signed_over_raw = run(endpoint, signed_request(body))
    signed_over_parsed = run(
        endpoint,
        signed_request(body, authorization=f"HMAC {teams_signature(reserialised, OPS_TOKEN)}"),
    )

    assert signed_over_raw.status_code == 200
    assert signed_over_parsed.status_code == 401


def test_unicode_and_fields_teams_may_add_later_are_accepted() -> None:
    registry, runs = counting_registry()
    payload = activity(
        mention_text("count Grüße&nbsp;“東京 ✅” 🚀"),
        futureField={"nested": [1, 2, 3]},
        channelData={"unexpected": True},
    )
    response = run(make_endpoint(registry), signed_request(raw_body(payload)))
    assert answer(response) == {"type": "message", "text": "run 1"}
    assert runs == [("Grüße", "東京 ✅", "🚀")]


def test_each_webhook_is_verified_with_its_own_token() -> None:
    endpoint = make_endpoint()
    body = raw_body(activity(mention_text("ping")))
    assert (run(endpoint, signed_request(body, webhook="dev", token=DEV_TOKEN))).status_code == 200
    other = raw_body(activity(mention_text("ping")))
    assert (run(endpoint, signed_request(other, webhook="dev", token=OPS_TOKEN))).status_code == 401


def test_the_webhook_name_is_accepted_in_any_case() -> None:
    response = run(make_endpoint(), command_request("ping", webhook="OPS"))
    assert response.status_code == 200


def test_a_body_of_exactly_64_kb_is_accepted() -> None:
    payload = activity(mention_text("ping"))
    padding = MAX_BODY_BYTES - len(raw_body(payload | {"padding": ""}))
    body = raw_body(payload | {"padding": "x" * padding})
    assert len(body) == MAX_BODY_BYTES
    assert (run(make_endpoint(), signed_request(body))).status_code == 200


def test_the_blueprint_registers_an_anonymous_post_route_that_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The HMAC is the authentication: Teams cannot send a function key.
    monkeypatch.setenv("TEAMS_OUTGOING_TOKEN_OPS", OPS_TOKEN)
    reset_configuration()
    app = func.FunctionApp()  # type: ignore[no-untyped-call]
    app.register_functions(bp)
    [function] = app.get_functions()
    try:
        [trigger, _] = json.loads(function.get_function_json())["bindings"]
        assert (trigger["type"], trigger["route"], trigger["methods"], trigger["authLevel"]) == (
            "httpTrigger",
            "teams/outgoing",
            ["POST"],
            "ANONYMOUS",
        )
        response = asyncio.run(function.get_user_function()(command_request("ping")))
        assert answer(response) == {"type": "message", "text": "pong"}
    finally:
        reset_configuration()


def test_importing_the_blueprint_loads_none_of_the_endpoint() -> None:
    # function_app imports every blueprint on each cold start; the endpoint loads on first use.
    code = (
        "import sys, shared.triggers.outgoing_webhook; "
        "print(sorted(m for m in sys.modules if m.startswith('shared')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    # shared.triggers.loading is the few lines that load the endpoint off the event loop.
    assert loaded.strip() == (
        "['shared', 'shared.triggers', 'shared.triggers.loading', "
        "'shared.triggers.outgoing_webhook']"
    )


# --- refused: authentication (401) --------------------------------------------------------------

UNSIGNED = raw_body(activity(mention_text("count")))


@pytest.mark.parametrize(
    ("request_factory", "reason"),
    [
        (lambda: signed_request(UNSIGNED, authorization=""), "missing Authorization header"),
        (
            lambda: func.HttpRequest(
                "POST",
                "https://x/api/teams/outgoing?webhook=ops",
                params={"webhook": "ops"},
                body=UNSIGNED,
            ),
            "missing Authorization header",
        ),
        (
            lambda: signed_request(
                UNSIGNED, authorization=f"Bearer {teams_signature(UNSIGNED, OPS_TOKEN)}"
            ),
            "scheme is not HMAC",
        ),
        (lambda: signed_request(UNSIGNED, authorization="HMAC not*base64"), "not valid base64"),
        (lambda: signed_request(UNSIGNED, token=DEV_TOKEN), "wrong signature"),
        (
            lambda: signed_request(
                UNSIGNED.replace(b"count", b"ping!"),
                authorization=f"HMAC {teams_signature(UNSIGNED, OPS_TOKEN)}",
            ),
            "wrong signature",
        ),
        (lambda: signed_request(UNSIGNED, webhook="qa"), "unknown webhook name"),
        (lambda: signed_request(UNSIGNED, webhook=None), "no ?webhook=<name>"),
        (
            lambda: signed_request(UNSIGNED, webhook="../ops"),
            "webhook name in the callback URL is not valid",
        ),
        (lambda: signed_request(b""), "empty body"),
    ],
    ids=[
        "empty header",
        "no header",
        "bearer scheme",
        "bad base64",
        "other webhook's token",
        "tampered body",
        "unknown webhook",
        "no webhook parameter",
        "invalid webhook name",
        "empty body",
    ],
)
def test_requests_not_signed_for_the_webhook_are_refused_with_401(
    request_factory: object, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    registry, runs = counting_registry()
    caplog.set_level(logging.DEBUG)
    response = run(make_endpoint(registry), request_factory())  # type: ignore[operator]
    assert response.status_code == 401
    assert error_of(response) == {
        "code": "unauthorized",
        "message": "The request is not signed by a configured Teams Outgoing Webhook.",
        "details": {},
    }
    assert reason in caplog.text
    assert runs == []


def test_a_webhook_with_a_broken_token_is_refused_and_the_log_names_the_setting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    endpoint = make_endpoint(TEAMS_OUTGOING_TOKEN_QA="not base64 at all")
    response = run(endpoint, command_request("ping", webhook="qa", token=OPS_TOKEN))
    assert response.status_code == 401
    assert "disabled by a configuration problem in TEAMS_OUTGOING_TOKEN_QA" in caplog.text
    # The other webhooks keep working.
    assert (run(endpoint, command_request("ping"))).status_code == 200


def test_logs_and_answers_never_hold_the_token_key_or_expected_signature(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint = make_endpoint()
    body = raw_body(activity(mention_text("ping")))
    expected = teams_signature(body, OPS_TOKEN)
    answers = [
        run(endpoint, signed_request(body, token=DEV_TOKEN)),
        run(endpoint, signed_request(body, authorization="HMAC AAAA")),
        run(endpoint, signed_request(body, webhook="dev")),
    ]
    seen = caplog.text + "".join(r.get_body().decode() for r in answers)
    for secret in (OPS_TOKEN, DEV_TOKEN, expected, teams_signature(body, DEV_TOKEN)):
        assert secret not in seen


# --- refused: size (413) and content (400) --------------------------------------------------------


def test_a_body_over_64_kb_is_refused_with_413_before_anything_else(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    # Not JSON and not signed: the size alone decides.
    response = run(make_endpoint(), signed_request(b"{" * (MAX_BODY_BYTES + 1), authorization=""))
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert f"body of {MAX_BODY_BYTES + 1} bytes" in caplog.text


def test_a_signed_body_over_64_kb_is_refused_with_413() -> None:
    body = raw_body(activity(mention_text("ping"), padding="x" * MAX_BODY_BYTES))
    assert (run(make_endpoint(), signed_request(body))).status_code == 413


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (b'{"type": "message", "text": ', "invalid_json", "not valid JSON"),
        (b"\xff\xfe{}", "invalid_json", "not UTF-8"),
        (b'{"type": "message", "text": "\xe9"}', "invalid_json", "not UTF-8"),
        (b'["message"]', "invalid_activity", "not a JSON object"),
        (b"[" * 30_000 + b"]" * 30_000, "invalid_json", "nests JSON too deeply"),
        (
            raw_body(activity("hi", type="conversationUpdate")),
            "not_a_message",
            '"conversationUpdate"',
        ),
        (raw_body(activity("hi", type="invoke")), "not_a_message", '"invoke"'),
        (
            raw_body(activity("hi", timestamp=None) | {"timestamp": None}),
            "invalid_activity",
            "timestamp",
        ),
        (
            raw_body(activity("hi") | {"timestamp": "2024-11-05T09:30:00"}),
            "invalid_activity",
            "timestamp",
        ),
        (raw_body(activity("hi") | {"id": ""}), "invalid_activity", "'id'"),
        (raw_body(activity("hi") | {"from": "Adele"}), "invalid_activity", "'from'"),
    ],
    ids=[
        "truncated JSON",
        "UTF-16 byte order mark",
        "Latin-1 text",
        "array",
        "deeply nested",
        "conversationUpdate",
        "invoke",
        "no timestamp",
        "timestamp without zone",
        "empty id",
        "from not an object",
    ],
)
def test_a_signed_body_that_is_no_message_activity_is_refused_with_400(
    body: bytes, code: str, says: str
) -> None:
    registry, runs = counting_registry()
    response = run(make_endpoint(registry), signed_request(body))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == code
    assert says in str(error["message"])
    assert runs == []


# --- refused: replays (401) --------------------------------------------------------------------


def test_the_same_activity_twice_runs_once_and_the_second_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    registry, runs = counting_registry()
    endpoint = make_endpoint(registry)
    body = raw_body(activity(mention_text("count"), activity_id="1730799000000"))

    first = run(endpoint, signed_request(body))
    second = run(endpoint, signed_request(body))

    assert first.status_code == 200
    assert second.status_code == 401
    assert "replay: activity 1730799000000 was already answered" in caplog.text
    assert runs == [()]


def test_a_second_webhook_may_carry_the_same_activity_id() -> None:
    # Ids are remembered per webhook and conversation, not globally.
    registry, runs = counting_registry()
    endpoint = make_endpoint(registry)
    payload = activity(mention_text("count"), activity_id="1730799000001")
    run(endpoint, signed_request(raw_body(payload)))
    other = run(endpoint, signed_request(raw_body(payload), webhook="dev", token=DEV_TOKEN))
    assert other.status_code == 200
    assert len(runs) == 2


@pytest.mark.parametrize(
    ("age", "says"),
    [
        (timedelta(minutes=5, seconds=1), "301 s old, over the 300 s window"),
        (timedelta(hours=3), "10800 s old"),
        (-timedelta(seconds=61), "61 s in the future"),
        (-timedelta(days=1), "86400 s in the future"),
    ],
)
def test_an_activity_outside_the_time_window_is_refused(
    age: timedelta, says: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    registry, runs = counting_registry()
    body = raw_body(activity(mention_text("count"), timestamp=NOW - age))
    response = run(make_endpoint(registry, NOW), signed_request(body))
    assert response.status_code == 401
    assert f"replay: timestamp is {says}" in caplog.text
    assert runs == []


@pytest.mark.parametrize("age", [timedelta(minutes=4, seconds=59), -timedelta(seconds=59)])
def test_an_activity_inside_the_time_window_is_answered(age: timedelta) -> None:
    body = raw_body(activity(mention_text("ping"), timestamp=NOW - age))
    assert (run(make_endpoint(None, NOW), signed_request(body))).status_code == 200


def test_the_replay_window_is_a_setting() -> None:
    endpoint = make_endpoint(None, NOW, TEAMS_OUTGOING_REPLAY_WINDOW_SECONDS="60")
    body = raw_body(activity(mention_text("ping"), timestamp=NOW - timedelta(seconds=61)))
    assert (run(endpoint, signed_request(body))).status_code == 401


def test_remembered_ids_are_bounded_and_forgotten_after_the_window() -> None:
    guard = make_endpoint(None, NOW).replay
    for n in range(guard._max_remembered + 50):
        assert guard.first_time(("ops", "c", str(n)), NOW, NOW)
    assert len(guard._expiry_by_key) == guard._max_remembered
    later = NOW + timedelta(seconds=301)
    assert guard.first_time(("ops", "c", "new"), later, later)
    assert len(guard._expiry_by_key) == 1
