"""Envelope encryption of webhook URLs: AES-GCM under a data key wrapped by the key setting's key,
or by a Key Vault key through the SDK's CryptographyClient (run locally from a JWK here: the same
SDK code path as in Azure, minus the HTTP call)."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest
from azure.keyvault.keys import JsonWebKey
from azure.keyvault.keys.crypto import CryptographyClient
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.subscriptions.crypto import (
    KeyProblem,
    KeyVaultKey,
    LocalKey,
    UrlSealer,
    key_from_settings,
    new_local_key,
)

URL = "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=SECRET"


def _b64url_int(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def local_vault_client(key_id: str) -> Any:
    """A CryptographyClient over an RSA JWK (what Key Vault holds), working locally."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.private_numbers()
    public = numbers.public_numbers
    jwk = JsonWebKey(
        kid=key_id + "/0123456789abcdef",
        kty="RSA",
        key_ops=["wrapKey", "unwrapKey"],
        n=_b64url_int(public.n),
        e=_b64url_int(public.e),
        d=_b64url_int(numbers.d),
        p=_b64url_int(numbers.p),
        q=_b64url_int(numbers.q),
        dp=_b64url_int(numbers.dmp1),
        dq=_b64url_int(numbers.dmq1),
        qi=_b64url_int(numbers.iqmp),
    )
    return CryptographyClient.from_jwk(jwk)


def test_a_sealed_url_opens_only_for_its_own_subscription() -> None:
    sealer = UrlSealer(LocalKey(base64.b64decode(new_local_key())))
    sealed = sealer.seal(URL, "sub-one")
    assert b"SECRET" not in sealed.ciphertext
    assert b"SECRET" not in sealed.wrapped_key
    assert sealer.open(sealed, "sub-one") == URL
    with pytest.raises(KeyProblem):
        sealer.open(sealed, "sub-two")
    tampered = dataclasses.replace(
        sealed, ciphertext=bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    )
    with pytest.raises(KeyProblem):
        sealer.open(tampered, "sub-one")
    # Each URL has its own data key and nonce.
    again = sealer.seal(URL, "sub-one")
    assert again.ciphertext != sealed.ciphertext
    assert again.wrapped_key != sealed.wrapped_key


def test_a_key_vault_key_wraps_and_unwraps_through_the_sdk() -> None:
    key_id = "https://kv-test.vault.azure.net/keys/subscriptions"
    clients: dict[str, Any] = {}

    def client_for(kid: str) -> Any:
        # One key: the versioned id the wrap answered names the same key.
        return clients.setdefault("key", local_vault_client(key_id))

    sealer = UrlSealer(KeyVaultKey(key_id, client_for))
    sealed = sealer.seal(URL, "sub-1")
    assert sealed.key_ref.startswith(key_id + "/")  # the version that wrapped it
    assert len(sealed.wrapped_key) == 256  # RSA-2048 OAEP output
    fresh = UrlSealer(KeyVaultKey(key_id, client_for))  # another instance: nothing cached
    assert fresh.open(sealed, "sub-1") == URL


@pytest.mark.parametrize(
    ("environ", "in_azure", "says"),
    [
        ({}, False, "SUBSCRIPTIONS_KEY: is not set"),
        ({}, True, "SUBSCRIPTIONS_KEY_ID: is not set"),
        ({"SUBSCRIPTIONS_KEY": "not base64!"}, False, "32 random bytes"),
        ({"SUBSCRIPTIONS_KEY": new_local_key()}, True, "refused in Azure"),
        (
            {"SUBSCRIPTIONS_KEY_ID": "http://kv.vault.azure.net/keys/x"},
            True,
            "Key Vault key identifier",
        ),
        (
            {"SUBSCRIPTIONS_KEY_ID": "https://kv.vault.azure.net/secrets/x"},
            True,
            "Key Vault key identifier",
        ),
    ],
)
def test_key_settings_are_checked_by_name_never_by_value(
    environ: dict[str, str], in_azure: bool, says: str
) -> None:
    with pytest.raises(KeyProblem) as caught:
        key_from_settings(environ, in_azure=in_azure)
    assert says in str(caught.value)
    for value in environ.values():
        assert value not in str(caught.value)


def test_good_key_settings_give_the_right_key() -> None:
    assert isinstance(
        key_from_settings({"SUBSCRIPTIONS_KEY": new_local_key()}, in_azure=False), LocalKey
    )
    vault = key_from_settings(
        {"SUBSCRIPTIONS_KEY_ID": "https://kv.vault.azure.net/keys/subscriptions"}, in_azure=True
    )
    assert isinstance(vault, KeyVaultKey)
