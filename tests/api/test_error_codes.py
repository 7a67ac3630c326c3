"""One error shape, one status per code, on every route.

Each `ErrorCode` is answered with the status it maps to, as the docs' error tables say; the codes
that no other test reaches through a real request are reached here: an unexpected failure
(`internal_error`), a card delivery cannot send (`card_rejected`), a mention on a card that cannot
carry one (`mention_not_supported`) and a delivery failure of no known kind (`delivery_failed`).
"""

import logging
import re
from typing import Any

import pytest

from devtools.teams_standin import TeamsStandIn
from shared import catalog
from shared.api.answers import delivery_answer
from shared.api.errors import ApiError, ErrorCode
from shared.cards import compile_template
from shared.teams.delivery import DeliveryResult
from shared.teams.errors import PermanentDeliveryError
from tests.support.function_app import Answer, call_notify, configure, notify_request
from tests.support.paths import ROOT

MESSAGE_CARD = compile_template(
    {"@type": "MessageCard", "@context": "https://schema.org/extensions", "text": "${text}"}
)
SECRET = "https://contoso.webhook.office.com/webhookb2/secret@tenant/IncomingWebhook/abc/def"


def documented_codes() -> dict[str, int]:
    """Every `| status | `code` |` row of the error tables in docs/http-api.md."""
    text = (ROOT / "docs" / "http-api.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", text, flags=re.MULTILINE)
    return {code: int(status) for status, code in rows}


def assert_error(answer: Answer, code: ErrorCode) -> dict[str, Any]:
    assert answer.status == code.status, answer.body
    assert set(answer.body) == {"error"}
    error: dict[str, Any] = answer.body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code.value
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], dict)
    return error


def test_every_code_is_documented_with_its_status() -> None:
    assert documented_codes() == {code.value: code.status for code in ErrorCode}


@pytest.mark.parametrize("code", list(ErrorCode))
def test_an_error_body_has_the_one_shape(code: ErrorCode) -> None:
    error = ApiError(code, "what to fix", {"known": ["a"]})
    assert error.status == code.status
    assert error.body() == {
        "error": {"code": code.value, "message": "what to fix", "details": {"known": ["a"]}}
    }
    assert ApiError(code, "x").body()["error"]["details"] == {}


def test_an_unexpected_failure_is_internal_error_with_the_invocation_id_and_no_text(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    configure(monkeypatch, teams)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"boom while posting to {SECRET}")

    monkeypatch.setattr("shared.api.handlers.render_cards", broken)
    caplog.set_level(logging.INFO)
    answer = call_notify(notify_request("message", {"title": "x"}, query={"channel": "ops"}))
    error = assert_error(answer, ErrorCode.INTERNAL_ERROR)
    assert set(error["details"]) == {"invocation_id"}
    assert "RuntimeError" in caplog.text
    assert "secret" not in caplog.text
    assert "secret" not in str(answer.body)
    assert teams.records == []


def test_a_message_card_to_a_workflows_webhook_is_card_rejected_and_reaches_no_one(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    # Workflows webhooks take Adaptive Cards only (docs/teams-protocol.md#workflows-webhooks).
    configure(monkeypatch, teams)
    monkeypatch.setattr(catalog, "compiled", lambda name: MESSAGE_CARD)
    answer = call_notify(notify_request("message", {"text": "Disk full"}, query={"channel": "dev"}))
    error = assert_error(answer, ErrorCode.CARD_REJECTED)
    assert [r["status"] for r in error["details"]["results"]] == ["failed"]
    assert teams.records == []


def test_a_mention_on_a_message_card_is_mention_not_supported(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    # A MessageCard has no msteams.entities, so it cannot @mention anyone.
    configure(monkeypatch, teams)
    monkeypatch.setattr(catalog, "compiled", lambda name: MESSAGE_CARD)
    answer = call_notify(
        notify_request(
            "message",
            {"text": "Disk full"},
            query={"channel": "ops", "mention": "adele.vance@contoso.com"},
        )
    )
    assert_error(answer, ErrorCode.MENTION_NOT_SUPPORTED)
    assert teams.records == []


def test_a_failure_of_no_known_kind_is_delivery_failed_never_a_200() -> None:
    failed = DeliveryResult(
        "n-1", "ops", "failed", 1, "odd", error=PermanentDeliveryError("something new")
    )
    delivered = DeliveryResult("n-1", "dev", "delivered", 1, "posted")
    with pytest.raises(ApiError) as raised:
        delivery_answer("n-1", "message", [delivered, failed])
    assert raised.value.code is ErrorCode.DELIVERY_FAILED
    assert raised.value.status == 502
    assert "ops: something new" in raised.value.message
    assert [r["status"] for r in raised.value.details["results"]] == ["delivered", "failed"]
