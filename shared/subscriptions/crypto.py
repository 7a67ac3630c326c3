"""Envelope encryption of webhook URLs: each URL under its own data key, the data key wrapped by a
key that never sits in the table.

- In Azure the wrapping key is a Key Vault RSA key (`SUBSCRIPTIONS_KEY_ID`, its identifier URL):
  the app's managed identity may wrap and unwrap with it, never read it (Key Vault role "Key Vault
  Crypto User"). `azure-keyvault-keys`' CryptographyClient does the calls (RSA-OAEP-256), loaded
  on first use.
- Locally the wrapping key is 32 random bytes in base64 (`SUBSCRIPTIONS_KEY`); refused in Azure.

The URL is sealed with AES-256-GCM (`cryptography`'s AESGCM) with the subscription id as
associated data, so a ciphertext copied onto another row does not open. Unwrapped data keys are
kept in memory (bounded) so a fan-out does not call Key Vault once per subscription per request.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

__all__ = [
    "KEY_ID_SETTING",
    "KEY_SETTING",
    "KeyProblem",
    "KeyVaultKey",
    "KeyWrap",
    "LocalKey",
    "Sealed",
    "UrlSealer",
    "key_from_settings",
    "new_local_key",
]

KEY_SETTING: Final = "SUBSCRIPTIONS_KEY"
KEY_ID_SETTING: Final = "SUBSCRIPTIONS_KEY_ID"
_NONCE: Final = 12
_LOCAL_AAD: Final = b"teams-notify subscription data key"
_CACHE: Final = 512


class KeyProblem(Exception):
    """The key setting is missing or wrong, or a sealed URL does not open (no value quoted)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting
        self.message = message


class KeyWrap(Protocol):
    """Wraps and unwraps data keys; `ref` goes into the row to say which key wrapped it."""

    def wrap(self, key: bytes) -> tuple[str, bytes]:
        """(reference of the wrapping key version, wrapped key)."""
        ...

    def unwrap(self, ref: str, wrapped: bytes) -> bytes: ...


def new_local_key() -> str:
    """A fresh value for SUBSCRIPTIONS_KEY (`make run` writes one into local.settings.json)."""
    return base64.b64encode(os.urandom(32)).decode()


class LocalKey:
    """A wrapping key from a setting (development): AES-GCM over the data key."""

    ref: Final = "local"

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def wrap(self, key: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(_NONCE)
        return self.ref, nonce + self._aead.encrypt(nonce, key, _LOCAL_AAD)

    def unwrap(self, ref: str, wrapped: bytes) -> bytes:
        if ref != self.ref:
            raise KeyProblem(KEY_SETTING, "a subscription was sealed with a Key Vault key")
        try:
            return self._aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _LOCAL_AAD)
        except InvalidTag:
            raise KeyProblem(
                KEY_SETTING, "does not open a stored subscription (the key was changed?)"
            ) from None


class KeyVaultKey:
    """A Key Vault key, used through the app's identity: wrap and unwrap only (RSA-OAEP-256).

    `client_for` builds a CryptographyClient for a key identifier; tests hand in one made with
    `CryptographyClient.from_jwk`, which runs the same SDK code locally.
    """

    def __init__(self, key_id: str, client_for: Any = None) -> None:
        self.key_id = key_id
        self._client_for = client_for or _remote_client
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _client(self, key_id: str) -> Any:
        with self._lock:
            client = self._clients.get(key_id)
            if client is None:
                client = self._clients[key_id] = self._client_for(key_id)
            return client

    def wrap(self, key: bytes) -> tuple[str, bytes]:
        from azure.keyvault.keys.crypto import KeyWrapAlgorithm

        result = self._client(self.key_id).wrap_key(KeyWrapAlgorithm.rsa_oaep_256, key)
        # The versioned id: after a rotation, older rows still unwrap with the version they name.
        return str(result.key_id or self.key_id), bytes(result.encrypted_key)

    def unwrap(self, ref: str, wrapped: bytes) -> bytes:
        from azure.keyvault.keys.crypto import KeyWrapAlgorithm

        if ref == LocalKey.ref:
            raise KeyProblem(KEY_ID_SETTING, "a subscription was sealed with a local key")
        return bytes(self._client(ref).unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped).key)


def _credential() -> TokenCredential:
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    from shared.config.settings import running_in_azure
    from shared.state.store import STORAGE_SETTING

    # The app's user-assigned identity: the one its storage settings already name.
    client_id = os.environ.get("AZURE_CLIENT_ID") or os.environ.get(STORAGE_SETTING + "__clientId")
    if running_in_azure(os.environ):
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential()


def _remote_client(key_id: str) -> Any:
    from azure.keyvault.keys.crypto import CryptographyClient

    return CryptographyClient(key_id, _credential())


@dataclass(frozen=True)
class Sealed:
    """An encrypted URL as stored: ciphertext, nonce, wrapped data key, wrapping key reference."""

    ciphertext: bytes
    nonce: bytes
    wrapped_key: bytes
    key_ref: str


class UrlSealer:
    """Seals and opens webhook URLs; associated data binds each to its subscription id."""

    def __init__(self, wrap: KeyWrap) -> None:
        self.keys = wrap
        self._opened: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def seal(self, url: str, bound_to: str) -> Sealed:
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE)
        ciphertext = AESGCM(data_key).encrypt(nonce, url.encode(), bound_to.encode())
        ref, wrapped = self.keys.wrap(data_key)
        return Sealed(ciphertext, nonce, wrapped, ref)

    def open(self, sealed: Sealed, bound_to: str) -> str:
        data_key = self._data_key(sealed)
        try:
            plain = AESGCM(data_key).decrypt(sealed.nonce, sealed.ciphertext, bound_to.encode())
        except InvalidTag:
            raise KeyProblem("subscription", "the stored webhook URL does not open") from None
        return plain.decode()

    def _data_key(self, sealed: Sealed) -> bytes:
        with self._lock:
            known = self._opened.get(sealed.wrapped_key)
            if known is not None:
                self._opened.move_to_end(sealed.wrapped_key)
                return known
        data_key = self.keys.unwrap(sealed.key_ref, sealed.wrapped_key)
        with self._lock:
            self._opened[sealed.wrapped_key] = data_key
            while len(self._opened) > _CACHE:
                self._opened.popitem(last=False)
        return data_key


def key_from_settings(environ: Mapping[str, str], *, in_azure: bool) -> KeyWrap:
    """The wrapping key the settings name. Raises KeyProblem naming the setting."""
    key_id = environ.get(KEY_ID_SETTING, "").strip()
    local = environ.get(KEY_SETTING, "").strip()
    if key_id:
        parts = urlsplit(key_id)
        segments = [s for s in parts.path.split("/") if s]
        if (
            parts.scheme != "https"
            or not parts.hostname
            or len(segments) not in (2, 3)
            or segments[0] != "keys"
        ):
            raise KeyProblem(
                KEY_ID_SETTING,
                "must be a Key Vault key identifier, https://<vault>.vault.azure.net/keys/<name>",
            )
        return KeyVaultKey(key_id)
    if local:
        if in_azure:
            raise KeyProblem(
                KEY_SETTING,
                f"is a local key, which is refused in Azure: set {KEY_ID_SETTING} to a Key Vault "
                "key instead",
            )
        try:
            raw = base64.b64decode(local, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise KeyProblem(KEY_SETTING, "must be 32 random bytes in base64 (44 characters)")
        return LocalKey(raw)
    raise KeyProblem(
        KEY_ID_SETTING if in_azure else KEY_SETTING,
        "is not set: subscriptions need a key to encrypt webhook URLs"
        + ("" if in_azure else " (32 random bytes in base64, e.g. `openssl rand -base64 32`)"),
    )
