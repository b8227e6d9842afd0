"""Server-side sessions 会话: a random id in the cookie, only its SHA-256 in the database."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from domain.errors import Unauthenticated

COOKIE = "baton_session"


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


def unauthenticated() -> Unauthenticated:
    return Unauthenticated("unauthenticated", "请先登录", "Please log in first")


def session_expired() -> Unauthenticated:
    return Unauthenticated(
        "session_expired", "会话已过期,请重新登录", "The session has expired; please log in again"
    )


def expired(row: dict[str, Any], now: datetime, idle: timedelta, absolute: timedelta) -> bool:
    """Whether a stored session has been idle too long or lived too long."""
    return now - row["last_seen_at"] >= idle or now - row["created_at"] >= absolute


def cookie_options(production: bool, max_age: timedelta) -> dict[str, Any]:
    """HttpOnly, SameSite=Strict, Path=/; Secure in production."""
    return {
        "key": COOKIE,
        "httponly": True,
        "samesite": "strict",
        "path": "/",
        "secure": production,
        "max_age": int(max_age.total_seconds()),
    }
