"""Sealing TOTP secrets 动态口令密钥加密 at rest, as intake seals reporter identity.

AES-256-GCM under a key derived (HKDF, its own label) from the settings' identity key, the
ciphertext bound to the user's id (associated data), so a sealed secret copied onto
another user's row does not open. Stored as `v1.<base64>`; a base32 secret written before
sealing existed has no dot, so it is recognised and read as it is until it is re-sealed.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SecretUnreadable", "TotpSealer", "is_sealed"]

_VERSION = "v1"
_NONCE = 12


def is_sealed(stored: str) -> bool:
    """Whether a stored value is a sealed secret (else a clear one from before sealing)."""
    return stored.startswith(_VERSION + ".")


class SecretUnreadable(Exception):
    """A sealed secret that this key cannot open (no detail, on purpose)."""


class TotpSealer:
    """Seals and opens users' TOTP secrets."""

    def __init__(self, identity_key: bytes) -> None:
        if len(identity_key) != 32:
            raise ValueError("the identity key must be 32 bytes")
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"baton/gateway/totp-secret"
        ).derive(identity_key)
        self._aead = AESGCM(derived)

    def __repr__(self) -> str:
        return "TotpSealer(<key>)"

    def seal(self, secret: str, user_id: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, secret.encode(), _aad(user_id))
        return f"{_VERSION}.{base64.b64encode(nonce + sealed).decode()}"

    def open(self, stored: str, user_id: str) -> str:
        """The clear secret: opened if sealed, as stored if it predates sealing."""
        if not is_sealed(stored):
            return stored
        try:
            raw = base64.b64decode(stored.partition(".")[2], validate=True)
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], _aad(user_id)).decode()
        except (ValueError, InvalidTag) as exc:
            raise SecretUnreadable() from exc


def _aad(user_id: str) -> bytes:
    return f"baton/gateway/totp/{user_id}".encode()
