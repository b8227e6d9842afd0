"""Searching petitions 信访件检索 over the petition index, scoped in the query itself.

The caller's scope is a set of organ-code prefixes (`domain.access` grants staff their
subtree): a case matches when its registering organ or any organ that held it is under
one of them, so a page never holds a case the caller may not see and paging needs no
second pass. Newest registration first; the cursor is the last row's (registered_at,
case_id), so pages stay stable while cases are added.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.errors import InvalidInput
from domain.guards import CHINA_TZ

__all__ = ["PAGE_MAX", "SearchQuery", "decode_cursor", "encode_cursor", "matches", "search_sql"]

PAGE_MAX = 100


@dataclass(frozen=True)
class SearchQuery:
    """What to look for; every filter optional but `scopes` (organ prefixes the caller sees)."""

    scopes: tuple[str, ...]
    registration_number: str | None = None
    reported_person: str | None = None
    text: str | None = None
    stage: str | None = None
    channel: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    organ: str | None = None  # a subtree (code prefix) the cases must be in
    first: int = 50
    after: tuple[str, str] | None = None  # (registered_at ISO, case_id) of the last row seen

    @property
    def start(self) -> datetime | None:
        if self.registered_from is None:
            return None
        return datetime.combine(self.registered_from, time(), CHINA_TZ)

    @property
    def end(self) -> datetime | None:
        """Exclusive: the first moment after the last day asked, in Beijing time."""
        if self.registered_to is None:
            return None
        return datetime.combine(self.registered_to + timedelta(days=1), time(), CHINA_TZ)


def encode_cursor(row: dict[str, Any]) -> str:
    raw = json.dumps([row["registered_at"], row["case_id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The position a cursor names; a cursor not made here is refused (422)."""
    try:
        at, case_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        datetime.fromisoformat(at)
        return str(at), str(case_id)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidInput(
            "cursor_invalid", "分页游标无效", "The page cursor is not valid", field="after"
        ) from None


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _contains(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _in_subtrees(prefixes: tuple[str, ...], params: list[Any]) -> str:
    """Registered in, or held by an organ of, one of the subtrees."""
    likes = " OR ".join("{col} LIKE %s" for _ in prefixes)
    params += [_like(p) for p in prefixes] * 2
    return (
        f"(({likes.format(col='p.organ_code')}) OR EXISTS (SELECT 1 FROM case_holders h "
        f"WHERE h.case_id = p.case_id AND ({likes.format(col='h.organ_code')})))"
    )


def search_sql(q: SearchQuery) -> tuple[str, list[Any]]:
    """The query and its parameters; rows are (row jsonb, holder jsonb or null)."""
    params: list[Any] = []
    clauses = [_in_subtrees(q.scopes, params)]
    if q.organ is not None:
        clauses.append(_in_subtrees((q.organ,), params))
    for key, value in (
        ("registration_number", q.registration_number),
        ("stage", q.stage),
        ("channel", q.channel),
    ):
        if value is not None:
            clauses.append(f"p.row->>'{key}' = %s")
            params.append(value)
    if q.text:
        clauses.append("p.row->>'summary' ILIKE %s")
        params.append(_contains(q.text))
    if q.reported_person:
        clauses.append(
            "EXISTS (SELECT 1 FROM jsonb_array_elements(p.row->'persons') e "
            "WHERE e->>'name' ILIKE %s OR e->>'unit' ILIKE %s)"
        )
        params += [_contains(q.reported_person)] * 2
    registered = "(p.row->>'registered_at')::timestamptz"
    if q.start is not None:
        clauses.append(f"{registered} >= %s")
        params.append(q.start)
    if q.end is not None:
        clauses.append(f"{registered} < %s")
        params.append(q.end)
    if q.after is not None:
        clauses.append(f"({registered}, p.case_id) < (%s::timestamptz, %s::uuid)")
        params += list(q.after)
    sql = (
        "SELECT p.row, v.row FROM petition_index p "
        "LEFT JOIN handling_view v ON v.case_id = p.case_id "
        f"WHERE {' AND '.join(clauses)} "
        f"ORDER BY {registered} DESC, p.case_id DESC LIMIT %s"
    )
    params.append(q.first + 1)
    return sql, params


def matches(q: SearchQuery, row: dict[str, Any], holders: set[str]) -> bool:
    """The same filter in Python, for the in-memory side store of unit tests."""
    organs = {row["organ_code"], *holders}

    def under(prefixes: tuple[str, ...]) -> bool:
        return any(o.startswith(p) for o in organs for p in prefixes)

    at = datetime.fromisoformat(row["registered_at"])
    persons = row.get("persons") or []
    checks = [
        under(q.scopes),
        q.organ is None or under((q.organ,)),
        q.registration_number is None or row.get("registration_number") == q.registration_number,
        q.stage is None or row.get("stage") == q.stage,
        q.channel is None or row.get("channel") == q.channel,
        not q.text or q.text.lower() in str(row.get("summary", "")).lower(),
        not q.reported_person
        or any(q.reported_person in f"{p.get('name', '')}\n{p.get('unit', '')}" for p in persons),
        q.start is None or at >= q.start,
        q.end is None or at < q.end,
        q.after is None or (at, row["case_id"]) < (datetime.fromisoformat(q.after[0]), q.after[1]),
    ]
    return all(checks)
