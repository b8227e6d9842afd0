"""Guards every aggregate shares: required text, aware datetimes, the commissions' time zone,
and the organ-code shape. Each raises a coded, bilingual `InvalidInput`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from domain.errors import InvalidInput

__all__ = ["CHINA_TZ", "ORGAN_CODE", "aware", "invalid", "require_organ_code", "require_text"]

# Working days, registration years and counting days follow Beijing time, not UTC.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

# Any organ code: a commission (2, 4, 6 or 9 digits), a stationed unit (commission + Znn)
# or an enterprise commission (province + Enn). `domain.hierarchy` checks the exact forms.
ORGAN_CODE = re.compile(r"^[0-9]{2}(?:[0-9]{2}|[0-9]{4}|[0-9]{7})?(?:[ZE][0-9]{2})?$")


def invalid(code: str, message_zh: str, message_en: str, **details: Any) -> InvalidInput:
    """A coded, bilingual refusal of bad input."""
    return InvalidInput(code, message_zh, message_en, **details)


def require_text(
    value: Any,
    field: str,
    limit: int = 2000,
    *,
    code: str | None = None,
    message_zh: str | None = None,
    message_en: str | None = None,
) -> str:
    """The value stripped, or a refusal when it is empty, not text, or longer than `limit`.

    The code defaults to `<field>_invalid`; a caller with an established code passes it.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise invalid(
            code or f"{field}_invalid",
            message_zh or f"“{field}”不能为空且不超过{limit}个字",
            message_en or f"{field!r} must be 1 to {limit} characters",
            field=field,
        )
    return value.strip()


def aware(moment: datetime) -> datetime:
    """The moment itself when it carries a time zone; naive times are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise invalid(
            "datetime_without_timezone", "时间必须带时区", "A time must carry its time zone"
        )
    return moment


def require_organ_code(value: Any, field: str = "organ") -> str:
    """The value when it has the shape of an organ code; a refusal otherwise."""
    if not isinstance(value, str) or not ORGAN_CODE.match(value):
        raise invalid(
            "organ_code_invalid",
            "机关代码格式错误",
            "The organ code is not a valid code",
            field=field,
            organ=str(value)[:32],
        )
    return value
