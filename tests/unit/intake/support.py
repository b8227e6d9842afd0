"""What intake's unit tests build alike: the application in memory and a clerk to act."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from domain.actors import Actor
from domain.hierarchy import OrgTree
from services.intake.application import IntakeApplication
from services.intake.attachments import AttachmentStore
from services.intake.sealing import Sealer
from tests.actors import staff


def intake_in_memory(
    tmp_path: Path, org_tree: OrgTree, clock: Callable[[], datetime]
) -> IntakeApplication:
    """Intake on the in-memory store, with a fresh identity key and no progress floor."""
    return IntakeApplication(
        sealer=Sealer(os.urandom(32)),
        org_tree=org_tree,
        attachments=AttachmentStore(tmp_path / "files", key=bytes(32), max_bytes=1000),
        clock=clock,
        min_answer_seconds=0,
    )


def at(organ: str, name: str = "clerk") -> Actor:
    """A petition clerk of `organ` (the policy lets the holder's staff work a case)."""
    return staff(name, organ, "petition", "petition_clerk")
