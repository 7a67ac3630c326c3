"""Teams Outgoing Webhook signatures.

Teams signs each request with HMAC-SHA256 over the raw request body bytes, keyed with the
base64-decoded security token shown when the webhook was created, and sends
`Authorization: HMAC <base64 signature>`. Verification works on the bytes as received: a body that
was parsed and serialised again would not match.
"""

import base64
import binascii
import hashlib
import hmac

SCHEME = "HMAC"


class SignatureError(Exception):
    """The request is not signed with the webhook's token.

    `reason` says why in words safe for a log line: it never holds the token, the key or the
    signature that was expected.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_token(token: str) -> bytes:
    """The HMAC key of a security token as Teams shows it (standard base64).

    Raises ValueError (without the token in the message) when it is not valid base64 or empty.
    """
    try:
        key = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "is not valid base64 (copy the security token exactly as Teams shows it)"
        ) from None
    if not key:
        raise ValueError("is empty")
    return key


def sign(body: bytes, key: bytes) -> str:
    """The base64 signature Teams puts after `HMAC ` for this body and key."""
    return base64.b64encode(hmac.digest(key, body, hashlib.sha256)).decode("ascii")


def parse_authorization(header: str | None) -> bytes:
    """The signature bytes carried by an `Authorization: HMAC <base64>` header.

    Raises SignatureError when the header is missing, uses another scheme or is not base64.
    """
    if header is None or not header.strip():
        raise SignatureError("missing Authorization header")
    scheme, *rest = header.split(None, 1)
    value = rest[0] if rest else ""
    # Authentication schemes are case-insensitive (RFC 9110, section 11.1).
    if scheme.upper() != SCHEME:
        raise SignatureError(f"Authorization scheme is not {SCHEME}")
    try:
        signature = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("HMAC signature is not valid base64") from None
    if not signature:
        raise SignatureError("HMAC signature is empty")
    return signature


def verify_signature(body: bytes, signature: bytes, key: bytes) -> None:
    """Raise SignatureError unless `signature` is the HMAC-SHA256 of `body` under `key`.

    The comparison takes the same time wherever the first differing byte is, so an attacker cannot
    find a valid signature byte by byte from response times.
    """
    expected = hmac.digest(key, body, hashlib.sha256)
    if not hmac.compare_digest(expected, signature):
        raise SignatureError("wrong signature")
