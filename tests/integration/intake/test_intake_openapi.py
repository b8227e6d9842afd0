"""The intake API against its own OpenAPI document: no 5xx, no undeclared status.

Schemathesis generates ≥ 200 examples per operation (valid and invalid) against the real
app on real PostgreSQL. Half of the case-id paths are pointed at real cases, so that the
generated bodies reach the screening, correction and attachment rules, not only 404.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domain.petition import ReporterIdentity
from infra.reference_data import load_org_tree
from services.intake.application import IntakeApplication
from services.intake.attachments import AttachmentStore
from services.intake.main import IntakeSettings, create_app
from services.intake.sealing import Sealer
from tests.actors import staff
from tests.service_tokens import VERIFIER, bearer

from .conftest import REPORTER, make_intake, received

pytestmark = pytest.mark.integration

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# The document is read from the app at import; the app gets its PostgreSQL-backed
# application from the fixture below, before any request is made.
APP = create_app(
    IntakeApplication(
        sealer=Sealer(os.urandom(32)),
        org_tree=load_org_tree(),
        attachments=AttachmentStore(
            Path(tempfile.gettempdir()) / "baton-intake-openapi", key=os.urandom(32)
        ),
    ),
    IntakeSettings(progress_burst=1e9, progress_per_minute=1e12),
    verifier=VERIFIER,
)
CLERK = staff("clerk", "6201", "petition", "petition_clerk")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
_turn = itertools.count()
# How many generated case ids went to real cases and how many stayed unknown.
_sent = {"real": 0, "unknown": 0}


@pytest.fixture
def on_postgres(database_url: str, unique_schema: str, tmp_path: Path) -> Iterator[list[str]]:
    """Swap in an application on real PostgreSQL holding a few real cases."""
    _, intake, _ = make_intake(database_url, unique_schema, tmp_path, progress_min_seconds=0.0)
    intake.guard = APP.state.intake.guard
    at = datetime.fromisoformat(received())
    real = [
        intake.register(
            organ_code="6201",
            actor=CLERK,
            channel=ch,
            summary="反映某局长违规收受礼金",
            received_at=at,
        ).case_id
        for ch in ("letter", "web", "visit")
    ]
    real.append(
        intake.register(
            organ_code="6201",
            actor=CLERK,
            channel="letter",
            summary="实名举报",
            received_at=at,
            reporter=ReporterIdentity.create(**REPORTER),
        ).case_id
    )
    intake.accept(real[0], "accusation", actor=CLERK)
    previous = APP.state.intake
    APP.state.intake = intake
    try:
        yield [str(c) for c in real]
    finally:
        APP.state.intake = previous
        intake.close()


@schema.parametrize()
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_openapi_document(case: Any, on_postgres: list[str]) -> None:
    if case.path_parameters and "case_id" in case.path_parameters:
        turn = next(_turn)  # once per case: odd turns go to a real case, even ones do not
        if turn % 2:
            case.path_parameters["case_id"] = on_postgres[(turn // 2) % len(on_postgres)]
            _sent["real"] += 1
        else:
            _sent["unknown"] += 1
        assert abs(_sent["real"] - _sent["unknown"]) <= 1, _sent
    case.call_and_validate(checks=CHECKS, headers=bearer(CLERK))
