"""Fixtures for routing against real PostgreSQL (and the broker where a test asks for it)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.hierarchy import OrgTree
from infra.consumer import Consumer
from infra.relay import Relay
from services.routing.application import RoutingApplication
from services.routing.main import create_app, load_org_tree


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
def client(routing: RoutingApplication) -> Iterator[TestClient]:
    with TestClient(create_app(routing)) as test_client:
        yield test_client


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")


def drain(relay: Relay) -> int:
    total = 0
    while published := relay.publish_pending():
        total += published
    return total


def consume_all(consumer: Consumer) -> None:
    """Poll until a few polls in a row bring nothing."""
    quiet = 0
    while quiet < 3:
        quiet = 0 if consumer.poll_once() else quiet + 1


def new_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def actor(name: str, organ: str, office: str = "petition", role: str = "handler") -> dict[str, Any]:
    return {"name": name, "organ_code": organ, "office": office, "role": role}
