"""The GraphQL schema (strawberry): what the web front end and other clients see."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from domain.errors import DomainError
from domain.hierarchy import OrgTree
from domain.vocabulary import Channel


@strawberry.type
class Organ:
    """An organ of the hierarchy 机关."""

    code: str
    name: str
    level: str
    kind: str
    parent: str | None


@strawberry.type
class Choice:
    """One value of an enumeration with its labels."""

    code: str
    label_zh: str
    label_en: str


@strawberry.type
class ChannelCount:
    """Reports received through one channel."""

    channel: str
    count: int


@strawberry.type
class OrganStats:
    """Reports received by an organ and its subtree in a date range."""

    organ: str
    total: int
    by_channel: list[ChannelCount]


@strawberry.input
class RegisterPetitionInput:
    """The fields a clerk fills in to register a report 编号登记."""

    organ_code: str
    channel: str
    summary: str
    received_at: dt.datetime
    actor: str = strawberry.field(
        default="web-clerk", description="The staff member registering it (sent to intake)"
    )


@strawberry.type
class RegisteredPetition:
    """A registered report: its case id and registration number 登记编号."""

    case_id: str
    registration_number: str
    receipt_code: str | None


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


def _graphql_error(error: DomainError) -> GraphQLError:
    return GraphQLError(
        error.message_en,
        extensions={
            "code": error.code,
            "message_zh": error.message_zh,
            "message_en": error.message_en,
        },
    )


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


def _context(info: Info) -> Any:
    return info.context["gateway"]


@strawberry.type
class Query:
    @strawberry.field(description="Every organ of the hierarchy")
    def organs(self, info: Info) -> list[Organ]:
        tree: OrgTree = _context(info).org_tree
        return [
            Organ(code=o.code, name=o.name, level=str(o.level), kind=str(o.kind), parent=o.parent)
            for o in tree.organs()
        ]

    @strawberry.field(description="The channels a report can come in by 来源渠道")
    def channels(self) -> list[Choice]:
        return [Choice(code=c.value, label_zh=c.label_zh, label_en=c.label_en) for c in Channel]

    @strawberry.field(description="A reporter's progress by receipt code 进度查询")
    def progress(self, info: Info, code: str) -> Progress:
        request = info.context.get("request")
        client = getattr(request, "client", None)
        headers = {"X-Forwarded-For": client.host} if client and client.host else {}
        try:
            data = _context(info).intake.request(
                "POST", "/public/progress", json={"receipt_code": code}, headers=headers
            )
        except DomainError as error:
            raise _graphql_error(error) from error
        return Progress(**{name: data.get(name) for name in _PROGRESS_FIELDS})

    @strawberry.field(description="Counts for an organ and its subtree, days inclusive")
    def organ_stats(
        self,
        info: Info,
        organ: str,
        start: Annotated[dt.date, strawberry.argument(name="from")],
        end: Annotated[dt.date, strawberry.argument(name="to")],
    ) -> OrganStats:
        try:
            data = _context(info).stats.request(
                "GET",
                f"/organs/{organ}/stats",
                params={"from": start.isoformat(), "to": end.isoformat()},
            )
        except DomainError as error:
            raise _graphql_error(error) from error
        return OrganStats(
            organ=data["organ"],
            total=data["total"],
            by_channel=[ChannelCount(**item) for item in data["by_channel"]],
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register a report 编号登记")
    def register_petition(self, info: Info, input: RegisterPetitionInput) -> RegisteredPetition:
        try:
            data = _context(info).intake.request(
                "POST",
                "/petitions",
                json={
                    "organ_code": input.organ_code,
                    "channel": input.channel,
                    "summary": input.summary,
                    "received_at": input.received_at.isoformat(),
                },
                headers={"X-Baton-Actor": input.actor},
            )
        except DomainError as error:
            raise _graphql_error(error) from error
        return RegisteredPetition(
            case_id=data["case_id"],
            registration_number=data["registration_number"],
            receipt_code=data.get("receipt_code"),
        )


schema = strawberry.Schema(query=Query, mutation=Mutation)
