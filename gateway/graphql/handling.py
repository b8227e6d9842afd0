"""Handling 办理 (routing): disposal, conclusion, report-back and its review, feedback to
the reporter, "five in place", archive."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway.graphql.cases import Case
from gateway.graphql.commands import body, run

H = "/cases/{}"


@strawberry.type
class HandlingMutation:
    @strawberry.mutation(description="Choose the disposal mode of the lead 线索处置")
    async def decide_disposal(
        self,
        info: Info,
        case_id: strawberry.ID,
        mode: str,
        reason: str,
        expected_version: int | None = None,
    ) -> Case:
        return await run(
            info,
            "routing",
            H + "/disposal",
            (case_id,),
            body(mode=mode, reason=reason, expected_version=expected_version),
        )

    @strawberry.mutation(description="Record the conclusion 办结")
    async def conclude_case(
        self,
        info: Info,
        case_id: strawberry.ID,
        outcome: str,
        substantiation: str,
        findings: str,
        expected_version: int | None = None,
    ) -> Case:
        return await run(
            info,
            "routing",
            H + "/conclusion",
            (case_id,),
            body(
                outcome=outcome,
                substantiation=substantiation,
                findings=findings,
                expected_version=expected_version,
            ),
        )

    @strawberry.mutation(description="Report the result back to the assigning organ 报结")
    async def report_back(
        self,
        info: Info,
        case_id: strawberry.ID,
        summary: str,
        expected_version: int | None = None,
    ) -> Case:
        return await run(
            info,
            "routing",
            H + "/report-back",
            (case_id,),
            body(summary=summary, expected_version=expected_version),
        )

    @strawberry.mutation(description="Accept the reported result, or send it back 退回重办")
    async def review_result(
        self,
        info: Info,
        case_id: strawberry.ID,
        accept: bool,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        return await run(
            info,
            "routing",
            H + "/review",
            (case_id,),
            body(accept=accept, reason=reason, expected_version=expected_version),
        )

    @strawberry.mutation(description="Record feedback to the reporter 反馈 (回访 satisfaction)")
    async def record_feedback(
        self,
        info: Info,
        case_id: strawberry.ID,
        method: str,
        content: str,
        satisfaction: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        return await run(
            info,
            "routing",
            H + "/feedback",
            (case_id,),
            body(
                method=method,
                content=content,
                satisfaction=satisfaction,
                expected_version=expected_version,
            ),
        )

    @strawberry.mutation(description='Confirm some of the "five in place" 五个到位')
    async def confirm_five_in_place(
        self,
        info: Info,
        case_id: strawberry.ID,
        items: list[str],
        expected_version: int | None = None,
    ) -> Case:
        return await run(
            info,
            "routing",
            H + "/five-in-place",
            (case_id,),
            body(items=items, expected_version=expected_version),
        )

    @strawberry.mutation(description="Archive the concluded case 归档")
    async def archive_case(
        self, info: Info, case_id: strawberry.ID, expected_version: int | None = None
    ) -> Case:
        return await run(
            info, "routing", H + "/archive", (case_id,), body(expected_version=expected_version)
        )
