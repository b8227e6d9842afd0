"""Cases through intake's and routing's real stores, as the services would store them."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from domain.handling import Handling
from domain.hierarchy import OrgTree
from domain.petition import Petition, ReportDescription, ReportedPerson
from infra.eventstore import ServiceApplication
from tests.actors import staff

CHINA = dt.timezone(dt.timedelta(hours=8))
ORGANS = ["620102", "6201", "620102001", "62Z01"]


def story(
    tree: OrgTree,
    intake: ServiceApplication,
    routing: ServiceApplication,
    n: int,
    first: Petition | None = None,
) -> Petition:
    """One case, varied by n: screened four ways; an accepted one handled, moved down,
    concluded (with a report-back or not) or sent back."""
    organ = ORGANS[n % len(ORGANS)]
    received = dt.datetime.now(CHINA) - dt.timedelta(days=40 - n % 30)
    at = received + dt.timedelta(hours=2)
    petition = Petition.register(
        organ_code=organ,
        actor="clerk",
        registration_number=f"{organ}-2026-{n:06d}",
        registered_at=at,
        description=ReportDescription.create(
            channel=["letter", "visit", "web", "phone"][n % 4],
            received_at=received,
            registered_at=at,
            summary=f"反映问题 {n}",
            reported_persons=[ReportedPerson.create(f"某{n % 5}", cadre_level="county_managed")],
            categories=["integrity_discipline"] if n % 2 else [],
        ),
    )
    clerk = staff("clerk", organ, "petition", "petition_clerk")
    screen = n % 5
    if screen == 0:
        petition.divert("人社局", "劳动争议", actor="clerk", at=at)
    elif screen == 1:
        petition.propose_not_accept("无实质内容", actor=clerk, at=at)
        petition.approve_not_accept(actor=staff("leader", organ, "petition", "leader"), at=at)
    elif screen == 2 and first is not None:
        petition.link_as_repeat(first, "同一问题", actor="clerk", at=at)
    elif screen != 4:
        petition.accept("accusation", actor="clerk", at=at)
    intake.save(petition)
    if petition.stage == "accepted":
        _handle(tree, routing, petition.id, organ, n, at)
    return petition


def _handle(
    tree: OrgTree, routing: ServiceApplication, case_id: UUID, organ: str, n: int, at: dt.datetime
) -> None:
    handling = Handling.open(case_id, organ, "clerk", "accusation", at=at)
    clerk = staff("clerk", organ, "petition")
    children = tree.children(organ)
    if n % 2 == 0 and children:
        target = children[0].code
        transfer = handling.propose_transfer(
            clerk, "forward_down", "属地管理", tree, at=at, to_organ=target, to_office="petition"
        )
        handling.approve_transfer(staff("leader", organ, "petition", "leader"), transfer, at=at)
        handling.dispatch_transfer(clerk, transfer, tree, at=at)
        clerk = staff("clerk", target, "petition")
        handling.receive_transfer(clerk, transfer, at=at)
    if n % 7 != 6:
        handling.decide_disposal(clerk, "preliminary_verification", "初核", at=at)
        handling.conclude(clerk, "party_sanction", "true", "查实", at=at)
    routing.save(handling)
