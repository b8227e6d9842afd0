"""Turn stored event state into plain JSON values for integration events."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any


def to_json_safe(value: Any) -> Any:
    """Dates and datetimes to ISO strings, UUIDs and decimals to strings, enums to values."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return to_json_safe(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_json_safe(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if hasattr(value, "__dict__"):
        return {k: to_json_safe(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)
