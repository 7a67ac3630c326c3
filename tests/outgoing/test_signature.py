"""Verifying Teams' HMAC signatures (docs/teams-protocol.md#outgoing-webhook-hmac): `Authorization:
HMAC <base64>`, signature = base64(HMAC-SHA256(key = base64-decode(token), message = raw body
bytes)))."""

import base64

import pytest

from devtools.outgoing import OPS_TOKEN, teams_signature
from shared.outgoing.signature import (
    SignatureError,
    decode_token,
    parse_authorization,
    sign,
    verify_signature,
)

BODY = b'{"type": "message", "text": "<at>Notifier</at>&nbsp;ping"}'
KEY = base64.b64decode(OPS_TOKEN)


def test_sign_matches_the_signature_teams_computes() -> None:
    assert sign(BODY, KEY) == teams_signature(BODY, OPS_TOKEN)


def test_a_teams_signature_verifies() -> None:
    signature = parse_authorization(f"HMAC {teams_signature(BODY, OPS_TOKEN)}")
    verify_signature(BODY, signature, KEY)


def test_one_changed_body_byte_fails_verification() -> None:
    signature = parse_authorization(f"HMAC {teams_signature(BODY, OPS_TOKEN)}")
    with pytest.raises(SignatureError, match="wrong signature"):
        verify_signature(BODY.replace(b"ping", b"pong"), signature, KEY)


def test_the_token_text_itself_is_not_the_key() -> None:
    # A common mistake: keying the HMAC with the token's characters instead of its decoded bytes.
    signature = parse_authorization(f"HMAC {sign(BODY, OPS_TOKEN.encode())}")
    with pytest.raises(SignatureError, match="wrong signature"):
        verify_signature(BODY, signature, KEY)


def test_a_truncated_signature_fails_verification() -> None:
    signature = parse_authorization(f"HMAC {teams_signature(BODY, OPS_TOKEN)}")
    with pytest.raises(SignatureError, match="wrong signature"):
        verify_signature(BODY, signature[:16], KEY)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_header_is_refused(header: str | None) -> None:
    with pytest.raises(SignatureError, match="missing Authorization header"):
        parse_authorization(header)


@pytest.mark.parametrize(
    "header", ["Bearer abc=", "Basic dXNlcjpwYXNz", "HMAC-SHA256 abc=", "abc="]
)
def test_another_scheme_is_refused(header: str) -> None:
    with pytest.raises(SignatureError, match="scheme is not HMAC"):
        parse_authorization(header)


def test_the_scheme_is_case_insensitive() -> None:
    signature = teams_signature(BODY, OPS_TOKEN)
    assert parse_authorization(f"hmac {signature}") == base64.b64decode(signature)


def test_any_whitespace_separates_scheme_and_signature() -> None:
    signature = teams_signature(BODY, OPS_TOKEN)
    assert parse_authorization(f"HMAC\t {signature} ") == base64.b64decode(signature)


@pytest.mark.parametrize("value", ["not base64!", "abc", "%%%%", "YWJj\nZA=="])
def test_a_signature_that_is_not_base64_is_refused(value: str) -> None:
    with pytest.raises(SignatureError, match="not valid base64"):
        parse_authorization(f"HMAC {value}")


def test_an_empty_signature_is_refused() -> None:
    with pytest.raises(SignatureError, match="empty"):
        parse_authorization("HMAC ")


def test_decode_token_gives_the_key_bytes() -> None:
    assert decode_token(f"  {OPS_TOKEN}\n") == KEY


@pytest.mark.parametrize("token", ["", "not a token", "abc", "@Microsoft.KeyVault(SecretUri=x)"])
def test_decode_token_refuses_what_is_not_base64_without_echoing_it(token: str) -> None:
    with pytest.raises(ValueError) as raised:
        decode_token(token)
    if token:
        assert token not in str(raised.value)
