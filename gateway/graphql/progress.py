"""A reporter's progress by receipt code 进度查询: public, no login."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway.graphql.context import client_address, coded, gateway

_PROGRESS_FIELDS = (
    "stage",
    "message_zh",
    "message_en",
    "received_on",
    "diverted_to",
    "explanation",
    "reason",
    "result_zh",
    "result_en",
)


@strawberry.type
class Progress:
    """What a reporter may see of a report, by receipt code 查询码 (from intake)."""

    stage: str
    message_zh: str
    message_en: str
    received_on: str
    diverted_to: str | None
    explanation: str | None
    reason: str | None
    result_zh: str | None
    result_en: str | None


@strawberry.type
class ProgressQuery:
    @strawberry.field(description="A reporter's progress by receipt code 进度查询")
    async def progress(self, info: Info, code: str) -> Progress:
        address = client_address(info)
        headers = {"X-Forwarded-For": address} if address else {}
        parts = gateway(info).identity
        # Intake answers only callers it can verify: the anonymous reporter's own token.
        token = parts.signer.token_for(None, parts.identity.clock())
        with coded():
            data = await gateway(info).intake.request(
                "POST",
                "/public/progress",
                json={"receipt_code": code},
                headers=headers,
                token=token,
            )
        return Progress(**{name: data.get(name) for name in _PROGRESS_FIELDS})
