"""Routing 流转 (routing): propose a transfer with the jurisdiction suggestion, sign it off,
send it, receive or refuse it, withdraw it."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway.graphql.cases import Case
from gateway.graphql.commands import body, run

T = "/cases/{}/transfers"


@strawberry.input
class ProposeTransferInput:
    """A proposed hand-over: kind, reason, and where to (an organ and office, or an outside
    body); the jurisdiction suggestion is recorded beside it by routing."""

    case_id: strawberry.ID
    kind: str
    reason: str
    to_organ: str | None = None
    to_office: str | None = None
    external_body: str | None = None
    expected_version: int | None = None


@strawberry.type
class TransferMutation:
    @strawberry.mutation(description="Propose a transfer 拟移交 (a leader signs it off)")
    async def propose_transfer(self, info: Info, input: ProposeTransferInput) -> Case:
        return await run(
            info,
            "routing",
            T,
            (input.case_id,),
            body(
                kind=input.kind,
                reason=input.reason,
                to_organ=input.to_organ,
                to_office=input.to_office,
                external_body=input.external_body,
                expected_version=input.expected_version,
            ),
            keyed=True,
        )

    @strawberry.mutation(description="A leader signs the transfer off 签批")
    async def approve_transfer(
        self,
        info: Info,
        case_id: strawberry.ID,
        transfer_id: strawberry.ID,
        expected_version: int | None = None,
    ) -> Case:
        return await run(
            info,
            "routing",
            T + "/{}/approve",
            (case_id, transfer_id),
            body(expected_version=expected_version),
        )

    @strawberry.mutation(description="Send the signed-off transfer 发出")
    async def dispatch_transfer(
        self,
        info: Info,
        case_id: strawberry.ID,
        transfer_id: strawberry.ID,
        expected_version: int | None = None,
    ) -> Case:
        return await run(
            info,
            "routing",
            T + "/{}/dispatch",
            (case_id, transfer_id),
            body(expected_version=expected_version),
        )

    @strawberry.mutation(description="Sign for the case at the receiving office 签收")
    async def receive_transfer(
        self,
        info: Info,
        case_id: strawberry.ID,
        transfer_id: strawberry.ID,
        received_by: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        return await run(
            info,
            "routing",
            T + "/{}/receive",
            (case_id, transfer_id),
            body(received_by=received_by, expected_version=expected_version),
        )

    @strawberry.mutation(description="Refuse the case with a reason 拒收")
    async def refuse_transfer(
        self,
        info: Info,
        case_id: strawberry.ID,
        transfer_id: strawberry.ID,
        reason: str,
        expected_version: int | None = None,
    ) -> Case:
        return await run(
            info,
            "routing",
            T + "/{}/refuse",
            (case_id, transfer_id),
            body(reason=reason, expected_version=expected_version),
        )

    @strawberry.mutation(description="Take back a transfer not yet received 撤回")
    async def withdraw_transfer(
        self,
        info: Info,
        case_id: strawberry.ID,
        transfer_id: strawberry.ID,
        reason: str,
        expected_version: int | None = None,
    ) -> Case:
        return await run(
            info,
            "routing",
            T + "/{}/withdraw",
            (case_id, transfer_id),
            body(reason=reason, expected_version=expected_version),
        )
