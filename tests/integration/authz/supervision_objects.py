"""Supervision's objects on the county's case for the matrix: an order issued by the city
(with its clock), and the county panel's evaluation of the month's first conclusions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.contracts import Envelope, HandlingEvents
from domain.guards import CHINA_TZ
from services.supervision import usecases
from services.supervision.application import SupervisionApplication
from tests.actors import staff


@dataclass(frozen=True)
class SupervisionObjects:
    case: str  # the county's case, as supervision knows it
    order: str
    deadline: str
    evaluation: str


def create(app: SupervisionApplication, case: str, county: str, city: str) -> SupervisionObjects:
    """Open and conclude the case at the county, then issue an order and draw a sample."""
    now = datetime.now(CHINA_TZ)
    for position, event in enumerate((HandlingEvents.OPENED, HandlingEvents.CONCLUDED), 1):
        envelope = Envelope(
            event_id=str(uuid.uuid4()), type=event, case_id=case, sequence=position,
            organ_code=county, actor="setup.clerk", occurred_at=now.isoformat(),
            source="routing", payload={}, notification_id=position,
        )  # fmt: skip
        app.handle(envelope, "routing.events#0")
    handler = staff("setup.city", city, "supervision", "handler")
    leader = staff("setup.city.leader", city, "supervision", "leader")
    drafted = usecases.issue_order(app, handler, uuid.UUID(case), "ordinary", "报送核查情况", 10)
    issued = usecases.approve_order(app, uuid.UUID(drafted["order_id"]), leader)
    panel = staff("setup.panel", county, "case_management", "evaluator")
    drawn = usecases.draw(app, panel, now.strftime("%Y-%m"), [county], 1, "matrix")
    assert drawn["sample"] == [case], drawn
    return SupervisionObjects(
        case, drafted["order_id"], issued["deadline_id"], drawn["evaluation_id"]
    )
