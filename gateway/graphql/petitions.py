"""Registering reports 编号登记 (intake)."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from gateway.graphql.context import call, coded, gateway, session


@strawberry.input
class RegisterPetitionInput:
    """The fields a clerk fills in to register a report 编号登记."""

    organ_code: str
    channel: str
    summary: str
    received_at: dt.datetime


@strawberry.type
class RegisteredPetition:
    """A registered report: its case id and registration number 登记编号."""

    case_id: str
    registration_number: str
    receipt_code: str | None


@strawberry.type
class PetitionMutation:
    @strawberry.mutation(description="Register a report 编号登记, as the logged-in user")
    def register_petition(self, info: Info, input: RegisterPetitionInput) -> RegisteredPetition:
        with coded():
            current = session(info, mutation=True)
            data = call(
                info,
                gateway(info).intake,
                "POST",
                "/petitions",
                json={
                    "organ_code": input.organ_code,
                    "channel": input.channel,
                    "summary": input.summary,
                    "received_at": input.received_at.isoformat(),
                },
                # Until intake reads the actor from the token (phase 2 of the identity work).
                headers={"X-Baton-Actor": current.user.username},
            )
        return RegisteredPetition(
            case_id=data["case_id"],
            registration_number=data["registration_number"],
            receipt_code=data.get("receipt_code"),
        )
