"""An in-process gateway on real PostgreSQL with a clock the test moves; no services."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.app import build
from gateway.config import GatewaySettings
from gateway.trusted import digest


class Clock:
    """Now, as the test says."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def gql(client: TestClient, query: str, csrf: str | None = None, **variables: Any) -> dict:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def code_of(body: dict) -> str:
    """The code of the only error; its messages must be there in both languages."""
    assert body.get("data") in (None, {}) or body["errors"], body
    [error] = body["errors"]
    extensions = error["extensions"]
    assert extensions["message_zh"] and extensions["message_en"], body
    return str(extensions["code"])


LOGIN = """mutation($u: String!, $p: String!, $t: String) {
  login(username: $u, password: $p, totpCode: $t) {
    csrfToken user { id username name office roles language enabled organ { code name } } } }"""


def login(client: TestClient, username: str, password: str, totp: str | None = None) -> dict:
    return gql(client, LOGIN, u=username, p=password, t=totp)


@pytest.fixture
def gateway_client(gateway_settings: Any, clock: Clock) -> Iterator[Callable[..., TestClient]]:
    """Makes clients of one gateway (settings may be overridden per test)."""
    apps: list[Any] = []

    def make(trusted: tuple[str, ...] = (), **overrides: Any) -> TestClient:
        """`trusted`: the documents production accepts (the web build's manifest);
        overrides of GatewaySettings' fields go there, the others to Settings."""
        own = {k: overrides.pop(k) for k in list(overrides) if k in GatewaySettings.model_fields}
        settings = gateway_settings.model_copy(update=overrides)
        manifest = settings.baton_data_dir / "trusted-documents.json"
        manifest.write_text(json.dumps({"documents": {digest(d): d for d in trusted}}))
        config = GatewaySettings(trusted_documents=manifest, **own)
        app = build(settings, clock=clock, gateway_settings=config)
        apps.append(app)
        return TestClient(app)

    yield make
    for app in apps:
        app.state.gateway.identity.close()
