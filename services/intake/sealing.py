"""Sealing reporter identity 举报人身份加密 and receipt codes 查询码.

Identity is sealed with AES-256-GCM under the settings key, bound to its case id (as
associated data, so a ciphertext cannot be moved to another case). Receipt codes are
random (120 bits), shown once to the reporter, and stored only as an HMAC-SHA256 under a
key derived from the same settings key (HKDF, its own label).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.errors import InvalidInput
from domain.petition import ReporterIdentity

_VERSION = "v1"
_NONCE = 12
RECEIPT_CODE_BYTES = 15  # 120 bits
_RECEIPT_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


class Sealer:
    """Seals and opens reporter identity; hashes receipt codes."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the identity key must be 32 bytes")
        self._aead = AESGCM(key)
        self._receipt_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"baton/intake/receipt-code"
        ).derive(key)

    def __repr__(self) -> str:
        return "Sealer(<key>)"

    # --- identity ----------------------------------------------------------------------

    def seal(self, identity: ReporterIdentity, case_id: UUID) -> str:
        """Ciphertext of the identity for this case, as `v1.<base64>`."""
        nonce = os.urandom(_NONCE)
        plain = json.dumps(identity.to_dict(), ensure_ascii=False).encode()
        sealed = self._aead.encrypt(nonce, plain, _aad(case_id))
        return f"{_VERSION}.{base64.b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, case_id: UUID) -> ReporterIdentity:
        """The identity sealed for this case; refuses anything else without detail."""
        version, _, body = sealed.partition(".")
        try:
            if version != _VERSION:
                raise ValueError(version)
            raw = base64.b64decode(body, validate=True)
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], _aad(case_id))
            return ReporterIdentity.from_dict(json.loads(plain))
        except (ValueError, InvalidTag, KeyError) as exc:
            raise SealedDataUnreadable() from exc

    # --- receipt codes -------------------------------------------------------------------

    @staticmethod
    def new_receipt_code() -> str:
        """A fresh receipt code: 120 random bits, base32, in groups of four."""
        raw = base64.b32encode(secrets.token_bytes(RECEIPT_CODE_BYTES)).decode()
        return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))

    def receipt_hash(self, code: str) -> str:
        """HMAC of the normalised code; what is stored and looked up."""
        normalised = normalise_receipt_code(code)
        return hmac.new(self._receipt_key, normalised.encode(), hashlib.sha256).hexdigest()


class SealedDataUnreadable(Exception):
    """The sealed identity cannot be opened with this key (no detail, on purpose)."""


def normalise_receipt_code(code: str) -> str:
    """Upper case without separators; any other text hashes to a code that never matches."""
    return "".join(c for c in code.upper() if c not in "- ")


def check_receipt_code_form(code: str) -> None:
    """Refuse text that cannot be a receipt code (the same answer for every such text)."""
    normalised = normalise_receipt_code(code)
    if len(normalised) != 24 or not set(normalised) <= _RECEIPT_ALPHABET:
        raise InvalidInput(
            "receipt_code_malformed",
            "查询码格式不正确:应为24位字母数字(可用短横线分组)",
            "A receipt code is 24 letters and digits (dashes allowed between groups)",
        )


def _aad(case_id: UUID) -> bytes:
    return f"baton/intake/reporter/{case_id}".encode()
