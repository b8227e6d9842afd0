"""Excel exports 导出 of the statistics tables, through the gateway.

`GET /exports/statistics.xlsx?organ=&from=&to=&groupBy=&asOf=&lang=` and
`GET /exports/subordinate-status.xlsx?organ=&from=&to=&lang=`: the session cookie's user
must be granted `export` of the organ's statistics by the policy table (a table read on a
page is only `read`); then stats is asked with their service token and decides scope as for
the page. Every export and every refusal is written to the access log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from domain.access import Action, Facts, Object
from domain.errors import DomainError, Forbidden, InvalidInput, NotFound, Unauthenticated
from domain.guards import require_organ_code
from gateway.clients import ServiceError, path
from gateway.identity.sessions import COOKIE
from gateway.workbooks import statistics_workbook, status_workbook

router = APIRouter(prefix="/exports", tags=["exports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Organ = Annotated[str, Query(max_length=16)]
Start = Annotated[dt.date, Query(alias="from")]
End = Annotated[dt.date, Query(alias="to")]
Language = Annotated[Literal["zh-CN", "en"], Query(alias="lang")]


async def _ask_stats(
    request: Request, what: str, organ: str, url: str, params: dict[str, Any]
) -> Any:
    """Stats' answer for the session's user; refusals and the export itself are logged."""
    gateway = request.app.state.gateway
    identity = gateway.identity.identity
    try:
        current = await asyncio.to_thread(identity.current, request.cookies.get(COOKIE))
    except DomainError as error:
        await asyncio.to_thread(identity.record, "export", what, "refused", error.code)
        raise
    # Stats checks only `read` (the page's numbers); exporting them is its own grant.
    facts = Facts(object=Object.STATISTICS, organ=organ)
    await asyncio.to_thread(identity.authorize, current.user, Action.EXPORT, facts)
    token = gateway.identity.signer.token_for(current.user, identity.clock())
    try:
        data = await gateway.stats.request("GET", url, token=token, params=params)
    except DomainError as error:
        await asyncio.to_thread(
            identity.record, "export", what, "refused", error.code, current.user
        )
        raise _as_status(error) from error
    reason = " ".join(
        f"{key}={','.join(value) if isinstance(value, list) else value}"
        for key, value in {"organ": organ, **params}.items()
    )
    await asyncio.to_thread(identity.record, "export", what, "allowed", reason[:500], current.user)
    return data


_BY_STATUS: dict[int, type[DomainError]] = {
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
}


def _as_status(error: DomainError) -> DomainError:
    """Stats' refusal with the status stats gave it (a 403 stays a 403 here)."""
    if not isinstance(error, ServiceError):
        return error
    kind = _BY_STATUS.get(int(error.details.get("status") or 422), InvalidInput)
    return kind(error.code, error.message_zh, error.message_en)


def _attachment(content: bytes, name: str) -> Response:
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/statistics.xlsx")
async def statistics(
    request: Request,
    organ: Organ,
    start: Start,
    end: End,
    group_by: Annotated[list[str], Query(alias="groupBy", max_length=8)] = [],  # noqa: B006
    as_of: Annotated[dt.datetime | None, Query(alias="asOf")] = None,
    language: Language = "zh-CN",
) -> Response:
    """A caseStatistics table as an Excel workbook (the same numbers as the page)."""
    code = require_organ_code(organ, "organ")
    params: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat(), "groupBy": group_by}
    if as_of is not None:
        params["asOf"] = as_of.isoformat()
    url = path("/organs/{}/case-statistics", code)
    data = await _ask_stats(request, "statistics", code, url, params)
    content = await asyncio.to_thread(
        statistics_workbook, data, request.app.state.gateway.org_tree, language
    )
    suffix = "-".join(d.lower() for d in data["groupBy"]) or "total"
    return _attachment(content, f"statistics-{code}-{start}-{end}-{suffix}.xlsx")


@router.get("/subordinate-status.xlsx")
async def subordinate_status(
    request: Request, organ: Organ, start: Start, end: End, language: Language = "zh-CN"
) -> Response:
    """A subordinateStatus table as an Excel workbook."""
    code = require_organ_code(organ, "organ")
    params = {"from": start.isoformat(), "to": end.isoformat()}
    url = path("/organs/{}/subordinate-status", code)
    data = await _ask_stats(request, "subordinate_status", code, url, params)
    content = await asyncio.to_thread(status_workbook, data, language)
    return _attachment(content, f"subordinate-status-{code}-{start}-{end}.xlsx")
