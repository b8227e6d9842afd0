"""Fixtures for routing against real PostgreSQL (and the broker where a test asks for it)."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from domain.actors import Actor
from domain.hierarchy import OrgTree
from infra.access_log import MemoryAccessLog
from infra.consumer import Consumer
from infra.reference_data import load_org_tree
from infra.settings import Settings
from services.intake.application import IntakeApplication
from services.intake.main import IntakeSettings
from services.intake.main import build as build_intake
from services.routing.application import RoutingApplication
from services.routing.main import create_app
from tests.actors import MONITOR, staff
from tests.service_tokens import VERIFIER, bearer


@pytest.fixture(scope="session")
def org_tree() -> OrgTree:
    """The demo org tree from deploy/data/orgs.yaml."""
    return load_org_tree()


@pytest.fixture
def routing(
    database_url: str, unique_schema: str, org_tree: OrgTree
) -> Iterator[RoutingApplication]:
    app = RoutingApplication(org_tree, database_url=database_url, schema=unique_schema)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def intake(database_url: str, tmp_path: Path) -> Iterator[IntakeApplication]:
    """The real intake application, on its own schema, for stories that start at intake."""
    settings = Settings(
        database_url=database_url,
        baton_data_dir=tmp_path,
        baton_identity_key=base64.b64encode(os.urandom(32)).decode(),
    )
    _, app = build_intake(settings, IntakeSettings(), schema=new_name("t_intake").replace("-", "_"))
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def client(routing: RoutingApplication) -> Iterator[TestClient]:
    """The routing API; calls carry a province case manager's token unless they say."""
    app = create_app(routing, verifier=VERIFIER, access_log=MemoryAccessLog())
    with TestClient(app, headers=bearer(MONITOR, expires_in=600)) as test_client:
        yield test_client


def consume_all(consumer: Consumer) -> None:
    """Poll until a few polls in a row bring nothing."""
    quiet = 0
    while quiet < 3:
        quiet = 0 if consumer.poll_once() else quiet + 1


def new_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def actor(name: str, organ: str, office: str = "petition", role: str = "handler") -> Actor:
    """A staff member; a call made for them carries `bearer(actor)`."""
    return staff(name, organ, office, role)
