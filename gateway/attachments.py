"""Attachments 附件 through the gateway: an authorised upload route and download route.

`POST /attachments/{caseId}` (multipart: `file`, `kind`; session cookie and X-CSRF-Token)
and `GET /attachments/{caseId}/{sha256}`. Both go to intake with the user's service token;
intake decides who may, stores the file encrypted and records every download.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import StreamingResponse

from domain.errors import DomainError, Forbidden, InvalidInput
from gateway.clients import path
from gateway.identity import csrf
from gateway.identity.sessions import COOKIE

router = APIRouter(prefix="/attachments", tags=["attachments"])
SHA256 = r"^[0-9a-f]{64}$"


async def _token(request: Request, *, mutation: bool) -> str:
    gateway = request.app.state.gateway
    identity = gateway.identity.identity
    try:
        current = await asyncio.to_thread(identity.current, request.cookies.get(COOKIE))
        if mutation:
            csrf.check(current.csrf_token, request.headers.get(csrf.HEADER))
    except DomainError as error:
        await asyncio.to_thread(identity.record, "attachment", "session", "refused", error.code)
        raise
    return str(gateway.identity.signer.token_for(current.user, identity.clock()))


def _case(case_id: str) -> str:
    try:
        return str(uuid.UUID(case_id))
    except ValueError:
        raise InvalidInput(
            "case_id_invalid", "案件编号格式不正确", "The case id is not valid", field="caseId"
        ) from None


@router.post("/{case_id}", status_code=201)
async def upload(
    request: Request,
    case_id: str,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()],
) -> Any:
    """Attach a scan, photo or recording to a case (intake checks type and size)."""
    token = await _token(request, mutation=True)
    checked = _case(case_id)
    intake = request.app.state.gateway.intake
    return await intake.request(
        "POST",
        path("/petitions/{}/attachments", checked),
        token=token,
        files={"file": (file.filename or "upload", file.file, file.content_type or "")},
        data={"kind": kind},
    )


@router.get("/{case_id}/{sha256}")
async def download(
    request: Request, case_id: str, sha256: Annotated[str, Path(pattern=SHA256)]
) -> StreamingResponse:
    """The stored content, if intake lets this user have it (every download is recorded)."""
    token = await _token(request, mutation=False)
    intake = request.app.state.gateway.intake
    response = await intake.stream(
        path("/petitions/{}/attachments/{}", _case(case_id), sha256), token=token
    )
    if response.status_code >= 400:
        await response.aclose()
        if response.status_code in (403, 404):
            raise Forbidden("attachment_refused", "无权下载该附件", "You may not download this")
        raise InvalidInput(
            "attachment_refused", "无法下载该附件", "The attachment is not available"
        )
    return StreamingResponse(
        response.aiter_bytes(),
        media_type=response.headers.get("content-type"),
        background=_closing(response),
    )


def _closing(response: Any) -> Any:
    from starlette.background import BackgroundTask

    return BackgroundTask(response.aclose)
