"""Screening 甄别 (intake): accept, divert, not-accept with sign-off, real-name check,
repeat link, acceptance notice; and revealing a reporter 查看举报人身份."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from gateway.clients import path
from gateway.graphql.cases import Case
from gateway.graphql.commands import body, run
from gateway.graphql.context import call, coded, gateway, session
from gateway.graphql.worklists import case_id

S = "/petitions/{}/screening"


@strawberry.type
class ReporterIdentity:
    """A real-name reporter's identity: shown to the holder's petition office, recorded."""

    name: str
    id_number: str
    phone: str
    address: str


@strawberry.type
class ScreeningMutation:
    @strawberry.mutation(description="Accept for handling 受理, with the report type")
    async def accept_petition(self, info: Info, case_id: strawberry.ID, report_type: str) -> Case:
        return await run(info, "intake", f"{S}/accept", (case_id,), body(report_type=report_type))

    @strawberry.mutation(description="Divert out of scope 分流: department and explanation")
    async def divert_petition(
        self, info: Info, case_id: strawberry.ID, department: str, explanation: str
    ) -> Case:
        return await run(
            info,
            "intake",
            f"{S}/divert",
            (case_id,),
            body(department=department, explanation=explanation),
        )

    @strawberry.mutation(description="Propose not to accept 不予受理 (a leader decides)")
    async def propose_not_accept(
        self, info: Info, case_id: strawberry.ID, reason: str, expected_version: int | None = None
    ) -> Case:
        return await run(
            info,
            "intake",
            f"{S}/not-accept",
            (case_id,),
            body(reason=reason, expected_version=expected_version),
        )

    @strawberry.mutation(description="A leader approves not accepting 批准不予受理")
    async def approve_not_accept(
        self, info: Info, case_id: strawberry.ID, expected_version: int | None = None
    ) -> Case:
        return await run(
            info,
            "intake",
            f"{S}/not-accept/approve",
            (case_id,),
            body(expected_version=expected_version),
        )

    @strawberry.mutation(description="A leader rejects the not-accept proposal, with a reason")
    async def reject_not_accept(
        self, info: Info, case_id: strawberry.ID, reason: str, expected_version: int | None = None
    ) -> Case:
        return await run(
            info,
            "intake",
            f"{S}/not-accept/reject",
            (case_id,),
            body(reason=reason, expected_version=expected_version),
        )

    @strawberry.mutation(description="Record that the report is really real-name 实名核实")
    async def check_real_name(self, info: Info, case_id: strawberry.ID, method: str) -> Case:
        return await run(info, "intake", f"{S}/real-name-check", (case_id,), body(method=method))

    @strawberry.mutation(description="Link as a repeat 重复举报 of its first case")
    async def link_repeat(
        self, info: Info, case_id: strawberry.ID, first_case_id: strawberry.ID, reason: str
    ) -> Case:
        with coded():
            first = _case_id(str(first_case_id), "firstCaseId")
        return await run(
            info, "intake", f"{S}/link-repeat", (case_id,), body(first_case_id=first, reason=reason)
        )

    @strawberry.mutation(description="Record how a real-name reporter was told of acceptance")
    async def notify_acceptance(
        self,
        info: Info,
        case_id: strawberry.ID,
        method: str,
        notified_at: dt.datetime | None = None,
    ) -> Case:
        return await run(
            info,
            "intake",
            "/petitions/{}/acceptance-notification",
            (case_id,),
            body(method=method, notified_at=notified_at.isoformat() if notified_at else None),
        )

    @strawberry.mutation(
        description="Reveal the reporter 查看举报人身份, with a purpose (recorded)"
    )
    async def reveal_reporter(
        self, info: Info, case_id: strawberry.ID, purpose: str
    ) -> ReporterIdentity:
        with coded():
            await session(info, mutation=True)
            checked = _case_id(str(case_id), "caseId")
            row = await call(
                info,
                gateway(info).intake,
                "POST",
                path("/petitions/{}/reporter/reveal", checked),
                json={"purpose": purpose},
            )
        return ReporterIdentity(
            **{k: row.get(k) or "" for k in ("name", "id_number", "phone", "address")}
        )


_case_id = case_id
