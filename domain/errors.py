"""Domain errors: a stable code plus a Chinese and an English message.

Every refusal the domain makes is one of these. The HTTP layer maps `kind` to a status
(invalid → 422, malformed → 400, not_found → 404, conflict → 409, forbidden → 403, too_many → 429,
unauthenticated → 401) and
never needs to know the individual codes.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

ErrorKind = Literal[
    "invalid", "malformed", "not_found", "conflict", "forbidden", "too_many", "unauthenticated"
]


class DomainError(Exception):
    """A refusal with a stable code and messages in both languages."""

    kind: ClassVar[ErrorKind] = "invalid"

    def __init__(self, code: str, message_zh: str, message_en: str, **details: Any) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": self.details,
        }


class InvalidInput(DomainError):
    """The request itself is wrong (422)."""

    kind = "invalid"


class NotFound(DomainError):
    """The thing asked for does not exist, or is not visible to the caller (404)."""

    kind = "not_found"


class Conflict(DomainError):
    """The request is well-formed but the current state refuses it (409)."""

    kind = "conflict"


class Forbidden(DomainError):
    """The caller may not do this (403)."""

    kind = "forbidden"


class TooMany(DomainError):
    """The caller asked too often (429)."""

    kind = "too_many"


class Unauthenticated(DomainError):
    """The caller is not known: no valid session or token (401)."""

    kind = "unauthenticated"
