"""GraphQL hardening over HTTP on an in-process gateway (real PostgreSQL): GET and batches
refused, the alias and body caps, production's trusted documents, introspection and
suggestions off, and the client address behind trusted proxies."""

from __future__ import annotations

import base64
import json
import logging
import time

import pytest
from fastapi.testclient import TestClient

from gateway.app import build
from gateway.config import GatewaySettings
from gateway.trusted import digest

from .conftest import code_of, gql

pytestmark = pytest.mark.integration

ME = "query Me { me { user { username } } }"


def test_operations_over_get_are_refused_with_a_code(gateway_client):
    client = gateway_client()
    for query in (ME, "mutation { logout }"):
        response = client.get("/graphql", params={"query": query})
        assert response.status_code == 405
        assert response.json()["error"]["code"] == "graphql_get_refused"
        assert response.json()["error"]["message_zh"]


def test_array_batches_are_refused(gateway_client):
    client = gateway_client()
    response = client.post("/graphql", json=[{"query": ME}, {"query": ME}])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "batching_refused"


def test_a_thousand_aliases_are_refused_fast_before_any_resolver(gateway_client, caplog):
    client = gateway_client()
    query = "{" + " ".join(f"a{i}: me {{ csrfToken }}" for i in range(1000)) + "}"
    started = time.perf_counter()
    body = gql(client, query)
    assert time.perf_counter() - started < 1.0
    assert code_of(body) in ("query_too_large", "query_too_many_aliases")
    # Refused by the parser: no resolver ran, so no session refusal was recorded.
    assert "unauthenticated" not in caplog.text
    few = "{" + " ".join(f"a{i}: me {{ csrfToken }}" for i in range(16)) + "}"
    assert code_of(gql(client, few)) == "query_too_many_aliases"


def test_a_document_of_2_5_megabytes_is_refused_by_the_body_cap(gateway_client):
    client = gateway_client()
    huge = "{ me { csrfToken } }" + " " * (2_500_000)
    response = client.post("/graphql", json={"query": huge})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_registration_with_full_text_fits_under_the_cap(gateway_client):
    client = gateway_client()
    mutation = """mutation R($input: RegisterPetitionInput!) {
      registerPetition(input: $input) { caseId } }"""
    given = {
        "organCode": "62",
        "channel": "letter",
        "summary": "摘要",
        "receivedAt": "2026-01-02T09:00:00+08:00",
        "fullText": "举" * 100_000,
    }
    # Python escapes every character as \\uXXXX: the largest form a client may send.
    payload = json.dumps({"query": mutation, "variables": {"input": given}})
    assert len(payload) > 600_000
    response = client.post(
        "/graphql", content=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert code_of(response.json()) == "unauthenticated"  # it reached the resolver


def test_anonymous_casework_is_unauthenticated(gateway_client):
    client = gateway_client()
    for query in (
        '{ case(id: "0b6f1c7e-2f41-4a55-9d8e-2a3f4b5c6d7e") { id } }',
        "{ inbox { counts { held } } }",
        "{ cases(first: 5) { edges { node { id } } } }",
        'mutation { acceptPetition(caseId: "0b6f1c7e-2f41-4a55-9d8e-2a3f4b5c6d7e", '
        'reportType: "accusation") { id } }',
        'mutation { revealReporter(caseId: "0b6f1c7e-2f41-4a55-9d8e-2a3f4b5c6d7e", '
        'purpose: "核实") { name } }',
    ):
        assert code_of(gql(client, query)) == "unauthenticated", query


def _production(gateway_settings, tmp_path, documents: list[str]) -> TestClient:
    manifest = tmp_path / "trusted-documents.json"
    manifest.write_text(json.dumps({"documents": {digest(d): d for d in documents}}))
    key = base64.b64encode(bytes(range(32))).decode()
    settings = gateway_settings.model_copy(
        update={
            "baton_env": "production",
            "baton_service_token_private_key": key,
            "baton_identity_key": key,
        }
    )
    app = build(settings, gateway_settings=GatewaySettings(trusted_documents=manifest))
    return TestClient(app, base_url="https://testserver")


def test_production_runs_only_the_trusted_documents(gateway_settings, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="gateway.graphql")
    client = _production(gateway_settings, tmp_path, [ME])
    try:
        assert code_of(gql(client, ME)) == "unauthenticated"  # trusted: it ran
        # The same operation with one more space is another document.
        assert code_of(gql(client, ME + " ")) == "operation_not_trusted"
        assert code_of(gql(client, "{ __schema { types { name } } }")) == "operation_not_trusted"
        assert "operation_not_trusted" in caplog.text
        assert "Traceback" not in caplog.text
    finally:
        client.app.state.gateway.identity.close()  # type: ignore[attr-defined]


def test_production_turns_introspection_suggestions_and_graphiql_off(gateway_settings, tmp_path):
    introspection = "{ __schema { types { name } } }"
    typo = "query Me { me { usr { username } } }"
    client = _production(gateway_settings, tmp_path, [introspection, typo])
    try:
        body = gql(client, introspection)
        assert {e["extensions"]["code"] for e in body["errors"]} == {"introspection_disabled"}
        assert body.get("data") is None
        body = gql(client, typo)
        assert code_of(body) == "query_invalid"
        assert "Did you mean" not in json.dumps(body)
        page = client.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" not in page.text.lower()
    finally:
        client.app.state.gateway.identity.close()  # type: ignore[attr-defined]


LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { csrfToken } }"


def _login_code(client: TestClient, username: str, forwarded_for: str) -> str:
    response = client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"u": username, "p": "wrong-pass"}},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return code_of(response.json())


@pytest.fixture
def proxied(gateway_settings, clock):
    """A gateway behind a trusted proxy at 10.0.0.5, one failed login per address allowed;
    its clock stands still, so a slow hash cannot outlast the throttle's delay."""
    settings = gateway_settings.model_copy(update={"baton_login_address_throttle_after": 1})
    app = build(
        settings, clock=clock, gateway_settings=GatewaySettings(trusted_proxies=["10.0.0.0/24"])
    )
    yield app
    app.state.gateway.identity.close()


def test_each_client_behind_a_trusted_proxy_has_its_own_bucket(proxied):
    via_proxy = TestClient(proxied, client=("10.0.0.5", 40000))
    assert _login_code(via_proxy, "nobody.a", "203.0.113.1") == "login_failed"
    assert _login_code(via_proxy, "nobody.b", "203.0.113.1") == "login_throttled"
    # Another real client behind the same proxy is not held up by the first.
    assert _login_code(via_proxy, "nobody.c", "203.0.113.2") == "login_failed"


def test_forwarded_for_from_an_untrusted_peer_is_ignored(proxied):
    direct = TestClient(proxied, client=("198.51.100.7", 40000))
    assert _login_code(direct, "nobody.d", "203.0.113.3") == "login_failed"
    # A new X-Forwarded-For does not buy a fresh bucket: the peer is the client.
    assert _login_code(direct, "nobody.e", "203.0.113.4") == "login_throttled"
