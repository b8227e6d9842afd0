"""CSRF tokens 防跨站请求令牌: one per session, required on every mutation but `login`."""

from __future__ import annotations

import hmac
import secrets

from domain.errors import Forbidden

HEADER = "X-CSRF-Token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def check(expected: str, given: str | None) -> None:
    """Refuse a mutation whose header is missing or differs (compared in constant time)."""
    if not given:
        raise Forbidden(
            "csrf_missing",
            "缺少防跨站请求令牌(X-CSRF-Token)",
            "The X-CSRF-Token header is missing",
        )
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise Forbidden(
            "csrf_invalid", "防跨站请求令牌不正确", "The X-CSRF-Token header is not valid"
        )
