"""Fixtures for intake against real PostgreSQL: the app on a fresh schema per test."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from infra.auth import signing_key
from infra.settings import Settings
from services.intake.application import IntakeApplication
from services.intake.main import IntakeSettings, build
from tests.actors import staff
from tests.org_codes import CITY
from tests.service_tokens import bearer

# Identities used throughout; the confidentiality test looks for exactly these.
REPORTER = {
    "name": "张晓梅",
    "id_number": "620102198001011239",
    "phone": "13919876543",
    "address": "兰州市城关区某街道8号",
}
SECOND_REPORTER = {
    "name": "欧阳建国",
    "id_number": "11010519491231002X",
    "phone": "18611112222",
}


def received(days_ago: int = 2) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()


@dataclass
class Intake:
    """A running intake service for one test."""

    app: FastAPI
    intake: IntakeApplication
    client: TestClient
    schema: str
    settings: Settings
    data_dir: Path

    def register(self, **fields: Any) -> dict[str, Any]:
        body = {
            "organ_code": CITY,
            "channel": "letter",
            "summary": "反映某局长违规收受礼金",
            "received_at": received(),
            **fields,
        }
        # A clerk of the registering organ registers (the policy: its own organ only).
        who = self.as_("clerk.li", organ=body["organ_code"])
        response = self.client.post("/petitions", json=body, headers=who)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def as_(
        self,
        username: str,
        role: str = "petition_clerk",
        organ: str = "6201",
        office: str = "petition",
    ) -> dict[str, str]:
        """The Authorization header of a call by this staff member, signed like the
        gateway's with the key the service verifies."""
        who = staff(username, organ, office, role)
        return bearer(who, key=signing_key(self.settings), expires_in=600)

    @property
    def actor(self) -> dict[str, str]:
        """The default caller: clerk.li of the city's petition office."""
        return self.as_("clerk.li")


def make_intake(
    database_url: str,
    schema: str,
    data_dir: Path,
    **intake_settings: Any,
) -> tuple[FastAPI, IntakeApplication, Settings]:
    settings = Settings(
        database_url=database_url,
        baton_data_dir=data_dir,
        baton_identity_key=base64.b64encode(os.urandom(32)).decode(),
    )
    config = IntakeSettings(
        **{
            "progress_min_seconds": 0.05,
            "progress_burst": 1000,
            "progress_per_minute": 60_000,
            **intake_settings,
        }
    )
    app, intake = build(settings, config, schema=schema)
    return app, intake, settings


@pytest.fixture
def intake_settings() -> dict[str, Any]:
    """Override in a module to configure IntakeSettings."""
    return {}


@pytest.fixture
def service(
    database_url: str, unique_schema: str, tmp_path: Path, intake_settings: dict[str, Any]
) -> Iterator[Intake]:
    app, intake, settings = make_intake(database_url, unique_schema, tmp_path, **intake_settings)
    try:
        with TestClient(app) as client:
            service = Intake(app, intake, client, unique_schema, settings, tmp_path)
            client.headers.update(service.actor)
            yield service
    finally:
        intake.close()
