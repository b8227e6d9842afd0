"""Shared steps of the Handling tests: a fixed moment, the test org tree, and one whole
transfer in a call."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

import pytest

from domain.errors import DomainError
from domain.guards import CHINA_TZ
from domain.handling import Actor, Handling
from domain.vocabulary import Office, Role, TransferKind
from tests.actors import staff
from tests.unit.routing.orgs import TOWNSHIP_A, leader, org_tree

TREE = org_tree()
AT = datetime(2026, 11, 2, 9, 30, tzinfo=CHINA_TZ)
SUPERVISION = Office.SUPERVISION.value
PETITION = Office.PETITION.value


def opened(organ: str = TOWNSHIP_A) -> Handling:
    return Handling.open(uuid4(), organ, "王登记", report_type="accusation", at=AT)


def move(
    h: Handling,
    kind: TransferKind,
    to_organ: str | None = None,
    *,
    by: Actor | None = None,
    to_office: str | None = None,
    receiver: Actor | None = None,
) -> str:
    """Propose, sign off, dispatch and receive one transfer; returns its id."""
    assert h.holder_organ is not None and h.holder_office is not None
    sender = by or staff("经办人", h.holder_organ, h.holder_office, Role.HANDLER.value)
    tid = h.propose_transfer(
        sender, kind, "按管理权限", TREE, to_organ=to_organ, to_office=to_office, at=AT
    )
    h.approve_transfer(leader(h.holder_organ), tid, at=AT)
    h.dispatch_transfer(sender, tid, TREE, at=AT)
    pending = h.pending_transfer
    assert pending is not None
    at = receiver or staff("签收人", pending.to_organ or "", pending.to_office or "", "handler")
    h.receive_transfer(at, tid, at=AT)
    return tid


def conclude(h: Handling, actor: Actor) -> None:
    h.decide_disposal(actor, "preliminary_verification", "有可查性", at=AT)
    h.conclude(actor, "criticism_education", "partly_true", "部分属实，予以批评教育", at=AT)


def error_code(exc: pytest.ExceptionInfo[DomainError]) -> str:
    return exc.value.code
