"""Passwords 口令: Argon2id hashes (argon2-cffi), never stored or logged in clear."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from domain.guards import invalid

# Argon2id with the library's defaults (RFC 9106 low-memory profile).
_HASHER = PasswordHasher(type=Type.ID)
# Verified against when the username is unknown, so both paths take the same time.
_DUMMY_HASH = _HASHER.hash("baton-no-such-user")
MAX_LENGTH = 256


def check_strength(password: object, min_length: int) -> str:
    """The password when long enough and not blank; a coded refusal otherwise."""
    if not isinstance(password, str) or not password.strip():
        raise invalid("password_required", "口令不能为空", "A password is required")
    if len(password) < min_length:
        raise invalid(
            "password_too_short",
            f"口令至少{min_length}个字符",
            f"The password must be at least {min_length} characters",
            min_length=min_length,
        )
    if len(password) > MAX_LENGTH:
        raise invalid(
            "password_too_long",
            f"口令不超过{MAX_LENGTH}个字符",
            f"The password must be at most {MAX_LENGTH} characters",
        )
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether the password matches; an unknown user (no hash) costs the same and fails."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)
