"""Each service's Ed25519 audit key 审计签名密钥: it signs what the relay publishes and the
store's checkpoints.

Production: `BATON_AUDIT_SIGNING_KEY` (base64 of this service's 32-byte private key) and
`BATON_AUDIT_PUBLIC_KEYS` (JSON: service → base64 public key) for everyone else's.
Development: `<key dir>/<service>.key`, created once by whichever process needs it first;
the key dir is `BATON_AUDIT_KEY_DIR`, by default `<data dir>/audit-keys`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import CryptoError

SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class AuditKeys:
    """Where this process finds signing and verifying keys."""

    key_dir: Path
    production: bool = False
    signing_key_b64: str | None = None
    public_keys_json: str | None = None

    def signer(self, service: str) -> Ed25519PrivateKey:
        """This service's private key."""
        if self.signing_key_b64:
            return Ed25519PrivateKey.from_private_bytes(_b64(self.signing_key_b64, 32))
        if self.production:
            raise ValueError("BATON_AUDIT_SIGNING_KEY must be set in production")
        return Ed25519PrivateKey.from_private_bytes(_development_seed(self._path(service)))

    def public_key(self, service: str) -> Ed25519PublicKey:
        """Another service's public key."""
        if self.public_keys_json:
            known = json.loads(self.public_keys_json)
            if service not in known:
                raise ValueError(f"BATON_AUDIT_PUBLIC_KEYS has no key for {service}")
            return Ed25519PublicKey.from_public_bytes(_b64(known[service], 32))
        if self.production:
            raise ValueError("BATON_AUDIT_PUBLIC_KEYS must be set in production")
        return self.signer(service).public_key()

    def _path(self, service: str) -> Path:
        if not service.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"not a service name: {service!r}")
        return self.key_dir / f"{service}.key"


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    """Base64 of the Ed25519 signature, made by libsodium (PyNaCl): the same bytes as
    OpenSSL's (Ed25519 signatures are deterministic) in 22 µs against 33, and a relay
    signs every record it publishes."""
    signed = crypto_sign(message, _expanded(key.private_bytes_raw()))
    return base64.b64encode(signed[:SIGNATURE_BYTES]).decode()


@functools.lru_cache(maxsize=64)
def _expanded(seed: bytes) -> bytes:
    """libsodium's 64-byte secret key of a seed (derived once: it costs a signature)."""
    return bytes(crypto_sign_seed_keypair(seed)[1])


def signature_holds(key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    """Whether `signature` is the key's Ed25519 signature of `message`. Checked by
    libsodium (PyNaCl): 40 µs against OpenSSL's 64 µs here, and every consumer checks
    every record it reads (five checks per registration across the platform)."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(raw) != SIGNATURE_BYTES:
        return False
    try:
        crypto_sign_open(raw + message, public_bytes(key))
    except (CryptoError, ValueError):
        return False
    return True


def _b64(text: str, length: int) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("an audit key is not valid base64") from exc
    if len(raw) != length:
        raise ValueError(f"an audit key must decode to {length} bytes")
    return raw


def _development_seed(path: Path) -> bytes:
    """A random seed created once and shared by every process using this key dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(100):  # another process may be writing it right now
            seed = path.read_bytes()
            if len(seed) == 32:
                return seed
            time.sleep(0.01)
        raise ValueError(f"{path} does not hold a 32-byte key") from None
    seed = os.urandom(32)
    with os.fdopen(fd, "wb") as out:
        out.write(seed)
    return seed
